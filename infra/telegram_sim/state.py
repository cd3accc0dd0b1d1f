"""Everything the simulator remembers, behind one lock."""
import collections
import copy
import math
import random
import secrets
import threading
import time

from .errors import ApiError, bad_request
from .media import KIND_DIRS

DEFAULT_CONFIG = {
    "latency_ms": 0,  # added to every Bot API call
    # {method: {"error_code", "description", "retry_after", "count", "applied", "delay_ms"}}; "applied": the
    # call takes effect and only its answer fails (a lost answer), "delay_ms": the answer comes that late
    "fail_methods": {},
    "flood_limit_per_chat": False,  # False/0 = off, True = 1 msg/s, a number = msgs/s
    "flood_burst": 3,  # messages a chat may send at once before the rate applies
    "webhook_timeout_s": 60.0,
    "pre_checkout_timeout_s": 10.0,  # Telegram drops a pre-checkout query the bot has not answered by then
    "rate_limit_rate": 0.0,  # chaos: this share of the bot's calls get 429 with retry_after
    "rate_limit_retry_after": 1,
    # Telegram sends an update again when the webhook fails; these are the pauses before each new try
    # ([] = one try only, the default here so a test sees exactly what it sent).
    "redelivery_delays_s": [],
}
RATE_LIMIT_EXEMPT = {"getMe", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands", "getFile"}
FIRST_CALLBACK_ID = 4_000_000_000_000_000_000  # Telegram's query ids are long digit strings
FIRST_PRE_CHECKOUT_ID = 5_000_000_000_000_000_000
QUERY_ID_INVALID = "QUERY_ID_INVALID"


class SimState:
    def __init__(self, token, bot_name="AI Studio", bot_username="ai_studio_sim_bot", first_update_id=1):
        self.token = token
        self.bot = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": bot_name,
                    "username": bot_username}
        self.first_update_id = first_update_id
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)  # woken on every message change
        self.answered = threading.Condition(self.lock)  # woken when a pre-checkout query is answered
        self.reset(everything=True)

    # --- lifecycle -------------------------------------------------------

    def reset(self, everything=False):
        """Forget chats, files, calls and config; keep the webhook, commands and the update_id
        sequence unless `everything` (a running bot registered them / deduplicates by update_id)."""
        with self.lock:
            if everything:
                self.webhook = {"url": "", "secret_token": None, "allowed_updates": [],
                                "max_connections": 40, "last_error_date": None, "last_error_message": None}
                self.commands = {}
                self.next_update_id = self.first_update_id
            self.epoch = getattr(self, "epoch", 0) + 1  # pending redeliveries of an older run are dropped
            self.pending_redeliveries = 0
            self.config = copy.deepcopy(DEFAULT_CONFIG)
            self.users, self.chats, self.blocked = {}, {}, set()
            self.messages = {}  # chat_id -> {message_id: record}
            self.last_message_id = {}
            self.files, self.files_by_path = {}, {}
            self.calls, self.deliveries = [], []
            self.injected = collections.Counter()  # chaos faults by kind
            self.callback_queries = {}
            self.invoice_links = {}  # slug -> invoice (with its payload) made by createInvoiceLink
            self.pre_checkout_queries = {}  # query id -> query, its answer and deadline
            self.payments = {}  # telegram_payment_charge_id -> payment record, oldest first
            self.flood = {}
            self.counters = {"file": 0, "callback": 0, "media_group": 0, "call": 0, "invoice": 0,
                             "pre_checkout": 0, "charge": 0, "star_event": 0}
            self.rev = 0
            self.changed.notify_all()

    def configure(self, changes):
        with self.lock:
            for key, value in changes.items():
                if key not in DEFAULT_CONFIG:
                    raise ValueError(f"unknown config key {key!r}; known: {sorted(DEFAULT_CONFIG)}")
                if key == "redelivery_delays_s" and not (
                        isinstance(value, list) and all(isinstance(v, (int, float)) and v >= 0 for v in value)):
                    raise ValueError("redelivery_delays_s must be a list of seconds")
                self.config[key] = copy.deepcopy(value)
            return copy.deepcopy(self.config)

    def next_id(self, counter):
        with self.lock:
            self.counters[counter] += 1
            return self.counters[counter]

    def take_update_id(self):
        with self.lock:
            update_id = self.next_update_id
            self.next_update_id += 1
            return update_id

    # --- users and chats -------------------------------------------------

    def ensure_user(self, user_id, first_name=None, username=None, language_code=None):
        """Create or update a private-chat user; later calls may omit the profile fields."""
        with self.lock:
            user = self.users.setdefault(user_id, {"id": user_id, "is_bot": False,
                                                   "first_name": f"User {user_id}"})
            if first_name:
                user["first_name"] = first_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
            self.chats[user_id] = chat
            self.messages.setdefault(user_id, {})
            return copy.deepcopy(user)

    def chat(self, chat_id):
        """The Chat object the bot may write to, or Telegram's error."""
        with self.lock:
            if isinstance(chat_id, str) and chat_id.startswith("@"):
                chat_id = next((c["id"] for c in self.chats.values()
                                if c.get("username", "").lower() == chat_id[1:].lower()), None)
            if chat_id not in self.chats:
                raise bad_request("chat not found")
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            return copy.deepcopy(self.chats[chat_id])

    def set_blocked(self, user_id, blocked):
        with self.lock:
            (self.blocked.add if blocked else self.blocked.discard)(user_id)

    # --- messages --------------------------------------------------------

    def _bump(self, record):
        self.rev += 1
        record["rev"] = self.rev
        self.changed.notify_all()

    def add_message(self, chat_id, build, from_bot, html=None, **extra):
        """Allocate the chat's next message_id, let build(message_id) make the Message, store it."""
        with self.lock:
            message_id = self.last_message_id.get(chat_id, 0) + 1
            self.last_message_id[chat_id] = message_id
            message = build(message_id)
            record = {"message_id": message_id, "chat_id": chat_id, "from_bot": from_bot,
                      "deleted": False, "edited": False, "rev": 0, "html": html, "message": message, **extra}
            self.messages.setdefault(chat_id, {})[message_id] = record
            self._bump(record)
            return copy.deepcopy(record)

    def store_foreign_message(self, message):
        """Remember a message that arrived through a raw /sim/updates update."""
        with self.lock:
            chat_id, message_id = message["chat"]["id"], message["message_id"]
            self.chats.setdefault(chat_id, copy.deepcopy(message["chat"]))
            chat = self.messages.setdefault(chat_id, {})
            if message_id not in chat:
                self.last_message_id[chat_id] = max(self.last_message_id.get(chat_id, 0), message_id)
                chat[message_id] = {"message_id": message_id, "chat_id": chat_id, "from_bot": False,
                                    "deleted": False, "edited": False, "rev": 0, "html": None,
                                    "message": copy.deepcopy(message)}
                self._bump(chat[message_id])

    def message_record(self, chat_id, message_id):
        """The live record (caller holds the lock) or None."""
        return self.messages.get(chat_id, {}).get(message_id)

    def update_message(self, chat_id, message_id, change):
        """Apply change(record) under the lock, mark it edited and wake waiters."""
        with self.lock:
            record = self.message_record(chat_id, message_id)
            change(record)
            self._bump(record)
            return copy.deepcopy(record)

    def chat_messages(self, chat_id):
        with self.lock:
            records = sorted(self.messages.get(chat_id, {}).values(), key=lambda r: r["message_id"])
            return copy.deepcopy(records), self.rev

    def wait_changes(self, chat_id, after_message_id=None, after_rev=None, timeout=10.0):
        """Bot messages newer than after_message_id or changed after after_rev (default: now)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            since = self.rev if after_rev is None else after_rev
            while True:
                changed = [r for r in self.messages.get(chat_id, {}).values() if r["from_bot"] and (
                    r["rev"] > since or (after_message_id is not None and r["message_id"] > after_message_id))]
                remaining = deadline - time.monotonic()
                if changed or remaining <= 0:
                    changed.sort(key=lambda r: r["rev"])
                    return copy.deepcopy(changed), self.rev
                self.changed.wait(remaining)

    # --- files -----------------------------------------------------------

    def add_file(self, kind, content, file_size=None, ext=".bin", **meta):
        """Store bytes under a fresh file_id; content may be None for files too big to keep."""
        with self.lock:
            n = self.next_id("file")
            file_id = f"SIM{kind[:3].upper()}{n:08d}"
            path = f"{KIND_DIRS.get(kind, 'documents')}/file_{n}{ext}"
            record = {"file_id": file_id, "file_unique_id": f"AQAD{n:06d}", "kind": kind,
                      "file_size": len(content) if file_size is None else file_size,
                      "file_path": path, "content": content, **meta}
            self.files[file_id] = record
            self.files_by_path[path] = file_id
            return record

    def file(self, file_id):
        with self.lock:
            return self.files.get(file_id)

    def file_by_path(self, path):
        with self.lock:
            return self.files.get(self.files_by_path.get(path))

    # --- calls, flood control, injected failures ----------------------------

    def record_call(self, method, params, files, status, response, via="http"):
        with self.lock:
            self.calls.append({"seq": self.next_id("call"), "method": method, "params": params,
                               "files": files, "time": time.time(), "status": status,
                               "response": response, "via": via})

    def call_list(self, method=None):
        with self.lock:
            return copy.deepcopy([c for c in self.calls if method in (None, c["method"])])

    def take_failure(self, method):
        """The injected error for this call, if any (fail_methods counts down, rate_limit_rate is random)."""
        with self.lock:
            rule = self.config["fail_methods"].get(method)
            if not rule:
                rate = float(self.config["rate_limit_rate"] or 0)
                if rate and method not in RATE_LIMIT_EXEMPT and random.random() < rate:
                    self.injected["429"] += 1
                    retry_after = int(self.config["rate_limit_retry_after"])
                    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
                return None
            count = rule.get("count", 1)
            if count is not None and count >= 0:
                if count <= 1:
                    del self.config["fail_methods"][method]
                else:
                    rule["count"] = count - 1
            code = int(rule.get("error_code", 429))
            retry_after = rule.get("retry_after")
            if code == 429 and retry_after is None:
                retry_after = 1
            default = (f"Too Many Requests: retry after {retry_after}" if code == 429
                       else {400: "Bad Request", 403: "Forbidden: bot was blocked by the user",
                             500: "Internal Server Error", 502: "Bad Gateway"}.get(code, "Error"))
            return ApiError(code, rule.get("description") or default, retry_after,
                            applied=bool(rule.get("applied")), delay_ms=int(rule.get("delay_ms") or 0))

    def check_flood(self, chat_id):
        """Token bucket per chat: a burst is fine, more than the rate sustained gets 429."""
        with self.lock:
            limit = self.config["flood_limit_per_chat"]
            if not limit:
                return
            rate = 1.0 if limit is True else float(limit)
            burst = max(1, int(self.config["flood_burst"]))
            now = time.monotonic()
            tokens, last = self.flood.get(chat_id, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self.flood[chat_id] = (tokens, now)
                retry_after = max(1, math.ceil((1 - tokens) / rate))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            self.flood[chat_id] = (tokens - 1, now)

    # --- callback queries and webhook deliveries -----------------------------

    def add_callback_query(self, user_id, message_id, data):
        with self.lock:
            query_id = str(FIRST_CALLBACK_ID + self.next_id("callback"))
            self.callback_queries[query_id] = {
                "callback_query_id": query_id, "user_id": user_id, "message_id": message_id,
                "data": data, "created_at": time.time(), "answered": False, "answer": None}
            return query_id

    def answer_callback_query(self, query_id, answer):
        with self.lock:
            query = self.callback_queries.get(query_id)
            if not query or query["answered"]:
                raise bad_request("query is too old and response timeout expired or query ID is invalid")
            query.update(answered=True, answered_at=time.time(), answer=answer)

    def callback_list(self):
        with self.lock:
            return copy.deepcopy(list(self.callback_queries.values()))

    def record_delivery(self, entry):
        with self.lock:
            self.deliveries.append(entry)
            status = entry.get("webhook_status")
            if status != 200 and not entry.get("skipped"):
                self.webhook["last_error_date"] = int(time.time())
                self.webhook["last_error_message"] = entry.get("error") or f"Wrong response from the webhook: {status}"



    # --- payments ----------------------------------------------------------------

    def add_pre_checkout_query(self, user_id, invoice):
        """A pending pre-checkout query for `invoice`; the bot must answer before its deadline."""
        with self.lock:
            query_id = str(FIRST_PRE_CHECKOUT_ID + self.next_id("pre_checkout"))
            timeout = float(self.config["pre_checkout_timeout_s"])
            self.pre_checkout_queries[query_id] = {
                "pre_checkout_query_id": query_id, "user_id": user_id, "currency": invoice["currency"],
                "total_amount": invoice["total_amount"], "invoice_payload": invoice["payload"],
                "created_at": time.time(), "timeout_s": timeout, "deadline": time.monotonic() + timeout,
                "answered": False, "ok": None, "error_message": None, "late_answers": 0}
            return copy.deepcopy(self.pre_checkout_queries[query_id])

    def answer_pre_checkout_query(self, query_id, ok, error_message):
        with self.lock:
            query = self.pre_checkout_queries.get(query_id)
            if query is None or query["answered"]:
                raise bad_request(QUERY_ID_INVALID)
            if time.monotonic() > query["deadline"]:
                query["late_answers"] += 1  # Telegram has already told the user the bot did not answer
                raise bad_request(QUERY_ID_INVALID)
            query.update(answered=True, answered_at=time.time(), ok=bool(ok),
                         error_message=None if ok else error_message)
            self.answered.notify_all()

    def wait_pre_checkout_answer(self, query_id):
        """The query once answered or past its deadline."""
        with self.lock:
            query = self.pre_checkout_queries[query_id]
            while not query["answered"]:
                remaining = query["deadline"] - time.monotonic()
                if remaining <= 0:
                    break
                self.answered.wait(remaining)
            return copy.deepcopy(query)

    def add_payment(self, record):
        """Store a completed payment under a fresh charge id; returns the charge id."""
        with self.lock:
            n = self.next_id("charge")
            charge_id = f"stxSIM{n:06d}{secrets.token_hex(12)}"
            self.payments[charge_id] = {"telegram_payment_charge_id": charge_id, **record,
                                        "date": int(time.time()), "seq": self.next_id("star_event"),
                                        "refunded": False, "refunded_at": None, "refund_seq": None}
            return charge_id

    def refund_payment(self, user_id, charge_id):
        with self.lock:
            payment = self.payments.get(charge_id)
            if payment is None or payment["user_id"] != user_id:
                raise bad_request("CHARGE_NOT_FOUND")
            if payment["refunded"]:
                raise bad_request("CHARGE_ALREADY_REFUNDED")
            payment.update(refunded=True, refunded_at=int(time.time()), refund_seq=self.next_id("star_event"))

    def payment_list(self):
        with self.lock:
            return copy.deepcopy(list(self.payments.values()))

    def pre_checkout_list(self):
        with self.lock:
            return [{k: v for k, v in q.items() if k != "deadline"} for q in
                    copy.deepcopy(list(self.pre_checkout_queries.values()))]
