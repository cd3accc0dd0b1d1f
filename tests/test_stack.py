"""The local stack itself: emulators and simulators start, answer, wipe, deliver and stop cleanly."""
from __future__ import annotations

import os
import queue
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from infra.stack import LocalStack, StackError, StackPorts

LOG_DIR = ".local/logs/test_stack"


@pytest.fixture(scope="module")
def bare_stack():
    s = LocalStack(StackPorts.free(), log_dir=LOG_DIR, with_functions=False)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def receiver():
    """A tiny HTTP server on a free port; yields (url, queue of (path, headers, body))."""
    got: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", got
    server.shutdown()
    server.server_close()


def test_components_answer(bare_stack):
    assert httpx.get(bare_stack.url("firestore") + "/").text.strip() == "Ok"
    queue_ = bare_stack.tasks_client().get_queue(name=bare_stack.queue_path)
    assert queue_.name == bare_stack.queue_path
    for name in ("kie", "telegram"):
        httpx.get(bare_stack.url(name) + "/")  # any HTTP answer will do
    bare_stack.reset_simulators()
    env = bare_stack.env()
    assert env["FIRESTORE_EMULATOR_HOST"] == f"127.0.0.1:{bare_stack.ports.firestore}"
    assert env["TELEGRAM_API_BASE_URL"] == bare_stack.url("telegram")
    assert all(isinstance(v, str) for v in env.values())


def test_firestore_wipe(bare_stack, monkeypatch):
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{bare_stack.ports.firestore}")
    db = firestore.Client(project=bare_stack.project)
    doc = db.collection("stack_test").document(uuid.uuid4().hex)
    doc.set({"hello": "world"})
    assert doc.get().to_dict() == {"hello": "world"}
    bare_stack.wipe_firestore()
    assert not doc.get().exists


def test_cloud_task_is_delivered_over_http(bare_stack, receiver):
    from google.cloud import tasks_v2

    url, got = receiver
    task = tasks_v2.Task(
        http_request=tasks_v2.HttpRequest(
            url=url + "/run?job=1",
            http_method=tasks_v2.HttpMethod.POST,
            headers={"Content-Type": "application/json"},
            body=b'{"job": 1}',
        )
    )
    bare_stack.tasks_client().create_task(parent=bare_stack.queue_path, task=task)
    path, headers, body = got.get(timeout=5)
    assert path == "/run?job=1"
    assert body == b'{"job": 1}'
    assert headers.get("x-cloudtasks-queuename") == bare_stack.queue_path


def test_busy_port_is_named():
    ports = StackPorts.free()
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports.kie))
        s.listen()
        with pytest.raises(StackError, match=rf"{ports.kie} \(kie\)"):
            LocalStack(ports, log_dir=LOG_DIR, with_functions=False).start()


def _cmdlines() -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                out.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
    return out


def test_stop_leaves_no_process_behind():
    s = LocalStack(StackPorts.free(), log_dir=LOG_DIR, with_functions=False)
    s.start()
    pids = s.pids()
    assert len(pids) >= 4  # at least the four leaders (the firestore wrapper also has a java child)
    assert any(f"--port={s.ports.firestore}" in c and "java" in c for c in _cmdlines())
    s.stop()
    alive = [p for p in pids if os.path.exists(f"/proc/{p}") and _is_live(p)]
    assert alive == []
    assert not any(f"--port={s.ports.firestore}" in c and "java" in c for c in _cmdlines())
    assert s.ports.busy() == []
    s.stop()  # idempotent


def _is_live(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
