"""Cloud Tasks: enqueue the worker's jobs, named from the job id so a duplicate enqueue is refused.

Start tasks (createTask at KIE) go to their own queue, rate-limited to KIE's createTask budget; polls and
everything else go to the poll queue, so a backlog of one never holds up the other (terraform/tasks.tf)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from google.api_core.exceptions import AlreadyExists
from google.cloud import tasks_v2
from google.protobuf import duration_pb2, timestamp_pb2

DISPATCH_DEADLINE = timedelta(minutes=2)  # the worker only talks to KIE, never waits for a generation
TIMEOUT_S = 10.0


class TaskQueue:
    def __init__(self, project: str, location: str, queue: str, worker_url: str,
                 emulator_host: str = "", service_account: str = "", poll_queue: str = "",
                 client_factory: Callable[[str], Any] | None = None):
        self.parent = f"projects/{project}/locations/{location}/queues/{queue}"  # start tasks
        self.poll_parent = f"projects/{project}/locations/{location}/queues/{poll_queue}" if poll_queue else self.parent
        self.worker_url = worker_url
        self.service_account = service_account
        self._emulator_host = emulator_host
        self._client_factory = client_factory  # the local stack's metered client (shared/bootstrap.py)
        self._client: tasks_v2.CloudTasksAsyncClient | None = None

    def _get_client(self) -> tasks_v2.CloudTasksAsyncClient:
        if self._client is None:
            if self._client_factory is not None:
                self._client = self._client_factory(self._emulator_host)
            elif self._emulator_host:
                import grpc
                from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcAsyncIOTransport

                channel = grpc.aio.insecure_channel(self._emulator_host)
                self._client = tasks_v2.CloudTasksAsyncClient(transport=CloudTasksGrpcAsyncIOTransport(channel=channel))
            else:
                self._client = tasks_v2.CloudTasksAsyncClient()
        return self._client

    async def enqueue(self, name: str, payload: dict, delay: timedelta | None = None) -> bool:
        """False when a task with this name exists already (the enqueue is a no-op)."""
        request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST, url=self.worker_url,
            headers={"Content-Type": "application/json"}, body=json.dumps(payload).encode())
        if self.service_account:
            request.oidc_token = tasks_v2.OidcToken(service_account_email=self.service_account,
                                                    audience=self.worker_url)
        parent = self.parent if payload.get("kind") == "start" else self.poll_parent
        task = tasks_v2.Task(name=f"{parent}/tasks/{name}", http_request=request,
                             dispatch_deadline=duration_pb2.Duration(seconds=int(DISPATCH_DEADLINE.total_seconds())))
        if delay:
            when = timestamp_pb2.Timestamp()
            when.FromDatetime(datetime.now(timezone.utc) + delay)
            task.schedule_time = when
        try:
            await self._get_client().create_task(parent=parent, task=task, timeout=TIMEOUT_S)
        except AlreadyExists:
            return False
        return True
