"""Functions-framework targets, one module each in functions/. A target is imported when functions-framework
asks this module for it, so an instance imports only the function it serves; importing this creates no client."""
import importlib

from shared.bootstrap import check_startup

__all__ = ["telegram_webhook", "generation_worker", "kie_callback", "free_tier_refresh", "reconciliation_sweep",
           "housekeeping", "catalog_sync"]


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module 'main' has no attribute {name!r}")
    return getattr(importlib.import_module(f"functions.{name}"), name)


check_startup()  # settings and catalog are validated before the first request
