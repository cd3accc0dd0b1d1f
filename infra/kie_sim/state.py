"""Everything the simulator remembers: switches, balance, tasks, files, callbacks, and the drift of the
provider's catalog (a removed model, a renamed field, a changed price, a degraded success rate)."""
import collections
import copy
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
STAGE_MSG = {"text": "Text generation completed successfully.", "first": "First track generated successfully.",
             "complete": "All generated successfully.", "error": "Audio generation failed."}
SUCCESS_FLAG = {"success": 1, "fail": 2}  # 0 while waiting or generating
BUCKET_MS = 10 * 60 * 1000  # the success rate comes in 10-minute buckets
BUCKETS = 24 * 6  # over the last 24 hours
NORMAL_RATE = 0.9  # a bucket below this success rate is not normal


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
                    "injected": dict(self.injected), "userAgents": dict(self.agents)}

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
        self.drift = {"removed": [], "renamed": {}, "prices": {}, "success_rates": {}}
        self.agents = collections.Counter()  # User-Agent headers seen, for tests of the client
        self._discovery_at = 0.0  # when the last discovery call was let through
        self._create_faults_made = 0

    def take_create_fault(self):
        """The fault code to answer this createTask with, or None."""
        with self._lock:
            code = self._faults_if_armed()
            if code is None:
                if random.random() < self.config["create_fault_rate"]:
                    # In turn, not at random: a soak of a few hundred jobs then meets every listed code
                    # (a random pick left one of five codes unused in 1 CI run of about 40).
                    codes = [int(c) for c in self.config["create_fault_codes"].split(",") if c.strip()]
                    code = codes[self._create_faults_made % len(codes)]
                    self._create_faults_made += 1
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

    def count_agent(self, agent):
        with self._lock:
            self.agents[agent[:100]] += 1

    def _faults_if_armed(self):
        code = self.config["create_fault"]
        return code if code and self._faults_left > 0 else None

    def credits(self):
        with self._lock:
            return _plain_number(self.balance)

    # --- the provider's catalog as it is now (drift switches) ------------------

    def set_drift(self, changes):
        """Merge drift switches: {"removed": [model], "renamed": {model: {old: new}}, "prices": {model: {price
        key: credits}}, "success_rates": {model: 0..1}}; ValueError names what does not fit."""
        with self._lock:
            drift = copy.deepcopy(self.drift)
            for key, value in (changes or {}).items():
                if key not in drift:
                    raise ValueError(f"unknown drift switch: {key}")
                if key == "removed":
                    drift[key] = sorted(set(drift[key]) | set(self._known(value)))
                else:
                    for model, change in dict(value).items():
                        self._known([model])
                        drift[key][model] = self._checked(key, model, change)
            self.drift = drift
            return copy.deepcopy(self.drift)

    def _known(self, models):
        unknown = [m for m in models if m not in self.models]
        if unknown:
            raise ValueError(f"unknown models: {', '.join(map(str, unknown))}")
        return list(models)

    def _checked(self, key, model, change):
        spec = self.models[model]
        if key == "renamed":
            bad = [old for old in change if old not in spec["input"]]
            if bad or not all(isinstance(new, str) and new for new in change.values()):
                raise ValueError(f"{model}: renamed names unknown fields {bad}")
            return dict(change)
        if key == "prices":
            table = spec.get("price_credits") or {}
            bad = [k for k, v in change.items() if not billing.is_price(table.get(k)) or not billing.is_price(v)]
            if bad:
                raise ValueError(f"{model}: no such price keys or bad values: {bad}")
            return dict(change)
        rate = float(change)
        if not 0 <= rate <= 1:
            raise ValueError(f"{model}: a success rate is between 0 and 1")
        return rate

    def spec(self, model):
        """The model as the provider serves it now: None when unknown or removed; renamed fields and
        changed prices applied."""
        with self._lock:
            if model not in self.models or model in self.drift["removed"]:
                return None
            spec = copy.deepcopy(self.models[model])
            renamed = self.drift["renamed"].get(model, {})
            spec["input"] = {renamed.get(name, name): field for name, field in spec["input"].items()}
            spec.setdefault("price_credits", {}).update(self.drift["prices"].get(model, {}))
            return spec

    def listed_models(self):
        """Model id -> current spec of every model in the provider's list."""
        with self._lock:
            ids = [m for m, spec in self.models.items() if catalog.listed(spec)]
        return {m: spec for m in ids if (spec := self.spec(m)) is not None}

    def _canonical(self, model, payload):
        """A request's input under the reference's names (billing and results read those)."""
        back = {new: old for old, new in self.drift["renamed"].get(model, {}).items()}
        return {back.get(name, name): value for name, value in payload.items()}

    def take_discovery_slot(self):
        """The model list, schema, price and success-rate calls share discovery_rps per account."""
        rps = self.config["discovery_rps"]
        with self._lock:
            now = time.monotonic()
            if rps and now - self._discovery_at < 1 / rps:
                self.injected["discovery_429"] += 1
                return False
            self._discovery_at = now
            return True

    def success_rate(self, model, now=None):
        """24 h of 10-minute buckets, oldest first: from the tasks this simulator finished, or the rate a
        `success_rates` switch sets for the model (the provider sees every account's tasks, not only ours)."""
        end = int(now if now is not None else now_ms())
        start = end - BUCKETS * BUCKET_MS
        with self._lock:
            forced = self.drift["success_rates"].get(model)
            done = [(t["completeTime"], t["state"]) for t in self.tasks.values()
                    if t["model"] == model and t["state"] in TERMINAL and t["completeTime"] >= start]
        counts = collections.defaultdict(collections.Counter)
        for at, state in done:
            counts[min(BUCKETS - 1, (at - start) // BUCKET_MS)][state] += 1
        buckets = []
        for i in range(BUCKETS):
            seen = counts.get(i, collections.Counter())
            total = seen["success"] + seen["fail"]
            rate = forced if forced is not None else (seen["success"] / total if total else 1.0)
            buckets.append({"startTime": start + i * BUCKET_MS, "endTime": start + (i + 1) * BUCKET_MS,
                            "total": total, "successRate": round(rate, 4), "errorRate": round(1 - rate, 4),
                            "isNormal": rate >= NORMAL_RATE})
        return buckets

    # --- tasks ---------------------------------------------------------------

    def create_task(self, body, base_url):
        """Measure the inputs, bill the task from KIE's price table, store it and start its lifecycle
        timers. Raises billing.BillingError when an input it is billed by cannot be read."""
        model = body["model"]
        spec = self.models[model]
        with self._lock:
            payload = self._canonical(model, body.get("input") or {})
            prices = {**(spec.get("price_credits") or {}), **self.drift["prices"].get(model, {})}
            spec = {**spec, "price_credits": prices}
        measured = measure.measure_input(spec, payload, base_url, self.get_file)
        bill = billing.bill(model, spec, payload, measured, generated_audio_s=media.AUDIO_SECONDS)
        price = float(bill.credits)
        with self._lock:
            if price > self.balance:
                raise NotEnoughCredits()
            self.balance = round(self.balance - price, 6)
            task = self._new_task(body, base_url, price)
            task.update(bill=bill, measured=measured, input=payload)
            self.tasks[task["taskId"]] = task
            latency_s = self.config["latency_ms"] / 1000
            stall = random.random() < self.config["stall_rate"]
            if stall:
                self.injected["stall"] += 1
        self._schedule(min(latency_s / 2, 0.1), self._mark_generating, task["taskId"])
        for stage, at in zip(spec.get("callbacks", [])[:-1], (0.3, 0.6)):  # Suno: text, then first
            self._schedule(latency_s * at, self._call_back_stage, task["taskId"], stage)
        if not stall:  # a stalled task stays "generating" until /sim/tasks/<id>/complete
            self._schedule(latency_s, self.finish_task, task["taskId"])
        return task

    def _new_task(self, body, base_url, price):
        created = now_ms()
        return {
            "taskId": uuid.uuid4().hex, "model": body["model"], "body": body,
            "input": body.get("input") or {}, "callBackUrl": body.get("callBackUrl") or "",
            "state": "waiting", "planned": self._next_outcome(body["model"]), "price": price,
            "baseUrl": base_url, "createTime": created, "updateTime": created,
            "completeTime": None, "resultUrls": [], "failCode": "", "failMsg": "",
            "consumeCredits": 0, "remainedCredits": None, "finishing": False,
        }

    def _next_outcome(self, model):
        if self._outcomes:
            return self._outcomes.popleft()
        rate = self.drift["success_rates"].get(model)
        if rate is not None:  # a degraded model fails as often as its success rate says
            return "success" if random.random() < rate else "fail"
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
            task["resultUrls"] = self._store_results(task, files)
            task["consumeCredits"] = task["price"]
        else:
            self.balance = round(self.balance + task["price"], 6)  # failed tasks are not charged
            self.injected[f"task_fail_{self.config['task_fail_code']}"] += 1
            task["failCode"] = str(self.config["task_fail_code"])
            task["failMsg"] = self.config["task_fail_msg"]
        task["remainedCredits"] = self.balance

    def _store_results(self, task, files):
        for name, data, content_type in files:
            self.files[f"files/{task['taskId']}/{name}"] = (data, content_type)
        return [f"{task['baseUrl']}/files/{task['taskId']}/{n}" for n, _, _ in files]

    def record(self, task_id):
        """recordInfo `data` for a task, or None."""
        with self._lock:
            task = self.tasks.get(task_id)
            return self._record_locked(task) if task else None

    def _record_locked(self, task):
        done = task["state"] in TERMINAL
        remained = task["remainedCredits"] if done else self.balance
        credits = _plain_number(task["consumeCredits"])
        return {
            "taskId": task["taskId"], "model": task["model"], "state": task["state"],
            "param": _compact_json(task["body"]),
            "resultJson": _compact_json(self._result(task)) if task["state"] == "success" else "",
            "failCode": task["failCode"], "failMsg": task["failMsg"],
            "successFlag": SUCCESS_FLAG.get(task["state"], 0),
            "costTime": self._cost_ms(task), "consumeCredits": credits, "creditsConsumed": credits,
            "remainedCredits": _plain_number(remained), "createTime": task["createTime"],
            "updateTime": task["updateTime"], "completeTime": task["completeTime"],
        }

    def _result(self, task):
        """resultJson: {"resultUrls": [...]}, or Suno's takes {"data": [{audio_url, ...}, ...]}."""
        if self._takes(task):
            return {"data": self._takes_of(task, task["resultUrls"])}
        return {"resultUrls": task["resultUrls"]}

    def _takes(self, task):
        return task["model"] in media.TAKES

    def _takes_of(self, task, urls):
        payload = task["input"]
        return [{"id": f"{task['taskId']}-{i}", "audio_url": url, "stream_audio_url": url, "image_url": "",
                 "prompt": payload.get("prompt") or "", "model_name": payload.get("model") or "",
                 "title": payload.get("title") or "", "tags": payload.get("style") or "",
                 "createTime": task["createTime"], "duration": media.AUDIO_SECONDS} for i, url in enumerate(urls)]

    @staticmethod
    def _cost_ms(task):
        """Processing time in milliseconds, as 2026 observers report costTime (0 for a failed task)."""
        if task["state"] != "success":
            return 0
        return max(1, task["completeTime"] - task["createTime"])

    def callback_payload(self, task):
        if self._takes(task):
            return self._stage_payload(task, "complete" if task["state"] == "success" else "error")
        code = 200 if task["state"] == "success" else 501
        return {"code": code, "msg": CALLBACK_MSG[task["state"]], "data": self._record_locked(task)}

    def _stage_payload(self, task, stage, urls=None):
        """Suno's callbacks: several per task (text, first, complete; or error), the takes in data.data."""
        if stage == "error":
            return {"code": 501, "msg": task["failMsg"] or STAGE_MSG[stage],
                    "data": {"callbackType": stage, "task_id": task["taskId"], "data": None}}
        takes = self._takes_of(task, urls if urls is not None else task["resultUrls"])
        return {"code": 200, "msg": STAGE_MSG[stage],
                "data": {"callbackType": stage, "task_id": task["taskId"], "data": takes}}

    def _call_back_stage(self, task_id, stage):
        """A callback while the task still runs: the lyrics (no audio yet), then the first take."""
        model = self.tasks[task_id]["model"]
        files = media.result_files(model, self.models[model], {}, task_id) if stage == "first" else []
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or task["state"] in TERMINAL or task["finishing"]:
                return
            urls = [""] * media.TAKES[task["model"]]
            if files:
                urls[0] = self._store_results(task, files[:1])[0]
            payload = self._stage_payload(task, stage, urls)
        self._send_callbacks(task, payload)

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
