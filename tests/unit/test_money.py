from decimal import Decimal

from shared.domain.money import (invoice_id_from, invoice_payload, parse_rub_amount, referral_code,
                                 referral_share, referrer_from_payload, stars_for)


def test_stars_round_up_to_whole_stars():
    assert stars_for(100, Decimal("70")) == 70
    assert stars_for(150, Decimal("75")) == 113  # 112.5 -> 113


def test_referral_share_rounds_down():
    assert referral_share(10000, Decimal("10")) == 1000
    assert referral_share(999, Decimal("10")) == 99


def test_amount_parsing():
    assert parse_rub_amount("500") == 500
    assert parse_rub_amount("1 000 ₽") == 1000
    assert parse_rub_amount("250 руб") == 250
    assert parse_rub_amount("abc") is None and parse_rub_amount("-5") is None and parse_rub_amount("") is None


def test_referral_code_round_trip_and_payload_rules():
    for uid in (1, 35, 36, 123456789, 7_999_999_999):
        code = referral_code(uid)
        payload = "ref_" + code
        assert len(payload) <= 64 and referrer_from_payload(payload) == uid
    assert referrer_from_payload("ref_") is None
    assert referrer_from_payload("ref_ABC!") is None
    assert referrer_from_payload("promo_1") is None
    assert referrer_from_payload(None) is None


def test_invoice_payload():
    assert invoice_id_from(invoice_payload("abc")) == "abc"
    assert invoice_id_from("other") is None


# --- money decisions -----------------------------------------------------------------------------------

from shared.domain.money import (Payment, adjustment, first_contact, refund_not_done, refund_request,  # noqa: E402
                                 refund_seen, topup, topup_amount)
from shared.domain.ratelimit import Buckets, take  # noqa: E402


def test_first_contact_bonuses_and_attribution():
    inviter, entries = first_contact(5, 7, True, 1000, 2000)
    assert inviter == 7 and [(e.key, e.amount_kopecks) for e in entries] == [("bonus_start_5", 1000),
                                                                              ("bonus_referral_5", 2000)]
    assert first_contact(5, 5, True, 0, 2000) == (None, ()), "nobody invites themselves"
    assert first_contact(5, 7, False, 0, 2000) == (None, ()), "only an existing user invites"


def test_adjustment_never_takes_a_balance_below_zero():
    assert adjustment(1, 100, -101, "k").status == "negative"
    assert adjustment(1, 100, -100, "k").entries[0].amount_kopecks == -100
    assert adjustment(1, -50, 20, "k").status == "applied", "a credit is always allowed"


def test_topup_amount_comes_from_our_invoice_only_when_it_matches():
    invoice = {"user_id": 1, "stars": 70, "amount_kopecks": 10000}
    assert topup_amount(invoice, 1, 70, Decimal("70")) == 10000
    assert topup_amount(invoice, 2, 70, Decimal("70")) == 10000 == topup_amount(None, 1, 70, Decimal("70"))
    assert topup_amount({**invoice, "amount_kopecks": 99999}, 1, 71, Decimal("70")) == 10142, "the Stars decide"


def test_topup_pays_the_inviter_a_share_and_a_refund_reverses_it():
    entries = topup("c1", 1, 100000, 700, 9, Decimal("10"))
    assert [(e.key, e.user_id, e.amount_kopecks) for e in entries] == [("topup_c1", 1, 100000), ("referral_c1", 9, 10000)]
    payment = Payment("c1", 1, 100000, inviter_id=9, referral_kopecks=10000)
    first = refund_request(payment, 100000, 10000)
    assert first.status == "debited"
    assert [(e.key, e.user_id, e.amount_kopecks) for e in first.entries] == [("payrefund_c1", 1, -100000),
                                                                             ("refreversal_c1", 9, -10000)]
    assert refund_request(payment, 99999, 10000).status == "spent"
    assert refund_request(payment, 100000, 9999).status == "inviter_spent"
    pending = Payment("c1", 1, 100000, 9, 10000, refund="pending", refund_attempts=1)
    reverted = refund_not_done(pending, 1, "refused")
    assert sum(e.amount_kopecks for e in first.entries + reverted.entries) == 0
    assert {e.key for e in reverted.entries} == {"payrefund_revert_c1", "refreversal_revert_c1"}
    assert refund_not_done(pending, 2, "late").status == "stale"
    failed = Payment("c1", 1, 100000, 9, 10000, refund="failed", refund_attempts=1)
    again = refund_request(failed, 100000, 10000)
    assert [e.key for e in again.entries] == ["payrefund_c1_2", "refreversal_c1_2"], "a new attempt, new keys"


def test_a_refund_seen_at_telegram_is_booked_exactly_once():
    assert refund_seen(Payment("c", 1, 500, refund="pending", refund_attempts=1)).status == "done"
    assert refund_seen(Payment("c", 1, 500, refund="done", refund_attempts=1)).status == "already"
    outside = refund_seen(Payment("c", 1, 500))
    assert outside.status == "debited" and outside.entries[0].amount_kopecks == -500
    assert refund_seen(None).status == "unknown"


def test_rate_limit_bucket_bursts_refills_and_tells_once():
    bucket, results = None, []
    for _ in range(4):
        allowed, tell, bucket = take(bucket, 3, 0.0)
        results.append((allowed, tell))
    allowed, tell, bucket = take(bucket, 3, 1.0)
    assert results == [(True, False)] * 3 + [(False, True)] and (allowed, tell) == (False, False)
    assert take(bucket, 3, 21.0)[0] is True, "one token back after 20 s at 3 a minute"
    off = Buckets(0)
    assert all(off.take(1) == (True, False) for _ in range(100))
    few = Buckets(1, max_users=2)
    few.take(1, 0.0), few.take(2, 0.0), few.take(3, 0.0)
    assert few.take(1, 0.0) == (True, False), "the oldest user's bucket was dropped (memory stays bounded)"
