"""The analysts' views on a real store written through `write_batch`, two runs apart.

`build_store` and `run_cli` are shared with the other store-reading tests
(test_search, test_export, test_explore_browser).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path
from unittest import mock

import pytest

from extractors.records import (
    Event,
    Figure,
    GoodPractice,
    NewsItem,
    PageExtraction,
    records_of,
)
from store.batches import CHANGED, PageRecord, SourceBatch, SourceInfo
from store.db import open_db
from store.runs import finish_run, start_run
from store.views import AS_OF_SQL, QUESTIONS, VIEWS
from store.writer import finish_source, write_batch

LIST = "https://www.klaster.lt/en/news/"
GP_PAGE = "https://www.interregeurope.eu/good-practices/innovation-vouchers"
KLASTER = SourceInfo("klaster", "https://www.klaster.lt/en/", "auto")
INTERREG = SourceInfo("interreg", "https://www.interregeurope.eu/good-practices", "good_practice")
RUN_1_AT = "2026-01-10T06:00:00+00:00"
RUN_2_AT = "2026-03-01T06:00:00+00:00"
BETWEEN = "2026-02-01"


def _news(title, date, summary, slug):
    return NewsItem(title, date, summary, f"https://www.klaster.lt/en/news/{slug}")


FUNDED = _news("Cluster gets funding", "2026-01-05",
               "The ministry granted funding to the biotech cluster.", "funded")
FUNDED_2 = _news("Cluster gets funding", "2026-01-05",
                 "The ministry granted EUR 2.5 million to the laser cluster.", "funded")
NORDIC = _news("Nordic cluster days", "2025-12-01", "Teams met in Oslo.", "nordic")
MATCH = _news("Matchmaking conference announced", "2026-02-20", None, "matchmaking")
FORUM = Event("Future Forum", "2099-05-01", "2099-05-02", "BSR Stars", "Vilnius, Lithuania",
              "https://www.klaster.lt/en/events/future-forum")
FORUM_2 = Event("Future Forum", "2099-05-03", "2099-05-04", "BSR Stars", "Vilnius, Lithuania",
                FORUM.url)
OLD_MEETING = Event("Old meeting", "2020-01-01", None, "Klaster", "Kaunas",
                    "https://www.klaster.lt/en/events/old-meeting")
MONEY = "Public investments needed was {}."
FIG_MONEY = Figure(3_500_000, "EUR", "€3.5 million", MONEY.format("€3.5 million"))
FIG_MONEY_2 = Figure(4_000_000, "EUR", "€4 million", MONEY.format("€4 million"))
FIG_SHARE = Figure(22, "%", "22%", "Exports grew by 22% last year.")
VOUCHERS = GoodPractice(
    "Innovation vouchers", "Small firms buy research from universities.", "EUR 1 million a year",
    "300 vouchers", "Easy to copy", "MITA", "Lithuania", "2009-03", None, GP_PAGE,
    {"Resources needed": "EUR 1 million a year", "Evidence of success": "300 vouchers"},
)


def _page(url, title, text, *, news=(), events=(), figures=(), practices=()):
    extraction = PageExtraction(url, "auto", title, records_of(
        news=news, events=events, good_practices=practices, figures=figures), text)
    body = json.dumps(extraction.to_json()).encode()
    return PageRecord(url=url, outcome=CHANGED, fetched_at=RUN_1_AT, status=200, body=body,
                      content_hash=str(abs(hash(body))), extraction=extraction,
                      extractor_version="test")


def _run(db, started_at, batches):
    run = start_run(db, [b.source.name for b in batches])
    for batch in batches:
        write_batch(db, run, batch, today="2026-11-24")
        finish_source(db, run, batch.source, truncated=False)
    finish_run(db, run, "completed")
    db.execute("UPDATE runs SET started_at = ? WHERE id = ?", [started_at, run])
    return run


def build_store(path: Path, *, recursive_triggers: bool | None = None):
    """Two crawls: run 1 on 2026-01-10, run 2 on 2026-03-01 (an update, a removal, an addition,
    a moved event, a changed figure, a changed page text)."""
    db = open_db(path)
    if recursive_triggers is not None:
        db.execute(f"PRAGMA recursive_triggers = {'ON' if recursive_triggers else 'OFF'}")
    practice = SourceBatch(INTERREG, (_page(GP_PAGE, "Innovation vouchers", "Vouchers text.",
                                            practices=[VOUCHERS]),))
    _run(db, RUN_1_AT, [
        SourceBatch(KLASTER, (_page(LIST, "Klaster news", "Clusters of Lithuania meet in Vilnius.",
                                    news=[FUNDED, NORDIC], events=[FORUM, OLD_MEETING],
                                    figures=[FIG_MONEY, FIG_SHARE]),)),
        practice,
    ])
    _run(db, RUN_2_AT, [
        SourceBatch(KLASTER, (_page(LIST, "Klaster news", "Clusters of Lithuania met in Kaunas.",
                                    news=[FUNDED_2, MATCH], events=[FORUM_2, OLD_MEETING],
                                    figures=[FIG_MONEY_2, FIG_SHARE]),)),
    ])
    return db


def run_cli(*argv: str) -> int:
    """`agencywatch ARGV` through flows.cli.main.main, with the store commands registered."""
    from flows.cli import main as cli
    from flows.cli import store_commands as cli_store
    original = cli.build_parser

    def build(settings):
        parser = original(settings)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "search" not in sub.choices:  # until flows/cli/main.py calls register itself
            cli_store.register(sub, settings)
        return parser

    with mock.patch.object(cli, "build_parser", build):
        return cli.main(list(argv))


@pytest.fixture
def db(tmp_path):
    return build_store(tmp_path / "store.db")


def rows(db, sql, params=()):
    return [dict(r) for r in _query(db, sql, params)]


def _query(db, sql, params):
    db.conn.row_factory = sqlite3.Row
    try:
        return db.conn.execute(sql, params).fetchall()
    finally:
        db.conn.row_factory = None


def test_latest_news_has_latest_versions_with_source_names(db):
    got = rows(db, "SELECT source, title, summary, state, removed_reason, first_seen_at "
                   "FROM latest_news ORDER BY title")
    assert got == [
        {"source": "klaster", "title": "Cluster gets funding", "summary": FUNDED_2.summary,
         "state": "active", "removed_reason": None, "first_seen_at": RUN_1_AT},
        {"source": "klaster", "title": "Matchmaking conference announced", "summary": None,
         "state": "active", "removed_reason": None, "first_seen_at": RUN_2_AT},
        {"source": "klaster", "title": "Nordic cluster days", "summary": NORDIC.summary,
         "state": "removed", "removed_reason": "dropped from listing", "first_seen_at": RUN_1_AT},
    ]


def test_latest_events_and_good_practices(db):
    events = rows(db, "SELECT title, start_date, source FROM latest_events ORDER BY title")
    assert events == [{"title": "Future Forum", "start_date": "2099-05-03", "source": "klaster"},
                      {"title": "Old meeting", "start_date": "2020-01-01", "source": "klaster"}]
    practice = rows(db, "SELECT source, title, country, sections FROM latest_good_practices")
    assert practice[0]["source"] == "interreg" and practice[0]["country"] == "Lithuania"
    assert json.loads(practice[0]["sections"])["Evidence of success"] == "300 vouchers"


def test_upcoming_events_are_those_not_ended(db):
    assert rows(db, "SELECT title, start_date, end_date FROM upcoming_events") == [
        {"title": "Future Forum", "start_date": "2099-05-03", "end_date": "2099-05-04"}]


@pytest.mark.parametrize(("start", "end", "upcoming"), [
    ("2099-01", None, True),  # month precision
    ("2000-01-01", "2099-01-01", True),  # running now
    ("2000-01-01", "2000-01-02", False),
    (None, None, False),
])
def test_upcoming_compares_at_the_precision_of_the_date(db, start, end, upcoming):
    db.execute("UPDATE events SET start_date = ?, end_date = ? WHERE title = 'Old meeting'",
               [start, end])
    titles = [r["title"] for r in rows(db, "SELECT title FROM upcoming_events")]
    assert ("Old meeting" in titles) is upcoming


def test_figures_by_page(db):
    got = rows(db, "SELECT source, page_url, page_title, unit, value, text, context "
                   "FROM figures_by_page ORDER BY unit")
    assert got == [
        {"source": "klaster", "page_url": LIST, "page_title": "Klaster news", "unit": "%",
         "value": 22, "text": "22%", "context": FIG_SHARE.context},
        {"source": "klaster", "page_url": LIST, "page_title": "Klaster news", "unit": "EUR",
         "value": 4_000_000, "text": "€4 million", "context": FIG_MONEY_2.context},
    ]


def test_last_run_changes_are_those_of_run_2(db):
    got = {(r["run_id"], r["source"], r["entity"], r["change"], r["title"])
           for r in rows(db, "SELECT * FROM last_run_changes")}
    assert got == {
        (2, "klaster", "news", "updated", "Cluster gets funding"),
        (2, "klaster", "news", "removed", "Nordic cluster days"),
        (2, "klaster", "news", "added", "Matchmaking conference announced"),
        (2, "klaster", "event", "updated", "Future Forum"),
        (2, "klaster", "figure", "updated", "€4 million"),
    }  # no page change: a listing's text changes are its items' changes


def test_item_history_keeps_every_version_with_run_times(db):
    got = rows(db, "SELECT entity, label, valid_from_run, valid_from_at, valid_to_run, "
                   "valid_to_at, data FROM item_history WHERE key = ? ORDER BY version_id",
               [FUNDED.url])
    assert [(r["valid_from_run"], r["valid_from_at"], r["valid_to_run"], r["valid_to_at"])
            for r in got] == [(1, RUN_1_AT, 2, RUN_2_AT), (2, RUN_2_AT, None, None)]
    assert {r["entity"] for r in got} == {"news"}
    assert [json.loads(r["data"])["summary"] for r in got] == [FUNDED.summary, FUNDED_2.summary]


def _as_of(db, when):
    return {(r["entity"], r["label"], json.loads(r["data"]).get("summary")
             or json.loads(r["data"]).get("start_date") or json.loads(r["data"]).get("value"))
            for r in rows(db, AS_OF_SQL, {"date": when})}


def test_store_as_of_a_date_between_the_runs_gives_the_first_runs_versions(db):
    assert _as_of(db, BETWEEN) == {
        ("news", "Cluster gets funding", FUNDED.summary),
        ("news", "Nordic cluster days", NORDIC.summary),
        ("event", "Future Forum", "2099-05-01"),
        ("event", "Old meeting", "2020-01-01"),
        ("figure", "€3.5 million", 3_500_000),
        ("figure", "22%", 22),
        ("good_practice", "Innovation vouchers", VOUCHERS.summary),
    }
    after = _as_of(db, "2026-03-02")
    assert ("news", "Matchmaking conference announced", None) in after
    assert ("news", "Cluster gets funding", FUNDED_2.summary) in after
    assert not any(label == "Nordic cluster days" for _, label, _ in after)
    assert _as_of(db, "2025-12-31") == set()


def test_every_canned_question_runs(db):
    params = {"year": "2026", "page_url": "klaster", "key": "funded", "date": BETWEEN,
              "q": "cluster"}
    for q in QUESTIONS:
        cursor = db.execute(q.sql, params)
        assert cursor.fetchall() is not None, q.name


def test_funding_news_this_year_finds_funding_items(db):
    sql = next(q.sql for q in QUESTIONS if q.name == "funding_news_this_year")
    assert [r["title"] for r in rows(db, sql, {"year": "2026"})] == ["Cluster gets funding"]
    assert rows(db, sql, {"year": "2025"}) == []


def test_money_figures_by_source(db):
    sql = next(q.sql for q in QUESTIONS if q.name == "money_figures_by_source")
    assert rows(db, sql) == [{"source": "klaster", "currency": "EUR", "figures": 1,
                              "largest": 4_000_000, "largest_as_written": "€4 million",
                              "largest_on_page": LIST, "total": 4_000_000}]


def test_figures_of_a_page_over_time(db):
    sql = next(q.sql for q in QUESTIONS if q.name == "figures_of_a_page_over_time")
    got = [(r["text"], r["valid_from_at"], r["valid_to_at"])
           for r in rows(db, sql, {"page_url": "klaster.lt/en/news"}) if r["unit"] == "EUR"]
    assert got == [("€3.5 million", RUN_1_AT, RUN_2_AT), ("€4 million", RUN_2_AT, None)]


def test_views_are_described_and_their_columns_match(db):
    for v in VIEWS:
        assert v.doc and all(c.doc for c in v.columns), v.name
        assert [c.name for c in db.view(v.name).columns] == [c.name for c in v.columns]


def test_analyst_indexes_exist(db):
    from store.schema import ADDED_INDEXES, index_name

    names = {i.name for t in db.tables for i in t.indexes}
    assert {index_name(t, cols) for t, cols in ADDED_INDEXES} <= names


def test_foreign_keys_hold(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_cli_registers_the_store_commands():
    """flows/cli/main.py calls flows.cli.store_commands.register (the lead's one line)."""
    from flows.cli.main import build_parser
    from flows.settings import Settings

    parser = build_parser(Settings())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"search", "explore", "export", "schema-docs"} <= set(sub.choices)
