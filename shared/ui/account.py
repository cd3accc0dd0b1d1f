"""Account screens: balance, top-up and its invoice, payments, ledger, generation history, referrals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from shared.domain.money import Payment, stars_for
from shared.domain.pricing import format_rub
from shared.domain.screen import URL_PREFIX, Button, Screen
from shared.ui import callbacks as cb
from shared.ui.format import esc, number, when
from shared.ui.texts import t

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def cursor_of(value: datetime) -> int:
    """A page cursor: the row's time in whole microseconds (exact, unlike float seconds)."""
    return (value - EPOCH) // timedelta(microseconds=1)


def time_of(cursor: str) -> datetime | None:
    return EPOCH + timedelta(microseconds=int(cursor)) if cursor and cursor != "0" else None


def _signed(kopecks: int, lang: str) -> str:
    return ("+" if kopecks > 0 else "") + format_rub(kopecks, lang)


def account_rows(lang: str) -> list[list[Button]]:
    return [[(t(lang, "btn_topup"), cb.TOPUP), (t(lang, "btn_ledger"), cb.make(cb.LEDGER, "n", 0))],
            [(t(lang, "btn_history"), cb.make(cb.HISTORY, "n", 0)), (t(lang, "btn_referral"), cb.REFERRAL)],
            [(t(lang, "btn_menu"), cb.HOME)]]


def ledger_line(lang: str, entry: dict[str, Any], names: dict[str, str]) -> str:
    model = esc(names.get(entry.get("model_id") or "", entry.get("model_id") or ""))
    date, amount = when(entry["created_at"]), _signed(entry["amount_kopecks"], lang)
    if entry["kind"] == "charge":
        return t(lang, "ledger_charge", date=date, model=model, rq=entry.get("request_id") or "", amount=amount)
    if entry["kind"] == "refund":
        reason = t(lang, f"reason_{entry.get('note')}").split(".")[0] if entry.get("note") else ""
        return t(lang, "ledger_refund", date=date, model=model, reason=esc(reason),
                 rq=entry.get("request_id") or "", amount=amount)
    return t(lang, "ledger_other", date=date, kind=t(lang, f"kind_{entry['kind']}"), amount=amount)


def balance_screen(lang: str, balance: int, recent: list[dict[str, Any]], names: dict[str, str]) -> Screen:
    if recent:
        history = t(lang, "balance_history", lines="\n".join(ledger_line(lang, e, names) for e in recent))
    else:
        history = t(lang, "balance_empty")
    return Screen(t(lang, "balance", balance=format_rub(balance, lang), history=history), account_rows(lang))


def topup_screen(lang: str, balance: int, packs: list[int], stars_rate: Any, low: int, high: int) -> Screen:
    buttons = [(t(lang, "topup_pack", rub=rub, stars=stars_for(rub, stars_rate)), cb.make(cb.TOPUP, rub))
               for rub in packs]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(t(lang, "btn_custom_amount"), cb.make(cb.TOPUP, "custom"))])
    rows.append([(t(lang, "btn_back"), cb.BALANCE), (t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "topup", balance=format_rub(balance, lang), min=low, max=high), rows)


def _pager(verb: str, rows: list[dict[str, Any]], has_newer: bool, has_older: bool, lang: str) -> list[Button]:
    nav: list[Button] = []
    if has_newer and rows:
        nav.append((t(lang, "btn_prev"), cb.make(verb, "p", cursor_of(rows[0]["created_at"]))))
    if has_older and rows:
        nav.append((t(lang, "btn_next"), cb.make(verb, "n", cursor_of(rows[-1]["created_at"]))))
    return nav


def ledger_screen(lang: str, rows: list[dict[str, Any]], total: int, names: dict[str, str],
                  has_newer: bool, has_older: bool) -> Screen:
    if not rows:
        return Screen(t(lang, "ledger_empty"), account_rows(lang))
    lines = "\n".join(ledger_line(lang, e, names) for e in rows)
    buttons = [b for b in [_pager(cb.LEDGER, rows, has_newer, has_older, lang)] if b]
    buttons.append([(t(lang, "btn_back"), cb.BALANCE), (t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "ledger_header", count=total, lines=lines), buttons)


def history_screen(lang: str, jobs: list[dict[str, Any]], total: int, names: dict[str, str],
                   has_newer: bool, has_older: bool) -> Screen:
    if not jobs:
        return Screen(t(lang, "history_empty"), [[(t(lang, "btn_menu"), cb.HOME)]])
    lines, numbers = [], []
    for n, job in enumerate(jobs, start=1):
        prompt = str((job.get("inputs") or {}).get("prompt") or (job.get("inputs") or {}).get("text") or "")
        excerpt = f"«{esc(prompt[:40])}{'…' if len(prompt) > 40 else ''}»" if prompt else "—"
        state = job.get("state")
        icon = t(lang, f"state_{state}") if state in ("succeeded", "refunded", "failed") else t(lang, "state_running")
        price = "" if state != "succeeded" else " · " + (t(lang, "history_free") if job.get("is_free")
                                                            else format_rub(job.get("price_kopecks", 0), lang))
        lines.append(t(lang, "history_line", n=n, icon=icon, date=when(job["created_at"]),
                       model=esc(names.get(job["model_id"], job["model_id"])), prompt=excerpt, price=price))
        numbers.append((str(n), cb.make(cb.HISTORY_ITEM, job["id"])))
    rows = [numbers[i:i + 5] for i in range(0, len(numbers), 5)]
    nav = _pager(cb.HISTORY, jobs, has_newer, has_older, lang)
    if nav:
        rows.append(nav)
    rows.append([(t(lang, "btn_menu"), cb.HOME)])
    return Screen(t(lang, "history_header", count=total, lines="\n".join(lines)), rows)


def referral_screen(lang: str, link: str, welcome: int, percent: Any, count: int, income: int) -> Screen:
    text = t(lang, "referral", welcome=format_rub(welcome, lang), percent=number(percent, lang), link=esc(link), count=count,
             income=format_rub(income, lang))
    share = "https://t.me/share/url?url=" + quote(link, safe="") + "&text=" + quote(
        t(lang, "referral_share_text", welcome=format_rub(welcome, lang)), safe="")
    return Screen(text, [[(t(lang, "btn_share"), URL_PREFIX + share)], [(t(lang, "btn_menu"), cb.HOME)]])


def custom_amount_prompt(lang: str, low: int, high: int) -> Screen:
    return Screen(t(lang, "topup_custom_prompt", min=low, max=high))


def bad_amount(lang: str, low: int, high: int) -> Screen:
    return Screen(t(lang, "topup_bad_amount", min=low, max=high))


def invoice(lang: str, rub: int) -> tuple[str, str, str]:
    """A Stars invoice's title, description and price label."""
    return t(lang, "invoice_title"), t(lang, "invoice_description", rub=rub), t(lang, "invoice_label", rub=rub)


def topup_done(lang: str, payment: Payment, balance: int) -> Screen:
    return Screen(t(lang, "topup_done", amount=format_rub(payment.amount_kopecks, lang), balance=format_rub(balance, lang),
                    charge=esc(payment.charge_id)), account_rows(lang))


def payment_refunded(lang: str, payment: Payment, balance: int) -> Screen:
    """A Stars refund made outside the bot, told to the payer."""
    return Screen(t(lang, "payment_refunded", amount=format_rub(payment.amount_kopecks, lang), balance=format_rub(balance, lang),
                    charge=esc(payment.charge_id)))


# --- money the user did not move themselves: each change told with its amount and reason ---------------

def adjusted_by_admin(lang: str, kopecks: int, reason: str, balance: int) -> Screen:
    key = "money_admin_credit" if kopecks > 0 else "money_admin_debit"
    return Screen(t(lang, key, amount=format_rub(abs(kopecks), lang), reason=esc(reason) or t(lang, "money_no_reason"),
                    balance=format_rub(balance, lang)))


def stars_refunded(lang: str, payment: Payment, balance: int) -> Screen:
    """An admin's refund of a Stars payment, told to the payer once Telegram returned the Stars."""
    return Screen(t(lang, "money_stars_refunded", stars=payment.stars, amount=format_rub(payment.amount_kopecks, lang),
                    charge=esc(payment.charge_id), balance=format_rub(balance, lang)))


def referral_income(lang: str, kopecks: int, balance: int) -> Screen:
    return Screen(t(lang, "money_referral_income", amount=format_rub(kopecks, lang), balance=format_rub(balance, lang)))


def referral_reversed(lang: str, kopecks: int, balance: int) -> Screen:
    return Screen(t(lang, "money_referral_reversed", amount=format_rub(kopecks, lang), balance=format_rub(balance, lang)))
