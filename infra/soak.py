"""Chaos soak: many simulated users generate, top up and get refunds on the whole local stack while
every fault we know of is injected and some users attack; then the money and job invariants are checked.

    python -m infra.soak [--jobs 300] [--users 30] [--seed 7]      (./dev soak ... does the same)

Faults: KIE answers createTask with 422/429/455/500/501 or too slowly (our client times out), tasks
fail (501/500) or never finish, callbacks are lost or duplicated; the Telegram simulator answers 429 with
retry_after and sends an update again when the webhook fails; storage (infra/firestore_faults.py between
the functions and the Firestore emulator) fails calls with UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED and
loses the answers of commits that applied; the harness enqueues duplicate Cloud Tasks, double-taps
"confirm" and kills the worker process (SIGKILL) mid-job.

Hostile users (HOSTILE_SHARE of them) attack now and then: they race an option change with the confirm
press, press an old confirm button after changing an option, reuse a file name across two drafts, send
audio whose declared duration lies (the message or the file's header), and get banned with an invoice open.

The invariants are read from Firestore, the KIE simulator's bill and the Telegram simulator's payments
(infra/invariants.py), plus what the harness saw: the bytes each user sent and the price on each button
they pressed.
"""
from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import random
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from infra import invariants, media_samples
from infra.firestore_faults import FaultControl
from infra.stack import ADMIN_IDS, ROOT, LocalStack, StackPorts
from infra.telegram_sim.client import SimClient

PAID_MODELS = ("google/imagen4", "grok-imagine/text-to-image", "google/imagen4-ultra")
FREE_MODELS = ("google/nano-banana", "google/imagen4-fast")  # in the free tier; prompt-only wizards
AUDIO_MODEL = "elevenlabs/audio-isolation"  # priced per second of the audio the user sends
EDIT_MODEL = "gpt-image-2-image-to-image"  # a prompt and photos, paid (5,70 ₽ at 1K)
OPTION_MODEL, PRICED_OPTION = "grok-imagine/text-to-image", "enable_pro"  # the option changes the price
ADMIN = int(ADMIN_IDS.split(",")[0])
RQ = re.compile(r"RQ-[0-9A-Fa-f]{8}")
PRICE = re.compile(r"([\d\u00a0 ]+)(?:,(\d\d))? ₽")
TERMINAL = {"succeeded", "failed", "refunded", "cancelled"}
HOSTILE_SHARE = 0.3
INVITED_SHARE = 0.25  # users who start from the invite link of the user before them
INVITE = re.compile(r"start=(ref_\w+)")
ATTACK_RATE = 0.35  # how often a hostile user's next action is an attack

# Short clocks so faults resolve within seconds (production values are in shared/config.py).
STACK_ENV = {
    "POLL_DELAYS_SECONDS": "1,2,3",
    "TIMEOUT_IMAGE_S": "12",
    "TIMEOUT_AUDIO_S": "12",
    "KIE_TIMEOUT_S": "2",
    "SUBMIT_LEASE_S": "10",
    "SWEEP_QUIET_S": "15",  # longer than the task backlog normally gets, or the sweep re-queues live jobs
    "DELIVERY_LEASE_S": "8",
    "FREE_DAILY_LIMIT": "4",
    "START_BONUS_RUB": "30",
    "CONFIRM_ABOVE_RUB": "1000",
    "STARS_REFUND_SETTLE_S": "20",  # a refund left pending by a lost answer is settled within the soak
}
KIE_CHAOS = {
    "credits": 100_000_000,  # our KIE account running dry is not one of the faults here
    "latency_ms": 300, "fail_rate": 0.07, "task_fail_code": "501", "create_fault_rate": 0.08,
    "create_fault_codes": "422,429,455,500,501", "slow_create_rate": 0.03, "slow_create_ms": 2600,
    "stall_rate": 0.03, "lost_callback_rate": 0.15, "duplicate_callback_rate": 0.15,
}
KIE_CALM = {"fail_rate": 0.0, "create_fault_rate": 0.0, "slow_create_rate": 0.0, "stall_rate": 0.0,
            "lost_callback_rate": 0.0, "duplicate_callback_rate": 0.0}
TG_CHAOS = {"rate_limit_rate": 0.03, "rate_limit_retry_after": 1, "redelivery_delays_s": [1, 2, 4, 8, 16]}
STORAGE_CHAOS = {"unavailable": 0.02, "deadline": 0.01, "aborted": 0.01, "commit_lost": 0.01}
STORAGE_CALM = {kind: 0.0 for kind in STORAGE_CHAOS}
# Armed one at a time on top of the random ones: a lost answer where it hurts most (the update claim, a
# top-up, a charge, a Stars refund's debit), in both flavours the client library sees (UNAVAILABLE: it
# retries; DEADLINE_EXCEEDED: it gives up), and one of each other kind.
STORAGE_PLANNED = (
    ("commit_lost", "processed_updates/", "UNAVAILABLE"), ("commit_lost", "ledger/topup_", "DEADLINE_EXCEEDED"),
    ("commit_lost", "ledger/charge_", "DEADLINE_EXCEEDED"), ("commit_lost", "processed_updates/", "DEADLINE_EXCEEDED"),
    ("commit_lost", "ledger/payrefund_", "DEADLINE_EXCEEDED"),
    ("unavailable", None, None), ("deadline", None, None), ("aborted", None, None),
)
FAULT_KINDS = ("create_422", "create_429", "create_455", "create_500", "create_501", "slow_create", "stall",
               "task_fail_501", "task_fail_500", "lost_callback", "duplicate_callback", "telegram_429",
               "storage_unavailable", "storage_deadline", "storage_aborted", "storage_commit_lost",
               "duplicate_task", "worker_kill", "double_confirm")
ATTACK_KINDS = ("race_option_confirm", "old_confirm_button", "reused_file_name", "false_duration",
                "banned_with_invoice_open")


@dataclass
class Size:
    jobs: int = 300
    users: int = 30
    seed: int = 7
    kill_every_s: float = 15.0
    settle_timeout_s: float = 240.0


@dataclass
class Report:
    size: Size
    elapsed_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    attacks: dict[str, int] = field(default_factory=dict)
    invariants: dict[str, list[str]] = field(default_factory=dict)  # name -> violations

    @property
    def ok(self) -> bool:
        return not any(self.invariants.values())

    def text(self) -> str:
        lines = [f"chaos soak: {self.size.users} users, target {self.size.jobs} jobs, seed {self.size.seed}, "
                 f"{self.elapsed_s:.0f} s", "", "counts:"]
        lines += [f"  {k:36s} {v:6d}" for k, v in self.counts.items()]
        lines += ["", "faults injected:"]
        lines += [f"  {k:36s} {self.faults.get(k, 0):6d}" for k in FAULT_KINDS]
        lines += ["", "attacks (hostile users):"]
        lines += [f"  {k:36s} {self.attacks.get(k, 0):6d}" for k in ATTACK_KINDS]
        lines += ["", "invariants:"]
        for name, bad in self.invariants.items():
            lines.append(f"  {'PASS' if not bad else 'FAIL'}  {name}" + (f"  ({len(bad)})" if bad else ""))
            lines += [f"          {example}" for example in examples(bad)]
        return "\n".join(lines)


def examples(violations: list[str], most: int = 4) -> list[str]:
    """A few violations, of different models where they name one (a second word like `vendor/model:`)."""
    seen, picked = set(), []
    for text in violations:
        words = text.split()
        key = words[1] if len(words) > 1 and "/" in words[1] else text
        if key not in seen:
            seen.add(key)
            picked.append(text[:220])
        if len(picked) == most:
            break
    return picked


def kopecks_in(text: str) -> int | None:
    """The price on a confirm button ("✅ Запустить · 7,60 ₽"), or None (free, or no price)."""
    m = PRICE.search(text or "")
    if not m:
        return None
    return int(m.group(1).replace("\u00a0", "").replace(" ", "")) * 100 + int(m.group(2) or 0)


def is_text(record: dict[str, Any]) -> bool:
    return "text" in record["message"]


def field_index(model_id: str, name: str) -> int:
    """Where a field sits in the catalog (button data carry the index)."""
    models = json.loads((ROOT / "shared" / "catalog" / "models.json").read_text(encoding="utf-8"))["models"]
    fields = next(m["fields"] for m in models if m["id"] == model_id)
    return next(i for i, f in enumerate(fields) if f["name"] == name)


class Soak:
    def __init__(self, size: Size, stack: LocalStack):
        self.size = size
        self.stack = stack
        self.sim_url = stack.url("telegram")
        self.kie = httpx.Client(base_url=stack.url("kie"), timeout=10)
        self.storage = FaultControl(stack.fault_control_url)
        self.admin = SimClient(self.sim_url, timeout=60)
        self.lock = threading.Lock()
        self.admin_lock = threading.Lock()  # one admin action at a time: each waits for its reason and confirmation
        self.confirmed: list[str] = []  # job ids the users confirmed
        self.sent: dict[int, set[str]] = {}  # user id -> sha256 of every file the user sent
        self.shown: dict[str, set[int]] = collections.defaultdict(set)  # job id -> prices on pressed buttons
        self.harness = collections.Counter()  # faults and actions of the harness itself
        self.attacks = collections.Counter()
        self.banned_charges: set[str] = set()  # Stars payments made around a ban
        self.invite_links: dict[int, str] = {}  # user -> the payload of their invite link
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.db = invariants.firestore_client(stack)
        self.option_index = field_index(OPTION_MODEL, PRICED_OPTION)
        from shared.clients.tasks import TaskQueue

        env = stack.env()
        self.tasks = TaskQueue(env["GCP_PROJECT"], env["TASKS_LOCATION"], env["TASKS_QUEUE"], env["WORKER_URL"],
                               emulator_host=env["TASKS_EMULATOR_HOST"])

    # --- users ---------------------------------------------------------------

    def want_more(self) -> bool:
        with self.lock:
            return len(self.confirmed) < self.size.jobs and not self.stop.is_set()

    def user_loop(self, uid: int) -> None:
        rng = random.Random(self.size.seed * 1_000_003 + uid)
        hostile = rng.random() < HOSTILE_SHARE
        sim = SimClient(self.sim_url, timeout=60)
        attacks = (self.attack_race, self.attack_old_button, self.attack_reused_name, self.attack_false_duration,
                   self.attack_ban_with_invoice)
        turn = rng.randrange(len(attacks))  # each hostile user goes through every attack in turn
        invited = uid > 10_000 and rng.random() < INVITED_SHARE
        try:
            self.start(sim, uid, invited_by=uid - 1 if invited else None)
            self.top_up(sim, uid, rng.choice((100, 300)))
            n = 0
            while self.want_more():
                n += 1
                if hostile and rng.random() < ATTACK_RATE:
                    attacks[turn % len(attacks)](sim, uid, rng, n)
                    turn += 1
                    continue
                r = rng.random()
                if r < 0.08:
                    self.top_up(sim, uid, rng.choice((100, 300, 500)))
                elif r < 0.38:
                    self.prompt_job(sim, uid, rng.choice(FREE_MODELS), rng, n)
                elif r < 0.78:
                    self.prompt_job(sim, uid, rng.choice(PAID_MODELS), rng, n)
                elif r < 0.89:
                    self.audio_job(sim, uid, rng)
                else:
                    self.edit_job(sim, uid, rng, n)
        except Exception as err:  # a harness bug must show up in the report, not hang the run
            with self.lock:
                self.errors.append(f"user {uid}: {type(err).__name__}: {err}")
        finally:
            sim.close()

    def send(self, sim: SimClient, uid: int, text: str) -> None:
        sim.send_text(uid, text, first_name=f"Soak{uid}", language_code="ru")

    def start(self, sim: SimClient, uid: int, invited_by: int | None) -> None:
        """/start (from the inviter's link, if any), then publish the user's own invite link for others."""
        payload = self.invite_link(invited_by) if invited_by else None
        self.send(sim, uid, f"/start {payload}" if payload else "/start")
        if payload:
            self.harness["invited_users"] += 1
        self.press_data(sim, uid, "refs")
        screen = self.newest(sim, uid, lambda m: INVITE.search(m["message"].get("text") or "") is not None)
        if screen is not None:
            with self.lock:
                self.invite_links[uid] = INVITE.search(screen["message"]["text"]).group(1)

    def invite_link(self, inviter: int, timeout: float = 30.0) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if inviter in self.invite_links:
                    return self.invite_links[inviter]
            time.sleep(0.2)
        return None

    def top_up(self, sim: SimClient, uid: int, rub: int) -> dict | None:
        invoice = self.invoice(sim, uid, rub)
        if invoice is None:
            return None
        paid = sim.pay(uid, invoice["message_id"])
        self.harness["topups_paid" if (paid.get("payment") or {}) else "topups_refused"] += 1
        return paid

    def invoice(self, sim: SimClient, uid: int, rub: int) -> dict | None:
        before = self.last_id(sim, uid)
        self.press_data(sim, uid, f"tu:{rub}")
        invoice = self.newest(sim, uid, lambda m: "invoice" in m["message"], after=before)
        if invoice is None:
            self.harness["abandoned_topups"] += 1
        return invoice

    # --- honest generations ----------------------------------------------------------

    def prompt_job(self, sim: SimClient, uid: int, model: str, rng: random.Random, n: int) -> None:
        screen = self.to_confirm(sim, uid, model, [("text", f"soak user {uid} picture {n}")])
        if screen:
            self.confirm(sim, uid, screen, double=rng.random() < 0.05, duplicate_task=rng.random() < 0.08)

    def audio_job(self, sim: SimClient, uid: int, rng: random.Random) -> None:
        seconds = rng.choice((1, 2, 3, 5))
        screen = self.to_confirm(sim, uid, AUDIO_MODEL, [("voice", (seconds, seconds))])
        if screen:
            self.confirm(sim, uid, screen, duplicate_task=rng.random() < 0.08)

    def edit_job(self, sim: SimClient, uid: int, rng: random.Random, n: int) -> None:
        screen = self.to_confirm(sim, uid, EDIT_MODEL, [("text", f"soak user {uid} edit {n}"), ("photo", None)])
        if screen:
            self.confirm(sim, uid, screen, double=rng.random() < 0.05)

    # --- attacks -----------------------------------------------------------------------

    def attack_race(self, sim: SimClient, uid: int, rng: random.Random, n: int) -> None:
        """Change a priced option and confirm at the same time (Telegram delivers one user's updates in
        parallel): the job must run what was priced, at the price on the button."""
        screen = self.to_confirm(sim, uid, OPTION_MODEL, [("text", f"soak user {uid} race {n}")])
        picker = screen and self.open_option(sim, uid, screen)
        if not picker:
            return
        set_data = self.first_data(picker, f"set:{self.job_of(screen)}:{self.option_index}:")
        ok = self.ok_data(screen)
        self.attacks["race_option_confirm"] += 1
        other = threading.Thread(target=sim.press, args=(uid, picker["message_id"]), kwargs={"data": set_data})
        other.start()
        self.press_confirm(sim, uid, screen, ok)
        other.join()
        self.after_confirm(sim, uid, screen)

    def attack_old_button(self, sim: SimClient, uid: int, rng: random.Random, n: int) -> None:
        """Change a priced option, then press the confirm button of the screen as it was before."""
        screen = self.to_confirm(sim, uid, OPTION_MODEL, [("text", f"soak user {uid} old button {n}")])
        picker = screen and self.open_option(sim, uid, screen)
        if not picker:
            return
        option_on = self.first_data(picker, f"set:{self.job_of(screen)}:{self.option_index}:")
        sim.press(uid, picker["message_id"], data=option_on)
        self.attacks["old_confirm_button"] += 1
        self.press_confirm(sim, uid, screen, self.ok_data(screen))
        if self.after_confirm(sim, uid, screen) == "awaiting_input":  # refused (or lost): confirm what is shown now
            now = self.newest(sim, uid, lambda m: self.ok_data(m) is not None)
            if now is not None:
                self.attacks["old_confirm_button_no_job"] += 1
                self.confirm(sim, uid, now)

    def attack_reused_name(self, sim: SimClient, uid: int, rng: random.Random, n: int) -> None:
        """Two drafts whose files have the same name; the first is confirmed after the second was sent."""
        if rng.random() < 0.5:
            name, seconds = "clip.mp3", rng.choice((6, 9, 12))
            first = self.to_confirm(sim, uid, AUDIO_MODEL, [("audio", (name, media_samples.mp3(1), 1))])
            second = first and self.to_confirm(sim, uid, AUDIO_MODEL,
                                               [("audio", (name, media_samples.mp3(seconds), seconds))])
        else:
            name = "image.png"
            pictures = [media_samples.png(320, 240, f"user {uid} draft {n} {side}") for side in ("A", "B")]
            first = self.to_confirm(sim, uid, EDIT_MODEL, [("text", f"soak {uid} {n} A"),
                                                           ("document", (name, pictures[0]))])
            second = first and self.to_confirm(sim, uid, EDIT_MODEL, [("text", f"soak {uid} {n} B"),
                                                                      ("document", (name, pictures[1]))])
        if not first or not second:
            return
        self.attacks["reused_file_name"] += 1
        self.confirm(sim, uid, first)
        self.confirm(sim, uid, second)

    def attack_false_duration(self, sim: SimClient, uid: int, rng: random.Random, n: int) -> None:
        """Audio that is longer than it says: the message declares 1 s, or an MP3 header claims 1 s."""
        real = rng.choice((4, 6, 9, 12))
        if rng.random() < 0.5:
            answer = ("voice", (1, real))
        else:
            answer = ("document", ("talk.mp3", media_samples.mp3_claiming(real, 1), "audio/mpeg"))
        screen = self.to_confirm(sim, uid, AUDIO_MODEL, [answer])
        if screen:
            self.attacks["false_duration"] += 1
            self.confirm(sim, uid, screen)

    def attack_ban_with_invoice(self, sim: SimClient, uid: int, rng: random.Random, n: int) -> None:
        """The admin bans the user while an invoice is open: before they pay, or between the pre-checkout
        and the payment. Stars Telegram took must be credited (or not taken at all)."""
        invoice = self.invoice(sim, uid, rng.choice((100, 300)))
        if invoice is None:
            return
        self.attacks["banned_with_invoice_open"] += 1
        try:
            if rng.random() < 0.5:
                self.set_banned(uid, True)
                paid = sim.pay(uid, invoice["message_id"])
            else:
                result: dict[str, Any] = {}
                payer = threading.Thread(target=lambda: result.update(
                    sim.pay(uid, invoice["message_id"], pause_after_precheckout_s=3)))
                payer.start()
                time.sleep(0.5)
                self.set_banned(uid, True)
                payer.join()
                paid = result
            self.harness["banned_payments_taken" if paid.get("payment") else "banned_payments_refused"] += 1
            if paid.get("payment"):
                with self.lock:
                    self.banned_charges.add(paid["payment"]["charge_id"])
        finally:
            self.set_banned(uid, False)

    # --- wizard steps --------------------------------------------------------------------

    def to_confirm(self, sim: SimClient, uid: int, model: str, answers: list[tuple[str, Any]]) -> dict | None:
        """Start a draft, give the answers, and return the confirmation screen (None: abandoned). The files
        sent are remembered for the user (the provider may get only bytes its user sent)."""
        before = self.last_id(sim, uid)
        self.press_data(sim, uid, f"go:{model}")
        for kind, value in answers:
            if kind == "text":
                self.send(sim, uid, value)
            else:
                digest = self.send_file(sim, uid, kind, value)
                with self.lock:
                    self.sent.setdefault(uid, set()).add(digest)
        confirm, done = self.screen_of(model, "ok:"), self.screen_of(model, "done:")
        screen = self.newest(sim, uid, lambda m: confirm(m) or done(m), after=before)
        if screen is not None and self.ok_data(screen) is None:  # a multi-file step: "done"
            sim.press(uid, screen["message_id"], data=self.first_data(screen, "done:"))
            screen = self.newest(sim, uid, confirm, after=before)
        if screen is None:
            self.harness["abandoned_flows"] += 1
            return None
        return screen

    def screen_of(self, model: str, verb: str):
        """Matches a message with a `verb` button of a draft of `model` (a redelivered update may show an
        older draft's screen while the user is on a new one)."""
        def want(record: dict[str, Any]) -> bool:
            data = self.first_data(record, verb)
            return data is not None and self.model_of(data.split(":")[1]) == model
        return want

    def model_of(self, job_id: str) -> str | None:
        snap = self.db.collection("jobs").document(job_id).get()
        return snap.to_dict().get("model_id") if snap.exists else None

    def send_file(self, sim: SimClient, uid: int, kind: str, value: Any) -> str:
        """Send one file; returns the sha256 of its bytes."""
        if kind == "photo":
            sent = sim.send_photo(uid, width=320, height=240)
            message = next(m for m in sim.messages(uid)["messages"] if m["message_id"] == sent["message_id"])
            data, _ = sim.file_bytes(message["message"]["photo"][-1]["file_id"])
            return hashlib.sha256(data).hexdigest()
        if kind == "voice":
            declared, real = value
            data = media_samples.ogg_opus(real)
            sim.send_file(uid, "voice", duration=declared, mime_type="audio/ogg", content_b64=_b64(data))
        elif kind == "audio":
            name, data, declared = value
            sim.send_file(uid, "audio", file_name=name, duration=declared, mime_type="audio/mpeg",
                          content_b64=_b64(data))
        else:  # a document: (name, bytes[, mime])
            name, data, *mime = value
            mime_type = mime[0] if mime else "image/png"
            sim.send_file(uid, "document", file_name=name, mime_type=mime_type, content_b64=_b64(data))
        return hashlib.sha256(data).hexdigest()

    def open_option(self, sim: SimClient, uid: int, screen: dict) -> dict | None:
        """Press the priced option's button on a confirmation screen; returns its picker."""
        job = self.job_of(screen)
        edit = f"edit:{job}:{self.option_index}"
        if edit not in self.datas(screen):
            return None
        sim.press(uid, screen["message_id"], data=edit)
        picker = self.newest(sim, uid, lambda m: self.first_data(m, f"set:{job}:{self.option_index}:") is not None)
        if picker is None:
            self.harness["abandoned_flows"] += 1
        return picker

    def confirm(self, sim: SimClient, uid: int, screen: dict, double: bool = False,
                duplicate_task: bool = False) -> None:
        data = self.ok_data(screen)
        if double:  # a nervous double tap: two concurrent presses of the same button
            self.harness["double_confirm"] += 1
            other = threading.Thread(target=sim.press, args=(uid, screen["message_id"]), kwargs={"data": data})
            other.start()
            self.press_confirm(sim, uid, screen, data)
            other.join()
        else:
            self.press_confirm(sim, uid, screen, data)
        if duplicate_task:
            self.duplicate_start_task(self.job_of(screen))
        self.after_confirm(sim, uid, screen)

    def press_confirm(self, sim: SimClient, uid: int, screen: dict, data: str) -> None:
        """Press a confirm button, remembering the price it showed (the job may cost only that)."""
        label = next((b.get("text", "") for row in (screen["message"].get("reply_markup") or {}).get(
            "inline_keyboard", []) for b in row if b.get("callback_data") == data), "")
        price = kopecks_in(label)
        if price:
            with self.lock:
                self.shown[self.job_of(screen)].add(price)
        sim.press(uid, screen["message_id"], data=data)

    def after_confirm(self, sim: SimClient, uid: int, screen: dict) -> str | None:
        job_id = self.job_of(screen)
        state = self.wait_terminal(job_id)
        if state == "awaiting_input":  # refused at confirm (funds, or a stale button): no job was made
            self.harness["refused_at_confirm"] += 1
        else:
            with self.lock:
                self.confirmed.append(job_id)
        return state

    def set_banned(self, uid: int, banned: bool) -> None:
        """The admin presses ban/unban in the panel, types the reason and confirms, until the user document
        says so (storage faults)."""
        with self.admin_lock:
            self._set_banned(uid, banned)

    def _set_banned(self, uid: int, banned: bool) -> None:
        ref = self.db.collection("users").document(str(uid))
        for _ in range(8):
            last = self.newest(self.admin, ADMIN, is_text, timeout=0)
            if last is None:
                self.send(self.admin, ADMIN, "/admin")
            else:
                self.admin.press(ADMIN, last["message_id"], data=f"adm:{'ban' if banned else 'unban'}:{uid}")
                self.send(self.admin, ADMIN, "soak")
                confirm = self.newest(self.admin, ADMIN, lambda r: any(
                    b.get("callback_data", "").startswith("adm:do:")
                    for row in (r["message"].get("reply_markup") or {}).get("inline_keyboard", []) for b in row),
                    after=last["message_id"], timeout=4)
                if confirm is not None:
                    data = next(b["callback_data"] for row in confirm["message"]["reply_markup"]["inline_keyboard"]
                                for b in row if b.get("callback_data", "").startswith("adm:do:"))
                    self.admin.press(ADMIN, confirm["message_id"], data=data)
            snap = ref.get()
            if snap.exists and bool(snap.to_dict().get("banned")) == banned:
                self.harness["bans" if banned else "unbans"] += 1
                return
            time.sleep(1.0)
        with self.lock:
            self.errors.append(f"user {uid}: could not {'ban' if banned else 'unban'}")

    def wait_terminal(self, job_id: str, timeout: float = 25.0) -> str | None:
        """Like a person, wait for the result before the next one (a stuck job is left to the sweep)."""
        ref = self.db.collection("jobs").document(job_id)
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            snap = ref.get()
            state = snap.to_dict().get("state") if snap.exists else None
            if state is None or state in TERMINAL | {"awaiting_input"}:
                break
            time.sleep(0.3)
        return state

    def press_data(self, sim: SimClient, uid: int, data: str) -> None:
        """Press a button with `data` on the newest text message of the bot (a menu, not a result: the bot
        edits the message a button belongs to); with none yet (the bot lost the user's /start), type /start
        again first, as a person would."""
        last = self.newest(sim, uid, is_text, timeout=0)
        for _ in range(3):
            if last is not None:
                break
            self.send(sim, uid, "/start")
            last = self.newest(sim, uid, is_text)
        if last is None:
            self.harness["bot_never_answered"] += 1
            return
        sim.press(uid, last["message_id"], data=data)

    @staticmethod
    def datas(record: dict[str, Any]) -> list[str]:
        markup = record["message"].get("reply_markup") or {}
        return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]

    def first_data(self, record: dict[str, Any], prefix: str) -> str | None:
        return next((d for d in self.datas(record) if d.startswith(prefix)), None)

    def ok_data(self, record: dict[str, Any]) -> str | None:
        return self.first_data(record, "ok:")

    def job_of(self, screen: dict[str, Any]) -> str:
        return self.ok_data(screen).split(":")[1]

    @staticmethod
    def last_id(sim: SimClient, uid: int) -> int:
        messages = sim.messages(uid)["messages"]
        return messages[-1]["message_id"] if messages else 0

    @staticmethod
    def newest(sim: SimClient, uid: int, want, after: int = 0, timeout: float = 8.0) -> dict[str, Any] | None:
        """The newest bot message matching `want` (waiting a little: a 429 or a redelivered update may
        delay the bot's reply)."""
        deadline = time.monotonic() + timeout
        while True:
            for record in reversed(sim.messages(uid)["messages"]):
                if record["from_bot"] and not record["deleted"] and record["message_id"] > after and want(record):
                    return record
            if time.monotonic() > deadline:
                return None
            sim.wait(uid, timeout=1.0)

    # --- the harness's own faults ------------------------------------------------

    def duplicate_start_task(self, job_id: str) -> None:
        """The same task name again: the emulator delivers it twice (Cloud Tasks may, too)."""
        from shared import runtime
        from shared.app.tasks import start_task_name

        runtime.run(self.tasks.enqueue(start_task_name(job_id), {"kind": "start", "job_id": job_id}), timeout=30)
        self.harness["duplicate_task"] += 1

    def killer(self) -> None:
        rng = random.Random(self.size.seed)
        while not self.stop.wait(self.size.kill_every_s * rng.uniform(0.6, 1.4)):
            self.stack.kill_function("worker")
            self.harness["worker_kill"] += 1
            time.sleep(rng.uniform(0.1, 0.8))
            self.stack.start_function("worker")

    def refunder(self) -> None:
        """The admin refunds some Stars payments (refused when the money was already spent)."""
        rng = random.Random(self.size.seed + 1)
        sim = SimClient(self.sim_url, timeout=60)
        self.send(sim, ADMIN, "/start")
        done: set[str] = set()
        while not self.stop.wait(rng.uniform(1.0, 3.0)):
            payments = [p for p in sim.payments() if p["telegram_payment_charge_id"] not in done]
            if payments:
                charge = rng.choice(payments)["telegram_payment_charge_id"]
                done.add(charge)
                self.send(sim, ADMIN, f"/refund {charge}")
                self.harness["refund_requests"] += 1
        sim.close()

    def switcher(self) -> None:
        """Alternate the failure code of finished tasks between 501 and 500, and make sure each createTask
        fault code, each failure code and each storage fault happens at least once (armed one at a time, on
        top of the random ones)."""
        codes = ("500", "501")
        armed = [int(c) for c in KIE_CHAOS["create_fault_codes"].split(",")]
        planned = list(STORAGE_PLANNED)
        i = 0
        while not self.stop.wait(3.0):
            i += 1
            change: dict[str, Any] = {"task_fail_code": codes[i % 2]}
            if armed:
                change.update(create_fault=armed.pop(0), create_fault_count=1)
            self.kie.post("/sim/config", json=change)
            if i <= 2:
                self.kie.post("/sim/outcomes", json={"outcomes": ["fail"]})
            if planned:
                kind, match, code = planned.pop(0)
                self.storage.plan(kind, match=match, code=code)

    def scheduler(self) -> None:
        """Cloud Scheduler's part: the reconciliation sweep on a short interval."""
        while not self.stop.wait(5.0):
            try:
                self.stack.call_scheduled("sweep")
            except httpx.HTTPError:
                pass  # the worker-side faults can make a sweep fail; the next one runs anyway

    # --- the run -----------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self.kie.post("/sim/config", json=KIE_CHAOS).raise_for_status()
        SimClient(self.sim_url).configure(**TG_CHAOS)
        self.send(self.admin, ADMIN, "/admin")
        self.storage.set(**STORAGE_CHAOS)
        helpers = [threading.Thread(target=f, daemon=True) for f in (self.killer, self.refunder, self.switcher,
                                                                 self.scheduler)]
        users = [threading.Thread(target=self.user_loop, args=(10_000 + i,), daemon=True)
                 for i in range(self.size.users)]
        for thread in helpers + users:
            thread.start()
        for thread in users:
            thread.join()
        self.drain()  # the faults stay on until the worker has taken every confirmed job
        self.stop.set()
        for thread in helpers:
            thread.join()
        if "worker" not in self.stack._procs:
            self.stack.start_function("worker")
        # Faults stop; what is in flight settles through callbacks, polls, redeliveries and the sweep.
        self.storage.set(**STORAGE_CALM)
        self.kie.post("/sim/config", json=KIE_CALM).raise_for_status()
        SimClient(self.sim_url).configure(rate_limit_rate=0.0)
        settled = self.settle()
        report = Report(self.size, elapsed_s=time.monotonic() - started)
        check(report, self.stack, settled, self.sent, self.shown, self.banned_charges)
        report.faults.update(self.injected())
        report.attacks.update({k: v for k, v in self.attacks.items()})
        report.counts["harness_errors"] = len(self.errors)
        report.invariants["the harness itself ran without errors"] = list(self.errors)
        for key in ("double_confirm", "topups_paid", "topups_refused", "abandoned_flows", "refused_at_confirm",
                    "abandoned_topups", "bot_never_answered", "invited_users", "refund_requests", "worker_kill",
                    "duplicate_task",
                    "bans", "unbans",
                    "banned_payments_taken", "banned_payments_refused"):
            report.counts.setdefault(key, self.harness.get(key, 0))
        report.counts["old_confirm_button_no_job"] = self.attacks.get("old_confirm_button_no_job", 0)
        return report

    def drain(self) -> None:
        from google.cloud import firestore

        waiting = self.db.collection("jobs").where(filter=firestore.FieldFilter("state", "==", "confirmed"))
        deadline = time.monotonic() + self.size.settle_timeout_s
        while time.monotonic() < deadline and waiting.count().get()[0][0].value:
            time.sleep(1.0)

    def settle(self) -> bool:
        """Run the reconciliation sweep until every job is terminal and delivered and Telegram has no
        update left to send again (or time runs out)."""
        deadline = time.monotonic() + self.size.settle_timeout_s
        while time.monotonic() < deadline:
            jobs = invariants.read_firestore(self.stack)["jobs"]
            open_ = [j for j in jobs if j["state"] not in TERMINAL and j["state"] != "awaiting_input"]
            undelivered = [j for j in jobs if j["state"] == "succeeded" and not j.get("delivered_at")]
            if not open_ and not undelivered and not self.admin.webhook()["pending_redeliveries"]:
                return True
            time.sleep(2.0)
            self.stack.call_scheduled("sweep")
        return False

    def injected(self) -> dict[str, int]:
        kie = self.kie.get("/sim/config").json().get("injected", {})
        tg = SimClient(self.sim_url).injected()
        faults = dict(kie)
        faults["telegram_429"] = tg.get("429", 0)
        faults.update({f"storage_{k}": v for k, v in self.storage.injected().items()})
        for key in ("duplicate_task", "worker_kill", "double_confirm"):
            faults[key] = self.harness.get(key, 0)
        return faults


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- reading the outcome ------------------------------------------------------------

def check(report: Report, stack: LocalStack, settled: bool, sent: dict[int, set[str]],
          shown: dict[str, set[int]], banned_charges: set[str] = frozenset()) -> None:
    world = invariants.read_world(stack)
    sim = SimClient(stack.url("telegram"))
    inv = report.invariants
    inv["settled: every job terminal and every success delivered in time"] = [] if settled else ["timed out"]
    inv.update(invariants.money_invariants(world))
    for name in ("every Stars payment credited exactly once", "every Stars refund debited exactly once, "
                 "nothing derived from it kept"):  # say which payments were made around a ban
        inv[name] = [f"{v} [paid around a ban]" if v.split()[0] in banned_charges else v for v in inv[name]]
    inv["every success delivered to its own chat"] = delivered(world, sim)
    inv["the provider got exactly the priced files, each sent by the job's user"] = (
        invariants.provider_got_the_users_inputs(world, sent))
    inv["every paid job cost the price on the button its user pressed"] = invariants.charged_a_price_shown(world, shown)
    inv["no user got a message meant for another"] = foreign_messages(world, sim)

    jobs, ledger = world.jobs, world.ledger
    states = collections.Counter(j["state"] for j in jobs)
    report.counts.update({
        "users": len([u for u in world.users if u["user_id"] != ADMIN]),
        "jobs": len(jobs),
        "jobs_paid": sum(1 for j in jobs if not j.get("is_free")),
        "jobs_free": sum(1 for j in jobs if j.get("is_free")),
        **{f"jobs_{model.split('/')[-1]}": n for model, n in sorted(collections.Counter(
            j["model_id"] for j in jobs).items())},
        **{f"state_{k}": v for k, v in sorted(states.items())},
        "charges": sum(1 for e in ledger if e["kind"] == "charge"),
        "refunds": sum(1 for e in ledger if e["kind"] == "refund"),
        "payment_refunds": sum(1 for e in ledger if e["kind"] == "payment_refund"),
        "topups": sum(1 for e in ledger if e["kind"] == "topup"),
        "referral_shares": sum(1 for e in ledger if e["kind"] == "referral"),
        "stars_payments": len(world.payments),
        "stars_refunded": sum(1 for p in world.payments if p.get("refunded")),
        "deliveries": sum(1 for j in jobs if j.get("delivered_at")),
        "redeliveries": sum(1 for j in jobs if (j.get("delivery_attempts") or 0) > 1),
        "drafts_left": len(world.drafts),
        **invariants.provider_facts(world),
        **webhook_facts(sim),
    })
    sim.close()


def webhook_facts(sim: SimClient) -> dict[str, int]:
    """How often the webhook did not take an update (a storage fault it did not survive), and the retries."""
    deliveries = [d for d in sim.deliveries() if not d.get("skipped")]
    return {"webhook_not_2xx": sum(1 for d in deliveries if not 200 <= (d.get("webhook_status") or 0) < 300),
            "telegram_redeliveries": sum(1 for d in deliveries if d.get("attempt", 1) > 1)}


def delivered(world: invariants.World, sim: SimClient) -> list[str]:
    """Every success reached its user's chat as the messages it recorded."""
    bad, chats = [], {}
    for j in world.jobs:
        if j["state"] != "succeeded":
            continue
        if not j.get("delivered_at") or not j.get("delivered_message_ids"):
            bad.append(f"{j['id']} {j['model_id']}: not delivered")
            continue
        if j["chat_id"] not in chats:
            chats[j["chat_id"]] = {m["message_id"]: m for m in sim.messages(j["chat_id"])["messages"] if m["from_bot"]}
        sent = [chats[j["chat_id"]].get(message_id) for message_id in j["delivered_message_ids"]]
        media = ("photo", "audio", "document", "video", "voice")
        if None in sent or not any(kind in m["message"] for m in sent for kind in media):
            # (several results come as an album plus a follow-up message with the buttons)
            bad.append(f"{j['id']} {j['model_id']}: delivered messages {j['delivered_message_ids']} are not "
                       f"in its chat, or none carries the result")
    return bad


def foreign_messages(world: invariants.World, sim: SimClient) -> list[str]:
    jobs_by_rq = {j.get("request_id"): j for j in world.jobs}
    foreign = []
    for user in world.users:
        uid = user["user_id"]
        for m in sim.messages(uid)["messages"]:
            if not m["from_bot"]:
                continue
            text = (m["message"].get("text") or "") + (m["message"].get("caption") or "")
            for code in RQ.findall(text):
                job = jobs_by_rq.get(code)
                if job is not None and job["user_id"] != uid and uid != ADMIN:
                    foreign.append(f"chat {uid} got {code} of user {job['user_id']}")
    return foreign


def run(size: Size, log_dir: str = ".local/soak-logs") -> Report:
    env = dict(STACK_ENV)
    if size.users > 30:  # more users, a longer backlog of start tasks behind the emulator's serial dispatch
        env["SWEEP_QUIET_S"] = str(max(15, size.users // 2))
    with LocalStack(StackPorts.free(), extra_env=env, log_dir=log_dir, firestore_faults=True) as stack:
        return Soak(size, stack).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=Size.jobs)
    parser.add_argument("--users", type=int, default=Size.users)
    parser.add_argument("--seed", type=int, default=Size.seed)
    parser.add_argument("--kill-every", type=float, default=Size.kill_every_s, help="seconds between worker kills")
    parser.add_argument("--violations", help="write every violation (not just examples) to this JSON file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind, so the stack is stopped
    report = run(Size(jobs=args.jobs, users=args.users, seed=args.seed, kill_every_s=args.kill_every))
    print(report.text())
    if args.violations:
        with open(args.violations, "w", encoding="utf-8") as out:
            json.dump(report.invariants, out, ensure_ascii=False, indent=1)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
