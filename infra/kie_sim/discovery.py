"""Model discovery and the public price feed, as the late-2026 reference describes them.

- GET /api/v1/models (q, provider, taskType) -> {total, models: [{model, slug, title, provider, taskType[],
  description, pricingDesc}]}, not paginated; only the models the provider lists (see catalog.listed).
- GET /api/v1/models/<model>/schema -> {model, openapi}: the model's createTask request as an OpenAPI 3.1
  document (the input object behind a $ref, as KIE does not inline them).
- GET /api/v1/models/<model>/price -> {model, pricingDesc} (prose).
- GET /api/v1/models/<model>/success-rate -> {model, buckets}: 24 h of 10-minute buckets with successRate,
  errorRate, isNormal (SimState.success_rate).
These four share `discovery_rps` (1 per second): over it the body code is 429.
- POST /client/v1/model-pricing/page {pageNum, pageSize <= 100, modelDescription?, interfaceType?}, no key:
  free-text rows ("Kling 3.0 Video, video, std_720p_audio") with creditPrice, creditUnit, usdPrice,
  interfaceType, provider; never a model id, so matching them to models takes a reviewed mapping.
Everything reflects the drift switches (/sim/drift): a removed model is gone, a renamed field is renamed,
a changed price is changed.
"""
import re
from decimal import Decimal

from flask import Blueprint, request

from .api import FAULT_MSGS, envelope, refused
from .billing import CREDIT_USD, is_price, plain
from .web import client_problem, sim

bp = Blueprint("kie_discovery", __name__, url_prefix="/api/v1/models")
feed = Blueprint("kie_price_feed", __name__, url_prefix="/client/v1")

PROVIDERS = {"gpt-image-2": "openai", "nano-banana": "google", "veo": "google", "z-image": "alibaba",
             "ai-music-api": "suno", "flux-2": "black-forest-labs", "infinitalk": "meigen", "topaz": "topaz",
             "wan": "alibaba", "hailuo": "minimax", "seedream": "bytedance", "sora": "openai"}
TITLES = {"veo-3-1": "Veo 3.1", "ai-music-api/generate": "Suno Music"}
MAX_PAGE = 100


@bp.before_request
def limited():
    refusal = refused()
    if refusal:
        return refusal
    if not sim().take_discovery_slot():
        return envelope(429, FAULT_MSGS[429])
    return None


@feed.before_request
def edge():
    problem = client_problem()
    return (problem[1], problem[0]) if problem else None


@bp.get("")
def list_models():
    q = (request.args.get("q") or "").lower()
    provider = (request.args.get("provider") or "").lower()
    task_type = request.args.get("taskType") or ""
    rows = [listing(model, spec) for model, spec in sorted(sim().listed_models().items())]
    rows = [r for r in rows if (not q or q in " ".join((r["model"], r["title"], r["description"])).lower())
            and (not provider or r["provider"] == provider) and (not task_type or task_type in r["taskType"])]
    return envelope(200, "success", {"total": len(rows), "models": rows})


@bp.get("/<path:model>/schema")
def schema(model):
    spec = _listed(model)
    if spec is None:
        return envelope(404, "model not found")
    return envelope(200, "success", {"model": model, "openapi": openapi(model, spec)})


@bp.get("/<path:model>/price")
def price(model):
    spec = _listed(model)
    if spec is None:
        return envelope(404, "model not found")
    return envelope(200, "success", {"model": model, "pricingDesc": pricing_desc(model, spec)})


@bp.get("/<path:model>/success-rate")
def success_rate(model):
    if _listed(model) is None:
        return envelope(404, "model not found")
    return envelope(200, "success", {"model": model, "buckets": sim().success_rate(model)})


@feed.post("/model-pricing/page")
def pricing_page():
    body = request.get_json(silent=True) or {}
    try:
        page, size = int(body.get("pageNum", 1)), int(body.get("pageSize", 20))
    except (TypeError, ValueError):
        return envelope(422, "pageNum and pageSize must be integers")
    if page < 1 or not 1 <= size <= MAX_PAGE:
        return envelope(422, f"pageNum >= 1 and pageSize 1..{MAX_PAGE}")
    text = str(body.get("modelDescription") or "").lower()
    kind = str(body.get("interfaceType") or "")
    rows = [row for model, spec in sorted(sim().listed_models().items()) for row in price_rows(model, spec)]
    rows = [r for r in rows if text in r["modelDescription"].lower() and (not kind or r["interfaceType"] == kind)]
    return envelope(200, "success", {"total": len(rows), "pageNum": page, "pageSize": size,
                                     "list": rows[(page - 1) * size:page * size]})


def _listed(model):
    return sim().listed_models().get(model)


# --- how a model is described -----------------------------------------------------------------

def title(model):
    """'kling-3.0/video' -> 'Kling 3.0 Video'."""
    if model in TITLES:
        return TITLES[model]
    words = re.split(r"[/_\s]+|-(?=[a-z])", model)
    return " ".join(w[:1].upper() + w[1:] for w in words if w).replace("-", " ")


def provider_of(model):
    head = model.split("/")[0]
    for prefix, name in PROVIDERS.items():
        if head.startswith(prefix):
            return name
    return re.split(r"[-.\d]", head)[0] or head


def task_types(spec):
    output = spec.get("output", "image")
    sources = {"image" if ("image" in name or "input_urls" in name) else "audio" if "audio" in name else "video"
               for name, field in spec["input"].items()
               if field.get("file_types") or name.endswith(("_url", "_urls", "image_input")) or name == "image"}
    required = {name for name, field in spec["input"].items() if field.get("required")}
    optional_media = not any(name in required for name in spec["input"]
                             if name.endswith(("_url", "_urls", "image_input")) or name == "image")
    kinds = [f"{source}-to-{output}" for source in sorted(sources)]
    if optional_media or not kinds:
        kinds.insert(0, f"text-to-{output}")
    return kinds


def listing(model, spec):
    return {"model": model, "slug": (spec.get("source") or "").rstrip("/").rsplit("/", 1)[-1].split(" ")[0],
            "title": title(model), "provider": provider_of(model), "taskType": task_types(spec),
            "description": spec.get("note") or f"{title(model)}: {spec.get('output', 'image')} generation",
            "pricingDesc": pricing_desc(model, spec)}


def _prices(spec):
    table = spec.get("price_credits") or {}
    return table.get("unit", "per task"), {k: v for k, v in table.items() if is_price(v) and k != "usd"}


def pricing_desc(model, spec):
    unit, prices = _prices(spec)
    parts = [f"{key} {plain(value)} credits (${plain(Decimal(str(value)) * CREDIT_USD)})"
             for key, value in prices.items()]
    return f"{title(model)}, {unit}: " + "; ".join(parts)


def price_rows(model, spec):
    unit, prices = _prices(spec)
    return [{"modelDescription": f"{title(model)}, {spec.get('output', 'image')}"
                                 + ("" if key == "credits" else f", {key}"),
             "creditPrice": value, "creditUnit": unit, "usdPrice": float(Decimal(str(value)) * CREDIT_USD),
             "interfaceType": spec.get("output", "image"), "provider": provider_of(model)}
            for key, value in prices.items()]


# --- the schema -------------------------------------------------------------------------------

def openapi(model, spec):
    fields = spec["input"]
    return {
        "openapi": "3.1.0",
        "info": {"title": title(model), "version": "1.0.0", "description": spec.get("note", "")},
        "paths": {"/api/v1/jobs/createTask": {"post": {
            "summary": f"Generate with {model}",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CreateTaskRequest"}}}},
            "responses": {"200": {"description": "{code, msg, data: {taskId}}"}}}}},
        "components": {"schemas": {
            "CreateTaskRequest": {
                "type": "object", "required": ["model", "input"],
                "properties": {"model": {"type": "string", "enum": [model]},
                               "callBackUrl": {"type": "string", "format": "uri"},
                               "input": {"$ref": "#/components/schemas/Input"}}},
            "Input": {"type": "object", "required": [n for n, f in fields.items() if f.get("required")],
                      "properties": {name: json_schema(field) for name, field in fields.items()}},
        }},
    }


def json_schema(field):
    kind = field.get("type", "string")
    out = {"description": field.get("notes", "")}
    if kind == "array<string>":
        out.update(type="array", items={"type": "string", "format": "uri"})
        _bounds(out, field, "minItems", "maxItems")
    elif kind == "array<object>":
        out.update(type="array", items={"type": "object"})
        _bounds(out, field, "minItems", "maxItems")
    elif kind == "number|string":
        out["type"] = ["number", "string"]
        _bounds(out, field, "minimum", "maximum")
    elif kind == "string":
        out["type"] = "string"
        if "enum" not in field:
            _bounds(out, field, "minLength", "maxLength")
    else:
        out["type"] = kind
        _bounds(out, field, "minimum", "maximum")
    for key in ("enum", "default"):
        if key in field:
            out[key] = field[key]
    return out


def _bounds(out, field, low, high):
    if "min" in field:
        out[low] = field["min"]
    if "max" in field:
        out[high] = field["max"]
