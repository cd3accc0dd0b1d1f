"""Everything the simulator remembers: switches, balance, tasks, files, callbacks."""
import collections
import json
import random
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

from . import billing, catalog, media, measure, webhook
from .config import DEFAULTS, merged

TERMINAL = ("success", "fail")
CALLBACK_MSG = {"success": "Playground task completed successfully.", "fail": "Playground task failed."}


class NotEnoughCredits(Exception):
    pass


class TaskNotFound(Exception):
    pass


class TaskFinished(Exception):
    pass


def now_ms():
    return int(time.time() * 1000)


class SimState:
    def __init__(self, options=None, models=None):
        self.models = models or catalog.load_models()
        self.start_config = merged(DEFAULTS, options or {})
        self._lock = threading.RLock()
        self._timers = set()
        self._reset_locked()

    # --- switches -------------------------------------------------------------

    def configure(self, changes):
        """Merge runtime switches; `credits` sets the balance, `create_fault` re-arms the counter."""
        with self._lock:
            self.config = merged(self.config, changes)
            if "credits" in changes:
                self.balance = self.config["credits"]
            if "create_fault" in changes or "create_fault_count" in changes:
                self._faults_left = self.config["create_fault_count"]
            return self.describe()

    def describe(self):
        with self._lock:
            return {"config": dict(self.config), "credits": self.credits(),
                    "outcomes": list(self._outcomes), "faultsLeft": self._faults_if_armed(),
                    "injected": dict(self.injected)}

    def set_outcomes(self, outcomes):
        bad = [o for o in outcomes if o not in TERMINAL]
        if bad:
            raise ValueError(f"outcomes must be 'success' or 'fail', got {bad}")
        with self._lock:
            self._outcomes = collections.deque(outcomes)

    def reset(self):
        with self._lock:
            self._cancel_timers()
            self._reset_locked()

    def close(self):
        with self._lock:
            self._cancel_timers()

    def _reset_locked(self):
        self.config = dict(self.start_config)
        self.balance = self.config["credits"]
        self._faults_left = self.config["create_fault_count"]
        self._outcomes = collections.deque()
        self.tasks = {}
        # URL path without the leading "/" ("files/<taskId>/0.png", "tempfile/<path>") -> (bytes, type)
        self.files = {}
        self.callbacks = []
        self.injected = collections.Counter()  # chaos faults by kind ("create_429", "stall", ...)

    def take_create_fault(self):
        """The fault code to answer this createTask with, or None."""
        with self._lock:
            code = self._faults_if_armed()
            if code is None:
                if random.random() < self.config["create_fault_rate"]:
                    code = random.choice([int(c) for c in self.config["create_fault_codes"].split(",") if c.strip()])
                    self.injected[f"create_{code}"] += 1
                return code
            self._faults_left -= 1
            if self._faults_left <= 0:
                self.config["create_fault"] = None
            self.injected[f"create_{code}"] += 1
            return code

    def take_slow_create(self):
        """Seconds to hold this createTask's answer (the task exists already), or 0."""
        with self._lock:
            if random.random() < self.config["slow_create_rate"]:
                self.injected["slow_create"] += 1
                return self.config["slow_create_ms"] / 1000
            return 0

    def count(self, kind):
        with self._lock:
            self.injected[kind] += 1

    def _faults_if_armed(self):
        code = self.config["create_fault"]
        return code if code and self._faults_left > 0 else None

    def credits(self):
        with self._lock:
            return _plain_number(self.balance)

    # --- tasks ---------------------------------------------------------------

    def create_task(self, body, base_url):
        """Measure the inputs, bill the task from KIE's price table, store it and start its lifecycle
        timers. Raises billing.BillingError when an input it is billed by cannot be read."""
        model = body["model"]
        spec = self.models[model]
        payload = body.get("input") or {}
        measured = measure.measure_input(spec, payload, base_url, self.get_file)
        bill = billing.bill(model, spec, payload, measured, generated_audio_s=media.AUDIO_SECONDS)
        price = float(bill.credits)
        with self._lock:
            if price > self.balance:
                raise NotEnoughCredits()
            self.balance = round(self.balance - price, 6)
            task = self._new_task(body, base_url, price)
            task.update(bill=bill, measured=measured)
            self.tasks[task["taskId"]] = task
            latency_s = self.config["latency_ms"] / 1000
            stall = random.random() < self.config["stall_rate"]
            if stall:
                self.injected["stall"] += 1
        self._schedule(min(latency_s / 2, 0.1), self._mark_generating, task["taskId"])
        if not stall:  # a stalled task stays "generating" until /sim/tasks/<id>/complete
            self._schedule(latency_s, self.finish_task, task["taskId"])
        return task

    def _new_task(self, body, base_url, price):
        created = now_ms()
        return {
            "taskId": uuid.uuid4().hex, "model": body["model"], "body": body,
            "input": body.get("input") or {}, "callBackUrl": body.get("callBackUrl") or "",
            "state": "waiting", "planned": self._next_outcome(), "price": price,
            "baseUrl": base_url, "createTime": created, "updateTime": created,
            "completeTime": None, "resultUrls": [], "failCode": "", "failMsg": "",
            "consumeCredits": 0, "remainedCredits": None, "finishing": False,
        }

    def _next_outcome(self):
        if self._outcomes:
            return self._outcomes.popleft()
        return "fail" if random.random() < self.config["fail_rate"] else "success"

    def _mark_generating(self, task_id):
        with self._lock:
            task = self.tasks.get(task_id)
            if task and task["state"] == "waiting":
                task["state"] = "generating"
                task["updateTime"] = now_ms()

    def finish_task(self, task_id, outcome=None):
        """Move a task to its terminal state (planned outcome unless given) and call back."""
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if task["finishing"] or task["state"] in TERMINAL:
                raise TaskFinished(task["state"])
            task["finishing"] = True  # so a timer and /complete cannot both finish it
            outcome = outcome or task["planned"]
        files = self._make_files(task) if outcome == "success" else []
        with self._lock:
            if self.tasks.get(task_id) is not task:
                raise TaskNotFound(task_id)  # the simulator was reset meanwhile
            self._apply_outcome(task, outcome, files)
            payload = self.callback_payload(task)
        self._send_callbacks(task, payload)
        return task

    def _make_files(self, task):
        spec = self.models[task["model"]]
        size = self.config["result_size_bytes"]
        return media.result_files(task["model"], spec, task["input"], task["taskId"], size)

    def _apply_outcome(self, task, outcome, files):
        task["state"] = outcome
        task["completeTime"] = task["updateTime"] = now_ms()
        if outcome == "success":
            for name, data, content_type in files:
                self.files[f"files/{task['taskId']}/{name}"] = (data, content_type)
            task["resultUrls"] = [f"{task['baseUrl']}/files/{task['taskId']}/{n}" for n, _, _ in files]
            task["consumeCredits"] = task["price"]
        else:
            self.balance = round(self.balance + task["price"], 6)  # failed tasks are not charged
            self.injected[f"task_fail_{self.config['task_fail_code']}"] += 1
            task["failCode"] = str(self.config["task_fail_code"])
            task["failMsg"] = self.config["task_fail_msg"]
        task["remainedCredits"] = self.balance

    def record(self, task_id):
        """recordInfo `data` for a task, or None."""
        with self._lock:
            task = self.tasks.get(task_id)
            return self._record_locked(task) if task else None

    def _record_locked(self, task):
        done = task["state"] in TERMINAL
        remained = task["remainedCredits"] if done else self.balance
        return {
            "taskId": task["taskId"], "model": task["model"], "state": task["state"],
            "param": _compact_json(task["body"]),
            "resultJson": _compact_json({"resultUrls": task["resultUrls"]}) if task["state"] == "success" else "",
            "failCode": task["failCode"], "failMsg": task["failMsg"],
            "costTime": self._cost_seconds(task), "consumeCredits": _plain_number(task["consumeCredits"]),
            "remainedCredits": _plain_number(remained), "createTime": task["createTime"],
            "updateTime": task["updateTime"], "completeTime": task["completeTime"],
        }

    @staticmethod
    def _cost_seconds(task):
        if task["state"] != "success":
            return 0
        return max(1, round((task["completeTime"] - task["createTime"]) / 1000))

    def callback_payload(self, task):
        code = 200 if task["state"] == "success" else 501
        return {"code": code, "msg": CALLBACK_MSG[task["state"]], "data": self._record_locked(task)}

    def task_list(self):
        with self._lock:
            return [{key: t[key] for key in ("taskId", "model", "input", "state", "callBackUrl")}
                    for t in self.tasks.values()]

    def ledger(self):
        """What KIE billed, task by task (oldest first): the measured inputs and the price. A task's
        credits are held while it runs, kept when it succeeds and given back when it fails."""
        with self._lock:
            return [_ledger_entry(t) for t in self.tasks.values()]

    # --- callbacks -----------------------------------------------------------

    def _send_callbacks(self, task, payload):
        with self._lock:
            if not task["callBackUrl"] or self.config["no_callback"]:
                return
            if random.random() < self.config["lost_callback_rate"]:
                self.injected["lost_callback"] += 1
                return
            delay_s = self.config["callback_delay_ms"] / 1000
            times = max(1, self.config["duplicate_callbacks"])
            if random.random() < self.config["duplicate_callback_rate"]:
                self.injected["duplicate_callback"] += 1
                times += 1
            key = self.config["hmac_key"]
        self._schedule(delay_s, self._deliver, task["callBackUrl"], payload, times, key)

    def _deliver(self, url, payload, times, key):
        for _ in range(times):
            attempt = webhook.deliver(url, payload, key)
            with self._lock:
                self.callbacks.append(attempt)

    def callback_list(self):
        with self._lock:
            return list(self.callbacks)

    # --- files ---------------------------------------------------------------

    def store_file(self, key, data, content_type):
        with self._lock:
            self.files[key] = (data, content_type)

    def get_file(self, key):
        with self._lock:
            return self.files.get(key)

    # --- timers --------------------------------------------------------------

    def _schedule(self, delay_s, fn, *args):
        """Daemon timer, so pending tasks never keep the process alive."""
        timer = threading.Timer(delay_s, lambda: self._run_timer(timer, fn, args))
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _run_timer(self, timer, fn, args):
        with self._lock:
            self._timers.discard(timer)
        try:
            fn(*args)
        except (TaskNotFound, TaskFinished):
            pass  # finished early via /sim/tasks/<id>/complete, or reset

    def _cancel_timers(self):
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


def _ledger_entry(task):
    bill = task["bill"]
    billed = task["state"] != "fail"
    return {
        "taskId": task["taskId"], "model": task["model"], "callBackUrl": task["callBackUrl"],
        "job": job_of(task["callBackUrl"]), "state": task["state"], "createTime": task["createTime"],
        "inputs": task["measured"], "basis": bill.basis,
        "priceCredits": billing.plain(bill.credits), "priceUsd": billing.plain(bill.usd),
        "billedCredits": billing.plain(bill.credits if billed else 0),
        "billedUsd": billing.plain(bill.usd if billed else 0),
    }


def job_of(callback_url):
    """The job a callBackUrl names (`?job=<id>`), or None."""
    return (parse_qs(urlparse(callback_url or "").query).get("job") or [None])[0]


def _plain_number(value):
    """10000.0 -> 10000, 0.8 stays 0.8 (some prices are fractional)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _compact_json(value):
    """KIE sends JSON-in-a-string fields without spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
