"""A detail page's main text read from the element a source names (`selectors.content`).

For a site you know, a CSS selector is exact and several times cheaper than trafilatura's
general-purpose search (it parses nothing again and scores nothing): what a hand-written spider
does. A page where the selector matches nothing falls back to trafilatura, so a redesign
degrades to the automatic text instead of to an empty one.
"""

from __future__ import annotations

from functools import lru_cache

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from extractors.html import lines
from extractors.registry import Page


def selected_text(page: Page) -> str | None:
    """The text of the elements matching the source's `content` selector, one block per line;
    None without a selector, with one that does not parse, or when it matches nothing."""
    css = (page.selectors or {}).get("content")
    selector = _compiled(css) if css else None
    if selector is None:
        return None
    found: list[HtmlElement] = selector(page.tree)
    chosen = set(found)
    # an element inside another match is already read with it
    outer = [el for el in found if not any(a in chosen for a in el.iterancestors())]
    if not outer:
        return None
    return "\n".join(line for el in outer for line in lines(el))


@lru_cache(maxsize=64)
def _compiled(css: str) -> CSSSelector | None:
    try:
        return CSSSelector(css)
    except Exception:  # cssselect raises several parse error types; a bad one is just unused
        return None
