"""The worker's Cloud Tasks: their kinds, names and payloads, and the one table that routes a task to its use
case. Start tasks go to their own queue, everything else to the poll queue (shared/clients/tasks.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.lazy import resolve

if TYPE_CHECKING:
    from shared.bootstrap import Container


class Outcome(StrEnum):
    """What the worker answers Cloud Tasks: 2xx ends the task, RETRY (503) asks for it again later."""

    DONE = "done"
    RETRY = "retry"


@dataclass(frozen=True)
class Kind:
    target: str  # "module:function", called with the container and the payload's fields in order
    fields: tuple[tuple[str, type, Any], ...]  # (name, type, default); a default of None: required


KINDS: dict[str, Kind] = {
    "start": Kind("shared.app.generation:start", (("job_id", str, None),)),
    "poll": Kind("shared.app.generation:poll", (("job_id", str, None), ("attempt", int, 1))),
    "broadcast": Kind("shared.app.broadcast:run_batch", (("broadcast_id", str, None), ("batch_no", int, 1))),
    "status": Kind("shared.app.waiting:tick", (("job_id", str, None), ("tick", int, 1))),
    "catalog_sync": Kind("shared.app.catalog_sync:on_demand", (("admin_id", int, None),)),
}


def arguments(body: Any) -> tuple[Kind, list[Any]] | None:
    """A task's use case and its arguments, or None for a body no task of ours has (never worth a retry)."""
    name = body.get("kind") if isinstance(body, dict) else None
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        return None
    values = []
    for field, kind_type, default in kind.fields:
        value = body.get(field, default)
        if not isinstance(value, kind_type):
            return None
        values.append(value)
    return kind, values


async def run(c: "Container", kind: Kind, values: list[Any]) -> Outcome:
    return await resolve(kind.target)(c, *values)


def start_task_name(job_id: str) -> str:
    """Named from the job id: Cloud Tasks refuses a second task of the same name (a duplicate confirm)."""
    return f"{job_id}-start"


def poll_task_name(job_id: str, attempt: int) -> str:
    return f"{job_id}-poll-{attempt}"


def batch_task_name(broadcast_id: str, batch_no: int) -> str:
    return f"bc-{broadcast_id}-{batch_no}"


async def enqueue_start(c: "Container", job_id: str, suffix: str = "", delay: timedelta | None = None) -> None:
    await c.queue.enqueue(start_task_name(job_id) + (f"-{suffix}" if suffix else ""), {"kind": "start", "job_id": job_id},
                          delay=delay)


async def enqueue_poll(c: "Container", job_id: str, attempt: int, delay: timedelta) -> None:
    await c.queue.enqueue(poll_task_name(job_id, attempt), {"kind": "poll", "job_id": job_id, "attempt": attempt},
                          delay=delay)


async def enqueue_catalog_sync(c: "Container", admin_id: int, suffix: str) -> None:
    """An admin's "sync now": run by the worker (the webhook answers at once; a sync takes a minute)."""
    await c.queue.enqueue(f"catalog-sync-{suffix}", {"kind": "catalog_sync", "admin_id": admin_id})


async def enqueue_batch(c: "Container", broadcast_id: str, batch_no: int, delay: timedelta | None = None,
                        suffix: str = "") -> None:
    name = batch_task_name(broadcast_id, batch_no) + (f"-{suffix}" if suffix else "")
    await c.queue.enqueue(name, {"kind": "broadcast", "broadcast_id": broadcast_id, "batch_no": batch_no},
                          delay=delay)
