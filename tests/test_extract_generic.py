"""The extractors on markup that is not the fixture sites': WordPress, tables, <dl>, JSON-LD,
<time> lists, Lithuanian, German and French pages, flat heading lists, CSS selectors.

The pages are small and hand-written (tests/pages/ and inline); each checks one shape of page
a data team may point a new source at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.core import extract
from extractors.registry import EXTRACTORS, extractor

PAGES = Path(__file__).parent / "pages"


def page(name: str, url: str = "https://agency.example.eu/news/", **kw):
    return extract((PAGES / name).read_bytes(), url, **kw)


def test_wordpress_news_list():
    got = page("wordpress_news.html")
    assert got.kind == "news_list"
    assert [n.title for n in got.news] == [
        "Three clusters awarded the Silver Label",
        "New call for cluster internationalisation projects",
        "Annual report: clusters grew by 12%",
    ]
    first = got.news[0]
    assert first.date == "2020-03-05T10:00"
    assert first.url == "https://agency.example.eu/2020/03/05/cluster-excellence/"
    assert first.summary == ("The European Secretariat for Cluster Analysis awarded three more "
                             "clusters the Silver Label of cluster management excellence.")
    assert got.events == ()


def test_wordpress_sidebar_nav_pagination_footer_cookie_are_not_items():
    titles = {n.title for n in page("wordpress_news.html").news}
    for furniture in ("About us 2020", "Next", "2", "Privacy policy, updated 1 May 2019",
                      "Read more", "Recent Posts"):
        assert furniture not in titles
    assert len(titles) == 3  # the sidebar's "Recent Posts" repeat no item


def test_table_of_events_reads_columns_by_header():
    got = page("table_events.html", url="https://agency.example.eu/calendar")
    assert got.kind == "events"
    assert [(e.title, e.start_date, e.location, e.organiser) for e in got.events] == [
        ("Cluster Day 2021", "2021-03-12", "Vilnius, Lithuania", "Lithuanian Innovation Centre"),
        ("Smart specialisation workshop", "2021-03-24", "Riga, Latvia", "LIAA"),
        ("Matchmaking for food clusters", "2021-04-07", "Online", "Enterprise Europe Network"),
    ]
    assert got.events[1].end_date == "2021-03-25"
    assert got.events[0].url == "https://agency.example.eu/calendar/cluster-day"


def test_dl_event_page():
    got = page("dl_event.html", url="https://agency.example.lv/events/baltic-cluster-forum")
    assert got.kind == "events"
    (event,) = got.events
    assert event.title == "Baltic Cluster Forum"
    assert (event.start_date, event.end_date) == ("2018-05-29", "2018-05-30")
    assert event.location == "Radisson Blu Hotel Latvija, Elizabetes iela 55, Riga"
    assert event.organiser == "Investment and Development Agency of Latvia"
    assert event.url == "https://agency.example.lv/events/baltic-cluster-forum"


def test_lithuanian_news_list():
    got = page("lt_news.html", url="https://agentura.example.lt/naujienos")
    assert got.kind == "news_list"
    assert [(n.date, n.title) for n in got.news] == [
        ("2017-08-23", "Įvyko Klasterių forumo susitikimas"),
        ("2017-07-18", "Dar du klasteriai gavo sertifikatus"),
        ("2017-06-06", "Klasteriai aptarė, kokių žinių jiems trūksta"),
    ]
    assert got.news[0].summary.startswith("Verslo centre „Business Hive Vilnius“")
    assert "Skaityti daugiau" not in got.news[0].summary
    assert got.news[0].url == "https://agentura.example.lt/naujienos/klasteriu-forumas"


def test_german_and_french_lists():
    got = page("de_fr_lists.html", url="https://cluster.example.de/")
    assert [(n.date, n.title) for n in got.news] == [
        ("2019-03-12", "Neue Förderung für Innovationscluster"),
        ("2019-02-28", "Netzwerktreffen der Clustermanager in Berlin"),
        ("2019-01-04", "Jahresbericht 2018 veröffentlicht"),
        ("2020-01-03", "Nouvel appel à projets pour les pôles"),
        ("2019-12-17", "Rencontre des pôles de compétitivité à Lyon"),
    ]


def test_jsonld_event_page():
    got = page("jsonld_event.html", url="https://agency.example.lt/en/events/x")
    (event,) = got.events
    assert event.title == "Innovation Days 2022"
    assert (event.start_date, event.end_date) == ("2022-10-05T09:00", "2022-10-06T17:00")
    assert event.location == "LITEXPO, Vilnius"
    assert event.organiser == "Innovation Agency Lithuania"
    assert event.url == "https://agency.example.lt/en/events/innovation-days-2022"


def test_time_datetime_list():
    got = page("time_list.html", url="https://agency.example.eu/press")
    assert [(n.date, n.title) for n in got.news] == [
        ("2023-06-01", "Agency opens Green Deal support line"),
        ("2023-05-12", "Annual innovation report published"),
        ("2023-04-20", "Innovation vouchers: second round"),
    ]
    assert "Older releases" not in {n.title for n in got.news}


FLAT = """<html><body><div class="main">
<h2>Upcoming events</h2>
<p class="when">14 September 2021</p>
<h3><a href="/e/forum">Cluster Forum 2021</a></h3>
<p>Location: Kaunas</p>
<p class="when">2 October 2021</p>
<h3><a href="/e/expo">Innovation Expo</a></h3>
<p>Location: Klaipėda</p>
</div><footer><a href="/privacy">Privacy</a></footer></body></html>"""


def test_flat_heading_list_takes_the_date_before_each_title():
    got = extract(FLAT, "https://x.example/events")
    assert [(e.title, e.start_date, e.location) for e in got.events] == [
        ("Cluster Forum 2021", "2021-09-14", "Kaunas"),
        ("Innovation Expo", "2021-10-02", "Klaipėda"),
    ]


EVENT_LINES = """<html><body><div id="content">
<div class="item"><h4><a href="/a">Meeting of the Cluster Forum</a></h4>
<p>2017 m. rugsėjo 21-22 d.</p><p>Organizatorius: Lietuvos klasterių asociacija</p>
<p>Vieta: Vilnius</p></div>
<div class="item"><h4><a href="/b">Cluster Matchmaking</a></h4>
<p>2017 m. spalio 5 d.</p><p>Organizatorius: BSR Stars</p><p>Vieta: Stuttgart</p></div>
</div></body></html>"""


def test_lithuanian_event_labels_and_range():
    got = extract(EVENT_LINES, "https://klaster.example.lt/renginiai")
    assert got.kind == "events"
    first = got.events[0]
    assert (first.start_date, first.end_date) == ("2017-09-21", "2017-09-22")
    assert (first.organiser, first.location) == ("Lietuvos klasterių asociacija", "Vilnius")


def test_explicit_kind_events_makes_list_items_events():
    got = page("time_list.html", url="https://agency.example.eu/press", kind="events")
    assert got.kind == "events"
    assert len(got.events) == 3 and got.news == ()


def test_selectors_override_the_heuristics():
    html = """<html><body><div class="x"><b class="t">Alpha</b><i>3 May 2021</i>
    <a class="go" href="/alpha">open</a></div><div class="x"><b class="t">Beta</b>
    <i>4 May 2021</i><a class="go" href="/beta">open</a></div></body></html>"""
    got = extract(html, "https://x.example/", kind="news_list",
                  selectors={"item": "div.x", "title": "b.t", "date": "i", "link": "a.go"})
    assert [(n.title, n.date, n.url) for n in got.news] == [
        ("Alpha", "2021-05-03", "https://x.example/alpha"),
        ("Beta", "2021-05-04", "https://x.example/beta"),
    ]


def test_bad_selector_does_not_crash():
    got = extract("<html><body><p>x</p></body></html>", "https://x.example/",
                  selectors={"item": "div[[["})
    assert got.news == ()


ARTICLE = """<html><head><title>Grants | Agency</title></head><body>
<nav><ul><li><a href="/a">About</a></li>
<li><a href="/b">Funding of EUR 9 million</a></li></ul></nav>
<main><article><h1>Grants for clusters</h1><p class="date">3 May 2021</p>
<div class="entry-content"><p>The agency awarded EUR 2.5 million to 12 clusters.</p>
<ul><li>Half of it, 50%, goes to regions.</li></ul></div>
<div class="share">Share on X</div></article></main>
<footer><p>Copyright 2021, 3 offices</p></footer></body></html>"""


def test_content_selector_reads_the_main_text_from_that_element():
    got = extract(ARTICLE, "https://x.example/grants", kind="article",
                  selectors={"content": "article .entry-content"})
    assert got.text == ("The agency awarded EUR 2.5 million to 12 clusters.\n"
                        "Half of it, 50%, goes to regions.")
    assert {(f.value, f.unit) for f in got.figures} >= {(2_500_000, "EUR"), (50, "%")}
    assert not any(f.value == 9_000_000 for f in got.figures)  # the menu is not read
    assert got.title == "Grants for clusters" and got.date == "2021-05-03"


def test_content_selector_matching_nothing_or_broken_falls_back_to_trafilatura():
    auto = extract(ARTICLE, "https://x.example/grants", kind="article")
    for css in ("div.not-there", "div[[["):
        got = extract(ARTICLE, "https://x.example/grants", kind="article",
                      selectors={"content": css})
        assert got.text == auto.text and "EUR 2.5 million" in got.text


def test_navigation_menu_is_not_a_news_list():
    html = """<html><body><ul class="links">
    <li><a href="/a">Innovation vouchers</a></li><li><a href="/b">Cluster support</a></li>
    <li><a href="/c">Science and business</a></li><li><a href="/d">International programmes</a></li>
    </ul><p>Nothing else here.</p></body></html>"""
    got = extract(html, "https://x.example/")
    assert got.news == () and got.events == ()
    assert got.kind == "article"


def test_article_page_date_and_text():
    html = """<html><head><title>Funding news | Agency</title></head><body>
    <nav><a href="/">Home</a></nav><article><h1>Funding news</h1>
    <p class="date">2019 m. gruodžio 11 d.</p>
    <p>The agency allocated EUR 2.5 million to cluster projects this year, twice as much as in
    the previous year. Twelve clusters received support for internationalisation.</p>
    <p>The next call opens in spring; applications are assessed within 60 days.</p>
    </article><footer>© 2019 Agency</footer></body></html>"""
    got = extract(html, "https://x.example/news/funding")
    assert got.kind == "article"
    assert got.date == "2019-12-11"
    assert got.title == "Funding news"
    assert "EUR 2.5 million" in got.text and "© 2019" not in got.text
    assert [f.unit for f in got.figures][:1] == ["EUR"]


def test_registry_refuses_a_second_extractor_for_a_kind():
    with pytest.raises(ValueError, match="already registered"):
        @extractor("events")
        def other(page):  # pragma: no cover - never called
            raise AssertionError

    assert set(EXTRACTORS) >= {"events", "news_list", "good_practice", "article"}


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown page kind"):
        extract("<p>x</p>", "https://x.example/", kind="blog")


GOOD_PRACTICE = """<html><head><title>Regional innovation vouchers | Practices</title></head>
<body><div class="menu"><a href="/">Home</a></div><div id="main">
<h1>Regional innovation vouchers</h1>
<div class="intro"><p>Small firms buy research services from universities with a voucher
worth up to EUR 5 000.</p></div>
<p><strong>Resources needed</strong></p><p>EUR 1 million per year and two staff members.</p>
<p><strong>Evidence of success</strong></p><p>300 vouchers were used in the first year.</p>
<h3>Potential for learning or transfer</h3><p>Any region with universities can copy it.</p>
<h3>Further information</h3><p>See the programme website.</p>
<table class="facts">
<tr><th>Main institution</th><td>Ministry of Economics</td></tr>
<tr><th>Country</th><td>Latvija, Latvia (Latvija)</td></tr>
<tr><th>Start Date</th><td>January 2015</td></tr>
<tr><th>End Date</th><td>Ongoing</td></tr>
</table></div></body></html>"""


def test_good_practice_in_other_markup():
    got = extract(GOOD_PRACTICE, "https://practices.example.eu/gp/vouchers#top")
    assert got.kind == "good_practice"
    (gp,) = got.good_practices
    assert gp.title == "Regional innovation vouchers"
    assert gp.summary.startswith("Small firms buy research services")
    assert gp.resources_needed == "EUR 1 million per year and two staff members."
    assert gp.evidence_of_success == "300 vouchers were used in the first year."
    assert gp.potential_for_learning == "Any region with universities can copy it."
    assert list(gp.sections) == ["Resources needed", "Evidence of success",
                                 "Potential for learning or transfer", "Further information"]
    assert (gp.main_institution, gp.country) == ("Ministry of Economics", "Latvia")
    assert (gp.start_date, gp.end_date) == ("2015-01", None)
    assert gp.url == "https://practices.example.eu/gp/vouchers"
