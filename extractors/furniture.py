"""Lines of page furniture in trafilatura's text, to be dropped from it.

Only the furniture trafilatura's recall retry brings back on short pages (cookie banners,
newsletter boxes, menus, footers). Not pruned from the tree before trafilatura, and not every
kind of furniture: on the benchmark both cost F1 (class names mislead: a "share" or
"sidebar_right" wrapper may hold the article). Whole lines only.

Reading every furniture block line by line (and finding the blocks) cost more than
trafilatura itself on a narrowed page, so the answer is computed only for trafilatura's lines
and only from the blocks that can hold one of them; the result is the same as reading all.
"""

from __future__ import annotations

from collections.abc import Iterable

import lxml.etree as etree
from lxml.html import HtmlElement

from extractors.html import lines
from extractors.registry import Page
from extractors.xpaths import (
    FURNITURE_NAME_RE,
    FURNITURE_ROLES,
    SIDEBAR_RE,
    SKIP_TAGS,
    STRAY_FURNITURE_RE,
)

# Candidates: <nav>, <footer>, dialog and navigation roles, and class or id names holding one
# of FURNITURE_NAME_RE's words. Found through the attributes: one pass over the attribute
# values costs a fifth of an XPath testing every element's.
_TAGGED = etree.XPath("//nav | //footer")
_NAMES = etree.XPath("//@class | //@id | //@role")
_DOCUMENT_TEXT = etree.XPath("string(/)", smart_strings=False)


def furniture_lines(page: Page, wanted: set[str], container: HtmlElement | None) -> set[str]:
    """The lines of `wanted` that are whole lines of page furniture.

    `container` (an element holding most of the page, see container.py) makes it cheaper: a
    block outside it is read only when one of the wanted lines occurs in the text outside it
    (`_blocks`).
    """
    if not wanted:
        return set()
    squeezed = {line: _squeeze(line) for line in wanted}
    tree = page.tree
    # a broken page can parse into elements beside the root, which root-based reading misses
    if container is None or tree.getnext() is not None or tree.getprevious() is not None:
        blocks: Iterable[tuple[HtmlElement, Iterable[str]]] = (
            (el, wanted) for el in _candidates(tree))
    else:
        blocks = _blocks(tree, container, wanted, squeezed)
    out: set[str] = set()
    for el, maybe in blocks:
        left = [line for line in maybe if line not in out]
        if left and _is_furniture(page, el) and _may_hold(el, [squeezed[ln] for ln in left]):
            out.update(set(left).intersection(lines(el)))
    return out


def _blocks(tree: HtmlElement, container: HtmlElement, wanted: set[str],
            squeezed: dict[str, str]) -> list[tuple[HtmlElement, Iterable[str]]]:
    """Candidate blocks with the wanted lines each may hold: blocks in the container or around
    it, any line; blocks beside it (before or after), only lines whose text occurs outside the
    container, unless a skipped subtree breaks the block's text (see `_may_hold`).

    A line of a block beside the container is, without whitespace, a substring of the page's
    text outside the container; that text holds a line more often than the container does
    (the container's text is one stretch of the page's).
    """
    near = {el: None for el in (*container.iter(), *container.iterancestors())
            if _is_candidate(el)}
    for skipped in tree.iter(*SKIP_TAGS):
        for el in skipped.iterancestors():
            if el is container:
                break
            if _is_candidate(el):
                near[el] = None
    blocks: list[tuple[HtmlElement, Iterable[str]]] = [(el, wanted) for el in near]
    page_text, own_text = _squeeze(_DOCUMENT_TEXT(tree)), _squeeze(container.text_content())
    outside = [line for line in wanted
               if page_text.count(squeezed[line]) > own_text.count(squeezed[line])]
    if outside:
        blocks += [(el, outside) for el in _candidates(tree)]
    return blocks


def _candidates(tree: HtmlElement) -> list[HtmlElement]:
    """Every candidate block in the document, each once, in no particular order."""
    found: dict[HtmlElement, None] = dict.fromkeys(_TAGGED(tree))
    for value in _NAMES(tree):
        if (value in FURNITURE_ROLES if value.attrname == "role"
                else FURNITURE_NAME_RE.search(value)):
            found[value.getparent()] = None
    return list(found)


def _is_candidate(el: HtmlElement) -> bool:
    """What `_candidates` selects, asked of one element."""
    get = el.get
    return (el.tag in ("nav", "footer") or get("role") in FURNITURE_ROLES
            or FURNITURE_NAME_RE.search(get("class") or "") is not None
            or FURNITURE_NAME_RE.search(get("id") or "") is not None)


def _is_furniture(page: Page, el: HtmlElement) -> bool:
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool((el.tag in ("nav", "footer") or (el.get("role") or "") in FURNITURE_ROLES
                 or STRAY_FURNITURE_RE.search(names)
                 or (SIDEBAR_RE.search(names) and not _holds_content(el)))
                and page.furniture(el))


def _holds_content(el: HtmlElement) -> bool:
    """A "sidebar-right" layout wrapper holds the article; a real sidebar holds none of it."""
    return next(el.iter("h1", "article", "main"), None) is not None


def _may_hold(el: HtmlElement, squeezed: list[str]) -> bool:
    """False only when no line of `lines(el)` can be one of `squeezed` (lines without their
    whitespace).

    A line is text runs that follow each other in the element, skipped subtrees (a <button>,
    a <script>) left out; so squeezed it is a substring of the element's squeezed text with
    the skipped subtrees' text cut out. A skipped text that occurs twice cannot be cut for
    sure: then the element is read.
    """
    text = _squeeze(el.text_content())
    outer: HtmlElement | None = None
    for skipped in el.iter(*SKIP_TAGS):
        # in document order: one inside the last outermost one was cut with it
        if outer is not None and outer in skipped.iterancestors():
            continue
        outer = skipped
        cut = _squeeze(skipped.text_content())
        if cut:
            if text.count(cut) != 1:
                return True
            text = text.replace(cut, "", 1)
    return any(line in text for line in squeezed)


def _squeeze(text: str) -> str:
    """`text` without whitespace (str.split's whitespace is the `\\s` that `norm` collapses)."""
    return "".join(text.split())
