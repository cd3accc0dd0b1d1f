"""The screens of the conversation around orders: a parked draft offered back, the answers to typed input the
bot did not ask for, free text and files with no order, a request code looked up, and support."""
from __future__ import annotations

from shared.catalog import ModelSpec
from shared.domain.jobs import Job
from shared.domain.pricing import format_rub
from shared.domain.screen import Screen
from shared.ui import callbacks as cb
from shared.ui.format import esc
from shared.ui.texts import t


def parked(lang: str, job: Job, model: ModelSpec | None) -> Screen:
    name = esc(model.name.get(lang) if model else job.model_id)
    return Screen(t(lang, "parked", name=name), [[(t(lang, "btn_resume"), cb.make(cb.RESUME, job.id)),
                                                  (t(lang, "btn_drop"), cb.make(cb.CANCEL, job.id))]])


def run_order(lang: str, job: Job, model: ModelSpec, price: int) -> Screen:
    """After a top-up: the order that was short, one tap from its confirmation (priced again there)."""
    name = esc(model.name.get(lang))
    return Screen(t(lang, "order_waiting", name=name),
                  [[(t(lang, "btn_run_order", price=format_rub(price)), cb.make(cb.REVIEW, job.id))]])
