"""Shared fixtures: one real local stack per test session (emulators, simulators, the four functions)."""
from __future__ import annotations

import os
import uuid

import pytest

from shared import runtime


@pytest.fixture(scope="session")
def stack():
    """Firestore and Cloud Tasks emulators, KIE and Telegram simulators, functions under functions-framework."""
    from infra.stack import LocalStack, StackPorts

    local = LocalStack(StackPorts.free(), log_dir=".local/test-logs")
    local.start()
    # In-process code (the functions-framework test client, the store fixture) sees the same stack.
    previous = dict(os.environ)
    os.environ.update(local.env())
    yield local
    local.stop()
    os.environ.clear()
    os.environ.update(previous)


@pytest.fixture
def clean_stack(stack):
    stack.wipe_firestore()
    stack.reset_simulators()
    yield stack


@pytest.fixture
def store(stack):
    """A FirestoreStore on the emulator, in a project of its own (no wipe needed)."""
    from shared.storage.firestore import FirestoreStore

    async def connect():
        return FirestoreStore.connect(f"test-{uuid.uuid4().hex[:10]}")

    return runtime.run(connect())


@pytest.fixture
def db(clean_stack):
    """The store the functions use: the stack's own project."""
    from shared.storage.firestore import FirestoreStore

    async def connect():
        return FirestoreStore.connect(clean_stack.project)

    return runtime.run(connect())


@pytest.fixture
def kie(clean_stack):
    """HTTP client for the KIE simulator's API and its /sim controls."""
    import httpx

    client = httpx.Client(base_url=clean_stack.url("kie"), timeout=10)
    yield client
    client.close()


def run(coro):
    return runtime.run(coro, timeout=60)
