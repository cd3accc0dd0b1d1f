"""The simulator's own copy of KIE's model reference (independent of the bot's catalog)."""
import json
from pathlib import Path

CATALOG_PATH = Path(__file__).with_name("kie_models.json")


def load_models(path=CATALOG_PATH):
    """Model id -> spec, without the `_meta` entry."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {model: spec for model, spec in data.items() if not model.startswith("_")}
