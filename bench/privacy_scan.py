"""The account-data scanner's benchmark (community/privacy.py): speed on 100 KB adversarial
inputs, the corpus it is tested on, and its false positives.

    .venv/bin/python bench/privacy_scan.py            # prints the table (about 10 s)
    .venv/bin/python bench/privacy_scan.py --runs 20

No database or server: the scanner is pure Python. Each input is scanned ``--runs`` times and
the median and worst times are printed; "reference loop" is the time this machine takes for a
fixed pure-Python loop, to compare figures taken on machines of other speeds or under load.
The target (issue 13): every 100 KB adversarial input under 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from community.privacy import mask_account_data  # noqa: E402
from tests.community.privacy_corpus import CARDS, IBANS, NEAR_MISSES, adversarial_inputs  # noqa: E402

TARGET_MS = 50.0


def reference_loop_ms() -> float:
    started = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i & 7
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    print(f"reference loop (1M iterations): {reference_loop_ms():.0f} ms")
    print()
    print(f"{'100 KB adversarial input':30} {'median ms':>10} {'worst ms':>10} {'found':>6}")
    worst_median = 0.0
    for name, text in adversarial_inputs().items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = mask_account_data(text)
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        worst_median = max(worst_median, median)
        print(f"{name:30} {median:10.1f} {max(times):10.1f} {len(result.findings):6d}")
    started = time.perf_counter()
    mask_account_data("account number" + " " * 20_000)
    redos_ms = (time.perf_counter() - started) * 1000
    print(f"{'old ReDoS (20,000 spaces)':30} {redos_ms:10.1f}")
    print()

    cards_found = sum(mask_account_data(text).kinds == ["card"] for text, _last in CARDS)
    ibans_found = sum(mask_account_data(text).kinds == ["iban"] for text, *_rest in IBANS)
    false_positives = [text for text in NEAR_MISSES if mask_account_data(text).findings]
    print(f"corpus: {len(CARDS)} card numbers, {len(IBANS)} IBANs, {len(NEAR_MISSES)} near misses")
    print(f"found: {cards_found}/{len(CARDS)} card numbers, {ibans_found}/{len(IBANS)} IBANs")
    print(f"false positives: {len(false_positives)}/{len(NEAR_MISSES)} near misses")
    for text in false_positives:
        print(f"  flagged: {text!r}")
    print()
    verdict = "within" if worst_median < TARGET_MS else "OVER"
    print(f"slowest median: {worst_median:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target)")
    ok = worst_median < TARGET_MS and not false_positives and cards_found == len(CARDS) and ibans_found == len(IBANS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
