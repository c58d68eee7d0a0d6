"""Which pages to fetch next beyond a source's pages: the entries of sitemaps and RSS/Atom
feeds. Pure functions: bytes in, normalised URLs out. (A listing page's own pager and detail
links are read with the page: `extractors.links`.)

XML is parsed with defusedxml, so a hostile sitemap cannot expand entities or reach the network.
"""

from __future__ import annotations

import email.utils
import gzip
import io
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as xml_fromstring
from defusedxml.ElementTree import iterparse as xml_iterparse

from extractors.urls import normalise_url

log = logging.getLogger(__name__)

_MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit
SITEMAP_MAX_URLS = 50_000  # the protocol's limit of one sitemap, when the caller sets none
MAX_CHILD_SITEMAPS = 50  # of one sitemap index: a site's map, not a crawl of its own


class FeedEntry(NamedTuple):
    url: str
    title: str | None
    date: str | None  # ISO 8601 when the feed's date could be read, else as written


# -- XML: sitemaps and feeds --------------------------------------------------------------------


def _xml_root(data: bytes) -> Any | None:
    if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz
        inflater = zlib.decompressobj(wbits=31)
        try:
            data = inflater.decompress(data, _MAX_XML_BYTES)
        except zlib.error:
            return None
        if inflater.unconsumed_tail:
            log.warning("compressed XML inflates past %d bytes; ignored", _MAX_XML_BYTES)
            return None
    try:
        return xml_fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        log.info("unreadable XML (%s)", exc)
        return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _children(el: Any, name: str) -> Iterator[Any]:
    return (child for child in el if _local(child.tag) == name)


def _child_text(el: Any, *names: str) -> str | None:
    for name in names:
        for child in _children(el, name):
            text = " ".join((child.text or "").split())
            if text:
                return text
    return None


def _web_urls(candidates: Iterable[str | None], base: str) -> list[str]:
    urls: dict[str, None] = {}
    for raw in candidates:
        if not raw:
            continue
        try:
            url = normalise_url(raw, base)
        except ValueError:
            continue
        if urlsplit(url).scheme in {"http", "https"}:
            urls[url] = None
    return list(urls)


class SitemapRead(NamedTuple):
    pages: list[str]  # page URLs of a urlset (or a text sitemap), in order
    sitemaps: list[str]  # child sitemaps of a sitemap index, in order


class _Capped(io.RawIOBase):
    """A stream that ends after `limit` bytes of `inner` (an inflating gzip reader): a bomb
    reads as a truncated file, whose first entries are still used."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self.inner, self.left = inner, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.left <= 0:
            log.warning("compressed XML inflates past %d bytes; read no further", _MAX_XML_BYTES)
            return 0
        view = memoryview(buffer)[: min(len(buffer), self.left)]
        try:
            n = self.inner.readinto(view)  # type: ignore[attr-defined]
        except (OSError, EOFError, zlib.error) as exc:  # a truncated or broken gzip stream
            log.info("compressed XML ends early (%s)", exc)
            return 0
        self.left -= n
        return int(n)


def _xml_stream(data: bytes) -> IO[bytes]:
    if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz
        gz = gzip.GzipFile(fileobj=io.BytesIO(data))
        return io.BufferedReader(_Capped(gz, _MAX_XML_BYTES))  # type: ignore[arg-type]
    return io.BytesIO(data)


def read_sitemap(
    data: bytes,
    base: str,
    *,
    limit: int = SITEMAP_MAX_URLS,
    keep: Callable[[str], bool] | None = None,
) -> SitemapRead:
    """The page URLs of a sitemap (an XML urlset, gzipped or not, or a text sitemap) or the
    child sitemaps of a sitemap index (at most MAX_CHILD_SITEMAPS), normalised, those `keep`
    accepts (all by default), at most `limit` pages.

    Read as a stream that stops at `limit`: a sitemap may list a million URLs (50,000 is the
    protocol's limit, and sites exceed it), of which a run with `max_pages = 50` can use 50;
    parsing it whole took ~480 MB and stored every URL. Entities and DTDs are refused
    (defusedxml); a gzip bomb is read to 50 MB at most."""
    stream = _xml_stream(data)
    head = stream.peek(512)[:512] if isinstance(stream, io.BufferedReader) else data[:512]
    if b"<" not in head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]:
        return SitemapRead(_text_sitemap(stream, base, limit, keep), [])
    return _xml_sitemap(stream, base, limit, keep)


def _accepted(
    raw: str | None, base: str, seen: set[str], keep: Callable[[str], bool] | None
) -> str | None:
    urls = _web_urls([raw], base)
    if not urls or urls[0] in seen or (keep is not None and not keep(urls[0])):
        return None
    seen.add(urls[0])
    return urls[0]


def _text_sitemap(
    stream: IO[bytes], base: str, limit: int, keep: Callable[[str], bool] | None
) -> list[str]:
    pages: list[str] = []
    seen: set[str] = set()
    for raw in stream:
        if len(pages) >= limit:
            break
        line = raw.decode("utf-8", "replace").strip()
        if "://" in line and (url := _accepted(line, base, seen, keep)):
            pages.append(url)
    return pages


def _xml_sitemap(
    stream: IO[bytes], base: str, limit: int, keep: Callable[[str], bool] | None
) -> SitemapRead:
    pages: list[str] = []
    children: list[str] = []
    seen: set[str] = set()
    root: Any = None
    try:
        for event, el in xml_iterparse(stream, events=("start", "end")):
            if root is None:
                root = el
                if _local(el.tag) not in ("urlset", "sitemapindex"):
                    break
                continue
            name = _local(el.tag)
            if event != "end" or name not in ("url", "sitemap"):
                continue
            url = _accepted(_child_text(el, "loc"), base, seen, keep)
            root.clear()  # keep nothing read behind us (the root's tag stays)
            if url is None:
                continue
            if name == "url" and _local(root.tag) == "urlset":
                pages.append(url)
                if len(pages) >= limit:
                    break
            elif name == "sitemap" and _local(root.tag) == "sitemapindex":
                children.append(url)
                if len(children) >= MAX_CHILD_SITEMAPS:
                    break
    except (ParseError, DefusedXmlException, ValueError) as exc:
        log.info("unreadable XML (%s); kept the %d entries before it", exc, len(pages + children))
    return SitemapRead(pages, children)


def parse_sitemap(data: bytes, base: str) -> list[str]:
    """Page URLs of a sitemap (XML urlset, gzipped or not, or a text sitemap); [] for a
    sitemap index (see `parse_sitemap_index`) or unreadable data."""
    return read_sitemap(data, base).pages


def parse_sitemap_index(data: bytes, base: str) -> list[str]:
    """The child sitemap URLs of a sitemap index (at most MAX_CHILD_SITEMAPS); [] for
    anything else."""
    return read_sitemap(data, base).sitemaps


def _iso_date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text).isoformat()  # RSS: RFC 822 dates
    except (TypeError, ValueError, IndexError):
        return text  # Atom and dc:date are ISO 8601 already


def _entry(el: Any, base: str, atom: bool) -> FeedEntry | None:
    if atom:
        links = [ln for ln in _children(el, "link") if ln.get("rel") in (None, "alternate")]
        raw = links[0].get("href") if links else None
        date = _child_text(el, "published", "updated")
    else:
        raw = _child_text(el, "link")
        guid = next(_children(el, "guid"), None)
        if raw is None and guid is not None and guid.get("isPermaLink") != "false":
            raw = _child_text(el, "guid")
        raw = raw or el.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        date = _child_text(el, "pubdate", "date", "published", "updated")
    urls = _web_urls([raw], base)
    return FeedEntry(urls[0], _child_text(el, "title"), _iso_date(date)) if urls else None


def parse_feed(data: bytes, base: str) -> list[FeedEntry]:
    """(url, title, date) of each item of an RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    root = _xml_root(data)
    if root is None:
        return []
    atom = _local(root.tag) == "feed"
    name = "entry" if atom else "item"
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for el in root.iter():
        if _local(el.tag) == name:
            entry = _entry(el, base, atom)
            if entry is not None and entry.url not in seen:
                seen.add(entry.url)
                entries.append(entry)
    return entries
