import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from shared import manifest
from shared.config import SECTION_OF, SECTIONS, ConfigError, NotGranted, Settings, load_function_settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s", "KIE_API_KEY": "k",
            "GCP_PROJECT": "p", "WORKER_URL": "http://w/", "CALLBACK_URL": "http://c/"}


@pytest.fixture
def env(monkeypatch):
    for name in Settings.model_fields:  # the session's local stack exports its own values
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults(env):
    s = load_settings()
    assert s.fx_rate == Decimal("95") and s.pricing_markup == Decimal("2.0")
    assert s.start_bonus_rub == 0 and s.free_daily_limit == 5
    assert s.telegram_api_base_url == "https://api.telegram.org" and s.free_tier_model_ids == []


def test_csv_lists_and_trailing_slash(env):
    env.setenv("ADMIN_IDS", "1, 2,3")
    env.setenv("FREE_TIER_MODEL_IDS", "a,b")
    env.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    s = load_settings()
    assert s.admin_ids == [1, 2, 3] and s.free_tier_model_ids == ["a", "b"]
    assert s.telegram_api_base_url == "http://127.0.0.1:8081"


def test_missing_setting_is_named(env):
    env.delenv("KIE_API_KEY")
    with pytest.raises(ConfigError, match="KIE_API_KEY is required but not set"):
        load_settings()


def test_malformed_setting_is_named(env):
    env.setenv("FX_RATE", "ninety")
    env.setenv("ADMIN_IDS", "1,abc")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "FX_RATE is invalid" in str(err.value) and "ADMIN_IDS is invalid" in str(err.value)


def test_import_of_main_fails_with_one_clear_line():
    env = {"PATH": "/usr/bin:/bin", **REQUIRED, "FREE_TIER_MODEL_IDS": "z-image,nope"}
    result = subprocess.run([sys.executable, "-c", "import main"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "FREE_TIER_MODEL_IDS names unknown models: nope" in result.stderr
    assert "Traceback" not in result.stderr


# --- sections and the manifest (functions/manifest.json) -----------------------------------------------------
CORE_ONLY = {"GCP_PROJECT": "p", "WORKER_URL": "http://w/"}


def test_every_setting_is_in_exactly_one_section_and_the_manifest_names_only_real_ones():
    assert set(Settings.model_fields) == set(SECTION_OF)
    assert sum(len(cls.model_fields) for cls in SECTIONS.values()) == len(SECTION_OF), "a setting in two sections"
    assert set(manifest.manifest()["sections"]) == set(SECTIONS)
    for name in SECTIONS:
        for secret in manifest.section_secrets(name):
            assert SECTION_OF.get(secret.lower()) == name, f"{secret} is not a setting of section {name}"
    for function, entry in manifest.functions().items():
        assert "core" in entry["sections"] and set(entry["sections"]) <= set(SECTIONS), function


@pytest.mark.parametrize("function", sorted(manifest.functions()))
def test_a_function_refuses_every_setting_of_a_section_it_is_not_granted(env, function):
    """Derived from the sections: a setting added to any section is covered without touching this test."""
    settings = load_function_settings(function)
    granted = set(manifest.sections_of(function))
    for name, section in SECTION_OF.items():
        if section in granted:
            getattr(settings, name)
            continue
        with pytest.raises(NotGranted, match=rf"{name.upper()} is in settings section '{section}', which "
                                             rf"functions/manifest.json does not grant to {function}"):
            getattr(settings, name)


def test_a_function_validates_only_its_own_sections(env):
    for name in REQUIRED:
        env.delenv(name)
    for name, value in CORE_ONLY.items():
        env.setenv(name, value)
    env.setenv("TOPUP_PACKS_RUB", "a lot")  # money: the webhook's section
    assert load_function_settings("housekeeping").gcp_project == "p"
    with pytest.raises(ConfigError) as err:
        load_function_settings("telegram-webhook")
    assert "TOPUP_PACKS_RUB is invalid" in str(err.value) and "TELEGRAM_WEBHOOK_SECRET is required" in str(err.value)
    assert "KIE_WEBHOOK_HMAC_KEY" not in str(err.value)


def test_adapters_refuse_to_build_without_their_section(env):
    from shared.bootstrap import Container

    c = Container(load_function_settings("housekeeping"))
    for adapter, section, who in (("kie", "kie", "the KIE client"), ("queue", "tasks", "the task queue"),
                                  ("bot", "telegram", "the Telegram bot")):
        with pytest.raises(NotGranted, match=rf"{who} needs settings section '{section}', which "
                                             r"functions/manifest.json does not grant to housekeeping"):
            getattr(c, adapter)
    assert Container(load_function_settings("kie-callback")).kie._headers["Authorization"] == "Bearer k"


def test_only_the_granted_secrets_are_read_and_redacted(env):
    env.setenv("KIE_WEBHOOK_HMAC_KEY", "h")
    assert sorted(load_function_settings("kie-callback").secret_values()) == ["1:x", "h", "k"]
    assert load_function_settings("free-tier-refresh").secret_values() == []
    assert sorted(load_function_settings(None).secret_values()) == ["1:x", "h", "k", "s"]


def test_the_function_is_known_by_the_name_cloud_run_gives_it():
    assert manifest.current_function({}) is None  # a test or a tool: every section
    assert manifest.current_function({"FUNCTION_TARGET": "kie_callback"}) is None  # functions-framework sets this one
    assert manifest.current_function({"K_SERVICE": "kie-callback", "FUNCTION_TARGET": "kie_callback"}) == "kie-callback"
    with pytest.raises(ValueError, match="K_SERVICE=kie-callback serves kie_callback, not FUNCTION_TARGET=housekeeping"):
        manifest.current_function({"K_SERVICE": "kie-callback", "FUNCTION_TARGET": "housekeeping"})
    with pytest.raises(ValueError, match="K_SERVICE=nope is not a function of functions/manifest.json"):
        manifest.current_function({"K_SERVICE": "nope"})


def test_a_function_starts_with_only_its_own_settings():
    env = {"PATH": "/usr/bin:/bin", **CORE_ONLY, "K_SERVICE": "housekeeping", "FUNCTION_TARGET": "housekeeping"}
    ok = subprocess.run([sys.executable, "-c", "import main"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    env.update(K_SERVICE="kie-callback", FUNCTION_TARGET="kie_callback", TELEGRAM_BOT_TOKEN="1:x",
               CALLBACK_URL="http://c/")
    refused = subprocess.run([sys.executable, "-c", "import main"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "Configuration error: KIE_API_KEY is required but not set" in refused.stderr
    assert "Traceback" not in refused.stderr
