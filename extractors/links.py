"""The links of a listing page a crawl follows: its pager (the next pages of the list) and,
where asked, its items' detail pages. Pure: a page in, normalised URLs out.

The crawl reads the pager in the tree its extraction parsed (`core.read_page`), and takes
detail pages from the extracted items' own links, so menus and sidebars that merely look like
lists are never followed; `find_follow_links(..., details=True)` finds detail links in the
markup alone, for a page read without extraction.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extractors.errors import ExtractionError
from extractors.html import decode, parse
from extractors.urls import in_scope, normalise_url, site_of

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


@dataclass(frozen=True, slots=True)
class FollowLinks:
    next_pages: list[str] = field(default_factory=list)  # pagination, best guesses first
    detail_links: list[str] = field(default_factory=list)  # item pages, in document order


# -- HTML -------------------------------------------------------------------------------------


def _parse_html(html: bytes | str | HtmlElement, page_url: str) -> HtmlElement | None:
    if isinstance(html, HtmlElement):
        return html.getroottree().getroot()
    try:
        return parse(decode(html, page_url))  # the one decoder: hrefs with Lithuanian letters
    except ExtractionError:
        return None  # binary data has no links


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
    html: bytes | str | HtmlElement,
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
    root = _parse_html(html, page_url)
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
