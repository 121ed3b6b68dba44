"""Quality gate for article extraction, in the style of trafilatura's own: the mean
bag-of-words F1 on Readability's test pages (../shared, read in place) must not drop
below a pinned floor. Raise the floors when extraction improves.

Scoring lives in bench/eval.py (``make eval`` prints the full table).
"""

from __future__ import annotations

import pytest

from bench.eval import PAGES_DIR, Summary, evaluate_extraction, summarise

pytestmark = pytest.mark.shared

# Measured with trafilatura 2.3.1 (precision mode, balanced retry when empty): F1 0.924, title match 0.63 (80/127).
F1_FLOOR = 0.90
TITLE_MATCH_FLOOR = 0.61


@pytest.fixture(scope="module")
def summary() -> Summary:
    if not PAGES_DIR.is_dir():
        pytest.skip(f"{PAGES_DIR} is absent")
    result = summarise(evaluate_extraction(PAGES_DIR))
    print(
        f"\nextraction on readability-pages (n={result.n}): F1 {result.f1:.4f}, P {result.precision:.4f}, "
        f"R {result.recall:.4f}, title match {result.title_rate:.4f} ({result.title_matched}/{result.title_total})"
    )
    return result


def test_extraction_f1_stays_above_floor(summary: Summary) -> None:
    assert summary.n == 130
    assert summary.f1 >= F1_FLOOR, f"mean F1 {summary.f1:.4f} fell below the floor {F1_FLOOR}"


def test_title_match_stays_above_floor(summary: Summary) -> None:
    assert summary.title_rate >= TITLE_MATCH_FLOOR, (
        f"title match {summary.title_rate:.4f} fell below the floor {TITLE_MATCH_FLOOR}"
    )
