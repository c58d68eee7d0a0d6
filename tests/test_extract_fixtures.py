"""Every fixture page against the expected JSON beside it (fixtures/site and fixtures/site-2).

Records must match exactly (every key the expected file has); the main text is checked by the
snippets it must and must not contain, because its exact line breaks are trafilatura's
business, not the contract's. The comparison is `evaluation.evaluate.check_fixture`, the same
one `make eval` scores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.evaluate import REPO, check_fixture, fixture_pairs

PAIRS = fixture_pairs()


def test_fixtures_are_found() -> None:
    assert PAIRS, "no (page, expected.json) pairs under fixtures/site or fixtures/site-2"


@pytest.mark.parametrize(
    ("page", "expected"), PAIRS, ids=[str(p.relative_to(REPO / "fixtures")) for p, _ in PAIRS]
)
def test_fixture_page(page: Path, expected: Path) -> None:
    problems = check_fixture(page, expected)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", ["auto", "news_list", "article"])
def test_the_tree_handed_on_is_the_page_unchanged(kind: str) -> None:
    # one reading of a page finds a listing's pager links in the tree the extractors parsed:
    # they (and trafilatura, on a copy) must have left it as the page is
    import lxml.html

    from extractors.core import extract
    from extractors.dispatch import extract_tree
    from extractors.html import decode, parse

    for page, _expected in PAIRS:
        raw = page.read_bytes()
        url = f"https://fixture.example/{page.name}"
        text = decode(raw, url)
        tree = parse(text)
        assert tree is not None, page
        assert extract_tree(tree, text, url, kind) == extract(raw, url, kind), page
        fresh = parse(decode(raw, url))
        assert fresh is not None
        assert lxml.html.tostring(tree) == lxml.html.tostring(fresh), page
