"""Article pages: main text (trafilatura), publication date (htmldate) and the page title.

Both libraries get the tree parsed once in `html.parse`; each copies it before its own
cleaning, so the shared tree stays intact for the other extractors. trafilatura reads a copy
of the content container alone when the page has a clear one (container.py).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from copy import copy, deepcopy
from itertools import chain, islice
from typing import Any

from lxml.html import HtmlElement

from extractors.container import content_container, narrowed_tree
from extractors.dates import DateSpan, is_date_like, parse_date
from extractors.furniture import furniture_lines
from extractors.html import in_boilerplate, iter_elements, lines, norm, text_of
from extractors.registry import Found, Page, extractor
from extractors.structured import machine_date, structured
from extractors.xpaths import (
    DATE_CLASS_RE,
    MODIFIED_RE,
    TITLE_SEPARATORS,
)

TRAFILATURA_MAX_CHARS = 2_000_000  # larger pages get the plain text of <main> instead
MAX_TITLE = 300  # characters; a longer <h1> is a paragraph styled as a heading
TITLE_AGREEMENT = 0.5  # share of a metadata title an <h1> must be to count as the headline
BYLINE_MAX = 40  # characters; a longer line holding a date is a sentence
DATE_WINDOW_AFTER = 40  # elements after the <h1> searched for the byline date
DATE_WINDOW_BEFORE = 12  # ... and before it (a date line above the headline)
_OPTIONS: Any = None  # trafilatura's Extractor, built on first use (`_options`)

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

    Settings chosen by `python -m evaluation` on the trafilatura benchmark: the
    default mode (with its recall retry) scored F1 0.926 there, favor_precision 0.922 and
    fast 0.920. Comments are not main text (design.md).
    """
    return page.memo("main_text", _main_text)


def _main_text(page: Page) -> str:
    if len(page.html) > TRAFILATURA_MAX_CHARS:
        return _plain_text(page)
    container = content_container(page.tree, page.html)
    narrowed = narrowed_tree(container) if container is not None else None
    text = _trafilatura(page, narrowed) if narrowed is not None else ""
    if not text:
        # nothing read in the container: trafilatura's rescues (wild text, baseline) need the
        # whole page
        text = _trafilatura(page, None)
    kept = [line for line in (norm(raw) for raw in text.splitlines()) if line]
    furniture = furniture_lines(page, set(kept), container)
    return "\n".join(line for line in kept if line not in furniture and not _byline(line))


def _trafilatura(page: Page, narrowed: HtmlElement | None) -> str:
    """trafilatura's text of the narrowed tree (a copy), else of the whole page."""
    import trafilatura

    try:
        tree = _unwrap_layout_tables(narrowed) if narrowed is not None else _prepared(page.tree)
        return trafilatura.extract(tree, options=_options(page.url)) or ""
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError):
        # deeply nested or malformed trees trip trafilatura's recursive helpers
        return ""


def _options(url: str) -> Any:
    """trafilatura's settings for one page: a copy of one built once (building reads its config
    file each time, a tenth of a millisecond)."""
    global _OPTIONS
    if _OPTIONS is None:
        from trafilatura.settings import Extractor

        _OPTIONS = Extractor(output_format="txt", comments=False, tables=True, dedup=False)
    options = copy(_OPTIONS)
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


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


def _prepared(tree: HtmlElement) -> HtmlElement:
    """The tree for trafilatura: with layout tables unwrapped (in a copy) when it has any."""
    if not any(_is_layout(t) for t in tree.iter("table")):
        return tree
    return _unwrap_layout_tables(deepcopy(tree))


def _unwrap_layout_tables(tree: HtmlElement) -> HtmlElement:
    """Layout tables turned into plain blocks, in place (`tree` is a copy).

    Old sites lay out the whole page as one table (menu cell, content cell, footer row);
    trafilatura keeps tables as data and returns menu and footer with the text, so a table
    that holds another table or a heading becomes plain blocks.
    """
    layout = [t for t in tree.iter("table") if _is_layout(t)]
    # the rows and cells of each layout table itself, not of a data table nested in it
    owned = [el for t in layout for el in t.iter("thead", "tbody", "tfoot", "tr", "td", "th")
             if next(el.iterancestors("table"), None) is t]
    for el in [*layout, *owned]:
        el.tag = "div"
    return tree


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
    base = body if body is not None else tree
    h1 = next((el for el in base.iter("h1") if text_of(el)
               and not in_boilerplate(el, page.furniture)), None)
    if h1 is None:
        return None
    after = islice(_following(h1, base), DATE_WINDOW_AFTER)
    before = islice(_preceding(h1, base), DATE_WINDOW_BEFORE)
    for el in chain(after, before):
        span = _element_date(el)
        if span is not None and len(span.start) >= 10:
            return span.start[:10]
    return None


# The elements after / before one inside `base`, nearest first, made one at a time: listing
# all of the page's elements to take a few of them cost a millisecond a page.
def _following(el: HtmlElement, base: HtmlElement) -> Iterator[HtmlElement]:
    """In document order: the element's descendants, then what follows it and its ancestors."""
    descendants = iter_elements(el)
    next(descendants)  # the element itself
    yield from descendants
    node: HtmlElement | None = el
    while node is not None and node is not base:
        for sibling in node.itersiblings():
            yield from iter_elements(sibling)
        node = node.getparent()


def _preceding(el: HtmlElement, base: HtmlElement) -> Iterator[HtmlElement]:
    """In reverse document order: what precedes the element, its ancestors up to `base`."""
    node: HtmlElement | None = el
    while node is not None and node is not base:
        for sibling in node.itersiblings(preceding=True):
            yield from _reversed_subtree(sibling)
        node = node.getparent()
        if node is not None:
            yield node


def _reversed_subtree(el: HtmlElement) -> Iterator[HtmlElement]:
    """The subtree's elements in reverse document order (last descendant first, `el` last)."""
    stack: list[tuple[HtmlElement, bool]] = [(el, False)]
    while stack:
        node, expanded = stack.pop()
        if not isinstance(node.tag, str):
            continue
        if expanded:
            yield node
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node)


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
    og_title = _meta(tree, "og:title")  # read once: each look walks the whole page
    refs = [r for r in (structured(page).title, og_title, norm(tree.findtext(".//title"))) if r]
    heads = [h for h in (text_of(el) for el in tree.iter("h1")) if h and len(h) <= MAX_TITLE]
    best, best_score = None, TITLE_AGREEMENT
    for head in heads:
        score = max((_agreement(head, ref) for ref in refs), default=0.0)
        if score > best_score:
            best, best_score = head, score
    if best:
        return best
    if len(heads) == 1 and not og_title:
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
