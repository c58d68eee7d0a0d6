"""Walking a listing's pager: every page fetched once, the budget kept breadth first, and a
re-crawl walking the same pager from the store's remembered links."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flows.config import Source
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run.frontier import Frontier
from flows.run.loop import RunResult, run_crawl_once
from store.db import open_db
from store.writer import page_states
from tests.scenario_site import Item, Site, SiteServer


def test_frontier_keeps_discovery_order_and_the_budget() -> None:
    f = Frontier(max_pages=3)
    for url, role in [("https://a.lt/l1", "listing"), ("https://a.lt/d1", "detail"),
                      ("https://a.lt/l2", "listing")]:
        assert f.add(url, role)
    assert not f.add("https://a.lt/d2") and f.truncated
    assert [f.pop(), f.pop(), f.pop(), f.pop()] == [
        ("https://a.lt/l1", "listing"), ("https://a.lt/d1", "detail"),
        ("https://a.lt/l2", "listing"), None]


def _items(n: int) -> list[Item]:
    return [
        Item(
            f"item-{i}",
            f"Cluster news number {i}",
            f"July {1 + i % 28} d., 2017",
            f"Teaser {i}.",
            f"The programme gave €{i + 1} million to cluster {i}.",
        )
        for i in range(n)
    ]


def _crawl(server: SiteServer, db: Path, max_pages: int) -> RunResult:
    source = Source(
        name="agency-news",
        url=f"{server.base}/news",
        kind="news_list",
        follow=True,
        max_pages=max_pages,
        delay=0.0,
    )
    with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
        return run_crawl_once(str(db), [source], fetcher)


def _fetches(db: Path, run_id: int) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT url, COUNT(*) FROM fetches WHERE run_id = ? GROUP BY url", [run_id]
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _listings(fetched: dict[str, int]) -> list[str]:
    return [u for u in fetched if "/news?page=" in u or u.endswith("/news")]


def test_a_long_pager_chain_is_walked_each_page_once(tmp_path: Path) -> None:
    # 16 list pages of 3 items, each naming only the next one
    site = Site(items=_items(48), per_page=3)
    db = tmp_path / "store.db"
    with SiteServer(site) as server:
        first = _crawl(server, db, max_pages=500)
        fetched = _fetches(db, first.run_id)
        listings = _listings(fetched)
        assert len(listings) == 16 and len(fetched) == 16 + 48
        assert set(fetched.values()) == {1}, "a page was fetched twice in one run"
        assert first.report["run"]["pages"] == {"fetched": 64, "not_modified": 0, "failed": 0}

        # what a re-crawl reads to make its requests conditional: the list pages, with links
        store = open_db(str(db))
        linking = page_states(store, "agency-news", linking=True)
        assert sorted(linking) == sorted(listings) and all(s.links for s in linking.values())
        detail = next(u for u in fetched if u not in listings)
        assert set(page_states(store, "agency-news", [detail, listings[0]])) == {
            detail,
            listings[0],
        }
        assert page_states(store, "agency-news", [detail], linking=True) == {}
        store.close()

        # a re-crawl walks the same pager from the store's remembered links: nothing changes,
        # nothing is removed, every page is seen once more
        second = _crawl(server, db, max_pages=500)
        assert second.changes_total == 0, second.report["changes"][:3]
        assert len(_fetches(db, second.run_id)) == 64
        assert set(_fetches(db, second.run_id).values()) == {1}


def test_a_walk_keeps_a_tight_budget_for_detail_pages_too(tmp_path: Path) -> None:
    site = Site(items=_items(48), per_page=3)
    db = tmp_path / "store.db"
    with SiteServer(site) as server:
        run = _crawl(server, db, max_pages=12)
    fetched = _fetches(db, run.run_id)
    listings = _listings(fetched)
    assert len(fetched) == 12 and set(fetched.values()) == {1}
    # breadth first, as the queue: the list pages crawled bring the detail pages crawled
    assert len(listings) <= 4, listings
