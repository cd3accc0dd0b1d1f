"""The one place that starts and stops the local stack (used by `./dev run` and the tests).

Processes, each in its own process group and logging to <log_dir>/<name>.log:
  firestore  - the official Cloud Firestore emulator (java)
  faults     - only with firestore_faults=True: infra/firestore_faults.py between the functions and the
               emulator (storage faults, off until asked for on its control port)
  tasks      - gcloud-tasks-emulator, from its own venv .venv-tasks
  kie        - python -m infra.kie_sim
  telegram   - python -m infra.telegram_sim
  webhook, worker, callback, scheduler, sweep, housekeeping, sync - functions-framework targets from main.py

Each function starts with what its deployment gives it (functions/manifest.json, as terraform/ reads it):
the stack's settings, only its own secrets, and the K_SERVICE/FUNCTION_TARGET Cloud Run sets. Nothing else
is inherited from this process's settings, so a function that reads a secret it is not granted fails here.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

import httpx

from shared import manifest
from shared.config import Settings

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # the main venv's bin dir (not resolved: keep the venv)
TASKS_VENV = ROOT / ".venv-tasks"
TASKS_REQUIREMENTS = ROOT / "infra" / "requirements-tasks-emulator.txt"
FIRESTORE_EMULATOR = Path(
    os.environ.get(
        "FIRESTORE_EMULATOR_BIN",
        "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator",
    )
)

DEFAULT_PROJECT = "ai-studio-local"
TELEGRAM_BOT_TOKEN = "123456:LOCAL-DEV-TOKEN"
TELEGRAM_WEBHOOK_SECRET = "local-webhook-secret"
KIE_API_KEY = "local-kie-key"
KIE_WEBHOOK_HMAC_KEY = "local-hmac-key"
TASKS_QUEUE = "generations"  # start tasks
TASKS_POLL_QUEUE = "generation-polls"  # polls and broadcast batches
TASKS_LOCATION = "europe-west1"
TASKS_MAX_RETRIES = 3  # the emulator retries a failed task at once, with no backoff
POLL_DELAYS_SECONDS = "3,5,10,20"
ADMIN_IDS = "1001"
SUPPORT_CONTACT = "@aistudio_support"

READY_TIMEOUT = 60.0  # seconds each component may take to answer
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL

# StackPorts field -> functions-framework target in main.py
FUNCTIONS = {
    "webhook": "telegram_webhook",
    "worker": "generation_worker",
    "callback": "kie_callback",
    "scheduler": "free_tier_refresh",
    "sweep": "reconciliation_sweep",
    "housekeeping": "housekeeping",
    "sync": "catalog_sync",
}
SCHEDULE_S = {"sweep": 60, "scheduler": 600, "housekeeping": 3600, "sync": 3600}  # the local stand-in for Cloud Scheduler


class StackError(RuntimeError):
    """A component could not start; the message names it and its log file."""


@dataclass
class StackPorts:
    firestore: int
    tasks: int
    kie: int
    telegram: int
    webhook: int
    worker: int
    callback: int
    scheduler: int
    sweep: int
    housekeeping: int
    sync: int = 8707  # the catalog sync
    faults: int = 8683  # the storage fault proxy (gRPC) and its control port, when the stack has one
    faults_control: int = 8684

    @classmethod
    def default(cls) -> StackPorts:
        return cls(8681, 8682, 8690, 8691, 8701, 8702, 8703, 8704, 8705, 8706)

    @classmethod
    def free(cls) -> StackPorts:
        """Ports the OS reports free right now (all distinct)."""
        socks = []
        try:
            for _ in fields(cls):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                socks.append(s)
            return cls(*(s.getsockname()[1] for s in socks))
        finally:
            for s in socks:
                s.close()

    def busy(self) -> list[tuple[str, int]]:
        """(name, port) of every port something already listens on."""
        taken = []
        for f in fields(self):
            port = getattr(self, f.name)
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    taken.append((f.name, port))
        return taken


def ensure_tasks_emulator_venv() -> Path:
    """Create .venv-tasks with the pinned Cloud Tasks emulator if missing or outdated."""
    exe = TASKS_VENV / "bin" / "gcloud-tasks-emulator"
    stamp = TASKS_VENV / ".requirements-hash"
    want = hashlib.sha256(TASKS_REQUIREMENTS.read_bytes()).hexdigest()
    if exe.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return exe
    print(f"Installing the Cloud Tasks emulator into {TASKS_VENV} ...", file=sys.stderr, flush=True)
    try:
        if not (TASKS_VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(TASKS_VENV)], check=True)
        subprocess.run(
            [str(TASKS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "-r", str(TASKS_REQUIREMENTS)],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as err:
        raise StackError(
            f"Could not set up {TASKS_VENV} for the Cloud Tasks emulator ({err}). "
            f"It needs Python 3.11+ with venv and pip, and access to PyPI; by hand: "
            f"python3.11 -m venv .venv-tasks && .venv-tasks/bin/pip install -r {TASKS_REQUIREMENTS.relative_to(ROOT)}"
        ) from None
    if not exe.exists():
        raise StackError(f"{exe} is missing after installing {TASKS_REQUIREMENTS}")
    stamp.write_text(want)
    return exe


def check_firestore_emulator() -> None:
    """Fail clearly when the Firestore emulator or java is missing."""
    if not os.access(FIRESTORE_EMULATOR, os.X_OK):
        raise StackError(
            f"The Cloud Firestore emulator is not installed ({FIRESTORE_EMULATOR} is missing). "
            "Install it: apt-get install google-cloud-cli-firestore-emulator "
            "(from Google's Cloud SDK apt repository), or set FIRESTORE_EMULATOR_BIN to its path."
        )
    if not shutil.which("java"):
        raise StackError(
            "java is not installed; the Firestore emulator needs it. "
            "Install a JDK/JRE, e.g. apt-get install default-jre-headless."
        )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join("    " + line for line in text)


def _answers(url: str, want_status: int | None = None) -> bool:
    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return False
    return want_status is None or response.status_code == want_status


class LocalStack:
    def __init__(
        self,
        ports: StackPorts,
        project: str = DEFAULT_PROJECT,
        extra_env: dict | None = None,
        log_dir: str | os.PathLike = ".local/logs",
        with_functions: bool = True,
        firestore_faults: bool = False,
    ):
        self.ports = ports
        self.project = project
        self.extra_env = dict(extra_env or {})
        self.log_dir = ROOT / log_dir  # a relative log_dir is taken from the repo root
        self.with_functions = with_functions
        self.firestore_faults = firestore_faults  # the functions reach Firestore through the fault proxy
        self._procs: dict[str, subprocess.Popen] = {}
        self._atexit_registered = False

    # ---- addresses -------------------------------------------------------

    def url(self, name: str) -> str:
        """http://127.0.0.1:<port> of a component (a StackPorts field name)."""
        return f"http://127.0.0.1:{getattr(self.ports, name)}"

    @property
    def webhook_url(self) -> str:
        return self.url("webhook") + "/"

    @property
    def queue_path(self) -> str:
        return f"projects/{self.project}/locations/{TASKS_LOCATION}/queues/{TASKS_QUEUE}"

    @property
    def poll_queue_path(self) -> str:
        return f"projects/{self.project}/locations/{TASKS_LOCATION}/queues/{TASKS_POLL_QUEUE}"

    @property
    def fault_control_url(self) -> str:
        """Control port of the storage fault proxy (infra.firestore_faults.FaultControl speaks it)."""
        return self.url("faults_control")

    @property
    def pricing_truth_path(self) -> Path:
        """A copy of the shipped pricing truth the functions read (tests edit it to change prices)."""
        return self.log_dir / "pricing_source_truth.txt"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def env(self) -> dict[str, str]:
        """Every setting of the stack, every secret included: what a process playing all functions at once
        gets (in-process tests, tools). Each function process gets only function_env(name)."""
        p = self.ports
        env = {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_WEBHOOK_SECRET,
            "TELEGRAM_API_BASE_URL": self.url("telegram"),
            "KIE_API_KEY": KIE_API_KEY,
            "KIE_BASE_URL": self.url("kie"),
            "KIE_UPLOAD_BASE_URL": self.url("kie"),
            "KIE_WEBHOOK_HMAC_KEY": KIE_WEBHOOK_HMAC_KEY,
            "GCP_PROJECT": self.project,
            "GOOGLE_CLOUD_PROJECT": self.project,  # so a bare firestore.Client() uses the same project
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{p.faults if self.firestore_faults else p.firestore}",
            "TASKS_EMULATOR_HOST": f"127.0.0.1:{p.tasks}",
            "TASKS_QUEUE": TASKS_QUEUE,
            "TASKS_POLL_QUEUE": TASKS_POLL_QUEUE,
            "TASKS_LOCATION": TASKS_LOCATION,
            "WORKER_URL": self.url("worker") + "/",
            "CALLBACK_URL": self.url("callback") + "/",
            "POLL_DELAYS_SECONDS": POLL_DELAYS_SECONDS,
            "ADMIN_IDS": ADMIN_IDS,
            "SUPPORT_CONTACT": SUPPORT_CONTACT,  # shown to users locally as a deployment would show its own
            "SETTINGS_CACHE_SECONDS": "1",  # admin switches and the free tier show up within a second locally
            # Tests drive one user fast; tests/test_attacks_payments.py restarts the functions with low limits.
            "USER_UPDATES_PER_MINUTE": "6000",
            "USER_UPLOADS_PER_MINUTE": "6000",
            "PRICING_TRUTH_PATH": str(self.pricing_truth_path),
            # Firestore and Cloud Tasks clients with the meter on them: the benches count operations and the
            # tests record the shape of every query (shared/bootstrap.py CLIENT_FACTORIES, infra/metering.py).
            "CLIENT_FACTORIES": "infra.metering",
            "PYTHONUNBUFFERED": "1",
        }
        env.update({k: str(v) for k, v in self.extra_env.items()})
        return env

    def function_env(self, name: str) -> dict[str, str]:
        """What function `name` (a StackPorts field) gets: the stack's settings without the secrets it is not
        granted, and the names Cloud Run sets (the manifest's function name and its target)."""
        function = manifest.name_of(FUNCTIONS[name])
        withheld = set(manifest.all_secrets()) - set(manifest.secrets_of(function))
        env = {k: v for k, v in self.env().items() if k not in withheld}
        env.update(K_SERVICE=function, FUNCTION_TARGET=FUNCTIONS[name])
        return env

    def tasks_client(self):
        """A google-cloud-tasks client talking to the emulator."""
        import grpc
        from google.cloud import tasks_v2
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(f"127.0.0.1:{self.ports.tasks}")
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))

    # ---- lifecycle -------------------------------------------------------

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> LocalStack:
        """Start everything and wait until it answers; on any failure stop what started."""
        if self._procs:
            raise StackError("this LocalStack is already started")
        busy = self.ports.busy()
        if busy:
            raise StackError(
                "port(s) already in use: "
                + ", ".join(f"{port} ({name})" for name, port in busy)
                + " - is another local stack running?"
            )
        check_firestore_emulator()
        tasks_exe = ensure_tasks_emulator_venv()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "shared" / "catalog" / "pricing_source_truth.txt", self.pricing_truth_path)
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self._start(tasks_exe)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, tasks_exe: Path) -> None:
        p = self.ports
        py = sys.executable
        self._spawn("firestore", [str(FIRESTORE_EMULATOR), "--host=127.0.0.1", f"--port={p.firestore}"])
        self._spawn("tasks", [str(tasks_exe), "start", "-p", str(p.tasks), "-d", self.queue_path,
                              "-d", self.poll_queue_path, "-r", str(TASKS_MAX_RETRIES), "-q"])
        self._spawn("kie", [py, "-m", "infra.kie_sim", "--port", str(p.kie),
                            "--api-key", KIE_API_KEY, "--hmac-key", KIE_WEBHOOK_HMAC_KEY])
        self._spawn("telegram", [py, "-m", "infra.telegram_sim", "--port", str(p.telegram),
                                 "--token", TELEGRAM_BOT_TOKEN])
        if self.firestore_faults:
            self._spawn("faults", [py, "-m", "infra.firestore_faults", "--port", str(p.faults),
                                   "--target", f"127.0.0.1:{p.firestore}", "--control-port", str(p.faults_control)])
        self._wait_ready("firestore", self._firestore_ok)
        if self.firestore_faults:
            self._wait_ready("faults", lambda: _answers(self.fault_control_url + "/", want_status=200))
        self._wait_ready("tasks", self._tasks_ok)
        self._wait_ready("kie", lambda: _answers(self.url("kie") + "/"))
        self._wait_ready("telegram", lambda: _answers(self.url("telegram") + "/"))
        if self.with_functions:
            self._start_functions(mode="w")
            self._register_webhook()

    def _start_functions(self, mode: str) -> None:
        for name in FUNCTIONS:
            self._spawn(name, self._function_cmd(name), env=self.function_env(name), mode=mode)
        # The webhook answers GET with 200 when healthy; the others just have to answer.
        self._wait_ready("webhook", lambda: _answers(self.webhook_url, want_status=200))
        for name in FUNCTIONS:
            if name != "webhook":
                self._wait_ready(name, lambda name=name: _answers(self.url(name) + "/"))

    def _function_cmd(self, name: str) -> list[str]:
        return [str(VENV_BIN / "functions-framework"), "--source", str(ROOT / "main.py"),
                "--target", FUNCTIONS[name], "--host", "127.0.0.1", "--port", str(getattr(self.ports, name))]

    def call_scheduled(self, name: str) -> httpx.Response:
        """What Cloud Scheduler does: POST to a scheduled function."""
        return httpx.post(self.url(name) + "/", timeout=120)

    def run_schedule(self, stop: threading.Event) -> None:
        """Call the scheduled functions on their intervals until `stop` is set (used by ./dev run)."""
        last = {name: 0.0 for name in SCHEDULE_S}
        while not stop.wait(1.0):
            for name, every in SCHEDULE_S.items():
                if time.monotonic() - last[name] >= every:
                    last[name] = time.monotonic()
                    try:
                        self.call_scheduled(name)
                    except httpx.HTTPError:
                        pass  # the function's own log says why; the next tick tries again

    def restart_functions(self, extra_env: dict | None = None) -> None:
        """Restart only the four functions; a given extra_env replaces the stack's extra_env."""
        if extra_env is not None:
            self.extra_env = dict(extra_env)
        self._stop_names(list(FUNCTIONS))
        try:
            self._start_functions(mode="a")
        except BaseException:
            self.stop()
            raise

    def kill_function(self, name: str) -> None:
        """SIGKILL one function's process group at once, as a crashed instance dies (the soak's fault)."""
        proc = self._procs.pop(name)
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)

    def start_function(self, name: str) -> None:
        """Start one function again (after kill_function) and wait until it answers."""
        self._spawn(name, self._function_cmd(name), env=self.function_env(name), mode="a")
        self._wait_ready(name, lambda: _answers(self.url(name) + "/"))

    def stop(self) -> None:
        """Terminate every process group this stack started. Idempotent; ignores Ctrl-C meanwhile."""
        if not self._procs:
            return
        in_main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            self._stop_names(list(self._procs))
        finally:
            if in_main:
                signal.signal(signal.SIGINT, old)

    def pids(self) -> list[int]:
        """Every live process in the stack's process groups (Linux /proc)."""
        return _live_members({proc.pid for proc in self._procs.values()})

    # ---- helpers used by tests -----------------------------------------------

    def wipe_firestore(self) -> None:
        url = f"{self.url('firestore')}/emulator/v1/projects/{self.project}/databases/(default)/documents"
        httpx.delete(url, timeout=10).raise_for_status()

    def reset_simulators(self) -> None:
        """POST /sim/reset to both simulators, then register the webhook again."""
        for name in ("kie", "telegram"):
            httpx.post(self.url(name) + "/sim/reset", timeout=10).raise_for_status()
        if self.with_functions:
            self._register_webhook()

    def purge_tasks(self) -> None:
        """Drop every task waiting in the emulator's queues."""
        client = self.tasks_client()
        for path in (self.queue_path, self.poll_queue_path):
            client.purge_queue(name=path, timeout=5)

    # ---- internals -------------------------------------------------------------

    def _spawn(self, name: str, cmd: list[str], env: dict | None = None, mode: str = "w") -> None:
        full_env = {**_inherited(), **(env or {}), "PYTHONUNBUFFERED": "1"}
        with open(self.log_path(name), mode) as log:
            log.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n")
            log.flush()
            try:
                self._procs[name] = subprocess.Popen(
                    cmd, cwd=ROOT, env=full_env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )
            except OSError as err:
                raise StackError(f"cannot start {name}: {err}") from None

    def _wait_ready(self, name: str, check) -> None:
        proc = self._procs[name]
        log = self.log_path(name)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise StackError(
                    f"{name} exited with code {proc.returncode} while starting; see {log}\n{_tail(log)}"
                )
            if check():
                return
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not become ready within {READY_TIMEOUT:.0f}s; see {log}\n{_tail(log)}")
            time.sleep(0.2)

    def _firestore_ok(self) -> bool:
        try:
            return httpx.get(self.url("firestore") + "/", timeout=2).text.strip() == "Ok"
        except httpx.HTTPError:
            return False

    def _tasks_ok(self) -> bool:
        client = self.tasks_client()
        try:
            for path in (self.queue_path, self.poll_queue_path):
                client.get_queue(name=path, timeout=2)
            return True
        except Exception:  # grpc/google.api_core errors while the server is coming up
            return False
        finally:
            client.transport.close()

    def _register_webhook(self) -> None:
        url = f"{self.url('telegram')}/bot{TELEGRAM_BOT_TOKEN}/setWebhook"
        try:
            response = httpx.post(
                url, json={"url": self.webhook_url, "secret_token": TELEGRAM_WEBHOOK_SECRET}, timeout=10
            )
            ok = response.status_code == 200 and response.json().get("ok") is True
        except (httpx.HTTPError, ValueError) as err:
            ok, response = False, err
        if not ok:
            raise StackError(
                f"setWebhook on the Telegram simulator failed: {getattr(response, 'text', response)}; "
                f"see {self.log_path('telegram')}"
            )

    def _stop_names(self, names: list[str]) -> None:
        procs = [self._procs.pop(name) for name in names if name in self._procs]
        groups = {proc.pid for proc in procs}  # each process leads its own group
        for pgid in groups:
            _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            for proc in procs:
                proc.poll()  # reap the leaders so their zombies do not count
            if not _live_members(groups):
                break
            time.sleep(0.05)
        if _live_members(groups):
            for pgid in groups:
                _signal_group(pgid, signal.SIGKILL)
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _inherited() -> dict[str, str]:
    """This process's environment without settings (a test session exports the whole stack's, secrets
    included) and without the names that say which function a process is."""
    settings = {name.upper() for name in Settings.model_fields} | {"K_SERVICE", "FUNCTION_TARGET"}
    return {k: v for k, v in os.environ.items() if k.upper() not in settings}


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _live_members(groups: set[int]) -> list[int]:
    """Pids of non-zombie processes whose process group is in groups."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            rest = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if rest[0] != "Z" and int(rest[2]) in groups:
            found.append(int(entry.name))
    return found
