"""What the storage layer costs: Firestore document reads and writes as Firestore bills them, and Cloud Tasks
created. Process-global, plain counters, in the local stack only: the stack names this module in
CLIENT_FACTORIES (shared/bootstrap.py), so every function process and the test session build their
Firestore and Cloud Tasks clients here (`firestore`, `tasks`). The deployment does not ship infra/: production
clients are the libraries' own.

Counted on the wire: a gRPC client interceptor sits on the Firestore client's channel, so every call the
library makes is seen, whatever code made it (document gets, transactional gets, queries, aggregation
queries, single writes, transaction commits, batches):

  BatchGetDocuments     1 read per document asked for, found or missing (a `get`, also inside a transaction)
  RunQuery              1 read per document returned; a query that returns nothing still bills 1 read
  RunAggregationQuery   1 read per 1000 index entries counted (rounded up), at least 1
  Commit                1 write per Write in the request (create/set/update/delete; a transform travels in
                        the same Write), counted only when the commit succeeds; transaction commits and
                        batches are Commits too
  BatchWrite            1 write per write that succeeded
  GetDocument/ListDocuments, Create/Update/DeleteDocument   1 read per document / 1 write
  BeginTransaction, Rollback, Listen, Write                 nothing

Deletes are counted as writes (Firestore bills them as deletes, at the same price as writes). Not seen:
BulkWriter, which runs on a synchronous copy of the client (nothing here uses it).

Cloud Tasks created are counted by an interceptor on the tasks client's channel, one per CreateTask the API
accepted.

    from infra import metering
    metering.reset(); ...; metering.snapshot()          # {"reads": 2, "writes": 3, "tasks": 1}
    with metering.measure() as used: ...                 # used.reads / used.writes / used.tasks (deltas)

With QUERY_SHAPES_DIR set (tests), the shape of every query is recorded too (query_shapes.py).

`trace()` additionally records every billed call (RPC, documents, the `scope` it ran in) for breakdowns;
it is off unless asked for.
"""
from __future__ import annotations

import contextvars
import logging
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import grpc
from google.cloud import firestore
from google.cloud.firestore_v1.services.firestore import async_client as gapic_async_client
from google.cloud.firestore_v1.services.firestore.transports.grpc_asyncio import FirestoreGrpcAsyncIOTransport

from infra import query_shapes

log = logging.getLogger("metering")

_lock = threading.Lock()
_counts = {"reads": 0, "writes": 0, "tasks": 0}
_trace: list["Op"] | None = None
_scope: contextvars.ContextVar[str] = contextvars.ContextVar("metering_scope", default="")


@dataclass(frozen=True)
class Op:
    """One billed call, recorded while tracing."""

    rpc: str  # Commit, BatchGetDocuments, RunQuery, ..., CreateTask
    reads: int = 0
    writes: int = 0
    tasks: int = 0
    docs: tuple[str, ...] = ()  # "users/42", "set jobs/abc", "query jobs", ...
    scope: str = ""


@dataclass
class Usage:
    reads: int = 0
    writes: int = 0
    tasks: int = 0
    ops: list[Op] = field(default_factory=list)

    @property
    def firestore_ops(self) -> int:
        return self.reads + self.writes

    def as_dict(self) -> dict[str, int]:
        return {"reads": self.reads, "writes": self.writes, "tasks": self.tasks}


def add(rpc: str, reads: int = 0, writes: int = 0, tasks: int = 0, docs: tuple[str, ...] = ()) -> None:
    if not (reads or writes or tasks):
        return
    with _lock:
        _counts["reads"] += reads
        _counts["writes"] += writes
        _counts["tasks"] += tasks
        if _trace is not None:
            _trace.append(Op(rpc, reads, writes, tasks, docs, _scope.get()))


def count_task(name: str = "") -> None:
    """One Cloud Task created (the API accepted it)."""
    add("CreateTask", tasks=1, docs=(name,) if name else ())


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def reset() -> None:
    with _lock:
        for key in _counts:
            _counts[key] = 0
        if _trace is not None:
            _trace.clear()


@contextmanager
def measure() -> Iterator[Usage]:
    """The reads/writes/tasks made (by anyone in this process) while the block runs, as deltas."""
    used = Usage()
    before = snapshot()
    mark = len(_trace) if _trace is not None else 0
    try:
        yield used
    finally:
        after = snapshot()
        used.reads, used.writes, used.tasks = (after[k] - before[k] for k in ("reads", "writes", "tasks"))
        if _trace is not None:
            with _lock:
                used.ops = list(_trace[mark:])


@contextmanager
def trace() -> Iterator[list[Op]]:
    """Record every billed call until the block ends (for breakdowns; not needed for the counters)."""
    global _trace
    with _lock:
        _trace = []
    try:
        yield _trace
    finally:
        with _lock:
            _trace = None


@contextmanager
def scope(label: str) -> Iterator[None]:
    """Name the code path whose calls a trace attributes; nested scopes read "outer/inner"."""
    outer = _scope.get()
    token = _scope.set(f"{outer}/{label}" if outer else label)
    try:
        yield
    finally:
        _scope.reset(token)


# --- the interceptor ---------------------------------------------------------------------------------

def _short(name: str) -> str:
    """projects/p/databases/(default)/documents/users/42 -> users/42"""
    return name.split("/documents/", 1)[1] if "/documents/" in name else name


def _rpc(method: str | bytes) -> str:
    if isinstance(method, bytes):
        method = method.decode()
    return method.rsplit("/", 1)[-1]


def _write_docs(writes: Any) -> tuple[str, ...]:
    if _trace is None:
        return ()
    docs = []
    for w in writes:
        if "update" in w:
            kind = "update" if "update_mask" in w else "set"
            if "current_document" in w and "exists" in w.current_document and not w.current_document.exists:
                kind = "create"
            docs.append(f"{kind} {_short(w.update.name)}")
        elif w.delete:
            docs.append(f"delete {_short(w.delete)}")
        else:
            docs.append(f"transform {_short(w.transform.document)}")
    return tuple(docs)


def _query_name(request: Any) -> str:
    if _trace is None:
        return ""
    query = request.structured_query if "structured_query" in request else request.structured_aggregation_query.structured_query
    collections = ",".join(c.collection_id for c in query.from_) or "?"
    parent = _short(request.parent)
    return f"{parent + '/' if '/documents/' in request.parent else ''}{collections}"


class UnaryMeter(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts what each unary Firestore RPC bills; never changes a request, a response or an error."""

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        call = await continuation(details, request)
        rpc = _rpc(details.method)
        if rpc not in ("Commit", "BatchWrite", "GetDocument", "ListDocuments", "CreateDocument", "UpdateDocument",
                       "DeleteDocument"):
            return call
        try:
            response = await call
        except Exception:  # failed: nothing billed; the caller gets the same error from `call`
            return call
        if rpc == "Commit":
            add(rpc, writes=len(request.writes), docs=_write_docs(request.writes))
        elif rpc == "BatchWrite":
            ok = sum(1 for status in response.status if status.code == 0)
            add(rpc, writes=ok, docs=_write_docs(request.writes))
        elif rpc == "GetDocument":
            add(rpc, reads=1, docs=(_short(request.name),))
        elif rpc == "ListDocuments":
            add(rpc, reads=max(1, len(response.documents)), docs=(_short(request.parent),))
        else:
            add(rpc, writes=1)
        return call


class StreamMeter(grpc.aio.UnaryStreamClientInterceptor):
    """Counts what each streamed Firestore RPC bills (gets, queries), as the responses pass by.

    (A separate class: grpc.aio files each interceptor under one kind only.)"""

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        call = await continuation(details, request)
        rpc = _rpc(details.method)
        if rpc == "BatchGetDocuments":
            return self._batch_get(call, request)
        if rpc in ("RunQuery", "RunAggregationQuery"):
            query_shapes.record(request)  # only when QUERY_SHAPES_DIR asks (tests): the index check reads them
        if rpc == "RunQuery":
            return self._query(call, request)
        if rpc == "RunAggregationQuery":
            return self._aggregation(call, request)
        return call

    @staticmethod
    async def _batch_get(call: Any, request: Any) -> Any:
        tx = " (tx)" if ("transaction" in request or "new_transaction" in request) else ""
        async for response in call:
            if "found" in response:
                add("BatchGetDocuments", reads=1, docs=(_short(response.found.name) + tx,) if _trace is not None else ())
            elif "missing" in response:
                add("BatchGetDocuments", reads=1,
                    docs=(_short(response.missing) + " (missing)" + tx,) if _trace is not None else ())
            yield response

    @staticmethod
    async def _query(call: Any, request: Any) -> Any:
        name, returned = _query_name(request), 0
        try:
            async for response in call:
                if "document" in response:
                    returned += 1
                    add("RunQuery", reads=1, docs=(f"query {name} -> {_short(response.document.name)}",)
                        if _trace is not None else ())
                yield response
        finally:
            if returned == 0:  # an empty result still bills one read
                add("RunQuery", reads=1, docs=(f"query {name} -> (none)",) if _trace is not None else ())

    @staticmethod
    async def _aggregation(call: Any, request: Any) -> Any:
        name, billed = _query_name(request), False
        try:
            async for response in call:
                if "result" in response:
                    counted = [v.integer_value for v in response.result.aggregate_fields.values()
                               if "integer_value" in v]
                    entries = max(counted, default=0)
                    add("RunAggregationQuery", reads=max(1, math.ceil(entries / 1000)),
                        docs=(f"count {name} = {entries}",) if _trace is not None else ())
                    billed = True
                yield response
        finally:
            if not billed:
                add("RunAggregationQuery", reads=1, docs=(f"count {name}",) if _trace is not None else ())


METERS = [UnaryMeter(), StreamMeter()]
# The library's emulator channel has no message size limits (google.cloud.firestore_v1.base_client).
_MSG_SIZE_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]


class MeteredTransport(FirestoreGrpcAsyncIOTransport):
    """The library's gRPC asyncio transport; its channels carry the meter (production: TLS with credentials)."""

    @classmethod
    def create_channel(cls, host: str = "firestore.googleapis.com", **kwargs: Any) -> grpc.aio.Channel:
        kwargs["interceptors"] = [*(kwargs.get("interceptors") or ()), *METERS]
        return super().create_channel(host, **kwargs)


class MeteredAsyncClient(firestore.AsyncClient):
    """firestore.AsyncClient whose channel is created with the meter on it.

    The library builds its transport lazily in `_firestore_api` from a transport class and, for the
    emulator, `_emulator_channel` (google-cloud-firestore 2.34, pinned in requirements.txt); these two
    hooks only swap in the same transport with the interceptor. Everything else is the library's.
    """

    @property
    def _firestore_api(self) -> Any:
        return self._firestore_api_helper(MeteredTransport, gapic_async_client.FirestoreAsyncClient,
                                          gapic_async_client)

    def _emulator_channel(self, transport: Any) -> grpc.aio.Channel:
        token = getattr(self._credentials, "id_token", None) or "owner"  # what the library sends the emulator
        return grpc.aio.insecure_channel(self._emulator_host, options=[("Authorization", f"Bearer {token}"),
                                                                      *_MSG_SIZE_OPTIONS], interceptors=METERS)


class TaskMeter(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts each CreateTask the Cloud Tasks API accepted (a refused name, AlreadyExists, is not a task)."""

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        call = await continuation(details, request)
        if _rpc(details.method) != "CreateTask":
            return call
        try:
            await call
        except Exception:
            return call
        count_task(request.task.name.rsplit("/", 1)[-1])
        return call


# --- the factories the stack names in CLIENT_FACTORIES (shared/bootstrap.py) ----------------------------

def firestore_client(project: str) -> MeteredAsyncClient:
    return MeteredAsyncClient(project=project)


def tasks_client(emulator_host: str) -> Any:
    """The Cloud Tasks client with the meter on its channel (the emulator's; production's otherwise)."""
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcAsyncIOTransport

    if not emulator_host:
        channel = CloudTasksGrpcAsyncIOTransport.create_channel(interceptors=[TaskMeter()])
    else:
        channel = grpc.aio.insecure_channel(emulator_host, interceptors=[TaskMeter()])
    return tasks_v2.CloudTasksAsyncClient(transport=CloudTasksGrpcAsyncIOTransport(channel=channel))
