"""The model catalog (models.json) and the USD pricing truth, both versioned in this folder."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, model_validator

if TYPE_CHECKING:
    from shared.domain.pricing import PricingTruth

HERE = Path(__file__).parent
CATALOG_PATH = HERE / "models.json"
PRICING_PATH = HERE / "pricing_source_truth.txt"

FieldType = Literal["text", "enum", "number", "boolean", "image", "audio", "video", "url", "task_ref", "hidden"]
MEDIA_TYPES = ("image", "audio", "video")
CATEGORIES = ("image", "video", "audio", "tools")


class Localized(BaseModel):
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ru


class FieldSpec(BaseModel):
    """One input field of a model, as KIE defines it, plus how the bot asks for it."""

    name: str
    type: FieldType
    required: bool = False
    ui: Literal["ask", "option", "fixed", "hidden"]
    values: list[str] = []
    default: Any = None
    value: Any = None  # the fixed value when ui == "fixed"
    min: float | None = None
    max: float | None = None
    integer: bool = False
    send_as: Literal["string", "integer"] | None = None
    kie_name: str | None = None  # the provider's name for it, where ours must differ (two meanings of "style")
    min_length: int | None = None
    max_length: int | None = None
    multiple: bool = False
    min_count: int | None = None
    max_count: int | None = None
    file_types: list[str] = []
    max_file_mb: float | None = None
    max_duration_s: float | None = None  # audio/video inputs priced per second are capped
    url_prefix: str | None = None
    source_models: list[str] = []
    reason: str | None = None
    labels: dict[str, Localized] = {}  # how enum values are shown, where the value itself says little (voice ids)

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if self.type == "enum":
            if not self.values:
                raise ValueError(f"{self.name}: enum without values")
            if self.default is not None and self.default not in self.values:
                raise ValueError(f"{self.name}: default {self.default!r} not in values")
        unknown = set(self.labels) - set(self.values)
        if unknown:
            raise ValueError(f"{self.name}: labels for values it does not have: {sorted(unknown)}")
        if self.type == "number" and self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"{self.name}: min > max")
        if self.ui == "fixed" and self.value is None:
            raise ValueError(f"{self.name}: fixed field without value")
        if self.ui == "hidden" and self.required:
            raise ValueError(f"{self.name}: a required field cannot be hidden")
        if self.ui in ("fixed", "hidden") and not self.reason:
            raise ValueError(f"{self.name}: a {self.ui} field needs its reason")
        if self.multiple and (self.max_count is None or self.max_count < 1):
            raise ValueError(f"{self.name}: multiple without max_count")
        return self

    @property
    def is_media(self) -> bool:
        return self.type in MEDIA_TYPES

    @property
    def kie_field(self) -> str:
        return self.kie_name or self.name

    def value_label(self, value: Any, lang: str) -> str | None:
        label = self.labels.get(str(value))
        return label.get(lang) if label else None


class FileCount(BaseModel):
    """How many files `field` takes while the options in `when` are chosen (Veo: none for text, 1-2 frames,
    1-3 references)."""

    field: str
    when: dict[str, str]
    min: int = Field(ge=0)
    max: int = Field(ge=0)


class ModelSpec(BaseModel):
    id: str = Field(min_length=1, max_length=60)
    kie_model: str | None = None  # createTask `model`, where several of our models are one provider model
    enabled: bool = True
    retired: str | None = None  # why a model is hidden from users (the provider no longer lists it, ...)
    category: Literal["image", "video", "audio", "tools"]
    output: Literal["image", "video", "audio"]
    name: Localized
    description: Localized
    fields: list[FieldSpec]
    one_of_required: list[str] = []
    forbidden: list[dict[str, str]] = []  # option combinations the provider refuses
    file_counts: list[FileCount] = []
    deliver_as_file: bool = False  # its point is its pixels: the original file as a document, after a preview

    @model_validator(mode="after")
    def _unique_fields(self) -> "ModelSpec":
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.id}: duplicate field names")
        sent = [f.kie_field for f in self.fields]
        if len(sent) != len(set(sent)):
            raise ValueError(f"{self.id}: two fields are sent under one name")
        for name in self.one_of_required:
            if name not in names:
                raise ValueError(f"{self.id}: one_of_required names unknown field {name}")
        for rule in self.file_counts:
            if rule.field not in names or not set(rule.when) <= set(names):
                raise ValueError(f"{self.id}: file_counts names an unknown field")
        if self.enabled == bool(self.retired):
            raise ValueError(f"{self.id}: a model is hidden (enabled false) exactly when it has a reason (retired)")
        return self

    @property
    def provider_model(self) -> str:
        return self.kie_model or self.id

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def is_forbidden(self, options: dict[str, str]) -> bool:
        return any(all(options.get(k) == v for k, v in combo.items()) for combo in self.forbidden)

    @property
    def asked(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.ui == "ask"]

    @property
    def options(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.ui in ("ask", "option")]


class Catalog(BaseModel):
    version: str
    source: str = ""
    # How the catalog lists its models (by family and usefulness; a model's text and photo variants side
    # by side); a model missing here comes after those listed, in file order.
    order: list[str] = []
    models: list[ModelSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> "Catalog":
        ids = [m.id for m in self.models]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate model ids")
        return self

    def get(self, model_id: str) -> ModelSpec | None:
        return self._by_id.get(model_id)

    @property
    def _by_id(self) -> dict[str, ModelSpec]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {m.id: m for m in self.models}
            self.__dict__["_index"] = cached
        return cached

    def enabled(self) -> list[ModelSpec]:
        rank = {model_id: i for i, model_id in enumerate(self.order)}
        return sorted((m for m in self.models if m.enabled), key=lambda m: rank.get(m.id, len(rank)))


def parse_catalog(data: dict) -> Catalog:
    return Catalog.model_validate(data)


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    return parse_catalog(json.loads(Path(path).read_text(encoding="utf-8")))


def load_pricing_truth(path: Path = PRICING_PATH) -> "PricingTruth":
    from shared.domain.pricing import parse_pricing_truth

    return parse_pricing_truth(Path(path).read_text(encoding="utf-8"))
