"""The simulator's own copy of KIE's model reference (independent of the bot's catalog)."""
import json
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("kie_models.json")


def load_models(path=CATALOG_PATH):
    """Model id -> spec of every createTask model, without `_meta` and the legacy per-family endpoints
    (entries with an `api` block: their createTask forms are entries of their own)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {model: spec for model, spec in data.items() if not model.startswith("_") and "api" not in spec}


def listed(spec):
    """In the provider's model list: entries with a `status` (delisted, superseded) are not."""
    return "status" not in spec
