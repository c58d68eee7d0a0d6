"""Meeting schedules as public agencies publish them: every dated meeting of a page, one event
each, read from the page's lines of text and the elements that hold them.

The shapes this reads, with no rule for any one site:
- schedule tables: a date cell, a time cell, a location cell (or all in one cell:
  `June 28, 2019 - 9:00 AM` then the address), agenda grids with date/time/location columns;
- lists of agenda and minutes links whose text carries the date
  (`Board Meeting Agenda – March 3, 2022`); one meeting is one event, however many documents;
- paragraphs of dated lines separated by `<br>`, and bare lists of dates under a heading;
- accordions, tabs and panels whose heading holds the year while the entries say only
  `March 8, 6:30 p.m.`, and calendar tiles whose date is split over several elements
  (`2018` / `26` / `Jan`).

How:
1. The content (page furniture left out) is read as lines (`_lines`), each with the block
   element that holds it and the range of lines of every block element.
2. Every line's dates at day precision are found; a date without a year takes the year of the
   tab or panel it sits in, else of the nearest year heading above it (`2021 Meeting
   Schedule`); with none, it is dropped rather than given an invented year.
3. Each date's item is the largest element around it that holds no other meeting's date (a
   table row, a list item, a panel); where its element holds other dates too (`<br>` lines),
   the item runs from its line to the next dated line.
4. Title, time and place come from the item's own lines only (a record assembled from two
   items is worse than a missed one); a time or place that the page states once for all its
   meetings ("All meetings are held at 3:00 PM at ...") fills the items that have none.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import lxml.etree as etree
from lxml.html import HtmlElement

from extractors.dates import find_date_matches, parse_date
from extractors.fields import labelled_fields
from extractors.html import lines as text_lines
from extractors.html import norm
from extractors.records import Event
from extractors.registry import Page
from extractors.times import TimeMatch, find_times, with_time
from extractors.xpaths import BLOCK_TAGS, COMMENTS_RE, HEADING_TAGS, LINE_BREAK_TAGS, SKIP_TAGS

MAX_LINES = 30_000  # lines of a page read; a schedule is near the top of its content
MAX_DATED = 3_000  # dated lines considered: a 5,000-row table is not read row by row forever
MAX_MEETINGS = 1_000  # meetings one page yields
MAX_LINE = 400  # characters: a longer line is prose, whose dates are not a schedule's
MAX_ITEM_LINES = 15  # an item (a row, a panel) longer than this is a page section
MAX_FLAT_LINES = 8  # lines after a dated line that can belong to it when nothing wraps it
# bare dates (no title, time or place of their own) on more than half the days between the
# first and the last, and more than a month of them: a calendar of days, not a schedule
BARE_DENSE = 31
DENSE_SHARE = 0.5
SECTION_LOOKBACK = 12  # headings above an item searched for its section's name

_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
# words of a line that names a schedule ("2019 Meetings", "Board Meeting Schedule 2021")
_SCHEDULE_WORDS = re.compile(
    r"meeting|schedule|calendar|dates|agenda|minutes|session|hearing", re.I)
# the date a page was posted or edited on is not a meeting's
_POSTED = re.compile(
    r"(?:posted|published|updated|modified|revised|created|uploaded|added|last edited)"
    r"(?:\s+on)?\W{0,3}(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?$|©\s*$|"
    r"copyright\W{0,3}$", re.I)
# in a long line of prose, a meeting's date follows the verb that says it is one ("will hold
# the following meetings on ..."), not any verb ("adopted the Policy on September 21, 2010")
PROSE = 160  # characters: a longer line is a paragraph
_MEETING_VERB = re.compile(
    r"\b(?:held|hold|holds|scheduled|rescheduled|meet|meets|convene|convenes|take place|"
    r"takes place|will be|next meeting|meeting (?:is|will|on))\b[^.]{0,60}$", re.I)
# "End" / "To" before a date: the end of the meeting above, not a meeting
_WEEKDAY_LEAD = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*$", re.I)
# a field's label alone is no title
_LABEL_ONLY = re.compile(r"^(?:(?:full|additional|event|meeting)\s+)?(?:start|starts|end|ends|"
                         r"when|date|dates|time|times|location|where|place|venue|details|"
                         r"description|information|info)\W*$", re.I)
_END_LABEL = re.compile(r"^\W*(?:end|ends|end date|end time|to|until|finish)\W*$", re.I)
# a date an agenda item refers to ("Approval of June 21st, 2019 ... minutes") is another
# meeting's, already listed where that meeting is
_REFERENCE = re.compile(
    r"\b(?:approv\w*|adopt\w*|ratif\w*|correct\w*|minutes)\s+(?:of|from|for)\s+(?:the\s+)?"
    r"(?:(?:minutes|meeting)\s+(?:of|from|held on)\s+)?(?:the\s+)?$", re.I)
# a machine timestamp shown as text ("2018-09-18T15:28:17+00:00"): when a post was saved
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
# a line, or what is left of one, that names a document of a meeting, not the meeting
_DOC_WORDS = re.compile(
    r"^(?:download|view|watch|listen|click|open|print|subscribe|register)\b.*$|"
    r"^(?:(?:regular|special|open|closed|full|board|meeting|public|final|draft|revised|"
    r"amended|approved|official|annual|session|committee|the|event|more|view|see|read)\s+)*"
    r"(?:agendas?|minutes|video|audio|notices?|pdf|presentations?|packets?|summary|transcripts?|"
    r"recordings?|view|download|click here|here|documents?|materials?|attachments?|"
    r"(?:watch|listen)(?: live)?|live ?stream|report|details|more|read more|info|information|"
    r"(?:view|see) (?:the )?(?:minutes|agenda|video|notice)|forthcoming|tbd|tba)"
    r"(?:\s*(?:[-–—|/&,+]|and)\s*.*)?$", re.I)
_TRAILING_DOC = re.compile(
    r"(?:\s*[-–—|:,]?\s*(?:agendas?|minutes|video|audio|notices?|public notice|packets?|"
    r"presentations?|transcripts?|recordings?|summary|documents?|materials?))+$", re.I)
_STATUS = re.compile(r"\(?\b(?:cancell?ed|postponed|rescheduled|tentative|revised)\b\)?", re.I)
# house number, optional direction, a capitalised street name, and a street word or a
# direction ("121 N. LaSalle St.", "1950 W. Polk", "4250 North St. Louis Avenue")
_STREET_WORDS = (r"st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|pl|place|ct|court|"
                 r"pkwy|parkway|way|ln|lane|hwy|highway|plaza|sq|square|ter|terrace|cir|circle|"
                 r"broadway|row|pike|trail|loop")
_ADDRESS = re.compile(
    r"(?<![\w#/.-])\d{1,6}[A-Za-z]?\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+"
    r"[A-Z0-9][\w'.-]*|(?:[A-Z0-9][\w'.-]*\s+){1,4}?(?:" + _STREET_WORDS + r")\b)")
# "Chicago, IL 60602", "Naperville, IL", "Suite 165", "Room 1103", "2nd Floor"
_PLACE_TAIL = re.compile(
    r"^(?:[A-Z][A-Za-z .'-]{1,30},\s*[A-Z]{2}\.?(?:\s+\d{5}(?:-\d{4})?)?,?|"
    r"(?:suite|ste\.?|room|rm\.?|floor|unit|building|bldg\.?)\s*[\w#.-]{1,8}.*|"
    r"\d{1,2}(?:st|nd|rd|th)\s+floor.*|[A-Z][\w .'-]{1,30}\s+\d{5}(?:-\d{4})?)$", re.I)
_PLACE_WORDS = re.compile(
    r"\b(?:hall|center|centre|building|office|offices|room|boardroom|library|school|chamber|"
    r"headquarters|fieldhouse|auditorium|campus|college|university|church|station|theater|"
    r"theatre|hotel|court ?house|suite|floor|plaza|park district|community center|city hall|"
    r"village hall|town hall)\b", re.I)
_LOCATION_LABEL = re.compile(
    r"^(?:(?:meeting|hearing|event)\s+)?(?:location|place|venue|where|address)\s*[:\-–]?\s+"
    r"(?P<value>\S.*)$", re.I)
# "Meetings are held at X", "will initially occur monthly at X", "meets ... in X"
_DEFAULT_VERB = re.compile(
    r"\b(?:held|hosted|take place|takes place|occur|occurs|meets?|convenes?|located|"
    r"scheduled|begins?|starts?|starting)\b", re.I)
_MEETING_WORD = re.compile(
    r"\b(?:meetings?|meets|sessions?|hearings?|board|commission|committee|council)\b", re.I)
_MEETING_STEMS = ("meeting", "agenda", "minutes", "hearing", "board of", "commission",
                  "committee", "council")
_MEETING_PAGE = re.compile(
    r"\b(?:meetings?|agendas?|minutes|hearings?|board of|commission|committee|council)\b", re.I)
_LABEL_ALONE = re.compile(
    r"^(?:(?:meeting|hearing|event)\s+)?(?:location|place|venue|where|address)\s*:?$", re.I)
_AT_PLACE = re.compile(r"\b(?:at|in)\s+(?=(?:the\s+)?[A-Z0-9])")
_PLACE_END = re.compile(
    r",?\s+(?:unless|until|except|beginning|starting|and will|on the|on (?:mon|tue|wed|thu|fri|"
    r"sat|sun)|from \d|every)\b|;|\s+at\s+\d|\s+@\s*\d|:$", re.I)
# a line of office hours or contacts: its times are not a meeting's
_HOURS = re.compile(r"\b(?:office hours|opening hours|business hours|hours\s*:|open (?:from|daily|"
                    r"mon|tue|wed|thu|fri|sat|sun|\d)|phone|fax|call us)", re.I)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?$", re.I)
_MONTH_TOKEN = re.compile(
    r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?$", re.I)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$")
_NUMERIC_START = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?!\d)")


@dataclass(slots=True)
class _Line:
    text: str
    owner: HtmlElement  # the innermost block element holding the line
    level: int  # 1-6 inside h1-h6, else 0

    @property
    def heading(self) -> bool:
        return self.level > 0


@dataclass(slots=True)
class _Dated:
    """A day-precision date found on a line."""

    line: int
    start: int  # offsets of the date in the line's text
    end: int
    day: str  # "2019-06-28"
    time: str | None = None  # "09:00" when the date expression carried one
    end_day: str | None = None  # the last day of a range
    closes: bool = False  # labelled "End": the end of the meeting before it
    tile: bool = False  # split over several elements: its line holds nothing but the date


@dataclass(slots=True)
class _Item:
    dated: _Dated
    lines: list[int]  # the item's lines, in order
    piece: str  # the dated line's own text for this date (up to the line's next date)
    lead: str  # the dated line's text before the date
    title: str | None = None
    time: TimeMatch | None = None
    location: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    until: _Dated | None = None  # an "End" date given apart from the meeting's date
    also: list[_Dated] = field(default_factory=list)  # the same day again in the item


@dataclass(frozen=True, slots=True)
class Schedule:
    """The meetings of a page, and whether the page calls them meetings."""

    events: tuple[Event, ...] = ()
    meeting_words: bool = False  # titles or headings say meeting/board/committee...
    # the element of each event's dated line, for callers that weigh it against other lists
    where: tuple[HtmlElement, ...] = ()

    def named_meeting(self, i: int) -> bool:
        return _MEETING_WORD.search(self.events[i].title) is not None


def meeting_schedule(page: Page) -> Schedule:
    """The page's dated meetings (memoised per page)."""
    return page.memo("meetings", _read_schedule)


def schedule_text(page: Page, events: tuple[Event, ...]) -> str:
    """The text of a schedule page whose events are its meetings: every line of the element
    that holds them all, page furniture left out ("" when the events are not the schedule's).

    Not trafilatura: it drops a schedule's short lines as boilerplate, and on a table of
    thousands of rows its paragraph classifier (justext) takes minutes.
    """
    if len(events) < 2:
        return ""
    schedule = meeting_schedule(page)  # already read: the events came from it or beat it
    if not schedule.where:
        return ""
    if not set(events) <= set(schedule.events):
        return ""
    region = _common_ancestor(list(schedule.where))
    furniture = {el for el in region.iter() if el is not region and isinstance(el.tag, str)
                 and page.furniture(el)}
    return "\n".join(text_lines(region, exclude=furniture))


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement:
    path = [elements[0], *elements[0].iterancestors()]
    for el in elements[1:]:
        mine = {el, *el.iterancestors()}
        path = [a for a in path if a in mine]
    return path[0]


def mentions_meetings(page: Page) -> bool:
    """Whether the page's source names meetings, agendas, minutes, boards or committees at
    all: one regex scan, so that `auto` reads no schedule on the many pages that never do."""
    # substring tests on the lower-cased source: a regex with \b and IGNORECASE over a whole
    # page costs ~1 ms, these a few microseconds
    low = page.html.lower()
    return any(word in low for word in _MEETING_STEMS)


# ---------------------------------------------------------------------------------------------
# 1. lines


def _content_root(page: Page) -> HtmlElement:
    body = page.tree.find("body")
    return page.tree if body is None else body


def _lines(page: Page, root: HtmlElement
           ) -> tuple[list[_Line], dict[HtmlElement, tuple[int, int]]]:
    """The content's lines with their block element, and each block's [first, end) lines."""
    out: list[_Line] = []
    ranges: dict[HtmlElement, tuple[int, int]] = {}
    opened: dict[HtmlElement, int] = {}
    buf: list[str] = []
    stack: list[HtmlElement] = []  # open block elements
    levels: list[int] = []  # the open headings' levels
    owner: list[HtmlElement | None] = [None]
    heading_now = [0]

    def flush() -> None:
        text = norm("".join(buf))
        buf.clear()
        if text and len(out) < MAX_LINES:
            out.append(_Line(text, owner[0] if owner[0] is not None else root, heading_now[0]))
        owner[0] = None

    def add(text: str | None) -> None:
        if text:
            if owner[0] is None and text.strip():
                owner[0] = stack[-1] if stack else root
                heading_now[0] = levels[-1] if levels else 0
            buf.append(text)

    walk = etree.iterwalk(root, events=("start", "end"))
    for event, node in walk:
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if (not tag or tag in SKIP_TAGS or
                    (node is not root and (page.furniture(node) or _comments(node)))):
                if tag in BLOCK_TAGS and buf:
                    flush()
                walk.skip_subtree()
                if node is not root:
                    add(node.tail)
                continue
            if tag in BLOCK_TAGS or tag in LINE_BREAK_TAGS:
                if buf:
                    flush()
                if tag in BLOCK_TAGS:
                    stack.append(node)
                    opened[node] = len(out)
            if tag in HEADING_TAGS:
                levels.append(int(tag[1]))
            add(node.text)
        else:
            if tag in BLOCK_TAGS:
                if buf:
                    flush()
                if stack and stack[-1] is node:
                    stack.pop()
                ranges[node] = (opened.pop(node, len(out)), len(out))
            if tag in HEADING_TAGS and levels:
                levels.pop()
            if node is not root:
                add(node.tail)
        if len(out) >= MAX_LINES:
            break
    flush()
    return out, ranges


def _comments(el: HtmlElement) -> bool:
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(names.strip()) and COMMENTS_RE.search(names) is not None


# ---------------------------------------------------------------------------------------------
# 2. dates, and their year from the context


def _year_line(line: _Line) -> int | None:
    """The year a heading or a short line names for what follows ("2019", "2021 Meeting
    Schedule", "Meeting dates for 2024 are listed below:")."""
    text = line.text
    if len(text) > 100:
        return None
    years = set(_YEAR.findall(text))
    if len(years) != 1:
        return None
    if not (line.heading or len(text.split()) <= 6 or _SCHEDULE_WORDS.search(text)):
        return None
    return int(years.pop())


def _panel_year(el: HtmlElement, labels: dict[str, int], root: HtmlElement) -> int | None:
    """The year of the tab or panel an element sits in: its label (`aria-labelledby`, the tab
    that links to it) or its own id ("panel-2019")."""
    node: HtmlElement | None = el
    for _ in range(8):
        if node is None or node is root:
            return None
        for ref in (node.get("aria-labelledby") or "").split():
            if ref in labels:
                return labels[ref]
        ident = node.get("id")
        if ident:
            if ident in labels:
                return labels[ident]
            own = _YEAR.findall(ident)
            if len(own) == 1:
                return int(own[0])
        node = node.getparent()
    return None


def _tab_labels(root: HtmlElement) -> dict[str, int]:
    """id -> year for tabs and panels labelled with a year: a tab linking to its panel
    (`href="#p2019"`, `aria-controls`) and elements whose own text is a year (their id)."""
    labels: dict[str, int] = {}
    for el in root.iter("a", "button", "li", "h2", "h3", "h4", "span", "div"):
        target = el.get("aria-controls") or ""
        href = el.get("href") or ""
        if not target and href.startswith("#") and len(href) > 1:
            target = href[1:]
        ident = el.get("id") or ""
        if not (target or ident):
            continue
        text = norm(el.text_content())
        if len(text) > 30:
            continue
        years = _YEAR.findall(text)
        if len(years) == 1:
            if target:
                labels[target] = int(years[0])
            if ident:
                labels[ident] = int(years[0])
    return labels


_MONTH_DAY = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s{1,3}\d{1,2}(?!\d)", re.I)
_DAY_MONTH = re.compile(
    r"(?<!\d)\d{1,2}(?:st|nd|rd|th|\.)?\s{1,3}(?:of\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)


def _month_first(lines: list[_Line], page: Page) -> bool:
    """Whether the page writes numeric dates month first (`10-2-2018` is October 2): its own
    unambiguous numeric dates say so (`12/17/2019`), else its dates in words do ("February 7,
    2019" rather than "7 February 2019"), else its language is US English."""
    first = second = words_md = words_dm = 0
    for line in lines:
        text = line.text
        if _DIGIT.search(text) is None:
            continue
        for token in text.split():
            m = _NUMERIC_DATE.match(token.strip(",.;()"))
            if m:
                a, b = int(m.group(1)), int(m.group(2))
                second += b > 12 >= a
                first += a > 12 >= b
        if len(text) <= MAX_LINE:
            words_md += len(_MONTH_DAY.findall(text))
            words_dm += len(_DAY_MONTH.findall(text))
    if first or second:
        return second > first
    if words_md or words_dm:
        return words_md > words_dm
    lang = (page.tree.get("lang") or "").lower()
    return lang in ("en-us", "en_us")


def _dates(lines: list[_Line], page: Page, root: HtmlElement) -> list[_Dated]:
    labels = _tab_labels(root)
    order: list[bool] = []  # the page's numeric date order, read when a line first needs it
    year: int | None = None
    found: list[_Dated] = []
    skip_to = -1
    for i, line in enumerate(lines):
        if len(found) >= MAX_DATED:
            break
        if i <= skip_to:
            continue
        tile = _tile(lines, i)
        if tile is not None:
            found.append(tile[0])
            skip_to = tile[1]
            continue
        text = line.text
        if _DIGIT.search(text) is None:
            continue
        own = _line_dates(text, i, None, lambda: _order(order, lines, page))
        if own is None:  # no date at day precision, complete or not
            heading_year = _year_line(line)
            if heading_year is not None:
                year = heading_year
            continue
        context = _panel_year(line.owner, labels, root)
        context = context if context is not None else year
        dated = _line_dates(text, i, context, lambda: _order(order, lines, page)) \
            if context is not None else own
        for d in dated or []:
            lead = _WEEKDAY_LEAD.sub("", text[:d.start])
            if _END_LABEL.match(lead) or (not lead.strip() and i and _END_LABEL.match(
                    lines[i - 1].text)):
                d.closes = True
            found.append(d)
    return found


def _order(memo: list[bool], lines: list[_Line], page: Page) -> bool:
    if not memo:
        memo.append(_month_first(lines, page))
    return memo[0]


def _line_dates(text: str, i: int, context: int | None, month_first: Callable[[], bool]
                ) -> list[_Dated] | None:
    """The day-precision dates of a line (with `context` as the year of those without one);
    None when the line has no day-and-month expression at all."""
    if len(text) > MAX_LINE:
        return None
    matches = find_date_matches(text, context_year=context)
    out: list[_Dated] = []
    seen_day_month = False
    for m in matches:
        if m.span is None:
            seen_day_month = seen_day_month or _day_month(m.text)
            continue
        start = m.span.start
        if len(start) < 10:
            continue
        seen_day_month = True
        before = text[max(0, m.start - 40):m.start]
        if _POSTED.search(before) or _REFERENCE.search(before) or _STAMP.match(m.text):
            continue
        if len(text) > PROSE and not _meeting_sentence(text[max(0, m.start - 160):m.start]):
            continue
        day, time = start[:10], start[11:16] or None
        numeric = _NUMERIC_START.match(m.text.strip())
        if numeric and month_first():
            swapped = _swap(numeric, day)
            if swapped is None:
                continue
            day = swapped
        end = m.span.end[:10] if m.span.end and len(m.span.end) >= 10 else None
        out.append(_Dated(i, m.start, m.end, day, time, end if end != day else None))
    return out if seen_day_month else None


def _meeting_sentence(before: str) -> bool:
    """Prose that says a meeting is held on the date that follows ("The Finance Committee will
    meet on", "will hold the following meetings on"), not any event or any verb."""
    return bool(_MEETING_VERB.search(before) and _MEETING_WORD.search(before))


def _day_month(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def _swap(numeric: re.Match[str], day: str) -> str | None:
    """Read `10-2-2018` month first: the page's other dates say it writes them so."""
    a, b = int(numeric.group(1)), int(numeric.group(2))
    if a > 12:
        return day  # only day-first is valid
    if b > 31:
        return None
    month, dom = a, b
    iso = f"{day[:4]}-{month:02d}-{dom:02d}"
    return iso if parse_date(iso) is not None else None


def _tile(lines: list[_Line], i: int) -> tuple[_Dated, int] | None:
    """A calendar tile: a date split over short lines ("2018" / "26" / "Jan" / "Friday"), or
    over spans with nothing between them, that the page's style stacks ("201826Jan")."""
    first = lines[i].text
    if len(first) > 24 or " " in first.strip():
        return None
    tokens: dict[str, str] = {}
    last = i
    if _token_kind(first) is None:
        parts = [t for t in (norm(x) for x in lines[i].owner.itertext()) if t]
        if not 3 <= len(parts) <= 4 or "".join(parts) != first:
            return None
        for part in parts:
            kind = _token_kind(part)
            if kind is None or kind in tokens:
                return None
            tokens[kind] = part
    else:
        for j in range(i, min(len(lines), i + 4)):
            token = lines[j].text.strip()
            kind = _token_kind(token)
            if kind is None or kind in tokens:
                break
            tokens[kind] = token
            last = j
    if not {"day", "month", "year"} <= tokens.keys():
        return None
    text = f"{tokens['day']} {tokens['month'].rstrip('.,')} {tokens['year']}"
    matches = find_date_matches(text)
    if len(matches) != 1 or matches[0].span is None or len(matches[0].span.start) < 10:
        return None
    return _Dated(i, 0, len(first), matches[0].span.start[:10], tile=True), last


def _token_kind(token: str) -> str | None:
    if token.isdigit():
        if len(token) <= 2 and 1 <= int(token) <= 31:
            return "day"
        if len(token) == 4 and _YEAR.fullmatch(token):
            return "year"
        return None
    if _MONTH_TOKEN.match(token):
        return "month"
    if _WEEKDAY.match(token):
        return "weekday"
    return None


# ---------------------------------------------------------------------------------------------
# 3. items


def _items(lines: list[_Line], ranges: dict[HtmlElement, tuple[int, int]],
           dated: list[_Dated], root: HtmlElement) -> list[_Item]:
    by_line: dict[int, list[_Dated]] = {}
    for d in dated:
        by_line.setdefault(d.line, []).append(d)
    lines_with = sorted(by_line)
    items: list[_Item] = []
    taken: set[int] = set()  # id() of dates already in an item
    for d in dated:
        if id(d) in taken:
            continue
        if d.closes and items and items[-1].until is None and d.day >= items[-1].dated.day:
            items[-1].until = d
            taken.add(id(d))
            continue
        span = _container(lines, ranges, d, by_line, lines_with, root)
        if span is not None:
            members = [x for ln in lines_with[bisect_left(lines_with, span[0]):
                                              bisect_left(lines_with, span[1])]
                       for x in by_line[ln]]
            taken.update(id(x) for x in members)
            item_lines = list(range(span[0], span[1]))
        else:
            item_lines = _flat(lines, ranges, d, by_line, taken)
        piece, lead = _piece(lines[d.line].text, d, by_line[d.line])
        item = _Item(d, item_lines, piece, lead)
        item.also = [x for j in item_lines if j != d.line for x in by_line.get(j, ())
                     if x.day == d.day and not x.closes]
        item.until = next((x for j in item_lines if j != d.line for x in by_line.get(j, ())
                           if x.closes and x.day >= d.day), None)
        items.append(item)
        taken.add(id(d))
        if len(items) >= MAX_MEETINGS:
            break
    return items


def _container(lines: list[_Line], ranges: dict[HtmlElement, tuple[int, int]], d: _Dated,
               by_line: dict[int, list[_Dated]], lines_with: list[int], root: HtmlElement
               ) -> tuple[int, int] | None:
    """The [first, end) lines of the largest element around the date that holds no other
    meeting: every date inside is the same day, and no sibling of the same kind (the next
    item of a list) is inside. None when even the date's own element holds other days."""
    node = lines[d.line].owner
    span = ranges.get(node)
    if span is None or _other_days(span, d, by_line, lines_with):
        return None
    best = span
    while True:
        parent = node.getparent()
        if parent is None or parent is root or parent not in ranges:
            break
        outer = ranges[parent]
        if outer[1] - outer[0] > MAX_ITEM_LINES or _other_days(outer, d, by_line, lines_with):
            break
        if _sibling_item(parent, node, outer, span, lines, lines_with):
            break
        node, span, best = parent, outer, outer
    return best if best[1] - best[0] > 1 else None


def _other_days(span: tuple[int, int], d: _Dated, by_line: dict[int, list[_Dated]],
                lines_with: list[int]) -> bool:
    lo, hi = bisect_left(lines_with, span[0]), bisect_left(lines_with, span[1])
    return any(x.day != d.day for ln in lines_with[lo:hi] for x in by_line[ln])


def _sibling_item(parent: HtmlElement, node: HtmlElement, outer: tuple[int, int],
                  inner: tuple[int, int], lines: list[_Line], lines_with: list[int]) -> bool:
    """Whether `parent` holds, beside `node`, an element of node's kind with a date in it:
    two meetings of one day in a list are two items, not one."""
    lo, hi = bisect_left(lines_with, outer[0]), bisect_left(lines_with, outer[1])
    for ln in lines_with[lo:hi]:
        if inner[0] <= ln < inner[1]:
            continue
        child = _child_of(parent, lines[ln].owner)
        if child is not None and child is not node and child.tag == node.tag and \
                (child.get("class") or "") == (node.get("class") or ""):
            return True
    return False


def _child_of(parent: HtmlElement, el: HtmlElement) -> HtmlElement | None:
    node: HtmlElement | None = el
    while node is not None:
        up = node.getparent()
        if up is parent:
            return node
        node = up
    return None


def _flat(lines: list[_Line], ranges: dict[HtmlElement, tuple[int, int]], d: _Dated,
          by_line: dict[int, list[_Dated]], taken: set[int]) -> list[int]:
    """An item with no element of its own: its line and the lines after it, up to the next
    line with another day, a heading or the end of the element around it."""
    # the nearest element around the line that holds more lines after it
    bound = (d.line, d.line + 1)
    node = lines[d.line].owner
    for _ in range(6):
        parent = node.getparent()
        if parent is None or parent not in ranges:
            break
        node = parent
        if ranges[node][1] > d.line + 1:
            bound = ranges[node]
            break
    out = [d.line]
    if len(by_line[d.line]) > 1:
        return out  # several dates on one line: each is its own piece of the line
    for j in range(d.line + 1, min(bound[1], d.line + 1 + MAX_FLAT_LINES)):
        if _year_line(lines[j]) is not None and len(lines[j].text) < 12:
            break
        level, own = lines[j].level, lines[d.line].level
        if level and (not own or level < own or (level == own and j in by_line)):
            break  # the next section, or the next item's heading
        others = by_line.get(j)
        if others:
            if any(x.day != d.day for x in others):
                break
            taken.update(id(x) for x in others)
        out.append(j)
    return out


def _piece(text: str, d: _Dated, same_line: list[_Dated]) -> tuple[str, str]:
    """The part of a line that belongs to one of its dates, and the text before the date."""
    later = [x.start for x in same_line if x.start > d.start]
    earlier = [x.end for x in same_line if x.end <= d.start]
    stop = min(later) if later else len(text)
    begin = max(earlier) if earlier else 0
    return text[d.start:stop], text[begin:d.start]


# ---------------------------------------------------------------------------------------------
# 4. fields


def _clean_title(text: str) -> str | None:
    """A title from a line: its dates, times, status words and document words taken out."""
    for m in reversed(find_date_matches(text)):
        text = text[:m.start] + " " + text[m.end:]
    for t in reversed(find_times(text)):
        text = text[:t.start] + " " + text[t.end:]
    text = _STATUS.sub(" ", text)
    text = re.sub(r"\.(?:pdf|docx?|html?)\b", " ", text, flags=re.I)
    text = norm(text).strip(" -–—|:,;@()[]/•·")
    text = re.sub(r"\s+(?:on|at|for|of)$", "", text, flags=re.I)
    text = re.sub(r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun)"
                  r"\b\.?,?\s*", "", text, flags=re.I).strip(" -–—|:,;@")
    bare = _TRAILING_DOC.sub("", text)
    if bare != text and _MEETING_WORD.search(bare):
        text = bare  # "Board Meeting Agenda" names the meeting of its agenda
    if (sum(c.isalpha() for c in text) < 3 or _DOC_WORDS.match(text) or _YEAR.fullmatch(text)
            or _LABEL_ONLY.match(text) or _token_kind(text) is not None):
        return None
    return text


def _address_lines(lines: list[_Line], idx: list[int], dated_line: int) -> str | None:
    """The place lines of an item: the address line, the name line before it and the city,
    suite or room lines after it."""
    for n, j in enumerate(idx):
        text = lines[j].text
        if j == dated_line or not _ADDRESS.search(text) or len(text) > 200:
            continue
        parts = [text]
        if n > 0 and idx[n - 1] != dated_line:
            before = lines[idx[n - 1]].text
            if _name_line(before):
                parts.insert(0, before)
        for k in idx[n + 1:n + 4]:
            after = lines[k].text
            if not _PLACE_TAIL.match(after) and not (_PLACE_WORDS.search(after) and
                                                     _name_line(after)):
                break
            parts.append(after)
        return ", ".join(p.strip(" ,") for p in parts)
    return None


def _name_line(text: str) -> bool:
    return (len(text) <= 80 and not find_date_matches(text) and not find_times(text)
            and not _DOC_WORDS.match(text) and any(c.isupper() for c in text))


def _place_after(piece: str, date_end: int) -> str | None:
    """The place a dated line names after its date and time: "... at 3:pm at Edgewater
    Chamber of Commerce 1210 W. Rosedale", "on Thursday, February 7, 2019 at Harold
    Washington College, 30 East Lake Street"."""
    times = [t for t in find_times(piece) if t.start >= date_end]
    rest = piece[times[0].end:] if times else piece[date_end:]
    m = re.match(r"^\W{0,3}(?:at|in|@|-|–)\s+(?P<loc>.+)$", rest.strip(), re.I)
    if m is None:
        return None
    loc = m.group("loc").strip(" .,;")
    return loc if _ADDRESS.search(loc) or _PLACE_WORDS.search(loc) else None


def _fields(item: _Item, lines: list[_Line], columns: dict[int, str]) -> None:
    """Title, time and place from the item's own lines (and its table columns, by header)."""
    idx = item.lines
    texts = [lines[j].text for j in idx]
    own_title = None
    for j in idx:
        if lines[j].heading or columns.get(j) == "title":
            own_title = _clean_title(lines[j].text)
            if own_title:
                break
    if own_title is None and item.lead:
        own_title = _clean_title(item.lead)
    if own_title is None:
        for j in idx:
            if j == item.dated.line or columns.get(j) in _NOT_TITLE_COLUMNS:
                continue
            text = lines[j].text
            if (_clean_title(text) and not _ADDRESS.search(text) and not _PLACE_TAIL.match(text)
                    and not _LOCATION_LABEL.match(text) and len(text) <= 150):
                own_title = _clean_title(text)
                break
    if own_title is None and not item.dated.tile:
        own_title = _clean_title(item.piece)
    item.title = own_title
    # time: the date's own, else the first after the date on its line, else in the item
    if item.dated.time is None:
        for t in find_times(item.piece):
            item.time = t
            break
        if item.time is None:
            for j, text in zip(idx, texts, strict=True):
                if j == item.dated.line or _HOURS.search(text):
                    continue
                found = find_times(text)
                if found:
                    item.time = found[0]
                    break
    # place: a labelled line, else an address, else the dated line's "at <place>"
    labelled = labelled_fields(texts).fields.get("location")
    if labelled is None:
        for n, text in enumerate(texts):
            m = _LOCATION_LABEL.match(text)
            if m:
                labelled = m.group("value")
                if not _ADDRESS.search(labelled) and n + 1 < len(texts) and \
                        _ADDRESS.search(texts[n + 1]):
                    labelled = f"{labelled}, {texts[n + 1]}"
                break
    column = ", ".join(lines[j].text.strip(" ,") for j in idx if columns.get(j) == "location")
    item.location = (labelled or (column if 3 <= len(column) <= 300 else None)
                     or _address_lines(lines, idx, item.dated.line)
                     or _place_after(item.piece, item.dated.end - item.dated.start)
                     or next((p for x in item.also if (p := _place_after(
                         lines[x.line].text[x.start:], x.end - x.start))), None))


_NOT_TITLE_COLUMNS = frozenset({"location", "docs", "other", "time", "date"})
_COLUMN_WORDS = (
    ("location", re.compile(r"\b(?:location|place|where|venue|address|room|site)\b", re.I)),
    ("date", re.compile(r"\b(?:date|when|day)\b", re.I)),
    ("time", re.compile(r"\b(?:time|hours?)\b", re.I)),
    ("docs", re.compile(r"\b(?:agendas?|minutes|documents?|attachments?|files?|materials?|"
                        r"video|audio|media|notices?|packets?|downloads?|links?)\b", re.I)),
    ("other", re.compile(r"\b(?:type|category|categories|status|comments?|notes?)\b", re.I)),
    ("title", re.compile(r"\b(?:meeting|name|title|event|committee|board|body|description|"
                         r"subject|topic)\b", re.I)),
)


def _column_kind(label: str) -> str | None:
    """What a table column holds, by its header ("Meeting Date" -> date, "Meeting name" ->
    title, "Principal Location" -> location, "Attachments" -> docs)."""
    if len(label) > 40:
        return None
    return next((kind for kind, words in _COLUMN_WORDS if words.search(label)), None)


def _columns(lines: list[_Line], item: _Item, headers: dict[HtmlElement, list[str | None]]
             ) -> dict[int, str]:
    """The column kind of each of an item's lines that sits in a table cell with a header."""
    out: dict[int, str] = {}
    for j in item.lines:
        cell = next((a for a in (lines[j].owner, *lines[j].owner.iterancestors())
                     if a.tag in ("td", "th", "table")), None)
        if cell is None or cell.tag == "table":
            continue
        row = cell.getparent()
        table = next((a for a in row.iterancestors() if a.tag == "table"), None) \
            if row is not None else None
        if row is None or table is None:
            continue
        if table not in headers:
            headers[table] = _header(table)
        kinds = headers[table]
        cells = [c for c in row if c.tag in ("td", "th")]
        at = next((n for n, c in enumerate(cells) if c is cell), None)
        if at is not None and at < len(kinds) and kinds[at] is not None:
            out[j] = kinds[at]  # type: ignore[assignment]
    return out


def _header(table: HtmlElement) -> list[str | None]:
    first = next(table.iter("tr"), None)
    if first is None or first.find("th") is None:
        return []
    return [_column_kind(norm(c.text_content()).lower().strip(" :"))
            for c in first if c.tag in ("td", "th")]


def _defaults(lines: list[_Line], used: set[int], first_item: int, single: bool
              ) -> tuple[TimeMatch | None, str | None]:
    """A time and a place the page states once for all its meetings, outside any item: in a
    sentence about its meetings, or as a labelled place before the first meeting (anywhere
    on a page of one meeting)."""
    times: list[TimeMatch] = []
    places: list[str] = []
    for i, line in enumerate(lines):
        if i in used or len(line.text) > 600:
            continue
        text = line.text
        label = _LOCATION_LABEL.match(text)
        value = label.group("value") if label else None
        if value is None and _LABEL_ALONE.match(text) and i + 1 < len(lines) and \
                i + 1 not in used:
            value = lines[i + 1].text  # "Location" above "Pace Headquarters"
        if value and (i < first_item or single) and (_ADDRESS.search(value)
                                                      or _PLACE_WORDS.search(value)):
            places.append(value)
            continue
        if not (_MEETING_WORD.search(text) and _DEFAULT_VERB.search(text)):
            continue
        if not _HOURS.search(text):
            found = [t for t in find_times(text) if t.end_time is None]
            if len(found) == 1:
                times.append(found[0])
        place = _default_place(text)
        if place:
            places.append(place)
    distinct = {t.time for t in times}
    return (times[0] if len(distinct) == 1 else None), (places[0] if places else None)


def _default_place(text: str) -> str | None:
    verb = _DEFAULT_VERB.search(text)
    if verb is None:
        return None
    rest = text[verb.end():]
    for m in _AT_PLACE.finditer(rest):
        loc = rest[m.end():]
        if re.match(r"(?:the\s+)?\d{1,2}(?::\d\d)?\s*[ap]\.?m|\d{1,2}:\d\d", loc, re.I):
            continue  # "at 10 a.m."
        cut = _PLACE_END.search(loc)
        loc = loc[:cut.start()] if cut else loc
        loc = loc.strip(" .,;:")
        if 3 <= len(loc) <= 200 and (_ADDRESS.search(loc) or _PLACE_WORDS.search(loc)):
            return loc
    return None


# ---------------------------------------------------------------------------------------------
# 5. the schedule


def _read_schedule(page: Page) -> Schedule:
    root = _content_root(page)
    lines, ranges = _lines(page, root)
    if not lines:
        return Schedule()
    dated = _dates(lines, page, root)
    if not dated:
        return Schedule()
    items = _items(lines, ranges, dated, root)
    headers: dict[HtmlElement, list[str | None]] = {}
    for item in items:
        _fields(item, lines, _columns(lines, item, headers))
    used = {j for item in items for j in item.lines}
    single = len({i.dated.day for i in items}) == 1
    default_time, default_place = _defaults(lines, used, min(i.dated.line for i in items),
                                            single)
    sections = _section_titles(lines, items)
    fallback = _page_name(page) or "Meeting"
    meetings: list[_Meeting] = []
    for item in items:
        time = item.dated.time or (item.time.time if item.time else None) or (
            default_time.time if default_time else None)
        end_time = item.time.end_time if item.time else None
        start = with_time(item.dated.day, time)
        end = item.dated.end_day or (with_time(item.dated.day, end_time) if end_time else None)
        if item.until is not None:
            end = with_time(item.until.day, item.until.time)
        title = item.title or sections.get(id(item)) or fallback
        event = Event(title=title, start_date=start, end_date=end,
                      location=item.location or default_place)
        own = item.title is not None or item.time is not None or item.location is not None
        meetings.append(_Meeting(event, item.title is not None, own, lines[item.dated.line].owner))
    bare = sum(1 for m in meetings if not m.named)
    if bare > BARE_DENSE and _dense([m.event for m in meetings if not m.named]):
        # a calendar of days, not a schedule: keep only what names itself
        meetings = [m for m in meetings if m.named]
    merged = _merge(meetings)
    events = [m.event for m in merged]
    labels = [lines[j].text for j in sorted(used) if len(lines[j].text) <= 80]
    return Schedule(tuple(events), _about_meetings(page, lines, events, labels),
                    tuple(m.where for m in merged))


def _about_meetings(page: Page, lines: list[_Line], events: list[Event], labels: list[str]
                    ) -> bool:
    """Whether the page calls its dated items meetings: most titles do, or its title, a
    heading or a short line of an item names meetings, agendas or minutes ("Board Meeting
    Schedule", "Meeting Location ...")."""
    if events and sum(1 for e in events if _MEETING_WORD.search(e.title)) * 2 >= len(events):
        return True
    title = page.tree.find(".//title")
    names = [norm(title.text_content())] if title is not None else []
    names += [line.text for line in lines if line.heading] + labels
    return any(_MEETING_PAGE.search(name) for name in names if len(name) <= 200)


@dataclass(slots=True)
class _Meeting:
    event: Event
    titled: bool  # the title is the item's own, not its section's or the page's
    named: bool  # the item has a title, a time or a place of its own: more than a bare date
    where: HtmlElement  # the element of its dated line


def _dense(events: list[Event]) -> bool:
    days = sorted({(e.start_date or "")[:10] for e in events})
    if len(days) < 2:
        return False
    from datetime import date

    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    return len(days) > DENSE_SHARE * ((last - first).days + 1)


def _section_titles(lines: list[_Line], items: list[_Item]) -> dict[int, str]:
    """For items without a title of their own: the nearest heading or year line above them
    ("2019 Board Meetings" -> "Board Meetings"), among the few nearest."""
    dated_lines = {i.dated.line for i in items} | {x.line for i in items for x in i.also}
    heads = [i for i, line in enumerate(lines) if i not in dated_lines and (
        line.heading or (len(line.text) <= 100 and _year_line(line) is not None))]
    cleaned: dict[int, str | None] = {}
    out: dict[int, str] = {}
    for item in items:
        if item.title is not None:
            continue
        pos = bisect_right(heads, item.dated.line) - 1
        for at in heads[max(0, pos - SECTION_LOOKBACK):pos + 1][::-1]:
            if at not in cleaned:
                cleaned[at] = _clean_title(_YEAR.sub(" ", lines[at].text))
            title = cleaned[at]
            if title:
                out[id(item)] = title
                break
    return out


def _page_name(page: Page) -> str | None:
    h1 = page.tree.find(".//h1")
    if h1 is not None:
        text = norm(h1.text_content())
        if text:
            return text
    title = page.tree.find(".//title")
    return norm(title.text_content()) if title is not None else None


def _merge(meetings: list[_Meeting]) -> list[_Meeting]:
    """One event per meeting. The same day seen twice is one meeting when both name the same
    clock time (a tile, its details and its agenda, repeated), the same title with no
    clashing time (an agenda and its minutes), or one of them has no title of its own (a
    schedule's bare date and the row of its documents); two committees of one day stay two."""
    out: list[_Meeting] = []
    by_day: dict[str, list[int]] = {}
    for m in meetings:
        start = m.event.start_date or ""
        at = None
        for k in by_day.get(start[:10], []):
            if _same_meeting(out[k], m):
                at = k
                break
        if at is not None:
            old = out[at]
            out[at] = _Meeting(_combine(old.event, m.event) if old.titled or not m.titled
                               else _combine(m.event, old.event),
                               old.titled or m.titled, True, old.where)
        else:
            by_day.setdefault(start[:10], []).append(len(out))
            out.append(m)
    return out


def _same_meeting(a: _Meeting, b: _Meeting) -> bool:
    sa, sb = a.event.start_date or "", b.event.start_date or ""
    if len(sa) > 10 and len(sb) > 10:
        # two clock times are two meetings; one time twice is one, unless in two places
        la, lb = a.event.location, b.event.location
        return sa == sb and (la is None or lb is None or la == lb)
    if a.event.title.lower() == b.event.title.lower():
        return True
    return not (a.titled and b.titled)


def _combine(first: Event, second: Event) -> Event:
    """Two sightings of one meeting: `first`'s title, the more precise start, any place."""
    start = max(first.start_date or "", second.start_date or "", key=len) or None
    return replace(first, start_date=start, end_date=first.end_date or second.end_date,
                   location=first.location or second.location)
