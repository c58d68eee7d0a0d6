"""Article pages: main text (trafilatura), publication date (htmldate) and the page title.

Both libraries get the tree parsed once in `html.parse`; each copies it before its own
cleaning, so the shared tree stays intact for the other extractors.
"""

from __future__ import annotations

import html
import logging
from copy import deepcopy

from lxml.html import HtmlElement

from extractors.dates import DateSpan, is_date_like, parse_date
from extractors.html import in_boilerplate, iter_elements, lines, norm, text_of
from extractors.registry import Found, Page, extractor
from extractors.structured import machine_date, structured
from extractors.xpaths import (
    DATE_CLASS_RE,
    FURNITURE_CANDIDATES,
    MODIFIED_RE,
    SIDEBAR_RE,
    STRAY_FURNITURE_RE,
    TITLE_SEPARATORS,
)

TRAFILATURA_MAX_CHARS = 2_000_000  # larger pages get the plain text of <main> instead
MAX_TITLE = 300  # characters; a longer <h1> is a paragraph styled as a heading
TITLE_AGREEMENT = 0.5  # share of a metadata title an <h1> must be to count as the headline
BYLINE_MAX = 40  # characters; a longer line holding a date is a sentence
DATE_WINDOW_AFTER = 40  # elements after the <h1> searched for the byline date
DATE_WINDOW_BEFORE = 12  # ... and before it (a date line above the headline)

# trafilatura and htmldate log every discarded page at WARNING/ERROR; a crawl of many pages
# would drown in them, and an empty text is already the signal.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@extractor("article")
def article(page: Page) -> Found:
    """An article page carries no list records: its text, title and date are page fields."""
    return Found()


def main_text(page: Page) -> str:
    """The page's main text, one block per line (trafilatura, default balanced settings).

    Settings chosen by `python -m extractors.evaluate` on the trafilatura benchmark: the
    default mode (with its recall retry) scored F1 0.926 there, favor_precision 0.922 and
    fast 0.920. Comments are not main text (design.md).
    """
    return page.memo("main_text", _main_text)


def _main_text(page: Page) -> str:
    import trafilatura

    if len(page.html) > TRAFILATURA_MAX_CHARS:
        return _plain_text(page)
    try:
        text = trafilatura.extract(_prepared(page.tree), url=page.url,
                                   include_comments=False, include_tables=True,
                                   deduplicate=False)
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError):
        # deeply nested or malformed trees trip trafilatura's recursive helpers
        return ""
    furniture = _furniture_lines(page)
    return "\n".join(line for line in (norm(raw) for raw in (text or "").splitlines())
                     if line and line not in furniture and not _byline(line))


def _byline(line: str) -> bool:
    """A line that is only a date (a byline or dateline trafilatura kept) is not main text."""
    return len(line) <= BYLINE_MAX and is_date_like(line.strip(" |·•-–—,"))


def _plain_text(page: Page) -> str:
    """The text of <main> / <article> / the body, furniture left out: for pages too big for
    trafilatura (its cost grows faster than the page: a 10 MB page takes about a minute)."""
    tree = page.tree
    root = next((el for el in tree.iter("main", "article")), None)
    root = root if root is not None else tree.find("body")
    if root is None:
        return ""
    furniture = {el for el in iter_elements(root) if el is not root and page.furniture(el)}
    return "\n".join(lines(root, exclude=furniture))


def _furniture_lines(page: Page) -> set[str]:
    """Lines of page furniture, removed from trafilatura's text when they stand alone there.

    Only the furniture trafilatura's recall retry brings back on short pages (cookie banners,
    newsletter boxes, menus, footers). Not pruned from the tree before trafilatura, and not
    every kind of furniture: on the benchmark both cost F1 (class names mislead: a "share" or
    "sidebar_right" wrapper may hold the article). Whole lines only.
    """
    out: set[str] = set()
    for el in FURNITURE_CANDIDATES(page.tree):
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if (el.tag in ("nav", "footer") or (el.get("role") or "") in ("dialog", "navigation")
                or STRAY_FURNITURE_RE.search(names)
                or (SIDEBAR_RE.search(names) and not _holds_content(el))) and page.furniture(el):
            out.update(lines(el))
    return out


def _holds_content(el: HtmlElement) -> bool:
    """A "sidebar-right" layout wrapper holds the article; a real sidebar holds none of it."""
    return next(el.iter("h1", "article", "main"), None) is not None


def _prepared(tree: HtmlElement) -> HtmlElement:
    """The tree for trafilatura: with layout tables unwrapped (in a copy) when it has any.

    Old sites lay out the whole page as one table (menu cell, content cell, footer row);
    trafilatura keeps tables as data and returns menu and footer with the text, so a table
    that holds another table or a heading becomes plain blocks.
    """
    if not any(_is_layout(t) for t in tree.iter("table")):
        return tree
    copied = deepcopy(tree)
    layout = [t for t in copied.iter("table") if _is_layout(t)]
    # the rows and cells of each layout table itself, not of a data table nested in it
    owned = [el for t in layout for el in t.iter("thead", "tbody", "tfoot", "tr", "td", "th")
             if next(el.iterancestors("table"), None) is t]
    for el in [*layout, *owned]:
        el.tag = "div"
    return copied


def _is_layout(table: HtmlElement) -> bool:
    return table.find(".//table") is not None or any(
        table.find(f".//{h}") is not None for h in ("h1", "h2", "h3"))


def page_date(page: Page) -> str | None:
    """The publication date of an article, at the day (None when the page gives none).

    1. a `<time>` or date-classed element next to the <h1>, read with our date parser (it
    knows "July 18 d., 2017", which htmldate does not); 2. htmldate (`original_date=True`: the
    first publication, not the last edit; extensive search), except a 1 January it reports
    when all it found was a bare year (a "© 2017" footer); 3. schema.org datePublished.
    Measured on the htmldate benchmark (`make eval`): this order beats htmldate alone, and
    schema.org first loses (its UTC timestamps often fall on the next day).
    """
    own = _date_by_title(page)
    if own:
        return own
    from htmldate import find_date

    try:
        found = find_date(page.tree, extensive_search=True, original_date=True, url=page.url)
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError):
        found = None
    if found and not (found.endswith("-01-01") and found not in page.html):
        return found
    return structured(page).date


def _date_by_title(page: Page) -> str | None:
    """A date element shortly after the title (bylines sit there), else shortly before it."""
    tree = page.tree
    body = tree.find("body")
    elements = list(iter_elements(body if body is not None else tree))
    h1 = next((i for i, el in enumerate(elements) if el.tag == "h1" and text_of(el)
               and not in_boilerplate(el, page.furniture)), None)
    if h1 is None:
        return None
    after = elements[h1 + 1: h1 + 1 + DATE_WINDOW_AFTER]
    before = reversed(elements[max(0, h1 - DATE_WINDOW_BEFORE): h1])
    for el in (*after, *before):
        span = _element_date(el)
        if span is not None and len(span.start) >= 10:
            return span.start[:10]
    return None


def _element_date(el: HtmlElement) -> DateSpan | None:
    attrs = f"{el.get('class') or ''} {el.get('itemprop') or ''}"
    if el.tag != "time" and not (DATE_CLASS_RE.search(attrs) and not MODIFIED_RE.search(attrs)):
        return None
    text = text_of(el)
    if len(text) > 100:
        return None
    return machine_date(el.get("datetime") or el.get("content")) or (
        parse_date(text) if text else None)


def page_title(page: Page) -> str | None:
    """The page's title: schema.org headline, og:title, the one <h1>, else <title> trimmed."""
    return page.memo("title", _title)


def _title(page: Page) -> str | None:
    """The headline: the <h1> that the metadata titles agree with, else a lone <h1>, else the
    schema.org headline / og:title / <title> without the site name.

    The <h1> first because metadata titles carry the site name or an SEO variant; but only
    the one the metadata agrees with, because the first <h1> is often the site's logo.
    """
    tree = page.tree
    refs = [r for r in (structured(page).title, _meta(tree, "og:title"),
                        norm(tree.findtext(".//title"))) if r]
    heads = [h for h in (text_of(el) for el in tree.iter("h1")) if h and len(h) <= MAX_TITLE]
    best, best_score = None, TITLE_AGREEMENT
    for head in heads:
        score = max((_agreement(head, ref) for ref in refs), default=0.0)
        if score > best_score:
            best, best_score = head, score
    if best:
        return best
    if len(heads) == 1 and not _meta(tree, "og:title"):
        return heads[0]
    site = _meta(tree, "og:site_name")
    return next((_trim_site_name(r, site) for r in refs), heads[0] if heads else None)


def _agreement(head: str, ref: str) -> float:
    """How much of a metadata title an <h1> is (1.0 equal, 0 unrelated)."""
    h, r = head.casefold(), ref.casefold()
    if h == r:
        return 1.0
    if h in r or r in h:
        return min(len(h), len(r)) / max(len(h), len(r))
    return 0.0


def _meta(tree: HtmlElement, name: str) -> str | None:
    for meta in tree.iter("meta"):
        if name in (meta.get("property"), meta.get("name")):
            # some sites escape entities twice ("&amp;#8216;")
            return norm(html.unescape(meta.get("content") or "")) or None
    return None


def _trim_site_name(title: str, site: str | None) -> str:
    """"Article | Site" -> "Article": drop the part naming the site, else the shortest end."""
    parts = [p for p in TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if site:
        kept = [p for p in parts if p.casefold() != site.casefold()]
        if kept and len(kept) < len(parts):
            return " - ".join(kept) if len(kept) > 1 else kept[0]
    # sites put their name at one end; the longer end is the headline
    return parts[0] if len(parts[0]) >= len(parts[-1]) else parts[-1]
