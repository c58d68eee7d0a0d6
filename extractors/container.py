"""The content container of an article page, and the small tree trafilatura reads instead of
the whole page.

Trafilatura's cost grows with the number of elements, and on agency sites the mega-menus,
footers and banners are most of them: on the benchmark site a copy of the `<main>` alone cuts
its time by about two thirds. Trafilatura still does the cleaning inside the container (share
boxes, related links), so its text is what it gives on the whole page.

Some of trafilatura's decisions look at the whole page, not at the part it extracts from; a
page where they could come out differently keeps the whole tree (`content_container` returns
None). The guards below are those decisions, each measured on the trafilatura benchmark
(`python -m evaluation`): without them about one page in a hundred changes, with
them a few in a thousand, all with the same score.
"""

from __future__ import annotations

from copy import deepcopy

import lxml.etree as etree
import lxml.html
from lxml.html import HtmlElement

# A container must hold this share of the page's paragraph text: a teaser <article> or a
# <main> that holds only the headline is not the article.
MIN_P_SHARE = 0.7
# Trafilatura reads divs as paragraphs when the whole page has less <p> text than this
# (3 x its MIN_EXTRACTED_SIZE), so the container must have enough for both reads to agree
# (with a margin: trafilatura counts after its cleaning), or the page too little.
TRAFILATURA_P_TEXT = 750
CONTAINER_P_TEXT = 1000
# A <form> holding more than half the text survives trafilatura's cleaning, a smaller one is
# dropped; "half" must mean the same on page and container: a form in the container small,
# a form around it (ASP.NET wraps the page in one) the whole page.
FORM_MAX_SHARE = 0.25
PAGE_FORM_SHARE = 0.9

# Elements trafilatura deletes before it reads the page (its settings.MANUALLY_CLEANED), so
# their paragraphs are not the article's; forms aside (`_form_differs`).
CLEANED_TAGS = frozenset({
    "aside", "embed", "fencedframe", "footer", "head", "iframe", "menu", "object", "script",
    "applet", "audio", "canvas", "figure", "map", "picture", "svg", "video", "area", "blink",
    "button", "datalist", "dialog", "frame", "frameset", "fieldset", "link", "input", "label",
    "legend", "marquee", "math", "menuitem", "nav", "noindex", "noscript", "optgroup", "option",
    "output", "param", "progress", "rp", "rt", "rtc", "select", "source", "style", "track",
    "textarea", "time", "use",
})

# through the attributes: a test of every element's attributes costs twice as much
_CANDIDATES = etree.XPath(
    "//main | //article | //@role[.='main']/.. | //@itemprop[.='articleBody']/..")
_ARTICLES = etree.XPath("//main | //article")
# One name test per ancestor: fifty `self::x` tests each cost ten times as much.
_KEPT_P_TEXT = etree.XPath(
    "descendant::p[not(ancestor::*[contains('|" + "|".join(sorted(CLEANED_TAGS))
    + "|', concat('|', local-name(), '|'))])]/descendant::text()", smart_strings=False)
# trafilatura keeps comment threads on forum pages, known by this schema.org type
_FORUM_MARKER = "DiscussionForumPosting"


def content_container(tree: HtmlElement, html: str) -> HtmlElement | None:
    """The element that holds the article (its <h1> and most of the page's paragraph text),
    or None when no element clearly does or the whole page could read differently."""
    if _FORUM_MARKER in html:
        return None
    total = _p_text(tree)
    if not total:
        return None
    found, size = None, 0
    for el in _CANDIDATES(tree):
        size = _p_text(el) if _has_heading(el) else 0
        if size >= MIN_P_SHARE * total:
            found = el
            break
    if found is None or (size < CONTAINER_P_TEXT and total >= TRAFILATURA_P_TEXT):
        return None
    if _article_outside_first(tree, found) or _form_differs(tree, found):
        return None
    return found


def narrowed_tree(container: HtmlElement) -> HtmlElement | None:
    """A new document of the container and its ancestors, the ancestors without their other
    children: trafilatura's XPaths test the ancestors' classes ("entry-content" wrappers).

    None when an ancestor's tag or attribute name is one the parser accepts but lxml will not
    create ("o:p", 'x"'): such a page is read whole.
    """
    copied = deepcopy(container)
    copied.tail = None
    try:
        for ancestor in container.iterancestors():
            shell = lxml.html.Element(ancestor.tag, dict(ancestor.attrib))
            shell.append(copied)
            copied = shell
    except (ValueError, TypeError):
        return None
    return copied


def _p_text(root: HtmlElement) -> int:
    """Characters of paragraph text below `root` that trafilatura's cleaning keeps, counted as
    trafilatura counts them."""
    return sum(map(len, _KEPT_P_TEXT(root)))


def _has_heading(el: HtmlElement) -> bool:
    return any(h.text_content().strip() for h in el.iter("h1"))


def _article_outside_first(tree: HtmlElement, container: HtmlElement) -> bool:
    """Whether an <article> or <main> outside the container comes before the first one in it.

    Trafilatura takes the first of them on the page as the article; on the whole page that
    would be a teaser or a header block, in the container the article itself.
    """
    ancestors = set(container.iterancestors())
    inside = {"article": False, "main": False}
    for el in _ARTICLES(tree):
        if el in ancestors:
            continue
        if el is container or container in el.iterancestors():
            inside[el.tag] = True
        elif not inside[el.tag]:
            return True
    return False


def _form_differs(tree: HtmlElement, container: HtmlElement) -> bool:
    size = len(container.text_content())
    if any(len(f.text_content()) > FORM_MAX_SHARE * size for f in container.iter("form")):
        return True
    outer = [f for f in container.iterancestors("form")]
    return bool(outer) and any(
        len(f.text_content()) < PAGE_FORM_SHARE * len(tree.text_content()) for f in outer)
