"""Files over HTTP: one client per event loop, a URL's size and type without downloading it, and its bytes
read streamed with a cap (results from the provider, users' files from Telegram)."""
from __future__ import annotations

import asyncio
import logging
import mimetypes
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("files")
PROBE_TIMEOUT_S = 10.0

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]" = weakref.WeakKeyDictionary()


class TooBig(Exception):
    def __init__(self, size: int):
        super().__init__(f"more than {size} bytes")
        self.size = size


class FetchFailed(Exception):
    """No bytes: an HTTP error status, a network error or the deadline."""


@dataclass(frozen=True)
class Probe:
    url: str
    size: int | None = None  # bytes; None when the server did not say
    content_type: str = ""  # lower case, no parameters; "" when unknown


def shared_http() -> httpx.AsyncClient:
    """One client per event loop (connections are bound to a loop), with bounded timeouts."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(timeout=httpx.Timeout(PROBE_TIMEOUT_S, read=30.0), follow_redirects=True,
                                   limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
        _clients[loop] = client
    return client


def mime(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def content_length(headers: httpx.Headers) -> int | None:
    if headers.get("content-encoding", "identity").lower() not in ("", "identity"):
        return None  # the length of the compressed body, not of the file
    try:
        size = int(headers.get("content-length", ""))
    except ValueError:
        return None
    return size if size >= 0 else None


def guess_type(url: str) -> str:
    return mimetypes.guess_type(urlsplit(url).path)[0] or ""


async def probe(http: httpx.AsyncClient, url: str) -> Probe:
    """Size and content type of a URL without downloading it; unknown fields stay empty."""
    try:
        response = await http.head(url, timeout=PROBE_TIMEOUT_S, follow_redirects=True)
        size = content_length(response.headers) if response.status_code < 400 else None
        if size is not None:
            return Probe(url, size, mime(response.headers.get("content-type")) or guess_type(url))
    except httpx.HTTPError as err:
        log.info("HEAD failed (%s); trying GET", type(err).__name__)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            async with http.stream("GET", url, timeout=PROBE_TIMEOUT_S, follow_redirects=True) as response:
                if response.status_code < 400:
                    return Probe(url, content_length(response.headers),
                                 mime(response.headers.get("content-type")) or guess_type(url))
                log.warning("result URL answered HTTP %d", response.status_code)
    except (httpx.HTTPError, TimeoutError) as err:
        log.warning("could not probe a result URL: %s", type(err).__name__)
    return Probe(url, None, guess_type(url))


async def fetch(http: httpx.AsyncClient, url: str, limit: int, deadline_s: float) -> bytes:
    """The bytes at `url`, read streamed: TooBig as soon as they pass `limit` (never buffered past it),
    FetchFailed on an HTTP error, a network error or past `deadline_s` in all. The URL may hold a bot
    token: it is never logged."""
    try:
        async with asyncio.timeout(deadline_s):
            async with http.stream("GET", url, follow_redirects=True) as response:
                if response.status_code != 200:
                    raise FetchFailed(f"HTTP {response.status_code}")
                declared = content_length(response.headers)
                if declared is not None and declared > limit:
                    raise TooBig(declared)
                buf = bytearray()
                async for chunk in response.aiter_bytes():
                    buf += chunk
                    if len(buf) > limit:
                        raise TooBig(max(declared or 0, len(buf)))
                return bytes(buf)
    except (httpx.HTTPError, TimeoutError) as err:
        raise FetchFailed(type(err).__name__) from None
