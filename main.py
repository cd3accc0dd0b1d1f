"""Functions-framework targets. Each lives in functions/; importing this creates no client."""
from functions.free_tier_refresh import free_tier_refresh
from functions.generation_worker import generation_worker
from functions.housekeeping import housekeeping
from functions.kie_callback import kie_callback
from functions.reconciliation_sweep import reconciliation_sweep
from functions.telegram_webhook import telegram_webhook
from shared.bootstrap import check_startup

check_startup()  # settings and catalog are validated before the first request

__all__ = ["telegram_webhook", "generation_worker", "kie_callback", "free_tier_refresh", "reconciliation_sweep",
           "housekeeping"]
