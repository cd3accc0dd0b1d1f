"""Screens as plain data (text + button rows): pure functions of what the user should see."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.chains import Chain
from shared.domain.jobs import Job
from shared.domain.pricing import format_rub
from shared.domain.quote import Quote
from shared.domain.validation import InputProblem, effective_value
from shared.ui import callbacks as cb
from shared.ui.texts import label, t

PAGE_SIZE = 8
CATEGORY_BUTTONS = (("image", "btn_image"), ("video", "btn_video"), ("audio", "btn_audio"), ("tools", "btn_tools"))

Button = tuple[str, str]  # (text, callback data)


@dataclass
class Screen:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)


@dataclass(frozen=True)
class Offer:
    """What one model costs this user right now."""

    price: int
    free_left: int | None  # None: not a free model
    limit: int
    varies: bool = False  # the price depends on options: `price` is the lowest
    unit: str | None = None  # "second" | "1000 characters" when priced per unit

    @property
    def is_free(self) -> bool:
        return self.free_left is not None and self.free_left > 0


def price_text(lang: str, offer: Offer) -> str:
    """Exact when it is exact; otherwise 'from' the lowest price, or the price per unit."""
    text = format_rub(offer.price)
    if offer.unit:
        text = t(lang, f"per_{offer.unit.replace(' ', '_')}", price=text)
    return t(lang, "price_from", price=text) if offer.varies else text


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _menu_rows(lang: str) -> list[list[Button]]:
    return [
        [(t(lang, "btn_image"), cb.make(cb.CATALOG, "image", 0)), (t(lang, "btn_video"), cb.make(cb.CATALOG, "video", 0))],
        [(t(lang, "btn_audio"), cb.make(cb.CATALOG, "audio", 0)), (t(lang, "btn_tools"), cb.make(cb.CATALOG, "tools", 0))],
        [(t(lang, "btn_free"), cb.make(cb.CATALOG, "free", 0)), (t(lang, "btn_search"), cb.SEARCH)],
        [(t(lang, "btn_balance"), cb.BALANCE), (t(lang, "btn_help"), cb.HELP)],
    ]


def main_menu(lang: str, balance: int, model_count: int, free_count: int, limit: int, welcome: bool) -> Screen:
    if welcome:
        text = t(lang, "welcome", count=model_count, balance=format_rub(balance), free_count=free_count, limit=limit)
    else:
        text = t(lang, "menu", balance=format_rub(balance))
    return Screen(text, _menu_rows(lang))


def _model_button(lang: str, model: ModelSpec, offer: Offer) -> Button:
    if offer.free_left is not None:
        text = t(lang, "free_badge", name=model.name.get(lang), left=offer.free_left, limit=offer.limit)
    else:
        text = t(lang, "model_button", name=model.name.get(lang), price=price_text(lang, offer))
    return text, cb.make(cb.MODEL, model.id)


def _pager(category: str, page: int, pages: int, lang: str) -> list[Button]:
    row: list[Button] = []
    if page > 0:
        row.append((t(lang, "btn_prev"), cb.make(cb.CATALOG, category, page - 1)))
    row.append((t(lang, "page", page=page + 1, pages=pages), cb.NOOP))
    if page + 1 < pages:
        row.append((t(lang, "btn_next"), cb.make(cb.CATALOG, category, page + 1)))
    return row


def catalog_page(lang: str, category: str, models: list[ModelSpec], offers: dict[str, Offer], page: int) -> Screen:
    pages = max(1, -(-len(models) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = models[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [[_model_button(lang, m, offers[m.id])] for m in chunk]
    if pages > 1:
        rows.append(_pager(category, page, pages, lang))
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    text = t(lang, "catalog_header", title=t(lang, f"cat_{category}"), count=len(models))
    return Screen(text, rows)


def free_page(lang: str, models: list[ModelSpec], offers: dict[str, Offer], limit: int) -> Screen:
    lines = [t(lang, "free_line", name=esc(m.name.get(lang)), left=offers[m.id].free_left, limit=limit) for m in models]
    rows = [[_model_button(lang, m, offers[m.id])] for m in models]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "free_header", limit=limit) + "\n" + "\n".join(lines), rows)


def search_results(lang: str, query: str, models: list[ModelSpec], offers: dict[str, Offer]) -> Screen:
    if not models:
        return Screen(t(lang, "search_none", query=esc(query)), _menu_rows(lang))
    rows = [[_model_button(lang, m, offers[m.id])] for m in models[:PAGE_SIZE]]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "search_results", query=esc(query), count=len(models)), rows)


def search_models(models: list[ModelSpec], query: str) -> list[ModelSpec]:
    words = query.lower().split()
    category_words = {"image": ("изображ", "картин", "фото", "image", "picture"),
                      "video": ("видео", "video"), "audio": ("аудио", "звук", "голос", "audio", "voice", "sound"),
                      "tools": ("инструмент", "tool")}

    def haystack(m: ModelSpec) -> str:
        cats = " ".join(category_words[m.category])
        return " ".join([m.id, m.name.ru, m.name.en, m.description.ru, m.description.en, cats]).lower()

    return [m for m in models if all(w in haystack(m) for w in words)]


def _field_detail(lang: str, f: FieldSpec) -> str:
    detail = ""
    if f.type == "text" and f.max_length:
        detail = t(lang, "detail_max_len", max=f.max_length)
    elif f.type == "enum":
        values = ", ".join(display_value(lang, f, v) for v in f.values[:8]) + ("…" if len(f.values) > 8 else "")
        detail = t(lang, "detail_values", values=values)
        if f.default is not None:
            detail += t(lang, "detail_default", default=display_value(lang, f, f.default))
    elif f.type == "number" and f.min is not None and f.max is not None:
        detail = t(lang, "detail_range", min=_num(f.min), max=_num(f.max))
    elif f.is_media and f.multiple:
        detail = t(lang, "detail_files", max=f.max_count)
    if not f.required:
        detail += t(lang, "detail_optional")
    return detail


def model_card(lang: str, model: ModelSpec, offer: Offer) -> Screen:
    inputs = "\n".join([t(lang, "input_line", label=label(lang, f.name), detail=esc(_field_detail(lang, f)))
                        for f in model.options]
                       + [t(lang, "fixed_line", label=label(lang, f.name), value=display_value(lang, f, f.value))
                          for f in model.fields if f.ui == "fixed"])
    if offer.is_free:
        price_line = t(lang, "card_free", left=offer.free_left, limit=offer.limit)
    elif offer.free_left == 0:
        price_line = t(lang, "card_free_spent", limit=offer.limit, price=price_text(lang, offer))
    else:
        price_line = t(lang, "card_price", price=price_text(lang, offer))
    if offer.varies or offer.unit:
        price_line += "\n" + t(lang, "card_price_exact_later")
    text = t(lang, "card", name=esc(model.name.get(lang)), description=esc(model.description.get(lang)),
             inputs=inputs, output=t(lang, f"out_{model.output}"), price_line=price_line)
    back = cb.make(cb.CATALOG, "free" if offer.free_left is not None else model.category, 0)
    return Screen(text, [[(t(lang, "btn_start_model"), cb.make(cb.START, model.id))],
                         [(t(lang, "btn_back"), back), (t(lang, "btn_menu"), cb.HOME)]])


def _num(x: float | int | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def number_presets(f: FieldSpec) -> list[int | float]:
    """A handful of values across the field's range, always including min, default and max."""
    lo, hi = f.min, f.max
    points: list[float] = [p for p in (lo, f.default, hi) if p is not None]
    if lo is not None and hi is not None:
        points += [lo + (hi - lo) * k / 4 for k in (1, 2, 3)]
    values = sorted({round(p) if f.integer else round(p, 2) for p in points})
    return [int(v) if f.integer or float(v).is_integer() else v for v in values][:6]


def choices(f: FieldSpec) -> list[Any]:
    """The values a field offers as buttons; a button's callback carries the index."""
    if f.type == "enum":
        return list(f.values)
    if f.type == "boolean":
        return [True, False]
    if f.type == "number":
        return number_presets(f)
    return []


def display_value(lang: str, f: FieldSpec, value: Any) -> str:
    if value is None:
        return t(lang, "value_default")
    if f.type == "boolean":
        return t(lang, "value_on" if value else "value_off")
    if f.is_media:
        count = len(value) if isinstance(value, list) else 1
        return f"📎 × {count}"
    if f.type == "number":
        return _num(value)
    text = f.value_label(value, lang) or str(value)
    return text if len(text) <= 60 else text[:57] + "…"


CHOICES_PER_PAGE = 12  # long lists (voices, audio formats) are paged


def _choice_rows(lang: str, job: Job, model: ModelSpec, f: FieldSpec, page: int = 0) -> list[list[Button]]:
    index = model.fields.index(f)
    current = effective_value(f, job.inputs)
    values = choices(f)
    pages = max(1, -(-len(values) // CHOICES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    buttons = []
    for i in range(page * CHOICES_PER_PAGE, min(len(values), (page + 1) * CHOICES_PER_PAGE)):
        value = values[i]
        text = display_value(lang, f, value) if f.type != "boolean" else t(lang, "btn_yes" if value else "btn_no")
        if value == current:
            text = "✅ " + text
        buttons.append((text, cb.make(cb.SET, job.id, index, i)))
    per_row = 1 if f.labels else 2 if f.type == "boolean" else 3  # a described value needs the whole row
    rows = [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]
    if pages > 1:
        nav: list[Button] = []
        if page > 0:
            nav.append((t(lang, "btn_prev"), cb.make(cb.PAGE, job.id, index, page - 1)))
        nav.append((t(lang, "page", page=page + 1, pages=pages), cb.NOOP))
        if page + 1 < pages:
            nav.append((t(lang, "btn_next"), cb.make(cb.PAGE, job.id, index, page + 1)))
        rows.append(nav)
    return rows


def wizard_step(lang: str, job: Job, model: ModelSpec, f: FieldSpec, step: int, total: int, page: int = 0) -> Screen:
    name = label(lang, f.name)
    if f.type == "text":
        limit = t(lang, "ask_text_limit", max=f.max_length) if f.max_length else ""
        text = t(lang, "ask_text", label=name, limit=limit)
    elif f.type == "enum":
        text = t(lang, "ask_enum", label=name)
    elif f.type == "boolean":
        text = t(lang, "ask_boolean", label=name)
    elif f.type == "number" and (f.min is None or f.max is None):
        text = t(lang, "ask_number_free", label=name)
    elif f.type == "number":
        text = t(lang, "ask_number", label=name, min=_num(f.min), max=_num(f.max))
    elif f.is_media:
        count = t(lang, "ask_media_count", max=f.max_count) if f.multiple else ""
        text = t(lang, "ask_media", label=name, what=t(lang, f"what_{f.type}"), count=count)
    elif f.type == "url":
        text = t(lang, "ask_url", label=name, prefix=esc(f.url_prefix or "https://"))
    else:
        text = t(lang, "ask_task_ref", label=name)
    header = f"<b>{esc(model.name.get(lang))}</b> · " + t(lang, "step", n=step, total=total)
    rows = _choice_rows(lang, job, model, f, page)
    index = model.fields.index(f)
    if f.is_media and f.multiple:
        rows.append([(t(lang, "btn_done"), cb.make(cb.DONE, job.id, index))])
    if not f.required:
        rows.append([(t(lang, "btn_skip"), cb.make(cb.SET, job.id, index, "d"))])
    rows.append([(t(lang, "btn_cancel"), cb.make(cb.CANCEL, job.id))])
    return Screen(header + text, rows)


def option_picker(lang: str, job: Job, model: ModelSpec, f: FieldSpec, page: int = 0) -> Screen:
    """Change one option from the confirmation screen."""
    screen = wizard_step(lang, job, model, f, 1, 1)
    body = screen.text.split("\n\n", 1)[-1]
    rows = _choice_rows(lang, job, model, f, page)
    if not f.required:
        rows.append([(t(lang, "btn_skip"), cb.make(cb.SET, job.id, model.fields.index(f), "d"))])
    rows.append([(t(lang, "btn_back"), cb.make(cb.REVIEW, job.id))])
    return Screen(f"<b>{esc(model.name.get(lang))}</b>\n\n" + body, rows)


def confirm_screen(lang: str, job: Job, model: ModelSpec, offer: Offer, balance: int) -> Screen:
    lines = []
    for f in model.options:
        value = effective_value(f, job.inputs)
        if value is None and not f.required and f.ui == "option":
            continue
        lines.append(t(lang, "confirm_line", label=label(lang, f.name), value=esc(display_value(lang, f, value))))
    if offer.is_free:
        price_block = t(lang, "confirm_free", left=offer.free_left, limit=offer.limit)
        run_text = t(lang, "btn_confirm_free")
    elif balance >= offer.price:
        price_block = t(lang, "confirm_price", price=format_rub(offer.price), after=format_rub(balance - offer.price))
        run_text = t(lang, "btn_confirm", price=format_rub(offer.price))
    else:
        price_block = t(lang, "confirm_short", price=format_rub(offer.price), balance=format_rub(balance),
                        missing=format_rub(offer.price - balance))
        run_text = ""
    text = t(lang, "confirm", name=esc(model.name.get(lang)), lines="\n".join(lines), price_block=price_block)
    rows: list[list[Button]] = []
    for f in model.options:
        if f.type in ("enum", "boolean", "number", "text"):
            value = display_value(lang, f, effective_value(f, job.inputs))
            rows.append([(t(lang, "option_button", label=label(lang, f.name), value=value),
                          cb.make(cb.EDIT, job.id, model.fields.index(f)))])
    if run_text:
        rows.append([(run_text, cb.make(cb.CONFIRM, job.id, quote_of(job, offer).digest))])
    else:
        rows.append([(t(lang, "btn_balance"), cb.BALANCE)])
    rows.append([(t(lang, "btn_cancel"), cb.make(cb.CANCEL, job.id))])
    return Screen(text, rows)


def quote_of(job: Job, offer: Offer) -> Quote:
    """What a run button shown for this draft and offer promises."""
    return Quote(offer.price, offer.is_free, job.revision)


def quote_changed(lang: str, screen: Screen, shown: Quote | None, now: Quote) -> Screen:
    """The current confirmation screen, headed by why the button pressed did not run."""
    def price(q: Quote) -> str:
        return t(lang, "quote_free") if q.is_free else format_rub(q.price_kopecks)

    if shown is not None and (shown.price_kopecks, shown.is_free) != (now.price_kopecks, now.is_free):
        head = t(lang, "quote_price_changed", was=price(shown), now=price(now))
    else:
        head = t(lang, "quote_order_changed")
    return Screen(head + "\n\n" + screen.text, screen.buttons)


def problem_text(lang: str, problem: InputProblem) -> str:
    key = f"problem_{problem.code}"
    params = {k: esc(v) for k, v in problem.params.items()}
    try:
        body = t(lang, key, label=label(lang, problem.field), **params)
    except KeyError:
        body = t(lang, "problem_default")
    return t(lang, "bad_value", problem=body)


def help_screen(lang: str, free_count: int, limit: int) -> Screen:
    return Screen(t(lang, "help", free_count=free_count, limit=limit), [[(t(lang, "btn_menu"), cb.HOME)]])


def result_actions(lang: str, job: Job, model: ModelSpec, chains: list[Chain]) -> list[list[Button]]:
    rows: list[list[Button]] = [[(t(lang, "btn_repeat"), cb.make(cb.REPEAT, job.id))]]
    if any(f.name in ("prompt", "text") and f.type == "text" for f in model.fields):
        rows[0].append((t(lang, "btn_reprompt"), cb.make(cb.REPROMPT, job.id)))
    buttons = [(t(lang, f"chain_{c.key}"), cb.make(cb.CHAIN, job.id, c.key)) for c in chains]
    rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return rows


def notice(lang: str, key: str) -> Screen:
    return Screen(t(lang, key), _menu_rows(lang))
