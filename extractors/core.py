"""`read_page`: one reading of a page, the bytes as fetched in, its records and the links it
hands on out; `extract`, the same for a page alone. No I/O.

Every path that reads a page goes through `read_page`: the crawl (in its extraction
processes), `agencywatch reprocess` (over the stored bytes and content type) and `agencywatch
extract` (a file or a URL, with a source's options when asked). So the same bytes, content
type and options always give the same records, and `reprocess` reports only what the
extractors changed. In this order, each step once:

1. decode: BOM, the HTTP charset, <meta>, UTF-8, detection (`html.decode`);
2. parse once (`html.parse`);
3. prune the source's volatile fragments (`ignore` CSS selectors: visit counters, timestamps);
4. extract the records the page kind asks for (`dispatch.extract_tree`);
5. drop the source's volatile text (`ignore_text` regular expressions) from the page text;
6. find the pager links of a listing, in the same tree (`links.find_follow_links`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

import lxml.html
from lxml.html import HtmlElement

from extractors.dispatch import check_kind, extract_tree
from extractors.html import decode, parse
from extractors.links import find_follow_links
from extractors.records import PageExtraction


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How a source asks for its pages to be read (its `sources.toml` entry)."""

    kind: str = "auto"  # the page kind: "auto", a kind's page kind, or "article"
    selectors: Mapping[str, str] | None = None  # `selectors`: CSS selectors of items and fields
    ignore: tuple[str, ...] = ()  # `ignore`: CSS selectors of fragments dropped before reading
    ignore_text: tuple[str, ...] = ()  # `ignore_text`: patterns removed from the page text
    # the hosts a pager link may lead to; None: the pager is not read (detail pages, or a
    # source that follows no links)
    pager_hosts: Collection[str] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Reading:
    extraction: PageExtraction
    next_pages: tuple[str, ...] = ()  # the pager's links, best guesses first


def read_page(body: bytes | str, url: str, content_type: str | None = None,
              options: ReadOptions = ReadOptions(), *, base_url: str | None = None) -> Reading:
    """Read one page. `url` names the page (records resolve and errors name it); `base_url`
    is where it was finally fetched from, after redirects (pager links resolve against it).

    Raises ExtractionError (naming the URL) for input that is not a page at all (binary data).
    """
    check_kind(options.kind, url)
    text = decode(body, url, content_type)
    tree = parse(text)
    if tree is not None and options.ignore and prune(tree, options.ignore):
        # the extractors' cheap marker checks read the source text: keep it the pruned page's
        text = lxml.html.tostring(tree, encoding="unicode")
    extraction = extract_tree(tree, text, url, options.kind, options.selectors or None)
    if options.ignore_text:
        page_text = extraction.text
        for pattern in options.ignore_text:
            page_text = re.sub(pattern, "", page_text)
        extraction = replace(extraction, text=page_text)
    next_pages: tuple[str, ...] = ()
    if tree is not None and options.pager_hosts is not None:
        found = find_follow_links(tree, base_url or url, options.pager_hosts, details=False)
        next_pages = tuple(found.next_pages)
    return Reading(extraction, next_pages)


def extract(html: bytes | str, url: str, kind: str = "auto",
            selectors: Mapping[str, str] | None = None,
            content_type: str | None = None) -> PageExtraction:
    """Extract the records of one page: `read_page` with a page kind and selectors alone.

    html: the page as fetched (bytes: decoded by BOM, the Content-Type charset, <meta>, UTF-8,
        then detection) or already decoded text.
    url: the page's URL; links resolve against it and errors name it.
    kind: "auto", a kind's page kind ("news_list", "events", ...) or "article".
    selectors: CSS selectors from sources.toml for a site where "auto" reads the lists wrong.
        `item` selects one element per list item; inside each item `title`, `date`, `summary`,
        `link` (the item's URL; default: the title's link), `organiser` and `location` select
        the element holding that field; `content` selects the element(s) holding the main text
        of a detail page (instead of trafilatura). Every key is optional; a missing one falls
        back to the heuristics, and without `item` the heuristics find the items and the field
        selectors apply inside them. A selector that does not parse is ignored.

    Raises ExtractionError (naming the URL) only for input that is not a page at all (binary
    data); an empty or broken page gives empty lists.
    """
    options = ReadOptions(kind=kind, selectors=selectors)
    return read_page(html, url, content_type, options).extraction


def prune(tree: HtmlElement, selectors: tuple[str, ...]) -> bool:
    """Drop the elements the selectors name (their tails stay); whether any was dropped.

    The selectors were checked when the sources file was read; one that does not parse here
    drops nothing rather than failing the page.
    """
    dropped = False
    for selector in selectors:
        try:
            found = tree.cssselect(selector)
        except Exception:  # cssselect's SelectorError and lxml's XPath errors
            continue
        for el in found:
            if el.getparent() is not None:
                el.drop_tree()
                dropped = True
    return dropped
