"""The storage meter counts what Firestore bills, against the real emulator (infra/metering.py, the local stack's clients)."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from infra.stack import TASKS_LOCATION, TASKS_QUEUE
from infra import metering
from tests.conftest import run


def cost(coro: Any) -> dict[str, int]:
    """Reads/writes/tasks one coroutine made (nothing else runs meanwhile)."""

    async def measured():
        with metering.measure() as used:
            await coro
        return used

    return run(measured()).as_dict()


@pytest.fixture
def fs(store):
    """A metered client on the emulator, in a project of its own, with three documents in `things`."""
    db = store.db
    assert isinstance(db, metering.MeteredAsyncClient)

    async def seed():
        batch = db.batch()
        for i in range(3):
            batch.set(db.collection("things").document(f"t{i}"), {"n": i, "kind": "thing"})
        await batch.commit()

    run(seed())
    return db


def test_a_get_is_one_read_found_or_missing(fs):
    assert cost(fs.collection("things").document("t0").get()) == {"reads": 1, "writes": 0, "tasks": 0}
    assert cost(fs.collection("things").document("nope").get()) == {"reads": 1, "writes": 0, "tasks": 0}


def test_a_query_reads_each_document_and_an_empty_one_still_reads_one(fs):
    async def stream(query):
        return [snap async for snap in query.stream()]

    assert cost(stream(fs.collection("things"))) == {"reads": 3, "writes": 0, "tasks": 0}
    assert cost(stream(fs.collection("things").limit(2))) == {"reads": 2, "writes": 0, "tasks": 0}
    empty = fs.collection("things").where(filter=firestore.FieldFilter("kind", "==", "other"))
    assert cost(stream(empty)) == {"reads": 1, "writes": 0, "tasks": 0}


def test_a_count_query_is_one_read(fs):
    assert cost(fs.collection("things").count().get()) == {"reads": 1, "writes": 0, "tasks": 0}


def test_single_writes_count_and_a_refused_create_does_not(fs):
    ref = fs.collection("things").document("t9")
    assert cost(ref.set({"n": 9})) == {"reads": 0, "writes": 1, "tasks": 0}
    assert cost(ref.update({"n": firestore.Increment(1), "seen": True})) == {"reads": 0, "writes": 1, "tasks": 0}

    async def create_again():
        with pytest.raises(AlreadyExists):
            await ref.create({"n": 0})

    assert cost(create_again()) == {"reads": 0, "writes": 0, "tasks": 0}
    assert cost(ref.delete()) == {"reads": 0, "writes": 1, "tasks": 0}


def test_a_transaction_with_two_gets_and_two_writes(fs):
    a, b = fs.collection("things").document("t0"), fs.collection("things").document("t1")

    @firestore.async_transactional
    async def move(tx):
        first = await a.get(transaction=tx)
        second = await b.get(transaction=tx)
        tx.update(a, {"n": first.get("n") + 10})
        tx.update(b, {"n": second.get("n") + 10})

    assert cost(move(fs.transaction())) == {"reads": 2, "writes": 2, "tasks": 0}


def test_a_batch_of_three_writes(fs):
    async def batch():
        b = fs.batch()
        b.set(fs.collection("other").document("x"), {"v": 1})
        b.update(fs.collection("things").document("t2"), {"v": 2})
        b.delete(fs.collection("things").document("t1"))
        await b.commit()

    assert cost(batch()) == {"reads": 0, "writes": 3, "tasks": 0}


def test_a_trace_names_each_document(fs):
    async def work():
        with metering.scope("work"):
            await fs.collection("things").document("t0").get()
            await fs.collection("things").document("t0").update({"n": 1})

    with metering.trace():
        with metering.measure() as used:
            run(work())
    assert [(op.rpc, op.docs, op.scope) for op in used.ops] == [
        ("BatchGetDocuments", ("things/t0",), "work"), ("Commit", ("update things/t0",), "work")]


def test_a_cloud_task_enqueue_is_one_task(stack):
    from shared.clients.tasks import TaskQueue

    queue = TaskQueue(stack.project, TASKS_LOCATION, TASKS_QUEUE, stack.url("worker") + "/",
                      emulator_host=f"127.0.0.1:{stack.ports.tasks}", client_factory=metering.tasks_client)
    name = f"metering-{uuid.uuid4().hex[:8]}"
    payload = {"kind": "metering-test"}  # dispatched at once; the worker answers "bad task" 200
    assert cost(queue.enqueue(name, payload)) == {"reads": 0, "writes": 0, "tasks": 1}

    class Refusing:  # what Cloud Tasks answers to a name in use (the emulator does not check names)
        async def create_task(self, **kwargs):
            raise AlreadyExists("task exists")

    queue._client = Refusing()
    assert cost(queue.enqueue(name, payload)) == {"reads": 0, "writes": 0, "tasks": 0}


def test_the_task_meter_counts_only_a_create_task_the_api_accepted():
    """On the wire: a CreateTask answered with AlreadyExists (a name in use) is no task."""
    from types import SimpleNamespace

    from google.cloud import tasks_v2

    request = tasks_v2.CreateTaskRequest(parent="p", task=tasks_v2.Task(name="p/tasks/t1"))

    class Call:  # a grpc.aio call: awaiting it gives the answer or raises, as often as it is awaited
        def __init__(self, answer):
            self.answer = answer

        def __await__(self):
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer
            yield

    def continuation(answer):
        async def go(details, req):
            return Call(answer)

        return go

    async def intercept(answer, method="/google.cloud.tasks.v2.CloudTasks/CreateTask"):
        return await metering.TaskMeter().intercept_unary_unary(continuation(answer), SimpleNamespace(method=method),
                                                                request)

    assert cost(intercept(tasks_v2.Task(name="p/tasks/t1"))) == {"reads": 0, "writes": 0, "tasks": 1}
    assert cost(intercept(AlreadyExists("task exists"))) == {"reads": 0, "writes": 0, "tasks": 0}
    assert cost(intercept(tasks_v2.Task(), "/google.cloud.tasks.v2.CloudTasks/GetTask")) == {
        "reads": 0, "writes": 0, "tasks": 0}


def test_the_production_channel_carries_the_meter(monkeypatch):
    """Outside the emulator the library's TLS channel (with credentials) is created with the meter on it."""
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    client = metering.MeteredAsyncClient(project="metering-prod-check", credentials=AnonymousCredentials())
    loop = asyncio.new_event_loop()  # grpc.aio binds the channel to a loop; an earlier asyncio.run left none
    asyncio.set_event_loop(loop)
    try:
        channel = client._firestore_api.transport.grpc_channel  # built lazily, nothing is sent
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert client._target == "firestore.googleapis.com"
    assert any(isinstance(i, metering.UnaryMeter) for i in channel._unary_unary_interceptors)
    assert any(isinstance(i, metering.StreamMeter) for i in channel._unary_stream_interceptors)
