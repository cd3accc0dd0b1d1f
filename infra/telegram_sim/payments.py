"""Invoices and Telegram Stars: sendInvoice, createInvoiceLink, answerPreCheckoutQuery, refunds.

The user's side (paying an invoice: pre_checkout_query, then successful_payment) is the control
endpoint POST /sim/users/<id>/pay in control.py.
"""
import re
import secrets

from .errors import bad_request
from .methods import _post, method
from .validate import inline_buttons, reply_markup

STARS = "XTR"
MAX_TITLE, MAX_DESCRIPTION, MAX_PAYLOAD = 32, 255, 128
MAX_STARS = 100_000  # the most Telegram accepts for one Stars invoice
MAX_SUBSCRIPTION_STARS = 10_000
SUBSCRIPTION_PERIOD = 2_592_000  # 30 days: the only period Telegram allows
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_PROVIDER_TOKEN_RE = re.compile(r"\d+:(TEST|LIVE):\S+")
_URL_RE = re.compile(r"https?://\S+", re.I)


def _text(params, name, limit):
    value = params.get(name)
    value = "" if value is None else str(value)
    if not value.strip():
        raise bad_request(f"INVOICE_{name.upper()}_EMPTY")
    if len(value) > limit:
        raise bad_request(f"INVOICE_{name.upper()}_TOO_LONG")
    return value


def _prices(params, currency):
    prices = params.get("prices")
    if not isinstance(prices, list) or not all(isinstance(p, dict) for p in prices):
        raise bad_request("can't parse prices JSON object")
    if not prices:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    for price in prices:
        if not isinstance(price.get("label"), str):
            raise bad_request('can\'t parse prices JSON object: Field "label" must be of type String')
        amount = price.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise bad_request('can\'t parse prices JSON object: Field "amount" must be of type Integer')
    if currency == STARS:
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")  # Stars invoices have exactly one price
        total = prices[0]["amount"]
        if not 1 <= total <= MAX_STARS:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    else:
        total = sum(p["amount"] for p in prices)
        if total <= 0:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    return total


def invoice_from(params, link=False):
    """Telegram's checks on an invoice; returns (public Invoice fields, private details)."""
    title = _text(params, "title", MAX_TITLE)
    description = _text(params, "description", MAX_DESCRIPTION)
    payload = params.get("payload")
    payload = "" if payload is None else str(payload)
    if not 1 <= len(payload.encode("utf-8")) <= MAX_PAYLOAD:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    currency = str(params.get("currency") or "")
    if not _CURRENCY_RE.fullmatch(currency):
        raise bad_request("CURRENCY_INVALID")
    token = params.get("provider_token") or ""
    if currency == STARS and token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")  # Stars take no provider
    if currency != STARS and not _PROVIDER_TOKEN_RE.fullmatch(str(token)):
        raise bad_request("PAYMENT_PROVIDER_INVALID")  # anything but Stars needs a real provider
    total = _prices(params, currency)
    photo_url = params.get("photo_url")
    if photo_url and not _URL_RE.fullmatch(str(photo_url)):
        raise bad_request("WEBDOCUMENT_URL_INVALID")
    private = {"payload": payload, "provider_token": token, "currency": currency, "total_amount": total,
               "title": title, "description": description}
    period = params.get("subscription_period") if link else None
    if period is not None:
        if currency != STARS:
            raise bad_request("SUBSCRIPTION_CURRENCY_INVALID")
        if int(period) != SUBSCRIPTION_PERIOD:
            raise bad_request("SUBSCRIPTION_PERIOD_INVALID")
        if total > MAX_SUBSCRIPTION_STARS:
            raise bad_request("SUBSCRIPTION_AMOUNT_INVALID")
        private["subscription_period"] = SUBSCRIPTION_PERIOD
    public = {"title": title, "description": description,
              "start_parameter": str(params.get("start_parameter") or ""),
              "currency": currency, "total_amount": total}
    return public, private


@method("sendInvoice")
def send_invoice(state, params, files):
    chat = state.chat(params.get("chat_id"))
    public, private = invoice_from(params)
    markup, _ = reply_markup(params.get("reply_markup"))
    if markup is not None:
        buttons = inline_buttons({"reply_markup": markup})
        if not buttons or not buttons[0].get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY")  # the first button must be the Pay button
    state.check_flood(chat["id"])
    # The payload is not part of the Message: the record keeps it for the pay step.
    return _post(state, chat, {"invoice": public, "reply_markup": markup},
                 extra={"invoice_private": private, "paid_charge_id": None})


@method("createInvoiceLink")
def create_invoice_link(state, params, files):
    public, private = invoice_from(params, link=True)
    slug = f"sim{state.next_id('invoice')}_{secrets.token_urlsafe(9)}"
    with state.lock:
        state.invoice_links[slug] = {"slug": slug, "link": f"https://t.me/${slug}", **private}
    return f"https://t.me/${slug}"


@method("answerPreCheckoutQuery")
def answer_pre_checkout_query(state, params, files):
    if "ok" not in params:
        raise bad_request('parameter "ok" is required')
    ok = params["ok"]
    ok = ok.strip().lower() in ("true", "1") if isinstance(ok, str) else bool(ok)
    error_message = params.get("error_message") or None
    if not ok and not str(error_message or "").strip():
        raise bad_request("ERROR_TEXT_EMPTY")  # error_message is required when ok is false
    state.answer_pre_checkout_query(str(params.get("pre_checkout_query_id") or ""), ok, error_message)
    return True


@method("refundStarPayment")
def refund_star_payment(state, params, files):
    user_id = params.get("user_id")
    if isinstance(user_id, str):
        user_id = int(user_id) if user_id.strip().lstrip("-").isdigit() else None
    charge_id = str(params.get("telegram_payment_charge_id") or "")
    if not charge_id:
        raise bad_request("CHARGE_NOT_FOUND")
    state.refund_payment(user_id, charge_id)
    return True


def _transaction(payment, refund):
    partner = {"type": "user", "transaction_type": "invoice_payment", "user": payment["user"],
               "invoice_payload": payment["invoice_payload"]}
    side, date, seq = (("receiver", payment["refunded_at"], payment["refund_seq"]) if refund
                       else ("source", payment["date"], payment["seq"]))
    return seq, {"id": payment["telegram_payment_charge_id"], "amount": payment["total_amount"],
                 "date": date, side: partner}


@method("getStarTransactions")
def get_star_transactions(state, params, files):
    """Incoming Stars payments and outgoing refunds, oldest first."""
    offset = int(params.get("offset") or 0)
    limit = int(params.get("limit") or 100)
    if not 1 <= limit <= 100:
        raise bad_request("limit must be between 1 and 100")
    transactions = []
    for payment in state.payment_list():
        if payment["currency"] != STARS:
            continue
        transactions.append(_transaction(payment, refund=False))
        if payment["refunded"]:
            transactions.append(_transaction(payment, refund=True))
    transactions.sort(key=lambda pair: pair[0])  # chronological, as Telegram returns them
    return {"transactions": [t for _, t in transactions[offset:offset + limit]]}


@method("getMyStarBalance")
def get_my_star_balance(state, params, files):
    amount = sum(p["total_amount"] for p in state.payment_list()
                 if p["currency"] == STARS and not p["refunded"])
    return {"amount": amount}
