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
  (`2018` / `26` / `Jan`);
- meetings carried as JSON in a `<script>` (`scripted.py`), read where the page shows fewer
  than two.

How:
1. The content (page furniture left out) is read as lines (`content_lines`), each with the block
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
from dataclasses import dataclass, replace
from datetime import date

from lxml.html import HtmlElement

from extractors.html import lines as text_lines
from extractors.html import norm
from extractors.meeting_fields import (
    MeetingItem,
    clean_title,
    columns_of,
    fuller_place,
    page_defaults,
    read_fields,
    same_place,
)
from extractors.meeting_lines import (
    MEETING_WORD,
    YEAR,
    Dated,
    Line,
    content_lines,
    content_root,
    find_dated,
    year_line,
)
from extractors.records import Event
from extractors.registry import Page
from extractors.scripted import scripted_meetings
from extractors.times import with_time

# an item that says its day has no meeting ("March 20 - no meeting", "No meeting in August")
_NO_MEETING = re.compile(
    r"\bno (?:meeting|session|hearing)s?(?: (?:scheduled|held|planned|this month))?\W*$", re.I)
MAX_MEETINGS = 1_000  # meetings one page yields
MAX_ITEM_LINES = 15  # an item (a row, a panel) longer than this is a page section
MAX_FLAT_LINES = 8  # lines after a dated line that can belong to it when nothing wraps it
# bare dates (no title, time or place of their own) on more than half the days between the
# first and the last, and more than a month of them: a calendar of days, not a schedule
BARE_DENSE = 31
DENSE_SHARE = 0.5
SECTION_LOOKBACK = 12  # headings above an item searched for its section's name
MIN_SCRIPTED = 2  # meetings a page must show before its scripts' are left unread
_MEETING_STEMS = ("meeting", "agenda", "minutes", "hearing", "board of", "commission",
                  "committee", "council", "réunion", "séance", "conseil", "sitzung", "ausschuss",
                  "vergadering", "reunión", "sesión", "riunion", "posėd")
# a page's name that says it lists meetings (plural, or a schedule: a news page's title
# names "a meeting" or "a hearing" in passing)
_MEETINGS_PAGE = re.compile(
    r"\b(?:meetings|agendas|minutes|hearings|meeting (?:schedule|calendar|dates|information|"
    r"notices?|archive)|réunions|séances|conseil d'administration|sitzungen|sitzungstermine|"
    r"vergaderingen|reuniones|sesiones|riunioni|posėdžiai)\b", re.I)
# how an introduction names a schedule of meetings (see _lead_in)
_SCHEDULE_NAMED = re.compile(
    r"\bmeetings? (?:schedule|calendar|dates)\b|\bschedule of (?:\w+ ){0,3}meetings\b", re.I)
MAX_HEADS = 200  # items whose heading is read for what the page calls them
# a short line of an item that opens by naming a meeting ("Meeting Location ...", "Public
# Hearing", "Community Meetings"), not a headline that mentions one in passing
_MEETING_LABEL = re.compile(r"^(?:[\w'’-]+\s+){0,2}((?:meetings?|hearings?|agendas?|minutes|"
                            r"réunions?|séances?|sitzung(?:en)?|posėd\w*))\b", re.I)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The meetings of a page, and whether the page calls them meetings."""

    events: tuple[Event, ...] = ()
    meeting_words: bool = False  # titles or headings say meeting/board/committee...
    # the element of each event's dated line, for callers that weigh it against other lists
    where: tuple[HtmlElement, ...] = ()

    def named_meeting(self, i: int) -> bool:
        return MEETING_WORD.search(self.events[i].title) is not None


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
# items


def _items(lines: list[Line], ranges: dict[HtmlElement, tuple[int, int]],
           dated: list[Dated], root: HtmlElement) -> list[MeetingItem]:
    by_line: dict[int, list[Dated]] = {}
    for d in dated:
        by_line.setdefault(d.line, []).append(d)
    lines_with = sorted(by_line)
    items: list[MeetingItem] = []
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
        item = MeetingItem(d, item_lines, piece, lead)
        item.also = [x for j in item_lines if j != d.line for x in by_line.get(j, ())
                     if x.day == d.day and not x.closes]
        item.until = next((x for j in item_lines if j != d.line for x in by_line.get(j, ())
                           if x.closes and x.day >= d.day), None)
        items.append(item)
        taken.add(id(d))
        if len(items) >= MAX_MEETINGS:
            break
    return items


def _container(lines: list[Line], ranges: dict[HtmlElement, tuple[int, int]], d: Dated,
               by_line: dict[int, list[Dated]], lines_with: list[int], root: HtmlElement
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


def _other_days(span: tuple[int, int], d: Dated, by_line: dict[int, list[Dated]],
                lines_with: list[int]) -> bool:
    lo, hi = bisect_left(lines_with, span[0]), bisect_left(lines_with, span[1])
    return any(x.day != d.day for ln in lines_with[lo:hi] for x in by_line[ln])


def _sibling_item(parent: HtmlElement, node: HtmlElement, outer: tuple[int, int],
                  inner: tuple[int, int], lines: list[Line], lines_with: list[int]) -> bool:
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
    if node.tag == "li" and _linked(node):
        # a list of linked entries ("2023-01-12 Board Minutes", "Budget 2023"): each entry is
        # its own, dated or not; a meeting's undated detail lines (its time, its room) link
        # nowhere
        kind = node.get("class") or ""
        return any(sib is not node and sib.tag == "li" and (sib.get("class") or "") == kind
                   and _linked(sib) for sib in parent)
    return False


def _linked(el: HtmlElement) -> bool:
    return any(a.get("href") for a in el.iter("a"))


def _child_of(parent: HtmlElement, el: HtmlElement) -> HtmlElement | None:
    node: HtmlElement | None = el
    while node is not None:
        up = node.getparent()
        if up is parent:
            return node
        node = up
    return None


def _flat(lines: list[Line], ranges: dict[HtmlElement, tuple[int, int]], d: Dated,
          by_line: dict[int, list[Dated]], taken: set[int]) -> list[int]:
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
        if year_line(lines[j]) is not None and len(lines[j].text) < 12:
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


def _piece(text: str, d: Dated, same_line: list[Dated]) -> tuple[str, str]:
    """The part of a line that belongs to one of its dates, and the text before the date."""
    later = [x.start for x in same_line if x.start > d.start]
    earlier = [x.end for x in same_line if x.end <= d.start]
    stop = min(later) if later else len(text)
    begin = max(earlier) if earlier else 0
    return text[d.start:stop], text[begin:d.start]


# ---------------------------------------------------------------------------------------------
# the schedule


def _read_schedule(page: Page) -> Schedule:
    """The meetings the page shows; where it shows fewer than two, those its scripts carry as
    JSON (a calendar widget that fills itself in the browser)."""
    shown = _shown(page)
    if len(shown.events) >= MIN_SCRIPTED:
        return shown
    scripted = scripted_meetings(page)
    if len(scripted) < MIN_SCRIPTED:
        return shown
    events = tuple(e for e, _ in scripted)
    return Schedule(events, _about_meetings(list(events), [], [], _page_name(page)),
                    tuple(where for _, where in scripted))


def _shown(page: Page) -> Schedule:
    root = content_root(page)
    lines, ranges = content_lines(page, root)
    if not lines:
        return Schedule()
    dated = find_dated(lines, page, root)
    if not dated:
        return Schedule()
    items = _items(lines, ranges, dated, root)
    headers: dict[HtmlElement, list[str | None]] = {}
    for item in items:
        read_fields(item, lines, columns_of(lines, item, headers))
    used = {j for item in items for j in item.lines}
    single = len({i.dated.day for i in items}) == 1
    default_time, default_place = page_defaults(lines, used, min(i.dated.line for i in items),
                                            single)
    sections = _section_titles(lines, items)
    fallback = _page_name(page) or "Meeting"
    meetings: list[_Meeting] = []
    for item in items:
        if any(_NO_MEETING.search(lines[j].text) for j in item.lines):
            continue  # "March 20 / no meeting": a day of the schedule without one
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
    heads = _heads_above(lines, items) + _lead_in(lines, items, used)
    return Schedule(tuple(events), _about_meetings(events, labels, heads, _page_name(page)),
                    tuple(m.where for m in merged))


def _about_meetings(events: list[Event], labels: list[str], heads: list[str],
                    name: str | None) -> bool:
    """Whether the page calls its dated items meetings: most titles (their own, or their
    section's: "2021 Meeting Schedule") name a meeting, a board, a committee...; the heading
    right above them does ("Commission Meetings", "SSA #2 Meeting Minutes"); a short line of an
    item opens by naming one ("Meeting Location ...", "Public Hearing"); or the page's own name
    says it lists meetings ("Board Meetings", "Agendas and Minutes").

    Not any heading of the page: a news page names councils and hearings in its headlines and
    sidebars ("Agenda culturel") beside its lists of dated stories.
    """
    if events and sum(1 for e in events if MEETING_WORD.search(e.title)) * 2 >= len(events):
        return True
    if any(MEETING_WORD.search(head) for head in heads):
        return True
    if name and _MEETINGS_PAGE.search(name):
        return True
    return any(_label_names_meeting(label) for label in labels if len(label) <= 80)


def _label_names_meeting(label: str) -> bool:
    """"Meeting Location ...", "Public Hearing": a label, its meeting word capitalised; not a
    teaser that opens "At a hearing of the ..." ."""
    m = _MEETING_LABEL.match(label)
    return m is not None and label[m.start(1)].isupper()


def _lead_in(lines: list[Line], items: list[MeetingItem], used: set[int]) -> list[str]:
    """The sentence that introduces the schedule ("Following is the Board's regular monthly
    meeting schedule for 2019-2020."), if it names one: up to three lines right above the
    first item, short of a column header. Only its names of a schedule count, not any mention
    of a meeting (a news list's intro may mention one in passing)."""
    first = min((i.dated.line for i in items), default=0)
    out = []
    for j in range(first - 1, max(-1, first - 4), -1):
        if j in used or len(lines[j].text) > 400:
            break
        if _SCHEDULE_NAMED.search(lines[j].text):
            out.append(lines[j].text)
    return out


def _heads_above(lines: list[Line], items: list[MeetingItem]) -> list[str]:
    """The heading (or year line) right above each run of items, once each."""
    heads = [i for i, line in enumerate(lines) if line.heading or (
        len(line.text) <= 100 and year_line(line) is not None)]
    seen: dict[int, str] = {}
    for item in items[:MAX_HEADS]:
        pos = bisect_right(heads, item.dated.line) - 1
        if pos >= 0 and heads[pos] not in seen and heads[pos] not in item.lines:
            seen[heads[pos]] = lines[heads[pos]].text
    return list(seen.values())


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
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    return bool(len(days) > DENSE_SHARE * ((last - first).days + 1))


def _section_titles(lines: list[Line], items: list[MeetingItem]) -> dict[int, str]:
    """For items without a title of their own: the nearest heading or year line above them
    ("2019 Board Meetings" -> "Board Meetings"), among the few nearest."""
    dated_lines = {i.dated.line for i in items} | {x.line for i in items for x in i.also}
    heads = [i for i, line in enumerate(lines) if i not in dated_lines and (
        line.heading or (len(line.text) <= 100 and year_line(line) is not None))]
    cleaned: dict[int, str | None] = {}
    out: dict[int, str] = {}
    for item in items:
        if item.title is not None:
            continue
        pos = bisect_right(heads, item.dated.line) - 1
        for at in heads[max(0, pos - SECTION_LOOKBACK):pos + 1][::-1]:
            if at not in cleaned:
                cleaned[at] = clean_title(YEAR.sub(" ", lines[at].text))
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
    clashing time (an agenda and its minutes), one of them has no title of its own (a
    schedule's bare date and the row of its documents), or only one has a time and both
    names share the body's word; two committees of one day stay two."""
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
        # two clock times are two meetings; one time twice is one, unless in two places or
        # under two names of their own (two committees sitting at 6 p.m.)
        la, lb = a.event.location, b.event.location
        return (sa == sb and (la is None or lb is None or same_place(la, lb))
                and not (a.titled and b.titled and _other_names(a.event.title, b.event.title)))
    if a.event.title.lower() == b.event.title.lower():
        return True
    if not (a.titled and b.titled):
        return True
    # a day's minutes post without a time and the events widget's entry at 6:30 p.m. under a
    # name of the same body ("Governing Commission Meeting 8.17.23", "Governing Commissioners
    # Public Meeting"): one meeting; two names with nothing in common stay two
    return (len(sa) > 10) != (len(sb) > 10) and _one_name(a.event.title, b.event.title)


# Words every meeting's title may carry; what is left names the body that meets.
_GENERIC_WORDS = frozenset((
    "a", "an", "and", "the", "of", "for", "on", "to", "in", "at", "meeting", "meetings",
    "regular", "special", "board", "committee", "commission", "council", "session", "hearing",
    "public", "agenda", "minutes", "notice", "video", "audio", "packet", "summary", "draft",
    "final", "amended", "revised", "cancelled", "canceled", "rescheduled"))


def _other_names(a: str, b: str) -> bool:
    """Two titles that name two bodies ("Finance Committee", "Parks Committee"): once the
    words every meeting carries are set aside, both have words left and share none."""
    wa, wb = _body_words(a), _body_words(b)
    return bool(wa) and bool(wb) and not wa & wb


def _one_name(a: str, b: str) -> bool:
    """Two titles naming one body: a word beyond those every meeting carries in both."""
    return bool(_body_words(a, shortest=3) & _body_words(b, shortest=3))


def _body_words(title: str, shortest: int = 1) -> set[str]:
    """A title's words of `shortest` letters or more, those every meeting carries left out."""
    return {w for w in re.findall(r"[^\W\d_]+", title.lower())
            if len(w) >= shortest} - _GENERIC_WORDS


def _combine(first: Event, second: Event) -> Event:
    """Two sightings of one meeting: `first`'s title, the more precise start, any place."""
    start = max(first.start_date or "", second.start_date or "", key=len) or None
    return replace(first, start_date=start, end_date=first.end_date or second.end_date,
                   location=fuller_place(first.location, second.location))
