"""community.privacy: the account-data scanner, on its own (no database).

The corpus below is what people really paste: card numbers and IBANs in every formatting we
have seen, and near misses (order, phone, tracking numbers, dates, versions, identifiers in
URLs) that must be left alone. Every positive must be found *and* masked.
"""

import time

import pytest

from community import privacy
from community.privacy import (
    MaskResult,
    TextTooLong,
    check_length,
    clip,
    describe,
    detect,
    explain,
    iban_ok,
    luhn_ok,
    mask_account_data,
)

NBSP, THIN, NARROW, IDEOGRAPHIC, ZWSP = "\u00a0", "\u2009", "\u202f", "\u3000", "\u200b"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# (text, the digits or characters whose last four the mask keeps)
CARDS = [
    ("4111 1111 1111 1111", "1111"),
    ("4111-1111-1111-1111", "1111"),
    ("4111111111111111", "1111"),
    (f"4111{NBSP}1111{NBSP}1111{NBSP}1111", "1111"),
    (f"4111{THIN}1111{THIN}1111{THIN}1111", "1111"),
    (f"4111{NARROW}1111{NARROW}1111{NARROW}1111", "1111"),
    ("4111  1111  1111  1111", "1111"),
    ("4111.1111.1111.1111", "1111"),
    ("4111/1111/1111/1111", "1111"),
    ("4111\n1111\n1111\n1111", "1111"),
    ("4111\r\n1111\r\n1111\r\n1111", "1111"),
    ("**4111** 1111 1111 1111", "1111"),
    ("**4111 1111 1111 1111**", "1111"),
    ("`4111 1111 1111 1111`", "1111"),
    ("_4111_ _1111_ _1111_ _1111_", "1111"),
    ("4111 1111 1111 1111".translate(FULL_WIDTH), "1111"),
    (f"４１１１{IDEOGRAPHIC}１１１１{IDEOGRAPHIC}１１１１{IDEOGRAPHIC}１１１１", "1111"),
    ("4111–1111–1111–1111", "1111"),
    ("4111 - 1111 - 1111 - 1111", "1111"),
    (f"4111{ZWSP}1111{ZWSP}1111{ZWSP}1111", "1111"),
    ("my card: 4111111111111111.", "1111"),
    ("visa:4012888888881881", "1881"),
    ("(4242 4242 4242 4242)", "4242"),
    ("4000 0566 5566 5556 123", "5556"),
    ("4111 1111 1111 1111 exp 12/27 cvv 123", "1111"),
    ("I was charged twice on 5555 5555 5555 4444, please refund", "4444"),
    ("mastercard 5105-1051-0510-5100", "5100"),
    ("new mastercard 2223 0031 2200 3222", "3222"),
    ("5200828282828210", "8210"),
    ("amex 3782 822463 10005", "0005"),
    ("Amex: 3714 496353 98431", "8431"),
    ("340000000000009", "0009"),
    ("discover 6011 1111 1111 1117", "1117"),
    ("6011-0009-9013-9424", "9424"),
    ("6445 6445 6445 6445", "6445"),
    ("diners 3056 930902 5904", "5904"),
    ("38520000023237", "3237"),
    ("jcb 3530 1113 3330 0000", "0000"),
    ("3566 0020 2036 0505", "0505"),
    ("unionpay 6200 0000 0000 0005", "0005"),
    ("maestro 6759 6498 2643 8453", "8453"),
    ("19 digits: 4917 6100 0000 0000 003", "0003"),
    ("> quoted: 4111 1111 1111 1111", "1111"),
    ("- list item 4111 1111 1111 1111", "1111"),
    ("my card is 4111 1111\n1111 1111 and it was declined", "1111"),
    ("Card no. 4242424242424242, expiry 04/28", "4242"),
    ("card number is 4111111111111111!", "1111"),
    ("4111 1111 1111 1111\n\nIt was declined.", "1111"),
]

IBANS = [
    ("GB82 WEST 1234 5698 7654 32", "GB", "5432"),
    ("GB82WEST12345698765432", "GB", "5432"),
    ("gb82 west 1234 5698 7654 32", "GB", "5432"),
    ("GB82-WEST-1234-5698-7654-32", "GB", "5432"),
    ("GB82.WEST.1234.5698.7654.32", "GB", "5432"),
    (f"GB82{NBSP}WEST{NBSP}1234{NBSP}5698{NBSP}7654{NBSP}32", "GB", "5432"),
    (f"GB82{THIN}WEST{THIN}1234{THIN}5698{THIN}7654{THIN}32", "GB", "5432"),
    ("Refund to GB82 WEST 1234 5698 7654 32 please", "GB", "5432"),
    ("IBAN: DE89 3704 0044 0532 0130 00.", "DE", "3000"),
    ("DE89370400440532013000", "DE", "3000"),
    ("de89-3704-0044-0532-0130-00", "DE", "3000"),
    ("FR14 2004 1010 0505 0001 3M02 606", "FR", "2606"),
    ("NL91 ABNA 0417 1643 00", "NL", "4300"),
    ("ES91 2100 0418 4502 0005 1332", "ES", "1332"),
    ("IT60 X054 2811 1010 0000 0123 456", "IT", "3456"),
    ("CH93 0076 2011 6238 5295 7", "CH", "2957"),
    ("AT61 1904 3002 3457 3201", "AT", "3201"),
    ("SE45 5000 0000 0583 9825 7466", "SE", "7466"),
    ("PL61 1090 1014 0000 0712 1981 2874", "PL", "2874"),
    ("IE29 AIBK 9311 5212 3456 78", "IE", "5678"),
    ("NO93 8601 1117 947", "NO", "7947"),
    ("DK50 0040 0440 1162 43", "DK", "6243"),
    ("FI21 1234 5600 0007 85", "FI", "0785"),
    ("PT50 0002 0123 1234 5678 9015 4", "PT", "0154"),
    ("(LU28 0019 4006 4475 0000)", "LU", "0000"),
    ("GR16 0110 1250 0000 0001 2300 695", "GR", "0695"),
]

NEAR_MISSES = [
    # check digits that do not check out
    "4111 1111 1111 1112",
    "GB82 WEST 1234 5698 7654 33",
    "GB00 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130",  # too short for Germany
    "XX12 3456 7890 1234 5678 90",  # no such country
    "0000 0000 0000 0000",
    "4111 1111 1111",  # 12 digits
    # order, tracking, serial and reference numbers
    "order 112-3456789-1234567",
    "Order #4539 1488 0343 6467 has shipped",
    "order number: 4539148803436467",
    "tracking 1Z 999 AA1 01 2345 6784",
    "USPS 9400 1000 0000 0000 0000 00",
    "tracking number 9205 5901 7546 2100 0000 00",
    "FedEx 7489 2378 4325",
    "parcel 1234 5678 9012 3456 7890 1234",
    "IMEI 490154203237518",
    "IMEI: 35-209900-176148-1",
    "S/N 4539148803436467",
    "serial number 5555555555554444",
    "invoice INV-2026-000123",
    "ISBN 978-0-306-40615-7",
    "EAN 4006381333931",
    "SKU 12345-67890-12345",
    "transaction id 6011111111111117",
    # phone numbers
    "call me on +44 20 7946 0958",
    "+1 (555) 123-4567",
    "+49 1512 3456789",
    "+353 85 123 4567",
    "ring 0800 123 4567",
    "Call 1-800-555-0199",
    # dates and times
    "2026-11-24",
    "24/11/2026",
    "2026-11-24 10:30:00",
    "from 24.11.2026 to 01.12.2026",
    "20261124T103000Z",
    "2019 2020 2021 2022 2023",
    "timestamp 1700000000123",
    # versions and builds
    "version 10.15.7 build 19H2",
    "Chrome 119.0.6045.159",
    "build 19045.3693 and KB5031356",
    "firmware 4.2.1.1234",
    # identifiers inside URLs
    "https://www.sciencedirect.com/science/article/pii/S0023643804000933",
    "sciencedirect.com/science/article/pii/S0023643804000933",
    "see https://example.com/orders/4111111111111111 for details",
    "https://shop.example.com/track?id=4539148803436467",
    "[receipt](https://example.com/r/5555555555554444)",
    "https://twitter.com/someone/status/1234567890123456789",
    "mailto:4111111111111111@example.com",
    # other numbers
    "0.30000000000000004",
    "pi is 3.14159265358979323846",
    "$1,234,567,890.12",
    "192.168.100.200",
    "123e4567-e89b-12d3-a456-426614174000",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "51.5074456, -0.1278123",
    "ticket 123-45-6789",
    "id4111111111111111",
    "4111111111111111abc",
    # words near keywords, no data
    "my account number changed last week",
    "my password is not working",
    "I reset my password yesterday",
    "account 2 of 3",
]


@pytest.mark.parametrize(("text", "last_four"), CARDS)
def test_card_numbers_in_every_common_formatting_are_found_and_masked(text, last_four):
    result = mask_account_data(text)
    assert result.kinds == ["card"], text
    assert f"•••• {last_four}" in result.text
    # Everything but the last four is gone (a CVV or date after it may stay).
    assert sum(c.isdigit() for c in text) - sum(c.isdigit() for c in result.text) >= 9, result.text


@pytest.mark.parametrize(("text", "country", "last_four"), IBANS)
def test_ibans_in_every_common_formatting_are_found_and_masked(text, country, last_four):
    result = mask_account_data(text)
    assert result.kinds == ["iban"], text
    assert f"{country}•• •••• {last_four}" in result.text
    assert sum(c.isdigit() for c in result.text) == 4


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_left_alone(text):
    result = mask_account_data(text)
    assert result.findings == (), f"{text!r} flagged as {result.kinds}: {result.text!r}"
    assert result.text == text


def test_the_corpus_is_big_enough():
    assert len(CARDS) + len(IBANS) >= 50 and len(NEAR_MISSES) >= 50


def test_the_sciencedirect_article_id_is_not_a_card_although_its_digits_pass_luhn():
    assert luhn_ok("0023643804000933")
    answer = "See the study at sciencedirect.com/science/article/pii/S0023643804000933 for details."
    assert detect(answer) == []


def test_masking_keeps_the_text_around_the_number():
    result = mask_account_data("Charged twice on 4111 1111 1111 1111, refund to GB82 WEST 1234 5698 7654 32 please")
    assert result.text == "Charged twice on •••• 1111, refund to GB•• •••• 5432 please"
    assert result.kinds == ["card", "iban"]
    assert [f.kind for f in result.findings] == ["card", "iban"]
    assert result.changed and result


def test_markdown_emphasis_inside_a_card_number_leaves_no_stray_markers():
    assert mask_account_data("paid with **4111** 1111 1111 1111 today").text == "paid with •••• 1111 today"
    assert mask_account_data("paid with **4111 1111 1111 1111** today").text == "paid with **•••• 1111** today"


def test_masked_text_scans_clean_so_masking_is_idempotent():
    texts = [text for text, _ in CARDS] + [text for text, *_ in IBANS] + [
        "Account number: 12345678",
        "my SSN is 123-45-6789",
        "password: hunter22",
    ]
    for text in texts:
        once = mask_account_data(text)
        assert once.changed
        again = mask_account_data(once.text)
        assert again.findings == () and again.text == once.text, text


def test_a_social_security_number_is_found_only_next_to_its_keyword():
    assert detect("my SSN is 123-45-6789") == ["ssn"]
    assert mask_account_data("my SSN is 123-45-6789").text == "my SSN is •••-••-6789"
    assert detect("ssn: 123 45 6789") == ["ssn"]
    assert detect("ticket 123-45-6789") == []
    assert detect("SSN 000-12-3456") == []


def test_account_numbers_are_found_next_to_a_keyword_and_keep_their_last_four():
    assert mask_account_data("Account number: 12345678").text == "Account number: •••• 5678"
    assert mask_account_data("my acct # 0099-1234-55 thanks").text == "my acct # •••• 3455 thanks"
    assert mask_account_data("sort code 12-34-56, account 31926819").kinds == ["account_number"]
    assert mask_account_data("account number 12345678. 2 items").text == "account number •••• 5678. 2 items"
    assert detect("my account number changed last week") == []


def test_passwords_with_digits_or_symbols_next_to_a_keyword_are_masked():
    assert mask_account_data("my password is hunter22").text == "my password is ••••••••"
    assert detect("Password: s3cret!") == ["password"]
    assert detect("my password is not working") == []
    assert detect("I reset my password yesterday") == []


def test_several_kinds_are_reported_in_a_stable_order_and_described():
    kinds = detect("card 4111 1111 1111 1111 and password: abc123")
    assert kinds == ["card", "password"]
    assert describe(kinds) == "a payment card number and a password"


def test_explain_tells_the_writer_what_was_masked_and_why():
    result = mask_account_data("card 4111 1111 1111 1111")
    message = explain(result.findings, where="answer")
    assert "payment card number" in message and "•••• 1111" in message and "your answer" in message
    assert "our staff can see your account without them" in message
    assert explain((), where="answer") == ""


def test_check_helpers_use_stdnum():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")


def test_empty_text_has_nothing():
    assert detect("") == []
    assert mask_account_data("") == MaskResult("")


def test_input_is_bounded_before_it_is_scanned():
    with pytest.raises(TextTooLong) as excinfo:
        mask_account_data("x" * 1001, max_chars=1000)
    assert "1,000" in str(excinfo.value)
    with pytest.raises(TextTooLong):
        mask_account_data("x" * (privacy.MAX_SCAN_CHARS + 1))
    assert check_length("abc", max_chars=3) == "abc"
    with pytest.raises(TextTooLong):
        check_length("abcd", max_chars=3, what="title")
    assert clip("abcdef", 3) == "abc"


def adversarial_inputs(size: int = 100_000) -> dict[str, str]:
    """Inputs that made the old regexes backtrack, and worst cases for the tokenising scan."""

    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {
        "account number + spaces": fill("account number" + " " * size),
        "spaces": " " * size,
        "digits": "7" * size,
        "digit groups": fill("1234 "),
        "failing cards": fill("4111 1111 1111 1112 "),
        "separators": fill("-./ \u00a0\u2009*_"),
        "digits and separators": fill("1-2.3/4 5\u00a06"),
        "decimals": fill("123."),
        "keywords": fill("account number: acct # sort code password is pin: ssn "),
        "iban starts": fill("DE89 "),
        "failing ibans": fill("GB82 WEST 1234 5698 7654 33 "),
    }


@pytest.mark.parametrize("name", list(adversarial_inputs()))
def test_adversarial_input_of_100_kb_is_scanned_in_linear_time(name):
    text = adversarial_inputs()[name]
    started = time.perf_counter()
    mask_account_data(text)
    assert time.perf_counter() - started < 1.0, name


def test_the_old_redos_input_is_fast():
    started = time.perf_counter()
    detect("account number" + " " * 20_000)
    assert time.perf_counter() - started < 0.2
