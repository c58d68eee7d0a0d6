"""One list block -> one item: its title, link, date, teaser and labelled fields.

`lists.py` finds the repeated blocks of a page; this module reads each one (and `events.py`
an event page's blocks). The dates a listing shows in its own ways (bylines, year-less dates,
clock times, UTC `<time>`s) are read by `item_dates.py`.
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
from extractors.item_dates import is_byline, is_stamp, shown_date
from extractors.records import Event, NewsItem
from extractors.xpaths import (
    BLOCK_TAGS,
    DATE_CLASS_CUT,
    DATE_CLASS_RE,
    HAS_BLOCK,
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
_LETTER = re.compile(r"[^\W\d_]")
_Named = tuple[HtmlElement, str]  # an element with a class or an itemprop, and its class
_READ_MORE_LONGEST_FIRST = tuple(" " + p for p in sorted(READ_MORE, key=len, reverse=True))
_TRIM = " .…»›>→|:-–"
_LINE_ENDS = BLOCK_TAGS | {"br"}
MOSTLY_DATE = 0.4  # share of a line a date must cover for the line to be "the date line"
TITLE_MIN_WORDS = 3  # a link of fewer words is a title only when no other link has more
STANDALONE_SHARE = 0.5  # of its block's text a title link covers (inline links cover less)
SHORT_LINE = 100  # characters: a line this short is an item line ("date Title, City"), not prose
MAX_FIELD = 300  # characters; a longer "location" is a paragraph with a matching class
CARD_TITLE_MIN = 12  # characters of a card's title line when it has fewer than three words


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
    # the text the date was read from (None for a machine-readable one): read again once the
    # page's conventions are known (`item_dates.settle_date`), or for a year-less date's year
    date_text: str | None = None
    # the block shows when it was published without a complete date: "02/23(金) 19:18",
    # "1月20日", "11時00分"; or its date was read from a byline among other words ("Posted
    # in Press Releases on April 17, 2015 |"). Either makes a list only when nearly every
    # block has one: a post's one dated byline beside its share links is no list.
    stamp: bool = False

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


def date_header(block: Block) -> tuple[DateSpan | None, str | None]:
    """A date-only sibling just before a block (lists grouped under date headings): the date
    and its text; a year-less one gives only its text."""
    for el in reversed(block.before):
        text = text_of(el)
        if text and mostly_date(text):
            return date_range(text), text
        if text and is_stamp(text):
            return None, text
    return None, None


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
    date, date_els, date_text = _date(block, title_el, cells.get("date"), selectors, texts, named)
    skip = {title_el, *date_els, *_furniture(block.parts, texts)}
    skip.update(cells.values())
    text_lines = [ln for part in block.parts for ln in lines(part, exclude=skip)]
    found = labelled_fields(text_lines)
    if "date" in found.fields and date is None:
        date_text = found.fields["date"]
        date = date_range(date_text)
    unused = [ln for i, ln in enumerate(text_lines) if i not in found.used and ln != title]
    byline = False
    if date is None:
        line = next((ln for ln in unused if mostly_date(ln)), None)
        if line is None:
            line = next((ln for ln in unused if is_byline(ln)), None)
            byline = line is not None
        if line is not None:
            date, date_text = date_range(line), line
    rest = [ln for ln in unused if not _noise(ln, title)]
    if date is None and block.before:
        date, header = date_header(block)
        date_text = date_text or header
    if date is None:  # a year-less date or a clock time still says "a dated item"
        date_text = date_text if date_text and is_stamp(date_text) else next(
            (ln for ln in unused if is_stamp(ln)), None)
    if date_text is not None and date_text in rest:
        rest.remove(date_text)  # "Posted in Press Releases on April 17, 2015": a byline
    organiser = found.fields.get("organiser") or _field(block, cells, "organiser", selectors,
                                                        named)
    location = found.fields.get("location") or _field(block, cells, "location", selectors,
                                                      named)
    if location and location.startswith("@"):
        location = location.lstrip("@ ") or None  # "@ City Hall": calendars' "at"
    signal = bool(organiser or location or (date and date.end))
    inside_title = set(title_el.iter("a")) if title_el is not None else set()
    link_chars = sum(len(texts[a]) for part in block.parts for a in part.iter("a")
                     if a not in skip and a is not link and a not in inside_title)
    summary = _summary(block, rest, skip, selectors, named)
    return Item(title, url, date, summary, organiser, location, signal, link is not None,
                link_chars, date_text, byline or (date is None and date_text is not None))


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
        if (link is not None and chosen.tag not in HEADING_TAGS and chosen.tag != "a"
                and chosen is not cell and link in chosen.iterdescendants("a")
                and len(texts[link]) >= STANDALONE_SHARE * len(text)):
            # `<td class="title"><a>Title</a> <span>(example.org)</span></td>`: a title-classed
            # box around the link names the item by the link
            text = _link_title(link, texts)
        return chosen, text, link
    textual = _textual(_links(parts), texts) if textual is None else textual
    if not textual:
        return None, "", None
    best = _title_link(textual, texts)
    link = first_of(_select(parts, selectors, "link"), best)
    card = _card_title(best, texts) if HAS_BLOCK(best) else None
    if card is not None:
        return card[0], card[1], link
    return best, _link_title(best, texts), link


def _card_title(link: HtmlElement, texts: _Texts) -> tuple[HtmlElement, str] | None:
    """The title line of a link that is a whole card (picture, title, date, source in one
    `<a>`): its `title` attribute when that is one of its lines, else its first line that
    is neither a date nor a time, of three words or twelve characters (a category label
    before the title is shorter), else its longest. With the element holding that line, so
    that the card's other lines (its date) are still read; None for a one-line link.
    """
    shown = lines(link)
    if len(shown) < 2:
        return None
    named = norm(link.get("title"))
    plain = [ln for ln in shown if not mostly_date(ln) and not is_stamp(ln)
             and not is_read_more(ln)]
    if not plain:
        return None
    title = named if named in plain else next(
        (ln for ln in plain if len(ln.split()) >= TITLE_MIN_WORDS or len(ln) >= CARD_TITLE_MIN),
        max(plain, key=len))
    holder = next((el for el in link.iterdescendants(etree.Element) if texts[el] == title),
                  link)
    return holder, title


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
    """A link that is its line, not a few words inside running text (a paragraph's link).

    A link holding block elements (a card: picture, title, date) is a block of its own.
    """
    if HAS_BLOCK(link):
        return True
    block = next((a for a in link.iterancestors() if a.tag in BLOCK_TAGS), None)
    if block is None:
        return True
    around = len(norm(block.text_content()))
    return (around <= SHORT_LINE or len(texts[link]) >= STANDALONE_SHARE * around
            or _own_line(link))


def _own_line(el: HtmlElement) -> bool:
    """Nothing but white space between the element and a line break on either side:
    `<li><a>Title</a><br>Posted on April 17, 2015 | Preview<br>Tags: ...</li>`."""
    parent = el.getparent()
    # `<strong><a>Title</a></strong><br>`: the inline wrapper is what stands on the line
    while (parent is not None and parent.tag not in BLOCK_TAGS and not (parent.text or "").strip()
           and len(parent) == 1 and not (el.tail or "").strip()):
        el, parent = parent, parent.getparent()
    if parent is None:
        return True
    prev, nxt = el.getprevious(), el.getnext()
    before = (parent.text or "") if prev is None else (prev.tail or "")
    if before.strip() or (prev is not None and prev.tag not in _LINE_ENDS):
        return False
    return not (el.tail or "").strip() and (nxt is None or nxt.tag in _LINE_ENDS)


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
          ) -> tuple[DateSpan | None, list[HtmlElement], str | None]:
    """The block's date: selector, <time>, a date-classed element, the block's title attribute;
    with the elements it was read from and the text it was read from (None when machine-
    readable). Without a date, the text of a year-less one ("02/23(金)") if the block has it.

    The first found wins; another that starts the same day lends its time of day (a calendar
    tile's `<time datetime="2023-10-19">` and the entry's "October 19 @ 6:30 pm") and, if a
    range, its end (`<time datetime="2015-02-20">` plus a title "20 February – 22 February
    2015").
    """
    found: list[tuple[DateSpan, HtmlElement, str | None]] = []
    stamp: str | None = None
    chosen = first_of(_select(block.parts, selectors, "date"), cell)
    for el in [chosen] if chosen is not None else _date_elements(block.parts, named, title_el):
        text = texts[el]
        machine = el.get("datetime") or el.get("content")
        span = shown_date(machine, text) if machine else None
        if span:
            found.append((span, el, None))
            continue
        span = date_range(text) if text and len(text) <= 100 else None
        if span:
            found.append((span, el, text))
        elif stamp is None and text and is_stamp(text):
            stamp = text
    attr = block.parts[0].get("title") or block.parts[0].get("data-date")
    span = date_range(attr) if attr and mostly_date(attr) else None
    if span:
        found.append((span, block.parts[0], attr))
    if not found:
        return None, [], stamp
    best, _, best_text = found[0]
    if len(best.start) == 10:  # a day: another element of the same day may show its time
        for other, _, _ in found[1:]:
            if len(other.start) > 10 and other.start[:10] == best.start:
                best = DateSpan(other.start, best.end or other.end)
                break
    if best.end is None:
        for other, _, _ in found[1:]:
            if other.end and other.start[:10] == best.start[:10]:
                best = DateSpan(best.start, other.end)
                break
    return best, [el for _, el, _ in found if el is not block.parts[0]], best_text


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
    if el is None and name == "location":
        # an event's <address>: the venue (calendar plugins' lists mark it so, class or not)
        el = next((a for part in block.parts for a in part.iter("address")), None)
    text = (_pieces(el) or text_of(el)) if el is not None else ""
    return text if text and len(text) <= MAX_FIELD else None


def _pieces(el: HtmlElement) -> str | None:
    """An element made only of child elements, each a piece of its own ("<span>City
    Hall</span><span>121 N. LaSalle St.</span>"), as "City Hall, 121 N. LaSalle St."; styles
    put them on lines of their own, their texts have no space between them. None otherwise."""
    if len(el) < 2 or (el.text or "").strip() or any(
            not isinstance(c.tag, str) or (c.tail or "").strip() for c in el):
        return None
    pieces = [norm(c.text_content()).strip(" ,;") for c in el]
    if not all(pieces):
        return None
    out = pieces[0]
    for piece in pieces[1:]:
        out += (" " if out.endswith(":") else ", ") + piece  # "Where:" labels its value
    return out


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
    # "1." (a rank), "|": no teaser is without a letter
    return text if text and _LETTER.search(text) else None
