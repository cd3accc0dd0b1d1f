"""One asyncio loop per instance, in a background thread: sync HTTP entry points run coroutines on it.

Functions-framework calls targets synchronously (Flask); the clients we use are async and keep
connections bound to one loop, so every request shares this loop instead of asyncio.run().
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")
_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _get_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="async-runtime", daemon=True).start()
        return _loop


def run(coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    return asyncio.run_coroutine_threadsafe(coro, _get_loop()).result(timeout)
