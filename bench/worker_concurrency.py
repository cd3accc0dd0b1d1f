"""Worker concurrency: N generations in flight on one worker process, with the KIE simulator slow.

The local stack with its functions (the worker is one functions-framework process: gunicorn, one worker
process, THREADS threads, every request's coroutines on that process's one asyncio loop). N users with
balance and N queued paid jobs are created the way the webhook's confirm leaves them (draft -> confirmed
-> queued, with a status message), then N start tasks are POSTed to the worker at once, as Cloud Tasks
would with max_concurrent_dispatches >= N. Each KIE API answer takes --api-latency-ms and a generation
--latency-ms; callbacks go to the stack's kie_callback process, results to the Telegram simulator.

Measured: wall time until every start request is answered, until every job is succeeded and delivered,
peak memory (VmHWM) and peak thread count of the worker process, errors, and the money (each user
charged exactly the price once).

    .venv/bin/python bench/worker_concurrency.py [--jobs 200] [--threads 200] [--api-latency-ms 2000]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from infra.stack import ROOT, VENV_BIN, LocalStack, StackPorts  # noqa: E402

MODEL = "google/imagen4"
BALANCE = 100_00  # kopecks per user: far more than one run
FIRST_USER = 30_000
PRODUCTION_POLL_DELAYS = "20,30,60,120,240"  # config default: the first poll comes after the burst


def proc_status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}


def kib(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                rest = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(rest[1]) == pid:
                found.append(int(entry.name))
    return found


class Sampler(threading.Thread):
    """Peak threads and RSS of the worker's serving process, sampled every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_threads = 0
        self.peak_rss_kib = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.05):
            status = proc_status(self.pid)
            self.peak_threads = max(self.peak_threads, int(status.get("Threads", 0) or 0))
            self.peak_rss_kib = max(self.peak_rss_kib, kib(status.get("VmRSS")))

    def stop(self) -> None:
        self._halt.set()
        self.join()


def prepare(stack: LocalStack, n: int, store, c, run) -> tuple[list[str], int]:
    """N users who have opened the chat, with balance, and N queued paid jobs (what confirm leaves)."""
    from infra.telegram_sim.client import SimClient
    from shared.domain.jobs import Job, new_job_id, new_request_id
    from shared.domain.quote import quote_kopecks
    from shared.domain.users import Profile

    sim = SimClient(stack.url("telegram"))
    uids = [FIRST_USER + i for i in range(n)]

    def open_chat(uid: int) -> int:
        sim.send_text(uid, "/start", language_code="ru", first_name="Bench")
        return sim.messages(uid)["messages"][-1]["message_id"]  # becomes the "in progress" message

    with ThreadPoolExecutor(16) as pool:
        status_ids = list(pool.map(open_chat, uids))
    model = c.catalog.get(MODEL)
    inputs = {"prompt": "банан в очках"}
    s = c.settings
    price = quote_kopecks(model, c.pricing.truth, inputs, {}, s.fx_rate, s.pricing_markup)

    async def one(uid: int, status_id: int) -> str:
        await store.users.touch(Profile(user_id=uid, chat_id=uid, first_name="Bench", language_code="ru"), 0)
        await store.users.adjust_balance(uid, BALANCE, "adjust", f"bench_concurrency_{uid}")
        job = Job(id=new_job_id(), user_id=uid, chat_id=uid, lang="ru", model_id=MODEL, inputs=inputs)
        await store.drafts.create(job)
        confirmed = await store.drafts.confirm(job.id, price, False, new_request_id(), status_message_id=status_id)
        assert confirmed is not None
        return job.id

    async def all_jobs() -> list[str]:
        return list(await asyncio.gather(*(one(uid, sid) for uid, sid in zip(uids, status_ids))))

    return run(all_jobs()), price


async def fire(url: str, job_ids: list[str]) -> tuple[list[float], list[str]]:
    """POST every start task at once; (seconds until each answer, errors)."""
    limits = httpx.Limits(max_connections=len(job_ids), max_keepalive_connections=len(job_ids))
    started = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300.0)) as http:
        async def one(job_id: str) -> tuple[float, str | None]:
            try:
                response = await http.post(url, json={"kind": "start", "job_id": job_id})
            except httpx.HTTPError as err:
                return time.monotonic() - started, f"{job_id}: {type(err).__name__} {err}"
            error = None if response.status_code == 200 else f"{job_id}: HTTP {response.status_code} {response.text[:80]}"
            return time.monotonic() - started, error

        results = await asyncio.gather(*(one(j) for j in job_ids))
    return [t for t, _ in results], [e for _, e in results if e]


def wait_delivered(raw, job_ids: list[str], started: float, timeout_s: float) -> tuple[float | None, dict[str, int]]:
    refs = [raw.collection("jobs").document(j) for j in job_ids]
    deadline = time.monotonic() + timeout_s
    states: dict[str, int] = {}
    while time.monotonic() < deadline:
        docs = [d.to_dict() or {} for d in raw.get_all(refs)]
        states = {}
        for d in docs:
            key = d.get("state", "?") + ("+delivered" if d.get("delivered_at") else "")
            states[key] = states.get(key, 0) + 1
        if all(d.get("state") in ("succeeded", "failed", "refunded", "cancelled") for d in docs) and all(
                d.get("delivered_at") for d in docs if d.get("state") == "succeeded"):
            return time.monotonic() - started, states
        time.sleep(0.25)
    return None, states


def start_dev_worker(stack: LocalStack) -> tuple[subprocess.Popen, str]:
    """generation_worker under functions-framework --debug (Flask's threaded dev server), in its own group."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(stack.log_path("worker-werkzeug"), "w")
    proc = subprocess.Popen(
        [str(VENV_BIN / "functions-framework"), "--source", str(ROOT / "main.py"), "--target", "generation_worker",
         "--host", "127.0.0.1", "--port", str(port), "--debug"],
        cwd=ROOT, env={**os.environ, **stack.env()}, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError(f"the dev-server worker did not start; see {stack.log_path('worker-werkzeug')}")


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return (f"first {values[0]:.1f} s, p50 {values[len(values) // 2]:.1f} s, p90 {values[len(values) * 9 // 10]:.1f} s, "
            f"last {values[-1]:.1f} s")


def burst(stack: LocalStack, args: argparse.Namespace, raw, kie: httpx.Client, worker_url: str, root: int,
          warmup: str, job_ids: list[str], price: int) -> bool:
    """Warm the worker with one job, then start every job at once; print the table. True when all went well."""
    n = len(job_ids)
    # One start first: the worker process has imported everything and opened its clients (warm).
    assert httpx.post(worker_url, json={"kind": "start", "job_id": warmup}, timeout=60).status_code == 200
    assert wait_delivered(raw, [warmup], time.monotonic(), 30)[0] is not None
    kie.post("/sim/config", json={"api_latency_ms": args.api_latency_ms,
                                  "latency_ms": args.latency_ms}).raise_for_status()

    serving = children(root) or [root]  # gunicorn's arbiter (or Flask's reloader) forks the serving process
    pid = serving[0]
    before = proc_status(pid)
    sampler = Sampler(pid)
    sampler.start()
    started, started_wall = time.monotonic(), time.time()
    answer_times, errors = asyncio.run(fire(worker_url, job_ids))
    all_answered = time.monotonic() - started
    all_delivered, states = wait_delivered(raw, job_ids, started, timeout_s=args.deliver_timeout)
    sampler.stop()
    after = proc_status(pid)

    charged = sum(1 for uid in range(FIRST_USER + 1, FIRST_USER + n + 1)
                  if (raw.collection("users").document(str(uid)).get().get("balance_kopecks")) == BALANCE - price)
    photos = sum(1 for call in httpx.get(stack.url("telegram") + "/sim/calls", params={"method": "sendPhoto"},
                                         timeout=30).json()["calls"] if call["status"] == 200)
    kie_tasks = len(kie.get("/sim/tasks").json()["tasks"]) - 1  # minus the warm-up
    # Where the time goes: when each job was charged (the worker's start transaction) and when KIE had
    # each createTask in hand (its createTime is stamped after the simulated latency), from the burst's start.
    jobs = [snap.to_dict() for snap in raw.get_all([raw.collection("jobs").document(j) for j in job_ids])]
    charged_at = [d["started_at"].timestamp() - started_wall for d in jobs if d.get("started_at")]
    kie.post("/sim/config", json={"api_latency_ms": 0}).raise_for_status()
    auth = {"Authorization": f"Bearer {stack.env()['KIE_API_KEY']}", "Content-Type": "application/json"}
    kie_at = [kie.get("/api/v1/jobs/recordInfo", params={"taskId": d["kie_task_id"]}, headers=auth).json()
              ["data"]["createTime"] / 1000 - args.api_latency_ms / 1000 - started_wall
              for d in jobs if d.get("kie_task_id")]

    sequential = n * args.api_latency_ms / 1000
    answer_times.sort()
    rows = [
        ("generations in flight", f"{n} (one worker process: {args.server}"
                                  + (f", THREADS={args.threads})" if args.server == "gunicorn" else ", threaded)")),
        ("KIE simulator", f"api_latency_ms={args.api_latency_ms}, latency_ms={args.latency_ms}"),
        ("all start requests answered", f"{all_answered:.1f} s (first {answer_times[0]:.1f} s, "
                                        f"p50 {answer_times[n // 2]:.1f} s, p90 {answer_times[n * 9 // 10]:.1f} s)"),
        ("answers per second of the burst", " ".join(
            str(sum(1 for t in answer_times if int(t) == second)) for second in range(int(all_answered) + 1))),
        ("charge transaction done (worker)", spread(charged_at)),
        ("createTask reached KIE", spread(kie_at)),
        ("all jobs succeeded + delivered", f"{all_delivered:.1f} s" if all_delivered else f"NOT within {args.deliver_timeout:.0f} s"),
        ("sequential (n x api latency)", f"{sequential:.0f} s"),
        ("speed-up vs sequential", f"{sequential / all_answered:.0f}x"),
        ("worker RSS before burst", f"{kib(before.get('VmRSS')) / 1024:.0f} MiB"),
        ("worker peak RSS (VmHWM)", f"{kib(after.get('VmHWM')) / 1024:.0f} MiB"),
        ("worker peak threads", f"{sampler.peak_threads} (before: {before.get('Threads')})"),
        ("HTTP errors", f"{len(errors)}"),
        ("job states", ", ".join(f"{k}: {v}" for k, v in sorted(states.items()))),
        ("users charged exactly once", f"{charged}/{n}"),
        ("KIE tasks created", f"{kie_tasks}"),
        ("photos sent (sendPhoto calls, incl. warm-up)", f"{photos}"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:{width}}  {value}")
    for error in errors[:10]:
        print("  error:", error)
    ok = not errors and all_delivered is not None and charged == n
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=200, help="THREADS of the functions (gunicorn threads)")
    parser.add_argument("--api-latency-ms", type=int, default=2000, help="every api.kie.ai answer takes this long")
    parser.add_argument("--latency-ms", type=int, default=2000, help="a KIE task's create -> finished time")
    parser.add_argument("--deliver-timeout", type=float, default=180,
                        help="seconds to wait for every delivery (no reconciliation sweep runs here)")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="gunicorn: the stack's worker (functions-framework as deployed); werkzeug: a worker "
                             "process started here with functions-framework --debug (the Flask dev server)")
    args = parser.parse_args()
    n = args.jobs

    extra = {"THREADS": str(args.threads), "LOG_LEVEL": "WARNING", "POLL_DELAYS_SECONDS": PRODUCTION_POLL_DELAYS}
    with LocalStack(StackPorts.free(), log_dir=".local/bench-logs", extra_env=extra) as stack:
        os.environ.update(stack.env())
        from google.cloud import firestore

        from shared import runtime
        from shared.bootstrap import container

        c = container()
        run = lambda coro: runtime.run(coro, timeout=600)  # noqa: E731
        raw = firestore.Client(project=stack.project)
        kie = httpx.Client(base_url=stack.url("kie"), timeout=10)
        kie.post("/sim/config", json={"credits": 10_000_000}).raise_for_status()

        t0 = time.monotonic()
        job_ids, price = prepare(stack, n + 1, c.store, c, run)
        warmup, job_ids = job_ids[0], job_ids[1:]
        print(f"prepared {n + 1} users and queued jobs in {time.monotonic() - t0:.1f} s")
        worker_url, dev_server = stack.url("worker") + "/", None
        if args.server == "werkzeug":
            dev_server, worker_url = start_dev_worker(stack)
        root = dev_server.pid if dev_server else stack._procs["worker"].pid
        try:
            ok = burst(stack, args, raw, kie, worker_url, root, warmup, job_ids, price)
        finally:
            if dev_server:
                os.killpg(dev_server.pid, signal.SIGTERM)
                dev_server.wait(10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
