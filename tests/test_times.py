"""Clock times (`extractors/times.py`) and times after dates (`dates.parse_date`): the 12-hour
clock read right (6 p.m. is 18:00), ranges giving their end, UTC offsets put on a page's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extractors.dates import parse_date
from extractors.times import find_times, local_time, utc_offset, with_time, zone_offset


@pytest.mark.parametrize(("text", "expected"), [
    ("6 p.m.", ("18:00", None)),
    ("10:30am", ("10:30", None)),
    ("12:00 noon", ("12:00", None)),
    ("noon", ("12:00", None)),
    ("12 a.m.", ("00:00", None)),
    ("3:pm", ("15:00", None)),
    ("13:30", ("13:30", None)),
    ("6 p.m. - 8 p.m.", ("18:00", "20:00")),
    ("6-8 p.m.", ("18:00", "20:00")),
    ("6:30 - 8 p.m.", ("18:30", "20:00")),
    ("11 - 1 p.m.", ("11:00", "13:00")),
    ("1:00 PM to 4:00 PM", ("13:00", "16:00")),
    ("Tuesday, January 26, 9 a.m.", ("09:00", None)),
    # the 24-hour clock with a unit: French, German, Lithuanian
    ("12 mars 2024 à 14h00", ("14:00", None)),
    ("le 12 mars à 14 h 30", ("14:30", None)),
    ("de 9h30 à 12h", ("09:30", "12:00")),
    ("rendez-vous à 9h", ("09:00", None)),
    ("12.03.2024 um 14 Uhr", ("14:00", None)),
    ("14.30 Uhr", ("14:30", None)),
    ("2024 m. kovo 12 d. 14 val.", ("14:00", None)),
])
def test_clock_times(text, expected):
    times = find_times(text)
    assert [(t.time, t.end_time) for t in times] == [expected]


@pytest.mark.parametrize("text", ["Room 1103", "9.30", "9 - 5", "13 p.m.", "2019", "page 12",
                                  "a course of 5h per week", "3 h 30 min", "Hochhaus 12"])
def test_not_clock_times(text):
    assert find_times(text) == []


def test_a_zone_after_a_time_is_kept():
    [t] = find_times("Time: 2:30 PM - 4:30 PM CDT")
    assert (t.time, t.end_time, t.zone) == ("14:30", "16:30", "CDT")
    assert zone_offset(t.zone) == timedelta(hours=-5)


@pytest.mark.parametrize(("text", "expected"), [
    ("June 28, 2019 at 6:30 p.m.", "2019-06-28T18:30"),
    ("June 28, 2019 - 9:00 AM", "2019-06-28T09:00"),
    ("Tue, 09/17/2019 - 10:00 AM", "2019-09-17T10:00"),
    ("March 23, 2021 @ 8:30 a.m.", "2021-03-23T08:30"),
    ("2020.10.26 13:44", "2020-10-26T13:44"),
])
def test_a_time_after_a_date(text, expected):
    span = parse_date(text)
    assert span is not None and span.start == expected


def test_utc_offsets_and_the_page_clock():
    assert utc_offset("2019-09-17T15:00:00Z") == timedelta(0)
    assert utc_offset("2019-09-17T10:00:00-05:00") == timedelta(hours=-5)
    assert utc_offset("2019-09-17T10:00") is None
    assert local_time("2019-09-17T15:00:00Z", timedelta(hours=-5)) == "2019-09-17T10:00"
    assert local_time("2019-09-18T02:30Z", timedelta(hours=-5)) == "2019-09-17T21:30"
    assert local_time("2019-09-17T15:00", timedelta(hours=-5)) == "2019-09-17T15:00"
    assert with_time("2019-06-28", "09:00") == "2019-06-28T09:00"
    assert with_time("2019-06-28", None) == "2019-06-28"
