"""The screens of the conversation around orders: a parked draft offered back, the answers to typed input the
bot did not ask for, free text and files with no order, a request code looked up, and support."""
from __future__ import annotations

from shared.catalog import ModelSpec
from shared.domain.jobs import Job
from shared.domain.pricing import format_rub
from shared.domain.quote import Offer
from shared.domain.screen import Button, Screen
from shared.ui import callbacks as cb
from shared.ui.format import clip, esc
from shared.ui.catalog import price_text
from shared.ui.texts import t


def parked(lang: str, job: Job, model: ModelSpec | None) -> Screen:
    name = esc(model.name.get(lang) if model else job.model_id)
    return Screen(t(lang, "parked", name=name), [[(t(lang, "btn_resume"), cb.make(cb.RESUME, job.id)),
                                                  (t(lang, "btn_drop"), cb.make(cb.CANCEL, job.id))]])


def run_order(lang: str, job: Job, model: ModelSpec, price: int) -> Screen:
    """After a top-up: the order that was short, one tap from its confirmation (priced again there)."""
    name = esc(model.name.get(lang))
    return Screen(t(lang, "order_waiting", name=name),
                  [[(t(lang, "btn_run_order", price=format_rub(price, lang)), cb.make(cb.REVIEW, job.id))]])


def contact_line(lang: str, contact: str) -> str:
    return t(lang, "support_contact", contact=esc(contact)) if contact else ""


def support_button(lang: str, write: bool = True) -> list[Button]:
    return [(t(lang, "btn_support_write" if write else "btn_support"), cb.SUPPORT)]


def support_ask(lang: str, contact: str) -> Screen:
    return Screen(t(lang, "support_ask", contact=contact_line(lang, contact)))


def banned(lang: str, contact: str) -> Screen:
    """The ban notice: the one way left is support."""
    return Screen(t(lang, "banned_support", contact=contact_line(lang, contact)), [support_button(lang)])


def with_support(screen: Screen, lang: str, contact: str) -> Screen:
    """A screen (help, payment support) with the contact and the button to write to support."""
    return Screen(screen.text + ("\n" + contact_line(lang, contact) if contact else ""),
                  [*screen.buttons, support_button(lang)])


def support_answer(lang: str, text: str) -> Screen:
    return Screen(t(lang, "support_answer", text=esc(text)), [support_button(lang)])


def support_from(lang: str, user_id: int, name: str, codes: list[str], text: str) -> str:
    """What the support chat gets: who wrote, their latest request codes, what they wrote (escaped)."""
    return t(lang, "adm_support_from", user=esc(name), user_id=user_id,
             codes=", ".join(f"<code>{esc(c)}</code>" for c in codes) or t(lang, "adm_support_no_codes"),
             text=esc(text))


def request_status(lang: str, job: Job, model: ModelSpec | None) -> Screen:
    """A job the user asked about by its code: how it stands, and what they can do."""
    state = job.state.value if job.state.value in ("succeeded", "refunded", "failed") else "running"
    price = t(lang, "quote_free") if job.is_free else format_rub(job.price_kopecks or 0, lang)
    text = t(lang, "rq_status", rq=esc(job.request_id), name=esc(model.name.get(lang) if model else job.model_id),
             state=t(lang, f"rq_state_{state}"), price=price)
    rows: list[list[Button]] = []
    if state == "succeeded":
        rows.append([(t(lang, "btn_rq_again"), cb.make(cb.HISTORY_ITEM, job.id))])
    rows.append([(t(lang, "btn_rq_support"), cb.make(cb.SUPPORT, job.request_id))])
    return Screen(text, rows)


def request_unknown(lang: str, code: str) -> Screen:
    return Screen(t(lang, "rq_unknown", rq=esc(code)), [support_button(lang)])


def _price(lang: str, offer: Offer) -> str:
    """What a run costs this user now: free while their free uses last."""
    return t(lang, "quote_free") if offer.is_free else price_text(lang, offer)


def from_text(lang: str, text: str, models: list[ModelSpec], offers: dict[str, Offer]) -> Screen:
    """Free text with no order: made into a picture or a video by one of the models that take a text alone."""
    rows: list[list[Button]] = [[(t(lang, "text_model", name=m.name.get(lang), price=_price(lang, offers[m.id])),
                                  cb.make(cb.TEXT_MODEL, m.id))] for m in models]
    rows.append([(t(lang, "btn_search"), cb.SEARCH), (t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "from_text", text=esc(clip(text, 200))), rows)


def from_album(lang: str, models: list[ModelSpec], offers: dict[str, Offer]) -> Screen:
    """An album with no order: the models that take several files (their cards; the album is sent there)."""
    rows = [[(t(lang, "file_model", name=m.name.get(lang), price=_price(lang, offers[m.id])), cb.make(cb.MODEL, m.id))]
            for m in models]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "from_album"), rows)


def from_file(lang: str, kind: str, models: list[ModelSpec], offers: dict[str, Offer]) -> Screen:
    """A file with no order: the models that can use it, each with what it does."""
    rows = [[(t(lang, "file_model", name=m.name.get(lang), price=_price(lang, offers[m.id])),
              cb.make(cb.FILE_MODEL, m.id))] for m in models]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, f"from_file_{kind}"), rows)
