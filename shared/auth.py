"""Who is calling? Cloud Tasks and Cloud Scheduler attach a Google-signed OIDC ID token; check it.

On GCP the non-public functions are also protected by Cloud Run IAM (only the invoker service accounts
hold roles/run.invoker). This is the second lock: it still holds if a function is made public by
mistake, and it names the exact service accounts that may call each function (EXPECTED_INVOKERS).

Audience: the token must have been minted for the URL this request was sent to, so a token for one
function cannot be replayed against another.
- generation_worker: WORKER_URL (Cloud Tasks tasks carry `audience = WORKER_URL` and are sent to it).
- any other function (the Cloud Scheduler targets): the URL the request arrived at, rebuilt from
  `X-Forwarded-Proto` + `Host` + path. Cloud Run routes by Host, so a request that reaches this
  function carries this function's host; Terraform gives each scheduler job `audience = its URL`.
A trailing slash on either side is ignored (Google's examples use `<url>/`).

With EXPECTED_INVOKERS empty (local stack, tests) every caller is allowed.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("auth")

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"  # keys of Google-signed ID tokens
CLOCK_SKEW_S = 10
CERTS_MIN_CACHE_S = 60.0
CERTS_MAX_CACHE_S = 3600.0
CERTS_DEFAULT_CACHE_S = 300.0
CERTS_TIMEOUT_S = 5.0

_certs_cache: dict[str, tuple[float, bytes]] = {}
_certs_lock = threading.Lock()


class _Response:
    """The google.auth.transport.Response shape: status, headers, data."""

    def __init__(self, status: int, data: bytes, headers: dict[str, str] | None = None):
        self.status = status
        self.data = data
        self.headers = headers or {}


class _CertsTransport:
    """The `request` google-auth uses to download the signing keys. It always answers from `certs_url`
    (Google's URL in production, a local server in tests) and caches a good answer for its
    Cache-Control max-age (clamped to 1 min..1 h), so an instance does not fetch the keys per request."""

    def __init__(self, certs_url: str):
        self.certs_url = certs_url

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = None, **kwargs: Any) -> _Response:
        now = time.monotonic()
        with _certs_lock:
            cached = _certs_cache.get(self.certs_url)
        if cached and cached[0] > now:
            return _Response(200, cached[1])
        import httpx

        response = httpx.get(self.certs_url, timeout=CERTS_TIMEOUT_S)
        if response.status_code == 200:
            with _certs_lock:
                _certs_cache[self.certs_url] = (now + _max_age(response.headers.get("Cache-Control", "")),
                                                response.content)
        return _Response(response.status_code, response.content, dict(response.headers))


def _max_age(cache_control: str) -> float:
    match = re.search(r"max-age=(\d+)", cache_control)
    seconds = float(match.group(1)) if match else CERTS_DEFAULT_CACHE_S
    return min(max(seconds, CERTS_MIN_CACHE_S), CERTS_MAX_CACHE_S)


def _variants(audiences: Iterable[str]) -> list[str]:
    out: list[str] = []
    for audience in audiences:
        base = audience.rstrip("/")
        if base:
            out += [base, base + "/"]
    return out


def verify_oidc(request: Any, audience: str | Sequence[str], allowed_emails: Iterable[str],
                certs_url: str | None = None) -> str | None:
    """The caller's service-account email when `Authorization: Bearer <id token>` is a valid Google ID
    token (signature, issuer, expiry) for `audience` (one URL or several) whose verified `email` is in
    `allowed_emails`; else None (and a warning in the log). `certs_url` defaults to Google's keys."""
    allowed = {email.strip().lower() for email in allowed_emails if email.strip()}
    audiences = _variants([audience] if isinstance(audience, str) else audience)
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        log.warning("caller refused: no bearer token")
        return None
    if not audiences or not allowed:  # never let an empty audience switch the audience check off
        log.warning("caller refused: no expected audience or invoker")
        return None
    from google.oauth2 import id_token

    try:
        transport = _CertsTransport(certs_url or GOOGLE_CERTS_URL)
        claims = id_token.verify_oauth2_token(token, transport, audience=audiences, clock_skew_in_seconds=CLOCK_SKEW_S)
    except Exception as err:  # malformed, bad signature, expired, wrong issuer or audience, keys unavailable
        log.warning("caller refused: %s", err)
        return None
    email = str(claims.get("email") or "").lower()
    if claims.get("email_verified") not in (True, "true"):
        log.warning("caller refused: email not verified", extra={"email": email})
        return None
    if email not in allowed:
        log.warning("caller refused: %s is not an expected invoker", email)
        return None
    return email


def called_url(request: Any) -> str:
    """The URL this request was sent to (scheme from the front end's X-Forwarded-Proto), no query."""
    proto = (request.headers.get("X-Forwarded-Proto") or request.scheme or "https").split(",")[0].strip()
    return f"{proto}://{request.host}{request.path}".rstrip("/")


def expected_audiences(request: Any, settings: Any) -> list[str]:
    """WORKER_URL when the request came to the worker's host, else the URL it was sent to."""
    url = called_url(request)
    worker = (settings.worker_url or "").rstrip("/")
    if worker and urlsplit(worker).netloc.lower() == urlsplit(url).netloc.lower():
        return [worker]
    return [url]


def caller_allowed(request: Any, settings: Any, certs_url: str | None = None) -> bool:
    """True when EXPECTED_INVOKERS is empty (local/dev), else only for a valid ID token of one of
    those service accounts minted for this function's URL (see the module docstring)."""
    invokers = list(settings.expected_invokers or [])
    if not invokers:
        return True
    return verify_oidc(request, expected_audiences(request, settings), invokers, certs_url=certs_url) is not None
