"""Crawling one page: fetch -> extract -> a record for the store, and the links it hands on.
No Prefect and no SQL here; the crawl scheduler (flows/run/scheduler.py) decides what is fetched
when, and the run loop writes the results.

A 304 or an unchanged body skips extraction; the links the store remembers for such a page are
followed again, so detail pages behind an unchanged listing are still checked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError
from dataclasses import replace

from extractors import __version__ as EXTRACTOR_VERSION
from extractors.core import Reading, read_page
from extractors.errors import AgencywatchError
from extractors.kinds import KINDS
from extractors.records import PageExtraction
from extractors.urls import in_scope, normalise_url
from flows.config import Source
from flows.errors import ExtractionTimeLimit
from flows.fetch.discovery import parse_feed, read_sitemap
from flows.fetch.http import FEED_TYPES, HTML_TYPES, Fetcher, FetchResult
from flows.run import extract_pool
from flows.run.time_limit import TimeLimitExceeded, configured_limit, time_limit
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


# a link's role -> the role of the page it leads to (any other: a detail page)
FRONTIER_ROLE = {"next": "listing", "sitemap": "sitemap"}


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
        home=source.url,  # the non-public addresses it names are the only ones it may reach
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
    except CancelledError:  # the run is ending (its store failed, or it was interrupted)
        error = f"{url}: not extracted: the run ended first; the page is retried next run"
        return replace(record, outcome=FAILED, body=None, error=error)
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
    time_limit_s: float | None = None,
) -> Extracted:
    """All the CPU work on one fetched page, so it runs in a pool process: read it (decode,
    parse, prune, extract, pager links: `extractors.core.read_page`), name the detail pages
    it hands on, key its records and compress it for the store. Within `time_limit_s` (None:
    `configured_limit()`), else ExtractionTimeLimit: a hostile page costs one failed page,
    not a worker's minute."""
    limit = configured_limit() if time_limit_s is None else time_limit_s
    try:
        with time_limit(limit):
            options = source.read_options(role)
            reading = read_page(body, url, content_type, options, base_url=final_url)
            extraction = reading.extraction
            # detail pages are leaves: scanning them for links cost a third of a crawl's CPU
            links = _links(source, reading, url) if source.follow and role == "listing" else ()
            keys = page_keys(extraction, url)
    except TimeLimitExceeded:
        raise ExtractionTimeLimit(url, limit) from None
    return extraction, links, pack(body) if pack_body else None, keys


def _links(source: Source, reading: Reading, url: str) -> tuple[str, ...]:
    """Pagination from the page's pager; detail pages are the extracted items' own links, so
    menus and sidebars that merely look like lists are never followed."""
    details: list[str] = []
    item_urls = [
        record.url for spec in KINDS if spec.follow for record in reading.extraction.of(spec.key)
    ]
    for item_url in dict.fromkeys(u for u in item_urls if u):
        link = normalise_url(item_url)
        if link != url and in_scope(link, source.scope()):
            details.append(link)
    return (*(f"next {u}" for u in reading.next_pages), *(f"detail {u}" for u in details))


def _for_role(links: Iterable[str], role: str) -> tuple[str, ...]:
    """Detail pages are leaves: only listings, feeds and sitemaps hand on detail links."""
    leaf = role not in ("listing", *DISCOVERY_ROLES)
    return tuple(link for link in links if not leaf or link.startswith("next "))


def _discovered(source: Source, body: bytes, url: str, role: str) -> tuple[str, ...]:
    """The pages a feed or a sitemap lists, on the source's hosts, as detail links; no more
    than the run can use (`max_pages`). A sitemap index configured for the source hands on
    its sitemaps; one such sitemap that is an index again is not followed (the protocol has
    one level; more is a trap)."""
    scope = source.scope()
    if role == "sitemap":
        read = read_sitemap(body, url, limit=source.max_pages, keep=lambda u: in_scope(u, scope))
        links = [f"detail {link}" for link in read.pages]
        if read.sitemaps and url in _configured_sitemaps(source):
            links += [f"sitemap {link}" for link in read.sitemaps]
        elif read.sitemaps:
            log.warning("%s: a sitemap index listed by another index; not followed", url)
        return tuple(links)
    found: dict[str, None] = {}
    for entry in parse_feed(body, url):
        try:
            link = normalise_url(entry.url)
        except ValueError:
            continue
        if in_scope(link, scope):
            found[link] = None
            if len(found) >= source.max_pages:
                break
    return tuple(f"detail {link}" for link in found)


def _configured_sitemaps(source: Source) -> set[str]:
    configured = set()
    for sitemap in source.sitemaps:
        try:
            configured.add(normalise_url(sitemap))
        except ValueError:
            continue
    return configured


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
        content_type=result.content_type,
        bytes=result.bytes_downloaded,
        attempts=result.attempts,
        elapsed_ms=int(result.elapsed_s * 1000),
        extractor_version=EXTRACTOR_VERSION,
    )


def extract_page(
    source: Source, body: bytes, content_type: str | None, url: str, role: str
) -> PageExtraction:
    """One stored or fetched page read as the source asks (`Source.read_options`), within the
    time limit per page (ExtractionTimeLimit past it)."""
    limit = configured_limit()
    try:
        with time_limit(limit):
            return read_page(body, url, content_type, source.read_options(role)).extraction
    except TimeLimitExceeded:
        raise ExtractionTimeLimit(url, limit) from None
