"""What a user is told about a generation from its confirmation on: the started line, the result's caption and
buttons, the final status line, how a job that ended without a result ended, and the words the delivery
ladder may need (links for files Telegram would not take)."""
from __future__ import annotations

from shared.catalog import ModelSpec
from shared.domain.chains import Chain
from shared.domain.jobs import ErrorCode, Job, JobState
from shared.domain.pricing import SEPARATORS, format_rub
from shared.domain.screen import Button, Screen
from shared.ui import callbacks as cb
from shared.ui import health as health_ui
from shared.ui.format import esc, esc_clip
from shared.ui.texts import TEXTS, t


def model_name(lang: str, job: Job, model: ModelSpec | None) -> str:
    return esc(model.name.get(lang) if model else job.model_id)


def started(lang: str, model: ModelSpec, request_id: str, low_balance: int | None = None,
            typical_s: float | None = None) -> Screen:
    """The status message of a confirmed job; `low_balance`: what is left, when it is worth a top-up;
    `typical_s`: this model's typical time to a result, when known (else the generic one of its output)."""
    text = t(lang, "started", name=esc(model.name.get(lang)), eta=health_ui.eta(lang, model.output, typical_s),
             rq=request_id)
    if low_balance is not None:
        text += "\n\n" + t(lang, "low_balance", balance=format_rub(low_balance, lang))
    return Screen(text)


def not_started(lang: str, request_id: str) -> Screen:
    return Screen(t(lang, "not_started", rq=request_id))


PROMPT_IN_CAPTION = 200  # characters of the prompt a caption carries (Telegram allows 1024 in all)
PROMPTS = ("prompt", "text")  # the inputs that hold what the user asked for


def caption(lang: str, job: Job, model: ModelSpec | None) -> str:
    """Model, price and RQ code, then the prompt (shortened), so results running side by side can be told
    apart; well within the 1024 characters of a caption."""
    key = "result_caption_free" if job.is_free else "result_caption"
    text = t(lang, key, name=model_name(lang, job, model), price=format_rub(job.price_kopecks, lang), rq=job.request_id)
    prompt = next((job.inputs[k] for k in PROMPTS if isinstance(job.inputs.get(k), str) and job.inputs[k].strip()), None)
    if prompt:
        text += "\n" + t(lang, "result_caption_prompt", prompt=esc_clip(" ".join(prompt.split()), PROMPT_IN_CAPTION))
    return text


def actions(lang: str, job: Job, model: ModelSpec, chains: list[Chain]) -> list[list[Button]]:
    """The buttons under a result: run it again, with a new prompt, or feed it to another model."""
    rows: list[list[Button]] = [[(t(lang, "btn_repeat"), cb.make(cb.REPEAT, job.id))]]
    if any(f.name in ("prompt", "text") and f.type == "text" for f in model.fields):
        rows[0].append((t(lang, "btn_reprompt"), cb.make(cb.REPROMPT, job.id)))
    buttons = [(t(lang, f"chain_{c.key}"), cb.make(cb.CHAIN, job.id, c.key)) for c in chains]
    rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return rows


def failure_actions(lang: str, job: Job) -> list[list[Button]]:
    """Under a failure notice: the same order again (through its confirmation screen: nothing is charged
    before it) or changed in the wizard. One row; another button is one more tuple."""
    return [[(t(lang, "btn_retry"), cb.make(cb.REPEAT, job.id)), (t(lang, "btn_change"), cb.make(cb.REPROMPT, job.id))]]


def status_done(lang: str, job: Job, model: ModelSpec | None) -> Screen:
    return Screen(t(lang, "status_done", name=model_name(lang, job, model), rq=job.request_id))


def status_failed(lang: str, job: Job, model: ModelSpec | None) -> Screen:
    return Screen(t(lang, "status_failed", name=model_name(lang, job, model), rq=job.request_id))


def resend_missing(lang: str, buttons: list[list[Button]] | None = None) -> Screen:
    return Screen(t(lang, "history_resend_missing"), buttons or [])


def ended(lang: str, job: Job, model: ModelSpec | None, balance_kopecks: int, free_limit: int) -> str | None:
    """What the user is told about a job that ended without a result (refunded, or failed before a charge);
    None for any other state."""
    name = model_name(lang, job, model)
    code = job.error_code or ErrorCode.INTERNAL.value
    if job.state == JobState.REFUNDED:
        reason = t(lang, f"reason_{code}" if f"reason_{code}" in TEXTS["ru"] else "reason_INTERNAL")
        if job.charged_kopecks:
            return t(lang, "failed_refunded", name=name, reason=reason, amount=format_rub(job.charged_kopecks, lang),
                     rq=job.request_id)
        return t(lang, "failed_free_returned", name=name, reason=reason, rq=job.request_id)
    if job.state != JobState.FAILED:
        return None
    if code == ErrorCode.INSUFFICIENT_FUNDS:
        return t(lang, "insufficient_funds", price=format_rub(job.price_kopecks, lang), balance=format_rub(balance_kopecks, lang))
    if code == ErrorCode.FREE_LIMIT_REACHED:
        return t(lang, "free_limit_reached", limit=free_limit)
    if code == ErrorCode.MAINTENANCE:
        return t(lang, "not_started_maintenance", rq=job.request_id)
    if code == ErrorCode.MODEL_DISABLED:
        return t(lang, "not_started_disabled", name=name, rq=job.request_id)
    return t(lang, "not_started", rq=job.request_id)


def delivery_words(lang: str) -> dict[str, str]:
    """The delivery ladder's words (shared/clients/delivery.py `Words`): `link` keeps {url} and {size}."""
    return {"original": t(lang, "result_original"), "actions": t(lang, "result_actions"),
            "too_big": t(lang, "result_too_big"), "not_sent": t(lang, "result_not_sent"),
            "link": t(lang, "result_link"), "expiry": t(lang, "result_link_expiry"),
            "megabytes": t(lang, "unit_mb"), "decimal": SEPARATORS.get(lang, SEPARATORS["ru"])[0]}
