import pytest

from community.privacy import describe, detect, iban_ok, luhn_ok


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "my card 4111111111111111 was charged twice",
        "amex 3782 822463 10005",
        "5555555555554444",
    ],
)
def test_card_numbers_that_pass_luhn_are_found(text):
    assert detect(text) == ["card"]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails Luhn
        "order 123456789012",  # 12 digits: too short
        "0000 0000 0000 0000",  # one repeated digit
        "call me on +44 20 7946 0958",
        "version 10.15.7 build 19H2",
        "invoice 2026-11-24-000123",
    ],
)
def test_near_miss_numbers_are_not_cards(text):
    assert "card" not in detect(text)


def test_ibans_that_pass_mod_97_are_found():
    assert detect("Refund to GB82 WEST 1234 5698 7654 32 please") == ["iban"]
    assert detect("DE89370400440532013000") == ["iban"]


def test_ibans_with_a_wrong_check_digit_are_not():
    assert detect("GB82 WEST 1234 5698 7654 33") == []
    assert detect("GB00 WEST 1234 5698 7654 32") == []


def test_a_social_security_number_is_found_only_next_to_its_keyword():
    assert detect("my SSN is 123-45-6789") == ["ssn"]
    assert detect("ssn: 123 45 6789") == ["ssn"]
    assert detect("ticket 123-45-6789") == []
    assert detect("SSN 000-12-3456") == []


def test_account_numbers_are_found_next_to_a_keyword():
    assert detect("Account number: 12345678") == ["account_number"]
    assert detect("my acct # 0099-1234-55") == ["account_number"]
    assert detect("my account number changed last week") == []


def test_passwords_with_digits_or_symbols_next_to_a_keyword_are_found():
    assert detect("my password is hunter22") == ["password"]
    assert detect("Password: s3cret!") == ["password"]
    assert detect("my password is not working") == []
    assert detect("I reset my password yesterday") == []


def test_several_kinds_are_reported_in_a_stable_order_and_described():
    kinds = detect("card 4111 1111 1111 1111 and password: abc123")
    assert kinds == ["card", "password"]
    assert describe(kinds) == "a payment card number and a password"


def test_check_helpers():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")


def test_empty_text_has_nothing():
    assert detect("") == []
