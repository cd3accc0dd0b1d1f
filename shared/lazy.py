"""Code named in a table ("module:function"), imported when it is first used: how the routing tables of the
webhook (shared/telegram/routes.py) and the worker (shared/app/tasks.py) keep a cold instance from importing
what its first request does not need."""
from __future__ import annotations

import importlib
from functools import cache
from typing import Any, Callable


@cache
def resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
