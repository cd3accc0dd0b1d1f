"""KIE.ai HTTP client: createTask, recordInfo, credits, uploads, callback signatures."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.domain.jobs import ErrorCode, classify_kie_code

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
SIGNATURE_WINDOW_S = 300
# KIE answers 401 to a request without this content type, GETs included; Cloudflare in front of it has
# refused some default user agents: both are sent on every call (an upload keeps its multipart type).
HEADERS = {"Content-Type": "application/json", "User-Agent": "ai-studio-bot/1.0 (+httpx)"}


class KieError(RuntimeError):
    def __init__(self, code: int, message: str):
        super().__init__(f"KIE {code}: {message}")
        self.code = code
        self.message = message

    @property
    def error_code(self) -> ErrorCode:
        return classify_kie_code(self.code)


@dataclass(frozen=True)
class TaskRecord:
    task_id: str
    state: str  # waiting | queuing | generating | success | fail
    result_urls: list[str] = field(default_factory=list)
    fail_code: str = ""
    fail_msg: str = ""
    credits_consumed: float | None = None  # what the provider billed for the task (creditsConsumed)
    cost_time: int | None = None  # its processing time as reported (milliseconds per 2026 observers)

    @property
    def finished(self) -> bool:
        return self.state in ("success", "fail")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "TaskRecord":
        """A recordInfo `data` or a callback's: a market task, or Suno's shape (takes in `data[].audio_url`
        and a `callbackType` for each of its several callbacks, only `complete` or `error` ending it)."""
        urls = _result_urls(data.get("resultJson"))
        takes = data.get("data")
        if isinstance(takes, list):
            urls = urls or _take_urls(takes)
        state = str(data.get("state") or CALLBACK_STATE.get(str(data.get("callbackType") or ""), ""))
        return cls(task_id=str(data.get("taskId") or data.get("task_id") or ""), state=state,
                   result_urls=urls, fail_code=str(data.get("failCode") or ""), fail_msg=str(data.get("failMsg") or ""),
                   credits_consumed=_number(_first(data.get("creditsConsumed"), data.get("consumeCredits"))),
                   cost_time=_whole(data.get("costTime")))


# Suno calls back several times per task: the lyrics, the first take, then all takes (or an error).
CALLBACK_STATE = {"text": "generating", "first": "generating", "complete": "success", "error": "fail"}


def _result_urls(raw: Any) -> list[str]:
    """resultJson, a JSON string: {"resultUrls": [...]}, or Suno's {"data": [{"audio_url": ...}, ...]}."""
    if not isinstance(raw, str) or not raw:
        return []
    try:
        result = json.loads(raw)
    except (ValueError, RecursionError):
        return []
    if not isinstance(result, dict):
        return []
    found = result.get("resultUrls")
    if isinstance(found, list):
        return [u for u in found if isinstance(u, str) and u]
    return _take_urls(result.get("data"))


def _take_urls(takes: Any) -> list[str]:
    if not isinstance(takes, list):
        return []
    urls = [t.get("audio_url") or t.get("audioUrl") for t in takes if isinstance(t, dict)]
    return [u for u in urls if isinstance(u, str) and u]


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def sign(key: str, task_id: str, timestamp: str) -> str:
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(key: str, task_id: str, timestamp: str | None, signature: str | None,
                     now: float | None = None) -> bool:
    if not timestamp or not signature or not task_id:
        return False
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= SIGNATURE_WINDOW_S and hmac.compare_digest(sign(key, task_id, timestamp).encode(), signature.encode())


def sign_job(key: str, job_id: str) -> str:
    """Our signature of a job id in the callback URL we give KIE (`?job=<id>&sig=<this>`). KIE signs only the
    task id, so the query is ours to protect: a `job` we did not sign is ignored."""
    return hmac.new(key.encode(), f"job:{job_id}".encode(), hashlib.sha256).hexdigest()


def job_signature_ok(key: str, job_id: str, signature: str | None) -> bool:
    return bool(key and signature) and hmac.compare_digest(sign_job(key, job_id).encode(), signature.encode())


def callback_url(base: str, key: str, job_id: str) -> str:
    """The callBackUrl for a job: naming it (signed) when we have a key, else the bare URL."""
    if not key:
        return base
    return f"{base}?job={job_id}&sig={sign_job(key, job_id)}"


class KieClient:
    def __init__(self, base_url: str, upload_base_url: str, api_key: str, client: httpx.AsyncClient | None = None,
                 timeout_s: float | None = None):
        self.base_url = base_url.rstrip("/")
        self.upload_base_url = upload_base_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {api_key}", "User-Agent": HEADERS["User-Agent"]}
        self._headers = {**HEADERS, **self._auth}
        timeout = httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)) if timeout_s else TIMEOUT
        self._http = client or httpx.AsyncClient(timeout=timeout)

    async def _call(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, url, headers=headers or self._headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as err:
            raise KieError(503, f"network: {err}") from err  # never reached KIE: safe to try again
        except httpx.TimeoutException as err:
            raise KieError(504, f"timeout: {err}") from err
        except httpx.HTTPError as err:  # sent, but no answer: KIE may have acted on it, as after a timeout
            raise KieError(504, f"network: {err}") from err
        try:
            body = response.json()
        except ValueError:
            raise KieError(response.status_code if response.status_code >= 400 else 502, response.text[:200]) from None
        code = int(body.get("code", response.status_code)) if isinstance(body, dict) else response.status_code
        if response.status_code >= 400 and code == 200:
            code = response.status_code
        if code != 200:
            raise KieError(code, str(body.get("msg") or body.get("message") or "") if isinstance(body, dict) else "")
        return body.get("data")

    async def create_task(self, model: str, payload: dict[str, Any], callback_url: str | None) -> str:
        body: dict[str, Any] = {"model": model, "input": payload}
        if callback_url:
            body["callBackUrl"] = callback_url
        data = await self._call("POST", f"{self.base_url}/api/v1/jobs/createTask", json=body)
        task_id = (data or {}).get("taskId")
        if not task_id:
            raise KieError(502, "createTask returned no taskId")
        return str(task_id)

    async def record_info(self, task_id: str) -> TaskRecord:
        data = await self._call("GET", f"{self.base_url}/api/v1/jobs/recordInfo", params={"taskId": task_id})
        return TaskRecord.from_data(data or {})

    async def credits(self) -> float:
        return float(await self._call("GET", f"{self.base_url}/api/v1/chat/credit"))

    async def upload_bytes(self, content: bytes, file_name: str, upload_path: str = "user-uploads") -> str:
        files = {"file": (file_name, content)}
        data = await self._call("POST", f"{self.upload_base_url}/api/file-stream-upload", headers=self._auth,
                                files=files, data={"uploadPath": upload_path, "fileName": file_name})
        data = data if isinstance(data, dict) else {}
        url = data.get("downloadUrl") or data.get("fileUrl")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise KieError(502, "upload returned no file URL")
        return url

    async def discover(self, path: str = "") -> Any:
        """GET /api/v1/models[/<model>/schema|price|success-rate]: the provider's model discovery. These
        share one request per second per account (shared/clients/discovery.py paces them)."""
        return await self._call("GET", f"{self.base_url}/api/v1/models" + (f"/{path}" if path else ""))

    async def price_feed_page(self, page: int, size: int = 100) -> Any:
        """One page of the public price feed (no key needed; sent with ours all the same)."""
        return await self._call("POST", f"{self.base_url}/client/v1/model-pricing/page",
                                json={"pageNum": page, "pageSize": size})

    async def aclose(self) -> None:
        await self._http.aclose()
