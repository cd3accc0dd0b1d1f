"""All configuration, read once from the environment (see README's table)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    telegram_bot_token: str = Field(min_length=1)
    telegram_webhook_secret: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")
    telegram_api_base_url: str = "https://api.telegram.org"

    kie_api_key: str = Field(min_length=1)
    kie_base_url: str = "https://api.kie.ai"
    kie_upload_base_url: str = "https://kieai.redpandaai.co"
    kie_webhook_hmac_key: str = ""

    gcp_project: str = Field(min_length=1)
    tasks_queue: str = "generations"
    tasks_location: str = "europe-west1"
    tasks_emulator_host: str = ""  # host:port of the local Cloud Tasks emulator
    tasks_service_account: str = ""  # OIDC identity Cloud Tasks calls the worker with
    expected_invokers: Annotated[list[str], NoDecode] = []  # OIDC callers of worker/scheduled targets; empty: any
    worker_url: str = Field(min_length=1)
    callback_url: str = Field(min_length=1)

    admin_ids: Annotated[list[int], NoDecode] = []
    fx_rate: Decimal = Field(default=Decimal("95"), gt=0)
    pricing_markup: Decimal = Field(default=Decimal("2.0"), gt=0)
    start_bonus_rub: Decimal = Field(default=Decimal("0"), ge=0)
    free_daily_limit: int = Field(default=5, ge=0)
    free_tier_model_ids: Annotated[list[str], NoDecode] = []

    # Money: Telegram Stars top-ups, referrals, spending safety.
    stars_per_100_rub: Decimal = Field(default=Decimal("70"), gt=0)
    topup_packs_rub: Annotated[list[int], NoDecode] = [100, 300, 500, 1000, 3000]
    topup_min_rub: int = Field(default=50, gt=0)
    topup_max_rub: int = Field(default=25000, gt=0)
    referral_welcome_rub: Decimal = Field(default=Decimal("20"), ge=0)
    referral_percent: Decimal = Field(default=Decimal("10"), ge=0, le=100)
    confirm_above_rub: Decimal = Field(default=Decimal("150"), ge=0)
    low_balance_rub: Decimal = Field(default=Decimal("50"), ge=0)
    paysupport_text: str = ""  # replaces the built-in /paysupport text when set
    terms_text: str = ""  # replaces the built-in /terms text when set

    # Operations.
    settings_cache_seconds: float = Field(default=30, ge=0)  # how long an instance trusts the stored free tier and switches
    broadcast_rate: int = Field(default=25, ge=1, le=30)  # messages per second in a broadcast (Telegram allows ~30)
    kie_low_credits: float = Field(default=1000, ge=0)  # alert admins below this KIE credit balance
    pricing_truth_path: str = ""  # a pricing truth file to use instead of the shipped one (free_tier_refresh reads it each run)

    # Fallback polling of KIE when no callback arrives: delays between polls (the last one repeats)
    # until the model's timeout, then TIMEOUT and a refund. The reconciliation sweep is the backstop.
    poll_delays_seconds: Annotated[list[int], NoDecode] = [20, 30, 60, 120, 240]
    timeout_image_s: int = Field(default=900, gt=0)
    timeout_audio_s: int = Field(default=900, gt=0)
    timeout_video_s: int = Field(default=2400, gt=0)
    kie_timeout_s: float = Field(default=20, gt=0)  # per KIE API call (a slower createTask is refunded, never re-sent)
    submit_lease_s: int = Field(default=90, gt=0)  # a worker owns a job's submission this long before another may
    delivery_lease_s: int = Field(default=120, gt=0)  # one attempt to deliver a result; then the sweep may retry
    sweep_quiet_s: int = Field(default=120, gt=0)  # the sweep takes over a job that has not moved for this long
    log_level: str = "INFO"
    k_service: str = ""  # set by Cloud Run (Cloud Functions 2nd gen) on every instance: we run in production

    @property
    def production(self) -> bool:
        """On Google Cloud (K_SERVICE), or with OIDC callers configured (EXPECTED_INVOKERS)."""
        return bool(self.expected_invokers or self.k_service)

    _split_ids = field_validator("admin_ids", "free_tier_model_ids", "poll_delays_seconds", "topup_packs_rub",
                                 "expected_invokers",
                                 mode="before")(
        staticmethod(_csv)
    )

    @field_validator("telegram_api_base_url", "kie_base_url", "kie_upload_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def _explain(err: ValidationError) -> str:
    lines = []
    for item in err.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        problem = "is required but not set" if item["type"] == "missing" else f"is invalid: {item['msg']}"
        lines.append(f"{name} {problem}")
    return "Configuration error: " + "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read the environment; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError(_explain(err)) from None


def check_target(settings: Settings, target: str) -> None:
    """What one function needs beyond the common settings. In production the KIE callback never runs
    unauthenticated: without KIE_WEBHOOK_HMAC_KEY anyone could post a callback."""
    if target == "kie_callback" and settings.production and not settings.kie_webhook_hmac_key:
        raise ConfigError("Configuration error: KIE_WEBHOOK_HMAC_KEY is required but not set: in production "
                          "(EXPECTED_INVOKERS or K_SERVICE set) kie_callback refuses unsigned callbacks")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
