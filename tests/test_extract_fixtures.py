"""Every fixture page against the expected JSON beside it (fixtures/site and fixtures/site-2).

Records must match exactly (every key the expected file has); the main text is checked by the
snippets it must and must not contain, because its exact line breaks are trafilatura's
business, not the contract's. The comparison is `extractors.evaluate.check_fixture`, the same
one `make eval` scores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.evaluate import REPO, check_fixture, fixture_pairs

PAIRS = fixture_pairs()


def test_fixtures_are_found() -> None:
    assert PAIRS, "no (page, expected.json) pairs under fixtures/site or fixtures/site-2"


@pytest.mark.parametrize(
    ("page", "expected"), PAIRS, ids=[str(p.relative_to(REPO / "fixtures")) for p, _ in PAIRS]
)
def test_fixture_page(page: Path, expected: Path) -> None:
    problems = check_fixture(page, expected)
    assert not problems, "\n".join(problems)
