"""What a parsed page gives: the extractors of the page kind asked for, run on its tree.

`core.read_page` decodes and parses the page once and hands the tree here (`extract_tree`);
the extractors registered for the kind run on that tree (`registry.py`); the main text
(trafilatura), the figures in it and, for articles, the publication date (schema.org, else
htmldate) complete the `PageExtraction`.

`kind="auto"` runs the extractor of every kind `auto` tries (`kinds.AUTO_ORDER`) and names the
kinds that found something, in that order and joined by "+" ("events+news_list"); a page where
none found anything is an "article". A kind whose spec is `exclusive` (good practices) stops
the search: a good practice page's panel and "followed by" blocks are not news.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from lxml.html import HtmlElement

from extractors import article as _article
from extractors.article import main_text, page_date, page_title
from extractors.content import selected_text
from extractors.figures import find_figures
from extractors.kinds import AUTO_ORDER, KINDS, PAGE_KINDS
from extractors.lists import find_groups, list_text
from extractors.meeting_fields import document_title
from extractors.meetings import schedule_text
from extractors.records import PageExtraction
from extractors.registry import EXTRACTORS, Found, Page
from extractors.trace import note

log = logging.getLogger(__name__)
# each kind's extractor module, imported for its @extractor registration
_REGISTERED = (_article, *(importlib.import_module(k.module) for k in KINDS if k.module))
_BY_PAGE_KIND = {k.page_kind: k for k in KINDS if k.page_kind}
_LISTING = frozenset(k.page_kind for k in KINDS if k.listing and k.page_kind)


def check_kind(kind: str, url: str) -> None:
    if kind not in PAGE_KINDS:
        raise ValueError(f"{url}: unknown page kind {kind!r} (one of {', '.join(PAGE_KINDS)})")


def extract_tree(tree: HtmlElement | None, text: str, url: str, kind: str = "auto",
                 selectors: Mapping[str, str] | None = None) -> PageExtraction:
    """The records of a page already decoded (`text`) and parsed (`tree`, None when it did not
    parse). The extractors only read the tree."""
    check_kind(kind, url)
    if tree is None:
        return PageExtraction(url=url, kind="article" if kind == "auto" else kind)
    page = Page(tree, url, text, kind, selectors)
    found, kinds = _run(page)
    if page.kind != "auto":
        kinds = [page.kind]
    named = "+".join(kinds) if kinds else "article"
    # a list page's text is its list region (titles included), a meeting schedule's the
    # region of its meetings; any other page's, the element the source names
    # (`selectors.content`), else trafilatura's
    listed = kinds and set(kinds) & _LISTING and find_groups(page)
    schedule = "" if listed else schedule_text(page, found.events)
    selected = "" if listed or schedule else selected_text(page)
    body = list_text(page) if listed else (schedule or selected or main_text(page))
    note("text", "", "chose", "the page text is " + (
        "its lists' region" if listed else "its meetings' region" if schedule
        else "what selectors.content names" if selected else "trafilatura's main text"))
    records: dict[str, tuple[Any, ...]] = dict(found.records)
    figures = tuple(find_figures(body))
    if figures:
        records["figures"] = figures
    named_kind = kind if kind != "auto" else named
    return PageExtraction(
        url=url,
        kind=named_kind,
        title=page_title(page),
        records=records,
        text=body,
        date=page_date(page) if named_kind == "article" else None,
    )


def _run(page: Page) -> tuple[Found, list[str]]:
    if page.kind != "auto":
        return _own(page.kind, _safe(page.kind, page)), [page.kind]
    found: dict[str, tuple[Any, ...]] = {}
    kinds: list[str] = []
    for kind in AUTO_ORDER:
        own = _own(kind, _safe(kind, page))
        if own:
            kinds.append(kind)
            found.update(own.records)
            if _BY_PAGE_KIND[kind].exclusive:
                break  # the kinds after it are not looked for
    found = _without_claimed(found)
    found = _without_meeting_papers(found)
    kinds = [k for k in kinds if found.get(_BY_PAGE_KIND[k].key)]
    note("kinds", "", "chose", "auto named the page " + ("+".join(kinds) or "article") + ": "
         + (", ".join(f"{len(v)} {k}" for k, v in found.items()) or "no records"))
    return Found(**found), kinds


def _without_claimed(found: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """A generic kind's records without those another kind found: a table of funding calls is
    read as calls, not also as dated news."""
    claimed: set[str] = set()
    for spec in KINDS:
        if not spec.generic:
            for record in found.get(spec.key, ()):
                claimed.update(_identities(record))
    if not claimed:
        return found
    return _generic_kept(found, lambda r: claimed.isdisjoint(_identities(r)))


def _without_meeting_papers(found: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """On a page of meetings, a generic kind's records titled only for a meeting's document
    ("Minutes", "Agenda") are those meetings' papers, not news."""
    if not found.get("events"):
        return found
    return _generic_kept(
        found, lambda r: not document_title(str(getattr(r, "title", "") or "")))


def _generic_kept(found: dict[str, tuple[Any, ...]], keep: Callable[[Any], bool]
                  ) -> dict[str, tuple[Any, ...]]:
    """`found` with only the generic kinds' records that `keep` keeps; a kind left with none
    is no longer found."""
    out = dict(found)
    for spec in KINDS:
        if spec.generic and spec.key in out:
            kept = tuple(r for r in out[spec.key] if keep(r))
            if kept:
                out[spec.key] = kept
            else:
                del out[spec.key]
    return out


def _identities(record: Any) -> set[str]:
    """How a record is recognised on another kind's list: its URL, else its title."""
    url = getattr(record, "url", None)
    if url:
        return {f"url {url}"}
    title = getattr(record, "title", None)
    return {f"title {str(title).casefold()}"} if title else set()


def _own(page_kind: str, found: Found) -> Found:
    """The records of the kind a page kind asks for (the news list extractor also reads the
    events of the lists it finds: those are the events extractor's to give)."""
    spec = _BY_PAGE_KIND.get(page_kind)
    if spec is None:  # "article": no records of its own
        return found
    records = found.of(spec.key)
    return Found(**{spec.key: records}) if records else Found()


def _safe(kind: str, page: Page) -> Found:
    """One extractor's records; a crash on one odd page is logged, not raised into the crawl."""
    try:
        return EXTRACTORS[kind](page)
    except RecursionError:
        log.warning("%s: %s extraction gave up on a too deeply nested page", page.url, kind)
    except Exception:
        log.exception("%s: %s extraction failed", page.url, kind)
    return Found()
