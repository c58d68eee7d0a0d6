"""End to end: the real Prefect flow (ephemeral API server), a real SQLite file, the fixture site
served on 127.0.0.1. Crawl snapshot 1, switch to snapshot 2, crawl, check the exact change set;
crawl again and check that nothing changed."""

from __future__ import annotations

import os
from typing import Any

import pytest

from flows.cli.fixture_site import FixtureSite, fixture_sources_text

pytestmark = pytest.mark.e2e


def _changes(report: dict[str, Any]) -> set[tuple[str, str, str, tuple[str, ...], str | None]]:
    return {
        (c["change"], c["entity"], c["source"], tuple(sorted(c["fields"])), c.get("reason"))
        + ((c["key"],) if c["entity"] != "figure" else (c["title"],))
        for c in report["changes"]
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from flows.orchestration.flow import run_crawl

    tmp = tmp_path_factory.mktemp("e2e")
    db, sources = tmp / "store.db", tmp / "sources.toml"
    with FixtureSite() as site:
        base = site.start()
        sources.write_text(fixture_sources_text(base), encoding="utf-8")
        site.set_snapshot(1)
        first = run_crawl(str(sources), str(db), None, "agencywatch-test", 5.0)
        site.set_snapshot(2)
        second = run_crawl(str(sources), str(db), None, "agencywatch-test", 5.0)
        third = run_crawl(str(sources), str(db), None, "agencywatch-test", 5.0)
    return {"base": base, "db": db, "runs": (first, second, third)}


def test_first_crawl_fetches_every_page_and_adds_items(crawled):
    first = crawled["runs"][0]
    run = first.report["run"]
    assert run["status"] == "completed"
    assert run["pages"]["failed"] == 0, first.report["failures"]
    assert run["pages"]["fetched"] >= 10
    assert {c["change"] for c in first.report["changes"]} == {"added"}
    entities = {c["entity"] for c in first.report["changes"]}
    assert {"news", "event", "good_practice", "figure"} <= entities


def test_second_crawl_reports_exactly_the_snapshot_2_changes(crawled):
    second = crawled["runs"][1]
    got = _changes(second.report)
    base = crawled["base"]
    expected = {
        (change, entity, source, fields, reason, key.replace("{base}", base))
        for change, entity, source, fields, reason, key in EXPECTED_SECOND
    }
    assert got == expected


def test_funding_figure_change_is_in_the_report(crawled):
    second = crawled["runs"][1]
    figures = {(c["change"], c["title"]) for c in second.report["changes"]
               if c["entity"] == "figure"}
    assert ("removed", "LTL 186 million") in figures
    assert ("added", "EUR 44.8 million") in figures


def test_recrawl_of_unchanged_site_reports_nothing_and_skips_extraction(crawled):
    third = crawled["runs"][2]
    assert third.report["changes"] == []
    pages = third.report["run"]["pages"]
    assert pages["failed"] == 0 and pages["fetched"] == 0 and pages["not_modified"] >= 10


def test_store_keeps_history(crawled):
    from store.db import open_db

    db = open_db(crawled["db"])
    statuses = [r["status"] for r in db.query("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["completed"] * 3
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    assert integrity == "ok"
    closed = db.execute("SELECT count(*) FROM item_versions WHERE valid_to_run = 2").fetchone()[0]
    assert closed >= 3  # the changed event, the removed item, the replaced figures


assert os.environ.get("PREFECT_HOME"), "tests/conftest.py sets Prefect's home before import"

KLASTER, MITA = "klaster-lt", "mita-innovation-networks"
K = "{base}/www.klaster.lt/en/"
M = "{base}/www.mita.lt/en/innovation-networks/"
# What snapshot 2 changes (fixtures/site-2), read off the fixture pages, not off a run.
EXPECTED_SECOND = {
    ("added", "news", KLASTER, (), None, K + "important-news-shared-meeting-cluster-forum"),
    ("removed", "news", KLASTER, (), "dropped from listing",
     K + "search-partners-nordic-life-science-days"),
    ("updated", "event", KLASTER, ("location",), None,
     K + "events/5th-cluster-matchmaking-conference"),
    ("added", "figure", KLASTER, (), None, "60 cluster representatives"),
    ("removed", "figure", MITA, (), "no longer on the page", "LTL 186 million"),
    ("added", "figure", MITA, (), None, "EUR 44.8 million"),
    ("added", "figure", MITA, (), None, "5 members"),
    ("added", "figure", MITA, (), None, "4 levels"),
    ("updated", "page", MITA, ("text",), None, M),
}
