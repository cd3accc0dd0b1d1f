"""The wizard as screens: a step, an option's picker, the confirmation with its quote, a problem with a value."""
from __future__ import annotations

from typing import Any

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.jobs import Job
from shared.domain.pricing import format_rub
from shared.domain.quote import Offer, Quote
from shared.domain.screen import Button, Screen
from shared.domain.validation import InputProblem, choices, effective_value, file_range
from shared.ui import callbacks as cb
from shared.ui.fields import display_value
from shared.ui.format import esc, localized, number
from shared.ui.texts import label, t


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
        text = t(lang, "ask_number", label=name, min=number(f.min, lang), max=number(f.max, lang))
    elif f.is_media:
        least, most = file_range(model, f, job.inputs)  # the chosen mode's count (Veo frames: 1-2)
        count = t(lang, "ask_media_count", max=most) if f.multiple else ""
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
    if not f.required and not (f.is_media and file_range(model, f, job.inputs)[0] > 0):
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
        if f.is_media and file_range(model, f, job.inputs)[1] == 0:  # the chosen mode takes no files
            continue
        lines.append(t(lang, "confirm_line", label=label(lang, f.name), value=esc(display_value(lang, f, value))))
    if offer.is_free:
        price_block = t(lang, "confirm_free", left=offer.free_left, limit=offer.limit)
        run_text = t(lang, "btn_confirm_free")
    elif balance >= offer.price:
        price_block = t(lang, "confirm_price", price=format_rub(offer.price, lang), after=format_rub(balance - offer.price, lang))
        run_text = t(lang, "btn_confirm", price=format_rub(offer.price, lang))
    else:
        price_block = t(lang, "confirm_short", price=format_rub(offer.price, lang), balance=format_rub(balance, lang),
                        missing=format_rub(offer.price - balance, lang))
        run_text = ""
    text = t(lang, "confirm", name=esc(model.name.get(lang)), lines="\n".join(lines), price_block=price_block)
    rows: list[list[Button]] = []
    for f in model.options:
        if f.type in ("enum", "boolean", "number", "text"):
            value = display_value(lang, f, effective_value(f, job.inputs))
            rows.append([(t(lang, "option_button", label=label(lang, f.name), value=value),
                          cb.make(cb.EDIT, job.id, model.fields.index(f)))])
    if run_text:
        rows.append([(run_text, cb.make(cb.CONFIRM, job.id, offer.quote(job.revision).digest))])
    else:
        rows.append([(t(lang, "btn_balance"), cb.BALANCE)])
    rows.append([(t(lang, "btn_cancel"), cb.make(cb.CANCEL, job.id))])
    return Screen(text, rows)


def quote_changed(lang: str, screen: Screen, shown: Quote | None, now: Quote) -> Screen:
    """The current confirmation screen, headed by why the button pressed did not run."""
    def price(q: Quote) -> str:
        return t(lang, "quote_free") if q.is_free else format_rub(q.price_kopecks, lang)

    if shown is not None and (shown.price_kopecks, shown.is_free) != (now.price_kopecks, now.is_free):
        head = t(lang, "quote_price_changed", was=price(shown), now=price(now))
    else:
        head = t(lang, "quote_order_changed")
    return Screen(head + "\n\n" + screen.text, screen.buttons)


def problem(lang: str, problem: InputProblem) -> Screen:
    """Why a value does not fit, and to try again."""
    return Screen(problem_text(lang, problem))


def problem_text(lang: str, problem: InputProblem) -> str:
    key = f"problem_{problem.code}"
    params = {k: esc(localized(lang, v)) for k, v in problem.params.items()}
    try:
        body = t(lang, key, label=label(lang, problem.field), **params)
    except KeyError:
        body = t(lang, "problem_default")
    return t(lang, "bad_value", problem=body)


def media_received(lang: str, job: Job, index: int, count: int, max_count: int | None) -> Screen:
    """A file of a multi-file step arrived: send more, or "Done"."""
    return Screen(t(lang, "media_received", count=count, max=max_count),
                  [[(t(lang, "btn_done"), cb.make(cb.DONE, job.id, index))],
                   [(t(lang, "btn_cancel"), cb.make(cb.CANCEL, job.id))]])


def not_media_step(lang: str, field: FieldSpec) -> Screen:
    return Screen(t(lang, "not_media_step", what=t(lang, f"what_{field.type}")))


def too_many_files(lang: str, max_count: int | None) -> Screen:
    return Screen(t(lang, "bad_value", problem=t(lang, "problem_too_many_files", max=max_count)))


def upload_failed(lang: str) -> Screen:
    return Screen(t(lang, "bad_value", problem=t(lang, "problem_upload_failed")))


def expensive(lang: str, job: Job, model: ModelSpec, price: int, digest: str) -> Screen:
    """The second tap a generation above CONFIRM_ABOVE_RUB asks for."""
    return Screen(t(lang, "expensive", name=esc(model.name.get(lang)), price=format_rub(price, lang)),
                  [[(t(lang, "btn_yes_run", price=format_rub(price, lang)), cb.make(cb.RUN_EXPENSIVE, job.id, digest))],
                   [(t(lang, "btn_back"), cb.make(cb.REVIEW, job.id)), (t(lang, "btn_cancel"), cb.make(cb.CANCEL, job.id))]])


def insufficient_funds(lang: str, price: int, balance: int) -> Screen:
    return Screen(t(lang, "insufficient_funds", price=format_rub(price, lang), balance=format_rub(balance, lang)))
