"""What a crawl batch hands to the store: plain values, so the store never imports the fetcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extractors.records import PageExtraction, pickled_by_fields
from store.identity import PageKeys

# fetch outcomes; only 'changed' pages are (re)extracted and can add, update or remove items
CHANGED, UNCHANGED, NOT_MODIFIED, NOT_HTML, FAILED = (
    "changed",
    "unchanged",
    "not_modified",
    "not_html",
    "failed",
)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    url: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PageRecord:
    url: str  # normalised URL asked for
    outcome: str  # one of the outcomes above
    fetched_at: str
    role: str = "listing"  # 'listing' (a source's start or pagination page) or 'detail'
    final_url: str | None = None
    status: int | None = None
    error: str | None = None  # one line naming the URL
    body: bytes | None = None  # raw body of a 'changed' page, until it is packed
    packed: bytes | None = None  # the body zlib-compressed as the store keeps it, when the
    # extraction process already did it (else the writer compresses)
    body_size: int | None = None  # the raw body's bytes, also once only `packed` is kept
    content_hash: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None  # as the server sent it (its charset reads the body)
    bytes: int = 0
    attempts: int = 1
    elapsed_ms: int | None = None
    extraction: PageExtraction | None = None
    keys: PageKeys | None = None  # identity.page_keys(extraction), when already computed
    links: tuple[str, ...] = ()  # followed links found on the page (kept for 304 re-follows)
    extractor_version: str = ""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceBatch:
    source: SourceInfo
    pages: tuple[PageRecord, ...]
    truncated: bool = False  # max_pages cut the crawl: unread pages may hold "missing" items
    counts: dict[str, int] = field(default_factory=dict)  # fetch counters (requests, bytes...)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PageState:
    """What the store remembers of a URL, for conditional GETs and re-following links."""

    url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    size: int | None
    links: tuple[str, ...]
