"""Which pages to fetch next: pagination and item detail links of a listing page, sitemaps and
RSS/Atom feeds. Pure functions: bytes in, normalised URLs out.

Pages are parsed once with lxml.html (BeautifulSoup is too slow to run on every page); XML
with defusedxml, so a hostile sitemap cannot expand entities or reach the network.
"""

from __future__ import annotations

import email.utils
import gzip
import io
import logging
import re
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import lxml.etree
import lxml.html
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as xml_fromstring
from defusedxml.ElementTree import iterparse as xml_iterparse
from w3lib.encoding import html_to_unicode

from extractors.urls import in_scope, normalise_url, site_of

log = logging.getLogger(__name__)

# links to these are files, not pages
_FILE_TYPES = (
    "pdf doc docx xls xlsx ppt pptx odt ods odp rtf csv zip rar 7z gz tgz exe dmg apk",
    "jpg jpeg png gif svg webp bmp ico tif tiff mp3 mp4 avi mov wmv webm",
    "ics xml rss json js css woff woff2",
)
SKIP_EXTENSIONS = frozenset(f".{ext}" for line in _FILE_TYPES for ext in line.split())
_NEXT_WORDS = frozenset(
    {"next", "next page", "kitas", "kitas puslapis", "toliau", "sekantis", "sekantis puslapis"}
)
_ARROWS = "›»→>≫⟩"
_READ_MORE = re.compile(
    r"^(read more|more|more about\b.*|learn more|find out more|continue reading|details|"
    r"more info(rmation)?|skaityti daugiau|skaityti|daugiau|plačiau|išsamiau|sužinokite daugiau)$"
)
_ITEM_CLASS = re.compile(
    r"(?:^|[-_])(views-row|item|card|teaser|post|entry|article|news|event|result|node|media)"
    r"(?:$|[-_\d])"
)
_CHROME_TOKENS = frozenset(
    {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "cookie", "cookies",
     "consent", "gdpr", "share", "sharing", "social", "skip", "sidebar", "toolbar"}
)  # fmt: skip
_CHROME_TAGS = frozenset({"nav", "aside", "form", "script", "noscript", "template"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_LOCAL_CHROME_TAGS = frozenset({"header", "footer"})  # chrome unless inside an item
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_PAGE_PARAM = re.compile(r"(?:^|[?&;])(?:page|psl|p|pg|puslapis|start|offset)=\d+|/page/\d+", re.I)
_MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit
SITEMAP_MAX_URLS = 50_000  # the protocol's limit of one sitemap, when the caller sets none
MAX_CHILD_SITEMAPS = 50  # of one sitemap index: a site's map, not a crawl of its own


@dataclass(frozen=True, slots=True)
class FollowLinks:
    next_pages: list[str] = field(default_factory=list)  # pagination, best guesses first
    detail_links: list[str] = field(default_factory=list)  # item pages, in document order


class FeedEntry(NamedTuple):
    url: str
    title: str | None
    date: str | None  # ISO 8601 when the feed's date could be read, else as written


# -- HTML -------------------------------------------------------------------------------------


def _parse_html(html: bytes | str | lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    if isinstance(html, lxml.html.HtmlElement):
        return html.getroottree().getroot()
    if isinstance(html, bytes):
        # BOM, then <meta charset>, then utf-8: hrefs with Lithuanian letters stay right
        html = html_to_unicode(None, html)[1]
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)  # lxml refuses str with an encoding decl
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None  # an empty or unreadable page has no links


def _tokens(el: Any) -> set[str]:
    """Lowercased words of an element's class and id (`pager__item--next` -> pager, item, next)."""
    text = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return {t for t in re.split(r"[\s_-]+", text) if t}


def _text(el: Any) -> str:
    # most links hold their text alone: read it without text_content()'s XPath call (a
    # listing's menus have hundreds of links, each asked whether it is a pager link)
    raw = el.text_content() if len(el) else el.text or ""
    return " ".join(raw.split()).lower()


def _is_chrome(el: Any) -> bool:
    if el.tag in _CHROME_TAGS or (el.get("role") or "").lower() in _CHROME_ROLES:
        return True
    return bool(_tokens(el) & _CHROME_TOKENS)


def _is_item(el: Any) -> bool:
    if el.tag in {"article", "li", "tr"}:
        return True
    classes = (el.get("class") or "").lower().split()
    return el.tag in {"div", "section", "dd"} and any(_ITEM_CLASS.search(c) for c in classes)


class _Siblings:
    """How many children of each parent share a (tag, first class) signature; counted once
    per parent, so a listing of thousands of rows stays linear."""

    def __init__(self) -> None:
        self._counts: dict[Any, dict[tuple[str, str], int]] = {}

    @staticmethod
    def _signature(el: Any) -> tuple[str, str]:
        classes = (el.get("class") or "").split() if isinstance(el.tag, str) else []
        return (str(el.tag), classes[0] if classes else "")

    def repeated(self, el: Any) -> bool:
        parent = el.getparent()
        if parent is None:
            return False
        counts = self._counts.get(parent)
        if counts is None:
            counts = {}
            for child in parent:
                sig = self._signature(child)
                counts[sig] = counts.get(sig, 0) + 1
            self._counts[parent] = counts  # the key keeps lxml's proxy (and identity) alive
        return counts.get(self._signature(el), 0) >= 2


def _wraps_heading(a: Any) -> bool:
    return any(el.tag in _HEADINGS for el in a.iterdescendants())


def _item_of(a: Any, siblings: _Siblings) -> Any | None:
    """The repeated list item holding link `a` (or `a` itself, a card wrapping a heading), or
    None when `a` is in page chrome or in no item. A <header>/<footer> inside an item is the
    item's own, not the page's."""
    item = a if _wraps_heading(a) and siblings.repeated(a) else None
    pending = False  # a header/footer met below any item: page chrome unless an item holds it
    for el in a.iterancestors():
        if not isinstance(el.tag, str) or el.tag in {"body", "html"}:
            break
        if _is_chrome(el):
            return None
        if el.tag in _LOCAL_CHROME_TAGS or _tokens(el) & {"header", "footer"}:
            if item is not None:
                return None  # the whole list sits in the page header or footer
            pending = True
        elif item is None and _is_item(el) and siblings.repeated(el):
            item, pending = el, False
    return None if pending else item


def _is_title_link(a: Any, item: Any) -> bool:
    if any(el.tag in _HEADINGS for el in a.iterancestors()) or _wraps_heading(a):
        return True
    if _tokens(a) & {"title", "heading", "headline"}:
        return True
    parent = a.getparent()
    if parent is not None and _tokens(parent) & {"title", "heading", "headline"}:
        return True
    has_heading = any(el.tag in _HEADINGS for el in item.iterdescendants())
    first = next(item.iter("a"), None)
    # a plain `<li><a>Title of the news</a> 2024-01-02</li>` list: the first, wordy link
    return not has_heading and first is a and len(_text(a).split()) >= 2


def _is_read_more(a: Any) -> bool:
    label = (_text(a) or (a.get("aria-label") or "").lower()).strip(_ARROWS + " .…:")
    return bool(_READ_MORE.match(label)) or bool(_tokens(a) & {"readmore", "more"})


def _in_pager(a: Any) -> bool:
    for el in a.iterancestors():
        if not isinstance(el.tag, str):
            continue
        label = (el.get("aria-label") or "").lower()
        if any(t.startswith(("pag", "paging")) for t in _tokens(el)) or "pag" in label:
            return True
        if "puslap" in label:
            return True
    return False


def _is_next(a: Any, text: str) -> bool:
    """Whether link `a`, whose `_text` is `text`, says "next page"."""
    rel = (a.get("rel") or "").lower().split()
    if "next" in rel:
        return True
    bare = " ".join(text.strip(_ARROWS + " ").split())
    if bare in _NEXT_WORDS or (text and not text.strip(_ARROWS + " ")):
        return not text.startswith("last") and "«" not in text
    label = f"{a.get('aria-label') or ''} {a.get('title') or ''}".lower()
    if ("next" in label or "kitas" in label) and re.search(r"\bnext\b|kitas", label):
        return True
    parent = a.getparent()
    return _says_next(a) or (parent is not None and _says_next(parent))


def _says_next(el: Any) -> bool:
    """Whether "next" is one of the element's class or id words; the substring test first
    spares splitting the names of the many elements without it."""
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return "next" in names.lower() and "next" in _tokens(el)


def _numbered(text: str) -> bool:
    """Whether a link's text is a page number ("2", "17")."""
    return text.isdigit() and len(text) <= 4


def _may_paginate(a: Any, text: str) -> bool:
    """Whether `a` (its `_text` is `text`) can be a pager link, before its URL is resolved: a
    "next" link or a page number (resolving every menu and item link was most of a listing's
    link scan)."""
    return _numbered(text) or _is_next(a, text)


def _page_number(a: Any, href: str, text: str) -> bool:
    return _numbered(text) and (_in_pager(a) or bool(_PAGE_PARAM.search(href)))


def _candidate(href: str | None, base: str, page: str, hosts: Collection[str]) -> str | None:
    """The normalised in-scope page URL `href` points to, or None."""
    if not href or href.strip().startswith("#"):
        return None
    try:
        url = normalise_url(href, base)
    except ValueError:
        return None
    path = urlsplit(url).path.lower()
    if url == page or not in_scope(url, hosts) or path.endswith(tuple(SKIP_EXTENSIONS)):
        return None
    return url


def _base_url(root: Any, page_url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href:
            try:
                return normalise_url(href, page_url)
            except ValueError:
                break
    return page_url


def find_follow_links(
    html: bytes | str | lxml.html.HtmlElement,
    page_url: str,
    hosts: Collection[str] = (),
    *,
    details: bool = True,
) -> FollowLinks:
    """Pagination and item detail links of a listing page, within `hosts` (empty: the page's
    own site, its host on its port). Detail links are the title and "Read more" links of
    repeated items (article, li, views-row, cards); links in nav, header, footer, aside and
    cookie banners, files, mailto:, tel:, javascript: and other hosts are left out.

    details=False finds the pagination alone (the crawl takes detail links from the extracted
    items): the other links of the page, menus and items, are then never resolved."""
    root = _parse_html(html)
    if root is None:
        return FollowLinks()
    hosts = hosts or {site_of(page_url)}
    page = normalise_url(page_url)
    base = _base_url(root, page_url)
    next_pages: dict[str, None] = {}
    numbered: dict[str, None] = {}
    detail_urls: dict[str, None] = {}
    siblings = _Siblings()
    for link in root.iter("link"):
        if "next" in (link.get("rel") or "").lower().split():
            url = _candidate(link.get("href"), base, page, hosts)
            if url:
                next_pages[url] = None
    for a in root.iter("a"):
        text = _text(a)  # read once: the pager tests below all ask for it
        if not details and not _may_paginate(a, text):
            continue
        url = _candidate(a.get("href"), base, page, hosts)
        if url is None or "prev" in (a.get("rel") or "").lower():
            continue
        if _is_next(a, text) and not _in_header(a):
            next_pages[url] = None
        elif _page_number(a, url, text):
            numbered[url] = None
        elif details:
            item = _item_of(a, siblings)
            if item is not None and (_is_title_link(a, item) or _is_read_more(a)):
                detail_urls[url] = None
    pages = list(next_pages) + [u for u in numbered if u not in next_pages]
    return FollowLinks(pages, [u for u in detail_urls if u not in next_pages and u not in numbered])


def _in_header(a: Any) -> bool:
    """A "next" link in the page header or a cookie banner is a slider or a consent step."""
    for el in a.iterancestors():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "header" or (el.get("role") or "") == "banner" or _tokens(el) & {"cookie"}:
            return True
    return False


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
