"""Change detection scenarios on a local site whose pages change between crawls.

Each scenario crawls the site, edits it, crawls again and compares the exact change set; a
third, identical crawl must report nothing. The crawl is the real fetcher, extractors and store
(a real SQLite file), driven by the thread-pool executor: Prefect is covered in test_e2e_flow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from flows.config import Source
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run.loop import RunResult, run_crawl_once
from tests.scenario_site import Item, Site, SiteServer

ITEMS = [
    Item(
        "cluster-forum",
        "Meeting of the Cluster Forum",
        "August 23 d., 2017",
        "The forum met in Vilnius.",
        "The forum discussed a budget of €3.5 million for clusters.",
    ),
    Item(
        "certified",
        "Two more certified clusters",
        "July 18 d., 2017",
        "Gold and silver labels.",
        "Evaluation is strict and 22% of clusters passed.",
    ),
    Item(
        "knowledge",
        "Clusters shared what knowledge is lacking",
        "June 06 d., 2017",
        "A meeting at MITA.",
        "Coordinators of 19 clusters took part.",
    ),
    Item(
        "nordic",
        "The Search for Partners for the Nordic Life Science Days",
        "April 13 d., 2017",
        "Apply by June.",
        "About 1 000 participants are expected.",
    ),
    Item(
        "laser",
        "Laser cluster opens a lab",
        "March 02 d., 2017",
        "A new lab in Vilnius.",
        "The lab cost EUR 1.2 million.",
    ),
]
Change = tuple[str, str, str, tuple[str, ...], str | None]


def changes(result: RunResult) -> set[Change]:
    return {
        (c["change"], c["entity"], str(c["title"]), tuple(sorted(c["fields"])), c.get("reason"))
        for c in result.report["changes"]
    }


class Crawler:
    def __init__(self, site: Site, tmp: Path) -> None:
        self.site, self.db = site, str(tmp / "store.db")

    def __call__(self, server: SiteServer) -> RunResult:
        source = Source(
            name="agency-news",
            url=f"{server.base}/news",
            kind="news_list",
            follow=True,
            max_pages=30,
            delay=0.0,
        )
        policy = FetchPolicy(
            user_agent="agencywatch-test",
            read_timeout=1.0,
            total_timeout=2.0,
            retries=1,
            backoff_base=0.05,
            backoff_max=0.1,
        )
        with Fetcher(policy) as fetcher:
            return run_crawl_once(self.db, [source], fetcher)


def scenario(edit: Callable[[Site], None], tmp: Path) -> tuple[set[Change], RunResult, RunResult]:
    site = Site(items=copy.deepcopy(ITEMS))
    with SiteServer(site) as server:
        crawl = Crawler(site, tmp)
        first = crawl(server)
        assert first.report["run"]["pages"]["failed"] == 0, first.report["failures"]
        edit(site)
        second = crawl(server)
        third = crawl(server)
    return changes(second), second, third


def _swap(site: Site) -> None:
    site.items.reverse()


def _new_on_top(site: Site) -> None:
    site.items.insert(
        0,
        Item(
            "new-call",
            "New call for cluster projects",
            "September 01 d., 2017",
            "Applications open.",
            "The call has a budget of €2 million.",
        ),
    )


def _typo(site: Site) -> None:
    site.items[1].title = "Two more certified clusters in Lithuania"


def _date_moved(site: Site) -> None:
    site.items[0].date = "August 24 d., 2017"


def _figure_changed(site: Site) -> None:
    site.items[0].body = "The forum discussed a budget of €4 million for clusters."


def _figure_reformatted(site: Site) -> None:
    site.items[0].body = "The forum discussed a budget of EUR 3,500,000 for clusters."


def _deleted(site: Site) -> None:
    del site.items[3]


def _markup(site: Site) -> None:
    site.layout = "articles-v2"


def _tracking(site: Site) -> None:
    site.link_suffix = "?utm_source=newsletter&utm_medium=email"


def _listing_500(site: Site) -> None:
    site.faults["/news"] = 500
    del site.items[0]


def _detail_timeout(site: Site) -> None:
    site.faults["/news/certified"] = "timeout"


def _layout_broken(site: Site) -> None:
    site.layout = "broken"


QUIET = [
    ("reorder", _swap),
    ("markup-only change", _markup),
    ("tracking parameter added", _tracking),
    ("figure reformatted only", _figure_reformatted),
]


@pytest.mark.parametrize(("name", "edit"), QUIET, ids=[n for n, _ in QUIET])
def test_no_false_changes(tmp_path, name, edit):
    got, second, third = scenario(edit, tmp_path)
    assert got == set(), name
    assert second.report["failures"] == [] and changes(third) == set()


def test_identical_recrawl_reports_nothing(tmp_path):
    got, _, third = scenario(lambda site: None, tmp_path)
    assert got == set() and changes(third) == set()


def test_pagination_shift_reports_only_the_new_item(tmp_path):
    got, _, third = scenario(_new_on_top, tmp_path)
    assert got == {
        ("added", "news", "New call for cluster projects", (), None),
        ("added", "figure", "€2 million", (), None),
    }
    assert changes(third) == set()


def test_title_typo_fixed_is_an_update(tmp_path):
    got, _, _ = scenario(_typo, tmp_path)
    assert ("updated", "news", "Two more certified clusters in Lithuania", ("title",), None) in got
    assert {c[0] for c in got} <= {"updated"}


def test_date_moved(tmp_path):
    got, _, _ = scenario(_date_moved, tmp_path)
    assert ("updated", "news", "Meeting of the Cluster Forum", ("date",), None) in got
    assert not any(c[0] in ("added", "removed") for c in got)


def test_figure_changed(tmp_path):
    got, _, _ = scenario(_figure_changed, tmp_path)
    assert ("updated", "figure", "€4 million", ("text", "value"), None) in got
    assert not any(c[0] in ("added", "removed") for c in got)


def test_item_deleted_then_back(tmp_path):
    site = Site(items=copy.deepcopy(ITEMS))
    with SiteServer(site) as server:
        crawl = Crawler(site, tmp_path)
        crawl(server)
        gone = site.items.pop(3)
        removed = changes(crawl(server))
        site.items.insert(3, gone)
        back = changes(crawl(server))
    title = "The Search for Partners for the Nordic Life Science Days"
    assert removed == {("removed", "news", title, (), "dropped from listing")}
    assert back == {("reappeared", "news", title, (), None)}


def test_500_on_listing_removes_nothing(tmp_path):
    got, second, _ = scenario(_listing_500, tmp_path)
    assert got == set()
    errors = [f["error"] for f in second.report["failures"]]
    assert len(errors) == 1 and "/news: HTTP 500" in errors[0]
    assert second.report["run"]["status"] == "completed"


def test_timeout_on_detail_page_removes_nothing(tmp_path):
    got, second, _ = scenario(_detail_timeout, tmp_path)
    assert got == set()
    errors = [f["error"] for f in second.report["failures"]]
    assert len(errors) == 1 and "/news/certified" in errors[0]


def test_layout_change_reports_extraction_failure_once_and_removes_nothing(tmp_path):
    got, second, _ = scenario(_layout_broken, tmp_path)
    assert not any(c[0] == "removed" for c in got)
    notes = [f["error"] for f in second.report["failures"] if "layout changed?" in f["error"]]
    assert len(notes) == 1


def test_feed_discovers_detail_pages_and_is_rechecked_conditionally(tmp_path):
    """An RSS feed named in sources.toml: its entries are crawled as detail pages even with
    follow = false, and an unchanged feed still leads to them on the next run."""
    site = Site(items=copy.deepcopy(ITEMS[:2]))
    with SiteServer(site) as server:
        entries = "".join(
            f"<item><title>{i.title}</title><link>{server.base}/news/{i.slug}</link></item>"
            for i in site.items
        )
        site.extra["/feed.xml"] = (
            "application/rss+xml",
            f'<?xml version="1.0"?><rss version="2.0"><channel>{entries}</channel></rss>',
        )
        source = Source(
            name="agency-news",
            url=f"{server.base}/news",
            kind="news_list",
            follow=False,
            delay=0.0,
            feeds=(f"{server.base}/feed.xml",),
        )
        with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
            first = run_crawl_once(str(tmp_path / "s.db"), [source], fetcher)
        site.items[0].body = "The forum discussed a budget of €4 million for clusters."
        with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
            second = run_crawl_once(str(tmp_path / "s.db"), [source], fetcher)
    assert first.report["run"]["pages"] == {"fetched": 4, "not_modified": 0, "failed": 0}
    assert ("updated", "figure", "€4 million", ("text", "value"), None) in changes(second)
