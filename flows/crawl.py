"""Crawling one page: fetch -> extract -> a record for the store, and the links it hands on.
No Prefect and no SQL here; the crawl scheduler (flows/scheduler.py) decides what is fetched
when, and the run loop writes the results.

A 304 or an unchanged body skips extraction; the links the store remembers for such a page are
followed again, so detail pages behind an unchanged listing are still checked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from lxml.html import HtmlElement

from extractors import __version__ as EXTRACTOR_VERSION
from extractors.core import extract_parsed
from extractors.errors import AgencywatchError
from extractors.records import PageExtraction
from extractors.urls import in_scope, normalise_url
from flows import extract_pool
from flows.config import Source
from flows.discovery import find_follow_links, parse_feed, parse_sitemap
from flows.http import FEED_TYPES, HTML_TYPES, Fetcher, FetchResult
from flows.transport import decode_html
from store.batches import (
    CHANGED,
    FAILED,
    NOT_HTML,
    NOT_MODIFIED,
    UNCHANGED,
    PageRecord,
    PageState,
    SourceInfo,
)
from store.identity import PageKeys, page_keys
from store.writer import pack

log = logging.getLogger("agencywatch.crawl")
DISCOVERY_ROLES = ("feed", "sitemap")  # pages that only list other pages (optional discovery)


def source_info(source: Source) -> SourceInfo:
    return SourceInfo(source.name, source.url, source.kind, source.to_config())


Extracted = tuple[PageExtraction, tuple[str, ...], bytes | None, PageKeys]
ExtractJob = tuple[Source, bytes, str | None, str, str, str]  # see extract_and_link


def fetch_page(
    source: Source, fetcher: Fetcher, url: str, role: str, state: PageState | None
) -> tuple[PageRecord, ExtractJob | None]:
    """Fetch one page: its record, and the extraction job when its body is new."""
    result = fetcher.fetch(
        url,
        etag=state.etag if state else None,
        last_modified=state.last_modified if state else None,
        known_size=state.size if state else None,
        delay=source.delay,
        scope=source.scope(),
        accept=FEED_TYPES if role in DISCOVERY_ROLES else HTML_TYPES,
        decode=False,  # decoded where it is extracted: off this process's one core
    )
    record = _record(result, role)
    unchanged = record.outcome == CHANGED and state and state.content_hash == result.content_hash
    if record.outcome == NOT_MODIFIED or unchanged:
        remembered = state.links if state else ()
        outcome = NOT_MODIFIED if record.outcome == NOT_MODIFIED else UNCHANGED
        return replace(record, outcome=outcome, body=None, links=_for_role(remembered, role)), None
    if record.outcome != CHANGED or result.body is None:
        return record, None
    if role in DISCOVERY_ROLES:
        return replace(record, links=_discovered(source, result.body, url, role)), None
    job = (source, result.body, result.content_type, url, result.final_url or url, role)
    return record, job


def finish_page(record: PageRecord, extracted: Callable[[], Extracted]) -> PageRecord:
    """The fetched record with its extraction, or failed with one line naming the URL."""
    url = record.url
    try:
        extraction, links, packed, keys = extracted()
    except AgencywatchError as exc:
        return replace(record, outcome=FAILED, body=None, error=str(exc))
    except extract_pool.ExtractionProcessDied as exc:
        error = f"{url}: the extraction process died ({exc}); the page is retried next run"
        log.error("%s", error)
        return replace(record, outcome=FAILED, body=None, error=error)
    except Exception as exc:  # a parser bug must cost one page, not the run
        log.exception("extraction crashed on %s", url)
        error = f"{url}: extraction crashed: {type(exc).__name__}: {exc}"
        return replace(record, outcome=FAILED, body=None, error=error)
    # a packed page's raw body is not needed again: each page is held until its batch is
    # written, and the body was ~4/5 of it
    body = None if packed is not None else record.body
    return replace(record, extraction=extraction, links=links, body=body, packed=packed, keys=keys)


def extract_and_link(
    source: Source,
    body: bytes,
    content_type: str | None,
    url: str,
    final_url: str,
    role: str,
    *,
    pack_body: bool = True,
) -> Extracted:
    """All the CPU work on one fetched page, so it runs in a pool process: decode it, extract
    it, find the links it hands on, key its records and compress it for the store."""
    _encoding, text = decode_html(body, content_type)
    extraction, tree = _extract_page(source, body, text, url, role)
    # detail pages are leaves: scanning them for links cost a third of a crawl's CPU
    follow = source.follow and role == "listing"
    page = tree if tree is not None else text  # a listing's pager is read in the parsed page
    links = _links(source, page, final_url, extraction, url, role) if follow else ()
    keys = page_keys(extraction, url)
    return extraction, links, pack(body) if pack_body else None, keys


def _links(
    source: Source,
    html: str | bytes | HtmlElement,
    final_url: str,
    extraction: PageExtraction,
    url: str,
    role: str,
) -> tuple[str, ...]:
    """Pagination from the page's pager; detail pages are the extracted items' own links, so
    menus and sidebars that merely look like lists are never followed."""
    found = find_follow_links(html, final_url, source.scope(), details=False)
    details: list[str] = []
    if role == "listing":
        item_urls = [
            *(n.url for n in extraction.news),
            *(e.url for e in extraction.events),
            *(g.url for g in extraction.good_practices),
        ]
        for item_url in dict.fromkeys(u for u in item_urls if u):
            link = normalise_url(item_url)
            if link != url and in_scope(link, source.scope()):
                details.append(link)
    return (*(f"next {u}" for u in found.next_pages), *(f"detail {u}" for u in details))


def _for_role(links: Iterable[str], role: str) -> tuple[str, ...]:
    """Detail pages are leaves: only listings, feeds and sitemaps hand on detail links."""
    leaf = role not in ("listing", *DISCOVERY_ROLES)
    return tuple(link for link in links if not leaf or link.startswith("next "))


def _discovered(source: Source, body: bytes, url: str, role: str) -> tuple[str, ...]:
    """The pages a feed or a sitemap lists, on the source's hosts, as detail links."""
    found = [e.url for e in parse_feed(body, url)] if role == "feed" else parse_sitemap(body, url)
    links = []
    for link in dict.fromkeys(found):
        try:
            link = normalise_url(link)
        except ValueError:
            continue
        if in_scope(link, source.scope()):
            links.append(f"detail {link}")
    return tuple(links)


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
        body_size=len(result.body) if outcome == CHANGED and result.body is not None else None,
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
    return _extract_page(source, body, text, url, role)[0]


def _extract_page(
    source: Source, body: bytes, text: str | None, url: str, role: str
) -> tuple[PageExtraction, HtmlElement | None]:
    """`extract_page`, and the page as parsed for it: None when it did not parse, or when the
    source's `ignore` selectors cut fragments out of it (the page's links are read in the
    page as served)."""
    kind = source.kind if role == "listing" else "article"
    html: bytes | str = text if text is not None else body
    if source.ignore:
        html = drop_fragments(html, source.ignore)
    extraction, tree = extract_parsed(html, url, kind=kind, selectors=source.selectors or None)
    if source.ignore_text:
        page_text = extraction.text
        for pattern in source.ignore_text:
            page_text = re.sub(pattern, "", page_text)
        extraction = replace(extraction, text=page_text)
    return extraction, None if source.ignore else tree


def drop_fragments(html: bytes | str, selectors: tuple[str, ...]) -> str:
    """Remove volatile fragments (visit counters, timestamps) named by CSS selectors."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for selector in selectors:
        for el in tree.cssselect(selector):
            el.drop_tree()
    return str(lxml.html.tostring(tree, encoding="unicode"))
