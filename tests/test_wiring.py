"""The local stack runs the production wiring: each function process gets exactly what its deployment gives
it (functions/manifest.json, read by terraform/ too), and works with only that."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import TgUser, text_of

ROOT = Path(__file__).resolve().parents[1]
SLOW_POLLS = "120"  # the first poll of KIE comes 2 minutes after the start: only a callback delivers sooner


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.fixture
def slow_polls(clean_stack):
    clean_stack.restart_functions({"POLL_DELAYS_SECONDS": SLOW_POLLS})
    yield clean_stack
    clean_stack.restart_functions({})


def test_a_kie_callback_delivers_the_result_at_once(slow_polls, kie):
    """kie_callback confirms each callback with recordInfo, which needs KIE_API_KEY: without it (as the
    deployment once gave it a placeholder) the KIE simulator answers 401, as KIE does, and the result waits
    for the next poll."""
    u = TgUser(slow_polls.url("telegram"), 5301)
    u.send("/start")
    u.press("Бесплатно")
    u.press("Z-Image")
    u.press("Создать")
    u.send("маяк на рассвете")
    u.press("16:9")
    u.press("Запустить")
    photo = u.wait_for(lambda r: "photo" in r["message"], timeout=25)
    assert "Z-Image" in text_of(photo)
    deadline = time.monotonic() + 10  # the simulator records the callback once kie_callback has answered it
    while not (callbacks := kie.get("/sim/callbacks").json()["callbacks"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [c["status"] for c in callbacks] == [200], callbacks


def test_each_function_process_gets_exactly_its_own_secrets(stack):
    from infra.stack import FUNCTIONS
    from shared import manifest

    every_secret = set(manifest.all_secrets())
    full = stack.env()
    for name, target in FUNCTIONS.items():
        function = manifest.name_of(target)
        env = environ_of(stack._procs[name].pid)
        granted = set(manifest.secrets_of(function))
        assert {k for k in env if k in every_secret} == granted, function
        assert all(env[secret] == full[secret] for secret in granted), function
        assert env["K_SERVICE"] == function and env["FUNCTION_TARGET"] == target
    # what the deployment gives them (terraform/functions.tf derives the same from the manifest)
    assert manifest.secrets_of("kie-callback") == ["KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY", "TELEGRAM_BOT_TOKEN"]
    assert manifest.secrets_of("housekeeping") == manifest.secrets_of("free-tier-refresh") == []


# What the local stack adds to the deployment's settings: where the emulators and simulators are, and
# faster timings for tests. Each is optional (production runs on its default or on terraform.tfvars).
LOCAL_ONLY = {"TELEGRAM_API_BASE_URL", "KIE_BASE_URL", "KIE_UPLOAD_BASE_URL", "FIRESTORE_EMULATOR_HOST",
              "TASKS_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT", "POLL_DELAYS_SECONDS", "SETTINGS_CACHE_SECONDS",
              "PRICING_TRUTH_PATH", "PYTHONUNBUFFERED", "USER_UPDATES_PER_MINUTE", "USER_UPLOADS_PER_MINUTE",
              "CLIENT_FACTORIES"}  # the metered clients of infra/metering.py (infra/ is not deployed)
# What only production sets: OIDC identities (the local stack checks no tokens), gunicorn threads, rollouts.
PRODUCTION_ONLY = {"EXPECTED_INVOKERS", "TASKS_SERVICE_ACCOUNT", "THREADS", "SECRETS_ROTATION", "LOG_LEVEL"}


def test_the_local_stack_gives_each_function_what_terraform_gives_it():
    from infra.stack import FUNCTIONS, LocalStack, StackPorts
    from shared import manifest
    from shared.config import Settings

    text = (ROOT / "terraform" / "functions.tf").read_text()
    terraform = set(re.findall(r"^\s*([A-Z][A-Z0-9_]+)\s*=", text, re.M))  # common_env, function_env, optional
    assert PRODUCTION_ONLY <= terraform
    stack = LocalStack(StackPorts.default())  # not started: only its environment is read
    for name, target in FUNCTIONS.items():
        function = manifest.name_of(target)
        env = set(stack.function_env(name)) - {"K_SERVICE", "FUNCTION_TARGET"}  # Cloud Run sets these two
        secrets = set(manifest.secrets_of(function))
        assert secrets <= env
        assert env - secrets - LOCAL_ONLY <= terraform, f"{function} gets locally what no deployment gives it"
        assert {"GCP_PROJECT", "WORKER_URL", "CALLBACK_URL", "TASKS_QUEUE", "TASKS_POLL_QUEUE", "TASKS_LOCATION"} <= env
    for variable in LOCAL_ONLY:
        field = Settings.model_fields.get(variable.lower())
        assert field is None or not field.is_required(), variable


@pytest.mark.parametrize("name, withheld", [("callback", "KIE_API_KEY"), ("callback", "TELEGRAM_BOT_TOKEN"),
                                            ("webhook", "TELEGRAM_WEBHOOK_SECRET"), ("sweep", "KIE_API_KEY")])
def test_a_function_without_a_secret_it_reads_stops_at_start_naming_it(stack, name, withheld):
    env = {k: v for k, v in stack.function_env(name).items() if k != withheld}
    result = subprocess.run([sys.executable, "-c", "import main"], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], **env}, timeout=60)
    assert result.returncode != 0
    assert f"{withheld} is required but not set" in result.stderr and "Traceback" not in result.stderr


def test_function_processes_record_the_shapes_of_their_queries(clean_stack):
    """The index check (tests/test_query_indexes.py) sees the queries of every process, not just this one."""
    from infra.stack import _live_members
    from infra import query_shapes

    u = TgUser(clean_stack.url("telegram"), 5302)
    u.send("/start")
    u.press("Бесплатно")
    u.press("Z-Image")
    u.press("Создать")
    u.send("маяк")  # the prompt goes to the user's draft, found by query
    webhook = _live_members({clean_stack._procs["webhook"].pid})  # functions-framework serves from a forked worker
    shapes = [json.loads(line) for pid in webhook
              if (path := Path(os.environ[query_shapes.ENV]) / f"{pid}.jsonl").exists()
              for line in path.read_text().splitlines()]
    assert {"collection": "jobs", "group": False, "equality": ["state", "user_id"], "array": [], "range": [],
            "order": [["created_at", "DESCENDING"]], "or": False} in shapes
