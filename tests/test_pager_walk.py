"""Walking a listing's pager inside one batch: every page fetched once, the budget kept, and
far fewer batches than following one pager link per batch round trip."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flows.config import Source
from flows.frontier import Frontier
from flows.http import Fetcher, FetchPolicy
from flows.runner import (
    BATCH_PAGES,
    REVISIT_BATCH_PAGES,
    WALK_PAGES,
    RunResult,
    ThreadExecutor,
    _Pager,
    run_crawl_once,
)
from store.db import open_db
from store.writer import page_states
from tests.scenario_site import Item, Site, SiteServer


def test_frontier_keeps_one_order_across_its_two_queues() -> None:
    f = Frontier(max_pages=10)
    for url, role in [
        ("https://a.lt/l1", "listing"),
        ("https://a.lt/d1", "detail"),
        ("https://a.lt/l2", "listing"),
        ("https://a.lt/d2", "detail"),
    ]:
        assert f.add(url, role)
    assert (f.listings_queued, f.others_queued, len(f)) == (2, 2, 4)
    assert f.pop() == ("https://a.lt/l1", "listing")
    assert f.pop_others(5) == [("https://a.lt/d1", "detail"), ("https://a.lt/d2", "detail")]
    assert f.pop_listings(5) == [("https://a.lt/l2", "listing")]
    assert f.pop() is None and f.pop_listings(1) == [] and f.pop_others(1) == []


def test_reserved_budget_is_claimed_or_given_back() -> None:
    f = Frontier(max_pages=5)
    assert f.add("https://a.lt/l1", "listing") and f.add("https://a.lt/d1")
    assert f.reserve(10) == 3  # only what the budget has left
    assert not f.add("https://a.lt/d2") and f.truncated  # the reserve is spoken for
    assert f.claim("https://a.lt/l2") and f.claim("https://a.lt/l3#top")
    assert not f.claim("https://a.lt/l1")  # already seen: a claim never counts a page twice
    assert not f.add("https://a.lt/l2", "listing")  # a claimed page is never queued
    f.release(1)  # one reserved page was not used
    assert f.add("https://a.lt/d3") and f.accepted == 5


def test_a_walk_is_sized_by_the_detail_pages_a_list_page_brings() -> None:
    pager, frontier = _Pager(), Frontier(max_pages=101)
    frontier.add("https://a.lt/news", "listing")
    assert pager.budget(frontier) == 0  # no list page read yet: nothing to size a walk by
    pager.listings, pager.details = 2, 40  # 20 detail pages a list page
    assert pager.budget(frontier) == 100 // 21
    assert pager.budget(Frontier(max_pages=100_000)) == WALK_PAGES


class _Recording(ThreadExecutor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[tuple[int, bool]] = []  # (pages asked for, walks the pager)

    def submit(self, source: Source, work: Any, states: Any, walk: Any = None) -> Any:
        self.batches.append((len(work), walk is not None))
        return super().submit(source, work, states, walk)


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


def _crawl(server: SiteServer, db: Path, max_pages: int) -> tuple[RunResult, _Recording]:
    source = Source(
        name="agency-news",
        url=f"{server.base}/news",
        kind="news_list",
        follow=True,
        max_pages=max_pages,
        delay=0.0,
    )
    executor = _Recording(Fetcher(FetchPolicy(user_agent="agencywatch-test")), workers=2)
    try:
        return run_crawl_once(str(db), [source], executor), executor
    finally:
        executor.close()


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


def test_a_long_pager_chain_is_walked_in_few_batches_each_page_once(tmp_path: Path) -> None:
    # 16 list pages of 3 items, each naming only the next one: following one pager link per
    # batch round trip would take at least 16 batches
    site = Site(items=_items(48), per_page=3)
    db = tmp_path / "store.db"
    with SiteServer(site) as server:
        first, ex1 = _crawl(server, db, max_pages=500)
        fetched = _fetches(db, first.run_id)
        listings = _listings(fetched)
        assert len(listings) == 16 and len(fetched) == 16 + 48
        assert set(fetched.values()) == {1}, "a page was fetched twice in one run"
        assert first.report["run"]["pages"]["failed"] == 0
        assert sum(1 for _, walks in ex1.batches if walks) <= 2
        assert len(ex1.batches) <= 5, ex1.batches

        # what a walk reads to make its requests conditional: the list pages, with links
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
        second, _ = _crawl(server, db, max_pages=500)
        assert second.changes_total == 0, second.report["changes"][:3]
        assert len(_fetches(db, second.run_id)) == 64
        assert set(_fetches(db, second.run_id).values()) == {1}


def test_a_walk_keeps_a_tight_budget_for_detail_pages_too(tmp_path: Path) -> None:
    site = Site(items=_items(48), per_page=3)
    db = tmp_path / "store.db"
    with SiteServer(site) as server:
        run, _ = _crawl(server, db, max_pages=12)
    fetched = _fetches(db, run.run_id)
    listings = _listings(fetched)
    assert len(fetched) == 12 and set(fetched.values()) == {1}
    # breadth first, as the queue: the list pages crawled bring the detail pages crawled
    assert len(listings) <= 4, listings


def test_a_re_crawl_takes_its_detail_pages_in_bigger_batches(tmp_path: Path) -> None:
    """A first crawl holds each page's body until its batch is written: BATCH_PAGES a batch.
    A re-crawl of a source the store holds gets mostly 304s: fewer, bigger batches."""
    site = Site(items=_items(2 * REVISIT_BATCH_PAGES), per_page=20)
    db = tmp_path / "store.db"
    with SiteServer(site) as server:
        first, ex1 = _crawl(server, db, max_pages=5000)
        second, ex2 = _crawl(server, db, max_pages=5000)
    sizes1 = [n for n, walks in ex1.batches if not walks]
    sizes2 = [n for n, walks in ex2.batches if not walks]
    assert max(sizes1) == BATCH_PAGES and max(sizes2) == REVISIT_BATCH_PAGES
    assert len(sizes2) < len(sizes1)
    assert first.report["run"]["pages"]["fetched"] == 30 + 2 * REVISIT_BATCH_PAGES
    assert second.report["run"]["pages"]["not_modified"] == 30 + 2 * REVISIT_BATCH_PAGES
    assert second.changes_total == 0
