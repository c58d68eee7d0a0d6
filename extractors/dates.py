"""Dates as the agency sites write them, to ISO 8601 at the precision the text gives.

    parse_date("2017 m. rugsėjo 21-22 d.")  -> DateSpan("2017-09-21", "2017-09-22")
    parse_date("March 2007")                -> DateSpan("2007-03", None)
    parse_date("2020.10.26 13:44")          -> DateSpan("2020-10-26T13:44", None)
    parse_date("From 13 - 15 June", context_year=2007)
                                            -> DateSpan("2007-06-13", "2007-06-15")

How: hand-written regexes find "atoms" (one date, or a range written inside one expression such
as `13-15 June 2007`), then two atoms joined by a connector (`-`, `to`, `iki`, `Date de fin:`)
become a range, the year of one end filling the other. Only when no atom is found does a short
string go to dateparser (slow, but knows many languages). Numeric dates are read day first
(`14/03/2017`, `23-01-2017`), as European sites write them, unless only the other order is valid;
a caller that knows the page's convention (`numeric_order`: the order that makes all of the
page's dates valid, else its language) passes `order="mdy"` to read `05.12.15` as May 12.
Two-digit years (`05.19.15`, `5/19/15`) are 2000-2068 / 1969-1999, as strptime's `%y`.
Japanese, Chinese and Korean dates (`2024年1月20日`, `1月20日 19:18`) and the year-less
`02/23(金) 19:18` of Japanese lists are read; a year-less date needs a `context_year`.

Not handled on purpose: relative expressions ("praėjusią savaitę", "po 2 valandų") give None,
as does a day and month without a year when no `context_year` is given.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from extractors.text import DIGIT_RUN, digit_run_starts, find_all, matches_at, trie_regex

# parse_date reads this much of its input: a date expression is short, and a bound keeps the
# cost of a call independent of what a caller passes in.
PARSE_LIMIT = 400
FIND_LIMIT = 20_000

# Month names by language: English, Lithuanian (nominative, genitive, accusative, and the
# genitive typed without diacritics), French, German and Latvian (nominative and locative:
# latlit.eu writes "2018. gada 29. maijā"); abbreviations without their dot; and the
# misspellings of February that schedules print ("Feburary 21").
_MONTH_NAMES = (
    "january jan sausis sausio sausį janvier janv januar jänner janvāris janvārī",
    "february feb vasaris vasario vasarį février fevrier févr fevr februar februāris februārī"
    " feburary febuary",
    "march mar kovas kovo kovą mars märz maerz marts martā",
    "april apr balandis balandžio balandį balandzio avril avr aprīlis aprīlī",
    "may gegužė gegužės gegužę geguzes mai maijs maijā",
    "june jun birželis birželio birželį birzelio juin juni jūnijs jūnijā",
    "july jul liepa liepos liepą juillet juil juli jūlijs jūlijā",
    "august aug rugpjūtis rugpjūčio rugpjūtį rugpjucio août aout augusts augustā",
    "september sep sept rugsėjis rugsėjo rugsėjį rugsejo septembre septembris septembrī",
    "october oct spalis spalio spalį octobre oktober okt oktobris oktobrī",
    "november nov lapkritis lapkričio lapkritį lapkricio novembre novembris novembrī",
    "december dec gruodis gruodžio gruodį gruodzio décembre decembre déc dezember dez"
    " decembris decembrī",
)
MONTHS: dict[str, int] = {
    name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()
}


@dataclass(frozen=True, slots=True)
class DateSpan:
    start: str  # ISO 8601: "2007-03", "2017-09-21", "2020-10-26T13:44"
    end: str | None = None  # set only for a range


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date expression found in a longer text; `span` is None when its year is unknown."""

    text: str
    start: int
    end: int
    span: DateSpan | None


@dataclass(frozen=True, slots=True)
class _Point:
    year: int | None
    month: int | None  # None only for the bare years of a year range
    day: int | None = None
    time: str | None = None  # "13:44", "11:44:00Z"


@dataclass(frozen=True, slots=True)
class _Atom:
    start: int
    end: int
    first: _Point
    last: _Point | None = None
    year_range: bool = False
    # A match that reads as no valid date ("30 February 2017") still holds its place, so that
    # a shorter match inside it ("February 2017") is not taken instead.
    valid: bool = True
    # A numeric date with day and month in either order: which one `first` is ("dmy" or
    # "mdy"), the other reading when it is valid too, and whether only `first` was valid (such
    # a date fixes the order of every other date of its page).
    order: str | None = None
    alt: _Point | None = None
    forced: bool = False


# ---------------------------------------------------------------------------------------------
# Regex building blocks. Every repetition is bounded or over a single character class, so no
# pattern can backtrack catastrophically.

_SP = r"[ \t\u00a0]{0,3}"
_SP1 = r"[ \t\u00a0]{1,3}"
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_DASH = r"[-–—‑]"


_ABBREVIATION_TEXT = (
    "jan feb mar apr jun jul aug sep sept oct nov dec janv févr fevr avr juil déc okt dez"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
# An abbreviation may carry its dot ("janv.", "Sept."); a full name leaves a following dot to
# the sentence. Either may touch a year ("June2005").
_MONTH_ALT = (
    rf"(?:{trie_regex([n for n in MONTHS if n not in _ABBREVIATIONS])}){_NOT_LETTER_AFTER}"
    rf"|(?:{trie_regex(sorted(_ABBREVIATIONS))})(?:\.|{_NOT_LETTER_AFTER})"
)


def _month(group: str) -> str:
    return rf"{_NOT_LETTER_BEFORE}(?P<{group}>{_MONTH_ALT})"


_YEAR = r"(?P<y>1[89]\d\d|2[01]\d\d)(?!\d)"
# Lithuanian year marks: "2017 m.", "2014m.", "2025 metų", "2018-ųjų".
_YEAR_MARK = rf"(?:{_SP}(?:m\.?|metų|metais|metai|-ųjų){_NOT_LETTER_AFTER})?"


def _day(group: str) -> str:
    # "21", "9th", "23 rd", "29.", and the Lithuanian "18d.", "21 d.", "1 dienos", "21 dieną".
    return (
        rf"(?P<{group}>0?[1-9]|[12]\d|3[01])(?![\d:])"
        rf"(?:{_SP}(?:st|nd|rd|th|er){_NOT_LETTER_AFTER}|\.(?!\d))?"
        rf"(?:{_SP}(?:d\.?|dieną|dienos|diena){_NOT_LETTER_AFTER})?"
    )


_RANGE_WORD = rf"(?P<rw>{_DASH}|(?:to|and|iki|until|till|bis|au){_NOT_LETTER_AFTER})"
_DAYS = rf"{_day('d')}(?:{_SP}{_RANGE_WORD}{_SP}(?:the{_SP1})?{_day('d2')})?"
# A time after a date: "13:44", "at 6:30 p.m.", "- 9:00 AM", "@ 9 a.m." (an hour alone needs
# its a.m./p.m.); a 12-hour time is read on the 24-hour clock ("6:30 p.m." is 18:30).
_MERIDIEM = r"(?:[aApP])\.?[ \t\u00a0]{0,2}[mM]\.?(?![^\W\d_])"
_TIME = (
    rf"(?:,?{_SP}(?:at{_SP1}|kl\.{_SP}|@{_SP}|[-–—|]{_SP})?"
    r"(?:(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?(?![\d:])"
    rf"(?:{_SP}(?P<ap>{_MERIDIEM}))?"
    rf"|(?P<H12>1[0-2]|0?[1-9]){_SP}(?P<ap12>{_MERIDIEM})))?"
)
_NUM_START = r"(?<![\w.,/:-])"
# "(金)", "（土）", "(Fri)": the weekday Japanese and Chinese lists put after a date
_WEEKDAY_BRACKET = (
    r"[ \t\u00a0]{0,2}[(（](?:[月火水木金土日祝・]{1,3}|[一二三四五六日天]|[월화수목금토일]"
    r"|(?i:mon|tue|wed|thu|fri|sat|sun))\.?[)）]"
)
# A clock after a CJK date: "19:18", "10時15分", "午後10時15分" (pm), "5時"
_CJK_TIME = (
    rf"(?:{_SP}(?P<ampm>午前|午後|오전|오후)?{_SP}(?P<H>[01]?\d|2[0-3])"
    r"(?::(?P<M>[0-5]\d)|[時시](?:(?P<M2>[0-5]?\d)[分분])?)(?![\d:]))?"
)
# A date with a month name may follow a hyphen ("29 May-2 June 2018"): the name keeps it from
# being the tail of a numeric date, which _NUM_START guards against.
_WORD_DATE_START = r"(?<![\w.,/:])"

_PATTERNS: dict[str, re.Pattern[str]] = {
    # 2020-10-26, 2020-10-26T11:44:00Z, 2020-10-26 13:44+03:00
    "iso": re.compile(
        rf"{_NUM_START}(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})"
        r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d{1,9})?)?"
        r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?(?![\d:])"
    ),
    # 2020.10.26 13:44, 2017/09/21
    "ymd_num": re.compile(
        rf"{_NUM_START}(?P<y>\d{{4}})(?P<sep>[./])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"
        rf"(?![\d:])\.?{_TIME}"
    ),
    # 23-01-2017, 24.12.2015, 14/03/2017, 26.06.2024 15:10; and two-digit years: 05.19.15,
    # 19-05-15, 5/19/15 (with a dot or a dash, day and month are zero-padded then: "16.7.11"
    # is a version number far more often than a date)
    "dmy_num": re.compile(
        rf"{_NUM_START}(?P<d>\d{{1,2}})(?P<sep>[./-])(?P<m>\d{{1,2}})(?P=sep)"
        rf"(?:(?P<y>\d{{4}})(?![\d:])|(?P<yy>\d{{2}})(?![\d:]|[./-]\d)){_TIME}"
    ),
    # 02/23(金) 19:18, 2/23 19:18: month and day without a year, only with a weekday in
    # brackets or a time after them ("3/4" alone is a fraction or a score)
    "md_num": re.compile(
        rf"{_NUM_START}(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})(?![\d/])"
        rf"(?:{_WEEKDAY_BRACKET}|(?={_SP1}\d{{1,2}}:\d\d)){_TIME}"
    ),
    # 2024年1月20日, 2024年1月20日(土) 5:00, 2024년 1월 20일, 2022年7月
    "cjk_num": re.compile(
        rf"(?<![\d.])(?P<y>\d{{4}}){_SP}[年년]{_SP}(?P<m>\d{{1,2}}){_SP}[月월]"
        rf"(?:{_SP}(?P<d>\d{{1,2}}){_SP}[日일](?:{_WEEKDAY_BRACKET})?{_CJK_TIME})?"
    ),
    # 1月20日, 10月29日午後10時15分 (a year-less month and day)
    "cjk_md_num": re.compile(
        rf"(?<![\d.])(?P<m>\d{{1,2}}){_SP}[月월]{_SP}(?P<d>\d{{1,2}}){_SP}[日일]"
        rf"(?:{_WEEKDAY_BRACKET})?{_CJK_TIME}"
    ),
    # 30 September 2016, 9th October 2007, the 20th of October, 13-15 June 2007, 2 janv. 2005,
    # and notices' "the 14th day of March, 2023"
    "dmy": re.compile(
        rf"{_WORD_DATE_START}{_DAYS}{_SP}(?:(?:day{_SP1})?of{_SP1})?{_month('mn')}"
        rf"(?:,?{_SP}{_YEAR})?{_TIME}",
        re.IGNORECASE,
    ),
    # July 18 d., 2017; September 30, 2020; Gruodžio 11 d., 2017; On August 23 rd; June 13-15
    "mdy": re.compile(
        rf"{_month('mn')}{_SP}(?:the{_SP1})?{_DAYS}(?:,?{_SP}{_YEAR})?{_TIME}",
        re.IGNORECASE,
    ),
    # March 2007, June2005, January - June 2006
    "my": re.compile(
        rf"{_month('mn')}(?:{_SP}{_DASH}{_SP}{_month('mn2')})?,?{_SP}{_YEAR}"
        rf"(?:{_SP}m\.)?",
        re.IGNORECASE,
    ),
    # 2017 m. rugsėjo 21-22 d., 2017 August 23 d., 2016 July, 2022 m. rugpjūčio–spalio,
    # 2020 m. rugpjūčio mėn., 2025 metų sausio 1 dienos
    "ymd": re.compile(
        rf"{_WORD_DATE_START}{_YEAR}{_YEAR_MARK},?{_SP}{_month('mn')}"
        rf"(?:{_SP}{_DASH}{_SP}{_month('mn2')})?(?:{_SP}{_DAYS}{_TIME})?"
        rf"(?:{_SP}mėn\.?)?",
        re.IGNORECASE,
    ),
    # 2018. gada 29. maijā (Latvian)
    "ydm": re.compile(
        rf"{_WORD_DATE_START}{_YEAR}\.?{_SP}gada{_SP}{_DAYS}{_SP}{_month('mn')}{_TIME}",
        re.IGNORECASE,
    ),
    # lapkričio mėn. (the end of "nuo 2022 m. rugpjūčio iki lapkričio mėn.")
    "m_men": re.compile(rf"{_month('mn')}{_SP}mėn\.?", re.IGNORECASE),
    # 2007–2013, 2014-2020
    "years": re.compile(
        rf"{_NUM_START}(?P<y>1[89]\d\d|2[01]\d\d){_SP}{_DASH}{_SP}(?P<y2>1[89]\d\d|2[01]\d\d)"
        r"(?!\w|[.,/-]\d)"
    ),
}

# What may stand between two dates that make a range.
# A weekday may open the second date: "Friday 20 February 2015 – Sunday 22 February 2015".
_WEEKDAY = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun"
    r"|pirmadienis|antradienis|trečiadienis|ketvirtadienis|penktadienis|šeštadienis"
    rf"|sekmadienis)\.?,?{_SP}"
)
_CONNECTOR = re.compile(
    rf"{_SP}(?:{_DASH}|(?:to|until|till|through|iki|bis|au){_NOT_LETTER_AFTER}){_SP}"
    rf"(?:{_WEEKDAY})?"
    r"|[,;]?[ \t]{0,3}(?:date\s{1,3}de\s{1,3}fin|end\s{1,3}date|end|fin|pabaiga)[ \t]{0,3}:?"
    r"[ \t]{0,3}",
    re.IGNORECASE,
)
# Month words that, written in lower case, are also common words: a month then needs a year.
_AMBIGUOUS_LOWER = frozenset({"may", "mar", "march"})
_WHOLE_YEAR = re.compile(rf"\W{{0,3}}{_YEAR}(?:{_SP}(?:m\.?|metai|metų))?\W{{0,3}}")
_WHOLE_YEAR_MONTH = re.compile(r"\s*(?P<y>\d{4})-(?P<m>\d{2})\s*")


# ---------------------------------------------------------------------------------------------
# Atoms


def _int(m: re.Match[str], group: str) -> int | None:
    value = m.group(group) if group in m.re.groupindex else None
    return int(value) if value else None


def _month_of(m: re.Match[str], group: str) -> int | None:
    if group not in m.re.groupindex or m.group(group) is None:
        return None
    return MONTHS.get(m.group(group).lower().rstrip("."))


def _time_of(m: re.Match[str]) -> str | None:
    if "H12" in m.re.groupindex and m.group("H12") is not None:
        return _twelve_hour(int(m.group("H12")), "00", m.group("ap12"))
    if "H" not in m.re.groupindex or m.group("H") is None:
        return None
    if "ap" in m.re.groupindex and m.group("ap") is not None:
        return _twelve_hour(int(m.group("H")), m.group("M"), m.group("ap"))
    out = f"{int(m.group('H')):02d}:{m.group('M')}"
    if m.group("S"):
        out += f":{m.group('S')}"
    tz = m.group("tz") if "tz" in m.re.groupindex else None
    if tz:
        out += "Z" if tz == "Z" else f"{tz[:3]}:{tz[-2:]}"
    return out


def _twelve_hour(hour: int, minute: str, meridiem: str) -> str | None:
    """"6:30 p.m." -> "18:30"; an hour that no 12-hour clock shows ("15 p.m.") is no time."""
    if not 1 <= hour <= 12:
        return None
    if meridiem[0] in "aA":
        return f"{0 if hour == 12 else hour:02d}:{minute}"
    return f"{12 if hour == 12 else hour + 12:02d}:{minute}"


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid(p: _Point) -> bool:
    if p.month is None:
        return p.year is not None
    if not 1 <= p.month <= 12:
        return False
    if p.day is None:
        return True
    # calendar.monthrange's count, without the weekday it also works out
    leap = p.month == 2 and calendar.isleap(p.year if p.year is not None else 2000)
    return 1 <= p.day <= _MONTH_DAYS[p.month] + leap


def _blocked(m: re.Match[str]) -> _Atom:
    return _Atom(m.start(), m.end(), _Point(None, None), valid=False)


def _numeric_atom(kind: str, m: re.Match[str]) -> _Atom:
    if kind in ("cjk_num", "cjk_md_num"):
        return _cjk_atom(m)
    year, month, day = _int(m, "y"), _int(m, "m"), _int(m, "d")
    if month is None or day is None or (year is None and kind not in ("md_num", "dmy_num")):
        return _blocked(m)
    if kind == "dmy_num" and m.group("yy"):
        if m.group("sep") != "/" and (len(m.group("d")) != 2 or len(m.group("m")) != 2):
            return _blocked(m)
        year = _century(int(m.group("yy")))
    time = _time_of(m)
    if kind in ("iso", "ymd_num"):
        point = _Point(year, month, day, time)
        return _Atom(m.start(), m.end(), point) if _valid(point) else _blocked(m)
    # day and month in either order: day first as written ("dmy_num": European sites), month
    # first for the year-less "02/23(金)" of Japanese lists; the other when only it is valid
    # the two numbers as written, first and second
    a, b = (month, day) if kind == "md_num" else (day, month)
    dmy, mdy = _Point(year, b, a, time), _Point(year, a, b, time)
    readings = [("mdy", mdy), ("dmy", dmy)] if kind == "md_num" else [("dmy", dmy), ("mdy", mdy)]
    valid = [(order, p) for order, p in readings if _valid(p)]
    if not valid:
        return _blocked(m)
    order, first = valid[0]
    alt = valid[1][1] if len(valid) > 1 and valid[1][1] != first else None
    return _Atom(m.start(), m.end(), first, order=order, alt=alt, forced=len(valid) == 1)


def _century(yy: int) -> int:
    """A two-digit year as strptime's `%y` reads it: 00-68 -> 2000s, 69-99 -> 1900s."""
    return yy + (2000 if yy < 69 else 1900)


def _cjk_atom(m: re.Match[str]) -> _Atom:
    """2024年1月20日 (土) 午後5時30分: year, month, day and a clock, 12-hour with 午後/오후."""
    year, month, day = _int(m, "y"), _int(m, "m"), _int(m, "d")
    time = None
    if m.group("H") is not None:
        hour = int(m.group("H"))
        if m.group("ampm") in ("午後", "오후") and hour < 12:
            hour += 12
        time = f"{hour:02d}:{m.group('M') or m.group('M2') or '00':0>2}"
    point = _Point(year, month, day, time)
    return _Atom(m.start(), m.end(), point) if _valid(point) else _blocked(m)


def _text_atom(kind: str, m: re.Match[str]) -> _Atom:
    year, month = _int(m, "y"), _month_of(m, "mn")
    month2 = _month_of(m, "mn2")
    day, day2 = _int(m, "d"), _int(m, "d2")
    if month is None:
        return _blocked(m)
    if year is None and m.group("mn") in _AMBIGUOUS_LOWER:
        return _blocked(m)  # "these 5 may apply"
    time = _time_of(m) if day2 is None and month2 is None else None
    if month2 is not None:
        first, last = _Point(year, month, None), _Point(year, month2, day)
        # The year is written on one side only; a range across New Year moves the other side.
        if month2 < month and year is not None:
            if kind == "my":
                first = replace(first, year=year - 1)
            else:
                last = replace(last, year=year + 1)
    elif day2 is not None and m.group("rw").lower() == "and" and day2 != (day or 0) + 1:
        first, last = _Point(year, month, day), None  # "5 and 12 May": two days, no range
    elif day2 is not None:
        if day is None or day2 <= day:
            return _blocked(m)
        first, last = _Point(year, month, day), _Point(year, month, day2)
    else:
        first, last = _Point(year, month, day, time), None
    if not _valid(first) or (last is not None and not _valid(last)):
        return _blocked(m)
    return _Atom(m.start(), m.end(), first, last)


def _year_range_atom(m: re.Match[str]) -> _Atom:
    y1, y2 = int(m.group("y")), int(m.group("y2"))
    if not y1 < y2 <= y1 + 50:
        return _blocked(m)
    return _Atom(m.start(), m.end(), _Point(y1, None), _Point(y2, None), year_range=True)


# Every pattern but the month-first ones starts with a day or year whose first digit begins a
# run of digits (their lookbehinds forbid a letter or digit before it): they are tried only
# there, not at every character. A day is a run of one or two digits, a year a run of four
# (no pattern lets a digit touch either), so each kind is tried only at the runs it can start
# with. The month-first ones are tried where a month name starts shortly before what must
# follow it: the day (mdy), the year (my) or "mėn" (m_men).
_MEN = re.compile("[mM][ėĖ][nN]")  # what "mėn" matches ignoring case
_MONTH_START = re.compile(_month("mn"), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Kind:
    """One pattern, the anchors it is tried at, and what a text cannot match it without (most
    date lines have one form: "28-06-2024" has no month name, "June 28, 2024" no dash)."""

    pattern: re.Pattern[str]
    read: Callable[[re.Match[str]], _Atom]
    starts_with: str  # "day", "year" or "month": the anchors it is tried at
    needs: str = ""  # characters of which the text must hold one
    needs_month: bool = False
    after_month: str = ""  # a month-first kind: the "day", "year" or "men" after the name


def _kinds() -> tuple[_Kind, ...]:
    def numeric(kind: str) -> Callable[[re.Match[str]], _Atom]:
        return lambda m: _numeric_atom(kind, m)

    def text(kind: str) -> Callable[[re.Match[str]], _Atom]:
        return lambda m: _text_atom(kind, m)

    p = _PATTERNS
    # in the order of _PATTERNS: of two atoms at one place and of one length, the first wins
    return (
        _Kind(p["iso"], numeric("iso"), "year", needs="-"),
        _Kind(p["ymd_num"], numeric("ymd_num"), "year", needs="./"),
        _Kind(p["dmy_num"], numeric("dmy_num"), "day", needs="./-"),
        _Kind(p["md_num"], numeric("md_num"), "day", needs="/"),
        _Kind(p["cjk_num"], numeric("cjk_num"), "year", needs="年년"),
        _Kind(p["cjk_md_num"], numeric("cjk_md_num"), "day", needs="月월"),
        _Kind(p["dmy"], text("dmy"), "day", needs_month=True),
        _Kind(p["mdy"], text("mdy"), "month", needs_month=True, after_month="day"),
        _Kind(p["my"], text("my"), "month", needs_month=True, after_month="year"),
        _Kind(p["ymd"], text("ymd"), "year", needs_month=True),
        _Kind(p["ydm"], text("ydm"), "year", needs_month=True),
        _Kind(p["m_men"], text("m_men"), "month", needs_month=True, after_month="men"),
        _Kind(p["years"], _year_range_atom, "year", needs=_DASH[1:-1]),
    )


_KINDS = _kinds()
assert len(_KINDS) == len(_PATTERNS)
# where every atom starts: a day or year (a digit), else a month name
_ATOM_START = re.compile(rf"\d|{_month('mn')}", re.IGNORECASE)
# The farthest a month name can start before the digit or "mėn" that follows it: two names
# with their dots plus the spaces, dash and comma between ("janvier - décembre, 2006").
MONTH_REACH = 2 * (max(map(len, MONTHS)) + 1) + 16


def _raw_atoms(text: str) -> list[_Atom]:
    anchors = _day_and_year_starts(text)
    # the search for a month name anywhere tries every name at every character (~0.14 us a
    # character): worth it on a date line, not on a page's text, where the kinds that need a
    # name are tried at the digits anyway
    has_month = len(text) > PARSE_LIMIT or _MONTH_START.search(text) is not None
    anchors["men"] = _men_starts(text) if has_month else []
    anchors["month"] = _month_starts(
        text, sorted(anchors["day"] + anchors["year"] + anchors["men"])) if has_month else []
    found: list[_Atom] = []
    for kind in _KINDS:
        if ((kind.needs_month and not has_month) or (kind.needs and not _has_any(text, kind.needs))
                or (kind.after_month and not anchors[kind.after_month])):
            continue
        found.extend(kind.read(m) for m in matches_at(kind.pattern, text,
                                                      anchors[kind.starts_with]))
    # Leftmost first, then longest: "13-15 June 2007" beats its own "15 June 2007".
    found.sort(key=lambda a: (a.start, -(a.end - a.start)))
    chosen: list[_Atom] = []
    for atom in found:
        if not chosen or atom.start >= chosen[-1].end:
            chosen.append(atom)
    return chosen


def _day_and_year_starts(text: str) -> dict[str, list[int]]:
    """Where a day (a run of one or two digits) or a year (a run of four) can start."""
    if len(text) <= PARSE_LIMIT:  # one regex scan: str.find per digit pays off on long texts
        runs = [m.span() for m in DIGIT_RUN.finditer(text)]
    else:
        runs = [(at, _run_end(text, at)) for at in digit_run_starts(text)]
    days: list[int] = []
    years: list[int] = []
    for start, end in runs:
        if end - start <= 2:
            days.append(start)
        elif end - start == 4:
            years.append(start)
    return {"day": days, "year": years}


def _run_end(text: str, at: int) -> int:
    run = DIGIT_RUN.match(text, at)
    return run.end() if run is not None else at


def _men_starts(text: str) -> list[int]:
    """Where `_MEN` ("mėn", any case) matches, found by its rare middle letter with str.find:
    a regex scan tests every character of a page's text."""
    return [
        at - 1
        for middle in "ėĖ"
        for at in find_all(text, middle, 1)
        if text[at - 1] in "mM" and text[at + 1 : at + 2] in ("n", "N")
    ]


def _has_any(text: str, chars: str) -> bool:
    return any(map(text.__contains__, chars))  # no generator: it costs more than the tests


def _month_starts(text: str, anchors: list[int]) -> list[int]:
    """Offsets where a month name starts within MONTH_REACH before one of `anchors` (sorted)."""
    out: list[int] = []
    i = 0
    while i < len(anchors):
        low, high = max(0, anchors[i] - MONTH_REACH), anchors[i]
        i += 1
        while i < len(anchors) and anchors[i] - MONTH_REACH <= high:
            high = anchors[i]
            i += 1
        # a name ends before the anchor (a digit or the "m" of "mėn"), so cutting the text
        # there can only add candidates, never lose one
        out.extend(m.start() for m in _MONTH_START.finditer(text, low, high))
    return out


def _order_key(p: _Point) -> tuple[int, int]:
    return (p.month or 0, p.day or 0)


def _fill_year(p: _Point, other: _Point, later: bool) -> _Point:
    """Give `p` the year of `other`, the point at the other end of the range."""
    if p.year is not None or other.year is None:
        return p
    year = other.year
    if later and _order_key(p) < _order_key(other):
        year += 1  # "28 December - 3 January 2018" ends in the next year
    if not later and _order_key(p) > _order_key(other):
        year -= 1
    return replace(p, year=year)


def _merge(text: str, atoms: list[_Atom]) -> list[_Atom]:
    """Join `<date> <connector> <date>` into one range atom."""
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        b = atoms[i + 1] if i + 1 < len(atoms) else None
        if (
            b is not None
            and a.last is None
            and b.last is None
            and not a.year_range
            and not b.year_range
            and _CONNECTOR.fullmatch(text, a.end, b.start)
        ):
            first = _fill_year(a.first, b.first, later=False)
            last = _fill_year(b.first, first, later=True)
            if _sort_key(first) <= _sort_key(last):
                out.append(_Atom(a.start, b.end, first, last))
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def _sort_key(p: _Point) -> tuple[int, int, int, str]:
    return (p.year or 0, p.month or 0, p.day or 0, p.time or "")


def _iso(p: _Point) -> str:
    out = f"{p.year:04d}"
    if p.month is not None:
        out += f"-{p.month:02d}"
        if p.day is not None:
            out += f"-{p.day:02d}"
            if p.time:
                out += f"T{p.time}"
    return out


def _to_span(atom: _Atom, context_year: int | None, order: str | None = None) -> DateSpan | None:
    first, last = atom.first, atom.last
    if order is not None and atom.alt is not None and order != atom.order:
        first = atom.alt
    if first.year is None and last is not None:
        first = _fill_year(first, last, later=False)
    if first.year is None:
        if context_year is None:
            return None
        first = replace(first, year=context_year)
    if last is not None and last.year is None:
        last = _fill_year(last, first, later=True)
    if not _valid(first) or (last is not None and not _valid(last)):
        return None  # 29 February of a context year that has none
    start, end = _iso(first), _iso(last) if last is not None else None
    return DateSpan(start, end if end != start else None)


def _atoms(text: str) -> tuple[_Atom, ...]:
    if len(text) <= PARSE_LIMIT:
        return _short_atoms(text)
    return tuple(_merge(text, [a for a in _raw_atoms(text) if a.valid]))


@lru_cache(maxsize=4096)
def _short_atoms(text: str) -> tuple[_Atom, ...]:
    """The atoms of a short text, cached: a list item's date line is read by several callers
    (its title check, `parse_date`, `date_range`'s second look for a range), and a site prints
    the same few dates on many pages. Bounded by size and by PARSE_LIMIT characters a key."""
    return tuple(_merge(text, [a for a in _raw_atoms(text) if a.valid]))


# ---------------------------------------------------------------------------------------------
# dateparser: the slow fallback for languages and forms the regexes do not know


_FALLBACK_LANGS = ("en", "lt", "lv", "et", "pl", "de", "fr", "fi", "sv", "da", "nl", "es", "it")
_FALLBACK_MAX = 60
_HAS_YEAR = re.compile(r"(?<!\d)(?:1[89]|2[01])\d\d(?!\d)")
_HAS_WORD = re.compile(r"[^\W\d_]{3,}")
_LABEL = re.compile(r"[^\d:]{1,30}:\s*")


@lru_cache(maxsize=8)
def _date_data_parser(langs: tuple[str, ...]) -> Any:
    from dateparser.date import DateDataParser  # imported late: it takes ~0.5 s to load

    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["month", "year"],
        "PARSERS": ["custom-formats", "absolute-time"],  # no relative dates
        "RETURN_TIME_AS_PERIOD": True,
    }
    return DateDataParser(languages=list(langs), settings=settings)


def _fallback(text: str, lang: str | None) -> DateSpan | None:
    text = text.strip()
    label = _LABEL.match(text)
    if label:
        text = text[label.end() :]
    # A date in a language the regexes miss still has a year and a month word in it.
    if len(text) > _FALLBACK_MAX or not _HAS_YEAR.search(text) or not _HAS_WORD.search(text):
        return None
    # "en+lt" (a page mixing two) names both; "en" helps with the labels around a date.
    hinted = lang.lower().replace("+", " ").split() if lang else []
    langs = tuple(dict.fromkeys([*hinted, "en"])) if hinted else _FALLBACK_LANGS
    try:
        data = _date_data_parser(langs).get_date_data(text)
    except Exception:  # dateparser raises on unknown languages and odd input alike
        try:
            data = _date_data_parser(_FALLBACK_LANGS).get_date_data(text)
        except Exception:
            return None
    when, period = data.date_obj, data.period
    if when is None:
        return None
    precision = {"month": "%Y-%m", "year": "%Y", "time": "%Y-%m-%dT%H:%M"}
    return DateSpan(when.strftime(precision.get(period, "%Y-%m-%d")))


# ---------------------------------------------------------------------------------------------
# Public API


def parse_date(
    text: str, *, context_year: int | None = None, lang: str | None = None,
    order: str | None = None,
) -> DateSpan | None:
    """The date (or range) written in `text`, or None.

    Reads the first `PARSE_LIMIT` characters. When `text` holds several dates, the first one
    more precise than a year range wins ("2014-2020 call, deadline 5 May 2017" -> 2017-05-05).
    `context_year` (the page's year) completes "On August 23 rd" or "gruodžio 6 d.". `lang` is
    a hint for the dateparser fallback only. `order` ("dmy" or "mdy", from `numeric_order`)
    reads a numeric date valid in both orders (`05.12.15`) the page's way. Relative
    expressions ("praėjusią savaitę") and bare day numbers ("on 23rd and 24th") give None.
    Never raises.
    """
    try:
        return _parse_date(text[:PARSE_LIMIT], context_year, lang, order)
    except Exception:  # a date we cannot read is None, never a crash of the page
        return None


def _parse_date(text: str, context_year: int | None, lang: str | None, order: str | None
                ) -> DateSpan | None:
    whole = _WHOLE_YEAR_MONTH.fullmatch(text)
    if whole and 1 <= int(whole.group("m")) <= 12:
        return DateSpan(f"{whole.group('y')}-{whole.group('m')}")
    whole = _WHOLE_YEAR.fullmatch(text)
    if whole:
        return DateSpan(whole.group("y"))
    spans = [(a, _to_span(a, context_year, order)) for a in _atoms(text)]
    for atom, span in spans:
        if span is not None and not atom.year_range:
            return span
    for _, span in spans:
        if span is not None:
            return span
    return _fallback(text, lang)


def find_date_matches(
    text: str, *, context_year: int | None = None, limit: int = FIND_LIMIT,
    order: str | None = None,
) -> list[DateMatch]:
    """Every date expression in the first `limit` characters of `text`, in order.

    Year ranges (`2007–2013`) are included; bare years are not. A day and month without a
    year is included with `span=None` unless `context_year` completes it; `order` as in
    `parse_date`. Never raises.
    """
    try:
        head = text[:limit]
        return [
            DateMatch(head[a.start : a.end], a.start, a.end, _to_span(a, context_year, order))
            for a in _atoms(head)
        ]
    except Exception:
        return []


def find_dates(
    text: str, *, context_year: int | None = None, limit: int = FIND_LIMIT
) -> list[tuple[str, DateSpan]]:
    """(matched text, DateSpan) for each complete date expression in `text`, in order."""
    return [
        (m.text, m.span)
        for m in find_date_matches(text, context_year=context_year, limit=limit)
        if m.span is not None
    ]


def date_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of every date-looking expression, complete or not, over all of `text`.

    For the figure extractor, which must not read "13 - 15 June" or "2007–2013" as numbers.
    Linear in the length of `text`.
    """
    try:
        return [(a.start, a.end) for a in _raw_atoms(text)]
    except Exception:
        return []


def is_date_like(text: str) -> bool:
    """True when all of `text` (stripped) is one date expression, a year range or a year."""
    s = text.strip()
    if not s or len(s) > PARSE_LIMIT:
        return False
    if _WHOLE_YEAR.fullmatch(s):
        return True
    whole = _WHOLE_YEAR_MONTH.fullmatch(s)
    if whole:
        return 1 <= int(whole.group("m")) <= 12
    if not _ATOM_START.match(s):
        return False  # every atom starts at a digit or a month name; a teaser line rarely does
    atoms = _atoms(s)
    return len(atoms) == 1 and atoms[0].start == 0 and atoms[0].end == len(s)


def order_matters(text: str, order: str) -> bool:
    """Whether `text` holds a numeric date that `order` reads otherwise than the default
    (`05.12.15` with "mdy"); cheap, so that a page's dates are read again only when needed."""
    return any(a.alt is not None and a.order != order for a in _atoms(text[:PARSE_LIMIT]))


# Languages whose numeric dates put the month first: American English ("05.19.15" is May
# 19th) and, for the year-less month/day of news lists, Japanese, Chinese and Korean.
_MONTH_FIRST_LANGS = ("en-us", "ja", "zh", "ko")


def numeric_order(texts: Iterable[str], lang: str | None = None) -> str | None:
    """The order ("dmy" or "mdy") in which a page writes its numeric dates, or None.

    The order that makes all of the given dates valid: one date that is valid in one order
    only (`05.19.15`) settles it for every other (`05.12.15` is then May 12th). Dates valid
    only in one order and others only in the other leave it open (None). Without such a
    date, the page's language (`lang="en-US"`, `ja`) decides; otherwise None, and the
    parser's default (day first) stands.
    """
    forced = {a.order for text in texts for a in _atoms(text[:PARSE_LIMIT]) if a.forced}
    if forced:
        return forced.pop() if len(forced) == 1 else None
    tag = (lang or "").strip().lower().replace("_", "-")
    return "mdy" if tag.startswith(_MONTH_FIRST_LANGS) else None
