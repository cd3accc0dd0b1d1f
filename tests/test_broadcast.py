"""Admin broadcast: pure pacing and texts, then through the real stack (Firestore emulator, Cloud Tasks
emulator -> generation_worker, Telegram simulator)."""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.app import broadcast as bc
from shared.bootstrap import container
from shared.ui.admin import notices
from tests.conftest import run
from tests.helpers import TgUser, text_of

ADMIN = 1001
TEXT = "<b>Новости AI Studio</b>: скидка 20% на видео 🎬"
PLAIN = "Новости AI Studio: скидка 20% на видео 🎬"


# --- pure -----------------------------------------------------------------------------------------

def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open window [t, t + window)."""
    times, best, j = sorted(times), 0, 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def simulate(pacer: bc.Pacer, sends: int, latency: float = 0.004, holds: dict[int, float] | None = None) -> list[float]:
    """Start times of `sends` sends through the pacer on a fake clock."""
    now, starts = 0.0, []
    for n in range(sends):
        now += pacer.delay(now)
        pacer.record(now)
        starts.append(now)
        now += latency
        if holds and n in holds:
            pacer.hold(now + holds[n])
    return starts


@pytest.mark.parametrize("rate", [25, 30, 7])
def test_pacer_never_exceeds_the_rate_in_any_second(rate):
    starts = simulate(bc.Pacer(rate), 200)
    assert max_in_window(starts) <= int(rate)
    assert starts[-1] == pytest.approx(199 / rate, rel=0.05), "and it keeps up the rate"


def test_pacer_waits_out_retry_after():
    starts = simulate(bc.Pacer(25), 10, holds={4: 2.0})
    assert starts[5] - starts[4] >= 2.0
    assert all(b - a >= 1 / 25 - 1e-9 for a, b in zip(starts, starts[1:]))


def test_progress_texts():
    doc = {"status": "running", "total": 1200, "sent": 325, "failed": 3, "blocked": 12, "skipped": 0}
    assert notices.broadcast_progress("ru", doc).text == "📣 Рассылка: 340 из 1200 · ошибок 3 · заблокировали 12"
    assert notices.broadcast_progress("ru", {**doc, "failed": 0, "blocked": 0, "sent": 0}).text == "📣 Рассылка: 0 из 1200"
    assert notices.broadcast_progress("ru", {**doc, "status": "done"}).text.startswith("✅ Рассылка завершена: 340 из 1200")
    assert notices.broadcast_progress("en", doc).text == "📣 Broadcast: 340 of 1200 · errors 3 · blocked the bot 12"
    assert "за 1:05" in notices.broadcast_report("ru", doc, 65.4).text


# --- through the stack ----------------------------------------------------------------------------

def make_users(stack, ids) -> list[TgUser]:
    users = [TgUser(stack.url("telegram"), uid) for uid in ids]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda u: u.send("/start"), users))
    return users


def received(u: TgUser) -> int:
    return sum(1 for r in u.bot_messages() if text_of(r) == PLAIN)


def wait_status(db, broadcast_id, status, timeout=25.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = run(db.broadcasts.get(broadcast_id))
        if doc["status"] == status:
            return doc
        time.sleep(0.3)
    raise AssertionError(f"broadcast still {doc['status']}: {doc}")


def user_doc(db, uid) -> dict:
    async def read():
        return (await db.db.collection("users").document(str(uid)).get()).to_dict()

    return run(read())


class RecordingQueue:
    """Stands in for Cloud Tasks when a test runs the batches itself."""

    def __init__(self):
        self.tasks: list[tuple[str, dict]] = []

        self.delays: list = []

    async def enqueue(self, name, payload, delay=None):
        self.tasks.append((name, payload))
        self.delays.append(delay)
        return True


def own_container():
    from shared.bootstrap import Container

    c = Container(container().settings)
    c.queue = RecordingQueue()
    return c


def test_broadcast_reaches_everyone_once_paced_with_retry_after_and_a_report(clean_stack, db):
    admin = make_users(clean_stack, [ADMIN])[0]
    users = make_users(clean_stack, range(9100, 9160))
    blocked, banned = {9105, 9120, 9140}, 9150
    for uid in blocked:
        admin.sim._post(f"/users/{uid}/block", {"blocked": True})
    run(db.users.set_fields(banned, banned=True))

    broadcast_id = run(bc.start(container(), ADMIN, ADMIN, TEXT))
    # From now on sendMessage is the broadcast's: the next 3 calls get a 429 with retry_after 1.
    admin.sim.configure(fail_methods={"sendMessage": {"error_code": 429, "retry_after": 1, "count": 3,
                                                      "description": "Too Many Requests: retry after 1"}})
    doc = wait_status(db, broadcast_id, "done")

    assert (doc["sent"], doc["failed"], doc["blocked"], doc["skipped"], doc["total"]) == (57, 0, 3, 1, 61)
    for u in [admin, *users]:
        assert received(u) == (0 if u.id in blocked | {banned} else 1), u.id
    assert {uid for uid in range(9100, 9160) if user_doc(db, uid).get("blocked_bot")} == blocked

    calls = [c for c in admin.sim.calls("sendMessage") if c["params"].get("text") == TEXT]
    limited = [c for c in calls if c["status"] == 429]
    assert len(limited) == 3, "the injected 429s hit the broadcast"
    for call in limited:  # retried after retry_after, delivered once
        chat = int(call["params"]["chat_id"])
        later = [c for c in calls if int(c["params"]["chat_id"]) == chat and c["seq"] > call["seq"]]
        assert later and later[0]["time"] - call["time"] >= 0.95
    peak = max_in_window([c["time"] for c in calls])
    rate = container().settings.broadcast_rate
    span = calls[-1]["time"] - calls[0]["time"]
    print(f"\nbroadcast: {len(calls)} sendMessage calls in {span:.2f} s (incl. 3 × 1 s flood waits), "
          f"peak {peak} in any 1 s window (rate {rate}/s)")
    assert peak <= rate + 1, f"{peak} sends within one second"

    progress = next(r for r in admin.bot_messages() if r["message_id"] == doc["progress_message_id"])
    assert text_of(progress) == "✅ Рассылка завершена: 61 из 61 · заблокировали 3"
    assert "Рассылка завершена" in admin.last_text() and "Доставлено: 57" in admin.last_text()


def test_interrupted_batch_resumes_after_the_last_saved_user(clean_stack, db):
    make_users(clean_stack, [ADMIN])
    users = make_users(clean_stack, range(9200, 9240))
    c = own_container()
    broadcast_id = run(bc.start(c, ADMIN, ADMIN, TEXT))
    assert c.queue.tasks == [(f"bc-{broadcast_id}-1", {"kind": "broadcast", "broadcast_id": broadcast_id,
                                                       "batch_no": 1})]

    assert run(bc.run_batch(c, broadcast_id, 1, budget_s=0.5)) == "done"  # stops midway, hands over
    doc = run(db.broadcasts.get(broadcast_id))
    assert doc["status"] == "running" and doc["batch_no"] == 2 and doc["lease_owner"] is None
    assert 0 < doc["sent"] < doc["total"] == 41
    assert c.queue.tasks[-1][0] == f"bc-{broadcast_id}-2"
    for u in users:  # the saved cursor is exactly where sending stopped
        assert received(u) == (1 if u.id <= doc["cursor_user_id"] else 0), u.id

    assert run(bc.run_batch(c, broadcast_id, 1)) == "done"  # a stale duplicate of batch 1 sends nothing

    async def twice():  # the same task delivered twice at once: one runs, the other is told to retry
        return sorted(await asyncio.gather(bc.run_batch(c, broadcast_id, 2), bc.run_batch(c, broadcast_id, 2)))

    assert run(twice()) == ["done", "retry"]
    doc = run(db.broadcasts.get(broadcast_id))
    assert doc["status"] == "done" and doc["sent"] == 41
    assert all(received(u) == 1 for u in users), "nobody twice, nobody skipped"


def test_a_flood_wait_longer_than_the_batch_moves_the_user_to_the_next_batch(clean_stack, db):
    admin = make_users(clean_stack, [ADMIN])[0]
    users = make_users(clean_stack, range(9300, 9304))
    c = own_container()
    broadcast_id = run(bc.start(c, ADMIN, ADMIN, TEXT))
    admin.sim.configure(fail_methods={"sendMessage": {"error_code": 429, "retry_after": 30, "count": 1}})
    assert run(bc.run_batch(c, broadcast_id, 1, budget_s=5)) == "done"
    doc = run(db.broadcasts.get(broadcast_id))
    assert doc["cursor_user_id"] is None and doc["sent"] == 0 and doc["batch_no"] == 2
    assert c.queue.tasks[-1][0] == f"bc-{broadcast_id}-2" and c.queue.delays[-1].total_seconds() == 30
    assert run(bc.run_batch(c, broadcast_id, 2)) == "done"
    assert all(received(u) == 1 for u in [admin, *users])


def test_cancel_stops_the_broadcast(clean_stack, db):
    admin = make_users(clean_stack, [ADMIN])[0]
    c = own_container()
    broadcast_id = run(bc.start(c, ADMIN, ADMIN, TEXT))
    assert run(bc.cancel(c, broadcast_id)) is True
    assert run(bc.cancel(c, broadcast_id)) is False
    assert run(bc.run_batch(c, broadcast_id, 1)) == "done"
    assert received(admin) == 0
    assert run(db.broadcasts.get(broadcast_id))["status"] == "cancelled"
    assert admin.bot_messages()[-1]["message"]["text"].startswith("⛔ Рассылка остановлена: 0 из 1")
