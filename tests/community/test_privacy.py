"""community.privacy: the account-data scanner, on its own (no database).

The corpus (tests/community/privacy_corpus.py) is what people really paste: card numbers and IBANs in every formatting we
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

from tests.community.privacy_corpus import CARDS, IBANS, NEAR_MISSES, adversarial_inputs


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


def test_random_text_never_raises_and_masked_text_always_scans_clean():
    import random

    rnd = random.Random(5)
    alphabet = "0123456789０１٣४ ²\u00a0\u2009\n\r\t-./*_`~–abcGBDE+@#:=?&()[]!•\u200b"
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        if rnd.random() < 0.3:
            text = rnd.choice(["account number ", "ssn ", "password: ", "GB82 ", "4111 "]) + text
        masked = mask_account_data(text)
        assert mask_account_data(masked.text).findings == (), (text, masked.text)
