"""Attacks on jobs and operations (issue 11: items 8, 10, 11 and the jobs/ops part of 13), through the real
local stack: the Telegram and KIE simulators with their fault switches, the Firestore and Cloud Tasks emulators,
the functions as separate processes. Each test failed on the code before the fix (7cfa82b)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from infra.inprocess import set_webhook
from infra.stack import KIE_API_KEY, KIE_WEBHOOK_HMAC_KEY, ROOT, TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, VENV_BIN
from shared.clients.kie import sign
from shared.domain.clock import utcnow
from shared.domain.jobs import Job
from shared.storage.base import BROADCASTS, JOBS
from shared.ui import callbacks as cb
from shared.ui.texts import t
from tests.conftest import run
from tests.helpers import TgUser, text_of
from tests.test_operations import stuck_job

ADMIN = 1001  # ADMIN_IDS of the local stack
IMAGEN4_PRICE = 760  # google/imagen4, kopecks
FAILED = "❌ Генерация не удалась"
FLOOD = {"error_code": 429, "retry_after": 30, "count": 1000}  # longer than any request waits: the call is lost


# --- helpers -------------------------------------------------------------------------------------------------

def is_photo(record) -> bool:
    return "photo" in record["message"]


def photos(u: TgUser) -> list:
    return [r for r in u.bot_messages() if is_photo(r)]


def texts_with(u: TgUser, part: str) -> list[str]:
    return [text_of(r) for r in u.bot_messages() if part in text_of(r)]


def kinds(db, user_id: int) -> list[str]:
    return sorted(e["kind"] for e in run(db.users.ledger_for(user_id)))


def ago(**delta) -> object:
    return utcnow() - timedelta(**delta)


def set_job(db, job_id: str, **fields) -> None:
    run(db.db.collection(JOBS).document(job_id).update(fields))


def paid_imagen4(u: TgUser, db, prompt: str = "банан", balance: int = 1000) -> None:
    u.send("/start")
    run(db.users.adjust_balance(u.id, balance, "adjust", f"adjust_test_{u.id}"))
    u.press_data(cb.make(cb.START, "google/imagen4"))
    u.send(prompt)
    u.press("Запустить")


def job_of(db, user_id: int, timeout: float = 15.0, where=lambda job: True) -> Job:
    """The user's newest confirmed job (not a draft) that satisfies `where`."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [r for r in run(db.jobs.recent_of(user_id, 5)) if r["state"] != "awaiting_input"]
        job = run(db.jobs.get(rows[0]["id"])) if rows else None
        if job is not None and where(job):
            return job
        assert time.monotonic() < deadline, f"no such job: {job}"
        time.sleep(0.1)


def wait_job(db, job_id: str, where, timeout: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = run(db.jobs.get(job_id))
        if where(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} is {job.state}: {job}"
        time.sleep(0.2)


def tasks_for(kie, job_id: str) -> list[dict]:
    """Tasks KIE created (and bills) for a job: its callback URL names it."""
    return [task for task in kie.get("/sim/tasks").json()["tasks"] if f"job={job_id}" in task["callBackUrl"]]


def sweep(stack) -> dict:
    response = stack.call_scheduled("sweep")
    assert response.status_code == 200, response.text
    return response.json()


def admin_chat(stack) -> TgUser:
    admin = TgUser(stack.url("telegram"), ADMIN)
    admin.send("/start")  # admins are told only once they have talked to the bot
    return admin


@pytest.fixture
def restart(clean_stack):
    """Restart the functions with some settings changed; back to the stack's own afterwards."""
    def apply(**env: str) -> None:
        clean_stack.restart_functions(env)

    yield apply
    clean_stack.restart_functions({})


# --- item 8: every paid job ends delivered or refunded --------------------------------------------------------

def test_attack_08_undelivered_result_is_refunded(clean_stack, db, kie):
    """Telegram keeps refusing the result (a flood wait longer than a request may sleep): after the last
    delivery attempt the money comes back with a reason, admins are told, and /history does not hand out
    the result that was given back."""
    admin = admin_chat(clean_stack)
    u = TgUser(clean_stack.url("telegram"), 8801)
    u.sim.configure(fail_methods={"sendPhoto": FLOOD, "sendDocument": FLOOD})
    paid_imagen4(u, db)
    job = job_of(db, u.id, where=lambda j: j.state == "succeeded" and j.delivery_until is None)
    for _ in range(5):  # the poll and the sweep try again; each attempt is refused the same way
        if run(db.jobs.get(job.id)).state != "succeeded":
            break
        set_job(db, job.id, updated_at=ago(hours=1))
        sweep(clean_stack)
    job = wait_job(db, job.id, lambda j: j.state == "refunded", timeout=10)
    assert job.delivery_attempts == 5
    assert job.error_code == "DELIVERY_FAILED" and job.review == "UNDELIVERED" and job.delivered_at is None
    assert kinds(db, u.id) == ["adjust", "charge", "refund"]
    assert run(db.users.get(u.id)).balance_kopecks == 1000
    [notice] = texts_with(u, FAILED)
    assert t("ru", "reason_DELIVERY_FAILED") in notice and "7,60 ₽ возвращены" in notice
    assert job.request_id in notice
    assert any(job.request_id in text for text in texts_with(admin, "Нужна проверка"))
    assert not photos(u)
    u.sim.configure(fail_methods={})
    u.press_data(cb.make(cb.HISTORY_ITEM, job.id))
    assert not photos(u), "a refunded result is not sent for free afterwards"
    set_job(db, job.id, updated_at=ago(hours=1))
    assert sweep(clean_stack)["refunded"] == 0
    assert kinds(db, u.id) == ["adjust", "charge", "refund"], "refunded once"


def test_attack_08_old_exhausted_jobs_cannot_starve_a_fresh_one(clean_stack, db, kie):
    """201 results that ran out of delivery attempts long ago, then a fresh one whose first delivery was lost:
    the sweep used to read the 200 oldest undelivered jobs, found nothing to do with them, and never reached it."""
    old_owner = TgUser(clean_stack.url("telegram"), 8802)
    old_owner.send("/start")
    long_ago = ago(days=2)
    batch = db.db.batch()
    for n in range(201):
        batch.set(db.db.collection(JOBS).document(f"exhausted{n:04d}"), {
            "user_id": old_owner.id, "chat_id": old_owner.id, "lang": "ru", "model_id": "z-image",
            "state": "succeeded", "is_free": False, "price_kopecks": 100, "charged_kopecks": 100,
            "request_id": f"RQ-{n:08x}", "kie_task_id": f"old-task-{n}", "result_urls": ["http://gone.invalid/0.png"],
            "delivered_at": None, "delivery_until": None, "delivery_attempts": 5, "unsettled": True,
            "created_at": long_ago, "confirmed_at": long_ago, "started_at": long_ago, "finished_at": long_ago,
            "updated_at": long_ago + timedelta(seconds=n)})
    run(batch.commit())
    u = TgUser(clean_stack.url("telegram"), 8803)
    u.sim.configure(fail_methods={"sendPhoto": {**FLOOD, "count": 1}})  # only the first delivery is lost
    paid_imagen4(u, db)
    fresh = job_of(db, u.id, where=lambda j: j.state == "succeeded" and j.delivery_until is None)
    clean_stack.purge_tasks()  # no poll is left to deliver it: only the sweep can
    assert not photos(u)
    set_job(db, fresh.id, updated_at=ago(hours=1))
    for _ in range(3):
        sweep(clean_stack)
        if photos(u):
            break
    u.wait_for(is_photo, timeout=10)
    assert run(db.jobs.get(fresh.id)).delivered_at is not None
    assert kinds(db, u.id) == ["adjust", "charge"]
    exhausted = run(db.jobs.get("exhausted0000"))
    assert exhausted.state == "refunded" and exhausted.review == "UNDELIVERED", "and the old ones are settled"


def test_attack_08_history_resends_from_result_urls_while_valid(clean_stack, db, kie):
    """A result delivered without a Telegram file id kept (sent as a link, or before file ids were kept): history
    sends it again from its stored URLs instead of telling the user to pay again; past the URLs' life, it says so."""
    u = TgUser(clean_stack.url("telegram"), 8804)
    u.send("/start")
    u.press_data(cb.make(cb.START, "z-image"))
    u.send("кот")
    u.press("✅ 1:1")
    u.press("Запустить")
    u.wait_for(is_photo, timeout=30)
    job = job_of(db, u.id, where=lambda j: j.delivered_at is not None)
    set_job(db, job.id, delivered_files=[])
    u.press_data(cb.make(cb.HISTORY_ITEM, job.id))
    resent = u.wait_for(lambda r: is_photo(r) and r["message_id"] != photos(u)[0]["message_id"], timeout=15)
    assert job.request_id in text_of(resent)
    assert run(db.jobs.get(job.id)).delivered_files, "the next time goes by file id"
    assert run(db.users.free_usage(u.id)) == {"z-image": 1}, "no second use"
    set_job(db, job.id, delivered_files=[], finished_at=ago(hours=21))
    u.press_data(cb.make(cb.HISTORY_ITEM, job.id))
    assert u.last_text() == t("ru", "history_resend_missing") and len(photos(u)) == 2


# --- item 10: the provider is paid at most once per job -----------------------------------------------------

def post_start(stack, job_id: str) -> httpx.Response:
    """What Cloud Tasks does when it delivers the start task (again)."""
    return httpx.post(stack.url("worker") + "/", json={"kind": "start", "job_id": job_id}, timeout=60)


def test_attack_10_provider_paid_once(clean_stack, db, kie, restart):
    """The worker dies after createTask reached KIE but before it stored the task id. The start task comes
    again after the lease: it used to submit a second task (KIE bills both). Now the submission marker stops
    it, and the first task's callback, which names the job, finishes it."""
    restart(SUBMIT_LEASE_S="2")
    kie.post("/sim/config", json={"slow_create_rate": 1.0, "slow_create_ms": 8000, "latency_ms": 4000})
    u = TgUser(clean_stack.url("telegram"), 8810)
    paid_imagen4(u, db)
    job = job_of(db, u.id, where=lambda j: j.state == "running")
    deadline = time.monotonic() + 10
    while not tasks_for(kie, job.id):  # KIE created the task and holds its answer
        assert time.monotonic() < deadline, "no task at KIE"
        time.sleep(0.05)
    clean_stack.kill_function("worker")
    kie.post("/sim/config", json={"slow_create_rate": 0.0})
    clean_stack.start_function("worker")
    assert run(db.jobs.get(job.id)).kie_task_id is None, "the task id was never stored"
    time.sleep(2.5)  # the lease is over
    assert post_start(clean_stack, job.id).status_code == 200
    u.wait_for(is_photo, timeout=30)
    done = wait_job(db, job.id, lambda j: j.delivered_at is not None)
    assert len(tasks_for(kie, job.id)) == 1, "one task at KIE for the job"
    assert done.kie_task_id == tasks_for(kie, job.id)[0]["taskId"], "attached by its callback"
    assert kinds(db, u.id) == ["adjust", "charge"]


def test_attack_10_sweep_refund_does_not_race_a_retried_worker(clean_stack, db, kie):
    """A job charged by a worker that died before submitting (a lease long over, no marker, no task id). The
    sweep reads it, a redelivered start task takes the lease and submits, and the sweep, acting on what it read,
    refunded the job while KIE ran (and billed) its task. Now the refund re-checks inside its transaction."""
    u = TgUser(clean_stack.url("telegram"), 8811)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
    now = utcnow()
    # A: a running job the sweep asks KIE about first (KIE answers slowly), so it reads B before it handles it.
    a = Job(id="racejoba00000001", user_id=u.id, chat_id=u.id, model_id="z-image", inputs={"prompt": "кот"})
    b = Job(id="racejobb00000001", user_id=u.id, chat_id=u.id, model_id="google/imagen4",
            inputs={"prompt": "банан"})
    for job, minutes in ((a, 120), (b, 60)):
        run(db.drafts.create(job))
        run(db.drafts.confirm(job.id, IMAGEN4_PRICE if job is b else 0, job is a, f"RQ-{job.id[7:15]}"))
        set_job(db, job.id, state="running", started_at=now, lease_until=ago(minutes=minutes),
                updated_at=ago(minutes=minutes), unsettled=True)
    set_job(db, a.id, kie_task_id="slow-to-answer")
    run(db.users.adjust_balance(u.id, -IMAGEN4_PRICE, "charge", f"charge_{b.id}", ref=b.id))
    set_job(db, b.id, charged_kopecks=IMAGEN4_PRICE)
    kie.post("/sim/config", json={"api_latency_ms": 3000})
    with ThreadPoolExecutor(2) as pool:
        swept = pool.submit(sweep, clean_stack)
        time.sleep(1.0)  # the sweep has read A and B and waits for KIE's answer about A
        started = pool.submit(post_start, clean_stack, b.id)
        assert started.result().status_code == 200
        swept.result()
    kie.post("/sim/config", json={"api_latency_ms": 0})
    job = wait_job(db, b.id, lambda j: j.state != "running", timeout=40)
    task_count = len(tasks_for(kie, b.id))
    assert not (job.state == "refunded" and task_count), "refunded while KIE runs (and bills) its task"
    assert job.state == "succeeded" and task_count == 1
    u.wait_for(is_photo, timeout=20)
    assert kinds(db, u.id) == ["adjust", "charge"]


# --- item 11: nothing unauthenticated moves a job -------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(stack, target: str, log_path, **env: str) -> tuple[subprocess.Popen, str]:
    """One function under functions-framework in a process of its own, with `env` on top of the stack's."""
    port = free_port()
    cmd = [str(VENV_BIN / "functions-framework"), "--source", str(ROOT / "main.py"), "--target", target,
           "--host", "127.0.0.1", "--port", str(port)]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **stack.env(), **env}, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}/"


def started(proc: subprocess.Popen, url: str, timeout: float = 40.0) -> bool:
    """True once it answers; False when it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            httpx.get(url, timeout=1)
            return True
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("neither started nor exited")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_attack_11_callback_does_not_start_unauthenticated_in_production(clean_stack, tmp_path):
    """In production (OIDC callers configured, or on Cloud Run) the callback function without the HMAC key
    would accept anyone's callback: it refuses to start, with one line naming the setting."""
    invokers = "tasks@p.iam.gserviceaccount.com"
    cases = [("kie_callback", {"EXPECTED_INVOKERS": invokers, "KIE_WEBHOOK_HMAC_KEY": ""}, False),
             ("kie_callback", {"K_SERVICE": "kie-callback", "KIE_WEBHOOK_HMAC_KEY": ""}, False),
             ("kie_callback", {"EXPECTED_INVOKERS": invokers}, True),  # with the key
             ("kie_callback", {"KIE_WEBHOOK_HMAC_KEY": ""}, True),  # the local stack: callbacks unsigned
             ("telegram_webhook", {"EXPECTED_INVOKERS": invokers, "KIE_WEBHOOK_HMAC_KEY": ""}, True)]  # never reads it
    procs = [(*serve(clean_stack, target, tmp_path / f"{n}.log", **env), target, env, ok)
             for n, (target, env, ok) in enumerate(cases)]
    try:
        for n, (proc, url, target, env, ok) in enumerate(procs):
            assert started(proc, url) == ok, (target, env)
            if not ok:
                assert proc.returncode != 0
                assert "KIE_WEBHOOK_HMAC_KEY" in (tmp_path / f"{n}.log").read_text(), (target, env)
    finally:
        for proc, *_ in procs:
            stop(proc)


def test_attack_11_forged_job_parameter_cannot_attach_a_task(clean_stack, db, kie):
    """KIE signs only the task id and the time, so a genuine callback of another task (captured, replayed
    within its 5 minutes) stays valid with any query string. `?job=` used to attach that task to a running job
    whose worker had not stored its own task id yet: the user got another task's result, and the real one was
    refused. Now a `job` we did not sign is ignored."""
    with httpx.Client(base_url=clean_stack.url("kie"), headers={"Authorization": f"Bearer {KIE_API_KEY}"}) as api:
        other = api.post("/api/v1/jobs/createTask", json={"model": "z-image", "input": {
            "prompt": "someone else's picture", "aspect_ratio": "1:1", "nsfw_checker": True}}).json()["data"]["taskId"]
    kie.post(f"/sim/tasks/{other}/complete", json={"outcome": "success"})
    kie.post("/sim/config", json={"slow_create_rate": 1.0, "slow_create_ms": 6000})
    u = TgUser(clean_stack.url("telegram"), 8820)
    paid_imagen4(u, db)
    job = job_of(db, u.id, where=lambda j: j.state == "running")
    forged = {"code": 200, "msg": "success", "data": {"taskId": other, "state": "success"}}
    stamp = str(int(time.time()))
    signed = {"X-Webhook-Timestamp": stamp, "X-Webhook-Signature": sign(KIE_WEBHOOK_HMAC_KEY, other, stamp)}
    for params in ({"job": job.id}, {"job": job.id, "sig": "0" * 64}):
        response = httpx.post(clean_stack.url("callback") + "/", params=params, json=forged, headers=signed,
                              timeout=30)
        assert response.status_code == 200, response.text
        assert run(db.jobs.get(job.id)).kie_task_id is None, f"a forged callback attached a task ({params})"
    kie.post("/sim/config", json={"slow_create_rate": 0.0})
    u.wait_for(is_photo, timeout=40)
    done = wait_job(db, job.id, lambda j: j.delivered_at is not None)
    [own] = [task["taskId"] for task in kie.get("/sim/tasks").json()["tasks"] if task["taskId"] != other]
    assert done.kie_task_id == own and all(own in url for url in done.result_urls), "the user's own result"
    assert len(photos(u)) == 1 and kinds(db, u.id) == ["adjust", "charge"]


def test_attack_11_typed_foreign_task_id_is_refused(clean_stack, db, kie):
    """Grok upscale takes the task id of a grok video. Typed by hand it used to accept any id: another user's
    video, or any task of our provider account. Now only the user's own succeeded grok video, nothing charged
    otherwise."""
    owner, stranger = TgUser(clean_stack.url("telegram"), 8830), TgUser(clean_stack.url("telegram"), 8831)
    for person in (owner, stranger):
        person.send("/start")
        run(db.users.adjust_balance(person.id, 100_000, "adjust", f"adjust_test_{person.id}"))
    video = Job(id="grokvideo0000001", user_id=owner.id, chat_id=owner.id, model_id="grok-imagine/text-to-video",
                inputs={"prompt": "a fox"})
    run(db.drafts.create(video))
    run(db.drafts.confirm(video.id, 5000, False, "RQ-9a0c0001"))
    set_job(db, video.id, state="succeeded", kie_task_id="a" * 32, result_urls=["http://x/0.mp4"],
            finished_at=utcnow(), unsettled=False)
    for typed in ("a" * 32, "b" * 32):  # someone else's video; a task we know nothing about
        stranger.press_data(cb.make(cb.START, "grok-imagine/upscale"))
        stranger.send(typed)
        draft = run(db.drafts.current(stranger.id))
        assert "task_id" not in draft.inputs and "Проверьте заказ" not in stranger.last_text(), typed
        assert stranger.last_text() == t("ru", "task_ref_not_yours")
    assert not texts_with(stranger, "Проверьте заказ")
    assert kinds(db, stranger.id) == ["adjust"]
    owner.press_data(cb.make(cb.START, "grok-imagine/upscale"))
    owner.send("a" * 32)  # the owner's own video: accepted
    assert "Проверьте заказ" in owner.last_text()
    assert run(db.drafts.current(owner.id)).inputs["task_id"] == "a" * 32


# --- item 13: jobs and operations -----------------------------------------------------------------------------

def test_attack_13_malformed_job_does_not_stop_the_sweep(clean_stack, db, kie):
    """One job document of the wrong shape made the whole sweep fail, every run: no other job was finished."""
    admin = admin_chat(clean_stack)
    u, job = stuck_job(clean_stack, db, kie, 8840)  # past its deadline: the sweep refunds it
    run(db.db.collection(JOBS).document("malformed0000001").set({
        "user_id": "not a number", "chat_id": None, "model_id": "z-image", "state": "running", "unsettled": True,
        "history": "not a list", "updated_at": ago(days=1)}))
    counts = sweep(clean_stack)
    assert counts["refunded"] == 1 and counts["flagged"] == 1, counts
    assert run(db.jobs.get(job.id)).state == "refunded" and kinds(db, u.id) == ["adjust", "charge", "refund"]
    u.wait_for(lambda r: text_of(r).startswith(FAILED), timeout=10)
    flagged = run(db.db.collection(JOBS).document("malformed0000001").get()).to_dict()
    assert flagged["review"] == "MALFORMED" and flagged["unsettled"] is False and flagged["review_note"]
    assert any("malformed0000001" in text for text in texts_with(admin, "Нужна проверка"))
    assert sweep(clean_stack)["flagged"] == 0, "left to admins: not flagged again every run"


def test_attack_13_broadcast_with_a_broken_task_chain_resumes(clean_stack, db):
    """A broadcast whose next batch task was lost (dropped after its retries, an enqueue that failed after
    the batch saved) stayed `queued` forever. The sweep resumes it from its saved cursor."""
    users = [TgUser(clean_stack.url("telegram"), uid) for uid in (8850, 8851, 8852)]
    for person in users:
        person.send("/start")
    text = "Новости AI Studio: сервис снова работает"
    run(db.broadcasts.create("lostchain0000001", admin_id=ADMIN, admin_chat_id=ADMIN, lang="ru", text=text,
                          total=3, rate=25, progress_message_id=None))  # no task queued: the chain is broken
    run(db.db.collection(BROADCASTS).document("lostchain0000001").update({"updated_at": ago(hours=1)}))
    counts = sweep(clean_stack)
    deadline = time.monotonic() + 30
    while run(db.broadcasts.get("lostchain0000001"))["status"] != "done":
        assert time.monotonic() < deadline, run(db.broadcasts.get("lostchain0000001"))
        time.sleep(0.3)
    for person in users:
        assert sum(1 for r in person.bot_messages() if text_of(r) == text) == 1
    assert counts["broadcasts"] == 1 and sweep(clean_stack)["broadcasts"] == 0


def confirmed_paid_job(db, u: TgUser, job_id: str) -> Job:
    job = Job(id=job_id, user_id=u.id, chat_id=u.id, model_id="google/imagen4", inputs={"prompt": "банан"})
    run(db.drafts.create(job))
    return run(db.drafts.confirm(job.id, IMAGEN4_PRICE, False, f"RQ-{job_id[-8:]}"))


def test_attack_13_worker_rechecks_maintenance_and_disabled_models(clean_stack, db, kie):
    """Confirmed just before maintenance began, or before an admin switched the model off: the worker used to
    charge and run it anyway. Now it fails with nothing charged, and the user is told why."""
    u = TgUser(clean_stack.url("telegram"), 8860)
    u.send("/start")
    run(db.users.adjust_balance(u.id, 1000, "adjust", f"adjust_test_{u.id}"))
    for job_id, change, code, key in (
            ("closedjob0000001", {"maintenance": True}, "MAINTENANCE", "not_started_maintenance"),
            ("closedjob0000002", {"maintenance": False, "disabled_models": ["google/imagen4"]},
             "MODEL_DISABLED", "not_started_disabled")):
        job = confirmed_paid_job(db, u, job_id)
        run(db.admin.change_runtime(ADMIN, "test", change))
        time.sleep(1.2)  # instances trust the switches for SETTINGS_CACHE_SECONDS (1 s locally)
        assert post_start(clean_stack, job.id).status_code == 200
        stored = run(db.jobs.get(job.id))
        assert stored.state == "failed" and stored.error_code == code and stored.charged_kopecks == 0, stored
        assert kinds(db, u.id) == ["adjust"] and not tasks_for(kie, job.id), "nothing charged, nothing run"
        expected = t("ru", key, name="Imagen 4", rq=job.request_id).replace("<code>", "").replace("</code>", "")
        assert u.wait_for(lambda r: text_of(r) == expected, timeout=10)
    run(db.admin.change_runtime(ADMIN, "test", {"disabled_models": []}))
    time.sleep(1.2)  # the next test finds the model on again in every instance


def test_attack_13_lost_failure_notice_is_sent_again(clean_stack, db, kie):
    """The refund happened, but Telegram asked to wait longer than a request may: the user was never told that
    the generation failed and the money came back. The job now stays unsettled until they are; the sweep
    sends the notice again, once."""
    u, job = stuck_job(clean_stack, db, kie, 8870)
    kie.post(f"/sim/tasks/{job.kie_task_id}/complete", json={"outcome": "fail"})
    u.sim.configure(fail_methods={"sendMessage": FLOOD})
    sweep(clean_stack)
    assert run(db.jobs.get(job.id)).state == "refunded" and not texts_with(u, FAILED), "refunded, the notice lost"
    u.sim.configure(fail_methods={})
    results = []
    for _ in range(2):
        set_job(db, job.id, updated_at=ago(hours=1))
        with ThreadPoolExecutor(2) as pool:  # two sweeps at once send it once
            results += [f.result() for f in [pool.submit(sweep, clean_stack) for _ in range(2)]]
    assert len(texts_with(u, FAILED)) == 1, "told once, in the end"
    [notice] = texts_with(u, FAILED)
    assert "7,60 ₽ возвращены" in notice and job.request_id in notice
    assert sum(r["notified"] for r in results) == 1, results
    assert run(db.jobs.get(job.id)).unsettled is False
    assert kinds(db, u.id) == ["adjust", "charge", "refund"]


def test_attack_13_our_key_refused_is_not_the_users_fault(clean_stack, db, kie):
    """KIE refusing our key (401), its usage cap (433) or a disabled feature (505) was told to the user as
    "change your prompt" and alerted nobody. Now: refunded with a neutral reason, admins alerted once."""
    admin = admin_chat(clean_stack)
    for uid, code in ((8880, 401), (8881, 433), (8882, 505)):
        kie.post("/sim/config", json={"create_fault": code, "create_fault_count": 1})
        u = TgUser(clean_stack.url("telegram"), uid)
        paid_imagen4(u, db)
        notice = text_of(u.wait_for(lambda r: text_of(r).startswith(FAILED), timeout=20))
        assert "описание" not in notice, f"{code}: not the user's request to change: {notice}"
        assert t("ru", "reason_PROVIDER_ACCESS") in notice
        assert "7,60 ₽ возвращены" in notice
        assert run(db.jobs.get(job_of(db, uid).id)).error_code == "PROVIDER_ACCESS"
        assert kinds(db, uid) == ["adjust", "charge", "refund"]
    alerts = texts_with(admin, "KIE отказал")
    assert len(alerts) == 1 and "401" in alerts[0], "one alert, not one per job"


def test_attack_13_admin_screens_escape_after_clipping_and_say_html(clean_stack, db):
    """Admin screens escaped a value, then cut it (splitting `&amp;` into `&am`), and sent escaped text without
    a parse mode (the admin read `&lt;b&gt;`)."""
    admin = admin_chat(clean_stack)
    run(db.admin.log_action(ADMIN, "adjust_balance", "user:42", "a" + "&" * 100, "<b>new</b>"))
    admin.send("/admin")
    admin.press("Журнал действий")
    line = next(row for row in admin.last_text().split("\n") if "user:42" in row)
    assert "a" + "&" * 58 + "…" in line and "&am" not in line and "<b>new</b>" in line, line
    admin.press("Админ-панель")
    admin.press("Пользователь")
    admin.send("<b>nobody</b> & co")
    assert admin.last_text() == "Пользователь <b>nobody</b> & co не найден."
    assert admin.last()["message"].get("entities") is None, "shown as typed, not as markup"


def refusing_firestore() -> tuple[object, int]:
    """A gRPC server in Firestore's place that refuses every call the way Firestore refuses a service account
    without access: PERMISSION_DENIED, with a message that names the project."""
    import grpc

    def refuse(request, context):
        context.abort(grpc.StatusCode.PERMISSION_DENIED,
                      "Missing or insufficient permissions on projects/secret-internal-project")

    class Refusing(grpc.GenericRpcHandler):
        def service(self, handler_call_details):
            return grpc.unary_stream_rpc_method_handler(refuse)

    from concurrent.futures import ThreadPoolExecutor as Pool

    server = grpc.server(Pool(2), handlers=[Refusing()])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def test_attack_13_health_check_does_not_show_exception_text(clean_stack, tmp_path):
    """The public health check answered the exception's text (here: the project Firestore refused)."""
    server, port = refusing_firestore()
    proc, url = serve(clean_stack, "telegram_webhook", tmp_path / "webhook.log",
                      FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 40
        while True:
            assert proc.poll() is None, (tmp_path / "webhook.log").read_text()[-2000:]
            try:
                response = httpx.get(url, timeout=20)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the webhook did not start"
                time.sleep(0.2)
        assert response.status_code == 503
        assert response.json() == {"status": "error"}, response.text
        assert "secret-internal-project" in (tmp_path / "webhook.log").read_text(), "the details are in the log"
    finally:
        stop(proc)
        server.stop(0)


class AnswerHoldingProxy:
    """Between the webhook and the Cloud Tasks emulator (gRPC over cleartext HTTP/2): forwards everything, but
    holds back the frames of the first call's answer on the first connection for `hold_s`, so the caller's
    deadline passes after the emulator did create the task: the enqueue raises although it worked."""

    def __init__(self, target_port: int, hold_s: float):
        self.target_port, self.hold_s = target_port, hold_s
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.armed = True
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            armed, self.armed = self.armed, False
            threading.Thread(target=self.pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self.frames, args=(server, client, armed), daemon=True).start()

    @staticmethod
    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def frames(self, src: socket.socket, dst: socket.socket, armed: bool) -> None:
        """Server to client, frame by frame: connection frames (stream 0) pass, a stream's frames wait."""
        held: list[bytes] = []
        lock = threading.Lock()

        def release() -> None:
            nonlocal armed
            with lock:
                armed = False
                for frame in held:
                    dst.sendall(frame)

        try:
            while header := self.read(src, 9):
                frame = header + self.read(src, int.from_bytes(header[:3], "big"))
                with lock:
                    if armed and int.from_bytes(header[5:9], "big") & 0x7FFFFFFF:
                        if not held:
                            threading.Timer(self.hold_s, release).start()
                        held.append(frame)
                        continue
                dst.sendall(frame)
        except OSError:
            pass

    @staticmethod
    def read(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return b""
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


def test_attack_13_confirm_never_says_nothing_charged_after_a_charge(clean_stack, db, kie, tmp_path):
    """The enqueue of the start task raised after Cloud Tasks had accepted it (the answer was lost): the worker
    charged and ran the job while the webhook told the user "nothing was charged" and tried to fail it. It
    now says so only when it did fail the job itself."""
    proxy = AnswerHoldingProxy(clean_stack.ports.tasks, hold_s=14)  # the enqueue gives up after 10 s
    port = free_port()
    env = {**os.environ, **clean_stack.env(), "TASKS_EMULATOR_HOST": f"127.0.0.1:{proxy.port}"}
    log = open(tmp_path / "webhook.log", "w")
    webhook = subprocess.Popen([sys.executable, "-m", "infra.inprocess", "--port", str(port),
                                "--route", "/webhook=telegram_webhook"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert started(webhook, f"http://127.0.0.1:{port}/_calls")
        set_webhook(clean_stack.url("telegram"), TELEGRAM_BOT_TOKEN, f"http://127.0.0.1:{port}/webhook",
                    TELEGRAM_WEBHOOK_SECRET)
        u = TgUser(clean_stack.url("telegram"), 8890)
        paid_imagen4(u, db)  # the confirm's enqueue waits out its deadline: the worker runs meanwhile
        u.wait_for(is_photo, timeout=30)
        assert kinds(db, u.id) == ["adjust", "charge"], "charged once, and rightly: the result came"
        assert "enqueue failed" in (tmp_path / "webhook.log").read_text(), "the enqueue did raise"
        said = [text_of(r) for r in u.bot_messages()]
        assert not [s for s in said if "Ничего не списано" in s], said
        assert run(db.jobs.get(job_of(db, u.id).id)).state == "succeeded"
    finally:
        stop(webhook)
        log.close()
        proxy.close()
        set_webhook(clean_stack.url("telegram"), TELEGRAM_BOT_TOKEN, clean_stack.webhook_url, TELEGRAM_WEBHOOK_SECRET)
