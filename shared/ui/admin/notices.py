"""What the system tells admins, in each admin's language: jobs to review, our provider account refused, the
provider's credits running low, a smoke test's report, a broadcast's progress and report, a Stars refund
made outside the bot, and the replies to /refund."""
from __future__ import annotations

from typing import Any

from shared.domain.broadcast import handled_of
from shared.domain.jobs import Job
from shared.domain.money import Payment, Status
from shared.domain.pricing import format_decimal, format_rub
from shared.domain.screen import Screen
from shared.ui.format import clip, esc, esc_clip, number
from shared.ui.texts import t

REVIEW_LINES = 20  # jobs listed in one review message; the rest are counted


def review(lang: str, jobs: list[Job]) -> Screen:
    """One message listing jobs flagged for review (`review` on the job says why, in the console too)."""
    lines = [t(lang, "adm_review_line", rq=esc(j.request_id or j.id), user=j.user_id, model=esc(j.model_id),
               why=t(lang, f"adm_review_{j.review}")) for j in jobs[:REVIEW_LINES]]
    text = t(lang, "adm_review", count=len(jobs), lines="\n".join(lines))
    if len(jobs) > REVIEW_LINES:
        text += "\n" + t(lang, "adm_review_more", count=len(jobs) - REVIEW_LINES)
    return Screen(text)


def access_refused(lang: str, code: int, message: str) -> Screen:
    return Screen(t(lang, "adm_alert_access", code=code, message=esc(clip(message, 200))))


def credits_low(lang: str, credits: float, limit: float) -> Screen:
    return Screen(t(lang, "kie_low", credits=number(credits, lang), limit=number(limit, lang)))


def smoke_started(lang: str, count: int) -> Screen:
    return Screen(t(lang, "adm_smoke_started", count=count))


def smoke_report(lang: str, results: list[dict[str, Any]]) -> Screen:
    """One line per model: ✅ or ❌, seconds, its RQ code and error."""
    lines = "\n".join(t(lang, "adm_smoke_line", icon="✅" if r["ok"] else "❌", model=r["model_id"],
                        seconds=t(lang, "adm_seconds", seconds=format_decimal(r["seconds"], lang)) if r["seconds"] is not None else "—",
                        rq=r["rq"], error=f" · {r['error']}" if r.get("error") else "")
                      for r in results)
    return Screen(t(lang, "adm_smoke_report", lines=lines))


def broadcast_counts(lang: str, doc: dict[str, Any]) -> str:
    """E.g. "340 из 1200 · ошибок 3 · заблокировали 12"; the error parts only when there are any."""
    handled = handled_of(doc)
    text = t(lang, "broadcast_count", done=handled, total=max(doc["total"], handled))
    if doc["failed"]:
        text += t(lang, "broadcast_failed_part", failed=doc["failed"])
    if doc["blocked"]:
        text += t(lang, "broadcast_blocked_part", blocked=doc["blocked"])
    return text


def broadcast_progress(lang: str, doc: dict[str, Any]) -> Screen:
    """The admin's progress message for a broadcast document's status and counters."""
    key = {"done": "broadcast_done", "cancelled": "broadcast_cancelled"}.get(doc["status"], "broadcast_progress")
    return Screen(t(lang, key, counts=broadcast_counts(lang, doc)))


def broadcast_report(lang: str, doc: dict[str, Any], seconds: float) -> Screen:
    minutes, secs = divmod(int(seconds), 60)
    return Screen(t(lang, "broadcast_report", sent=doc["sent"], failed=doc["failed"], blocked=doc["blocked"],
                    skipped=doc["skipped"], total=handled_of(doc), took=f"{minutes}:{secs:02d}"))


def refunded_outside(lang: str, payment: Payment, balances: dict[int, int]) -> Screen:
    inviter = (t(lang, "refund_outside_inviter", inviter=payment.inviter_id, share=format_rub(payment.referral_kopecks, lang),
                 balance=format_rub(balances[payment.inviter_id], lang))
               if payment.inviter_id and payment.referral_kopecks else "")
    return Screen(t(lang, "refund_outside", charge=esc(payment.charge_id), user=payment.user_id,
                    amount=format_rub(payment.amount_kopecks, lang), balance=format_rub(balances[payment.user_id], lang),
                    inviter=inviter))


def refund_usage(lang: str) -> Screen:
    return Screen(t(lang, "refund_usage"))


def refund_reply(lang: str, status: Status, charge: str, payment: Payment | None, balances: dict[int, int],
                 note: str) -> Screen:
    """What an admin's /refund did: done, reverted (Telegram refused), pending, or why it was refused."""
    values: dict[str, Any] = {"charge": esc(charge), "error": esc(note)}
    if payment is not None:
        values.update(user=payment.user_id, amount=format_rub(payment.amount_kopecks, lang),
                      balance=format_rub(balances.get(payment.user_id, 0), lang), inviter=payment.inviter_id,
                      share=format_rub(payment.referral_kopecks, lang),
                      inviter_balance=format_rub(balances.get(payment.inviter_id or 0, 0), lang))
    key = {Status.DONE: "refund_done", Status.REVERTED: "refund_failed"}.get(status, f"refund_{status}")
    return Screen(t(lang, key, **values))


def broadcast_bad_html(lang: str, error: object) -> Screen:
    return Screen(t(lang, "adm_broadcast_bad_html", error=esc_clip(error, 300)))
