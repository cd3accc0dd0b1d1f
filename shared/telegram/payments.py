"""Top-ups with Telegram Stars: the packs and a custom amount, the invoice, the pre-checkout, the payment and its
refund by Telegram. Money updates are credited outside PTB's dispatch (shared/telegram/webhook.py): an
error here reaches the webhook, which answers non-2xx so that Telegram delivers the update again."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import BadRequest

from shared.app import drafts, payments
from shared.domain.money import Status, parse_rub_amount
from shared.domain.users import User, lang_of
from shared.logs import mask_user
from shared.lazy import resolve
from shared.telegram import reply, routes
from shared.ui import account, talk
from shared.ui.texts import t

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("payments")


async def topup(c: "Container", update: Update, user: User, amount: str | None = None) -> None:
    """The packs; a pack's invoice; or the prompt for an amount of one's own."""
    s, lang = c.settings, user.language
    if amount is None or amount == "custom":  # "…or type your own": a number typed now is an amount
        if user.awaiting != "topup_amount":
            await c.store.users.set_fields(user.user_id, awaiting="topup_amount")
    if amount is None:
        await reply.show(update, account.topup_screen(lang, user.balance_kopecks, s.topup_packs_rub,
                                                      s.stars_per_100_rub, s.topup_min_rub, s.topup_max_rub))
    elif amount == "custom":
        await reply.send(update, account.custom_amount_prompt(lang, s.topup_min_rub, s.topup_max_rub))
    else:
        await _invoice(c, update, user, int(amount))


async def custom_amount(c: "Container", update: Update, user: User) -> None:
    """A number typed on the top-up screen or after "Other amount". A rejected amount keeps the bot waiting for
    one; words with no digit are not an amount: the bot stops waiting and they are read as any text is."""
    typed = update.effective_message.text or ""
    rub = parse_rub_amount(typed)
    if rub is None and not any(ch.isdigit() for ch in typed):
        await c.store.users.set_fields(user.user_id, awaiting=None)
        await resolve(routes.TEXT.target)(c, update, replace(user, awaiting=None))
        return
    if rub is None:
        await reply.send(update, account.bad_amount(user.language, c.settings.topup_min_rub, c.settings.topup_max_rub))
        return
    if await _invoice(c, update, user, rub):
        await c.store.users.set_fields(user.user_id, awaiting=None)


async def _invoice(c: "Container", update: Update, user: User, rub: int) -> bool:
    """The invoice of `rub`; False (and why) when the amount is out of range."""
    invoice = await payments.new_invoice(c, user.user_id, rub)
    if invoice is None:
        await reply.send(update, account.bad_amount(user.language, c.settings.topup_min_rub, c.settings.topup_max_rub))
        return False
    title, description, label = account.invoice(user.language, rub)
    await reply.invoice(update, title, description, invoice.payload, label, invoice.stars)
    return True


async def precheckout(c: "Container", update: Update) -> None:
    """Telegram waits at most 10 s for this answer (two reads, no writes)."""
    query = update.pre_checkout_query
    problem = await payments.precheckout(c, query.from_user.id, query.invoice_payload, query.currency,
                                         query.total_amount)
    try:
        if problem:
            log.warning("pre-checkout refused: %s", problem, extra={"user": mask_user(query.from_user.id)})
            await query.answer(ok=False, error_message=t(lang_of(query.from_user.language_code), problem))
        else:
            await query.answer(ok=True)
    except BadRequest as err:  # answered too late, or a redelivered query: Telegram has moved on
        log.warning("pre-checkout answer refused: %s", err)


async def paid(c: "Container", update: Update) -> None:
    """successful_payment: credited once (keyed by Telegram's charge id), whatever the user's status — banned
    users are refused at pre-checkout instead."""
    payment = update.effective_message.successful_payment
    user_id = update.effective_user.id
    step = await payments.credit(c, user_id, payment.telegram_payment_charge_id, payment.invoice_payload,
                                 payment.total_amount, "update")
    if step.status != Status.CREDITED:
        log.info("repeated successful_payment ignored", extra={"user": mask_user(user_id)})
        return
    await payments.tell(c, update.effective_chat.id,
                        account.topup_done(step.language, step.payment, step.balances[step.payment.user_id]))
    log.info("top-up credited", extra={"user": mask_user(user_id)})
    await _back_to_the_order(c, update.effective_chat.id, user_id, step.language)


async def _back_to_the_order(c: "Container", chat_id: int, user_id: int, lang: str) -> None:
    """A top-up made for an order that was short: the order offered back (its confirmation, priced again).
    Never worth failing a payment that is already booked."""
    try:
        waiting = await drafts.waiting_order(c, user_id)
        if waiting is not None:
            await payments.tell(c, chat_id, talk.run_order(lang, *waiting))
    except Exception:  # noqa: BLE001 — the credit stands whatever happens here
        log.exception("could not offer the order back after a top-up", extra={"user": mask_user(user_id)})


async def refunded(c: "Container", update: Update) -> None:
    """refunded_payment: Telegram gave the Stars back (a refund made outside the bot, or ours): the top-up and
    the inviter's share are debited once."""
    await payments.refund_seen(c, update.effective_message.refunded_payment.telegram_payment_charge_id, "telegram")
