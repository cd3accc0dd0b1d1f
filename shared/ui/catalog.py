"""The catalog as screens: the main menu, category pages, the free models, search results, a model's card."""
from __future__ import annotations

from shared.catalog import FieldSpec, ModelSpec
from shared.domain.pricing import format_rub
from shared.domain.quote import Offer
from shared.domain.screen import Button, Screen
from shared.domain.translit import spellings
from shared.ui import callbacks as cb
from shared.ui import health as health_ui
from shared.ui.fields import display_value
from shared.ui.format import esc, number
from shared.ui.texts import label, t

PAGE_SIZE = 8


def price_text(lang: str, offer: Offer) -> str:
    """Exact when it is exact; otherwise 'from' the lowest price, or the price per unit."""
    text = format_rub(offer.price, lang)
    if offer.unit:
        text = t(lang, f"per_{offer.unit.replace(' ', '_')}", price=text)
    return t(lang, "price_from", price=text) if offer.varies else text


def _menu_rows(lang: str) -> list[list[Button]]:
    return [
        [(t(lang, "btn_image"), cb.make(cb.CATALOG, "image", 0)), (t(lang, "btn_video"), cb.make(cb.CATALOG, "video", 0))],
        [(t(lang, "btn_audio"), cb.make(cb.CATALOG, "audio", 0)), (t(lang, "btn_tools"), cb.make(cb.CATALOG, "tools", 0))],
        [(t(lang, "btn_free"), cb.make(cb.CATALOG, "free", 0)), (t(lang, "btn_search"), cb.SEARCH)],
        [(t(lang, "btn_balance"), cb.BALANCE), (t(lang, "btn_help"), cb.HELP)],
        [(t(lang, "btn_language"), cb.LANGUAGE)],
    ]


def main_menu(lang: str, balance: int, model_count: int, free_count: int, limit: int, welcome: bool) -> Screen:
    if welcome:
        text = t(lang, "welcome", count=model_count, balance=format_rub(balance, lang), free_count=free_count, limit=limit)
    else:
        text = t(lang, "menu", balance=format_rub(balance, lang))
    return Screen(text, _menu_rows(lang))


def _model_button(lang: str, model: ModelSpec, offer: Offer, origin: str | None = None, page: int = 0,
                  mark: str = "") -> Button:
    """A model's button; `origin` (a category, "free", or "s" for search results) and `page`: the list its
    card's "Back" returns to; `mark`: its health."""
    if offer.free_left is not None:
        text = t(lang, "free_badge", name=model.name.get(lang), left=offer.free_left, limit=offer.limit)
    else:
        text = t(lang, "model_button", name=model.name.get(lang), price=price_text(lang, offer))
    return mark + text, cb.make(cb.MODEL_FROM, origin, page, model.id) if origin else cb.make(cb.MODEL, model.id)


def list_page(origin: str, page: int) -> str:
    """The callback of a list's page: a category's, or ("s") the last search's."""
    return cb.make(cb.SEARCH_PAGE, page) if origin == "s" else cb.make(cb.CATALOG, origin, page)


def _pager(category: str, page: int, pages: int, lang: str) -> list[Button]:
    row: list[Button] = []
    if page > 0:
        row.append((t(lang, "btn_prev"), list_page(category, page - 1)))
    row.append((t(lang, "page", page=page + 1, pages=pages), cb.NOOP))
    if page + 1 < pages:
        row.append((t(lang, "btn_next"), list_page(category, page + 1)))
    return row


def catalog_page(lang: str, category: str, models: list[ModelSpec], offers: dict[str, Offer], page: int,
                 health: dict[str, dict] | None = None) -> Screen:
    pages = max(1, -(-len(models) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = models[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [[_model_button(lang, m, offers[m.id], category, page, health_ui.mark((health or {}).get(m.id)))]
            for m in chunk]
    if pages > 1:
        rows.append(_pager(category, page, pages, lang))
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    text = t(lang, "catalog_header", title=t(lang, f"cat_{category}"), count=len(models),
             note=_price_note(lang, [offers[m.id] for m in chunk]))
    return Screen(text, rows)


def _price_note(lang: str, offers: list[Offer]) -> str:
    """What the prices on this page are for: a generation, and each unit some of them are priced by."""
    notes = [t(lang, "price_note")] if any(o.unit is None for o in offers) else []
    units = {o.unit.replace(" ", "_") for o in offers if o.unit}
    return " ".join(notes + [t(lang, f"price_note_{unit}") for unit in sorted(units, reverse=True)])


def free_page(lang: str, models: list[ModelSpec], offers: dict[str, Offer], limit: int,
              health: dict[str, dict] | None = None) -> Screen:
    lines = [t(lang, "free_line", name=esc(m.name.get(lang)), left=offers[m.id].free_left, limit=limit) for m in models]
    rows = [[_model_button(lang, m, offers[m.id], "free", 0, health_ui.mark((health or {}).get(m.id)))] for m in models]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "free_header", limit=limit) + "\n" + "\n".join(lines), rows)


def search_results(lang: str, query: str, models: list[ModelSpec], offers: dict[str, Offer],
                   page: int = 0, health: dict[str, dict] | None = None) -> Screen:
    """The models found, a page at a time (the query is the user's last search: shared/telegram/catalog.py)."""
    if not models:
        return Screen(t(lang, "search_none", query=esc(query)), _menu_rows(lang))
    pages = max(1, -(-len(models) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = models[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    rows = [[_model_button(lang, m, offers[m.id], "s", page, health_ui.mark((health or {}).get(m.id)))]
            for m in chunk]
    if pages > 1:
        rows.append(_pager("s", page, pages, lang))
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

    return [m for m in models if all(any(s in haystack(m) for s in spellings(w)) for w in words)]


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
        detail = t(lang, "detail_range", min=number(f.min, lang), max=number(f.max, lang))
    elif f.is_media and f.multiple:
        detail = t(lang, "detail_files", max=f.max_count)
    if not f.required:
        detail += t(lang, "detail_optional")
    return detail


def model_card(lang: str, model: ModelSpec, offer: Offer, health: dict | None = None,
               alternative: ModelSpec | None = None, back: str | None = None) -> Screen:
    inputs = "\n".join([t(lang, "input_line", label=label(lang, f.name), detail=esc(_field_detail(lang, f)))
                        for f in model.options]
                       + [t(lang, "fixed_line", label=label(lang, f.name), value=display_value(lang, f, f.value))
                          for f in model.fields if f.ui == "fixed"])
    if offer.is_free:
        price_line = t(lang, "card_free", left=offer.free_left, limit=offer.limit)
    elif offer.free_left == 0:
        price_line = t(lang, "card_free_spent", limit=offer.limit, price=price_text(lang, offer))
    else:
        price_line = _card_price(lang, offer)
    if offer.varies or offer.unit:
        price_line += "\n" + t(lang, "card_price_exact_later")
    text = t(lang, "card", name=esc(model.name.get(lang)), description=esc(model.description.get(lang)),
             inputs=inputs, output=t(lang, f"out_{model.output}"), price_line=price_line)
    status = health_ui.card_lines(lang, health, alternative)
    text += "\n\n" + status if status else ""
    back = back or cb.make(cb.CATALOG, "free" if offer.free_left is not None else model.category, 0)
    return Screen(text, [[(t(lang, "btn_start_model"), cb.make(cb.START, model.id))],
                         *health_ui.alternative_button(lang, alternative),
                         [(t(lang, "btn_back"), back), (t(lang, "btn_menu"), cb.HOME)]])


def _card_price(lang: str, offer: Offer) -> str:
    """A card's price: per unit as such; where options change it, what the defaults cost and "from" the
    cheapest (the list shows the cheapest; the card must not promise it for options the user did not pick)."""
    if offer.unit:
        return t(lang, "card_price_unit", price=price_text(lang, offer))
    if offer.varies and offer.default_price is not None and offer.default_price != offer.price:
        return t(lang, "card_price_defaults", price=format_rub(offer.default_price, lang),
                 lowest=format_rub(offer.price, lang))
    return t(lang, "card_price", price=price_text(lang, offer))


def unavailable(lang: str, model: ModelSpec | None) -> Screen:
    """A model the user cannot open: switched off (say so, and where to go), or unknown (a stale button)."""
    if model is None:
        return Screen(t(lang, "stale"))
    return Screen(t(lang, "model_off", name=esc(model.name.get(lang))),
                  [[(t(lang, f"btn_{model.category}"), cb.make(cb.CATALOG, model.category, 0)),
                    (t(lang, "btn_menu"), cb.HOME)]])


def help_screen(lang: str, free_count: int, limit: int) -> Screen:
    return Screen(t(lang, "help", free_count=free_count, limit=limit), [[(t(lang, "btn_menu"), cb.HOME)]])


def notice(lang: str, key: str) -> Screen:
    return Screen(t(lang, key), _menu_rows(lang))
