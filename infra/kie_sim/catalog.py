"""The simulator's own copy of KIE's model reference (independent of the bot's catalog)."""
import json
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("kie_models.json")

# Keys of price_credits that are not credit amounts.
_NON_PRICE_KEYS = {"usd", "unit", "src", "note"}


def load_models(path=CATALOG_PATH):
    """Model id -> spec, without the `_meta` entry."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {model: spec for model, spec in data.items() if not model.startswith("_")}


def price_of(spec):
    """Credits charged per task: `credits` if given, else the cheapest listed tier."""
    prices = spec.get("price_credits", {})
    if _is_number(prices.get("credits")):
        return prices["credits"]
    tiers = [v for k, v in prices.items() if k not in _NON_PRICE_KEYS and _is_number(v)]
    return min(tiers, default=0)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
