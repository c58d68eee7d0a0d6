"""Clock times as agency pages write them, to `HH:MM` on the 24-hour clock.

    find_times("6 p.m. - 8 p.m.")         -> [TimeMatch(.., "18:00", "20:00")]
    find_times("10:30am")                 -> [TimeMatch(.., "10:30", None)]
    find_times("12:00 noon")              -> [TimeMatch(.., "12:00", None)]
    find_times("8:30 AM - 10:00 AM CST")  -> [TimeMatch(.., "08:30", "10:00")]

A 12-hour time needs its a.m./p.m. (`9 a.m.`, `9:00 AM`, `3:pm`); a 24-hour one needs its
minutes (`13:30`, `9.30` is not read: it is a number as often as a time). A range (`6 - 8 p.m.`,
`1:00 PM to 4:00 PM`) gives its end; a start without its own a.m./p.m. takes the end's, unless
that would put it after the end (`11 - 1 p.m.` is 11:00 to 13:00).

`local_time` turns a machine-readable datetime with a UTC offset (`2019-09-17T15:00:00Z`)
into the page's own clock, given the page's offset; pages state that offset in their other
machine-readable dates or as a zone abbreviation (`CST`, `CDT`) next to a visible time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# Every repetition is bounded: no pattern can backtrack badly on a long line.
_SP = r"[ \t\u00a0]{0,3}"


def _clock(h: str, m: str, g: str) -> str:
    """One clock time: an hour, its minutes ("9:30", "9.30 pm"), an a.m./p.m. or "noon"."""
    return (
        rf"(?P<{h}>[01]?\d|2[0-3])(?:(?::|\.(?=\d\d{_SP}[aApP]))(?P<{m}>[0-5]\d))?(?!\d)"
        rf"(?:{_SP}:?{_SP}(?P<{g}w>(?P<{g}>[aApP])\.?{_SP}[mM]\.?(?![^\W\d_])"
        rf"|(?P<{g}n>noon|midnight)(?![^\W\d_])))?"
    )


_RANGE_SEP = rf"{_SP}(?:[-–—~]|to|until|till|through|thru){_SP}"
_TIME_RE = re.compile(
    r"(?<![\w:.,/-])" + _clock("h", "m", "ap")
    + r"(?:" + _RANGE_SEP + _clock("h2", "m2", "ap2") + r")?",
    re.IGNORECASE,
)
# the 24-hour clock with a unit, as French, German and Lithuanian pages write it: "14h00",
# "14 h 30", "9h30 à 12h", "14 Uhr", "14.30 Uhr", "14 val."


def _unit_clock(h: str, m: str, u: str) -> str:
    return (rf"(?P<{h}>[01]?\d|2[0-3])(?:{_SP}(?P<{u}h>h){_SP}(?P<{m}>[0-5]\d)?(?![^\W\d_])"
            rf"(?!{_SP}min)"
            rf"|(?:[:.](?P<{m}x>[0-5]\d))?{_SP}(?P<{u}>uhr|val\.?|óra)(?![^\W\d_]))")


_UNIT_TIME_RE = re.compile(
    r"(?<![\w:.,/-])" + _unit_clock("h", "m", "u")
    + rf"(?:{_SP}(?:[-–—]|à|a|bis|iki|to|until){_SP}" + _unit_clock("h2", "m2", "u2") + ")?",
    re.IGNORECASE,
)
# before a bare "14h": the word that makes it a time ("à 14h", "um 14 Uhr" needs none)
_UNIT_LEAD = re.compile(r"(?:\bà|\ba|\bde|\bdès|\bvers|\bat|\bfrom|\bnuo)\s*$", re.I)
_UNIT_AFTER = re.compile(r"[ \t\u00a0]{0,2}(?:uhr|val\.?|h)(?![^\W\d_])", re.I)
_DIGIT = re.compile(r"\d")
_NOON = re.compile(r"(?<![^\W\d_])(?P<w>noon|midday|midnight)(?![^\W\d_])", re.IGNORECASE)
# a zone abbreviation right after a time: "10:00 AM CST"
_ZONE_AFTER = re.compile(r"^[ \t\u00a0]{0,3}\(?(?P<z>[ECMP][SD]T|UTC|GMT|Z)\)?(?![^\W\d_])")
# US zone abbreviations and their offsets in hours (pages in the US state them most)
ZONE_OFFSETS: dict[str, int] = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "UTC": 0, "GMT": 0, "Z": 0,
}
SCAN_LIMIT = 2_000  # characters of a line read for times: a meeting's line is short


@dataclass(frozen=True, slots=True)
class TimeMatch:
    """A clock time (or range) found in a text, `HH:MM` on the 24-hour clock."""

    start: int
    end: int
    time: str
    end_time: str | None = None
    zone: str | None = None  # "CST" when the page wrote one after the time


def _to_24(hour: int, minute: int, meridiem: str | None) -> tuple[int, int] | None:
    if meridiem is None:
        return hour, minute
    if not 1 <= hour <= 12:
        return None  # "13 p.m." is no time
    if meridiem == "a":
        return (0 if hour == 12 else hour), minute
    return (12 if hour == 12 else hour + 12), minute


@dataclass(frozen=True, slots=True)
class _Part:
    hour: int
    minute: int | None
    meridiem: str | None  # "a" or "p"
    stop: int  # where this part of the match ends


def _part(m: re.Match[str], h: str, mm: str, g: str) -> _Part:
    letter, word = m.group(g), (m.group(g + "n") or "").lower()
    meridiem = letter.lower() if letter else {"noon": "p", "midnight": "a"}.get(word)
    stop = max(m.end(name) for name in (h, mm, g + "w") if m.group(name) is not None)
    minute = m.group(mm)
    return _Part(int(m.group(h)), int(minute) if minute else None, meridiem, stop)


def _read(m: re.Match[str]) -> TimeMatch | None:
    first = _part(m, "h", "m", "ap")
    second = _part(m, "h2", "m2", "ap2") if m.group("h2") is not None else None
    if second is not None and second.meridiem is None and (
            second.minute is None or first.meridiem is not None):
        second = None  # "9 - 5", "9 a.m. - 5": no clock time after the dash
    borrowed = first.meridiem or (second.meridiem if second is not None else None)
    if borrowed is None and first.minute is None:
        return None  # a bare number
    start = _to_24(first.hour, first.minute or 0, borrowed)
    end = _to_24(second.hour, second.minute or 0, second.meridiem) if second else None
    if start is None:
        return None
    if (first.meridiem is None and second is not None and second.meridiem is not None
            and end is not None and start > end):
        # "11 - 1 p.m.": the start is on the other side of noon
        start = _to_24(first.hour, first.minute or 0, "a" if second.meridiem == "p" else "p")
        if start is None:
            return None
    stop = second.stop if second is not None else first.stop
    unit = _UNIT_AFTER.match(m.string[stop:stop + 8])
    stop += unit.end() if unit else 0  # "14:00 Uhr" is one time, its unit with it
    zone = _ZONE_AFTER.match(m.string[stop:stop + 8])
    return TimeMatch(m.start(), stop, f"{start[0]:02d}:{start[1]:02d}",
                     f"{end[0]:02d}:{end[1]:02d}" if end and end != start else None,
                     zone.group("z").upper() if zone else None)


def find_times(text: str) -> list[TimeMatch]:
    """Every clock time (or range) in the first SCAN_LIMIT characters of `text`, in order."""
    head = text[:SCAN_LIMIT]
    found: list[TimeMatch] = []
    if _DIGIT.search(head) is not None:
        for m in _TIME_RE.finditer(head):
            t = _read(m)
            if t is not None:
                found.append(t)
        _unit_times(head, found)
    if "oon" in head or "OON" in head or "idnight" in head or "IDNIGHT" in head:
        taken = [(t.start, t.end) for t in found]
        for m in _NOON.finditer(head):
            if not any(a <= m.start() < b for a, b in taken):
                clock = "00:00" if m.group("w").lower() == "midnight" else "12:00"
                found.append(TimeMatch(m.start(), m.end(), clock))
        found.sort(key=lambda t: t.start)
    return found


def _unit_times(head: str, found: list[TimeMatch]) -> None:
    """Add the unit clocks of `head` ("14h00", "14 Uhr") that no other time covers."""
    taken = [(t.start, t.end) for t in found]
    added = False
    for m in _UNIT_TIME_RE.finditer(head):
        if any(a <= m.start() < b for a, b in taken):
            continue
        minute = m.group("m") or m.group("mx")
        ranged = m.group("h2") is not None
        if m.group("uh") and minute is None and not ranged and \
                _UNIT_LEAD.search(head[max(0, m.start() - 8):m.start()]) is None:
            continue  # "5h" alone is a duration as often as a time
        start = f"{int(m.group('h')):02d}:{int(minute or 0):02d}"
        end = None
        if ranged:
            minute2 = m.group("m2") or m.group("m2x")
            end = f"{int(m.group('h2')):02d}:{int(minute2 or 0):02d}"
        found.append(TimeMatch(m.start(), m.end(), start, end if end != start else None))
        added = True
    if added:
        found.sort(key=lambda t: t.start)


# ---------------------------------------------------------------------------------------------
# UTC offsets and the page's own clock

_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def utc_offset(value: str) -> timedelta | None:
    """The UTC offset a machine-readable datetime carries ("...+03:00", "...Z"), else None."""
    m = _OFFSET.search(value.strip())
    if m is None:
        return None
    text = m.group(0)
    if text == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def zone_offset(zone: str | None) -> timedelta | None:
    if zone is None or zone.upper() not in ZONE_OFFSETS:
        return None
    return timedelta(hours=ZONE_OFFSETS[zone.upper()])


def local_time(value: str, offset: timedelta | None) -> str:
    """`value` (an ISO datetime) on the page's clock: a datetime with a UTC offset is moved to
    `offset` (the page's own) and written without one, to the minute (seconds only when not
    zero); anything else is returned as it is."""
    if offset is None or utc_offset(value) is None:
        return value
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return value
    here = moment.astimezone(timezone(offset))
    return here.strftime("%Y-%m-%dT%H:%M:%S" if here.second else "%Y-%m-%dT%H:%M")


def with_time(day: str, clock: str | None) -> str:
    """An ISO day with a clock time added ("2019-06-28", "09:00" -> "2019-06-28T09:00")."""
    if clock is None or len(day) != 10:
        return day
    return f"{day}T{clock}"
