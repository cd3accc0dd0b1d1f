"""A small httpx client for the /sim/ control API (used by tests and infra.chat)."""
import httpx

_UNSET = object()


class SimError(Exception):
    def __init__(self, status, payload):
        message = payload.get("error") if isinstance(payload, dict) else payload
        super().__init__(f"{status}: {message}")
        self.status = status
        self.payload = payload


class SimClient:
    def __init__(self, base_url, timeout=90.0):
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(timeout=timeout)

    def close(self):
        self.http.close()

    def _check(self, response):
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = response.text
            raise SimError(response.status_code, payload)
        return response

    def _post(self, path, payload=None):
        return self._check(self.http.post(f"{self.base_url}/sim{path}", json=payload or {})).json()

    def _get(self, path, **params):
        params = {key: value for key, value in params.items() if value is not None}
        return self._check(self.http.get(f"{self.base_url}/sim{path}", params=params)).json()

    # acting as a user
    def send_text(self, user_id, text, **profile):
        return self._post(f"/users/{user_id}/message", {"text": text, **profile})

    def press(self, user_id, message_id, index=None, data=None, button_text=None):
        payload = {"message_id": message_id}
        if index is not None:
            payload["index"] = index
        if data is not None:
            payload["data"] = data
        if button_text is not None:
            payload["button_text"] = button_text
        return self._post(f"/users/{user_id}/callback", payload)

    def send_photo(self, user_id, **options):
        return self._post(f"/users/{user_id}/photo", options)

    def send_file(self, user_id, kind, **options):
        """kind: document, audio, voice, video or animation."""
        return self._post(f"/users/{user_id}/{kind}", options)

    def send_album(self, user_id, photos=None, count=2, **options):
        return self._post(f"/users/{user_id}/album", {"photos": photos, "count": count, **options})

    def pay(self, user_id, message_id=None, link=None, skip_precheckout=False, **options):
        """Pay an invoice message (or an invoice link) as the user: returns
        {"pre_checkout": {...} | None, "payment": {"charge_id", "message_id", ...} | None}.
        deliver=False: the Stars are taken, the successful_payment update is returned instead of delivered."""
        payload = {"skip_precheckout": skip_precheckout, **options}
        if message_id is not None:
            payload["message_id"] = message_id
        if link is not None:
            payload["link"] = link
        return self._post(f"/users/{user_id}/pay", payload)

    def refund_outside(self, user_id, charge_id, notify=True):
        """Telegram gives the Stars back without the bot; notify sends the bot a refunded_payment message."""
        return self._post(f"/users/{user_id}/refund", {"charge_id": charge_id, "notify": notify})

    def raw_update(self, update, secret=_UNSET):
        payload = {"update": update}
        if secret is not _UNSET:
            payload["secret"] = secret
        return self._post("/updates", payload)

    # inspecting
    def messages(self, chat_id):
        return self._get(f"/chats/{chat_id}/messages")

    def wait(self, chat_id, after_message_id=None, after_rev=None, timeout=10.0):
        return self._get(f"/chats/{chat_id}/wait", after_message_id=after_message_id,
                         after_rev=after_rev, timeout=timeout)

    def calls(self, method=None):
        return self._get("/calls", method=method)["calls"]

    def callback_answers(self):
        return self._get("/callback_answers")["callback_queries"]

    def payments(self):
        return self._get("/payments")["payments"]

    def pre_checkout_queries(self):
        return self._get("/pre_checkout_queries")["pre_checkout_queries"]

    def commands(self):
        return self._get("/commands")["commands"]

    def deliveries(self):
        return self._get("/deliveries")["deliveries"]

    def webhook(self):
        return self._get("/webhook")

    def file_bytes(self, file_id):
        response = self._check(self.http.get(f"{self.base_url}/sim/files/{file_id}"))
        return response.content, response.headers.get("X-File-Path", "")

    # switches
    def reset(self, everything=False):
        return self._post("/reset", {"everything": everything})

    def injected(self):
        return self._get("/injected")

    def configure(self, **changes):
        return self._post("/config", changes)
