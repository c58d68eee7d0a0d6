"""extractors.dates: every date form the agency sites use, and properties over generated ones."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import dates
from extractors.dates import (
    DateSpan,
    date_spans,
    find_date_matches,
    find_dates,
    is_date_like,
    parse_date,
)

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

# (text, context_year, start, end)
FORMS = [
    # English, Lithuanian "d." on an English month (klaster.lt)
    ("2017 August 23 d.", None, "2017-08-23", None),
    ("2017 September 03 d.", None, "2017-09-03", None),
    ("July 18 d., 2017", None, "2017-07-18", None),
    ("January 10 d., 2018", None, "2018-01-10", None),
    # February as schedules misspell it
    ("Feburary 21, 2018", None, "2018-02-21", None),
    ("Febuary 3 2020", None, "2020-02-03", None),
    # a legal notice's "the 14th day of March, 2023"
    ("Tuesday, the 14th day of March, 2023", None, "2023-03-14", None),
    # Lithuanian, all twelve months, genitive and nominative, any case
    ("2018 m. sausio 5 d.", None, "2018-01-05", None),
    ("2018 m. vasario 5 d.", None, "2018-02-05", None),
    ("2018 m. kovo 5 d.", None, "2018-03-05", None),
    ("2018 m. balandžio 5 d.", None, "2018-04-05", None),
    ("2018 m. gegužės 5 d.", None, "2018-05-05", None),
    ("2018 m. birželio 5 d.", None, "2018-06-05", None),
    ("2018 m. liepos 5 d.", None, "2018-07-05", None),
    ("2018 m. rugpjūčio 5 d.", None, "2018-08-05", None),
    ("2018 m. rugsėjo 5 d.", None, "2018-09-05", None),
    ("2018 m. spalio 5 d.", None, "2018-10-05", None),
    ("2018 m. lapkričio 5 d.", None, "2018-11-05", None),
    ("2018 m. gruodžio 5 d.", None, "2018-12-05", None),
    ("2018 m. GRUODŽIO 5 d.", None, "2018-12-05", None),
    ("2018 m. sausis", None, "2018-01", None),
    ("2018 gegužė", None, "2018-05", None),
    ("Gruodžio 11 d., 2017", None, "2017-12-11", None),
    ("gruodžio 6 d.", 2017, "2017-12-06", None),
    ("Gegužės 16 d.", 2018, "2018-05-16", None),
    ("rugsėjo 21 dieną", 2020, "2020-09-21", None),
    ("2032 metų vasario 12 dieną", None, "2032-02-12", None),
    ("2025 metų sausio 1 dienos", None, "2025-01-01", None),
    ("2014m. gruodžio 18d.", None, "2014-12-18", None),
    ("2020 m. rugpjūčio mėn.", None, "2020-08", None),
    ("nuo 2021m. rugpjūčio", None, "2021-08", None),
    ("Nuo 2013 m. sausio 4 d.", None, "2013-01-04", None),
    ("15 gegužės 1970 trečiadienis", None, "1970-05-15", None),
    # Lithuanian ranges
    ("2017 m. rugsėjo 21–22 d.", None, "2017-09-21", "2017-09-22"),
    ("2017 m. rugsėjo 21-22 d.", None, "2017-09-21", "2017-09-22"),
    ("2018 m. gruodžio 3 d.–2018 m. gruodžio 5 d.", None, "2018-12-03", "2018-12-05"),
    ("nuo 2022 m. rugpjūčio iki lapkričio mėn.", None, "2022-08", "2022-11"),
    ("2022 m. rugpjūčio–spalio", None, "2022-08", "2022-10"),
    ("nuo 1944 metų sausio 1 dienos iki 1951 metų gruodžio 31 dienos", None,
     "1944-01-01", "1951-12-31"),
    # English forms
    ("March 2007", None, "2007-03", None),
    ("Start Date: March 2007", None, "2007-03", None),
    ("30 September 2016", None, "2016-09-30", None),
    ("9th October 2007", None, "2007-10-09", None),
    ("on 9th October 2007.", None, "2007-10-09", None),
    ("Posted on 2nd March 2015", None, "2015-03-02", None),
    ("September 30, 2020", None, "2020-09-30", None),
    ("(ended on April 30, 2018)", None, "2018-04-30", None),
    ("Sept. 5, 2019", None, "2019-09-05", None),
    ("On August 23 rd", 2017, "2017-08-23", None),
    ("On November 13th", 2007, "2007-11-13", None),
    ("March 19th", 2019, "2019-03-19", None),
    ("On the 20th of October, Thursday", 2016, "2016-10-20", None),
    ("January 26th, 15:00", 2018, "2018-01-26T15:00", None),
    ("Deadline: 28 February 2015.", None, "2015-02-28", None),
    # English ranges
    ("13-15 June 2007", None, "2007-06-13", "2007-06-15"),
    ("From 13 - 15 June", 2007, "2007-06-13", "2007-06-15"),
    ("21-22 September 2017", None, "2017-09-21", "2017-09-22"),
    ("June 13-15, 2007", None, "2007-06-13", "2007-06-15"),
    ("from the 12th to the 14th of September, 2017", None, "2017-09-12", "2017-09-14"),
    ("2016 July - 2019 July (36 months)", None, "2016-07", "2019-07"),
    ("Milestone 3 (January - June 2006)", None, "2006-01", "2006-06"),
    ("Date: 29. May 2018 - 30. May 2018", None, "2018-05-29", "2018-05-30"),
    ("Duration: 1 January 2005 – 31 December, 2007", None, "2005-01-01", "2007-12-31"),
    ("29 May - 2 June 2018", None, "2018-05-29", "2018-06-02"),
    ("29 May-2 June 2018", None, "2018-05-29", "2018-06-02"),
    ("2016 July-2019 July", None, "2016-07", "2019-07"),
    ("June 2017-September 2018", None, "2017-06", "2018-09"),
    ("28 December - 3 January 2018", None, "2017-12-28", "2018-01-03"),
    ("Friday 20 February 2015 – Sunday 22 February 2015", None, "2015-02-20", "2015-02-22"),
    ("The 2007–2013 EU structural support", None, "2007", "2013"),
    ("2014-2020", None, "2014", "2020"),
    # numeric, day first
    ("23-01-2017", None, "2017-01-23", None),
    ("Last updated: 09-09-2020", None, "2020-09-09", None),
    ("24.12.2015", None, "2015-12-24", None),
    ("14/03/2017", None, "2017-03-14", None),
    ("03/14/2017", None, "2017-03-14", None),  # only month-first is valid
    ("Last updated: 26.06.2024 15:10", None, "2024-06-26T15:10", None),
    ("2020.10.26 13:44", None, "2020-10-26T13:44", None),
    ("(2011-12-02)", None, "2011-12-02", None),
    ("2020-10-26T11:44:00Z", None, "2020-10-26T11:44:00Z", None),
    ("2020-10-26T13:44:00+0300", None, "2020-10-26T13:44:00+03:00", None),
    ("2020-10-26 13:44", None, "2020-10-26T13:44", None),
    ("2007-03", None, "2007-03", None),
    ("2017", None, "2017", None),
    # other European languages
    ("Date du début: 2 janv. 2005, Date de fin: 1 janv. 2008", "fr", "2005-01-02", "2008-01-01"),
    ("3 März 2007", None, "2007-03-03", None),
    ("2018. gada 29. maijā", None, "2018-05-29", None),
    ("12 stycznia 2019", None, "2019-01-12", None),  # Polish: the dateparser fallback
    ("12 stycznia 2019", "pl", "2019-01-12", None),
    ("12 stycznia 2019", "en+pl", "2019-01-12", None),
    ("12 stycznia 2019", "xx", "2019-01-12", None),  # an unknown language hint is ignored
    # two-digit years (strptime's %y), day first unless only month first is valid
    ("05.19.15", None, "2015-05-19", None),
    ("19.05.15", None, "2015-05-19", None),
    ("5/19/15", None, "2015-05-19", None),
    ("31-12-99", None, "1999-12-31", None),
    ("05.12.15", None, "2015-12-05", None),
    # Japanese, Chinese and Korean
    ("2024年1月20日", None, "2024-01-20", None),
    ("2024年1月20日(土) 5:00", None, "2024-01-20T05:00", None),
    ("2022年7月", None, "2022-07", None),
    ("2024년 1월 20일", None, "2024-01-20", None),
    ("1月20日", 2024, "2024-01-20", None),
    ("10月29日午後10時15分", 2022, "2022-10-29T22:15", None),
    # a year-less month/day with a weekday in brackets or a clock (Japanese lists)
    ("02/23(金) 19:18", 2024, "2024-02-23T19:18", None),
    ("2/23 19:18", 2024, "2024-02-23T19:18", None),
    ("23/02(金)", 2024, "2024-02-23", None),  # only day first is valid
]


@pytest.mark.parametrize(("text", "context", "start", "end"), FORMS, ids=[f[0] for f in FORMS])
def test_forms(text, context, start, end):
    year = context if isinstance(context, int) else None
    lang = context if isinstance(context, str) else None
    assert parse_date(text, context_year=year, lang=lang) == DateSpan(start, end)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "praėjusią savaitę",  # relative: None on purpose
        "po 2 valandų",
        "on 23rd and 24th",  # no month
        "5 Integrated Science, Studies and Business Centres",
        "BaltMet Inno WP 3",
        "550 000 inhabitants",
        "€73.3 million",
        "2017-13",
        "31.02.2017",
        "30 February 2017",
        "these 5 may apply",
        "12 2017",
        "Savanorių pr. 178F, Vilnius",
        "+370 5 264 4700",
        "iOS 16.7.11",  # a version: a dot date with a two-digit year is zero-padded
        "16.7.11",
        "3/4",  # a fraction: a year-less month/day needs a weekday or a clock
        "3/4 (all)",
        "12-34-56",
        "02/23(金) 19:18",  # year-less, no context year
        "1月20日",
        "日本時間11時",
    ],
)
def test_not_dates(text):
    assert parse_date(text) is None


def test_numeric_order_reads_ambiguous_dates_the_page_way():
    assert parse_date("05.12.15", order="mdy") == DateSpan("2015-05-12")
    assert parse_date("05.12.15", order="dmy") == DateSpan("2015-12-05")
    assert parse_date("05.19.15", order="dmy") == DateSpan("2015-05-19")  # the only valid one
    assert parse_date("05/06(金)", context_year=2024) == DateSpan("2024-05-06")
    assert parse_date("05/06(金)", context_year=2024, order="dmy") == DateSpan("2024-06-05")


def test_numeric_order_is_the_one_that_makes_every_date_valid():
    assert dates.numeric_order(["05.12.15", "05.19.15"]) == "mdy"
    assert dates.numeric_order(["05.12.15", "19.05.15"], "en-US") == "dmy"
    assert dates.numeric_order(["05.19.15", "19.05.15"]) is None  # both orders forced: open
    assert dates.numeric_order(["05.12.15"], "en-US") == "mdy"
    assert dates.numeric_order(["05.12.15"], "en_us") == "mdy"
    assert dates.numeric_order(["02/03(金)"], "ja") == "mdy"
    assert dates.numeric_order(["05.12.15"], "en-GB") is None
    assert dates.numeric_order(["05.12.15"], None) is None
    assert dates.numeric_order([], "lt") is None


def test_year_needed_without_context():
    assert parse_date("gruodžio 6 d.") is None
    assert parse_date("On August 23 rd") is None
    assert parse_date("On August 23 rd", context_year=2017) == DateSpan("2017-08-23")


def test_lowercase_may_needs_a_year():
    assert parse_date("5 may", context_year=2017) is None
    assert parse_date("5 May", context_year=2017) == DateSpan("2017-05-05")
    assert parse_date("5 may 2017") == DateSpan("2017-05-05")


def test_two_dates_joined_by_and_are_not_a_range():
    assert parse_date("5 May 2017 and 7 June 2017") == DateSpan("2017-05-05")
    assert parse_date("5 and 12 May 2017") == DateSpan("2017-05-05")
    assert parse_date("23rd and 24th May 2011") == DateSpan("2011-05-23", "2011-05-24")


def test_precise_date_preferred_over_year_range():
    text = "2014-2020 call, deadline 5 May 2017"
    assert parse_date(text) == DateSpan("2017-05-05")


def test_find_dates_on_event_list_seed():
    path = SEEDS / "003_a267f077640f6b32.txt"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    found = find_dates(path.read_text(encoding="utf-8"), context_year=2017)
    assert found == [
        ("2017 August 23 d.", DateSpan("2017-08-23")),
        ("2017 September 03 d.", DateSpan("2017-09-03")),
        ("2017 September 21 d.", DateSpan("2017-09-21")),
        ("July 18 d., 2017", DateSpan("2017-07-18")),
        ("July 18 d., 2017", DateSpan("2017-07-18")),
        ("June 06 d., 2017", DateSpan("2017-06-06")),
        ("June 5th", DateSpan("2017-06-05")),
        ("April 13 d., 2017", DateSpan("2017-04-13")),
        ("12th to the 14th of September, 2017", DateSpan("2017-09-12", "2017-09-14")),
    ]


def test_find_date_matches_keeps_yearless_dates_with_offsets():
    text = "On November 13th BaltMet met. Workshops, 13-15 June 2007. From 13 - 15 June."
    matches = find_date_matches(text)
    assert [(m.text, m.span) for m in matches] == [
        ("November 13th", None),
        ("13-15 June 2007", DateSpan("2007-06-13", "2007-06-15")),
        ("13 - 15 June", None),
    ]
    assert all(text[m.start : m.end] == m.text for m in matches)
    assert [t for t, _ in find_dates(text)] == ["13-15 June 2007"]


def test_date_spans_cover_what_figures_must_skip():
    text = "In 2007–2013, on 12 October, 2.5 million; 13 - 15 June"
    covered = [text[a:b] for a, b in date_spans(text)]
    assert covered == ["2007–2013", "12 October", "13 - 15 June"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017 August 23 d.", True),
        ("July 18 d., 2017", True),
        ("12 October", True),
        ("2017", True),
        ("2007–2013", True),
        ("March 2007", True),
        ("2007-03", True),
        ("2017-13", False),
        ("Meeting of the Cluster Forum", False),
        ("Seminar on 9 October 2007", False),
        ("550 000", False),
        ("", False),
    ],
)
def test_is_date_like(text, expected):
    assert is_date_like(text) is expected


# --- properties -------------------------------------------------------------------------------

EN_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
LT_GENITIVE = [
    "sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos", "rugpjūčio",
    "rugsėjo", "spalio", "lapkričio", "gruodžio",
]  # fmt: skip
ORDINAL = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}

DAY_FORMATS = [
    lambda d: f"{d.day} {EN_MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{d.day}{ORDINAL.get(d.day, 'th')} {EN_MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{EN_MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{EN_MONTHS[d.month - 1]} {d.day:02d} d., {d.year}",
    lambda d: f"{d.year} {EN_MONTHS[d.month - 1]} {d.day:02d} d.",
    lambda d: f"{d.year} m. {LT_GENITIVE[d.month - 1]} {d.day} d.",
    lambda d: f"{LT_GENITIVE[d.month - 1].capitalize()} {d.day} d., {d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: d.isoformat(),
    lambda d: f"({d.isoformat()})",
]

dates_ = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@given(day=dates_, fmt=st.sampled_from(DAY_FORMATS), lead=st.sampled_from(["", "on ", "Date: "]))
def test_round_trip_days(day, fmt, lead):
    assert parse_date(lead + fmt(day)) == DateSpan(day.isoformat())


@given(when=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31)))
def test_round_trip_datetimes(when):
    expected = DateSpan(when.strftime("%Y-%m-%dT%H:%M"))
    assert parse_date(when.strftime("%Y.%m.%d %H:%M")) == expected
    assert parse_date(when.strftime("%d.%m.%Y %H:%M")) == expected
    assert parse_date(when.strftime("%Y-%m-%dT%H:%M")) == expected


@given(day=dates_, month_style=st.sampled_from(["en", "lt"]))
def test_round_trip_months(day, month_style):
    if month_style == "en":
        text = f"{EN_MONTHS[day.month - 1]} {day.year}"
    else:
        text = f"{day.year} m. {LT_GENITIVE[day.month - 1]} mėn."
    assert parse_date(text) == DateSpan(f"{day.year:04d}-{day.month:02d}")


@given(day=dates_, length=st.integers(min_value=1, max_value=5))
def test_round_trip_day_ranges(day, length):
    last = min(day.day + length, 28)
    if last <= day.day:
        return
    start, end = day.isoformat(), day.replace(day=last).isoformat()
    en = f"{day.day}-{last} {EN_MONTHS[day.month - 1]} {day.year}"
    lt = f"{day.year} m. {LT_GENITIVE[day.month - 1]} {day.day}–{last} d."
    assert parse_date(en) == DateSpan(start, end)
    assert parse_date(lt) == DateSpan(start, end)


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_never_raises_on_any_text(text):
    span = parse_date(text)
    assert span is None or isinstance(span.start, str)
    find_dates(text)
    is_date_like(text)
    date_spans(text)


ALPHABET = st.sampled_from(
    list("0123456789 .-–/:,") + EN_MONTHS[:3] + LT_GENITIVE[:3] + [" m. ", " d.", "th", "\n"]
)


@given(st.lists(ALPHABET, max_size=80).map("".join))
@settings(max_examples=300)
def test_never_raises_on_date_like_noise(text):
    span = parse_date(text, context_year=2017)
    assert span is None or span.start[:4].isdigit()
    for matched, found in find_dates(text, context_year=2017):
        assert matched in text and found.start


def test_bounded_time_on_long_input():
    noise = "1 2017 m. May 13-15 June 2007 " * 40_000  # ~1.2 MB
    t0 = time.perf_counter()
    parse_date(noise)  # reads only its head
    find_dates(noise)  # reads FIND_LIMIT characters
    date_spans(noise[:300_000])
    assert time.perf_counter() - t0 < 10


# _raw_atoms tries each pattern only where a match can start (digit runs, month names near a
# digit or "mėn"); these pin it to what a plain scan of every pattern finds.


def _scanned_atoms(text):
    """_raw_atoms as a plain `finditer` of every pattern over the whole text."""
    found = []
    for kind, pattern in dates._PATTERNS.items():
        for m in pattern.finditer(text):
            if kind == "years":
                found.append(dates._year_range_atom(m))
            elif kind.endswith("_num") or kind == "iso":
                found.append(dates._numeric_atom(kind, m))
            else:
                found.append(dates._text_atom(kind, m))
    found.sort(key=lambda a: (a.start, -(a.end - a.start)))
    chosen = []
    for atom in found:
        if not chosen or atom.start >= chosen[-1].end:
            chosen.append(atom)
    return chosen


LONGEST_MONTH = max(dates.MONTHS, key=len)


@pytest.mark.parametrize("text", [
    f"{LONGEST_MONTH}\u00a0\u00a0\u00a0-\u00a0\u00a0\u00a0{LONGEST_MONTH},\u00a0\u00a0\u00a02006",
    f"word {LONGEST_MONTH} \t - \t {LONGEST_MONTH}, \t 2006 more",
    "Sept.   the   21, 2017",
    "lapkričio   mėn. and rugpjūčio MĖN.",
    "nuo 2022 m. rugpjūčio iki lapkričio mėn.",
    "ſept 2017 and SEPT 2017, İanuary 2017",
    "June2005, 13-15 June 2007, 29 May-2 June 2018",
    "x2017-03-04, 2017-03-04T10:00:00Z, 4.5.2017, 12/30/2017 13:44",
    "2007–2013 2014-2020 1999-2000",
    "05.19.15, 5/19/15 10:30, 16.7.11, 02/23(金) 19:18, 2/23 19:18, 3/4",
    "2024年1月20日(土) 5:00, 1月20日午後5時30分, 2022年7月, 2024년 1월 20일, 第2024年",
    "٢٠١٧-٠٣-٠٤ and ２０１７-03-04",
    "",
    "no dates here at all, just words",
])
def test_raw_atoms_equal_a_full_scan(text):
    assert dates._raw_atoms(text) == _scanned_atoms(text)


SCAN_ALPHABET = st.sampled_from(
    list("0123456789 \u00a0\t.-–/:,\n") + list(dates.MONTHS)[::3]
    + ["mėn", "MĖN.", " m. ", " d.", "th", "the ", "of ", "to ", "iki ", "gada ", "ſ", "K", "x"]
    + ["年", "月", "日", "(金)", "（土）", "午後", "時", "分", "/"]
)


@given(st.lists(SCAN_ALPHABET, max_size=60).map("".join))
@settings(max_examples=500)
def test_raw_atoms_equal_a_full_scan_on_noise(text):
    assert dates._raw_atoms(text) == _scanned_atoms(text)


def test_month_reach_covers_the_longest_patterns():
    # a month name starts at most MONTH_REACH before the digit (or "mėn") that follows it
    name = LONGEST_MONTH
    widest = f"{name}   -   {name},   2006"
    assert widest.index("2006") <= dates.MONTH_REACH
    assert dates._raw_atoms("x " + widest) == _scanned_atoms("x " + widest)
