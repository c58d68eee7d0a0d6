"""One list block -> one item: its title, link, date, teaser and labelled fields.

`lists.py` finds the repeated blocks of a page; this module reads each one. Split from it to
keep both under the size the style guide asks for; nothing else uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import lxml.etree as etree
from lxml.html import HtmlElement

from extractors.dates import DateSpan, find_date_matches, is_date_like
from extractors.fields import date_range, labelled_fields
from extractors.html import absolute_url, lines, norm, text_of
from extractors.records import Event, NewsItem
from extractors.structured import machine_date
from extractors.xpaths import (
    BLOCK_TAGS,
    DATE_CLASS_CUT,
    DATE_CLASS_RE,
    HEADING_TAGS,
    LOCATION_CLASS_RE,
    ORGANISER_CLASS_RE,
    READ_MORE,
    SUMMARY_CLASS_CUT,
    SUMMARY_CLASS_RE,
    TITLE_CLASS_RE,
    TITLE_CLASSED,
)

_DIGIT = re.compile(r"\d")
_Named = tuple[HtmlElement, str]  # an element with a class or an itemprop, and its class
_READ_MORE_LONGEST_FIRST = tuple(" " + p for p in sorted(READ_MORE, key=len, reverse=True))
_TRIM = " .…»›>→|:-–"
MOSTLY_DATE = 0.4  # share of a line a date must cover for the line to be "the date line"
TITLE_MIN_WORDS = 3  # a link of fewer words is a title only when no other link has more
STANDALONE_SHARE = 0.5  # of its block's text a title link covers (inline links cover less)
SHORT_LINE = 100  # characters: a line this short is an item line ("date Title, City"), not prose
MAX_FIELD = 300  # characters; a longer "location" is a paragraph with a matching class


@dataclass(frozen=True, slots=True)
class Block:
    """The sibling elements of one item (one for wrapped items), and what stands before it."""

    parts: tuple[HtmlElement, ...]
    before: tuple[HtmlElement, ...] = ()  # siblings since the previous block (date headings)


@dataclass(frozen=True, slots=True)
class Item:
    title: str
    url: str | None
    date: DateSpan | None
    summary: str | None
    organiser: str | None = None
    location: str | None = None
    event_signal: bool = False  # labels or fields that only events have
    linked: bool = True  # the title is a link, or a Read more link gives the URL
    link_chars: int = 0  # characters of link text in the teaser: a menu's "teaser" is all links

    def as_news(self) -> NewsItem:
        return NewsItem(self.title, self.date.start if self.date else None, self.summary,
                        self.url)

    def as_event(self) -> Event:
        return Event(self.title, self.date.start if self.date else None,
                     self.date.end if self.date else None, self.organiser, self.location,
                     self.url)


def mostly_date(text: str) -> bool:
    """A short text that is a date, give or take a label or a weekday."""
    if len(text) > 100 or not _DIGIT.search(text):
        return False  # every date the parser reads has a digit; most link texts have none
    match = next((m for m in find_date_matches(text) if m.span), None)
    return match is not None and len(match.text) >= MOSTLY_DATE * len(text)


def is_read_more(text: str) -> bool:
    """"Read more", "Skaityti daugiau", "»": a link to the item that is not its title."""
    return norm(text).lower().strip(_TRIM) in READ_MORE or not text.strip(_TRIM)


class _Texts(dict[HtmlElement, str]):
    """`text_of` of each element, computed once per block: the title, link, date and teaser
    checks read the same few elements several times."""

    def __missing__(self, el: HtmlElement) -> str:
        text = self[el] = text_of(el)
        return text


def date_header(block: Block) -> DateSpan | None:
    """A date-only sibling just before a block: lists grouped under date headings."""
    for el in reversed(block.before):
        text = text_of(el)
        if text and mostly_date(text):
            return date_range(text)
    return None


def read_block(block: Block, base: str, columns: list[str | None] | None,
               selectors: Mapping[str, str] | None) -> Item | None:
    """Title, link, date, teaser and labelled fields of one block; None without a title."""
    texts = _Texts()
    cells = _cells(block.parts[0], columns)
    title_el, title, link = _title(block.parts, cells.get("title"), selectors, texts)
    if not title:
        return None
    url = absolute_url(link.get("href") if link is not None else None, base)
    named = _named(block.parts)
    date, date_els = _date(block, title_el, cells.get("date"), selectors, texts, named)
    skip = {title_el, *date_els, *_furniture(block.parts, texts)}
    skip.update(cells.values())
    text_lines = [ln for part in block.parts for ln in lines(part, exclude=skip)]
    found = labelled_fields(text_lines)
    if "date" in found.fields and date is None:
        date = date_range(found.fields["date"])
    unused = [ln for i, ln in enumerate(text_lines) if i not in found.used and ln != title]
    if date is None:
        date = next((date_range(ln) for ln in unused if mostly_date(ln)), None)
    rest = [ln for ln in unused if not _noise(ln, title)]
    if date is None and block.before:
        date = date_header(block)
    organiser = found.fields.get("organiser") or _field(block, cells, "organiser", selectors,
                                                        named)
    location = found.fields.get("location") or _field(block, cells, "location", selectors,
                                                      named)
    signal = bool(organiser or location or (date and date.end))
    inside_title = set(title_el.iter("a")) if title_el is not None else set()
    link_chars = sum(len(texts[a]) for part in block.parts for a in part.iter("a")
                     if a not in skip and a is not link and a not in inside_title)
    summary = _summary(block, rest, skip, selectors, named)
    return Item(title, url, date, summary, organiser, location, signal, link is not None,
                link_chars)


def first_of(*elements: HtmlElement | None) -> HtmlElement | None:
    """The first element that is not None (not `a or b`: a childless element is falsy)."""
    return next((el for el in elements if el is not None), None)


def _cells(row: HtmlElement, columns: list[str | None] | None) -> dict[str, HtmlElement]:
    if not columns or row.tag != "tr":
        return {}
    cells = [c for c in row if c.tag in ("td", "th")]
    return {name: cell for name, cell in zip(columns, cells, strict=False) if name}


def _select(parts: tuple[HtmlElement, ...], selectors: Mapping[str, str] | None,
            key: str) -> HtmlElement | None:
    if not selectors or not selectors.get(key):
        return None
    for part in parts:
        try:
            found = part.cssselect(selectors[key])
        except Exception:  # a bad selector from sources.toml: fall back to the heuristics
            return None
        if found:
            first: HtmlElement = found[0]
            return first
    return None


def _title(parts: tuple[HtmlElement, ...], cell: HtmlElement | None,
           selectors: Mapping[str, str] | None, texts: _Texts
           ) -> tuple[HtmlElement | None, str, HtmlElement | None]:
    """(title element, title text, link): a heading, a title-classed element, else a link."""
    chosen = first_of(_select(parts, selectors, "title"), cell, _heading_in(parts, texts))
    textual = None  # the title-like links: read only for an unlinked heading or no heading
    if chosen is not None and _unlinked(chosen):
        textual = _textual(_links(parts), texts)
        if _late(chosen, parts, textual):
            chosen = None  # a heading below the item's own link is a box inside it ("Don't miss")
    if chosen is not None:
        link = first_of(_select(parts, selectors, "link"), _link_of(chosen, parts, texts))
        text = _link_title(chosen, texts) if chosen.tag == "a" else texts[chosen]
        return chosen, text, link
    textual = _textual(_links(parts), texts) if textual is None else textual
    if not textual:
        return None, "", None
    best = _title_link(textual, texts)
    return best, _link_title(best, texts), first_of(_select(parts, selectors, "link"), best)


def _links(parts: tuple[HtmlElement, ...]) -> list[HtmlElement]:
    """The block's links; listed only when asked for: a linked heading, most titles, needs none."""
    return [a for p in parts for a in p.iter("a") if a.get("href")]


def _textual(links: list[HtmlElement], texts: _Texts) -> list[HtmlElement]:
    """Links that may be the title: not Read more, not a date, not a few words in a paragraph."""
    return [a for a in links if not is_read_more(texts[a]) and not mostly_date(texts[a])
            and _standalone(a, texts)]


def _unlinked(heading: HtmlElement) -> bool:
    """A title element that is no link, holds none and sits in none."""
    if heading.tag == "a" or next(heading.iter("a"), None) is not None:
        return False
    return not any(a.tag == "a" for a in heading.iterancestors())


def _late(heading: HtmlElement, parts: tuple[HtmlElement, ...],
          textual: list[HtmlElement]) -> bool:
    """An (unlinked) heading that comes after a title-like link."""
    if not textual:
        return False
    order = {el: i for i, el in enumerate(el for part in parts for el in part.iter())}
    return order.get(textual[0], 0) < order.get(heading, 0)


def _title_link(links: list[HtmlElement], texts: _Texts) -> HtmlElement:
    """The link that names the item: bold, else the first of three words or more, else longest.

    Not simply the longest: a venue or author link may be longer than a band's name; not
    simply the first: category links ("News") come before titles.
    """
    for link in links:
        if next(link.iter("strong", "b", *HEADING_TAGS), None) is not None:
            return link
    for link in links:
        if len(texts[link].split()) >= TITLE_MIN_WORDS:
            return link
    return max(links, key=lambda a: len(texts[a]))


def _standalone(link: HtmlElement, texts: _Texts) -> bool:
    """A link that is its line, not a few words inside running text (a paragraph's link)."""
    block = next((a for a in link.iterancestors() if a.tag in BLOCK_TAGS), None)
    if block is None:
        return True
    around = len(norm(block.text_content()))
    return around <= SHORT_LINE or len(texts[link]) >= STANDALONE_SHARE * around


def _heading_in(parts: tuple[HtmlElement, ...], texts: _Texts) -> HtmlElement | None:
    for part in parts:
        for el in part.iter(*HEADING_TAGS, "dt"):
            if texts[el] and not mostly_date(texts[el]):
                return el
    for part in parts:
        for el in TITLE_CLASSED(part):
            if (el.tag not in ("a", "img") and TITLE_CLASS_RE.search(el.get("class") or "")
                    and 2 < len(texts[el]) < MAX_FIELD):
                return el
    return None


def _link_of(title_el: HtmlElement, parts: tuple[HtmlElement, ...], texts: _Texts
             ) -> HtmlElement | None:
    """The title's own link, a link around it, else the block's Read more link."""
    if title_el.tag == "a":
        return title_el
    inner = next((a for a in title_el.iter("a") if a.get("href")), None)
    if inner is not None:
        return inner
    for anc in title_el.iterancestors():
        if anc.tag == "a" and anc.get("href"):
            return anc
        if any(anc is p for p in parts):
            break
    # never just any first link: that is a share button or a category as often as not
    return next((a for a in _links(parts) if texts[a] and is_read_more(texts[a])), None)


def _link_title(link: HtmlElement, texts: _Texts) -> str:
    """A link's title; `<a><strong>Title</strong><span>extra</span></a>` gives the strong part.

    Listing sites put the name in bold and details after it in the same link (songkick's
    "Festival 2015" + line-up). Only when the bold part stands alone (no loose text after it).
    """
    for strong in link.iter("strong", "b", *HEADING_TAGS):
        text = texts[strong]
        if text and not (strong.tail or "").strip() and len(text) < len(texts[link]):
            return text
    return texts[link]


def _date(block: Block, title_el: HtmlElement | None, cell: HtmlElement | None,
          selectors: Mapping[str, str] | None, texts: _Texts, named: list[_Named]
          ) -> tuple[DateSpan | None, list[HtmlElement]]:
    """The block's date: selector, <time>, a date-classed element, the block's title attribute.

    The first found wins; another that starts the same day but is a range lends its end
    (`<time datetime="2015-02-20">` plus a title "20 February – 22 February 2015").
    """
    found: list[tuple[DateSpan, HtmlElement]] = []
    chosen = first_of(_select(block.parts, selectors, "date"), cell)
    for el in [chosen] if chosen is not None else _date_elements(block.parts, named, title_el):
        text = texts[el]
        span = machine_date(el.get("datetime") or el.get("content")) or (
            date_range(text) if text and len(text) <= 100 else None)
        if span:
            found.append((span, el))
    attr = block.parts[0].get("title") or block.parts[0].get("data-date")
    span = date_range(attr) if attr and mostly_date(attr) else None
    if span:
        found.append((span, block.parts[0]))
    if not found:
        return None, []
    best = found[0][0]
    if best.end is None:
        for other, _ in found[1:]:
            if other.end and other.start[:10] == best.start[:10]:
                best = DateSpan(best.start, other.end)
                break
    return best, [el for _, el in found if el is not block.parts[0]]


def _date_elements(parts: tuple[HtmlElement, ...], named: list[_Named],
                   title_el: HtmlElement | None) -> Iterator[HtmlElement]:
    for part in parts:
        yield from part.iter("time")
    for el in _classed(named, DATE_CLASS_CUT, itemprop=True):
        if el is title_el or el.tag == "time":
            continue
        attrs = f"{el.get('class') or ''} {el.get('itemprop') or ''}"
        if DATE_CLASS_RE.search(attrs) and not TITLE_CLASS_RE.search(attrs):
            yield el


def _named(parts: tuple[HtmlElement, ...]) -> list[_Named]:
    """The block's elements with a class or an itemprop, and their class, in document order:
    the date, teaser and field checks all search these, so the block is walked once."""
    return [(el, el.get("class") or "") for part in parts for el in part.iter(etree.Element)
            if el.get("class") is not None or el.get("itemprop") is not None]


def _classed(named: list[_Named], cut: re.Pattern[str], itemprop: bool = False
             ) -> Iterator[HtmlElement]:
    """Elements whose class `cut` finds (or with an itemprop, if asked), in document order.

    In Python, not XPath: on a list item's handful of elements an XPath call costs several
    times more.
    """
    for el, names in named:
        if (names and cut.search(names)) or (itemprop and el.get("itemprop") is not None):
            yield el


def _furniture(parts: tuple[HtmlElement, ...], texts: _Texts) -> set[HtmlElement]:
    """Read-more links, captions and buttons: text of a block that is not its teaser."""
    out: set[HtmlElement] = set()
    for part in parts:
        for el in part.iter("a", "figcaption", "button", "form"):
            if el.tag != "a" or is_read_more(texts[el]):
                out.add(el)
    return out


def _summary_el(named: list[_Named], skip: set[HtmlElement]) -> HtmlElement | None:
    for el in _classed(named, SUMMARY_CLASS_CUT):
        if SUMMARY_CLASS_RE.search(el.get("class") or "") and skip.isdisjoint(el.iter()):
            return el
    return None


def _noise(line: str, title: str) -> bool:
    return line == title or is_read_more(line) or is_date_like(line)


def _field(block: Block, cells: dict[str, HtmlElement], name: str,
           selectors: Mapping[str, str] | None, named: list[_Named]) -> str | None:
    el = first_of(_select(block.parts, selectors, name), cells.get(name))
    if el is None:
        pattern = LOCATION_CLASS_RE if name == "location" else ORGANISER_CLASS_RE
        el = next(_classed(named, pattern), None)
    text = text_of(el) if el is not None else ""
    return text if text and len(text) <= MAX_FIELD else None


def _summary(block: Block, rest: list[str], skip: set[HtmlElement],
             selectors: Mapping[str, str] | None, named: list[_Named]) -> str | None:
    """The teaser: a summary-classed element ("entry-summary", "teaser") if the block has one
    apart from its title, else the block's lines left after title, dates, labels, Read more.
    """
    chosen = first_of(_select(block.parts, selectors, "summary"), _summary_el(named, skip))
    text = norm(" ".join(lines(chosen, exclude=skip))) if chosen is not None else norm(
        " ".join(rest))
    low = text.lower()
    if low.endswith(_READ_MORE_LONGEST_FIRST):  # one C call rules out most teasers
        phrase = next(p for p in _READ_MORE_LONGEST_FIRST if low.endswith(p))
        text = text[: -len(phrase)].rstrip()
    return text or None
