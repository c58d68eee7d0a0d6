"""The lines of a meeting page and the dates on them: the first half of reading a schedule
(`meetings.py`).

The content (page furniture left out) is read as lines, each with the block element that holds
it, and every block element's range of lines. Every line's dates at day precision are found; a
date without a year takes the year of the tab or panel it sits in, else of the nearest line above
that names one; with none it is dropped. Numeric dates are read month first on a page that
writes its dates so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import lxml.etree as etree
from lxml.html import HtmlElement

from extractors.dates import DateMatch, find_date_matches, parse_date
from extractors.html import norm
from extractors.registry import Page
from extractors.times import find_times
from extractors.xpaths import BLOCK_TAGS, COMMENTS_RE, HEADING_TAGS, LINE_BREAK_TAGS, SKIP_TAGS

MAX_LINES = 30_000  # lines of a page read; a schedule is near the top of its content
MAX_DATED = 3_000  # dated lines considered: a 5,000-row table is not read row by row forever
MAX_LINE = 400  # characters: a longer line is prose, whose dates are not a schedule's
# in a long line of prose, a meeting's date follows the verb that says it is one ("will hold
# the following meetings on ..."), not any verb ("adopted the Policy on September 21, 2010")
PROSE = 160  # characters: a longer line is a paragraph

_DIGIT = re.compile(r"\d")
YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
# words of a line that names a schedule ("2019 Meetings", "Board Meeting Schedule 2021")
_SCHEDULE_WORDS = re.compile(
    r"meeting|schedule|calendar|dates|agenda|minutes|session|hearing", re.I)
# the date a page was posted or edited on is not a meeting's
# the words of a posting stamp, in `_POSTED` (before a date) and `_STAMPED` (before a time)
_STAMP_WORDS = (r"posted|published|updated|modified|revised|amended|created|uploaded|added|"
                r"last edited")
_POSTED = re.compile(
    rf"(?:{_STAMP_WORDS})"
    r"(?:\s+on)?\W{0,3}(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*)?$|©\s*$|"
    r"copyright\W{0,3}$", re.I)
# containers of a sidebar's events widget, by class or id ("em-events-widget", "upcoming_events")
_WIDGET_TAGS = ("div", "section", "ul", "ol", "table", "dl")
_WIDGET_NAME = re.compile(r"event|meeting|calendar", re.I)
_MENU_NAME = re.compile(r"(?:^|[\s_-])(?:menu|nav|navbar|navigation)(?:$|[\s_-])", re.I)
MAX_WIDGETS = 4
# a file's path or address shown as text, up to its extension: a CMS prints the link's target
# before its text ("/content/dam/.../2019Standards_Tests.pdf2019 Meetings:"); not the line's words
_FILE_PATH = re.compile(
    r"(?:https?://|/)\S*?\.(?:pdf|docx?|xlsx?|pptx?|html?|aspx?|php|jpe?g|png)(?![a-z])", re.I)
_LIST_GAP = re.compile(r"\s*(?:[,;|/•·]\s*)?(?:and\s+|&\s+)?")
_MONTH_WORD = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d", re.I)
_GLUED = re.compile(r"[\s,;|/()\-–—]*$")  # nothing but separators between two dates
# a stamp's words, date and clock time up to where a time was found ("Posted Oct 13, 2023 ")
_STAMPED = re.compile(
    rf"\b(?:{_STAMP_WORDS})\b"
    r"(?:\s+on)?\W{0,3}(?:[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|"
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d\d-\d\d),?\s*(?:at\s*|@\s*)?$", re.I)


def posted_before(before: str) -> bool:
    """Whether the text right before a clock time is a posting stamp's words and date."""
    return _STAMPED.search(before) is not None


_MEETING_VERB = re.compile(
    r"\b(?:held|hold|holds|scheduled|rescheduled|meet|meets|convene|convenes|take place|"
    r"takes place|will be|next meeting|meeting (?:is|will|on)|aura lieu|se tiendra|se réunira|"
    r"findet|tagt|vyks)\b[^.]{0,60}$", re.I)
# "End" / "To" before a date: the end of the meeting above, not a meeting
_WEEKDAY_LEAD = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*$", re.I)
_END_LABEL = re.compile(r"^\W*(?:end|ends|end date|end time|to|until|finish)\W*$", re.I)
# a date an agenda item refers to ("Approval of June 21st, 2019 ... minutes") is another
# meeting's, already listed where that meeting is
_REFERENCE = re.compile(
    r"\b(?:approv\w*|adopt\w*|ratif\w*|correct\w*|minutes)\s+(?:of|from|for)\s+(?:the\s+)?"
    r"(?:(?:minutes|meeting)\s+(?:of|from|held on)\s+)?(?:the\s+)?$", re.I)
# a machine timestamp shown as text ("2018-09-18T15:28:17+00:00"): when a post was saved
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
MEETING_WORD = re.compile(
    r"\b(?:meetings?|meets|sessions?|hearings?|board|commission|committee|council|"
    # French, German, Dutch, Spanish, Italian, Lithuanian: agencies publish schedules in them
    r"réunions?|séances?|conseil|comités?|assemblées?|sitzung(?:en)?|versammlung(?:en)?|"
    r"ausschuss(?:es)?|vorstand(?:es)?|vergadering(?:en)?|zitting(?:en)?|reuni[oó]n(?:es)?|"
    r"sesi[oó]n(?:es)?|consejo|riunion[ei]|sedut[ae]|consiglio|posėd\w*|susitikim\w*|"
    r"taryb\w*|komitet\w*)\b", re.I)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?$", re.I)
_MONTH_TOKEN = re.compile(
    r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?$", re.I)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$")
_NUMERIC_START = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?!\d)")
_MONTH_DAY = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s{1,3}\d{1,2}(?!\d)", re.I)
_DAY_MONTH = re.compile(
    r"(?<!\d)\d{1,2}(?:st|nd|rd|th|\.)?\s{1,3}(?:of\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)


@dataclass(slots=True)
class Line:
    text: str
    owner: HtmlElement  # the innermost block element holding the line
    level: int  # 1-6 inside h1-h6, else 0

    @property
    def heading(self) -> bool:
        return self.level > 0


@dataclass(slots=True)
class Dated:
    """A day-precision date found on a line."""

    line: int
    start: int  # offsets of the date in the line's text
    end: int
    day: str  # "2019-06-28"
    time: str | None = None  # "09:00" when the date expression carried one
    end_day: str | None = None  # the last day of a range
    closes: bool = False  # labelled "End": the end of the meeting before it
    tile: bool = False  # split over several elements: its line holds nothing but the date


# the space `content_lines` puts between two elements' numbers ("2018" "26" -> "2018 26")
_GLUED_NUMBERS = re.compile(r"(?<=\d) (?=\d)")


def content_root(page: Page) -> HtmlElement:
    body = page.tree.find("body")
    return page.tree if body is None else body


def content_lines(page: Page, root: HtmlElement
           ) -> tuple[list[Line], dict[HtmlElement, tuple[int, int]]]:
    """The content's lines with their block element, and each block's [first, end) lines."""
    out: list[Line] = []
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
            out.append(Line(text, owner[0] if owner[0] is not None else root, heading_now[0]))
        owner[0] = None

    def add(text: str | None) -> None:
        if text:
            if owner[0] is None and text.strip():
                owner[0] = stack[-1] if stack else root
                heading_now[0] = levels[-1] if levels else 0
            if buf and buf[-1][-1:].isalnum() and text[:1].isdigit():
                # two elements' numbers side by side are two numbers, shown apart by their
                # styles: "December 14, 2023<span class="d-block">11:30 AM</span>"; so is a
                # word and a number: "<span>Agency Office</span><span>3234 N. Central</span>"
                buf.append(" ")
            buf.append(text)

    def walk_from(top: HtmlElement, widgets: list[HtmlElement] | None) -> None:
        walk = etree.iterwalk(top, events=("start", "end"))
        for event, node in walk:
            tag = node.tag if isinstance(node.tag, str) else ""
            if event == "start":
                if (not tag or (tag in SKIP_TAGS and not _toggle(node)) or
                        (node is not top and (page.furniture(node) or _comments(node)))):
                    if tag in BLOCK_TAGS and buf:
                        flush()
                    walk.skip_subtree()
                    if widgets is not None and tag and tag not in SKIP_TAGS:
                        widgets.extend(events_widgets(node))
                    if node is not top:
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
                if node is not top:
                    add(node.tail)
            if len(out) >= MAX_LINES:
                break
        flush()

    widgets: list[HtmlElement] = []
    walk_from(root, widgets)
    # an events widget in a sidebar ("Upcoming Events", "Past Meetings") is read after the
    # content, as its own lines: on a page of minutes posts it is where the meetings' times
    # and places are; the rest of the sidebar stays unread
    for widget in widgets[:MAX_WIDGETS]:
        if len(out) >= MAX_LINES:
            break
        stack.clear()
        levels.clear()
        walk_from(widget, None)
    return out, ranges


def _toggle(el: HtmlElement) -> bool:
    """An accordion's button, whose text heads its panel ("2024"): inside a heading, or one
    that opens and closes something (aria-expanded)."""
    if el.tag != "button":
        return False
    parent = el.getparent()
    return el.get("aria-expanded") is not None or (parent is not None and
                                                   parent.tag in HEADING_TAGS)


def events_widgets(furniture: HtmlElement) -> list[HtmlElement]:
    """The events or meetings widgets of a sidebar: containers named so ("em-events-widget",
    "upcoming-events", "meeting-calendar"); never inside navigation, whose menu items are
    named for the events page they link to."""
    if furniture.tag in ("nav", "header", "footer", "menu") or \
            (furniture.get("role") or "").lower() in ("navigation", "banner", "contentinfo"):
        return []
    found: list[HtmlElement] = []
    named = 0
    for el in furniture.iter(*_WIDGET_TAGS):
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if not _WIDGET_NAME.search(names) or _MENU_NAME.search(names):
            continue
        named += 1
        if named > MAX_WIDGETS * 8 or len(found) >= MAX_WIDGETS:
            break  # a sidebar of thousands of "event" boxes is no widget to read
        above = []  # its ancestors up to the furniture element
        for a in el.iterancestors():
            if a is furniture:
                break
            above.append(a)
        if any(a in found or a.tag in ("nav", "menu") or _MENU_NAME.search(
                f"{a.get('class') or ''} {a.get('id') or ''}") for a in above):
            continue  # inside a widget already taken, or a menu
        found.append(el)
    return found


def _comments(el: HtmlElement) -> bool:
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(names.strip()) and COMMENTS_RE.search(names) is not None


def year_line(line: Line) -> int | None:
    """The year a heading or a short line names for what follows ("2019", "2021 Meeting
    Schedule", "Meeting dates for 2024 are listed below:")."""
    text = _FILE_PATH.sub(" ", line.text)
    if len(text) > 100:
        return None
    years = set(YEAR.findall(text))
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
            own = YEAR.findall(ident)
            if len(own) == 1:
                return int(own[0])
        node = node.getparent()
    return None


_MONTH_YEAR = re.compile(r"^[^\W\d_]{3,12}\.?,?\s+(?:19[5-9]\d|20\d\d)$")
# a day number opening a line under its month's heading: "9 – Board of Trustees, 6 p.m."
_DAY_OPENING = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s*[-–—:|)]\s*|\s+(?=[A-Z])|"
                          r"(?P<dot>\.)\s+)(?=\S)")


def _month_heading(text: str) -> str | None:
    """"January 2024" alone on a line: the month of the day numbers under it."""
    if len(text) > 30 or not _MONTH_YEAR.match(text.strip()):
        return None
    span = parse_date(text)
    return span.start if span is not None and len(span.start) == 7 else None


def _day_under_month(text: str, i: int, month: str) -> Dated | None:
    """A line under a month heading that opens with its day and names a meeting or a time
    ("9 – Board of Trustees, 6:00 p.m."); not a numbered agenda item ("1. Call to order")."""
    m = _DAY_OPENING.match(text)
    if m is None or len(text) > PROSE:
        return None
    timed = bool(find_times(text))
    if not (timed or (MEETING_WORD.search(text) and not m.group("dot"))):
        return None
    try:
        day = dt.date(int(month[:4]), int(month[5:7]), int(m.group(1))).isoformat()
    except ValueError:
        return None
    return Dated(i, 0, m.end(), day, None, None)


def _selected_year(root: HtmlElement) -> int | None:
    """The year an archive's year filter shows (`<select>` of years, one `selected`): the year
    of the dates listed without one, until a heading names another."""
    for select in root.iter("select"):
        options = [o for o in select.iter("option")][:60]
        years = [YEAR.fullmatch(norm(o.text_content())) for o in options]
        if len(options) < 2 or sum(1 for y in years if y) * 2 < len(options):
            continue
        chosen = [y for o, y in zip(options, years, strict=True)
                  if y and o.get("selected") is not None]
        if len(chosen) == 1:
            return int(chosen[0].group(0))
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
        years = YEAR.findall(text)
        if len(years) == 1:
            if target:
                labels[target] = int(years[0])
            if ident:
                labels[ident] = int(years[0])
    return labels


def _month_first(lines: list[Line], page: Page) -> bool:
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


def find_dated(lines: list[Line], page: Page, root: HtmlElement) -> list[Dated]:
    labels = _tab_labels(root)
    order: list[bool] = []  # the page's numeric date order, read when a line first needs it
    year: int | None = _selected_year(root)
    month: str | None = None  # "2024-01" under a "January 2024" heading
    found: list[Dated] = []
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
            heading_year = year_line(line)
            if heading_year is not None:
                year = heading_year
            heading_month = _month_heading(text)
            if heading_month is not None or heading_year is not None or line.heading:
                month = heading_month  # "January 2024" heads its days; another heading ends it
            elif month is not None:
                day = _day_under_month(text, i, month)
                if day is not None:
                    found.append(day)
            continue
        context = _panel_year(line.owner, labels, root)
        context = context if context is not None else (lead_year(text) or year)
        dated = _line_dates(text, i, context, lambda: _order(order, lines, page)) \
            if context is not None else own
        for d in dated or []:
            lead = _WEEKDAY_LEAD.sub("", text[:d.start])
            if _END_LABEL.match(lead) or (not lead.strip() and i and _END_LABEL.match(
                    lines[i - 1].text)):
                d.closes = True
            found.append(d)
    return found


def _order(memo: list[bool], lines: list[Line], page: Page) -> bool:
    if not memo:
        memo.append(_month_first(lines, page))
    return memo[0]


def _line_dates(text: str, i: int, context: int | None, month_first: Callable[[], bool]
                ) -> list[Dated] | None:
    """The day-precision dates of a line (with `context` as the year of those without one);
    None when the line has no day-and-month expression at all."""
    if len(text) > MAX_LINE:
        return None
    matches = find_date_matches(text, context_year=context)
    out: list[Dated] = []
    seen_day_month = False
    posted_end = -1  # where the last "posted on" date ended
    listed = len(text) > PROSE and _date_list(text, matches)
    for m in matches:
        if m.span is None:
            seen_day_month = seen_day_month or _day_month(m.text)
            continue
        start = m.span.start
        if len(start) < 10:
            continue
        seen_day_month = True
        before = text[max(0, m.start - 40):m.start]
        if _POSTED.search(before) or (posted_end >= 0 and _GLUED.match(
                text, posted_end, m.start)):
            # and the date glued right after it: blog themes print the published and the
            # updated date side by side ("Posted on June 12, 2023August 15, 2023")
            posted_end = m.end
            continue
        if _REFERENCE.search(before) or _STAMP.match(m.text):
            continue
        if len(text) > PROSE and not listed and not _meeting_sentence(
                text[max(0, m.start - 160):m.start]):
            continue
        day, time = start[:10], start[11:16] or None
        numeric = _NUMERIC_START.match(m.text.strip())
        if numeric and month_first():
            swapped = _swap(numeric, day)
            if swapped is None:
                continue
            day = swapped
        end = m.span.end[:10] if m.span.end and len(m.span.end) >= 10 else None
        out.append(Dated(i, m.start, m.end, day, time, end if end != day else None))
    return out if seen_day_month else None


def _date_list(text: str, matches: list[DateMatch]) -> bool:
    """A line that lists dates, not prose: three or more, with nothing but separators between
    them ("January 17, February 21, March 14, and April 18")."""
    if len(matches) < 3:
        return False
    return all(_LIST_GAP.fullmatch(text[a.end:b.start])
               for a, b in pairwise(matches))


def lead_year(text: str) -> int | None:
    """The one year a line names before its first date ("Regular meeting dates for 2019:
    January 17, February 21, ..."), for the dates of that line without one."""
    first = _MONTH_WORD.search(text)
    head = text[:first.start()] if first else ""
    years = set(YEAR.findall(head)) if len(head) <= 80 else set()
    return int(years.pop()) if len(years) == 1 else None


def _meeting_sentence(before: str) -> bool:
    """Prose that says a meeting is held on the date that follows ("The Finance Committee will
    meet on", "will hold the following meetings on"), not any event or any verb."""
    return bool(_MEETING_VERB.search(before) and MEETING_WORD.search(before))


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


def _tile(lines: list[Line], i: int) -> tuple[Dated, int] | None:
    """A calendar tile: a date split over short lines ("2018" / "26" / "Jan" / "Friday"), or
    over spans with nothing between them, that the page's style stacks ("201826Jan")."""
    first = lines[i].text
    if len(first) > 24 or " " in _GLUED_NUMBERS.sub("", first.strip()):
        return None
    tokens: dict[str, str] = {}
    last = i
    if token_kind(first) is None:
        parts = [t for t in (norm(x) for x in lines[i].owner.itertext()) if t]
        if not 3 <= len(parts) <= 4 or _GLUED_NUMBERS.sub("", first) != "".join(parts):
            return None
        for part in parts:
            kind = token_kind(part)
            if kind is None or kind in tokens:
                return None
            tokens[kind] = part
    else:
        for j in range(i, min(len(lines), i + 4)):
            token = lines[j].text.strip()
            kind = token_kind(token)
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
    return Dated(i, 0, len(first), matches[0].span.start[:10], tile=True), last


def token_kind(token: str) -> str | None:
    if token.isdigit():
        if len(token) <= 2 and 1 <= int(token) <= 31:
            return "day"
        if len(token) == 4 and YEAR.fullmatch(token):
            return "year"
        return None
    if _MONTH_TOKEN.match(token):
        return "month"
    if _WEEKDAY.match(token):
        return "weekday"
    return None
