"""Crawling one source: fetch -> extract -> records for the store. No Prefect, no SQL.

A 304 or an unchanged body skips extraction; the links the store remembers for such a page are
followed again, so detail pages behind an unchanged listing are still checked.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace

from extractors.core import extract

from extractors import __version__ as EXTRACTOR_VERSION
from extractors.errors import AgencywatchError
from extractors.records import PageExtraction
from flows.config import Source
from flows.discovery import find_follow_links
from flows.http import Fetcher, FetchResult
from flows.urls import normalise_url
from store.batches import (
    CHANGED,
    FAILED,
    NOT_HTML,
    NOT_MODIFIED,
    UNCHANGED,
    PageRecord,
    PageState,
    SourceBatch,
    SourceInfo,
)

log = logging.getLogger("agencywatch.crawl")
ProgressHook = Callable[[str, PageRecord], None]


def source_info(source: Source) -> SourceInfo:
    return SourceInfo(source.name, source.url, source.kind, source.to_config())


def crawl_source(
    source: Source,
    fetcher: Fetcher,
    states: Mapping[str, PageState],
    *,
    on_page: ProgressHook | None = None,
) -> SourceBatch:
    """Fetch the source's pages (following links when asked), extract the changed ones."""
    start = normalise_url(source.url)
    frontier: deque[tuple[str, str]] = deque([(start, "listing")])
    queued = {start}
    pages: list[PageRecord] = []
    while frontier and len(pages) < source.max_pages:
        url, role = frontier.popleft()
        record, next_pages, details = crawl_page(source, fetcher, url, role, states.get(url))
        pages.append(record)
        if on_page:
            on_page(source.name, record)
        if not source.follow:
            continue
        for link, link_role in [
            *((u, "listing") for u in next_pages),
            *((u, "detail") for u in details),
        ]:
            if link not in queued:
                queued.add(link)
                frontier.append((link, link_role))
    return SourceBatch(
        source_info(source), tuple(pages), truncated=bool(frontier), counts=_counts(pages, states)
    )


def _counts(pages: list[PageRecord], states: Mapping[str, PageState]) -> dict[str, int]:
    saved = sum(
        (states[p.url].size or 0) for p in pages if p.outcome == NOT_MODIFIED and p.url in states
    )
    return {
        "requests": sum(p.attempts for p in pages),
        "bytes_downloaded": sum(p.bytes for p in pages),
        "bytes_saved": saved,
    }


def crawl_page(
    source: Source, fetcher: Fetcher, url: str, role: str, state: PageState | None
) -> tuple[PageRecord, list[str], list[str]]:
    """One page: returns its record and the pagination and detail links to follow."""
    result = fetcher.fetch(
        url,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        known_size=state.size if state else None,
    )
    record = _record(result, role)
    if record.outcome in (NOT_MODIFIED, UNCHANGED) or (
        record.outcome == CHANGED and state and state.content_hash == result.content_hash
    ):
        record = replace(record, outcome=UNCHANGED if result.body else NOT_MODIFIED, body=None)
        remembered = list(state.links) if state else []
        return record, *_split_remembered(remembered, role)
    if record.outcome != CHANGED or result.body is None:
        return record, [], []
    try:
        extraction = extract_page(source, result.body, result.text, url, role)
        follow = find_follow_links(result.body, result.final_url or url, source.scope())
    except AgencywatchError as exc:
        return replace(record, outcome=FAILED, body=None, error=str(exc)), [], []
    except Exception as exc:  # a parser bug must cost one page, not the run
        log.exception("extraction crashed on %s", url)
        error = f"{url}: extraction crashed: {type(exc).__name__}: {exc}"
        return replace(record, outcome=FAILED, body=None, error=error), [], []
    next_pages = [normalise_url(u) for u in follow.next_pages]
    details = [normalise_url(u) for u in follow.detail_links] if role == "listing" else []
    links = tuple([*(f"next {u}" for u in next_pages), *(f"detail {u}" for u in details)])
    return replace(record, extraction=extraction, links=links), next_pages, details


def _split_remembered(links: list[str], role: str) -> tuple[list[str], list[str]]:
    next_pages = [link.split(" ", 1)[1] for link in links if link.startswith("next ")]
    details = [link.split(" ", 1)[1] for link in links if link.startswith("detail ")]
    return next_pages, details if role == "listing" else []


def _record(result: FetchResult, role: str) -> PageRecord:
    if result.not_modified:
        outcome = NOT_MODIFIED
    elif result.error and result.kind == "not_html":
        outcome = NOT_HTML
    elif result.error or result.body is None:
        outcome = FAILED
    else:
        outcome = CHANGED
    return PageRecord(
        url=result.url,
        outcome=outcome,
        fetched_at=result.started_at,
        role=role,
        final_url=result.final_url,
        status=result.status,
        error=result.error,
        body=result.body if outcome == CHANGED else None,
        content_hash=result.content_hash,
        etag=result.etag,
        last_modified=result.last_modified,
        bytes=result.bytes_downloaded,
        attempts=result.attempts,
        elapsed_ms=int(result.elapsed_s * 1000),
        extractor_version=EXTRACTOR_VERSION,
    )


def extract_page(
    source: Source, body: bytes, text: str | None, url: str, role: str
) -> PageExtraction:
    """Extract one page as the source asks: its kind for listings, `article` for detail pages,
    with its volatile fragments and text dropped first."""
    kind = source.kind if role == "listing" else "article"
    html: bytes | str = text if text is not None else body
    if source.ignore:
        html = drop_fragments(html, source.ignore)
    extraction = extract(html, url, kind=kind, selectors=source.selectors or None)
    if source.ignore_text:
        text = extraction.text
        for pattern in source.ignore_text:
            text = re.sub(pattern, "", text)
        extraction = replace(extraction, text=text)
    return extraction


def drop_fragments(html: bytes | str, selectors: tuple[str, ...]) -> str:
    """Remove volatile fragments (visit counters, timestamps) named by CSS selectors."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for selector in selectors:
        for el in tree.cssselect(selector):
            el.drop_tree()
    return str(lxml.html.tostring(tree, encoding="unicode"))
