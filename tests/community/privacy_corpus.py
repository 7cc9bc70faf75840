"""The account-data corpus: card numbers and IBANs as people really write them, near misses
that must be left alone, and adversarial inputs for the scanner's running time. Plain data,
shared by tests/community/test_privacy.py and bench/privacy_scan.py."""

import random

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
    ("![4111 1111 1111 1111](https://example.com/card.png)", "1111"),  # image alt text
    ("[4111 1111 1111 1111](https://example.com/)", "1111"),  # link text
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


def adversarial_inputs(size: int = 100_000) -> dict[str, str]:
    """Inputs that made the old regexes backtrack, and worst cases for the tokenising scan:
    runs of spaces, digits, separators and keywords, and many candidates that each need a
    checksum (random, so no cache helps)."""
    rnd = random.Random(13)

    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    def digits(n: int) -> str:
        return "".join(rnd.choice("0123456789") for _ in range(n))

    def many(make) -> str:
        parts, length = [], 0
        while length < size:
            parts.append(make())
            length += len(parts[-1]) + 1
        return " ".join(parts)[:size]

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
        "random digit groups": many(lambda: digits(4)),
        "random cards between words": many(lambda: "card " + " ".join(digits(4) for _ in range(4))),
        "random ibans": many(lambda: f"GB{digits(2)} WEST {digits(4)} {digits(4)} {digits(4)} {digits(2)}"),
    }
