"""Bytes in, one parsed lxml tree out; plus the small tree-reading helpers every extractor uses.

A page is decoded and parsed exactly once here. The helpers never modify the tree: extractors
share it, and trafilatura / htmldate copy it before their own cleaning.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import lxml.etree as etree
import lxml.html
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from extractors.errors import ExtractionError
from extractors.text import normalise_ws
from extractors.urls import normalise_url
from extractors.xpaths import (
    BINARY_MAGIC,
    BLOCK_TAGS,
    BOILERPLATE_TAGS,
    BOILERPLATE_TOKEN_RE,
    CONTENT_TAGS,
    FURNITURE_MAX_SHARE,
    HAS_BLOCK,
    LINE_BREAK_TAGS,
    SKIP_TAGS,
)

# The parser is reused (lxml parsers are cheap to reuse, not thread-safe; extraction runs one
# page per process at a time). huge_tree: without it libxml2 silently drops everything below
# depth 256, which loses the content of real pages with many unclosed tags.
_PARSER = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
# Shift_JIS pages are read as Windows-31J (cp932: it has the NEC and IBM characters real pages
# use), whose mapping turns six JIS X 0208 symbols into look-alikes; these are put back as JIS
# and Unicode's own mapping reads them (WAVE DASH, not FULLWIDTH TILDE), as EUC-JP pages and
# most other tools read the same text, so one title compares equal whoever wrote it down
_JIS_CHARACTERS = str.maketrans({"\uff5e": "\u301c", "\u2225": "\u2016", "\uff0d": "\u2212",
                                 "\uffe0": "\u00a2", "\uffe1": "\u00a3", "\uffe2": "\u00ac"})
# cp1257 bytes of ĄČĘĖĮŠŲŪŽ and ąčęėįšųūž: the fallback decoder's evidence for Lithuanian
_CP1257_LT = frozenset(b"\xc0\xc8\xc6\xcb\xc1\xd0\xd8\xdb\xde\xe0\xe8\xe6\xeb\xe1\xf0\xf8\xfb\xfe")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# every byte but the control characters (below 9 and 14-31): deleting them leaves those
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))
# codecs (by codecs.lookup name) in which only the byte 0 decodes to U+0000
_NUL_ONLY_FROM_NUL = frozenset({"utf-8", "ascii", "cp1250", "cp1251", "cp1252", "cp1257",
                                "iso8859-1", "iso8859-2", "iso8859-4", "iso8859-13",
                                "iso8859-15", "koi8-r"})


def norm(text: str | None) -> str:
    """Whitespace-normalise: runs of whitespace (including NBSP) become one space, stripped.

    The extractors' most called helper; `text.normalise_ws` does the work.
    """
    return normalise_ws(text) if text else ""


def decode(html: bytes | str, url: str, content_type: str | None = None) -> str:
    """Page bytes as text: the one decoder of every reading of a page (crawl, reprocess,
    extract), so the same bytes always read the same.

    BOM, else the charset of the HTTP Content-Type (`content_type`, as the server sent it),
    else a <meta> charset, else UTF-8, else detection (`_guess_encoding`); the legacy Latin-1
    labels read as windows-1252, as browsers do (WHATWG). Stray bad bytes are replaced.
    Binary data (images, PDFs, archives, NUL-filled files) raises ExtractionError naming the
    URL.
    """
    if isinstance(html, str):
        return _clean(html)
    if _looks_binary(html):
        raise ExtractionError(f"{url}: not an HTML page (binary data)")
    return decode_bytes(html, content_type)[1]


def decode_bytes(body: bytes, content_type: str | None) -> tuple[str, str]:
    """(encoding, text) of a body by `decode`'s rules, whatever the bytes are."""
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_guess_encoding)
    if encoding == "cp932":
        text = text.translate(_JIS_CHARACTERS)
    # these codecs make U+0000 of a NUL byte alone: without one the text has none to remove
    nul_free = b"\x00" not in body and _codec(encoding) in _NUL_ONLY_FROM_NUL
    return encoding, _clean(text, nul_free)


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def _guess_encoding(body: bytes) -> str | None:
    """Fallback when neither BOM, header nor <meta> names a charset."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    high = [b for b in body if b >= 0x80]
    # most agency sites without a declaration are Lithuanian in cp1257; short texts fool
    # statistical detectors (they read them as cp1250), so Lithuanian letters decide first
    if high and sum(b in _CP1257_LT for b in high) * 2 >= len(high):
        return "cp1257"
    import charset_normalizer  # requests brings it; imported late: few pages get here

    best = charset_normalizer.from_bytes(body).best()
    return best.encoding if best is not None else "cp1257"


def _clean(text: str, nul_free: bool = False) -> str:
    text = _XML_DECL.sub("", text, count=1)
    # searching a non-Latin-1 text for NUL is slow (CPython's memchr on the low byte stops
    # at every ASCII character's zero high byte): skipped when the bytes had none
    return text if nul_free else text.replace("\x00", "")


def _looks_binary(data: bytes) -> bool:
    head = data[:2048]
    if head.startswith(BINARY_MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    # Text files carry almost no control characters; compressed or image data carries many.
    controls = len(head.translate(None, _NOT_CONTROL))
    return controls > max(4, len(head) // 50)


def parse(text: str) -> HtmlElement | None:
    """Parse decoded HTML once; None for a page without any element (empty or whitespace)."""
    if not text.strip():
        return None
    try:
        root = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return root if isinstance(root, HtmlElement) else None


def absolute_url(href: str | None, base: str) -> str | None:
    """A link resolved against the page URL in the crawler's spelling (`urls.normalise_url`:
    no fragment, no tracking parameters), so an item's URL is the page the crawler fetches.
    None for links that lead nowhere fetchable (`#top`, `javascript:`, `mailto:`)."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        url = normalise_url(href, base)
    except ValueError:
        return None
    return url if urlsplit(url).scheme in ("http", "https", "file") else None


def text_of(el: HtmlElement) -> str:
    """The visible text of an element (scripts and styles left out), whitespace-normalised.

    Blocks inside are separated by a space; without any (a link, a heading, a span: most
    calls) lxml's own text_content is the same and many times faster.
    """
    if not len(el):  # most links: their text is all there is (text_content is an XPath call)
        return norm(el.text)
    if HAS_BLOCK(el):
        return " ".join(lines(el))
    return norm(el.text_content())


def lines(el: HtmlElement, exclude: frozenset[HtmlElement] | set[HtmlElement] = frozenset()
          ) -> list[str]:
    """The element's text as lines: breaks at block elements, table cells and <br>.

    Subtrees in `exclude` are left out (their tail text is kept: it belongs to the parent).

    One view of a block that fits label parsing in every common form: `Label: value` text,
    `<dl>` pairs, table rows and `<div class=label>` / `<div class=value>` pairs all become a
    label line followed by, or containing, its value.
    """
    out: list[str] = []
    buf: list[str] = []
    skipping = False

    def flush() -> None:
        line = norm("".join(buf))
        if line:
            out.append(line)
        buf.clear()

    walk = etree.iterwalk(el, events=("start", "end"))
    for event, node in walk:
        tag = node.tag
        if not isinstance(tag, str):
            tag = ""  # a comment or processing instruction
        if event == "start":
            if tag in SKIP_TAGS or not tag or node in exclude:
                if tag in BLOCK_TAGS and buf:
                    flush()
                skipping = True
                walk.skip_subtree()  # not even walked: the next event is this node's "end"
                continue
            if buf and (tag in BLOCK_TAGS or tag in LINE_BREAK_TAGS):
                flush()
            if node.text:
                buf.append(node.text)
        else:
            if skipping:
                skipping = False
                if node is not el and node.tail:
                    if tag in BLOCK_TAGS and buf:
                        flush()
                    buf.append(node.tail)
                continue
            if tag in BLOCK_TAGS or tag in LINE_BREAK_TAGS:
                if buf:
                    flush()
            elif tag in ("td", "th"):
                buf.append(" ")
            if node is not el and node.tail:
                buf.append(node.tail)
    flush()
    return out


def is_boilerplate(el: HtmlElement) -> bool:
    """Navigation, header, footer, sidebar, cookie banner by tag, role or class (cheap test).

    Callers that may meet a whole-page wrapper use `furniture_test`, which adds a size guard.
    """
    if el.tag in BOILERPLATE_TAGS:
        return True
    role = (el.get("role") or "").lower()
    if role in ("navigation", "banner", "contentinfo", "complementary", "search", "dialog"):
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}".split()
    return any(BOILERPLATE_TOKEN_RE.match(name) for name in names)


def furniture_test(root: HtmlElement) -> Callable[[HtmlElement], bool]:
    """A test for page furniture below `root`: boilerplate by `is_boilerplate`, and small.

    An item's own <header>/<footer> inside an <article> is content (its title, its byline).
    """
    # the size limit reads the whole page's text: only an element boilerplate by class name
    # alone needs it, and most pages ask about none (an article's headline ancestors)
    limit: list[float] = []

    def test(el: HtmlElement) -> bool:
        if el.tag in ("html", "body", "main", "article") or not is_boilerplate(el):
            return False
        if el.tag in ("header", "footer") and any(
                a.tag in CONTENT_TAGS for a in el.iterancestors()):
            return False
        if el.tag in ("nav", "aside", "footer", "menu") or el.get("role"):
            return True  # the markup says so; only class names need the size check
        if not limit:
            limit.append(FURNITURE_MAX_SHARE * max(1, len(root.text_content())))
        return len(el.text_content()) <= limit[0]

    return test


def in_boilerplate(el: HtmlElement, test: Callable[[HtmlElement], bool] | None = None) -> bool:
    """Whether the element or one of its ancestors (below <body>) is page furniture."""
    if test is None:
        root = el.getroottree().getroot()
        test = furniture_test(root)
    node: HtmlElement | None = el
    while node is not None and node.tag not in ("body", "html"):
        if isinstance(node.tag, str) and test(node):
            return True
        node = node.getparent()
    return False


def iter_elements(el: HtmlElement, *tags: str) -> Iterator[HtmlElement]:
    """Elements below `el` (itself included), comments and processing instructions left out."""
    for node in el.iter(*tags) if tags else el.iter():
        if isinstance(node.tag, str):
            yield node
