"""Drafts: a job in the wizard (`jobs/{id}` in `awaiting_input`), up to its confirmation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from google.cloud import firestore

from shared.domain.clock import utcnow
from shared.domain.jobs import Attached, Confirmed, Job, JobState
from shared.domain.quote import Quote
from shared.storage.base import JOBS, Aggregate, eq, first, job_of

DRAFT_TTL = timedelta(days=7)


@dataclass(frozen=True)
class Confirmation:
    """Outcome of a user's confirm: confirmed at `quote` | changed (the draft's quote is now `quote`) |
    gone (not this user's open draft)."""

    status: Confirmed
    job: Job | None
    quote: Quote | None


class Drafts(Aggregate):
    async def create(self, job: Job) -> None:
        """The wizard's state lives in the job document (one write); the user's newest draft is current."""
        now = utcnow()
        doc = job.model_dump(exclude={"id"}, mode="python")
        doc.update(created_at=now, updated_at=now, expire_at=now + DRAFT_TTL,
                   history=[{"state": JobState.AWAITING_INPUT.value, "at": now}])
        await self.ref(JOBS, job.id).set(doc)

    async def current(self, user_id: int) -> Job | None:
        """The user's newest job still awaiting input (one read; index jobs: user_id, state, created_at desc)."""
        query = (self.db.collection(JOBS).where(filter=eq("user_id", user_id))
                 .where(filter=eq("state", JobState.AWAITING_INPUT.value))
                 .order_by("created_at", direction=firestore.Query.DESCENDING))
        snap = await first(query)
        return job_of(snap) if snap else None

    async def update(self, job_id: str, user_id: int, edit: Callable[[Job], dict[str, Any] | None]) -> Job | None:
        """Change a draft in one transaction, only while it awaits input, and bump its revision (a confirm
        button names the revision it priced). `edit` gets the stored draft and returns the fields to change
        (None: nothing); it may raise to change nothing. Returns the draft as stored afterwards (check its
        state: only an `awaiting_input` draft was changed), or None when it is not this user's job."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("user_id") != user_id:
                return None
            job = job_of(snap)
            if job.state != JobState.AWAITING_INPUT:
                return job
            changes = edit(job)
            if changes is None:
                return job
            changes = {**changes, "revision": job.revision + 1}
            tx.update(ref, {**changes, "updated_at": utcnow()})
            return job.model_copy(update=changes)

        return await run(self.transaction())

    async def add_media(self, job_id: str, user_id: int, field: str, meta: dict[str, Any], multiple: bool,
                        max_count: int, media_group: str | None) -> tuple[Attached, Job | None]:
        """Attach one uploaded file (meta: its measured record, with `url`) to a draft, bumping its revision.
        Album parts arrive as concurrent updates, hence a transaction."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> tuple[Attached, Job | None]:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("user_id") != user_id or snap.get("state") != JobState.AWAITING_INPUT:
                return Attached.STALE, None
            job = job_of(snap)
            quiet = bool(media_group and media_group in job.media_groups)
            if quiet and not multiple:
                return Attached.IGNORED, job
            files = list(job.media.get(field, []))
            if len(files) >= max_count and multiple:
                return Attached.FULL, job
            changes = _with_file(job, field, [*files, meta] if multiple else [meta], multiple, max_count,
                                 media_group, quiet)
            tx.update(ref, {**changes, "updated_at": utcnow()})
            return (Attached.ADDED_QUIETLY if quiet else Attached.ADDED), job.model_copy(update=changes)

        return await run(self.transaction())

    async def confirm_quoted(self, job_id: str, user_id: int, quote: Callable[[Job], Quote], digest: str,
                             request_id: str, status_message_id: int | None = None) -> Confirmation:
        """A user's confirm button: re-price the draft as stored (`quote`, a pure function of it) and confirm
        at that price only if it is the quote the button showed (`digest`). Otherwise nothing changes and
        the caller shows the new quote. Draft edits are transactions on the same document, so an edit
        racing this one either lands first (the digest differs) or finds the job confirmed."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Confirmation:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("user_id") != user_id:
                return Confirmation(Confirmed.GONE, None, None)
            job = job_of(snap)
            if job.state != JobState.AWAITING_INPUT:
                return Confirmation(Confirmed.GONE, job, None)
            now_quote = quote(job)
            if now_quote.digest != digest:
                return Confirmation(Confirmed.CHANGED, job, now_quote)
            confirmed = _confirm_in(tx, ref, job, now_quote.price_kopecks, now_quote.is_free, request_id,
                                    status_message_id)
            return Confirmation(Confirmed.CONFIRMED, confirmed, now_quote)

        return await run(self.transaction())

    async def confirm(self, job_id: str, price_kopecks: int, is_free: bool, request_id: str,
                      status_message_id: int | None = None) -> Job | None:
        """awaiting_input -> confirmed exactly once at a price the caller fixed: for jobs nobody edits (the
        admin smoke test). Users' drafts go through confirm_quoted. The worker takes it from here;
        `status_message_id` is the message that will show its progress."""
        ref = self.ref(JOBS, job_id)

        @firestore.async_transactional
        async def run(tx: Any) -> Job | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists or snap.get("state") != JobState.AWAITING_INPUT:
                return None
            return _confirm_in(tx, ref, job_of(snap), price_kopecks, is_free, request_id, status_message_id)

        return await run(self.transaction())


def _with_file(job: Job, field: str, files: list[dict[str, Any]], multiple: bool, max_count: int,
               media_group: str | None, quiet: bool) -> dict[str, Any]:
    """The draft's changes when `files` become the media of `field`."""
    urls = [f["url"] for f in files]
    groups = job.media_groups if quiet or not media_group else [*job.media_groups, media_group]
    # A multi-file step keeps collecting (the job's `editing`) until it is full or "Done" is pressed.
    editing = field if multiple and len(files) < max_count else None
    return {"inputs": {**job.inputs, field: urls if multiple else urls[0]}, "media": {**job.media, field: files},
            "media_groups": groups, "editing": editing, "revision": job.revision + 1}


def _confirm_in(tx: Any, ref: Any, job: Job, price_kopecks: int, is_free: bool, request_id: str,
                status_message_id: int | None) -> Job:
    now = utcnow()
    changes = {"state": JobState.CONFIRMED.value, "price_kopecks": price_kopecks, "is_free": is_free,
               "request_id": request_id, "confirmed_at": now, "updated_at": now, "expire_at": None,
               "status_message_id": status_message_id, "unsettled": True,
               "history": firestore.ArrayUnion([{"state": JobState.CONFIRMED.value, "at": now}])}
    tx.update(ref, changes)
    return job.model_copy(update={k: v for k, v in changes.items() if k != "history"})
