"""Shared fixtures: one real local stack per test session (emulators, simulators, the four functions)."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from shared import runtime
from infra import query_shapes

ROOT = Path(__file__).resolve().parents[1]
INDEX_CHECK = Path(__file__).with_name("test_query_indexes.py")


def pytest_configure(config):
    """Every query this session's code runs records its shape (tests/test_query_indexes.py checks them)."""
    directory = ROOT / ".local" / "query-shapes" / str(os.getpid())
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[query_shapes.ENV] = str(directory)  # the stacks' function processes inherit it


def pytest_unconfigure(config):
    shutil.rmtree(os.environ.get(query_shapes.ENV, ""), ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """The index check runs last, after whatever was selected, even when its file was not."""
    if not items:
        return
    check = [item for item in items if item.path == INDEX_CHECK]
    if not check:
        check = list(pytest.Module.from_parent(session, path=INDEX_CHECK).collect())
    items[:] = [item for item in items if item.path != INDEX_CHECK] + check


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
    """A store on the emulator, in a project of its own (no wipe needed)."""
    from shared.bootstrap import connect_store

    async def connect():
        return connect_store(f"test-{uuid.uuid4().hex[:10]}")

    return runtime.run(connect())


@pytest.fixture
def db(clean_stack):
    """The store the functions use: the stack's own project."""
    from shared.bootstrap import connect_store

    async def connect():
        return connect_store(clean_stack.project)

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
