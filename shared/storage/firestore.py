"""Firestore: the only module that talks to the database. Documents are described in docs/firestore.md.

Every balance change writes a ledger entry, keyed by its idempotency key, in the same
transaction as the balance update, so a retried call finds the entry and changes nothing.
"""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.domain.clock import moscow_day, utcnow
from shared.domain.jobs import (DELIVERY_ATTEMPTS, ErrorCode, Gate, Job, JobState, check_move, delivery_step,
                                refundable)
from shared.domain.money import LedgerEntry, adjustment, first_contact
from shared.domain.quote import Quote

USERS, LEDGER, JOBS, EVENTS = "users", "ledger", "jobs", "generation_events"
UPDATES, FREE_USAGE, SETTINGS, INVOICES = "processed_updates", "free_usage", "settings", "invoices"
INVOICE_TTL = timedelta(hours=24)  # a pre-checkout for an older invoice is refused as stale

UPDATE_TTL = timedelta(days=2)  # Telegram keeps undelivered updates for 24 h
FREE_USAGE_TTL = timedelta(days=3)
DRAFT_TTL = timedelta(days=7)
LAST_SEEN_EVERY = timedelta(minutes=10)
DELIVERY_LEASE = timedelta(minutes=2)  # one delivery attempt's time; then the sweep may try again
NOTICE_ATTEMPTS = 5  # re-sends of a failure notice before the sweep lets it go
TX_ATTEMPTS = 10


@dataclass(frozen=True)
class Profile:
    user_id: int
    chat_id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None


@dataclass
class User:
    user_id: int
    language: str = "ru"
    balance_kopecks: int = 0
    banned: bool = False
    awaiting: str | None = None
    username: str | None = None
    first_name: str | None = None
    referrer_id: int | None = None
    referrals_count: int = 0
    referral_income_kopecks: int = 0

    @classmethod
    def from_doc(cls, data: dict[str, Any]) -> "User":
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class StartResult:
    """Outcome of the worker's charge transaction."""

    status: str  # started | not_pending | insufficient_funds | free_limit | closed | busy | submitted | missing
    job: Job | None


@dataclass(frozen=True)
class Confirmation:
    """Outcome of a user's confirm: confirmed at `quote` | changed (the draft's quote is now `quote`) |
    gone (not this user's open draft)."""

    status: str
    job: Job | None
    quote: Quote | None


@dataclass(frozen=True)
class Adjusted:
    """Outcome of a manual balance adjustment."""

    status: str  # applied | repeat | negative | missing
    balance_before: int = 0
    balance_after: int = 0


def lang_of(code: str | None) -> str:
    return "en" if (code or "").lower().startswith("en") else "ru"


def _job(snapshot: Any) -> Job:
    return Job(id=snapshot.id, **snapshot.to_dict())


class FirestoreStore:
    def __init__(self, client: firestore.AsyncClient):
        self.db = client

    @classmethod
    def connect(cls, project: str) -> "FirestoreStore":
        from shared.storage.metering import MeteredAsyncClient  # counts reads/writes on the wire

        return cls(MeteredAsyncClient(project=project))

    # --- updates -------------------------------------------------------------
    async def claim_update(self, update_id: int, owner: str | None = None) -> bool:
        """True the first time an update id is seen; False for a redelivery (1 write; 1 more read on a conflict).
        The claim carries an owner token: when its write applied but the answer was lost, the client library
        retries `create` and gets AlreadyExists; finding our own token then means the claim is ours."""
        owner = owner or secrets.token_hex(8)
        now = utcnow()
        ref = self.db.collection(UPDATES).document(str(update_id))
        try:
            await ref.create({"update_id": update_id, "owner": owner, "processed_at": now,
                              "expire_at": now + UPDATE_TTL})
        except AlreadyExists:
            snap = await ref.get()
            return (snap.to_dict() or {}).get("owner") == owner
        return True

    # --- users ---------------------------------------------------------------
    async def get_user(self, user_id: int) -> User | None:
        snap = await self.db.collection(USERS).document(str(user_id)).get()
        return User.from_doc(snap.to_dict()) if snap.exists else None

    async def touch_user(self, profile: Profile, bonus_kopecks: int, referrer_id: int | None = None,
                         welcome_kopecks: int = 0) -> tuple[User, bool]:
        """Read the user (1 read); create on first contact with the start bonus (and, when invited, the
        welcome bonus); refresh last_seen rarely."""
        ref = self.db.collection(USERS).document(str(profile.user_id))
        snap = await ref.get()
        now = utcnow()
        if not snap.exists:
            return await self._create_user(profile, bonus_kopecks, referrer_id, welcome_kopecks), True
        data = snap.to_dict()
        changes: dict[str, Any] = {}
        language = lang_of(profile.language_code) if profile.language_code else data.get("language", "ru")
        if language != data.get("language"):
            changes["language"] = language
        for key in ("username", "first_name"):
            if getattr(profile, key) != data.get(key):
                changes[key] = getattr(profile, key)
        last_seen = data.get("last_seen_at")
        if changes or last_seen is None or now - last_seen > LAST_SEEN_EVERY:
            changes["last_seen_at"] = now
            await ref.update(changes)
            data.update(changes)
        return User.from_doc(data), False

    async def _create_user(self, profile: Profile, bonus_kopecks: int, referrer_id: int | None,
                           welcome_kopecks: int) -> User:
        ref = self.db.collection(USERS).document(str(profile.user_id))
        if referrer_id == profile.user_id:
            referrer_id = None  # nobody invites themselves (and nothing to read)
        inviter_ref = self.db.collection(USERS).document(str(referrer_id)) if referrer_id else None

        @firestore.async_transactional
        async def create(tx: Any) -> dict[str, Any]:
            snap = await ref.get(transaction=tx)
            inviter = await inviter_ref.get(transaction=tx) if inviter_ref else None
            if snap.exists:
                return snap.to_dict()  # attribution happens only at the very first contact
            now = utcnow()
            inviter_id, entries = first_contact(profile.user_id, referrer_id, bool(inviter and inviter.exists),
                                                bonus_kopecks, welcome_kopecks)
            balances = apply_entries(tx, self.db, entries, {profile.user_id: 0}, now, skip_users=(profile.user_id,))
            doc = {
                "user_id": profile.user_id, "chat_id": profile.chat_id, "username": profile.username,
                "first_name": profile.first_name, "language": lang_of(profile.language_code),
                "balance_kopecks": balances[profile.user_id], "banned": False, "awaiting": None,
                "referrer_id": inviter_id, "referrals_count": 0, "referral_income_kopecks": 0,
                "created_at": now, "last_seen_at": now,
            }
            if inviter_id:
                tx.update(inviter_ref, {"referrals_count": firestore.Increment(1)})
            tx.set(ref, doc)
            return doc

        return User.from_doc(await create(self.db.transaction(max_attempts=TX_ATTEMPTS)))

    async def set_user_fields(self, user_id: int, **fields: Any) -> None:
        await self.db.collection(USERS).document(str(user_id)).update(fields)

    async def adjust_balance(self, user_id: int, amount_kopecks: int, kind: str, key: str,
                             ref: str = "", note: str = "") -> bool:
        """Apply one manual ledger entry once; False when the key was already applied (or it was refused)."""
        return (await self.admin_adjust(user_id, amount_kopecks, key, ref=ref, note=note, kind=kind)).status == "applied"

    async def admin_adjust(self, user_id: int, amount_kopecks: int, key: str, ref: str = "", note: str = "",
                           kind: str = "adjust") -> Adjusted:
        """A manual adjustment, once per key. The balance it checks is read in the same transaction, so a
        charge or another adjustment committing meanwhile cannot take the balance below zero."""
        user_ref = self.db.collection(USERS).document(str(user_id))
        entry_ref = self.db.collection(LEDGER).document(key)

        @firestore.async_transactional
        async def apply(tx: Any) -> Adjusted:
            entry = await entry_ref.get(transaction=tx)
            user = await user_ref.get(transaction=tx)
            if not user.exists:
                return Adjusted("missing")
            balance = user.to_dict().get("balance_kopecks", 0)
            if entry.exists:
                return Adjusted("repeat", balance, balance)
            decision = adjustment(user_id, balance, amount_kopecks, key, ref=ref, note=note, kind=kind)
            after = apply_entries(tx, self.db, decision.entries, {user_id: balance}, utcnow())
            return Adjusted(decision.status, balance, after[user_id])

        return await apply(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def ledger_for(self, user_id: int) -> list[dict[str, Any]]:
        query = self.db.collection(LEDGER).where(filter=firestore.FieldFilter("user_id", "==", user_id))
        return [snap.to_dict() async for snap in query.stream()]

    # --- payments (the top-up and refund transactions are in shared/storage/payments.py) ---------
    async def create_invoice(self, invoice_id: str, user_id: int, amount_kopecks: int, stars: int) -> None:
        now = utcnow()
        await self.db.collection(INVOICES).document(invoice_id).set({
            "user_id": user_id, "amount_kopecks": amount_kopecks, "stars": stars, "status": "open",
            "created_at": now, "stale_at": now + INVOICE_TTL, "charge_id": None})

    async def get_invoice(self, invoice_id: str) -> dict[str, Any] | None:
        snap = await self.db.collection(INVOICES).document(invoice_id).get()
        return snap.to_dict() if snap.exists else None

    # --- pages ---------------------------------------------------------------
    async def page(self, collection: str, user_id: int, size: int, before: datetime | None = None,
                   after: datetime | None = None, states: list[str] | None = None) -> list[dict[str, Any]]:
        """Newest first, `size` at most, older than `before` or newer than `after` (cursor paging:
        a page costs `size` reads however deep it is)."""
        query = self.db.collection(collection).where(filter=firestore.FieldFilter("user_id", "==", user_id))
        if states:
            query = query.where(filter=firestore.FieldFilter("state", "in", states))
        if after is not None:
            query = query.order_by("created_at").start_after({"created_at": after}).limit(size)
            rows = [{"id": snap.id, **snap.to_dict()} async for snap in query.stream()]
            return list(reversed(rows))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING)
        if before is not None:
            query = query.start_after({"created_at": before})
        return [{"id": snap.id, **snap.to_dict()} async for snap in query.limit(size).stream()]

    async def count_users(self) -> int:
        result = await self.db.collection(USERS).count().get()
        return int(result[0][0].value)

    async def count(self, collection: str, user_id: int, states: list[str] | None = None) -> int:
        query = self.db.collection(collection).where(filter=firestore.FieldFilter("user_id", "==", user_id))
        if states:
            query = query.where(filter=firestore.FieldFilter("state", "in", states))
        result = await query.count().get()
        return int(result[0][0].value)

    # --- free tier -----------------------------------------------------------
    async def free_usage(self, user_id: int, day: str | None = None) -> dict[str, int]:
        day = day or moscow_day()
        snap = await self.db.collection(FREE_USAGE).document(f"{user_id}_{day}").get()
        return dict((snap.to_dict() or {}).get("counts", {})) if snap.exists else {}

    async def get_setting(self, name: str) -> dict[str, Any] | None:
        snap = await self.db.collection(SETTINGS).document(name).get()
        return snap.to_dict() if snap.exists else None

    async def set_setting(self, name: str, doc: dict[str, Any]) -> None:
        await self.db.collection(SETTINGS).document(name).set({**doc, "updated_at": utcnow()})

    async def stored_free_tier(self) -> dict[str, Any] | None:
        snap = await self.db.collection(SETTINGS).document("free_tier").get()
        return snap.to_dict() if snap.exists else None

    async def save_free_tier(self, model_ids: list[str], source: str, prices: dict[str, int]) -> dict[str, Any]:
        """Write the tier with the time and the previous value; a no-op when it did not change."""
        ref = self.db.collection(SETTINGS).document("free_tier")

        @firestore.async_transactional
        async def save(tx: Any) -> dict[str, Any]:
            snap = await ref.get(transaction=tx)
            old = snap.to_dict() if snap.exists else {}
            if old.get("model_ids") == model_ids and old.get("source") == source:
                return old
            doc = {"model_ids": model_ids, "source": source, "computed_at": utcnow(),
                   "previous_model_ids": old.get("model_ids", []),
                   "prices_kopecks": {m: prices[m] for m in model_ids if m in prices}}
            tx.set(ref, doc)
            return doc

        return await save(self.db.transaction(max_attempts=TX_ATTEMPTS))

    # --- jobs ----------------------------------------------------------------
    async def get_job(self, job_id: str) -> Job | None:
        snap = await self.db.collection(JOBS).document(job_id).get()
        return _job(snap) if snap.exists else None

    async def find_job_by_task(self, kie_task_id: str) -> Job | None:
        query = self.db.collection(JOBS).where(filter=firestore.FieldFilter("kie_task_id", "==", kie_task_id)).limit(1)
        async for snap in query.stream():
            return _job(snap)
        return None

    async def create_draft(self, job: Job) -> None:
        """The wizard's state lives in the job document (one write); the user's newest draft is current."""
        now = utcnow()
        doc = job.model_dump(exclude={"id"}, mode="python")
        doc.update(created_at=now, updated_at=now, expire_at=now + DRAFT_TTL,
                   history=[{"state": JobState.AWAITING_INPUT.value, "at": now}])
        await self.db.collection(JOBS).document(job.id).set(doc)

    async def current_draft(self, user_id: int) -> Job | None:
        """The user's newest job still awaiting input (one read; index jobs: user_id, state, created_at desc)."""
        query = (self.db.collection(JOBS)
                 .where(filter=firestore.FieldFilter("user_id", "==", user_id))
                 .where(filter=firestore.FieldFilter("state", "==", JobState.AWAITING_INPUT.value))
                 .order_by("created_at", direction=firestore.Query.DESCENDING).limit(1))
        async for snap in query.stream():
            return _job(snap)
        return None

    async def update_draft(self, job_id: str, user_id: int,
                           edit: Callable[[Job], dict[str, Any] | None]) -> Job | None:
        """Change a draft in one transaction, only while it awaits input, and bump its revision (a confirm
        button names the revision it priced). `edit` gets the stored draft and returns the fields to change
        (None: nothing); it may raise to change nothing. Returns the draft as stored afterwards (check its
        state: only an `awaiting_input` draft was changed), or None when it is not this user's job."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("user_id") != user_id:
                return None
            job = _job(snap)
            if job.state != JobState.AWAITING_INPUT:
                return job
            changes = edit(job)
            if changes is None:
                return job
            changes = {**changes, "revision": job.revision + 1}
            tx.update(ref, {**changes, "updated_at": utcnow()})
            return job.model_copy(update=changes)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def add_media(self, job_id: str, user_id: int, field: str, meta: dict[str, Any], multiple: bool,
                        max_count: int, media_group: str | None) -> tuple[str, Job | None]:
        """Attach one uploaded file (meta: its measured record, with `url`) to a draft, bumping its revision.
        Album parts arrive as concurrent updates, hence a transaction. Returns (status, job): added |
        added_quietly (a later part of an acknowledged album) | ignored (more of an album for a one-file
        step) | full | stale."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> tuple[str, Job | None]:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("user_id") != user_id or snap.get("state") != JobState.AWAITING_INPUT:
                return "stale", None
            job = _job(snap)
            files = list(job.media.get(field, []))
            quiet = bool(media_group and media_group in job.media_groups)
            if quiet and not multiple:
                return "ignored", job
            if len(files) >= max_count and multiple:
                return "full", job
            files = [*files, meta] if multiple else [meta]
            urls = [f["url"] for f in files]
            inputs = {**job.inputs, field: urls if multiple else urls[0]}
            media = {**job.media, field: files}
            groups = job.media_groups if quiet or not media_group else [*job.media_groups, media_group]
            # A multi-file step keeps collecting (the job's `editing`) until it is full or "Done" is pressed.
            editing = field if multiple and len(files) < max_count else None
            changes = {"inputs": inputs, "media": media, "media_groups": groups, "editing": editing,
                       "revision": job.revision + 1}
            tx.update(ref, {**changes, "updated_at": utcnow()})
            job = job.model_copy(update=changes)
            return ("added_quietly" if quiet else "added"), job

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def confirm_quoted(self, job_id: str, user_id: int, quote: Callable[[Job], Quote], digest: str,
                             request_id: str, status_message_id: int | None = None) -> Confirmation:
        """A user's confirm button: re-price the draft as stored (`quote`, a pure function of it) and confirm
        at that price only if it is the quote the button showed (`digest`). Otherwise nothing changes and
        the caller shows the new quote. Draft edits are transactions on the same document, so an edit
        racing this one either lands first (the digest differs) or finds the job confirmed."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Confirmation:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("user_id") != user_id:
                return Confirmation("gone", None, None)
            job = _job(snap)
            if job.state != JobState.AWAITING_INPUT:
                return Confirmation("gone", job, None)
            now_quote = quote(job)
            if now_quote.digest != digest:
                return Confirmation("changed", job, now_quote)
            return Confirmation("confirmed", self._confirm_in(tx, ref, job, now_quote.price_kopecks,
                                                              now_quote.is_free, request_id, status_message_id),
                                now_quote)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def confirm(self, job_id: str, price_kopecks: int, is_free: bool, request_id: str,
                      status_message_id: int | None = None) -> Job | None:
        """awaiting_input -> confirmed exactly once at a price the caller fixed: for jobs nobody edits (the
        admin smoke test). Users' drafts go through confirm_quoted. The worker takes it from here;
        `status_message_id` is the message that will show its progress."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("state") != JobState.AWAITING_INPUT:
                return None
            return self._confirm_in(tx, ref, _job(snap), price_kopecks, is_free, request_id, status_message_id)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    @staticmethod
    def _confirm_in(tx: Any, ref: Any, job: Job, price_kopecks: int, is_free: bool, request_id: str,
                    status_message_id: int | None) -> Job:
        now = utcnow()
        changes = {"state": JobState.CONFIRMED.value, "price_kopecks": price_kopecks, "is_free": is_free,
                   "request_id": request_id, "confirmed_at": now, "updated_at": now, "expire_at": None,
                   "status_message_id": status_message_id, "unsettled": True,
                   "history": firestore.ArrayUnion([{"state": JobState.CONFIRMED.value, "at": now}])}
        tx.update(ref, changes)
        return job.model_copy(update={k: v for k, v in changes.items() if k != "history"})

    async def move(self, job_id: str, target: JobState, **fields: Any) -> Job | None:
        """A plain state move without money; None if the job is not in a state that allows it."""
        if target == JobState.REFUNDED:
            return None  # a refund gives something back: only `refund` makes that move
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return None
            job = _job(snap)
            try:
                check_move(job.state, target)
            except Exception:
                return None
            now = utcnow()
            changes = {"state": target.value, "updated_at": now, **fields}
            if target == JobState.QUEUED:
                changes["queued_at"] = now
            if target in (JobState.FAILED, JobState.CANCELLED):
                changes["finished_at"] = now
            tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": target.value, "at": now}])})
            return job.model_copy(update=changes)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def start(self, job_id: str, free_limit: int, lease: timedelta, gate: Gate | None = None) -> StartResult:
        """The worker's charge: confirmed/queued -> running, taking the price or one free use (decided by
        `domain.money.decide_charge`), in one transaction that also writes the submission marker
        (`submitted_at`) with the lease: from here on createTask may have been sent, so a redelivered start
        task never submits again ('submitted'); the job then waits for its callback (see the sweep).
        A job refused by the admin switches (`gate`) fails with nothing charged ('closed')."""
        from shared.domain.money import charge_entries, decide_charge

        job_ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> StartResult:
            snap = await job_ref.get(transaction=tx)
            if not snap.exists:
                return StartResult("missing", None)
            job = _job(snap)
            now = utcnow()
            if job.state == JobState.RUNNING and not job.kie_task_id:
                if job.lease_until and job.lease_until > now:
                    return StartResult("busy", job)
                if job.submitted_at is not None:
                    return StartResult("submitted", job)
                # Charged by a worker that died before it marked a submission (an older version): try again.
                changes = {"lease_until": now + lease, "submitted_at": now, "updated_at": now}
                tx.update(job_ref, changes)
                return StartResult("started", job.model_copy(update=changes))
            if job.state not in (JobState.CONFIRMED, JobState.QUEUED):
                return StartResult("not_pending", job)
            refusal = gate.refusal(job) if gate else None
            if refusal is not None:
                return StartResult("closed", self._fail_in(tx, job_ref, job, refusal, now))
            user_ref = self.db.collection(USERS).document(str(job.user_id))
            day = moscow_day(now)
            usage_ref = self.db.collection(FREE_USAGE).document(f"{job.user_id}_{day}")
            counts: dict[str, int] = {}
            balance = 0
            if job.is_free and not job.smoke_run:
                usage = await usage_ref.get(transaction=tx)
                counts = dict((usage.to_dict() or {}).get("counts", {})) if usage.exists else {}
            elif not job.smoke_run:
                user = await user_ref.get(transaction=tx)
                balance = (user.to_dict() or {}).get("balance_kopecks", 0)
            charge = decide_charge(job.price_kopecks, job.is_free, bool(job.smoke_run), balance,
                                   counts.get(job.model_id, 0), free_limit)
            if charge.refused:
                code = (ErrorCode.INSUFFICIENT_FUNDS if charge.outcome == "insufficient_funds"
                        else ErrorCode.FREE_LIMIT_REACHED)
                return StartResult(charge.outcome, self._fail_in(tx, job_ref, job, code, now))
            free_day = None
            if charge.free_used_after is not None:
                counts[job.model_id] = charge.free_used_after
                tx.set(usage_ref, {"user_id": job.user_id, "day": day, "counts": counts,
                                   "updated_at": now, "expire_at": now + FREE_USAGE_TTL})
                free_day = day
            apply_entries(tx, self.db, charge_entries(charge, job.id, job.user_id, job.request_id, job.model_id),
                          {job.user_id: balance}, now)
            changes = {"state": JobState.RUNNING.value, "charged_kopecks": charge.amount_kopecks, "free_day": free_day,
                       "started_at": now, "updated_at": now, "lease_until": now + lease, "submitted_at": now}
            tx.update(job_ref, {**changes, "history": firestore.ArrayUnion([{"state": "running", "at": now}])})
            return StartResult("started", job.model_copy(update=changes))

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    @staticmethod
    def _fail_in(tx: Any, ref: Any, job: Job, code: ErrorCode, now: datetime) -> Job:
        changes = {"state": JobState.FAILED.value, "error_code": code.value, "finished_at": now, "updated_at": now}
        tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": "failed", "at": now, "error": code.value}])})
        return job.model_copy(update=changes)

    async def set_task_id(self, job_id: str, kie_task_id: str) -> None:
        await self.db.collection(JOBS).document(job_id).update(
            {"kie_task_id": kie_task_id, "lease_until": None, "updated_at": utcnow()})

    async def succeed(self, job_id: str, result_urls: list[str],
                      delivery_lease: timedelta = DELIVERY_LEASE) -> Job | None:
        """running -> succeeded once; None when another call already finished the job. The winner also
        takes the delivery lease (see claim_delivery)."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = _job(await ref.get(transaction=tx))
            if job.state != JobState.RUNNING:
                return None
            now = utcnow()
            changes = {"state": JobState.SUCCEEDED.value, "result_urls": result_urls,
                       "finished_at": now, "updated_at": now, "delivery_until": now + delivery_lease,
                       "delivery_attempts": 1}
            tx.update(ref, {**changes, "history": firestore.ArrayUnion([{"state": "succeeded", "at": now}])})
            return job.model_copy(update=changes)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def claim_delivery(self, job_id: str, lease: timedelta = DELIVERY_LEASE,
                             max_attempts: int = DELIVERY_ATTEMPTS) -> Job | None:
        """A succeeded, undelivered job whose last delivery attempt is over: the caller may deliver it now.
        None when it was delivered, someone is delivering it, or it ran out of attempts (see `refund`)."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = _job(await ref.get(transaction=tx))
            now = utcnow()
            if delivery_step(job, now, max_attempts) != "deliver":
                return None
            changes = {"delivery_until": now + lease, "delivery_attempts": job.delivery_attempts + 1,
                       "updated_at": now}
            tx.update(ref, changes)
            return job.model_copy(update=changes)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def refund(self, job_id: str, code: ErrorCode, message: str,
                     only_if: Callable[[Job, datetime], bool] | None = None, review: str | None = None) -> Job | None:
        """running (or succeeded but undeliverable) -> refunded once, giving back the money or the free use
        (decided by `domain.money.decide_refund`) in the same transaction. `only_if` is checked on the job as
        this transaction reads it (the caller's copy may be stale); `review` flags it for admins. The job stays
        `unsettled` until the user has been told (`settle`)."""
        from shared.domain.money import decide_refund, refund_entries

        job_ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = _job(await job_ref.get(transaction=tx))
            now = utcnow()
            if not refundable(job, now) or (only_if is not None and not only_if(job, now)):
                return None
            user_ref = self.db.collection(USERS).document(str(job.user_id))
            usage_ref = self.db.collection(FREE_USAGE).document(f"{job.user_id}_{job.free_day}")
            key = f"refund_{job.id}"
            entry_ref = self.db.collection(LEDGER).document(key)
            balance, used, already = 0, 0, False
            counts: dict[str, int] = {}
            if job.charged_kopecks:
                user = await user_ref.get(transaction=tx)
                already = (await entry_ref.get(transaction=tx)).exists
                balance = (user.to_dict() or {}).get("balance_kopecks", 0)
            elif job.free_day:
                usage = await usage_ref.get(transaction=tx)
                counts = dict((usage.to_dict() or {}).get("counts", {})) if usage.exists else {}
                used = counts.get(job.model_id, 0)
            back = decide_refund(job.charged_kopecks, job.free_day, already, balance, used)
            apply_entries(tx, self.db, refund_entries(back, job.id, job.user_id, job.request_id, job.model_id,
                                                      code.value), {job.user_id: balance}, now)
            if back.free_used_after is not None:
                counts[job.model_id] = back.free_used_after
                tx.set(usage_ref, {"counts": counts, "updated_at": now}, merge=True)
            changes = {"state": JobState.REFUNDED.value, "error_code": code.value, "error_message": message[:500],
                       "finished_at": now, "updated_at": now, "lease_until": None, "delivery_until": None,
                       "unsettled": True, "review": review or job.review}
            tx.update(job_ref, {**changes, "history": firestore.ArrayUnion(
                [{"state": "refunded", "at": now, "error": code.value}])})
            return job.model_copy(update=changes)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def settle(self, job_id: str) -> None:
        """The job needs nothing more (the user has the result or knows how it ended): out of the sweep."""
        await self.db.collection(JOBS).document(job_id).update({"unsettled": False})

    async def claim_notice(self, job_id: str, quiet: timedelta, max_attempts: int = NOTICE_ATTEMPTS) -> Job | None:
        """An ended job whose user was not told yet (the notice was lost, e.g. to a long flood wait): the caller
        may send it again now. Claimed by moving `updated_at`, so a second sweep leaves it alone; after
        `max_attempts` the job is settled untold (the user blocked the bot, say). None when there is nothing
        to send."""
        ref = self.db.collection(JOBS).document(job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            job = _job(await ref.get(transaction=tx))
            now = utcnow()
            if (job.state not in (JobState.FAILED, JobState.REFUNDED) or not job.unsettled
                    or (job.updated_at and job.updated_at > now - quiet)):
                return None
            if job.notice_attempts >= max_attempts:
                tx.update(ref, {"unsettled": False})
                return None
            changes = {"notice_attempts": job.notice_attempts + 1, "updated_at": now}
            tx.update(ref, changes)
            return job.model_copy(update=changes)

        return await run(self.db.transaction(max_attempts=TX_ATTEMPTS))

    async def set_job_fields(self, job_id: str, **fields: Any) -> None:
        fields["updated_at"] = utcnow()
        await self.db.collection(JOBS).document(job_id).update(fields)

    # --- events --------------------------------------------------------------
    async def record_event(self, job: Job, status: str, category: str, duration_ms: int | None = None) -> None:
        """One event per job and status (the id makes a retry overwrite, not duplicate)."""
        await self.db.collection(EVENTS).document(f"{job.id}_{status}").set({
            "created_at": utcnow(), "user_id": job.user_id, "chat_id": job.chat_id, "model_id": job.model_id,
            "category": category, "status": status, "is_free_applied": job.is_free,
            "price_kopecks": job.price_kopecks, "price_rub": f"{job.price_kopecks // 100}.{job.price_kopecks % 100:02d}",
            "request_id": job.request_id, "task_id": job.kie_task_id, "job_id": job.id,
            "error_code": job.error_code, "error_message": job.error_message, "duration_ms": duration_ms,
        })


def _ledger_doc(user_id: int, kind: str, amount: int, balance_after: int, *, ref: str, key: str,
                now: datetime, note: str = "", request_id: str | None = None,
                model_id: str | None = None) -> dict[str, Any]:
    return {"user_id": user_id, "kind": kind, "amount_kopecks": amount, "balance_after_kopecks": balance_after,
            "ref": ref, "idempotency_key": key, "request_id": request_id, "model_id": model_id,
            "note": note, "created_at": now}


def apply_entries(tx: Any, db: Any, entries: tuple[LedgerEntry, ...] | list[LedgerEntry],
                  balances: dict[int, int], now: datetime, skip_users: tuple[int, ...] = ()) -> dict[int, int]:
    """Write a money decision's entries in transaction `tx`: each ledger document (its id is the entry's
    key, with the balance right after it) and each touched user's new balance and referral income.
    `balances` holds the balances this transaction read; the documents of `skip_users` are written by
    the caller (a user created in this transaction). Returns the balances after the entries."""
    balances, income = dict(balances), Counter()
    for e in entries:
        balances[e.user_id] += e.amount_kopecks
        tx.set(db.collection(LEDGER).document(e.key),
               _ledger_doc(e.user_id, e.kind, e.amount_kopecks, balances[e.user_id], ref=e.ref, key=e.key, now=now,
                           note=e.note, request_id=e.request_id, model_id=e.model_id))
        if e.referral_income:
            income[e.user_id] += e.amount_kopecks
    for user_id in dict.fromkeys(e.user_id for e in entries):
        if user_id in skip_users:
            continue
        changes: dict[str, Any] = {"balance_kopecks": balances[user_id]}
        if income[user_id]:
            changes["referral_income_kopecks"] = firestore.Increment(income[user_id])
        tx.update(db.collection(USERS).document(str(user_id)), changes)
    return balances
