"""Functions-framework targets served inside this Python process, for benches and import tests.

A tiny HTTP receiver on 127.0.0.1 stands where the stack's function processes would: the Telegram
simulator delivers updates to it, Cloud Tasks dispatches to it, KIE posts callbacks to it. Each
request is handed to its target through Flask's test client of `functions_framework.create_app`
(the app functions-framework itself serves) and timed there, so a timing is the in-process handling
alone, without the HTTP hop. A path mapped to None is a sink: it answers 200 and keeps the body.
GET /_modules answers the process's sys.modules and GET /_calls what it received (for import tests).

    with InProcess({"/webhook": "telegram_webhook", "/worker": None}) as served:
        set_webhook(stack, served.url + "/webhook")
        SimClient(stack.url("telegram")).send_text(7, "/start")
        served.calls[-1]  # Call(path="/webhook", status=200, ms=..., body=...)

As a fresh process of its own (what tests/test_cold_path.py starts):

    python -m infra.inprocess --port 8800 --route /webhook=telegram_webhook --route /worker=
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token", "X-Webhook-Timestamp", "X-Webhook-Signature",
                     "Authorization")


@dataclass
class Call:
    path: str
    status: int
    ms: float  # in-process handling time (0 for a sink)
    body: bytes


class InProcess:
    def __init__(self, routes: dict[str, str | None], source: str | Path = ROOT / "main.py", port: int = 0):
        self.routes = dict(routes)
        self.source = str(source)
        self.port = port
        self.calls: list[Call] = []
        self._apps: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def app(self, target: str) -> Any:
        """The target's Flask app, created (and main.py imported) on first use."""
        with self._lock:
            if target not in self._apps:
                import functions_framework

                self._apps[target] = functions_framework.create_app(target, self.source)
            return self._apps[target]

    def handle(self, path: str, body: bytes, headers: dict[str, str]) -> Call:
        target = self.routes.get(path)
        if target is None:
            call = Call(path, 200 if path in self.routes else 404, 0.0, body)
        else:
            client = self.app(target).test_client()
            started = time.perf_counter()
            response = client.post("/", data=body, headers=headers)
            call = Call(path, response.status_code, (time.perf_counter() - started) * 1000, body)
        with self._lock:
            self.calls.append(call)
        return call

    def last(self, path: str) -> Call:
        with self._lock:
            return next(c for c in reversed(self.calls) if c.path == path)

    def start(self) -> InProcess:
        owner = self

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k in FORWARDED_HEADERS if (v := self.headers.get(k)) is not None}
                try:
                    status = owner.handle(self.path.split("?")[0], body, headers).status
                except Exception:  # an unexpected crash must still answer
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/_modules":
                    payload: Any = sorted(sys.modules)
                elif self.path == "/_calls":
                    with owner._lock:
                        payload = [{"path": c.path, "status": c.status, "ms": c.ms,
                                    "body": c.body.decode(errors="replace")} for c in owner.calls]
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Receiver)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="inprocess-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> InProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def set_webhook(telegram_url: str, token: str, url: str, secret: str) -> None:
    """setWebhook on the Telegram simulator (the stack registers its own webhook function; this points elsewhere)."""
    response = httpx.post(f"{telegram_url}/bot{token}/setWebhook", json={"url": url, "secret_token": secret}, timeout=10)
    if response.status_code != 200 or response.json().get("ok") is not True:
        raise RuntimeError(f"setWebhook failed: {response.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve functions-framework targets in one process (see the docstring).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--route", action="append", default=[], metavar="PATH=TARGET",
                        help="e.g. /webhook=telegram_webhook; an empty target makes a sink that answers 200")
    args = parser.parse_args()
    routes = {path: (target or None) for path, _, target in (r.partition("=") for r in args.route)}
    with InProcess(routes, port=args.port):
        threading.Event().wait()


if __name__ == "__main__":
    main()
