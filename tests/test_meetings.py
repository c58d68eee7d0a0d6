"""Meeting schedules as public agencies publish them (`extractors/meetings.py`), on small pages
written here: one event per meeting, its time on the 24-hour clock, its year from the context,
its place from its own block or from the page's one statement for all meetings."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from extractors.core import extract
from extractors.meeting_fields import same_place
from extractors.meetings import MAX_MEETINGS

URL = "https://agency.example.gov/board/meetings"


def page(body: str, title: str = "Board Meetings") -> str:
    return (f"<html><head><title>{title}</title></head><body>"
            f"<nav><ul><li><a href='/'>Home</a></li><li><a href='/about'>About</a></li></ul>"
            f"</nav><main><h1>{title}</h1>{body}</main>"
            f"<footer><p>Agency, 1 Main St, Springfield</p></footer></body></html>")


def starts(html: str, kind: str = "events") -> list[tuple[str | None, str | None]]:
    return [(e.start_date, e.end_date) for e in extract(html, URL, kind=kind).events]


def test_schedule_table_with_date_time_and_location_cells():
    html = page("""<table><tr><th>Date</th><th>Time</th><th>Location</th><th>Documents</th></tr>
      <tr><td>March 3, 2022</td><td>6 p.m.</td><td>City Hall<br>121 N. Main Street</td>
          <td><a href="/a1.pdf">Agenda</a> <a href="/m1.pdf">Minutes</a></td></tr>
      <tr><td>April 7, 2022</td><td>6:30 p.m. - 8 p.m.</td><td>Library<br>40 Oak Avenue</td>
          <td><a href="/a2.pdf">Agenda</a></td></tr></table>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.end_date) for e in events] == [
        ("2022-03-03T18:00", None), ("2022-04-07T18:30", "2022-04-07T20:00")]
    assert [e.location for e in events] == ["City Hall, 121 N. Main Street",
                                            "Library, 40 Oak Avenue"]


def test_date_and_time_in_one_cell_then_the_address():
    html = page("""<div class="meetings">
      <div class="m"><p>June 28, 2019 - 9:00 AM</p><p>1950 W. Polk, Conference Room 5301</p>
        <p><a href="/a.pdf">Agenda</a></p></div>
      <div class="m"><p>July 26, 2019 - 9:00 AM</p><p>1950 W. Polk, Conference Room 5301</p>
        <p><a href="/b.pdf">Agenda</a></p></div></div>""")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2019-06-28T09:00", "2019-07-26T09:00"]
    assert {e.location for e in events} == {"1950 W. Polk, Conference Room 5301"}


def test_document_links_of_one_meeting_are_one_event():
    html = page("""<ul>
      <li><a href="/1.pdf">Board Meeting Agenda – March 3, 2022</a></li>
      <li><a href="/2.pdf">Board Meeting Minutes – March 3, 2022</a></li>
      <li><a href="/3.pdf">Board Meeting Video – March 3, 2022</a></li>
      <li><a href="/4.pdf">Board Meeting Agenda – April 7, 2022</a></li></ul>""")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2022-03-03", "2022-04-07"]
    assert events[0].title == "Board Meeting"


def test_two_committees_at_one_time_stay_two_meetings():
    """Same day, same clock time, no place to tell them apart: two names of their own are two
    meetings (the second was folded into the first); one meeting's agenda and minutes at that
    time, or its regular and fuller name, stay one."""
    html = page("""<ul class="meetings">
      <li><h3>Finance Committee</h3><p>April 7, 2022, 6:00 p.m.</p></li>
      <li><h3>Parks Committee</h3><p>April 7, 2022, 6:00 p.m.</p></li>
      <li><h3>Zoning Board</h3><p>May 5, 2022, 6:00 p.m.</p></li>
      <li><h3>Zoning Board Regular Meeting</h3><p>May 5, 2022, 6:00 p.m.</p></li></ul>""")
    events = extract(html, URL, kind="events").events
    assert [(e.title, e.start_date) for e in events] == [
        ("Finance Committee", "2022-04-07T18:00"), ("Parks Committee", "2022-04-07T18:00"),
        ("Zoning Board", "2022-05-05T18:00")]


def test_a_schedule_introduced_as_one_in_a_plain_cell_table_is_read_by_auto():
    """A header row of plain cells ("<td><strong>Date</strong></td>") names the columns, so
    the place column is no title; the sentence above the table says it is a meeting schedule,
    so `auto` reads it, though no row names a meeting."""
    rows = "".join(
        f"<tr><td>{d}, 2019 at 10:30 am</td><td><p>Loop Office</p><p>42 W. Madison Street</p>"
        f"<p>Chicago, IL 60602</p></td></tr>" for d in ("July 24", "August 28", "September 25"))
    html = page(f"""<p>The Board holds its monthly meeting on the fourth Wednesday of each month.
      Following is the Board's regular monthly meeting schedule for 2019-2020.</p>
      <table><tr><td><strong>Date</strong></td><td><strong>Place</strong></td></tr>{rows}
      </table>""", title="Planning calendar")
    for kind in ("events", "auto"):
        events = extract(html, URL, kind=kind).events
        assert [(e.title, e.start_date) for e in events] == [
            ("Planning calendar", "2019-07-24T10:30"), ("Planning calendar", "2019-08-28T10:30"),
            ("Planning calendar", "2019-09-25T10:30")], kind
        assert {e.location for e in events} == {
            "Loop Office, 42 W. Madison Street, Chicago, IL 60602"}


def test_numbered_meetings_with_ordinal_days():
    html = page("""<h2>2020</h2><ul><li><a href="/59.pdf">Meeting 59 - January 15th, 2020</a></li>
      <li>Meeting 60 - forthcoming</li>
      <li><a href="/61.pdf">Meeting 61 - June 17th, 2020</a></li></ul>""")
    assert starts(html) == [("2020-01-15", None), ("2020-06-17", None)]


def test_br_separated_lines_and_the_year_from_the_heading():
    html = page("""<h2>2021 Meeting Schedule</h2>
      <p>March 8, 6:30 p.m.<br>April 12, 6:30 p.m.<br>May 10, 7 p.m.</p>""")
    assert starts(html) == [("2021-03-08T18:30", None), ("2021-04-12T18:30", None),
                            ("2021-05-10T19:00", None)]


def test_tabs_give_their_panels_the_year():
    html = page("""<ul class="tabs"><li><a href="#y2020">2020</a></li>
        <li><a href="#y2019">2019</a></li></ul>
      <div id="y2020" class="panel"><p>March 8, 6:30 p.m.</p><p>April 12, 6:30 p.m.</p></div>
      <div id="y2019" class="panel"><p>March 9, 6:30 p.m.</p><p>April 13, 6:30 p.m.</p></div>
      """)
    assert [s for s, _ in starts(html)] == ["2020-03-08T18:30", "2020-04-12T18:30",
                                            "2019-03-09T18:30", "2019-04-13T18:30"]


def test_no_year_anywhere_invents_none():
    html = page("<p>Board meetings:</p><p>March 8, 6:30 p.m.</p><p>April 12, 6:30 p.m.</p>")
    assert starts(html) == []


def test_calendar_tiles_with_the_date_split_over_spans():
    tile = ('<div class="tile"><div class="d"><span>{y}</span><span>{d}</span><span>{m}</span>'
            '</div><div>6 p.m. - 8 p.m.</div><div>Meeting Location Haugan Elementary School</div>'
            '<div>4540 North Hamlin Avenue</div></div>')
    html = page("<h2>Community Meetings</h2>" + tile.format(y=2018, d=10, m="Jan")
                + tile.format(y=2018, d=17, m="Feb"))
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.end_date) for e in events] == [
        ("2018-01-10T18:00", "2018-01-10T20:00"), ("2018-02-17T18:00", "2018-02-17T20:00")]
    assert events[0].location == "Haugan Elementary School, 4540 North Hamlin Avenue"


def test_page_wide_time_and_place_fill_bare_dates():
    html = page("""<h2>2021 MEETING SCHEDULE</h2>
      <p>All meetings will be held at 3:00 PM. Meetings are held at the Board of Ethics,
      740 N. Sedgwick, Ste. 500.</p>
      <p>Monday January 11</p><p>Monday February 8</p><p>Monday March 15</p>""")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2021-01-11T15:00", "2021-02-08T15:00",
                                              "2021-03-15T15:00"]
    assert {e.location for e in events} == {"Board of Ethics, 740 N. Sedgwick, Ste. 500"}


def test_fields_never_come_from_the_neighbouring_row():
    html = page("""<table>
      <tr><td>Finance Committee</td><td>May 2, 2023</td><td>10:00 a.m.</td>
          <td>100 W. Randolph Street</td></tr>
      <tr><td>Audit Committee</td><td>May 9, 2023</td><td></td><td></td></tr></table>""")
    events = extract(html, URL, kind="events").events
    assert [(e.title, e.start_date, e.location) for e in events] == [
        ("Finance Committee", "2023-05-02T10:00", "100 W. Randolph Street"),
        ("Audit Committee", "2023-05-09", None)]


def test_two_meetings_of_one_day_stay_two():
    html = page("""<div class="meeting"><h3>Regular Board Meeting - January 12, 2024</h3>
        <p>The Board will meet on Friday, January 12, 2024 at 10:00 a.m.</p></div>
      <div class="meeting"><h3>Electoral Board Meeting - January 12, 2024</h3>
        <p>The Electoral Board will meet on Friday, January 12, 2024 at 10:30 a.m.</p></div>""")
    events = extract(html, URL, kind="events").events
    assert [(e.title, e.start_date) for e in events] == [
        ("Regular Board Meeting", "2024-01-12T10:00"),
        ("Electoral Board Meeting", "2024-01-12T10:30")]


def test_month_first_numeric_dates_on_a_page_that_writes_dates_so():
    html = page("""<p>Posted on September 4, 2018</p>
      <ul><li><a href="/1.pdf">Minutes 10-2-2018</a></li>
      <li><a href="/2.pdf">Minutes 7-10-2018</a></li></ul>""")
    assert [s for s, _ in starts(html)] == ["2018-10-02", "2018-07-10"]


def test_start_and_end_labels_make_one_meeting():
    html = page("""<h2>Citizens Advisory Board</h2><div><div>Start</div>
      <div>Tue, 09/17/2019 - 10:00 AM</div><div>End</div><div>Tue, 09/17/2019 - 11:00 AM</div>
      </div><div>Location</div><div>Pace Headquarters</div>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.end_date, e.location) for e in events] == [
        ("2019-09-17T10:00", "2019-09-17T11:00", "Pace Headquarters")]


def test_agenda_references_and_posting_dates_are_no_meetings():
    html = page("""<div class="meeting"><h3>Finance Committee - March 3, 2022</h3>
        <ol><li>Approval of February 3, 2022 Finance Committee meeting minutes</li></ol>
        <p>Posted on February 20, 2022</p></div>
      <div class="meeting"><h3>Finance Committee - April 7, 2022</h3></div>""")
    assert [s for s, _ in starts(html)] == ["2022-03-03", "2022-04-07"]


def test_auto_reads_a_meeting_page_as_events():
    html = page("""<h2>2021 Meeting Schedule</h2>
      <p>Tuesday, January 26, 9 a.m.</p><p>Virtual meeting</p>
      <p>Tuesday, May 18, 9 a.m.</p><p>Virtual meeting</p>""")
    result = extract(html, URL, kind="auto")
    assert result.kind == "events"
    assert [e.start_date for e in result.events] == ["2021-01-26T09:00", "2021-05-18T09:00"]


def test_auto_leaves_a_news_list_alone():
    items = "".join(
        f'<article class="post"><h2><a href="/news/{i}">Clusters launch call number {i}</a>'
        f'</h2><time datetime="2024-0{i}-15">15 0{i} 2024</time><p>The agency opened a new '
        f'call for cluster projects, with a budget of one million euro and a deadline.</p>'
        f'</article>' for i in range(1, 5))
    result = extract(page(items, title="News"), URL, kind="auto")
    assert result.events == () and len(result.news) == 4


def test_a_schema_org_time_in_utc_goes_on_the_page_clock():
    html = page("""<script type="application/ld+json">{"@context": "https://schema.org",
      "@type": "Event", "name": "Board of Directors",
      "startDate": "2019-09-17T15:00:00Z", "location": "Room 132"}</script>
      <p>Next: <time datetime="2019-10-15T10:00:00-05:00">October 15</time></p>""")
    events = extract(html, URL, kind="events").events
    assert [(e.title, e.start_date) for e in events][:1] == [
        ("Board of Directors", "2019-09-17T10:00")]


def test_a_schema_org_time_in_utc_keeps_its_offset_when_the_page_has_none():
    html = page("""<script type="application/ld+json">{"@context": "https://schema.org",
      "@type": "Event", "name": "Board of Directors",
      "startDate": "2019-09-17T15:00:00Z"}</script>""")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2019-09-17T15:00+00:00"]


# ---------------------------------------------------------------------------------------------
# bad input: bounded time, no crash, no flood of false meetings (bounds generous: they catch
# hangs and quadratic blow-ups, not small slowdowns)


def _timed(html: str, kind: str):
    start = time.perf_counter()
    result = extract(html, URL, kind=kind)
    return result, time.perf_counter() - start


@pytest.mark.parametrize("kind", ["events", "auto"])
def test_a_table_of_5000_dated_rows(kind):
    rows = "".join(
        f"<tr><td>{(date(2000, 1, 1) + timedelta(days=3 * i)).strftime('%B %d, %Y')}</td>"
        f"<td>6 p.m.</td><td>Board meeting {i}</td></tr>" for i in range(5000))
    html = page(f"<table><tr><th>Date</th><th>Time</th><th>Meeting</th></tr>{rows}</table>")
    result, seconds = _timed(html, kind)
    assert seconds < 30
    assert len(result.events) == MAX_MEETINGS
    assert result.events[0].start_date == "2000-01-01T18:00"


@pytest.mark.parametrize("kind", ["events", "auto"])
def test_a_calendar_of_every_day_of_a_decade_is_no_schedule(kind):
    cells = "".join(
        f"<td>{(date(2010, 1, 1) + timedelta(days=i)).strftime('%A, %B %d, %Y')}</td>"
        + ("</tr><tr>" if i % 7 == 6 else "") for i in range(3653))
    result, seconds = _timed(page(f"<table><tr>{cells}</tr></table>", "Meeting calendar"), kind)
    assert seconds < 30
    assert result.events == ()


def test_a_list_whose_every_item_has_the_same_date_is_one_meeting():
    items = "".join(f"<li><a href='/d{i}.pdf'>Board Meeting Agenda - March 3, 2022 part {i}</a>"
                    f"</li>" for i in range(500))
    result, seconds = _timed(page(f"<ul>{items}</ul>"), "events")
    assert seconds < 30
    assert [e.start_date for e in result.events] == ["2022-03-03"]


@pytest.mark.parametrize("kind", ["events", "auto"])
def test_megabytes_of_json_in_scripts(kind):
    blob = json.dumps([{"title": f"Board meeting {i}", "location": "City Hall",
                        "start": f"2019-06-{i % 28 + 1:02d}T09:00:00-05:00"}
                       for i in range(40000)])
    html = page(f"<script>var meetings = {blob};</script>"
                f"<script type='application/json'>{blob}</script>"
                "<h2>2022 Meeting Schedule</h2><p>March 3, 6 p.m.</p><p>April 7, 6 p.m.</p>")
    assert len(html) > 5_000_000
    result, seconds = _timed(html, kind)
    assert seconds < 30
    assert [e.start_date for e in result.events] == ["2022-03-03T18:00", "2022-04-07T18:00"]


def test_meetings_carried_as_json_in_a_script():
    html = page("""<div id="calendar"></div><script>
      window.calendarData = {"view": "list", "meetings": [
        {"title": "Board of Directors", "start": "2019-06-28T09:00:00-05:00",
         "end": "2019-06-28T11:00:00-05:00", "location": {"name": "City Hall",
         "address": "121 N. LaSalle St."}, "url": "/meetings/1"},
        {"title": "Finance Committee", "start": "2019-07-12T08:30:00-05:00",
         "location": "Room 201"},
        {"title": "no date here"}]};
      function render() { return [{"not": "a meeting"}]; }
    </script>""")
    events = extract(html, URL, kind="events").events
    assert [(e.title, e.start_date, e.end_date, e.location, e.url) for e in events] == [
        ("Board of Directors", "2019-06-28T09:00", "2019-06-28T11:00",
         "City Hall, 121 N. LaSalle St.", "https://agency.example.gov/meetings/1"),
        ("Finance Committee", "2019-07-12T08:30", None, "Room 201", None)]


def test_date_and_time_in_two_elements_with_nothing_between():
    # a detail page whose style stacks the time under the date: the source glues the numbers
    html = page("""<h2>Regular Open Meeting</h2>
      <h3>December 14, 2023<span class="d-block">11:30 AM</span></h3>
      <div><h4>Utility Commission</h4><p>160 North Main Street<br>Eighth Floor, State Building
      <br><span>Springfield, Illinois 62701</span></p></div>
      <h3>Documents</h3><ul><li><a href="/a.pdf">Agenda</a></li></ul>""",
                title="Regular Open Meeting")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2023-12-14T11:30"]
    assert events[0].location == ("Utility Commission, 160 North Main Street, Eighth Floor, "
                                  "State Building, Springfield, Illinois 62701")


def test_a_teaser_cut_short_yields_to_the_full_description_of_the_same_meeting():
    card = ("<div class='ev'><p>Event details: The Board will meet on Friday, {d}, 2019 at "
            "the hour of 10:00 AM in the Administration Building located at 69 W.</p>"
            "<p>more</p><p>Event details: The Board will meet on Friday, {d}, 2019 at the hour "
            "of 10:00 AM in the Administration Building located at 69 W. Washington St., 22nd "
            "Floor, Springfield, Illinois to consider the following:</p><p>1. Roll call</p>"
            "</div>")
    html = page(card.format(d="September 20") + card.format(d="December 13"))
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.location) for e in events] == [
        (f"2019-{md}T10:00", "Administration Building located at 69 W. Washington St., "
                             "22nd Floor, Springfield, Illinois") for md in ("09-20", "12-13")]


def test_one_place_in_two_quote_styles_is_one_meeting():
    html = page("""<div><p>The Committee will convene on Friday, October 11, 2019 at 10:00 AM
      at 69 W. Washington St., Conference Room 'C'.</p></div>
      <div><p>Land Committee</p><p>The Committee will convene on Friday, October 11, 2019 at
      10:00 AM at 69 W. Washington St., Conference Room ‘C’.</p></div>
      <div><p>The Committee will convene on Friday, November 8, 2019 at 10:00 AM
      at 69 W. Washington St., Conference Room 'C'.</p></div>""")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2019-10-11T10:00", "2019-11-08T10:00"]


def test_same_place_ignores_quotes_and_a_cut_short_copy_but_not_another_room():
    assert same_place("69 W. Washington St., Room 'C'", "69 W. Washington St., Room ‘C’")
    assert same_place("the Building located at 69 W", "the Building located at 69 W. Main St.")
    assert not same_place("City Hall, Room 2", "City Hall, Room 3")
    assert not same_place("City Hall", "the Library, 40 Oak Avenue")


def test_a_default_place_keeps_its_street_address_after_located_at():
    html = page("""<h2>2018 Board Meetings</h2><p>January 23, 2018<br>February 20, 2018</p>
      <h2>Public Comment</h2>
      <p>Unless otherwise specified, meetings are held in the 5th Floor Board Room at the
      Authority's headquarters, located at 301 E. Main Road, Springfield, Illinois 62701.</p>""")
    events = extract(html, URL, kind="events").events
    assert [e.start_date for e in events] == ["2018-01-23", "2018-02-20"]
    # "at 301 ..." is a street address, not a clock time that ends the place
    assert {e.location for e in events} == {
        "the 5th Floor Board Room at the Authority's headquarters, located at 301 E. Main "
        "Road, Springfield, Illinois 62701"}


def test_a_default_place_still_ends_before_the_time():
    html = page("""<h2>2018 Board Meetings</h2><p>January 23, 2018<br>February 20, 2018</p>
      <h2>About</h2><p>Meetings are held at the Village Hall, 5 Elm Street at 6:30 p.m.</p>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.location) for e in events] == [
        (f"2018-{md}T18:30", "Village Hall, 5 Elm Street") for md in ("01-23", "02-20")]


def test_a_contact_address_in_the_footer_is_no_meetings_place():
    html = ("<html><body><main><h1>Board Meetings</h1><ul><li>Board Meeting – March 3, 2022"
            "</li><li>Board Meeting – April 7, 2022</li></ul></main><footer><p>Contact us</p>"
            "<p>City Hall, 121 N. Main Street, Room 1000</p><p>Springfield, Illinois 62701"
            "</p><p>Hours: 8:30 a.m. to 5 p.m.</p></footer></body></html>")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.location) for e in events] == [
        ("2022-03-03", None), ("2022-04-07", None)]


def test_numbers_of_two_elements_on_a_phone_line_are_no_meeting():
    html = page("<p>Call <span>312</span><span>555</span>-0100 for the agenda.</p>")
    assert starts(html) == []


def test_a_labelled_place_takes_the_street_address_under_it():
    card = ("<div class='ev'><p><strong>{t}</strong></p><p><strong>When:</strong><br>{d}<br>"
            "6 p.m.<br><strong>Where:</strong><br>{n}<br>{a}<br><strong>Contact:</strong><br>"
            "Jane Doe<br>555-490-9326</p></div>")
    html = page(card.format(t="Board Meeting", d="March 3, 2022", n="Clark High School",
                            a="5101 W. Harrison St.")
                + card.format(t="Finance Committee", d="April 7, 2022", n="Public Library",
                              a="40 Oak Avenue"))
    events = extract(html, URL, kind="events").events
    assert [(e.title, e.start_date, e.location) for e in events] == [
        ("Board Meeting", "2022-03-03T18:00", "Clark High School, 5101 W. Harrison St."),
        ("Finance Committee", "2022-04-07T18:00", "Public Library, 40 Oak Avenue")]


def test_a_row_address_with_a_capitalised_street_word_and_no_direction():
    row = ("<div class='minutes'><div class='d'>{d}</div><div class='t'>10:30 AM</div>"
           "<div class='loc'><p>{n}<br>{a}<br>{c}</p></div></div>")
    html = page(row.format(d="October 18th, 2011", n="State Society", a="550 W. Jackson",
                           c="Chicago, IL")
                + row.format(d="July 12th, 2011", n="Board of Examiners",
                             a="100 Trade Centre Dr., Suite 403", c="Champaign, IL 61820"))
    events = extract(html, URL, kind="events").events
    assert [e.location for e in events] == [
        "State Society, 550 W. Jackson, Chicago, IL",
        "Board of Examiners, 100 Trade Centre Dr., Suite 403, Champaign, IL 61820"]


def test_a_year_before_capitalised_words_is_no_street_address():
    html = page("""<ul><li>Board Meeting – March 3, 2022<br>2022 Food Drive volunteers
      welcome</li><li>Board Meeting – April 7, 2022</li></ul>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.location) for e in events] == [
        ("2022-03-03", None), ("2022-04-07", None)]


def _minutes_posts_with_widget(widget: str, nav_item: str = "") -> str:
    post = ("<article><header><h2><a href='/p{n}'>{d} Meeting Minutes and Agenda</a></h2>"
            "<div class='entry-meta'><span class='posted-on'>Posted on <a href='/p{n}'>"
            "<time class='entry-date published'>{p}</time><time class='updated'>{u}</time>"
            "</a></span><span class='byline'> by Program Staff</span></div></header>"
            "<div class='entry-content'><p>Governing Commission Meeting</p></div></article>")
    posts = (post.format(n=1, d="August 17, 2023", p="August 15, 2023", u="August 16, 2023")
             + post.format(n=2, d="June 15, 2023", p="June 12, 2023", u="July 5, 2023"))
    return (f"<html><head><title>Minutes</title></head><body><nav><ul class='menu'>"
            f"<li class='menu-item-object-event'><a href='/events'>Events</a></li>{nav_item}"
            f"</ul></nav><main><h1>Meeting Minutes and Agendas</h1>{posts}</main>"
            f"<aside id='secondary'><section><h2>Recent Posts</h2><ul><li><a href='/p9'>"
            f"Park cleanup on May 2, 2023</a></li><li><a href='/p8'>Holiday hours December 26,"
            f" 2022</a></li></ul></section>{widget}</aside></body></html>")


def test_a_sidebar_events_widget_gives_the_minutes_posts_their_time_and_its_own_meetings():
    item = ("<li><a href='/events/{n}'>Governing Commissioners Public Meeting</a><ul>"
            "<li>{d}</li><li>6:30 pm - 7:30 pm</li><li>3234 N. Central Ave.</li></ul></li>")
    widget = ("<section><h2>Upcoming Events</h2><div class='em em-events-widget'>"
              + item.format(n=3, d="10/19/2023") + "</div><h2>Past Meetings</h2>"
              "<div class='em em-events-widget'>" + item.format(n=2, d="08/17/2023")
              + item.format(n=1, d="06/15/2023") + "</div></section>")
    events = extract(_minutes_posts_with_widget(widget), URL, kind="events").events
    # the posting and updating dates are no meetings, glued together or not; each post's
    # meeting takes the widget's time; the other sidebar lists stay unread
    assert sorted((e.start_date, e.end_date, e.location) for e in events) == [
        ("2023-06-15T18:30", "2023-06-15T19:30", "3234 N. Central Ave."),
        ("2023-08-17T18:30", "2023-08-17T19:30", "3234 N. Central Ave."),
        ("2023-10-19T18:30", "2023-10-19T19:30", "3234 N. Central Ave.")]
    assert "Posted" not in " ".join(e.title for e in events)


def test_without_an_events_widget_the_sidebar_and_the_post_stamps_give_no_meetings():
    html = _minutes_posts_with_widget("", nav_item="<li><a href='/e'>Events on May 9, 2023</a>"
                                      "</li>")
    events = extract(html, URL, kind="events").events
    assert sorted(e.start_date for e in events) == ["2023-06-15", "2023-08-17"]


def test_an_untimed_sighting_joins_a_timed_one_only_under_a_name_of_the_same_body():
    html = page("""<article><h2>Finance and Audit Committee Minutes – March 3, 2022</h2>
      <p>Approved.</p></article><article><h2>Parks Committee Agenda – March 3, 2022</h2>
      <p>Draft.</p></article><article><h2>Finance Committee</h2><p>March 3, 2022</p>
      <p>9:00 AM</p></article>""")
    events = extract(html, URL, kind="events").events
    assert sorted((e.start_date or "", e.title) for e in events) == [
        ("2022-03-03", "Parks Committee"), ("2022-03-03T09:00", "Finance and Audit Committee")]


def test_a_year_glued_to_a_printed_file_path_still_heads_its_dates_and_no_meeting_is_none():
    # a CMS printed the link's target before its text: the line is still "2019 Meetings:"
    html = page("""<p>/content/dam/agency/Standards/2019Mailing_Label_Instructions.pdf2019
      Meetings:</p><p>January 16</p><p>February 20</p><p>March 20</p><p>no meeting</p>
      <p>April 17</p><p>2018 Meetings:</p><p>December 19</p>
      <p>No meeting materials are posted before the agenda.</p>""")
    assert starts(html) == [("2019-01-16", None), ("2019-02-20", None), ("2019-04-17", None),
                            ("2018-12-19", None)]


def test_a_calendar_plugins_list_gives_each_event_its_shown_time_and_its_address_pieces():
    # the day tile's <time> holds the day only; the entry's own <time> shows "@ 6:30 pm - 7:30
    # pm"; the venue is an <address> of two spans with nothing between their texts
    row = ("<div class='event-row'><div class='tag'><time datetime='{day}'><span>Thu</span>"
           "<span>{n}</span></time></div><article><header><time datetime='{day}'>"
           "<span>{shown} @ 6:30 pm</span> - <span>7:30 pm</span></time>"
           "<h3><a href='/event/{n}/'>{title}</a></h3><address><span>{place}</span>"
           "<span>{street}</span></address></header><p>Regular meeting.</p></article></div>")
    html = page("<div class='events-list'>" + "".join(
        row.format(day=day, n=day[-2:], shown=shown, title=title, place=place, street=street)
        for day, shown, title, place, street in (
            ("2023-10-19", "October 19", "Board of Commissioners Meeting", "Agency Office",
             "3234 N. Central Ave., Chicago, IL"),
            ("2023-11-16", "November 16", "Board of Commissioners Meeting", "Agency Office",
             "3234 N. Central Ave., Chicago, IL"),
            ("2024-01-18", "January 18, 2024", "Finance Committee", "City Hall",
             "121 N. LaSalle St., Room 201A, Chicago, IL"))) + "</div>")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.title, e.location) for e in events] == [
        ("2023-10-19T18:30", "Board of Commissioners Meeting",
         "Agency Office, 3234 N. Central Ave., Chicago, IL"),
        ("2023-11-16T18:30", "Board of Commissioners Meeting",
         "Agency Office, 3234 N. Central Ave., Chicago, IL"),
        ("2024-01-18T18:30", "Finance Committee",
         "City Hall, 121 N. LaSalle St., Room 201A, Chicago, IL")]
    assert [e.end_date for e in events] == [
        "2023-10-19T19:30", "2023-11-16T19:30", "2024-01-18T19:30"]


def test_a_shown_time_of_another_day_does_not_move_the_machine_readable_day():
    from extractors.dates import DateSpan
    from extractors.item_dates import shown_date

    assert shown_date("2023-10-19", "October 19 @ 6:30 pm - 7:30 pm") == DateSpan(
        "2023-10-19T18:30", "2023-10-19T19:30")
    assert shown_date("2023-10-19", "October 20 @ 6 pm") == DateSpan("2023-10-19")
    assert shown_date("2023-10-19", "Thu 19") == DateSpan("2023-10-19")


def test_an_agenda_centers_posting_stamps_give_no_meeting_and_no_time():
    # a municipal agenda center: the meeting's day, then when its agenda was posted or amended
    # (a date and a clock time that are the document's, not the meeting's); the meeting's
    # name is the link in the "Agenda" column
    row = ("<tr><td><h3><strong>{day}</strong> — {stamp}</h3><p><a href='/a/{n}'>{name}</a>"
           "</p></td><td class='minutes'>{minutes}</td></tr>")
    rows = "".join(row.format(n=n, day=day, stamp=stamp, name=name, minutes=minutes)
                   for n, (day, stamp, name, minutes) in enumerate((
                       ("Oct 19, 2023", "Posted Oct 13, 2023 4:01 PM",
                        "Regular City Council Meeting", "<a href='/m1.pdf'>Minutes</a>"),
                       ("Oct 5, 2023", "Amended Oct 4, 2023 9:12 AM",
                        "Regular City Council Meeting", ""),
                       ("Sep 21, 2023", "Posted Sep 15, 2023 2:30 PM",
                        "Special City Council Meeting", "<a href='/m2.pdf'>Minutes</a>"))))
    html = page("<h2>City Council</h2><table><thead><tr><th>Agenda</th><th>Minutes</th></tr>"
                f"</thead><tbody>{rows}</tbody></table>", title="Agenda Center")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.title) for e in events] == [
        ("2023-10-19", "Regular City Council Meeting"),
        ("2023-10-05", "Regular City Council Meeting"),
        ("2023-09-21", "Special City Council Meeting")]


def test_a_meeting_time_after_words_like_posted_elsewhere_is_still_read():
    html = page("<ul><li>March 3, 2022 – Notice posted at City Hall, meeting at 6:30 p.m.</li>"
                "<li>April 7, 2022 – Board Meeting, 6 p.m.</li></ul>")
    assert starts(html) == [("2022-03-03T18:30", None), ("2022-04-07T18:00", None)]


def test_a_calendar_list_gives_the_clock_ranges_end_and_a_place_without_its_at_sign():
    entry = ("<li><h3><a href='/Calendar.aspx?EID={n}'><span>{title}</span></a></h3>"
             "<div class='subHeader'><div class='date'>{when}</div></div>"
             "<p><span>@ </span>{place}</p><a href='/Calendar.aspx?EID={n}'>More Details</a></li>")
    html = page("<ol>" + "".join(entry.format(n=n, title=t, when=w, place=p) for n, (t, w, p) in
                                 enumerate((
        ("City Council Regular Meeting", "October 17, 2023, 7:00 PM - 9:00 PM",
         "City Hall Council Chambers, 800 E Monroe St"),
        ("City Council Work Session", "November 7, 2023, 5:30 PM - 6:30 PM",
         "Municipal Center West, 300 S 7th St")))) + "</ol>", title="Calendar")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.end_date, e.location) for e in events] == [
        ("2023-10-17T19:00", "2023-10-17T21:00", "City Hall Council Chambers, 800 E Monroe St"),
        ("2023-11-07T17:30", "2023-11-07T18:30", "Municipal Center West, 300 S 7th St")]


def test_accordion_buttons_name_the_year_of_their_panels_and_the_page_states_time_and_place():
    html = page("""<p>The Board meets on the third Thursday of each month at 9:00 a.m. unless
      noted otherwise. All meetings are held in the Board Room, 175 W. Jackson Blvd., Suite
      1650, Chicago, IL 60604.</p>
      <h3><button>2024</button></h3><div><ul>
      <li>January 18 – <a href="/a1.pdf">Agenda</a> | <a href="/m1.pdf">Minutes</a></li>
      <li>February 15 (Special Meeting, 10:30 a.m.) – <a href="/a2.pdf">Agenda</a></li></ul></div>
      <h3><button aria-expanded="false">2023</button></h3><div><ul>
      <li>December 14 – <a href="/a3.pdf">Agenda</a></li></ul></div>""",
                title="Board of Directors")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.title) for e in events] == [
        ("2024-01-18T09:00", "Board of Directors"), ("2024-02-15T10:30", "Special Meeting"),
        ("2023-12-14T09:00", "Board of Directors")]
    assert {e.location for e in events} == {
        "Board Room, 175 W. Jackson Blvd., Suite 1650, Chicago, IL 60604"}


def test_a_list_of_linked_documents_keeps_each_entry_its_own_and_a_notice_names_its_meeting():
    html = page("""<p><strong>Thursday, January 12, 2023</strong><br>6:00 p.m.<br>Location:
      Harold Washington Library, 400 S. State St.<br><a href="/a1.pdf">Agenda</a></p>
      <p>NOTICE IS HEREBY GIVEN that a special meeting of the Board of Trustees will be held on
      Tuesday, the 14th day of March, 2023, at 10:00 a.m., in the Board Room, 400 S. State St.,
      Chicago, Illinois.</p>
      <ul><li><a href="/d/1.pdf">2023-01-12 Board Minutes</a></li>
      <li><a href="/d/budget.pdf">Budget 2023</a></li></ul>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.title, e.location) for e in events] == [
        ("2023-01-12T18:00", "Board", "Harold Washington Library, 400 S. State St."),
        ("2023-03-14T10:00", "Special meeting of the Board of Trustees",
         "Board Room, 400 S. State St., Chicago, Illinois")]


@pytest.mark.parametrize(("lang", "body", "place"), [
    ("fr", """<p>Les séances du conseil d'administration ont lieu au siège de l'Agence, 12 rue de
      la République, 69002 Lyon.</p><h2>Calendrier des séances 2024</h2><ul>
      <li>Séance du 12 mars 2024 à 14h00 – <a href="/o1.pdf">Ordre du jour</a></li>
      <li>Séance du 18 juin 2024 à 10h30 – <a href="/o2.pdf">Ordre du jour</a></li></ul>""",
     "siège de l'Agence, 12 rue de la République, 69002 Lyon"),
    ("de", """<p>Die Sitzungen finden im Sitzungssaal der Agentur, Hauptstraße 12, 10117 Berlin
      statt.</p><table><tr><th>Datum</th><th>Uhrzeit</th><th>Unterlagen</th></tr>
      <tr><td>12.03.2024</td><td>14:00 Uhr</td><td><a href="/t1.pdf">Tagesordnung</a></td></tr>
      <tr><td>18.06.2024</td><td>10:30 Uhr</td><td><a href="/t2.pdf">Tagesordnung</a>
      <a href="/p2.pdf">Protokoll</a></td></tr></table>""",
     "Sitzungssaal der Agentur, Hauptstraße 12, 10117 Berlin"),
    ("lt", """<p>Posėdžiai vyksta Agentūros posėdžių salėje, Gedimino pr. 38, Vilnius.</p><ul>
      <li>2024 m. kovo 12 d. 14 val. – <a href="/d1.pdf">Darbotvarkė</a></li>
      <li>2024 m. birželio 18 d. 10.30 val. – <a href="/d2.pdf">Darbotvarkė</a>,
      <a href="/p2.pdf">Protokolas</a></li></ul>""",
     "Agentūros posėdžių salėje, Gedimino pr. 38, Vilnius"),
])
def test_schedules_in_french_german_and_lithuanian(lang, body, place):
    html = (f"<html lang='{lang}'><head><title>Board</title></head><body><main><h1>Board</h1>"
            f"{body}</main></body></html>")
    for kind in ("events", "auto"):
        events = extract(html, URL, kind=kind).events
        assert [(e.start_date, e.location) for e in events] == [
            ("2024-03-12T14:00", place), ("2024-06-18T10:30", place)], kind
        # a document's name is no meeting's title
        assert not any(word in e.title.lower() for e in events
                       for word in ("ordre", "tagesordnung", "protokol", "darbotvarkė"))


def test_a_line_listing_the_years_dates_after_naming_the_year():
    html = page("""<p>The Police Board's regular public meetings are held at 7:30 p.m. at Chicago
      Public Safety Headquarters, 3510 South Michigan Avenue, Chicago.</p>
      <p><strong>Regular meeting dates for 2019:</strong> January 17, February 21, March 14, April
      18, May 16, June 20, July 18, August 15, September 19, October 17, November 21, and
      December 19.</p><p><strong>2018 meetings:</strong> January 18 | February 15</p>""",
                title="Public Meetings")
    events = extract(html, URL, kind="events").events
    assert [e.start_date[:10] for e in events] == [
        f"2019-{md}" for md in ("01-17", "02-21", "03-14", "04-18", "05-16", "06-20", "07-18",
                                "08-15", "09-19", "10-17", "11-21", "12-19")] + [
        "2018-01-18", "2018-02-15"]
    assert {(e.start_date[10:], e.title, e.location) for e in events} == {
        ("T19:30", "Public Meetings",
         "Chicago Public Safety Headquarters, 3510 South Michigan Avenue, Chicago")}


def test_a_long_sentence_with_dates_is_still_prose_unless_it_lists_them():
    html = page("<p>" + "The council adopted the plan on March 3, 2022 after long debate about "
                "roads, parks and schools in every district of the city, and the mayor signed it "
                "on March 9, 2022 in front of the press, residents and many guests.</p>")
    assert starts(html) == []


def test_a_line_of_fields_around_its_time_and_a_place_named_alone_on_its_line():
    html = page("""<h2>2024 Board Meeting Schedule</h2>
      <dl><dt>Tuesday, January 9</dt><dd>Regular Meeting, 6:00 PM, Administration Building,
      541 N. Fairbanks Ct.</dd><dt>Wednesday, March 13</dt><dd>Budget Hearing, 5:30 PM, Room
      101</dd></dl><h2>Upcoming</h2><div class="cards">
      <div class="card"><div class="card-date"><span>APR</span> <span>09</span></div><div>
      <h4><a href="/e/1">Board Meeting</a></h4><p>6:00 PM – 8:00 PM</p>
      <p>Administration Building</p></div></div>
      <div class="card"><div class="card-date"><span>JUN</span> <span>11</span></div><div>
      <h4><a href="/e/3">Finance Committee</a></h4><p>5:00 PM</p><p>Room 101</p></div></div>
      </div>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.title, e.location) for e in events] == [
        ("2024-01-09T18:00", "Regular Meeting", "Administration Building, 541 N. Fairbanks Ct."),
        ("2024-03-13T17:30", "Budget Hearing", "Room 101"),
        ("2024-04-09T18:00", "Board Meeting", "Administration Building"),
        ("2024-06-11T17:00", "Finance Committee", "Room 101")]


def test_a_sentence_after_its_time_is_no_line_of_fields():
    html = page("""<p>Finance Committee – March 3, 2022</p><p>The committee meets at 10:00 am in
      the County Building located at 69 W. Washington St., 22nd Floor.</p>""")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.location) for e in events] == [
        ("2022-03-03T10:00", "County Building located at 69 W. Washington St., 22nd Floor")]


def test_an_archives_year_filter_dates_the_entries_it_shows():
    rows = "".join(f"<tr><td>{t}</td><td>{d}</td><td><a href='/a{n}.pdf'>Agenda</a></td></tr>"
                   for n, (t, d) in enumerate((("Regular Board Meeting", "January 17"),
                                               ("Special Board Meeting", "March 3"))))
    shown = page("<form><select name='year'><option>2024</option><option selected>2023"
                 "</option><option>2022</option></select></form><table><tr><th>Meeting</th>"
                 f"<th>Date</th><th>Agenda</th></tr>{rows}</table>")
    assert starts(shown) == [("2023-01-17", None), ("2023-03-03", None)]
    # a select that is no year filter (or none chosen) dates nothing
    unchosen = shown.replace("<option selected>", "<option>")
    assert starts(unchosen) == []


def test_day_numbers_under_a_month_heading_but_not_a_numbered_agenda():
    html = page("""<h3>January 2024</h3><ul><li>9 – Board of Trustees, 6:00 p.m.</li>
      <li>23 – Plan Commission, 7:00 p.m.</li></ul><h3>February 2024</h3>
      <ul><li>13 – Board of Trustees, 6:00 p.m.</li></ul>""", title="Meeting Calendar")
    events = extract(html, URL, kind="events").events
    assert [(e.start_date, e.title) for e in events] == [
        ("2024-01-09T18:00", "Board of Trustees"), ("2024-01-23T19:00", "Plan Commission"),
        ("2024-02-13T18:00", "Board of Trustees")]
    agenda = page("""<h3>March 2024</h3><ol><li>1. Call to order</li><li>2. Approval of the
      minutes of the Board meeting</li><li>3. Public comment</li></ol>""", title="Agenda")
    assert starts(agenda) == []


def test_auto_gives_a_meeting_pages_papers_as_its_meetings_not_as_news():
    rows = "".join(f"<tr><td>Regular Board Meeting</td><td>{d}</td><td><a href='/a{n}.pdf'>Agenda"
                   f"</a></td><td><a href='/m{n}.pdf'>Minutes</a></td></tr>"
                   for n, d in enumerate(("January 17, 2023", "February 21, 2023",
                                          "March 21, 2023")))
    result = extract(page("<table><tr><th>Meeting</th><th>Date</th><th>Agenda</th><th>Minutes"
                          f"</th></tr>{rows}</table>", title="Agendas and Minutes"), URL,
                     kind="auto")
    assert result.kind == "events" and result.news == ()
    assert [e.start_date for e in result.events] == ["2023-01-17", "2023-02-21", "2023-03-21"]
