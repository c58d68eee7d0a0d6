"""`extract(html, url, kind)`: one page in, its records out. No I/O.

The page is decoded and parsed once (`html.py`); the extractors registered for the kind run on
that tree (`registry.py`); the main text (trafilatura), the figures in it and, for articles,
the publication date (schema.org, else htmldate) complete the `PageExtraction`.

`kind="auto"` runs the good-practice, events and news-list extractors and names the kinds that
found something, in a fixed order and joined by "+" ("events+news_list"); a page where none
found anything is an "article". A good practice page is not searched for lists: its panel and
"followed by" blocks are not news.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lxml.html import HtmlElement

# imported for their @extractor registrations
from extractors import article as _article
from extractors import events as _events
from extractors import good_practice as _good_practice
from extractors import lists as _lists
from extractors.article import main_text, page_date, page_title
from extractors.content import selected_text
from extractors.figures import find_figures
from extractors.html import decode, parse
from extractors.lists import find_groups, list_text
from extractors.meetings import schedule_text
from extractors.records import PageExtraction
from extractors.registry import EXTRACTORS, Found, Page

log = logging.getLogger(__name__)
_REGISTERED = (_article, _events, _good_practice, _lists)

KINDS = ("auto", "news_list", "events", "good_practice", "article")
# "auto" tries these, and names the kinds found in this order
AUTO_ORDER = ("events", "good_practice", "news_list")


def extract(html: bytes | str, url: str, kind: str = "auto",
            selectors: Mapping[str, str] | None = None) -> PageExtraction:
    """Extract the records of one page.

    html: the page as fetched (bytes: decoded by BOM, <meta> charset, UTF-8, then cp1257) or
        already decoded text.
    url: the page's URL; links resolve against it and errors name it.
    kind: "auto" | "news_list" | "events" | "good_practice" | "article".
    selectors: CSS selectors from sources.toml for a site where "auto" reads the lists wrong.
        `item` selects one element per list item; inside each item `title`, `date`, `summary`,
        `link` (the item's URL; default: the title's link), `organiser` and `location` select
        the element holding that field; `content` selects the element(s) holding the main text
        of a detail page (instead of trafilatura). Every key is optional; a missing one falls
        back to the heuristics, and without `item` the heuristics find the items and the field
        selectors apply inside them. A selector that does not parse is ignored.

    Raises ExtractionError (naming the URL) only for input that is not a page at all (binary
    data); an empty or broken page gives empty lists.
    """
    return extract_parsed(html, url, kind, selectors)[0]


def extract_parsed(html: bytes | str, url: str, kind: str = "auto",
                   selectors: Mapping[str, str] | None = None,
                   ) -> tuple[PageExtraction, HtmlElement | None]:
    """`extract`, and the page's parsed tree (None when it did not parse) for a caller that
    reads more of the page, so that it is parsed once: the crawl finds a listing's pager
    links in it. The extractors have only read the tree; the caller must not change it."""
    if kind not in KINDS:
        raise ValueError(f"{url}: unknown page kind {kind!r} (one of {', '.join(KINDS)})")
    text = decode(html, url)
    tree = parse(text)
    if tree is None:
        return PageExtraction(url=url, kind="article" if kind == "auto" else kind), None
    page = Page(tree, url, text, kind, selectors)
    found, kinds = _run(page)
    if page.kind != "auto":
        kinds = [page.kind]
    named = "+".join(kinds) if kinds else "article"
    # a list page's text is its list region (titles included), a meeting schedule's the
    # region of its meetings; any other page's, the element the source names
    # (`selectors.content`), else trafilatura's
    listed = kinds and set(kinds) & {"events", "news_list"} and find_groups(page)
    body = list_text(page) if listed else (
        schedule_text(page, found.events) or selected_text(page) or main_text(page))
    extraction = PageExtraction(
        url=url,
        kind=kind if kind != "auto" else named,
        title=page_title(page),
        news=found.news,
        events=found.events,
        good_practices=found.good_practices,
        figures=tuple(find_figures(body)),
        text=body,
        date=page_date(page) if (kind if kind != "auto" else named) == "article" else None,
    )
    return extraction, tree


def _run(page: Page) -> tuple[Found, list[str]]:
    if page.kind != "auto":
        return _safe(page.kind, page), [page.kind]
    results: dict[str, Found] = {}
    for kind in AUTO_ORDER:
        if kind != "good_practice" and results.get("good_practice"):
            continue
        results[kind] = _safe(kind, page)
    kinds = [k for k in AUTO_ORDER if results.get(k)]
    return Found(
        news=results.get("news_list", Found()).news,
        events=results.get("events", Found()).events,
        good_practices=results.get("good_practice", Found()).good_practices,
    ), kinds


def _safe(kind: str, page: Page) -> Found:
    """One extractor's records; a crash on one odd page is logged, not raised into the crawl."""
    try:
        return EXTRACTORS[kind](page)
    except RecursionError:
        log.warning("%s: %s extraction gave up on a too deeply nested page", page.url, kind)
    except Exception:
        log.exception("%s: %s extraction failed", page.url, kind)
    return Found()
