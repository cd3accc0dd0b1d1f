"""Storage faults for the local stack: a gRPC proxy between the functions and the Firestore emulator.

    python -m infra.firestore_faults --port 8683 --target 127.0.0.1:8681 --control-port 8684

Every Firestore RPC (unary, server-streaming and the bidirectional Listen/Write) is forwarded as raw
bytes to the emulator with its metadata and deadline. Off by default; at run time the control port
turns on, per kind, a share of calls that fail:

  unavailable   UNAVAILABLE before forwarding (any RPC)
  deadline      DEADLINE_EXCEEDED before forwarding (any RPC)
  aborted       ABORTED before forwarding (Commit, and reads inside a transaction: contention); the
                proxy rolls the transaction back on the emulator, as a server that aborts it does
  commit_lost   the Commit is forwarded and applied, then the client gets UNAVAILABLE or
                DEADLINE_EXCEEDED instead of its answer ("applied, but the answer was lost")

Control (HTTP, JSON), as infra.stack's FaultControl speaks it:

  GET  /faults        {"rates": {kind: share}, "plan": [...], "injected": {kind: n}, "by_rpc": {...}, "calls": {...}}
  POST /faults        {"unavailable": 0.02, ...}: set shares (0..1); other kinds keep theirs
  POST /faults/plan   {"kind": "commit_lost", "rpc": "Commit", "match": "processed_updates/", "count": 1}:
                      inject exactly this on the next matching calls (`match`: bytes the request must
                      contain, e.g. a document path), before any random fault; a commit_lost may name
                      the `code` its client gets (UNAVAILABLE, which the client library retries, or
                      DEADLINE_EXCEEDED, which it does not); a random one gets either
  POST /faults/reset  all shares 0, no plan, counters 0

The emulator's REST endpoints (the tests' wipes) are not proxied: they stay on the emulator's port.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import signal
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

KINDS = ("unavailable", "deadline", "aborted", "commit_lost")
CODES = {"unavailable": grpc.StatusCode.UNAVAILABLE, "deadline": grpc.StatusCode.DEADLINE_EXCEEDED,
         "aborted": grpc.StatusCode.ABORTED}
LOST_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
SERVER_STREAMING = {"BatchGetDocuments", "RunQuery", "RunAggregationQuery", "ExecutePipeline"}
BIDI = {"Listen", "Write"}
TRANSACTIONAL_READS = {"BatchGetDocuments", "RunQuery", "RunAggregationQuery"}
MAX_MESSAGE = 64 * 1024 * 1024
WORKERS = 128  # a streaming call holds a thread until it ends


class Faults:
    """Shares per kind, planned faults and counters, behind one lock."""

    def __init__(self, seed: int | None = None):
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rates = {kind: 0.0 for kind in KINDS}
            self.plan: list[dict] = []
            self.injected: collections.Counter = collections.Counter()
            self.by_rpc: collections.Counter = collections.Counter()
            self.calls: collections.Counter = collections.Counter()

    def configure(self, rates: dict) -> None:
        for kind, share in rates.items():
            if kind not in KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
                raise ValueError(f"{kind} must be a share between 0 and 1")
        with self.lock:
            self.rates.update({kind: float(share) for kind, share in rates.items()})

    def add_plan(self, kind: str, rpc: str | None = None, match: str | None = None, count: int = 1,
                 code: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        if kind == "commit_lost" and rpc not in (None, "Commit"):
            raise ValueError("commit_lost applies to Commit only")
        if code is not None and (kind != "commit_lost" or code not in [c.name for c in LOST_CODES]):
            raise ValueError("code is for commit_lost: UNAVAILABLE or DEADLINE_EXCEEDED")
        with self.lock:
            self.plan.append({"kind": kind, "rpc": rpc, "match": match, "count": int(count), "code": code})

    def describe(self) -> dict:
        with self.lock:
            return {"rates": dict(self.rates), "plan": [dict(p) for p in self.plan],
                    "injected": dict(self.injected), "by_rpc": dict(self.by_rpc), "calls": dict(self.calls)}

    def before(self, rpc: str, request: bytes) -> str | None:
        """The kind to fail this call with before forwarding it, or None (the call is counted)."""
        with self.lock:
            self.calls[rpc] += 1
            kinds = [k for k in ("unavailable", "deadline", "aborted") if self._applies(k, rpc, request)]
            planned = self._take_planned(kinds, rpc, request)
            if planned:
                return self._count(planned, rpc)
            for kind in kinds:
                if self.random.random() < self.rates[kind]:
                    return self._count(kind, rpc)
            return None

    def lose_answer(self, rpc: str, request: bytes) -> grpc.StatusCode | None:
        """For an applied Commit: the error to answer instead of its result, or None."""
        if rpc != "Commit":
            return None
        with self.lock:
            planned = self._take_planned(["commit_lost"], rpc, request, whole=True)
            if planned or self.random.random() < self.rates["commit_lost"]:
                self._count("commit_lost", rpc)
                code = planned and planned["code"]
                return grpc.StatusCode[code] if code else self.random.choice(LOST_CODES)
            return None

    def _applies(self, kind: str, rpc: str, request: bytes) -> bool:
        if kind != "aborted":
            return True
        if not self.rates["aborted"] and not any(p["kind"] == "aborted" for p in self.plan):
            return False  # spare parsing every read while nothing can abort it
        return rpc == "Commit" or (rpc in TRANSACTIONAL_READS and _in_transaction(rpc, request))

    def _take_planned(self, kinds: list[str], rpc: str, request: bytes, whole: bool = False):
        """The kind (or, with whole, the plan entry) planned for this call, used up by one; or None."""
        for item in self.plan:
            if item["kind"] in kinds and item["rpc"] in (None, rpc) and (
                    not item["match"] or item["match"].encode() in request):
                item["count"] -= 1
                if item["count"] <= 0:
                    self.plan.remove(item)
                return dict(item) if whole else item["kind"]
        return None

    def _count(self, kind: str, rpc: str) -> str:
        self.injected[kind] += 1
        self.by_rpc[f"{kind} {rpc}"] += 1
        return kind


def _transaction_of(rpc: str, request: bytes) -> tuple[str, bytes] | None:
    """(database, transaction id) of a Commit or a read inside a transaction, else None."""
    from google.cloud.firestore_v1 import types

    kind = {"Commit": types.CommitRequest, "BatchGetDocuments": types.BatchGetDocumentsRequest,
            "RunQuery": types.RunQueryRequest, "RunAggregationQuery": types.RunAggregationQueryRequest}.get(rpc)
    try:
        parsed = kind.deserialize(request) if kind else None
    except Exception:  # not ours to judge: an unreadable request is forwarded as it is
        return None
    if parsed is None or not parsed.transaction:
        return None
    database = getattr(parsed, "database", "") or parsed.parent.split("/documents")[0]
    return database, parsed.transaction


def _in_transaction(rpc: str, request: bytes) -> bool:
    return _transaction_of(rpc, request) is not None


class Forwarder(grpc.GenericRpcHandler):
    """Every method, whatever its name, forwarded as bytes (no serializers on either side)."""

    def __init__(self, channel: grpc.Channel, faults: Faults):
        self.channel = channel
        self.faults = faults

    def service(self, details):
        method = details.method
        rpc = method.rsplit("/", 1)[-1]
        if rpc in BIDI:
            return grpc.stream_stream_rpc_method_handler(lambda it, ctx: self._bidi(method, it, ctx))
        if rpc in SERVER_STREAMING:
            return grpc.unary_stream_rpc_method_handler(lambda req, ctx: self._stream(method, rpc, req, ctx))
        return grpc.unary_unary_rpc_method_handler(lambda req, ctx: self._unary(method, rpc, req, ctx))

    def _unary(self, method, rpc, request, context):
        self._maybe_fail(rpc, request, context)
        try:
            response = self.channel.unary_unary(method)(request, metadata=_metadata(context),
                                                        timeout=_timeout(context))
        except grpc.RpcError as err:
            context.abort(err.code(), err.details() or "")
        lost = self.faults.lose_answer(rpc, request)
        if lost is not None:
            context.abort(lost, "injected: the commit was applied but its answer was lost")
        return response

    def _stream(self, method, rpc, request, context):
        self._maybe_fail(rpc, request, context)
        try:
            yield from self.channel.unary_stream(method)(request, metadata=_metadata(context),
                                                         timeout=_timeout(context))
        except grpc.RpcError as err:
            context.abort(err.code(), err.details() or "")

    def _bidi(self, method, requests, context):
        try:
            yield from self.channel.stream_stream(method)(requests, metadata=_metadata(context))
        except grpc.RpcError as err:
            context.abort(err.code(), err.details() or "")

    def _maybe_fail(self, rpc, request, context):
        kind = self.faults.before(rpc, request)
        if kind == "aborted":
            self._roll_back(rpc, request, context)
        if kind:
            context.abort(CODES[kind], f"injected {kind}")

    def _roll_back(self, rpc, request, context):
        """A server that aborts a transaction ends it; the client will not (it just begins a new one)."""
        from google.cloud.firestore_v1 import types

        found = _transaction_of(rpc, request)
        if found is None:
            return
        rollback = types.RollbackRequest(database=found[0], transaction=found[1])
        try:
            self.channel.unary_unary("/google.firestore.v1.Firestore/Rollback")(
                types.RollbackRequest.serialize(rollback), metadata=_metadata(context), timeout=5)
        except grpc.RpcError:
            pass  # already gone


def _metadata(context):
    return tuple((m.key, m.value) for m in context.invocation_metadata() if not m.key.startswith(":")
                 and m.key not in ("user-agent", "grpc-accept-encoding", "grpc-timeout"))


def _timeout(context):
    remaining = context.time_remaining()
    return remaining if remaining is not None and remaining < 3600 else None


class FaultProxy:
    """The proxy and its control server, on background threads: FaultProxy(port, target, control_port).start()."""

    def __init__(self, port: int, target: str, control_port: int, host: str = "127.0.0.1", seed: int | None = None):
        self.faults = Faults(seed)
        options = [("grpc.max_send_message_length", MAX_MESSAGE), ("grpc.max_receive_message_length", MAX_MESSAGE)]
        self.channel = grpc.insecure_channel(target, options=options)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS), options=options,
                                  handlers=[Forwarder(self.channel, self.faults)])
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        self.control = ThreadingHTTPServer((host, control_port), _control_handler(self.faults))
        self.control.daemon_threads = True
        self.control_port = self.control.server_port

    def start(self) -> "FaultProxy":
        self.server.start()
        threading.Thread(target=self.control.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.control.shutdown()
        self.control.server_close()
        self.server.stop(grace=1).wait()
        self.channel.close()


def _control_handler(faults: Faults):
    class Control(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/":
                return self._answer(200, "Ok")
            if self.path == "/faults":
                return self._answer(200, faults.describe())
            return self._answer(404, {"error": "not found"})

        def do_POST(self):
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path == "/faults":
                    faults.configure(body)
                elif self.path == "/faults/plan":
                    faults.add_plan(body.get("kind"), body.get("rpc"), body.get("match"), body.get("count", 1),
                                    body.get("code"))
                elif self.path == "/faults/reset":
                    faults.reset()
                else:
                    return self._answer(404, {"error": "not found"})
            except (ValueError, TypeError, AttributeError) as err:
                return self._answer(400, {"error": str(err)})
            return self._answer(200, faults.describe())

        def _answer(self, status, payload):
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Control


class FaultControl:
    """A client of the control port: FaultControl(stack.fault_control_url).set(commit_lost=0.02)."""

    def __init__(self, url: str):
        import httpx

        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=10)

    def _post(self, path: str, body: dict) -> dict:
        response = self.http.post(path, json=body)
        if response.status_code != 200:
            raise ValueError(response.json().get("error", response.text))
        return response.json()

    def set(self, **rates: float) -> dict:
        return self._post("/faults", rates)

    def plan(self, kind: str, rpc: str | None = None, match: str | None = None, count: int = 1,
             code: str | None = None) -> dict:
        return self._post("/faults/plan", {"kind": kind, "rpc": rpc, "match": match, "count": count, "code": code})

    def reset(self) -> dict:
        return self._post("/faults/reset", {})

    def state(self) -> dict:
        return self.http.get("/faults").json()

    def injected(self) -> dict[str, int]:
        return self.state()["injected"]

    def close(self) -> None:
        self.http.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.firestore_faults", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="where the functions connect (gRPC)")
    parser.add_argument("--target", required=True, help="host:port of the Firestore emulator")
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    proxy = FaultProxy(args.port, args.target, args.control_port, args.host, args.seed).start()
    print(f"Firestore fault proxy on {args.host}:{proxy.port} -> {args.target}, control on {proxy.control_port}",
          flush=True)
    stopped.wait()
    proxy.stop()


if __name__ == "__main__":
    main()
