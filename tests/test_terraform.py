"""Static checks of terraform/: providers cannot be downloaded here (no `terraform validate`), so every .tf
file is parsed with python-hcl2 and the invariants the deployment relies on are checked against the code
and functions/manifest.json. The Terraform binary checks the formatting, checkov the security settings."""
from __future__ import annotations

import ast
import fnmatch
import json
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from shared.config import SECTION_OF, SECTIONS, Settings
from tests.indexes import plain

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "terraform"
SECRETS = {"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"}
# What each target's code reads (the rest must not be mounted: least privilege). Reviewed by hand against
# the code paths; tests/test_wiring.py proves it end to end (each local function gets only these).
# kie_callback confirms every callback with recordInfo (KIE_API_KEY); the worker builds the callback URL
# it sends with createTask (the callback section: CALLBACK_URL, and KIE_WEBHOOK_HMAC_KEY to sign its job).
NEEDS = {
    "telegram_webhook": {"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "KIE_API_KEY"},
    "kie_callback": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"},
    "generation_worker": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY", "KIE_WEBHOOK_HMAC_KEY"},
    "reconciliation_sweep": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY"},
    "free_tier_refresh": set(),
    "housekeeping": set(),
    "catalog_sync": {"TELEGRAM_BOT_TOKEN", "KIE_API_KEY"},  # the provider's discovery, the admins' summary
}
# The queues each target creates tasks on (start tasks; polls and broadcast batches).
QUEUES = {"telegram_webhook": {"starts", "polls"}, "generation_worker": {"polls"},
          "reconciliation_sweep": {"starts"}}
PUBLIC = {"telegram_webhook", "kie_callback"}
SCHEDULED = {"free_tier_refresh", "reconciliation_sweep", "housekeeping", "catalog_sync"}
ENQUEUERS = {"telegram_webhook", "generation_worker", "reconciliation_sweep"}


# --- reading the configuration --------------------------------------------------------------------
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


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    return json.loads((ROOT / "functions" / "manifest.json").read_text())


def functions() -> dict[str, dict[str, Any]]:
    """Function name -> local.functions as Terraform computes it (the expression is checked in
    test_functions_and_their_secrets_come_from_the_manifest): the manifest's entry, local.sizing, and the
    secrets of the function's sections."""
    sections = manifest()["sections"]
    return {name: {**local("sizing")[name], "entry_point": f["target"], "description": f["description"],
                   "invoker": f["invoker"], "enqueues": f["enqueues"],
                   "secrets": sorted({s for section in f["sections"] for s in sections[section]["secrets"]})}
            for name, f in manifest()["functions"].items()}


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
    assert build["docker_repository"] == "${google_artifact_registry_repository.functions.id}"


def source_patterns() -> list[str]:
    """The include list of the source zip: literal paths and fileset() patterns, braces expanded."""
    expression = local("source_files")
    literal = re.search(r'\["main.py", "requirements.txt"\]', expression)
    assert literal, expression
    patterns = ["main.py", "requirements.txt"]
    for pattern in re.findall(r'fileset\(local\.source_root, "([^"]+)"\)', expression):
        head, alternatives, tail = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", pattern).groups()
        patterns += [head + alternative + tail for alternative in alternatives.split(",")]
    return patterns


def shipped(path: str) -> bool:
    """fileset semantics: `**/` matches any number of directories, including none."""
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p.replace("**/", ""))
               for p in source_patterns())


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if (ROOT / line).is_file()]


def test_the_source_zip_is_an_include_list_of_what_the_functions_run():
    archive = config()["data"][0]["archive_file"]["source"]
    assert "source_dir" not in archive and "excludes" not in archive
    dynamic = archive["dynamic"][0]["source"]
    assert dynamic["for_each"] == "${local.source_files}"
    content = block(dynamic, "content")
    assert content == {"filename": "${source.value}", "content": '${file("${local.source_root}/${source.value}")}'}
    assert local("source_root") == "${path.module}/.."
    files = tracked_files()
    needed = [f for f in files if f in ("main.py", "requirements.txt") or f.startswith(("functions/", "shared/"))]
    assert "functions/manifest.json" in needed
    missing = [f for f in needed if not shipped(f)]
    assert not missing, f"tracked files the functions need but the zip leaves out (add a pattern): {missing}"
    stray = [f for f in files if shipped(f) and f not in needed]
    assert not stray, stray
    for path in ("tests/conftest.py", "infra/stack.py", "infra/metering.py", ".env",
                 "shared/__pycache__/config.cpython-311.pyc", "terraform/functions.tf", "bench/cold_start.py"):
        assert not shipped(path), path


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


def test_functions_and_their_secrets_come_from_the_manifest():
    assert local("manifest") == '${jsondecode(file("${path.module}/../functions/manifest.json"))}'
    expression = local("functions")
    for part in ("for name, f in local.manifest.functions : name => merge(local.sizing[name], {",
                 "entry_point = f.target", "description = f.description", "invoker = f.invoker",
                 "enqueues = f.enqueues",
                 "secrets = sort(distinct(flatten([for section in f.sections : local.manifest.sections[section].secrets])))"):
        assert part in expression, part
    assert set(local("sizing")) == set(manifest()["functions"])
    assert set(manifest()["sections"]) == set(SECTIONS)


def test_no_placeholders_anywhere():
    for path in tracked_files():
        if path.startswith(("terraform/", "shared/", "functions/", "infra/", "docs/", "README")):
            assert "unused-in-this-function" not in (ROOT / path).read_text(errors="ignore"), path
    assert "required_secrets" not in "".join(path.read_text() for path in tf_files())


def test_every_setting_a_function_requires_is_given_by_its_deployment():
    """The sections a function is granted are all it validates at start: each of their required settings
    is in its environment (functions.tf) or one of its mounted secrets, so no function can fail to start
    on a setting it was not given."""
    text = (TF_DIR / "functions.tf").read_text()
    provided = set(re.findall(r"^\s*([A-Z][A-Z0-9_]+)\s*=", text, re.M))
    for name, f in functions().items():
        for section in manifest()["functions"][name]["sections"]:
            for field, info in SECTIONS[section].model_fields.items():
                if info.is_required():
                    assert field.upper() in provided | set(f["secrets"]), f"{name}: {field.upper()} ({section})"
        for secret in f["secrets"]:
            assert SECTION_OF[secret.lower()] in manifest()["functions"][name]["sections"]


def test_secrets_exist_are_empty_and_each_function_reads_only_its_own():
    names = set(local("secret_names"))
    assert names == SECRETS
    assert set(resources("google_secret_manager_secret")) == {"app"}
    assert not resources("google_secret_manager_secret_version"), "secret values never go through Terraform"
    for target, f in by_target().items():
        assert set(f["secrets"]) <= names, f"{target} mounts a secret that does not exist"
        assert set(f["secrets"]) == NEEDS[target], target
    assert {s for section in manifest()["sections"].values() for s in section["secrets"]} == names
    env = local("function_env")
    assert "secret" not in env.lower(), "secrets are mounted from Secret Manager, never put in the environment"
    mounted = block(resources("google_cloudfunctions2_function")["fn"], "service_config")["dynamic"][0]
    content = block(mounted["secret_environment_variables"], "content")
    assert mounted["secret_environment_variables"]["for_each"] == "${toset(each.value.secrets)}"
    assert content["secret"] == "${google_secret_manager_secret.app[secret_environment_variables.value].secret_id}"
    access = resources("google_secret_manager_secret_iam_member")["access"]
    assert access["for_each"] == "${local.secret_access}" and access["role"] == "roles/secretmanager.secretAccessor"


def test_enqueue_rights_only_where_tasks_are_created():
    assert {t for t, f in by_target().items() if f["enqueues"]} == ENQUEUERS
    assert {t: set(f["enqueues"]) for t, f in by_target().items() if f["enqueues"]} == QUEUES
    assert set(local("queues")) == {q for queues in QUEUES.values() for q in queues}
    enqueuer = resources("google_cloud_tasks_queue_iam_member")["enqueuer"]
    assert enqueuer["for_each"] == "${local.enqueue_grants}" and enqueuer["role"] == "roles/cloudtasks.enqueuer"
    assert enqueuer["name"] == "${local.queues[each.value.queue].name}"
    assert enqueuer["member"] == "serviceAccount:${google_service_account.fn[each.value.function].email}"
    assert "for queue in f.enqueues" in local("enqueue_grants")
    assert local("enqueuers") == "${{for name, f in local.functions : name => f if length(f.enqueues) > 0}}"
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
    expression = local("schedules")
    assert "for name, f in local.manifest.functions : name => {schedule = f.schedule.cron, " \
           "deadline = f.schedule.deadline, retries = f.schedule.retries} if f.schedule != null" in expression
    schedules = {name: {"schedule": f["schedule"]["cron"], "deadline": f["schedule"]["deadline"],
                        "retries": f["schedule"]["retries"]}
                 for name, f in manifest()["functions"].items() if f["schedule"] is not None}
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
        ("jobs", (("user_id", asc), ("created_at", desc))),  # the admin user card
        ("jobs", (("unsettled", asc), ("updated_at", asc))),
    } <= indexes
    database = resources("google_firestore_database")["main"]
    assert database["type"] == "FIRESTORE_NATIVE" and database["name"] == "(default)"


def test_the_ledger_can_be_recovered():
    database = resources("google_firestore_database")["main"]
    assert database["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    backup = resources("google_firestore_backup_schedule")["daily"]
    assert backup["database"] == "${google_firestore_database.main.name}" and "daily_recurrence" in backup
    assert int(backup["retention"].rstrip("s")) == 7 * 24 * 3600


KIE_CREATE_TASKS_PER_10_S = 20  # KIE.ai's account limit; more are rejected, not queued


def test_queue_rate_limits_and_retries():
    queue = resources("google_cloud_tasks_queue")["generations"]
    assert local("queue_name") == "generations" and queue["name"] == "${local.queue_name}"
    polls = resources("google_cloud_tasks_queue")["polls"]
    assert local("poll_queue_name") == "generation-polls" and polls["name"] == "${local.poll_queue_name}"
    assert local("queues") == {"starts": "${google_cloud_tasks_queue.generations}",
                               "polls": "${google_cloud_tasks_queue.polls}"}
    for body in (queue, polls):
        limits, retry = block(body, "rate_limits"), block(body, "retry_config")
        assert retry["max_attempts"] > 1 and retry["min_backoff"] and retry["max_backoff"]
    starts = block(queue, "rate_limits")
    # Starts stay well inside KIE's createTask budget: half of it, the rest for createTask's own retries.
    assert starts["max_dispatches_per_second"] * 10 <= KIE_CREATE_TASKS_PER_10_S / 2
    # Polls never starve starts (nor the reverse): each queue has its own budget, and the worker can serve
    # both at full concurrency at once.
    concurrency = [block(body, "rate_limits")["max_concurrent_dispatches"] for body in (queue, polls)]
    assert "max_concurrent_dispatches" in local("queue_concurrency")
    worker = by_target()["generation_worker"]
    default_max = {name: body for item in config()["variable"] for name, body in item.items()}[
        "worker_max_instances"]["default"]
    assert worker["max"] == "${var.worker_max_instances}" and default_max * worker["concurrency"] >= sum(concurrency)
    preconditions = block(resources("google_cloudfunctions2_function")["fn"], "lifecycle")["precondition"]
    assert any("each.value.max * each.value.concurrency >= local.queue_concurrency" in p["condition"]
               for p in preconditions)


def test_every_required_setting_is_provided_and_urls_do_not_cycle():
    text = (TF_DIR / "functions.tf").read_text()
    for name in ("GCP_PROJECT", "TASKS_QUEUE", "TASKS_POLL_QUEUE", "TASKS_LOCATION", "TASKS_SERVICE_ACCOUNT",
                 "WORKER_URL", "CALLBACK_URL", "LOG_LEVEL", "EXPECTED_INVOKERS", "THREADS"):
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


# --- a first apply that works ------------------------------------------------------------------------------
def test_providers_are_pinned_to_one_version():
    providers = block(config()["terraform"][0], "required_providers")
    assert set(providers) == {"google", "archive", "time"}
    for name, spec in providers.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]), f"{name}: {spec['version']} is not one version"


def test_the_build_account_has_the_documented_minimum_and_waits_for_iam():
    build_roles = set(resources("google_project_iam_member")["build"]["for_each"].split('"')[1::2])
    assert build_roles == {"roles/logging.logWriter", "roles/storage.objectViewer"}
    repo_grant = resources("google_artifact_registry_repository_iam_member")["build"]
    assert repo_grant["role"] == "roles/artifactregistry.writer"
    assert repo_grant["repository"] == "${google_artifact_registry_repository.functions.name}"
    assert "cloudbuild.builds.builder" not in "".join(path.read_text() for path in tf_files())
    wait = resources("time_sleep")["iam_settles"]
    assert int(wait["create_duration"].rstrip("s")) >= 60
    for grant in ("google_project_iam_member.build", "google_artifact_registry_repository_iam_member.build",
                  "google_secret_manager_secret_iam_member.access"):
        assert grant in str(wait["triggers"]), grant
    fn = resources("google_cloudfunctions2_function")["fn"]
    assert "${time_sleep.iam_settles}" in fn["depends_on"]


def test_old_function_images_are_cleaned_up():
    repo = resources("google_artifact_registry_repository")["functions"]
    assert repo["format"] == "DOCKER" and repo["cleanup_policy_dry_run"] is False
    policies = {p["action"]: p for p in repo["cleanup_policies"]}
    assert block(policies["KEEP"], "most_recent_versions")["keep_count"] >= 2  # the serving image and a rollback
    assert block(policies["DELETE"], "condition")["older_than"]


def test_set_webhook_command_prints_the_command_the_readme_shows():
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r'^(curl -s "https://api\.telegram\.org/bot\$TELEGRAM_BOT_TOKEN/setWebhook".*?)$\n(?!  )',
                      readme, re.M | re.S)
    assert shown, "README shows no setWebhook command"
    outputs = {name: body for item in config()["output"] for name, body in item.items()}
    heredoc = outputs["set_webhook_command"]["value"]
    printed = [line.strip() for line in heredoc.splitlines()[1:-1]]
    readme_lines = [line.strip() for line in shown.group(1).splitlines()]
    assert [line.replace("${local.webhook_url}", "$(terraform output -raw webhook_url)") for line in printed] == \
        readme_lines


def test_terraform_fmt_check_passes():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.fail("terraform is not installed (this test runs `terraform fmt -check`): install Terraform 1.5+ "
                    "and put it on PATH")
    result = subprocess.run([terraform, "fmt", "-check", "-diff"], cwd=TF_DIR, capture_output=True, text=True)
    assert result.returncode == 0, f"run `terraform fmt` in terraform/:\n{result.stdout}"


CHECKOV_EXCEPTIONS = {  # by design; each skip comment next to the resource says why
    ("CKV_GCP_102", "google_cloud_run_service_iam_member.public"),  # Telegram and KIE call without Google credentials
    ("CKV_GCP_62", "google_storage_bucket.source"),  # build inputs: no access logs
    ("CKV_GCP_78", "google_storage_bucket.source"),  # content-addressed objects: no versioning
    ("CKV_GCP_84", "google_artifact_registry_repository.functions"),  # images of public code: no customer key
}


def test_checkov_passes_and_every_exception_says_why():
    from infra.tools import CHECKOV_REQUIREMENTS, checkov_exe

    exe = checkov_exe()
    if not exe.exists():
        pytest.fail(f"checkov is not installed ({exe.relative_to(ROOT)}): ./dev test installs it, or by hand "
                    f"`.venv/bin/python -m infra.tools` (a venv from {CHECKOV_REQUIREMENTS.relative_to(ROOT)})")
    result = subprocess.run([str(exe), "-d", str(TF_DIR), "--framework", "terraform", "--skip-download",
                             "--output", "json"], capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert report["summary"]["failed"] == 0 and not failed, failed
    assert report["summary"]["passed"] > 0
    skipped = {(c["check_id"], c["resource"]): c["check_result"].get("suppress_comment", "")
               for c in report["results"]["skipped_checks"]}
    assert set(skipped) == CHECKOV_EXCEPTIONS
    for check, reason in skipped.items():
        assert len(reason) > 30, f"{check}: say why it is an exception"
    comments = re.findall(r"#checkov:skip=(CKV_\w+):(.*)", "".join(path.read_text() for path in tf_files()))
    assert {check for check, _ in comments} == {check for check, _ in CHECKOV_EXCEPTIONS}
