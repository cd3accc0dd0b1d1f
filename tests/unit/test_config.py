import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from shared.config import ConfigError, Settings, load_settings

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
