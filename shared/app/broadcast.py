"""Admin broadcast ("Рассылка"): one HTML message to every user, paced under Telegram's limits,
resumable, with a progress message the admin watches.

How it runs
- `start` counts the users, sends the admin "📣 Рассылка: 0 из N", writes `broadcasts/{id}` (see
  shared/storage/broadcasts.py) and enqueues the Cloud Task `bc-<id>-1` (kind `broadcast`, shared/app/tasks.py).
- Each task runs `run_batch` in the worker. A batch takes the broadcast's lease in a
  transaction, then sends to users in `user_id` order after `cursor_user_id`, one at a time, paced at
  `BROADCAST_RATE` messages per second (default 25; Telegram allows about 30/s to different chats).
  After ~40 s (`BATCH_BUDGET_S`) it saves, releases the lease and enqueues `bc-<id>-<n+1>`; the last
  batch sets `done`, edits the progress message to the final counts and sends the admin a report.
- Per user: `RetryAfter` → everything waits `retry_after`, then the same user again (at most
  `RETRY_ATTEMPTS` times); a wait longer than the batch has left ends the batch and the next one is
  scheduled after it. `Forbidden` (blocked the bot, deactivated) counts as blocked and sets
  `users/{id}.blocked_bot`; other errors count as failed; banned users are skipped.
- Progress (cursor, counters, flags) is saved every `SAVE_EVERY` sends; each save renews the lease and
  notices a cancel (`cancel` sets `cancelled`; the running batch stops at its next save). The progress
  message is edited at most every `PROGRESS_EVERY_S`.

Duplicates and crashes
- A second delivery of a task whose batch is running finds the lease taken and returns "retry" (503);
  a task for an older batch than `batch_no` is stale and does nothing. Task names `bc-<id>-<n>` make
  Cloud Tasks refuse a duplicate enqueue (the local emulator does not; the lease covers that).
- The next task is enqueued before the lease is released, so a failed enqueue leaves the batch to be
  retried; a crash after the enqueue leaves the next batch to take over once the lease passes.
- A batch that dies between saves is redone from the last saved cursor after its lease passes
  (`LEASE`), so the users sent since that save — at most `SAVE_EVERY` — get the message twice.
  That is the price of not writing to Firestore after every single send.
- Sends are sequential, so a Bot API round trip longer than 1/rate (40 ms at 25/s) lowers the rate.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut

from shared.app.tasks import Outcome, enqueue_batch
from shared.clients import telegram
from shared.clients.telegram import retry_seconds
from shared.domain.broadcast import Commit, Lease, Pacer, Sent
from shared.domain.clock import utcnow
from shared.domain.users import User
from shared.logs import mask_user
from shared.ui.admin import notices

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("broadcast")

DEFAULT_RATE = 25  # messages per second; Telegram: "avoid more than 30 per second" to different chats
BATCH_BUDGET_S = 40.0  # sending time per task, well inside the task's 2 min dispatch deadline
PAGE_SIZE = 100  # users read per query
SAVE_EVERY = 25  # sends between progress saves: the most users a crash makes get it twice
PROGRESS_EVERY_S = 3.0  # the admin's progress message is edited at most this often
LEASE = timedelta(seconds=60)  # renewed at every save; after it another delivery may take over
RETRY_ATTEMPTS = 5  # sends to one user on RetryAfter / network errors before it counts as failed
NEXT_BATCH_DELAY = timedelta(seconds=1)
MAX_TEXT = 4096  # Telegram's limit for a text message


class BroadcastError(ValueError):
    """The broadcast cannot start (not an admin, empty or too long text)."""


# --- start / cancel -------------------------------------------------------------------------------

async def start(c: "Container", admin_id: int, chat_id: int, text: str) -> str:
    """Create the broadcast, show the admin "📣 Рассылка: 0 из N" and queue the first batch; its id."""
    if admin_id not in c.settings.admin_ids:
        raise BroadcastError(f"user {admin_id} is not an admin")
    if not text.strip() or len(text) > MAX_TEXT:
        raise BroadcastError(f"the text must be 1..{MAX_TEXT} characters")
    rate = c.settings.broadcast_rate
    admin = await c.store.users.get(admin_id)
    lang = admin.language if admin else "ru"
    broadcast_id = uuid.uuid4().hex[:16]
    total = await c.store.users.count()
    doc = {"status": "queued", "total": total, "sent": 0, "failed": 0, "blocked": 0, "skipped": 0}
    message_id = await telegram.send(c.bot, chat_id, notices.broadcast_progress(lang, doc))
    await c.store.broadcasts.create(broadcast_id, admin_id=admin_id, admin_chat_id=chat_id, lang=lang,
                            text=text, total=total, rate=rate, progress_message_id=message_id)
    await enqueue_batch(c, broadcast_id, 1)
    log.info("broadcast %s started by %s: %d users at %g/s", broadcast_id, mask_user(admin_id), total, rate)
    return broadcast_id


async def send_previewed(c: "Container", admin: User, chat_id: int, preview_id: str = "",
                         reason: str | None = None) -> bool:
    """The text of the preview whose button was pressed, to every user (logged), once; False when that
    preview was sent already or replaced by a newer one (its button would send another text)."""
    draft = await c.store.admin.take_draft("broadcast", admin.user_id, preview_id) if preview_id else None
    if not draft or not draft.get("text"):
        return False
    broadcast_id = await start(c, admin.user_id, chat_id, draft["text"])
    await c.store.admin.log_action(admin.user_id, "broadcast", broadcast_id, None, draft["text"][:200], reason=reason)
    return True


async def cancel(c: "Container", broadcast_id: str) -> bool:
    """Stop a broadcast: a running batch stops at its next save. False if it had already ended."""
    doc = await c.store.broadcasts.cancel(broadcast_id)
    if doc is None:
        return False
    await _edit_progress(c, {**doc, "status": "cancelled"})
    return True


async def _edit_progress(c: "Container", doc: dict[str, Any]) -> None:
    """Cosmetic: "message is not modified", a flood wait, a deleted message are only logged."""
    if doc.get("progress_message_id"):
        await telegram.edit(c.bot, doc["admin_chat_id"], doc["progress_message_id"],
                            notices.broadcast_progress(doc["lang"], doc))


# --- a batch --------------------------------------------------------------------------------------

async def run_batch(c: "Container", broadcast_id: str, batch_no: int, *, budget_s: float = BATCH_BUDGET_S,
                    rate: float | None = None) -> Outcome:
    """One Cloud Task's share of the broadcast: DONE (finished, handed over or nothing to do) or RETRY
    (another delivery holds the lease: ask Cloud Tasks to come back later)."""
    owner = uuid.uuid4().hex
    status, doc = await c.store.broadcasts.take_lease(broadcast_id, batch_no, owner, LEASE)
    if status == Lease.BUSY:
        return Outcome.RETRY
    if status != Lease.TAKEN:
        log.info("broadcast %s batch %d: %s", broadcast_id, batch_no, status)
        return Outcome.DONE
    batch = _Batch(c, broadcast_id, batch_no, owner, doc, Pacer(rate or doc.get("rate") or DEFAULT_RATE),
                   deadline=time.monotonic() + budget_s)
    return await batch.run()


class Stop(StrEnum):
    """Why a batch stopped sending."""

    END = "end"  # every user handled
    BUDGET = "budget"  # its time is up (or a flood wait outlasts it): the next batch goes on
    CANCELLED = "cancelled"
    LOST = "lost"  # another delivery took over after our lease passed


@dataclass
class _Batch:
    c: "Container"
    broadcast_id: str
    batch_no: int
    owner: str
    doc: dict[str, Any]  # the broadcast as this batch sees it: counters and cursor advance here first
    pacer: Pacer
    deadline: float  # monotonic: no send starts after it
    clock: Callable[[], float] = time.monotonic
    unsaved: int = 0
    flags: dict[int, bool] = field(default_factory=dict)  # users.blocked_bot changes not saved yet
    last_edit: float = 0.0
    stop: Stop | None = None
    wait_s: float = 0.0  # a flood wait that ended the batch: the next one starts after it

    async def run(self) -> Outcome:
        await self.send_all()
        if self.stop == Stop.END:
            return await self.finish()
        if self.stop == Stop.BUDGET:
            return await self.hand_over()
        return await self.stopped()

    async def send_all(self) -> None:
        while not self.stop:
            users = await self.c.store.broadcasts.users_after(self.doc["cursor_user_id"], PAGE_SIZE)
            for user in users:
                if self.clock() >= self.deadline:
                    self.stop = Stop.BUDGET
                elif not await self.handle(user):
                    self.stop = Stop.BUDGET  # a flood wait longer than the batch has left
                elif self.unsaved >= SAVE_EVERY:
                    await self.save(LEASE)
                if self.stop:
                    return
            if len(users) < PAGE_SIZE:
                self.stop = Stop.END

    async def handle(self, user: dict[str, Any]) -> bool:
        """Send to one user and count it; False when it must wait for the next batch (not handled)."""
        if user.get("banned"):
            outcome = Sent.SKIPPED
        else:
            outcome = await self.send(user.get("chat_id") or user["user_id"])
        if outcome == Sent.DEFER:
            return False
        self.doc[outcome] += 1
        self.doc["cursor_user_id"] = user["user_id"]
        self.unsaved += 1
        if outcome == Sent.BLOCKED and not user.get("blocked_bot"):
            self.flags[user["user_id"]] = True
        elif outcome == Sent.SENT and user.get("blocked_bot"):
            self.flags[user["user_id"]] = False
        return True

    async def send(self, chat_id: int) -> Sent:
        for attempt in range(RETRY_ATTEMPTS):
            await self.paced()
            try:
                await self.c.bot.send_message(chat_id, self.doc["text"], parse_mode=ParseMode.HTML)
                return Sent.SENT
            except RetryAfter as err:
                wait = retry_seconds(err)
                if self.clock() + wait > self.deadline:
                    self.wait_s = wait
                    return Sent.DEFER
                self.pacer.hold(self.clock() + wait)
            except Forbidden:
                return Sent.BLOCKED
            except (BadRequest, TimedOut) as err:  # a timed-out send may have arrived: never send it twice
                log.info("broadcast send failed: %s", err)
                return Sent.FAILED
            except TelegramError as err:
                log.info("broadcast send failed (attempt %d): %s", attempt + 1, err)
                self.pacer.hold(self.clock() + 0.5 * 2 ** attempt)
        return Sent.FAILED

    async def paced(self) -> None:
        while (wait := self.pacer.delay(self.clock())) > 0:
            await asyncio.sleep(wait)
        self.pacer.record(self.clock())

    async def save(self, lease: timedelta | None, **extra: Any) -> Commit:
        keys = ("cursor_user_id", "sent", "failed", "blocked", "skipped")
        result = await self.c.store.broadcasts.commit(self.broadcast_id, self.owner,
                                         {**{k: self.doc[k] for k in keys}, **extra}, lease, self.flags)
        if result == Commit.OK:
            self.unsaved, self.flags = 0, {}
        if result in (Commit.CANCELLED, Commit.LOST):
            self.stop = Stop(result.value)
        elif self.clock() - self.last_edit >= PROGRESS_EVERY_S and lease is not None:
            self.last_edit = self.clock()
            await _edit_progress(self.c, self.doc)
        return result

    async def hand_over(self) -> Outcome:
        """Save, queue the next batch, then release the lease (a failed enqueue: this task is retried)."""
        if await self.save(LEASE) != Commit.OK:
            return await self.stopped()
        delay = max(NEXT_BATCH_DELAY, timedelta(seconds=self.wait_s))
        try:
            await enqueue_batch(self.c, self.broadcast_id, self.batch_no + 1, delay=delay)
        except Exception:
            log.exception("broadcast %s: could not queue batch %d", self.broadcast_id, self.batch_no + 1)
            await self.save(None)  # let the retry of this task take the lease at once
            return Outcome.RETRY
        if await self.save(None, batch_no=self.batch_no + 1) != Commit.OK:
            return await self.stopped()
        log.info("broadcast %s batch %d handed over at user %s", self.broadcast_id, self.batch_no,
                 mask_user(self.doc["cursor_user_id"]))
        return Outcome.DONE

    async def finish(self) -> Outcome:
        now = utcnow()
        if await self.save(None, status="done", finished_at=now) != Commit.OK:
            return await self.stopped()
        self.doc["status"] = "done"
        await _edit_progress(self.c, self.doc)
        started = self.doc.get("started_at") or self.doc["created_at"]
        await telegram.send(self.c.bot, self.doc["admin_chat_id"],
                            notices.broadcast_report(self.doc["lang"], self.doc, (now - started).total_seconds()))
        log.info("broadcast %s done: %s", self.broadcast_id, {k: self.doc[k] for k in ("sent", "failed", "blocked")})
        return Outcome.DONE

    async def stopped(self) -> Outcome:
        """Cancelled (show it) or lost (another delivery took over after our lease passed)."""
        if self.stop == Stop.CANCELLED:
            await _edit_progress(self.c, {**self.doc, "status": "cancelled"})
        return Outcome.DONE
