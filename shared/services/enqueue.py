"""Starting the worker on a confirmed job: what the webhook needs of the pipeline, without importing it.

The webhook confirms a job and enqueues its start task; the pipeline itself (shared/services/generation.py,
with delivery and the KIE client) is the worker's and stays out of the webhook's imports.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.bootstrap import Container
    from shared.domain.jobs import Job


def start_task_name(job_id: str) -> str:
    """Named from the job id: Cloud Tasks refuses a second task of the same name (a duplicate confirm)."""
    return f"{job_id}-start"


async def enqueue_start(c: "Container", job: "Job", suffix: str = "") -> None:
    name = start_task_name(job.id) + (f"-{suffix}" if suffix else "")
    await c.queue.enqueue(name, {"kind": "start", "job_id": job.id})
