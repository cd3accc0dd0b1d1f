"""Static checks of terraform/: Terraform itself is not run here, so every .tf file is parsed with
python-hcl2 and the invariants the deployment relies on are checked against the code."""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "terraform"
SECRETS = {"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"}
# What each target's code reads (the rest must not be mounted: least privilege).
NEEDS = {
    "telegram_webhook": {"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY"},
    "kie_callback": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"},  # recordInfo reads the outcome
    "generation_worker": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"},  # signs the job in the URL
    "reconciliation_sweep": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY"},
    "free_tier_refresh": set(),
    "housekeeping": set(),
}
PUBLIC = {"telegram_webhook", "kie_callback"}
SCHEDULED = {"free_tier_refresh", "reconciliation_sweep", "housekeeping"}
ENQUEUERS = {"telegram_webhook", "generation_worker", "reconciliation_sweep"}


# --- reading the configuration --------------------------------------------------------------------
def plain(value: Any) -> Any:
    """python-hcl2 output without its markers: quoted strings unquoted, `__is_block__` etc. dropped."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if not (k.startswith("__") and k.endswith("__"))}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def tf_files() -> list[Path]:
    return sorted(TF_DIR.glob("*.tf"))


@lru_cache(maxsize=1)
def config() -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for path in tf_files():
        with path.open() as handle:
            for key, blocks in plain(hcl2.load(handle)).items():
                merged.setdefault(key, []).extend(blocks if isinstance(blocks, list) else [blocks])
    return merged


def resources(kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in config().get("resource", []):
        for name, body in block.get(kind, {}).items():
            found[name] = body
    return found


def all_resources() -> list[tuple[str, str, dict[str, Any]]]:
    return [(kind, name, body) for block in config().get("resource", [])
            for kind, named in block.items() for name, body in named.items()]


def local(name: str) -> Any:
    for block in config().get("locals", []):
        if name in block:
            return block[name]
    raise KeyError(f"local.{name} is not defined")


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body[name]
    return value[0] if isinstance(value, list) else value


def exported_targets() -> list[str]:
    tree = ast.parse((ROOT / "main.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError("main.py has no __all__")


def functions() -> dict[str, dict[str, Any]]:
    """Function name -> its settings in local.functions."""
    return local("functions")


def by_target() -> dict[str, dict[str, Any]]:
    return {f["entry_point"]: {**f, "name": name} for name, f in functions().items()}


def invoker_filter(body: dict[str, Any]) -> str | None:
    match = re.search(r'f\.invoker == "(\w+)"', str(body.get("for_each", "")))
    return match.group(1) if match else None


# --- tests ----------------------------------------------------------------------------------------
def test_every_file_parses_and_the_layout_is_complete():
    names = {path.name for path in tf_files()}
    assert {"versions.tf", "variables.tf", "outputs.tf", "apis.tf", "firestore.tf", "secrets.tf", "iam.tf",
            "functions.tf", "tasks.tf", "scheduler.tf"} <= names
    for path in [*tf_files(), TF_DIR / "terraform.tfvars.example"]:
        with path.open() as handle:
            assert hcl2.load(handle) is not None, path


def test_every_exported_target_is_deployed_from_the_repository():
    targets = exported_targets()
    assert set(by_target()) == set(targets), "local.functions must deploy exactly main.py's targets"
    fn = resources("google_cloudfunctions2_function")["fn"]
    assert fn["for_each"] == "${local.functions}"
    build = block(fn, "build_config")
    assert build["runtime"] == "python311" and build["entry_point"] == "${each.value.entry_point}"
    source = block(block(build, "source"), "storage_source")
    assert source["object"] == "${google_storage_bucket_object.source.name}"
    archive = config()["data"][0]["archive_file"]["source"]
    assert archive["source_dir"] == "${path.module}/.."
    for excluded in (".git", ".venv*", "tests", "infra", "bench", "terraform", ".local"):
        assert excluded in archive["excludes"], excluded


def test_only_the_webhook_and_the_callback_are_public():
    targets = by_target()
    assert {t for t, f in targets.items() if f["invoker"] == "public"} == PUBLIC
    assert targets["generation_worker"]["invoker"] == "tasks"
    assert {t for t, f in targets.items() if f["invoker"] == "scheduler"} == SCHEDULED
    public_bindings = []
    for kind, name, body in all_resources():
        if body.get("member") in ("allUsers", "allAuthenticatedUsers") or "allUsers" in body.get("members", []):
            assert kind in ("google_cloud_run_service_iam_member", "google_cloud_run_v2_service_iam_member"), name
            assert invoker_filter(body) == "public", f"{kind}.{name} must bind public functions only"
            public_bindings.append(name)
    assert public_bindings == ["public"]
    # Every non-public function has its one invoker binding, on the Cloud Run service behind it.
    bindings = {invoker_filter(body): body for name, body in resources("google_cloud_run_service_iam_member").items()}
    assert set(bindings) == {"public", "tasks", "scheduler"}
    for body in bindings.values():
        assert body["role"] == "roles/run.invoker"
        assert body["service"] == "${google_cloudfunctions2_function.fn[each.key].service_config[0].service}"
    assert "tasks_invoker" in bindings["tasks"]["member"] and "scheduler" in bindings["scheduler"]["member"]
    ingress = block(resources("google_cloudfunctions2_function")["fn"], "service_config")["ingress_settings"]
    assert '"public" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"' in ingress


def test_secrets_exist_are_empty_and_each_function_reads_only_its_own():
    names = set(local("secret_names"))
    assert names == SECRETS
    assert set(resources("google_secret_manager_secret")) == {"app"}
    assert not resources("google_secret_manager_secret_version"), "secret values never go through Terraform"
    for target, f in by_target().items():
        assert set(f["secrets"]) <= names, f"{target} mounts a secret that does not exist"
        assert set(f["secrets"]) == NEEDS[target], target
    # Settings requires these everywhere: each is mounted or replaced by the placeholder, never both.
    required = set(local("required_secrets"))
    assert required <= names
    assert {name for name, field in Settings.model_fields.items() if field.is_required()} >= {
        s.lower() for s in required}
    env = local("function_env")
    assert "if !contains(f.secrets, secret)" in env
    mounted = block(resources("google_cloudfunctions2_function")["fn"], "service_config")["dynamic"][0]
    content = block(mounted["secret_environment_variables"], "content")
    assert mounted["secret_environment_variables"]["for_each"] == "${toset(each.value.secrets)}"
    assert content["secret"] == "${google_secret_manager_secret.app[secret_environment_variables.value].secret_id}"
    access = resources("google_secret_manager_secret_iam_member")["access"]
    assert access["for_each"] == "${local.secret_access}" and access["role"] == "roles/secretmanager.secretAccessor"


def test_enqueue_rights_only_where_tasks_are_created():
    assert {t for t, f in by_target().items() if f["enqueues"]} == ENQUEUERS
    enqueuer = resources("google_cloud_tasks_queue_iam_member")["enqueuer"]
    assert enqueuer["for_each"] == "${local.enqueuers}" and enqueuer["role"] == "roles/cloudtasks.enqueuer"
    act_as = resources("google_service_account_iam_member")["act_as_tasks_invoker"]
    assert act_as["for_each"] == "${local.enqueuers}" and act_as["role"] == "roles/iam.serviceAccountUser"
    assert act_as["service_account_id"] == "${google_service_account.tasks_invoker.name}"
    assert resources("google_project_iam_member")["datastore"]["role"] == "roles/datastore.user"
    project_roles = {body["role"] for body in resources("google_project_iam_member").values()}
    assert not project_roles & {"roles/owner", "roles/editor", "roles/cloudtasks.enqueuer", "roles/run.invoker",
                                "roles/secretmanager.secretAccessor", "roles/iam.serviceAccountUser"}


def test_every_scheduler_job_calls_a_scheduled_function_with_an_oidc_token():
    jobs = resources("google_cloud_scheduler_job")
    assert jobs, "no scheduler jobs"
    for name, job in jobs.items():
        target = block(job, "http_target")
        assert "oidc_token" in target, f"scheduler job {name} calls without an OIDC token"
        token = block(target, "oidc_token")
        assert token["service_account_email"] == "${google_service_account.scheduler.email}", name
        assert token["audience"] == target["uri"], name
        assert "oauth_token" not in target
    schedules = local("schedules")
    assert {functions()[name]["entry_point"] for name in schedules} == SCHEDULED
    assert schedules["free-tier-refresh"]["schedule"] == "0 */6 * * *"
    assert schedules["reconciliation-sweep"]["schedule"] == "*/5 * * * *"
    assert re.fullmatch(r"\d+ \d+ \* \* \*", schedules["housekeeping"]["schedule"])


def test_ttl_policies_and_composite_indexes():
    ttl = {(body["collection"], body["field"]) for body in resources("google_firestore_field").values()
           if "ttl_config" in body}
    assert {("processed_updates", "expire_at"), ("free_usage", "expire_at"), ("jobs", "expire_at")} <= ttl
    indexes = {(body["collection"], tuple((f["field_path"], f["order"]) for f in body["fields"]))
               for body in resources("google_firestore_index").values()}
    asc, desc = "ASCENDING", "DESCENDING"
    assert {
        ("ledger", (("user_id", asc), ("created_at", desc))),
        ("ledger", (("user_id", asc), ("created_at", asc))),
        ("jobs", (("user_id", asc), ("state", asc), ("created_at", desc))),
        ("jobs", (("user_id", asc), ("state", asc), ("created_at", asc))),
        ("generation_events", (("status", asc), ("created_at", desc))),
        ("jobs", (("state", asc), ("updated_at", asc))),
        ("jobs", (("state", asc), ("delivered_at", asc), ("updated_at", asc))),
        ("jobs", (("unsettled", asc), ("updated_at", asc))),
    } <= indexes
    database = resources("google_firestore_database")["main"]
    assert database["type"] == "FIRESTORE_NATIVE" and database["name"] == "(default)"


def test_queue_rate_limits_and_retries():
    queue = resources("google_cloud_tasks_queue")["generations"]
    assert local("queue_name") == "generations" and queue["name"] == "${local.queue_name}"
    limits, retry = block(queue, "rate_limits"), block(queue, "retry_config")
    assert limits["max_dispatches_per_second"] == 2 and limits["max_concurrent_dispatches"] == 20
    assert retry["max_attempts"] > 1 and retry["min_backoff"] and retry["max_backoff"]


def test_every_required_setting_is_provided_and_urls_do_not_cycle():
    text = (TF_DIR / "functions.tf").read_text()
    for name in ("GCP_PROJECT", "TASKS_QUEUE", "TASKS_LOCATION", "TASKS_SERVICE_ACCOUNT", "WORKER_URL",
                 "CALLBACK_URL", "LOG_LEVEL", "EXPECTED_INVOKERS", "THREADS"):
        assert re.search(rf"^\s*{name}\s*=", text, re.M), name
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    provided_names = set(re.findall(r"^\s*([A-Z][A-Z0-9_]+)\s*=", text, re.M)) | SECRETS
    assert required <= provided_names, required - provided_names
    for name in local("optional_settings"):
        assert name.lower() in Settings.model_fields, name
    assert "expected_invokers" in Settings.model_fields
    # WORKER_URL/CALLBACK_URL are computed, never read from a function resource (that would be a cycle).
    assert "https://${name}-${local.project_number}.${var.region}.run.app" in str(local("function_urls"))
    for name in ("worker_url", "callback_url", "function_env", "common_env"):
        assert "google_cloudfunctions2_function" not in str(local(name)), name


def test_timeouts_and_concurrency():
    targets = by_target()
    assert targets["generation_worker"]["timeout"] == 300
    assert targets["telegram_webhook"]["concurrency"] >= 10
    for target, f in targets.items():
        assert f["concurrency"] == 1 or f["cpu"] == "1", f"{target}: concurrency > 1 needs a whole vCPU"
        if target in SCHEDULED:
            assert f["max"] == 1 and f["concurrency"] == 1, target


def test_variables_are_described_and_the_example_only_sets_known_ones():
    variables = {name: body for item in config()["variable"] for name, body in item.items()}
    for name, body in variables.items():
        assert body.get("description"), f"variable {name} has no description"
    for name in ("project_id", "region", "admin_ids", "fx_rate", "pricing_markup", "webhook_min_instances",
                 "extra_settings"):
        assert "validation" in variables[name], name
    with (TF_DIR / "terraform.tfvars.example").open() as handle:
        example = plain(hcl2.load(handle))
    assert set(example) <= set(variables)
    for name in example.get("extra_settings", {}):
        assert name.lower() in Settings.model_fields, name
    outputs = {name for item in config()["output"] for name in item}
    assert {"webhook_url", "callback_url", "worker_url", "service_accounts"} <= outputs


TOKEN = re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b")  # a Telegram bot token
SKIP_DIRS = {".git", ".local", "__pycache__", ".pytest_cache", "node_modules"}


def repo_text_files() -> list[Path]:
    out = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT).parts
        if any(part in SKIP_DIRS or part.startswith(".venv") or part == ".terraform" for part in rel):
            continue
        if path.is_file() and path.stat().st_size < 1_000_000 and path.suffix not in (".zip", ".png", ".jpg",
                                                                                         ".mp4", ".mp3", ".ogg"):
            out.append(path)
    return out


def test_no_secret_values_in_the_repository():
    for path in repo_text_files():
        text = path.read_text(errors="ignore")
        assert not TOKEN.search(text), f"{path.relative_to(ROOT)} contains what looks like a bot token"
    for path in [*tf_files(), TF_DIR / "terraform.tfvars.example"]:
        text = path.read_text()
        assert "secret_data" not in text and "google_secret_manager_secret_version" not in text.replace(
            "no secret versions", ""), path.name
        for name in SECRETS:
            assert not re.search(rf'\b{name}\s*=\s*"', text), f"{path.name} assigns a literal to {name}"


@pytest.mark.parametrize("target", sorted(NEEDS))
def test_expected_invokers_are_set_for_non_public_functions(target):
    f = by_target()[target]
    expected = local("expected_invokers")[f["invoker"]]
    if target in PUBLIC:
        assert expected == ""
    else:
        assert expected.startswith("${google_service_account.") and expected.endswith(".email}")
