"""Funding calls: read in their common shapes (tables, lists of cards, a call's own page) in
English and Lithuanian, kept apart from news, stored with history, and ranked in the report as
the changes that matter most when a deadline moves or a budget changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extractors.calls import budget_of, labelled, status_of
from extractors.core import extract
from flows.cli.fixture_site import FIXTURES, FixtureSite
from flows.config import parse_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run.loop import RunResult, run_crawl_once
from store.db import open_db
from store.views import QUESTIONS

CALL_PAGES = [
    ("www.esinvesticijos.lt/lt/kvietimai/index.html",
     "https://www.esinvesticijos.lt/lt/kvietimai/"),
    ("www.esinvesticijos.lt/lt/kvietimai/inovaciju-cekiai/index.html",
     "https://www.esinvesticijos.lt/lt/kvietimai/inovaciju-cekiai"),
    ("interreg-baltic.eu/calls/index.html", "https://interreg-baltic.eu/calls/"),
    ("interreg-baltic.eu/calls/call-for-core-projects/index.html",
     "https://interreg-baltic.eu/calls/call-for-core-projects/"),
]


@pytest.mark.parametrize(("path", "url"), CALL_PAGES)
def test_kind_calls_reads_what_auto_finds(path: str, url: str) -> None:
    body = (FIXTURES / "site" / path).read_bytes()
    asked = extract(body, url, kind="calls")
    found = extract(body, url, kind="auto")
    assert asked.kind == "calls" and found.kind == "calls"
    assert asked.calls and asked.calls == found.calls
    assert found.news == () and found.events == ()


@pytest.mark.parametrize(("text", "status"), [
    ("Open", "open"), ("Open for submission", "open"), ("Vykdomas", "open"),
    ("Closed", "closed"), ("Baigtas", "closed"), ("Forthcoming", "upcoming"),
    ("Planuojamas", "upcoming"), ("Opening soon", "upcoming"), ("Cancelled?", None), ("", None),
])
def test_status_is_what_the_page_says(text: str, status: str | None) -> None:
    assert status_of(text) == status


def test_budget_reads_money_and_takes_a_column_currency() -> None:
    assert budget_of("EUR 20 million (ERDF and NDICI)") == {"value": 20000000, "unit": "EUR"}
    assert budget_of("1,5 mln. Eur") == {"value": 1500000, "unit": "EUR"}
    assert budget_of("3 000 000,00") is None
    assert budget_of("3 000 000,00", "EUR") == {"value": 3000000, "unit": "EUR"}
    assert budget_of("45 projects") is None


def test_labels_in_their_common_forms() -> None:
    fields = labelled(["Paraiškų pateikimo terminas: 2021-03-15 16:00", "Kvietimo biudžetas",
                       "3 000 000 Eur", "Status", "Open", "Who can apply: SMEs"])
    assert fields == {"deadline": "2021-03-15 16:00", "budget": "3 000 000 Eur",
                      "status": "Open", "who_can_apply": "SMEs"}


def test_an_application_period_fills_opening_and_deadline() -> None:
    page = """<html><body><main><h1>Call for cluster internationalisation</h1>
    <p>Application period: 1 March 2022 – 15 April 2022</p>
    <p>Budget: EUR 2 million</p></main></body></html>"""
    [call] = extract(page, "https://agency.example/calls/intl", kind="calls").calls
    assert (call.opens, call.deadline) == ("2022-03-01", "2022-04-15")
    assert call.budget == {"value": 2000000, "unit": "EUR"}
    assert call.url == "https://agency.example/calls/intl"


def test_a_news_article_that_mentions_a_deadline_is_not_a_call() -> None:
    page = """<html><body><main><h1>Clusters met in Vilnius</h1>
    <p>The meeting discussed the deadline for reports, which is 15 March 2022.</p>
    <p>Deadline: 15 March 2022</p><p>More than 40 clusters took part.</p></main></body></html>"""
    assert extract(page, "https://agency.example/news/met", kind="auto").calls == ()
    assert extract(page, "https://agency.example/news/met", kind="calls").calls == ()


def test_a_news_list_stays_news_and_a_calls_list_is_not_also_news() -> None:
    items = "".join(
        f'<li><h3><a href="/news/{i}">News item number {i} of the agency</a></h3>'
        f'<span class="date">2024-0{i}-10</span><p>Teaser text of item {i} for readers.</p></li>'
        for i in range(1, 5)
    )
    news = extract(f"<html><body><ul>{items}</ul></body></html>", "https://a.example/news")
    assert len(news.news) == 4 and news.calls == ()
    calls = extract((FIXTURES / "site" / CALL_PAGES[2][0]).read_bytes(), CALL_PAGES[2][1])
    assert calls.news == () and len(calls.calls) == 3


def _crawl(db: Path, sources_text: str) -> RunResult:
    with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
        return run_crawl_once(str(db), parse_sources(sources_text), fetcher)


def test_calls_are_stored_with_history_and_a_moved_deadline_ranks_first(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with FixtureSite() as site:
        base = site.start()
        sources = (f'[[source]]\nname = "esinvesticijos-kvietimai"\n'
                   f'url = "{base}/www.esinvesticijos.lt/lt/kvietimai/"\nkind = "calls"\n'
                   "delay = 0\n")
        first = _crawl(db, sources)
        site.set_snapshot(2)
        second = _crawl(db, sources)
        third = _crawl(db, sources)
    assert {(c["change"], c["entity"]) for c in first.report["changes"]} == {("added", "call")}
    changes = second.report["changes"]
    summary = [(c["change"], c["entity"], c["title"], sorted(c["fields"])) for c in changes]
    assert summary[:2] == [
        ("updated", "call", "Inovacijų čekiai", ["deadline"]),
        ("updated", "call", "Eksperimentinė plėtra", ["budget"]),
    ] or summary[:2] == [
        ("updated", "call", "Eksperimentinė plėtra", ["budget"]),
        ("updated", "call", "Inovacijų čekiai", ["deadline"]),
    ]
    assert ("added", "call", "Pramonės skaitmeninimas", []) in summary
    moved = next(c for c in changes if c["title"] == "Inovacijų čekiai")
    assert moved["fields"]["deadline"] == {"old": "2021-03-15T16:00", "new": "2021-03-29T16:00"}
    assert third.report["changes"] == []

    store = open_db(db)
    rows = store.execute("SELECT title, deadline, status, json_extract(budget, '$.value') "
                         "FROM latest_calls ORDER BY deadline").fetchall()
    assert rows[0] == ("Klasterių tinklaveika", "2020-11-30", "closed", 5500000)
    assert len(rows) == 4
    versions = store.execute(
        "SELECT count(*) FROM item_history WHERE label = 'Inovacijų čekiai'").fetchone()[0]
    assert versions == 2
    hits = store.execute("SELECT rowid FROM calls_fts WHERE calls_fts MATCH 'skaitmeninimas'")
    assert len(hits.fetchall()) == 1
    moved_sql = next(q.sql for q in QUESTIONS if q.name == "call_deadlines_that_moved")
    assert [tuple(r)[2:5] for r in store.execute(moved_sql)] == [
        ("Inovacijų čekiai", "2021-03-15T16:00", "2021-03-29T16:00")]


def test_open_calls_and_calls_closing_soon(tmp_path: Path) -> None:
    today = dt.date.today()
    soon, later, past = (today + dt.timedelta(days=10), today + dt.timedelta(days=90),
                         today - dt.timedelta(days=3))
    rows = "".join(
        f'<tr><td><a href="/c/{slug}">{title}</a></td><td>{day}</td><td>{budget}</td>'
        f"<td>{status}</td></tr>"
        for slug, title, day, budget, status in (
            ("soon", "Soon call", soon, "EUR 1 million", "Open"),
            ("later", "Later call", later, "EUR 2 million", ""),
            ("past", "Past call", past, "EUR 3 million", "Open"),
            ("shut", "Shut call", later, "EUR 4 million", "Closed"),
        )
    )
    page = ("<!DOCTYPE html><html><body><main><h1>Calls</h1><table><tr><th>Call</th>"
            f"<th>Deadline</th><th>Budget</th><th>Status</th></tr>{rows}</table></main>"
            "</body></html>")
    root = tmp_path / "fixtures"
    (root / "site" / "calls.example").mkdir(parents=True)
    (root / "site" / "calls.example" / "index.html").write_text(page, encoding="utf-8")
    (root / "site-2").mkdir()
    (root / "site-2" / "REMOVED").write_text("", encoding="utf-8")
    db = tmp_path / "store.db"
    with FixtureSite(root) as site:
        base = site.start()
        _crawl(db, f'[[source]]\nname = "calls"\nurl = "{base}/calls.example/"\ndelay = 0\n')
    store = open_db(db)
    open_now = [r[0] for r in store.execute("SELECT title FROM open_calls")]
    assert open_now == ["Soon call", "Later call"]
    sql = next(q.sql for q in QUESTIONS if q.name == "calls_closing_in_30_days")
    assert [r[1] for r in store.execute(sql)] == ["Soon call"]
