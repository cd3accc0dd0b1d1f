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
