"""Which pages to fetch next beyond a source's pages: the entries of sitemaps and RSS/Atom
feeds. Pure functions: bytes in, normalised URLs out. (A listing page's own pager and detail
links are read with the page: `extractors.links`.)

XML is parsed with defusedxml, so a hostile sitemap cannot expand entities or reach the network.
"""

from __future__ import annotations

import email.utils
import logging
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as xml_fromstring

from extractors.urls import normalise_url

log = logging.getLogger(__name__)

class FeedEntry(NamedTuple):
    url: str
    title: str | None
    date: str | None  # ISO 8601 when the feed's date could be read, else as written


_MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit


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


def _sitemap_locs(data: bytes, base: str, container: str) -> list[str]:
    root = _xml_root(data)
    if root is None:
        if container == "url" and data[:2] != b"\x1f\x8b" and b"<" not in data[:200]:
            lines = data.decode("utf-8", "replace").splitlines()  # a text sitemap
            return _web_urls((ln.strip() for ln in lines if "://" in ln), base)
        return []
    wanted = "urlset" if container == "url" else "sitemapindex"
    if _local(root.tag) != wanted:
        return []
    return _web_urls((_child_text(el, "loc") for el in _children(root, container)), base)


def parse_sitemap(data: bytes, base: str) -> list[str]:
    """Page URLs of a sitemap (XML urlset, gzipped or not, or a text sitemap); [] for a
    sitemap index (see `parse_sitemap_index`) or unreadable data."""
    return _sitemap_locs(data, base, "url")


def parse_sitemap_index(data: bytes, base: str) -> list[str]:
    """The child sitemap URLs of a sitemap index; [] for anything else."""
    return _sitemap_locs(data, base, "sitemap")


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
