"""The catalog sync's comparison, pure: the provider's model list, input schemas and prices against our
catalog, our pricing truth and the prices the last sync saw. Nothing here changes a price: a changed price
becomes a proposed pricing-truth line for an admin to apply (docs/decisions/0002: the truth is one file)."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from shared.catalog import Catalog, FieldSpec, ModelSpec
from shared.domain.pricing import PriceRule, PricingTruth

DELISTED = "delisted by provider"
# "1K 8 credits ($0.04)": a price key, its credits and their dollars, as the price description lists them
PRICE_PART = re.compile(r"(?:^|;\s*|:\s*)(?P<key>[^;:]+?)\s+(?P<credits>[0-9.]+)\s+credits\s+\(\$(?P<usd>[0-9.]+)\)")
# When more than this share of our listed models is missing at once the list is not trusted to hide them
# (a provider outage or a truncated answer must not empty the catalog): reported, nothing hidden.
MAX_GONE_SHARE = 0.5


def provider_models(catalog: Catalog) -> dict[str, list[str]]:
    """Provider model id -> our model ids sold on it (Veo 3.1's three tiers are one provider model)."""
    out: dict[str, list[str]] = {}
    for model in catalog.models:
        out.setdefault(model.provider_model, []).append(model.id)
    return out


def input_schema(openapi: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The createTask input's properties and required names from a model's OpenAPI document."""
    schemas = ((openapi or {}).get("components") or {}).get("schemas") or {}
    node = schemas.get("Input") or {}
    ref = node.get("$ref", "")
    if ref:
        node = schemas.get(ref.rsplit("/", 1)[-1]) or {}
    return dict(node.get("properties") or {}), set(node.get("required") or [])


def _bounds(field: FieldSpec) -> dict[str, str]:
    """Our limit -> the JSON-schema keyword that carries it for this kind of field."""
    if field.multiple:
        return {"min_count": "minItems", "max_count": "maxItems"}
    if field.type == "text":
        return {"min_length": "minLength", "max_length": "maxLength"}
    return {"min": "minimum", "max": "maximum"}


def field_changes(field: FieldSpec, theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """What the provider now says differently about one field we send: values we offer that it no longer
    takes (and its new ones), its default, its limits."""
    changes = []
    if field.type == "enum" and isinstance(theirs.get("enum"), list):
        allowed = {str(v) for v in theirs["enum"]}
        gone = [v for v in field.values if v not in allowed]
        added = sorted(allowed - set(field.values))
        if gone:
            changes.append({"field": field.name, "what": "values removed", "ours": gone, "theirs": sorted(allowed)})
        if added:
            changes.append({"field": field.name, "what": "values added", "ours": field.values, "theirs": added})
    if "default" in theirs and field.default is not None and str(theirs["default"]) != str(field.default):
        changes.append({"field": field.name, "what": "default", "ours": field.default, "theirs": theirs["default"]})
    for ours_key, their_key in _bounds(field).items():
        ours, value = getattr(field, ours_key), theirs.get(their_key)
        if ours is not None and isinstance(value, (int, float)) and float(value) != float(ours):
            changes.append({"field": field.name, "what": ours_key, "ours": ours, "theirs": value})
    return changes


def schema_drift(model: ModelSpec, properties: dict[str, Any]) -> dict[str, Any]:
    """Fields we send that the provider no longer has, fields it has that we do not send, a rename where
    exactly one went and one came, and the changes of the fields both know."""
    sent = {f.kie_field: f for f in model.fields if f.ui != "hidden"}
    missing = sorted(set(sent) - set(properties))
    new = sorted(set(properties) - {f.kie_field for f in model.fields})
    renamed = {missing[0]: new[0]} if len(missing) == 1 and len(new) == 1 else {}
    changed = [c for name, f in sent.items() if name in properties for c in field_changes(f, properties[name])]
    return {"missing": [] if renamed else missing, "new": [] if renamed else new, "renamed": renamed,
            "changed": changed}


def parse_prices(description: str) -> dict[str, Decimal]:
    """'Nano Banana 2, per image: 1K 8 credits ($0.04); 2K 12 credits ($0.06)' -> {'1K': 0.04, '2K': 0.06}."""
    return {m["key"].strip(): Decimal(m["usd"]) for m in PRICE_PART.finditer(description or "")}


def price_changes(old: dict[str, Any], new: dict[str, Any], threshold_pct: Decimal) -> list[dict[str, Any]]:
    """Price keys whose dollars moved by more than threshold_pct since the last sync (new and gone keys too)."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before is None or after is None:
            changes.append({"key": key, "old_usd": usd_text(before), "new_usd": usd_text(after), "pct": None})
            continue
        before, after = Decimal(str(before)), Decimal(str(after))
        pct = (after - before) / before * 100 if before else Decimal(100)
        if abs(pct) > threshold_pct:
            changes.append({"key": key, "old_usd": usd_text(before), "new_usd": usd_text(after),
                            "pct": float(round(pct, 1))})
    return changes


def usd_text(value: Any) -> str | None:
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def truth_line(model_id: str, rule: PriceRule) -> str:
    """A pricing-truth line as parse_pricing_truth reads it."""
    cond = " {" + ", ".join(f"{k}={v}" for k, v in rule.conditions.items()) + "}" if rule.conditions else ""
    unit = f" per {rule.unit} of {'/'.join(rule.quantity)}" if rule.unit else ""
    return f"{model_id}{cond}: {usd_text(rule.usd)} USD{unit}"


def proposed_lines(model_ids: list[str], changes: list[dict[str, Any]], truth: PricingTruth) -> list[str]:
    """For each changed price, our truth lines that carry the old dollars, written with the new ones. Only a
    proposal: an admin checks it and edits pricing_source_truth.txt."""
    lines = []
    for change in changes:
        if change["old_usd"] is None or change["new_usd"] is None:
            continue
        old, new = Decimal(change["old_usd"]), Decimal(change["new_usd"])
        for model_id in model_ids:
            rules = list(truth.rules.get(model_id, []))
            if model_id in truth.base:
                rules.append(PriceRule(truth.base[model_id]))
            for rule in rules:
                if rule.usd == old:
                    line = truth_line(model_id, PriceRule(new, rule.conditions, rule.unit, rule.quantity))
                    if line not in lines:
                        lines.append(line)
    return lines


def delisting(catalog: Catalog, listed: set[str], hidden: dict[str, str]) -> tuple[dict[str, str], list[str],
                                                                                   list[str], bool]:
    """(models hidden from now on, newly gone, back again, trusted). A model of ours is hidden while the
    provider does not list its provider model; models the catalog itself retired stay as they are."""
    sold = [m for m in catalog.models if m.enabled]
    gone = [m.id for m in sold if m.provider_model not in listed]
    trusted = len(gone) <= MAX_GONE_SHARE * len(sold)
    if not trusted:
        return dict(hidden), [], [], False
    now = {m: DELISTED for m in gone}
    return now, sorted(set(now) - set(hidden)), sorted(set(hidden) - set(now)), True


def new_models(catalog: Catalog, listed: set[str], seen: set[str] | None) -> list[str]:
    """Provider models we do not sell and the last sync did not see listed (all of them on a first run)."""
    return sorted(listed - set(provider_models(catalog)) - (seen or set()))


def retired_listed(catalog: Catalog, listed: set[str]) -> list[str]:
    """Models our catalog retired (not sold) whose provider model is listed again: for an admin to review."""
    return sorted(m.id for m in catalog.models if m.retired and m.provider_model in listed)


def changed(report: dict[str, Any], previous: dict[str, Any]) -> bool:
    """Whether a report has anything an admin should hear about (a retired model listed again: once)."""
    relisted = set(report["retired_listed"]) - set(previous.get("retired_listed") or [])
    return bool(report["gone"] or report["back"] or report["new"] or report["fields"] or report["prices"]
                or not report["trusted"] or relisted)
