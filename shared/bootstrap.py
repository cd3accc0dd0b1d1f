"""Wires the real adapters once per instance, lazily: importing this creates no client.

The seam for instruments: CLIENT_FACTORIES may name a module (the local stack sets `infra.metering`) whose
`firestore_client(project)` and `tasks_client(emulator_host)` build the Firestore and Cloud Tasks clients
instead of the libraries' defaults. Deployed functions never set it, and their zip does not hold infra/.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from shared import logs
from shared.catalog import Catalog, ModelSpec, load_catalog, load_pricing_truth
from shared.config import ConfigError, FunctionSettings, Settings, check_target, get_settings
from shared.domain.startup import PricingState, StartupError, validate_startup

if TYPE_CHECKING:
    from telegram import Bot

    from shared.clients.kie import KieClient
    from shared.clients.tasks import TaskQueue
    from shared.domain.pricing import PricingTruth
    from shared.storage.store import Store

log = logging.getLogger("bootstrap")
CLIENT_FACTORIES = "CLIENT_FACTORIES"


def client_factory(name: str) -> Callable[..., Any] | None:
    """The factory `name` of the module CLIENT_FACTORIES names, or None (the library's default client)."""
    module = os.environ.get(CLIENT_FACTORIES)
    return getattr(importlib.import_module(module), name) if module else None


def connect_store(project: str) -> "Store":
    """The store on a Firestore client from the seam (or the library's)."""
    from shared.storage.store import Store, default_client

    return Store((client_factory("firestore_client") or default_client)(project))


class Container:
    """Everything a function needs, each piece built on first use."""

    def __init__(self, settings: FunctionSettings | Settings):
        self.settings = settings
        self._free_tier: tuple[float, list[str]] | None = None
        self._runtime: tuple[float, dict] | None = None
        self._health: tuple[float, dict] | None = None

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog()

    @cached_property
    def pricing(self) -> PricingState:
        s = self.settings
        state = validate_startup(self.catalog, self.pricing_truth(), s.fx_rate, s.pricing_markup, s.free_tier_model_ids)
        log.info("startup validation passed; free tier: %s", ", ".join(state.free_tier))
        return state

    @cached_property
    def store(self) -> "Store":
        return connect_store(self.settings.gcp_project)

    @cached_property
    def kie(self) -> "KieClient":
        from shared.clients.kie import KieClient

        s = self.settings.section("kie", needed_by="the KIE client")
        return KieClient(s.kie_base_url, s.kie_upload_base_url, s.kie_api_key, timeout_s=s.kie_timeout_s)

    @cached_property
    def queue(self) -> "TaskQueue":
        from shared.clients.tasks import TaskQueue

        s, t = self.settings, self.settings.section("tasks", needed_by="the task queue")
        return TaskQueue(s.gcp_project, t.tasks_location, t.tasks_queue, s.worker_url, emulator_host=t.tasks_emulator_host,
                         service_account=t.tasks_service_account, poll_queue=t.tasks_poll_queue,
                         client_factory=client_factory("tasks_client"))

    @cached_property
    def bot(self) -> "Bot":
        from shared.clients.telegram import make_bot

        s = self.settings.section("telegram", needed_by="the Telegram bot")
        return make_bot(s.telegram_bot_token, s.telegram_api_base_url)

    def pricing_truth(self) -> "PricingTruth":
        """Read from disk on every call: free_tier_refresh must see an edited truth without a restart."""
        path = self.settings.pricing_truth_path
        return load_pricing_truth(Path(path)) if path else load_pricing_truth()

    async def free_tier(self) -> list[str]:
        """The stored tier (written by free_tier_refresh), cached briefly; the computed one until stored."""
        now = time.monotonic()
        if self._free_tier and now - self._free_tier[0] < self.settings.settings_cache_seconds:
            return self._free_tier[1]
        stored = await self.store.system.stored_free_tier()
        tier = list(stored["model_ids"]) if stored and stored.get("model_ids") else self.pricing.free_tier
        self._free_tier = (now, tier)
        return tier

    async def model_health(self) -> dict[str, dict]:
        """Model id -> health mark and typical time (settings/model_health), cached like the free tier."""
        now = time.monotonic()
        if self._health and now - self._health[0] < self.settings.settings_cache_seconds:
            return self._health[1]
        stored = await self.store.system.get_setting("model_health") or {}
        value = stored.get("models") or {}
        self._health = (now, value)
        return value

    async def runtime(self) -> dict:
        """Switches admins flip at run time (maintenance, disabled models), cached briefly."""
        now = time.monotonic()
        if self._runtime and now - self._runtime[0] < self.settings.settings_cache_seconds:
            return self._runtime[1]
        value = await self.store.admin.runtime()
        self._runtime = (now, value)
        return value

    def forget_cached(self) -> None:
        self._runtime = None
        self._free_tier = None
        self._health = None

    async def enabled_models(self) -> list["ModelSpec"]:
        runtime = await self.runtime()  # switched off by an admin, or no longer listed by the provider
        hidden = set(runtime["disabled_models"]) | set(runtime.get("delisted_models", {}))
        return [m for m in self.catalog.enabled() if m.id not in hidden]


_container: Container | None = None
_lock = threading.Lock()


def container() -> Container:
    global _container
    with _lock:
        if _container is None:
            settings = get_settings()
            logs.setup(settings.log_level, secrets=settings.secret_values())  # only the secrets it was given
            _container = Container(settings)
            _container.pricing  # validate at start: a bad catalog fails the first request loudly
        return _container


def check_startup() -> None:
    """Called when main is imported: a bad setting or catalog stops the instance with one clear line.
    functions-framework (locally and on Google Cloud) names the function it serves in FUNCTION_TARGET."""
    try:
        check_target(container().settings, os.environ.get("FUNCTION_TARGET", ""))
    except (ConfigError, StartupError) as err:
        logging.getLogger("startup").critical(str(err))
        raise SystemExit(str(err)) from None
