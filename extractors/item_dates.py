"""When a list item was published, as a listing page shows it.

Beside the forms `dates.py` reads anywhere, a listing shows dates in ways that only its
context settles: a byline ("Posted in Press Releases on April 17, 2015 |"), a date without its
year or only a clock time for recent items ("02/23(金) 19:18", "11時00分"), a `<time>` whose
attribute is UTC while its text is the page's own clock, and numeric dates whose order
(`05.12.15`) the page's other dates or its language decide. `items.py` reads one block with
these; `lists.py` settles every item's date once the whole page has been read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from extractors.dates import DateSpan, find_date_matches, order_matters
from extractors.fields import date_range
from extractors.registry import Page
from extractors.structured import machine_date
from extractors.times import find_times
from extractors.xpaths import META_DATE_RE

_DIGIT = re.compile(r"\d")
# a clock time alone: "10:59", "11時00分", "9:30 pm"
_CLOCK = re.compile(r"(?:[01]?\d|2[0-3])(?::[0-5]\d(?:\s?[ap]\.?m\.?)?|時[0-5]?\d分)", re.I)
_CLOCK_ONLY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)\s*$")
MOSTLY_DATE = 0.4  # share of a line a date must cover for the line to be "the date line"
SHORT_LINE = 100  # characters: a byline is short; a teaser that mentions a date is longer
STAMP_MAX = 60  # characters of a year-less date or clock line


def is_stamp(text: str) -> bool:
    """A short text that is a date without its year or a clock time ("02/23(金) 19:18",
    "1月20日", "11時00分", "10:59"): news lists show these for recent items."""
    if len(text) > STAMP_MAX or not _DIGIT.search(text):
        return False
    if _CLOCK.fullmatch(text.strip()):
        return True
    match = next((m for m in find_date_matches(text) if m.span is None), None)
    return match is not None and len(match.text) >= MOSTLY_DATE * len(text)


def is_byline(line: str) -> bool:
    """A short line that holds one complete date among other words: "Posted in Press Releases
    on April 17, 2015 |", "By Jane Doe, 5 May 2015". A teaser is longer, and one that holds a
    date is read as a teaser only when the block has a date of its own elsewhere."""
    if len(line) > SHORT_LINE or not _DIGIT.search(line):
        return False
    found = [m for m in find_date_matches(line) if m.span is not None]
    return len(found) == 1 and found[0].span is not None and len(found[0].span.start) >= 10


def shown_date(machine: str, shown: str) -> DateSpan | None:
    """A machine-readable date, at the time of day the element shows when that differs.

    `<time datetime="2024-01-19T20:00:00Z">5:00</time>`: the attribute is in UTC, the text in
    the page's own time, and the item's date is the page's (the 20th). Only for a value with
    an explicit offset and a text that shows a clock and nothing else (a visible date is read
    by the caller's other rules).
    """
    span = machine_date(machine)
    if span is not None and len(span.start) == 10 and shown and len(shown) <= 100:
        return _with_shown_time(span, shown)
    clock = _CLOCK_ONLY.fullmatch(shown.strip()) if shown and span and "T" in span.start else None
    if clock is None or span is None or not _OFFSET.search(machine):
        return span
    try:
        at = dt.datetime.fromisoformat(span.start)
    except ValueError:
        return span
    shown_minutes = int(clock.group(1)) * 60 + int(clock.group(2))
    delta = (shown_minutes - (at.hour * 60 + at.minute)) % 1440
    delta = delta - 1440 if delta > 840 else delta  # offsets run from -12:00 to +14:00
    local = at + dt.timedelta(minutes=delta)
    return DateSpan(local.strftime("%Y-%m-%dT%H:%M") if local.hour or local.minute
                    else local.strftime("%Y-%m-%d"))


def _with_shown_time(span: DateSpan, shown: str) -> DateSpan:
    """A day from the attribute at the clock time its element shows: `<time
    datetime="2023-10-19">October 19 @ 6:30 pm - 7:30 pm</time>` (a calendar plugin's list) is
    2023-10-19T18:30 to 19:30; not when the text shows another day."""
    times = find_times(shown)
    if not times:
        return span
    for m in find_date_matches(shown, context_year=int(span.start[:4])):
        if m.span is not None and len(m.span.start) >= 10 and m.span.start[:10] != span.start:
            return span
    t = times[0]
    end = f"{span.start}T{t.end_time}" if t.end_time and span.end is None else span.end
    return DateSpan(f"{span.start}T{t.time}", end)


def settle_date(date: DateSpan | None, text: str | None, order: str | None,
                reference: Callable[[], str | None]) -> DateSpan | None:
    """An item's date read the page's way, once all of the page's dates are known.

    `date` was read from `text` on its own. `order` ("mdy" / "dmy", `dates.numeric_order`
    of the page's date texts) re-reads a numeric date valid in both orders. A year-less
    date ("02/23(金)", "1月20日") takes the year that puts it nearest to `reference()`, the
    page's own date (asked for only when needed); without one it stays None: a year is
    never invented.
    """
    if text is None or (date is not None and (order is None or not order_matters(text, order))):
        return date
    if date is not None:
        return date_range(text, order=order) or date
    return _nearest_year(text, order, reference())


def _nearest_year(text: str, order: str | None, reference: str | None) -> DateSpan | None:
    """A year-less date in the year that puts it nearest the reference date: "12/28" on a
    page of 5 January 2024 is 28 December 2023."""
    if reference is None or not reference[:4].isdigit():
        return None
    year = int(reference[:4])
    spans = [s for y in (year - 1, year, year + 1)
             if (s := date_range(text, context_year=y, order=order)) is not None]
    when = _day(reference)
    days = [(s, _day(s.start)) for s in spans]
    if when is None or any(d is None for _, d in days):
        return next((s for s in spans if s.start[:4] == reference[:4]), None)
    return min(spans, key=lambda s: abs((_day(s.start) or when) - when))


def _day(iso: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso[:10])
    except ValueError:
        return None


def page_lang(page: Page) -> str | None:
    """The page's language as its root element or a Content-Language <meta> declares it."""
    root = page.tree
    lang = root.get("lang") or root.get("xml:lang")
    if not lang:
        meta = next((m for m in root.iter("meta")
                     if (m.get("http-equiv") or "").lower() == "content-language"), None)
        lang = meta.get("content") if meta is not None else None
    return lang.strip() or None if lang else None


def reference_date(page: Page, dates: Iterable[DateSpan | None]) -> str | None:
    """The date the page's year-less dates are near: the page's own (a published or modified
    <meta>), else the newest complete date of its lists, `dates` (memoised on the page)."""
    return page.memo("reference_date", lambda p: _meta_date(p) or max(
        (d.start for d in dates if d is not None and len(d.start) >= 10), default=None))


def _meta_date(page: Page) -> str | None:
    for meta in page.tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if META_DATE_RE.search(key):
            span = machine_date(meta.get("content"))
            if span is not None and len(span.start) >= 10:
                return span.start
    return None
