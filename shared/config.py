"""All configuration, read once from the environment (see README's table), in sections.

A deployed function reads only the sections functions/manifest.json grants it (shared/manifest.py): it
validates those at start, and reading a setting of any other section raises NotGranted naming the setting,
the section and the function. So a function that needs a setting or a secret its deployment does not give
it fails in the local stack (which starts each function from the same manifest), not in production.

Adding a setting: one line in the section class it belongs to (a secret also goes into that section's
"secrets" in the manifest). `settings.<name>` reads it wherever the section is granted.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared import manifest


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


class NotGranted(ConfigError):
    """A setting of a section the function's manifest entry does not grant."""


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _no_trailing_slash(value: str) -> str:
    return value.rstrip("/")


class Section(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")


class Core(Section):
    """Every function: the project, who may call it, admins, prices and the free tier, logs."""

    gcp_project: str = Field(min_length=1)
    worker_url: str = Field(min_length=1)  # the Cloud Tasks target, and the audience its OIDC tokens carry
    expected_invokers: Annotated[list[str], NoDecode] = []  # OIDC callers of worker/scheduled targets; empty: any

    admin_ids: Annotated[list[int], NoDecode] = []
    fx_rate: Decimal = Field(default=Decimal("95"), gt=0)
    pricing_markup: Decimal = Field(default=Decimal("2.0"), gt=0)
    free_daily_limit: int = Field(default=5, ge=0)
    free_tier_model_ids: Annotated[list[str], NoDecode] = []
    settings_cache_seconds: float = Field(default=30, ge=0)  # how long an instance trusts the stored free tier and switches
    pricing_truth_path: str = ""  # a pricing truth file to use instead of the shipped one (free_tier_refresh reads it each run)
    log_level: str = "INFO"
    k_service: str = ""  # set by Cloud Run (Cloud Functions 2nd gen) on every instance, and by the local stack

    _core_lists = field_validator("expected_invokers", "admin_ids", "free_tier_model_ids", mode="before")(
        staticmethod(_csv))


class Telegram(Section):
    """The Bot API client: anything that writes to a chat."""

    telegram_bot_token: str = Field(min_length=1)
    telegram_api_base_url: str = "https://api.telegram.org"
    broadcast_rate: int = Field(default=25, ge=1, le=30)  # messages per second in a broadcast (Telegram allows ~30)
    # Support: the contact users are shown (a @username or a link; empty: none shown) and the chat their
    # messages are forwarded to (empty: each admin in ADMIN_IDS).
    support_contact: str = Field(default="", max_length=200)
    support_chat_id: int | None = None

    _telegram_url = field_validator("telegram_api_base_url")(staticmethod(_no_trailing_slash))


class Webhook(Section):
    """telegram_webhook: the secret Telegram echoes in every update."""

    telegram_webhook_secret: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")
    # Per-user rate limits of one webhook instance (0 = off): updates, and files among them.
    user_updates_per_minute: int = Field(default=60, ge=0)
    user_uploads_per_minute: int = Field(default=20, ge=0)


class Kie(Section):
    """The KIE API client."""

    kie_api_key: str = Field(min_length=1)
    kie_base_url: str = "https://api.kie.ai"
    kie_upload_base_url: str = "https://kieai.redpandaai.co"
    kie_timeout_s: float = Field(default=20, gt=0)  # per KIE API call (a slower createTask is refunded, never re-sent)
    kie_low_credits: float = Field(default=1000, ge=0)  # alert admins below this KIE credit balance

    _kie_urls = field_validator("kie_base_url", "kie_upload_base_url")(staticmethod(_no_trailing_slash))


class Callback(Section):
    """The KIE callback: the URL sent with createTask and the key that signs callbacks."""

    callback_url: str = Field(min_length=1)
    kie_webhook_hmac_key: str = ""


class Tasks(Section):
    """Enqueueing Cloud Tasks: start tasks on one queue, polls and broadcast batches on the other."""

    tasks_queue: str = "generations"
    tasks_poll_queue: str = "generation-polls"
    tasks_location: str = "europe-west1"
    tasks_emulator_host: str = ""  # host:port of the local Cloud Tasks emulator
    tasks_service_account: str = ""  # OIDC identity Cloud Tasks calls the worker with


class Money(Section):
    """Telegram Stars top-ups, bonuses, referrals, spending safety."""

    start_bonus_rub: Decimal = Field(default=Decimal("0"), ge=0)
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
    # A Stars refund still pending (no answer from Telegram) and absent from its record of star transactions
    # this long after the call is given back to the balance by the sweep; the call itself takes seconds.
    stars_refund_settle_s: int = Field(default=600, gt=0)

    _money_lists = field_validator("topup_packs_rub", mode="before")(staticmethod(_csv))


class Jobs(Section):
    """The pipeline's timings.

    Fallback polling of KIE when no callback arrives: delays between polls (the last one repeats) until the
    model's timeout, then TIMEOUT and a refund. The reconciliation sweep is the backstop."""

    poll_delays_seconds: Annotated[list[int], NoDecode] = [20, 30, 60, 120, 240]
    timeout_image_s: int = Field(default=900, gt=0)
    timeout_audio_s: int = Field(default=900, gt=0)
    timeout_video_s: int = Field(default=2400, gt=0)
    submit_lease_s: int = Field(default=90, gt=0)  # a worker owns a job's submission this long before another may
    delivery_lease_s: int = Field(default=120, gt=0)  # one attempt to deliver a result; then the sweep may retry
    sweep_quiet_s: int = Field(default=120, gt=0)  # the sweep takes over a job that has not moved for this long
    # createTask answered 429 (nothing submitted): the start task comes again this much later (the provider's
    # window is 10 s), at most this many times, then the job is refunded.
    submit_429_delay_s: int = Field(default=15, ge=10)
    submit_429_attempts: int = Field(default=3, ge=0)
    # While a job runs, its "in progress" message is edited every this many seconds (elapsed and expected
    # time) and the chat action shown again, at most status_edits_max times.
    status_edit_s: int = Field(default=20, ge=5)
    status_edits_max: int = Field(default=60, ge=0)

    _jobs_lists = field_validator("poll_delays_seconds", mode="before")(staticmethod(_csv))


class Sync(Section):
    """The catalog sync: its pace against the provider's discovery limit (1 request/s) and what it reports."""

    catalog_sync_gap_s: float = Field(default=1.1, ge=0)  # between discovery calls (the provider allows 1 per second)
    catalog_price_threshold_pct: Decimal = Field(default=Decimal("5"), ge=0)  # a price move beyond this is reported


# The names functions/manifest.json uses for the sections.
SECTIONS: dict[str, type[Section]] = {"core": Core, "telegram": Telegram, "webhook": Webhook, "kie": Kie,
                                      "callback": Callback, "tasks": Tasks, "money": Money, "jobs": Jobs,
                                      "sync": Sync}
SECTION_OF: dict[str, str] = {field: name for name, cls in SECTIONS.items() for field in cls.model_fields}


class Settings(Sync, Jobs, Money, Tasks, Callback, Kie, Webhook, Telegram, Core):
    """Every section at once: what a process that is no one deployed function reads (tests, tools)."""

    def section(self, name: str, needed_by: str = "") -> Settings:
        return self

    def secret_values(self) -> list[str]:
        return [getattr(self, secret.lower()) for secret in manifest.all_secrets()]


class FunctionSettings:
    """One function's settings: its granted sections, validated; `settings.<name>` reads through them as the
    flat Settings did, and a setting of a section not granted raises NotGranted."""

    def __init__(self, function: str, sections: dict[str, Section]):
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "sections", sections)

    def section(self, name: str, needed_by: str = "") -> Section:
        """A granted section; `needed_by` names the adapter that asks, for the error."""
        if name not in self.sections:
            who = f"{needed_by} needs settings section {name!r}" if needed_by else f"settings section {name!r}"
            raise NotGranted(f"{who}, which {manifest.MANIFEST} does not grant to {self.function}")
        return self.sections[name]

    def secret_values(self) -> list[str]:
        return [getattr(self, secret.lower()) for name in self.sections for secret in manifest.section_secrets(name)]

    def _owner(self, name: str) -> Section:
        section = SECTION_OF.get(name)
        if section is None:
            raise AttributeError(f"there is no setting {name!r}")
        if section not in self.sections:
            raise NotGranted(f"{name.upper()} is in settings section {section!r}, which "
                             f"{manifest.MANIFEST} does not grant to {self.function}")
        return self.sections[section]

    def __getattr__(self, name: str) -> object:  # only for names that are not attributes of this object
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._owner(name), name)

    def __setattr__(self, name: str, value: object) -> None:  # tests adjust a setting in place
        setattr(self._owner(name), name, value)


def _problems(err: ValidationError) -> list[str]:
    lines = []
    for item in err.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        problem = "is required but not set" if item["type"] == "missing" else f"is invalid: {item['msg']}"
        lines.append(f"{name} {problem}")
    return lines


def _explain(err: ValidationError) -> str:
    return "Configuration error: " + "; ".join(_problems(err))


def load_settings(**overrides: object) -> Settings:
    """Read every section from the environment; a bad value raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError(_explain(err)) from None


def load_function_settings(function: str | None) -> FunctionSettings:
    """Read and validate the sections the manifest grants `function` (None: every section)."""
    names = list(SECTIONS) if function is None else manifest.sections_of(function)
    loaded, problems = {}, []
    for name in names:
        try:
            loaded[name] = SECTIONS[name]()
        except ValidationError as err:
            problems += _problems(err)
    if problems:
        raise ConfigError("Configuration error: " + "; ".join(problems))
    return FunctionSettings(function or "a process that is no one function", loaded)


def check_target(settings: Settings | FunctionSettings, target: str) -> None:
    """What one function needs beyond the common settings. In production the KIE callback never runs
    unauthenticated: without KIE_WEBHOOK_HMAC_KEY anyone could post a callback."""
    production = bool(settings.expected_invokers or settings.k_service)
    if target == "kie_callback" and production and not settings.kie_webhook_hmac_key:
        raise ConfigError("Configuration error: KIE_WEBHOOK_HMAC_KEY is required but not set: in production "
                          "(EXPECTED_INVOKERS or K_SERVICE set) kie_callback refuses unsigned callbacks")


@lru_cache(maxsize=1)
def get_settings() -> FunctionSettings:
    """The settings of the function this process is (K_SERVICE), or of every section."""
    try:
        function = manifest.current_function()
    except ValueError as err:
        raise ConfigError(f"Configuration error: {err}") from None
    return load_function_settings(function)
