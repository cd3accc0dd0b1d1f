"""The provider's discovery endpoints at their pace: one call per `gap_s` (they share 1 request/s per
account), a 429 waited out with a growing pause, a bounded number of tries. Every call has the client's
timeout. Used by the catalog sync only."""
from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from shared.clients.kie import KieClient, KieError

BACKOFF_S = (2.0, 4.0, 8.0)  # after a 429: the limit is per second, a few seconds clear it


class Discovery:
    def __init__(self, kie: KieClient, gap_s: float = 1.0, backoff_s: tuple[float, ...] = BACKOFF_S):
        self.kie = kie
        self.gap_s = gap_s
        self.backoff_s = backoff_s
        self.calls = 0
        self.throttled = 0  # 429s met (and waited out)
        self._last = 0.0

    async def _paced(self, call: Callable[[], Awaitable[Any]]) -> Any:
        for pause in (*self.backoff_s, None):
            wait = self._last + self.gap_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last = time.monotonic()
            self.calls += 1
            try:
                return await call()
            except KieError as err:
                if err.code != 429 or pause is None:
                    raise
                self.throttled += 1
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def models(self) -> list[dict[str, Any]]:
        data = await self._paced(lambda: self.kie.discover())
        models = (data or {}).get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise KieError(502, "model list without models")
        return [m for m in models if isinstance(m, dict) and isinstance(m.get("model"), str)]

    async def schema(self, model: str) -> dict[str, Any]:
        data = await self._paced(lambda: self.kie.discover(f"{model}/schema"))
        return (data or {}).get("openapi") or {} if isinstance(data, dict) else {}

    async def price(self, model: str) -> str:
        data = await self._paced(lambda: self.kie.discover(f"{model}/price"))
        return str((data or {}).get("pricingDesc") or "") if isinstance(data, dict) else ""

    async def success_rate(self, model: str) -> list[dict[str, Any]]:
        data = await self._paced(lambda: self.kie.discover(f"{model}/success-rate"))
        buckets = (data or {}).get("buckets") if isinstance(data, dict) else None
        return [b for b in buckets if isinstance(b, dict)] if isinstance(buckets, list) else []

    async def price_feed(self, max_pages: int = 20, size: int = 100) -> list[dict[str, Any]]:
        """Every row of the public price feed, up to max_pages pages (not rate-limited, not paced)."""
        rows: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            data = await self.kie.price_feed_page(page, size)
            batch = (data or {}).get("list") if isinstance(data, dict) else None
            if not isinstance(batch, list) or not batch:
                break
            rows += [r for r in batch if isinstance(r, dict)]
            if len(rows) >= int((data or {}).get("total") or 0):
                break
        return rows
