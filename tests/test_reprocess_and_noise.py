"""Re-processing stored pages, and per-source noise rules, on the local fixture site and a
scenario site (no Prefect: the thread executor drives the same run loop as the flow)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from flows.cli.fixture_site import FixtureSite, fixture_sources_text
from flows.config import Source, load_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run import extract_pool
from flows.run import page as crawl_module
from flows.run.loop import RunResult, run_crawl_once
from flows.run.reprocess import reprocess
from tests.scenario_site import Site, SiteServer
from tests.test_change_scenarios import ITEMS


def _run(db: Path, sources: list[Source]) -> RunResult:
    with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
        return run_crawl_once(str(db), sources, fetcher)


@pytest.fixture
def crawled_fixture_site(tmp_path: Path) -> tuple[Path, Path]:
    with FixtureSite() as site:
        base = site.start()
        sources = tmp_path / "sources.toml"
        sources.write_text(fixture_sources_text(base), encoding="utf-8")
        first = _run(tmp_path / "store.db", load_sources(sources))
    assert first.report["run"]["pages"]["failed"] == 0
    return sources, tmp_path / "store.db"


def test_reprocess_with_same_extractors_changes_nothing(crawled_fixture_site):
    sources, db = crawled_fixture_site
    result = reprocess(str(sources), str(db))
    assert result["report"]["changes"] == [] and result["report"]["failures"] == []


def test_reprocess_reports_extractor_caused_changes_apart(crawled_fixture_site, monkeypatch):
    sources, db = crawled_fixture_site
    real_read = crawl_module.read_page

    def shouting(*args, **kwargs):  # an "extractor upgrade" that upper-cases news titles
        reading = real_read(*args, **kwargs)
        ext = reading.extraction
        news = tuple(dataclasses.replace(n, title=n.title.upper()) for n in ext.news)
        ext = dataclasses.replace(ext, records={**ext.records, "news": news})
        return dataclasses.replace(reading, extraction=ext)

    monkeypatch.setattr(crawl_module, "read_page", shouting)
    monkeypatch.setenv(extract_pool.ENV, "0")  # the patched extractor exists in this process only
    result = reprocess(str(sources), str(db))
    kinds = {(c["change"], c["entity"], tuple(c["fields"])) for c in result["report"]["changes"]}
    assert kinds == {("updated", "news", ("title",))}
    from store.db import open_db

    runs = list(open_db(db).query("SELECT id, kind FROM runs ORDER BY id"))
    assert [r["kind"] for r in runs] == ["crawl", "reprocess"]
    assert result["report"]["run"]["requests"] == 0  # nothing was fetched


def test_reprocess_settles_removals_the_extractors_cause(crawled_fixture_site, monkeypatch):
    sources, db = crawled_fixture_site
    real_read = crawl_module.read_page

    def forgetful(*args, **kwargs):  # an "extractor upgrade" that loses the last news item
        reading = real_read(*args, **kwargs)
        ext = reading.extraction
        if len(ext.news) > 2:
            ext = dataclasses.replace(ext, records={**ext.records, "news": ext.news[:-1]})
        return dataclasses.replace(reading, extraction=ext)

    monkeypatch.setattr(crawl_module, "read_page", forgetful)
    monkeypatch.setenv(extract_pool.ENV, "0")  # the patched extractor exists in this process only
    result = reprocess(str(sources), str(db))
    removed = [c for c in result["report"]["changes"] if c["change"] == "removed"]
    assert removed and all(c["reason"] == "dropped from listing" for c in removed)
    from store.db import open_db

    assert open_db(db).execute("SELECT count(*) FROM pending_removals").fetchone()[0] == 0


def test_ignore_rules_silence_volatile_fragments(tmp_path):
    site = Site(items=copy.deepcopy(ITEMS[:1]))
    site.items[0].body = "Budget €3.5 million. Page views: 100. Generated 10:00:01."
    with SiteServer(site) as server:
        noisy = Source(
            name="agency-news",
            url=f"{server.base}/news/cluster-forum",
            kind="article",
            delay=0.0,
            ignore_text=(r"Page views: \d+\.", r"Generated [\d:]+\."),
        )
        _run(tmp_path / "store.db", [noisy])
        site.items[0].body = "Budget €3.5 million. Page views: 117. Generated 10:07:44."
        assert _run(tmp_path / "store.db", [noisy]).report["changes"] == []
        site.items[0].body = "Budget €4 million. Page views: 118. Generated 10:09:00."
        changed = _run(tmp_path / "store.db", [noisy]).report["changes"]
    assert {(c["change"], c["entity"]) for c in changed} == {
        ("updated", "figure"),
        ("updated", "page"),
    }


def test_ignore_css_selectors_drop_fragments_before_extraction(tmp_path):
    html = (
        "<html><body><main><h1>Title</h1><p>Real text about clusters.</p>"
        "<div class='counter'>Visits: 12345</div></main></body></html>"
    )
    source = Source(name="x", url="http://127.0.0.1/", kind="article", ignore=(".counter",))
    ext = crawl_module.extract_page(source, html.encode(), None, "http://127.0.0.1/", "listing")
    assert "Visits" not in ext.text and "Real text" in ext.text
