"""Date and figure parsers scored on real strings from the seed sites (testdata section 4).

The scoring lives in evaluation/strings.py so that `make eval` reports the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.strings import format_score, score_real_strings

ROOT = Path(__file__).resolve().parents[1]
REAL_STRINGS = ROOT.parent / "shared" / "testdata" / "real-strings" / "dates_and_figures.json"
MIN_EXACT = 0.95


@pytest.fixture(scope="module")
def score():
    if not REAL_STRINGS.is_file():
        pytest.skip(f"real strings not present: {REAL_STRINGS}")
    result = score_real_strings(REAL_STRINGS)
    print("\n" + format_score(result))
    return result


def test_dates_exact(score):
    dates = score["dates"]
    assert dates["total"] > 0
    assert dates["exact"] / dates["total"] >= MIN_EXACT, format_score(score)


def test_relative_dates_give_none(score):
    dates = score["dates"]
    assert dates["relative_none"] == dates["relative"]


def test_figures_exact(score):
    figures = score["figures"]
    assert figures["total"] > 0
    assert figures["exact"] / figures["total"] >= MIN_EXACT, format_score(score)


def test_scoring_rules(tmp_path):
    """The scorer itself: ranges, open starts, relative entries and unit mapping."""
    data = tmp_path / "strings.json"
    data.write_text(
        """{"dates": [
            {"text": "13-15 June 2007", "expected": "2007-06-13/2007-06-15"},
            {"text": "Milestone 1 (Start - June2005)", "expected": "?/2005-06"},
            {"text": "March 19th", "expected": "2019-03-19", "context_year": 2019},
            {"text": "praėjusią savaitę", "expected": "-P1W", "kind": "relative"},
            {"text": "nothing here", "expected": "2001-01-01"}],
           "figures": [
            {"text": "0,15 proc.", "value": 0.15, "unit": "percent"},
            {"text": "4124 dienos", "value": 4124, "unit": "days"},
            {"text": "219 projects", "value": 219, "unit": "count"},
            {"text": "73,35 mln. eurų", "value": 73350000.0, "unit": "EUR"},
            {"text": "5 EUR", "value": 5, "unit": "count"}]}""",
        encoding="utf-8",
    )
    result = score_real_strings(data)
    assert (result["dates"]["exact"], result["dates"]["total"]) == (3, 4)
    assert result["dates"]["relative"] == result["dates"]["relative_none"] == 1
    assert result["dates"]["misses"] == [
        {"text": "nothing here", "expected": "2001-01-01", "got": None}
    ]
    assert (result["figures"]["exact"], result["figures"]["total"]) == (4, 5)
