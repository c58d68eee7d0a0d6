"""The crawl scheduler: politeness is the only brake, and it holds as the server sees it.

The scheduling core is driven with a fake clock (no test here depends on how fast the machine
is); the engine is checked against real servers, one host per loopback address, on what they
were asked and what the store holds.
"""

from __future__ import annotations

import heapq
import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from flows.config import Source
from flows.fetch.http import Fetcher, FetchPolicy
from flows.fetch.politeness import HostGate, request_sent
from flows.run.loop import RunResult, run_crawl_once
from flows.run.scheduler import Dispatcher, _Job
from tests.scenario_site import Item, Site, SitesApart, SiteServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _simulate(
    hosts: dict[str, tuple[int, float]], *, took: float, concurrency: int = 2
) -> dict[str, list[float]]:
    """Run the dispatcher over hosts (name -> (requests, delay)) whose exchanges each take
    `took` seconds; returns when each host's requests went out."""
    clock = FakeClock()
    lead = 0.05

    def sleep(seconds: float) -> None:  # a thread waits in the gate, at most the lead
        assert 0 < seconds <= lead + 1e-9, f"the scheduler let a request go {seconds} s early"
        clock.now += seconds

    gate = HostGate(concurrency, clock=clock, sleep=sleep)
    dispatcher = Dispatcher(gate, concurrency, lead_s=lead)
    for name, (n, delay) in hosts.items():
        gate.set_delay(name, delay)
        for i in range(n):
            dispatcher.push(name, _Job(None, f"http://{name}/{i}"))
    sent: dict[str, list[float]] = defaultdict(list)
    ends: list[tuple[float, int, str]] = []
    order = itertools.count()
    while True:
        for host, job in dispatcher.take(10**9):
            with gate.slot(host, url=job.url, max_wait=60):
                request_sent()  # what the connection reports once the request is written
            sent[host].append(clock.now)
            heapq.heappush(ends, (clock.now + took, next(order), host))
        wake = dispatcher.next_wake()
        if not ends and wake is None:
            return sent
        clock.now = min(t for t in (wake, ends[0][0] if ends else None) if t is not None)
        while ends and ends[0][0] <= clock.now:
            dispatcher.finished(heapq.heappop(ends)[2])


def test_every_host_sends_as_soon_as_its_own_delay_allows() -> None:
    # 200 hosts of 16 requests (robots.txt and 15 pages), 1 s apart: the crawl takes the
    # floor, 15 s, and no host waits behind another
    sent = _simulate({f"h{i}": (16, 1.0) for i in range(200)}, took=0.002)
    assert {tuple(times) for times in sent.values()} == {tuple(float(s) for s in range(16))}


def test_a_slower_host_keeps_its_own_pace_beside_faster_ones() -> None:
    sent = _simulate({"fast": (5, 1.0), "slow": (3, 2.5), "none": (4, 0.0)}, took=0.5)
    assert sent["fast"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert sent["slow"] == [0.0, 2.5, 5.0]
    assert sent["none"] == [0.0, 0.0, 0.5, 0.5]  # no delay: two at a time, as configured


def test_requests_in_flight_never_exceed_the_host_concurrency() -> None:
    sent = _simulate({"a": (7, 0.0)}, took=1.0, concurrency=2)
    assert sent["a"] == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0]


def test_a_parked_host_waits_until_unparked_and_the_others_go_on() -> None:
    """Before the writer is there, hosts without a delay are held (the engine's warm-up)."""
    clock = FakeClock()
    gate = HostGate(2, clock=clock)
    dispatcher = Dispatcher(gate, 1, lead_s=0.0)
    gate.set_delay("polite", 1.0)
    for host in ("polite", "eager"):
        for i in range(2):
            dispatcher.push(host, _Job(None, f"http://{host}/{i}"))
    taken = dispatcher.take(10, allow=lambda host: host == "polite")
    assert [(h, j.url) for h, j in taken] == [("polite", "http://polite/0")]
    assert dispatcher.parked == {"eager"}
    dispatcher.finished("polite")
    dispatcher.push("eager", _Job(None, "http://eager/2"))  # still parked
    assert dispatcher.take(10, allow=lambda host: host == "polite") == []
    dispatcher.unpark()
    assert [(h, j.url) for h, j in dispatcher.take(10)] == [("eager", "http://eager/0")]
    clock.now = 1.0
    assert [(h, j.url) for h, j in dispatcher.take(10)] == [("polite", "http://polite/1")]


def test_the_delay_runs_from_when_the_request_went_out() -> None:
    """A request let go at 0 that a busy machine sends only at 0.8: the next one goes at 1.8,
    not at 1.0 (0.2 s after it, as the server would see it)."""
    clock = FakeClock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    gate = HostGate(2, clock=clock, sleep=sleep)
    gate.set_delay("a.lt", 1.0)
    with gate.slot("a.lt", url="http://a.lt/1", max_wait=60):
        clock.now = 0.8
        request_sent()
        clock.now = 0.9  # the response ends
    assert gate.ready_at("a.lt") == pytest.approx(1.8)
    clock.now = 1.0
    with gate.slot("a.lt", url="http://a.lt/2", max_wait=60) as started:
        assert started == pytest.approx(1.8)
    assert slept == [pytest.approx(0.8)]
    # a request whose sending is never reported counts as sent when its exchange ends
    with gate.slot("a.lt", url="http://a.lt/3", max_wait=60):
        clock.now = 5.0
    assert gate.ready_at("a.lt") == pytest.approx(6.0)


# -- against real servers, one host per loopback address -------------------------------------------


def _items(n: int, host: int) -> list[Item]:
    return [
        Item(f"item-{i}", f"News {i} of host {host}", f"July {1 + i} d., 2017",
             f"Teaser {i}.", f"The programme gave €{i + 1} million to cluster {i}.")
        for i in range(n)
    ]


@pytest.fixture()
def servers() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def _serve(stack: ExitStack, site: Site, n: int) -> SiteServer:
    return stack.enter_context(SiteServer(site, address=f"127.0.0.{n}"))


def _source(server: SiteServer, name: str, delay: float) -> Source:
    return Source(name=name, url=f"{server.base}/news", kind="news_list", follow=True,
                  max_pages=50, delay=delay)


def _crawl(db: Path, sources: list[Source], **policy: float) -> RunResult:
    settings = {"user_agent": "agencywatch-test", **policy}
    with Fetcher(FetchPolicy(**settings)) as fetcher:  # type: ignore[arg-type]
        return run_crawl_once(str(db), sources, fetcher)


def _stored(db: Path, run_id: int) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT url, outcome, COUNT(*) FROM fetches WHERE run_id = ? GROUP BY url", [run_id]
        ).fetchall()
    return {url: (outcome, n) for url, outcome, n in rows}


def test_many_hosts_each_at_its_own_spacing_as_the_servers_saw_it(tmp_path: Path) -> None:
    delay = 0.3
    sites = [Site(items=_items(4, n), per_page=2) for n in range(6)]
    sites[5].robots = "User-agent: *\nCrawl-delay: 0.6\n"  # wins over the source's delay
    apart = SitesApart([(site, f"127.0.0.{2 + n}") for n, site in enumerate(sites)])
    try:
        sources = [
            Source(name=f"site-{n}", url=f"{base}/news", kind="news_list", follow=True,
                   max_pages=50, delay=delay)
            for n, base in enumerate(apart.bases)
        ]
        first = _crawl(tmp_path / "s.db", sources)
        second = _crawl(tmp_path / "s.db", sources)
    finally:
        requests = apart.stop()
    stored = _stored(tmp_path / "s.db", first.run_id)
    # each host: 2 list pages and 4 articles, each fetched once and stored
    assert len(stored) == 6 * 6 and set(stored.values()) == {("changed", 1)}
    assert first.report["run"]["pages"] == {"fetched": 36, "not_modified": 0, "failed": 0}
    assert first.cut_short == ()
    assert second.report["run"]["pages"] == {"fetched": 0, "not_modified": 36, "failed": 0}
    assert second.changes_total == 0
    for n, seen in enumerate(requests):
        spacing = 0.6 if n == 5 else delay
        for run in (seen[:7], seen[7:]):  # robots.txt and the 6 pages, twice
            arrivals = sorted(a for a, _, _ in run)
            assert len(arrivals) == 7
            gaps = [b - a for a, b in itertools.pairwise(arrivals)]
            # as the server noted them (a few milliseconds after the requests reached it)
            assert min(gaps) >= 0.9 * spacing, (n, gaps)
            assert _most_at_once(run) <= 2


def _most_at_once(requests: list[tuple[float, float, str]]) -> int:
    events = sorted([(a, 1) for a, _, _ in requests] + [(e, -1) for _, e, _ in requests])
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def test_a_bad_host_holds_up_only_itself_and_is_named(tmp_path: Path, servers: ExitStack) -> None:
    good = [_serve(servers, Site(items=_items(3, n), per_page=3), 10 + n) for n in range(2)]
    silent = Site(items=_items(3, 3), faults={"/news": "hang"})  # accepts, never answers
    late_robots = Site(items=_items(3, 4), faults={"/robots.txt": "hang"})
    paused = Site(items=_items(3, 5), faults={"/news": (503, {"Retry-After": "120"})})
    bad = [_serve(servers, site, 12 + n) for n, site in enumerate((silent, late_robots, paused))]
    sources = [_source(s, f"good-{n}", 0.1) for n, s in enumerate(good)]
    sources += [_source(s, name, 0.1) for s, name in zip(bad, ("silent", "robots", "paused"),
                                                          strict=True)]
    sources.append(Source(name="down", url="http://127.0.0.15:9/news", delay=0.1))  # refused
    result = _crawl(tmp_path / "s.db", sources, connect_timeout=1.0, read_timeout=1.0,
                    total_timeout=2.0, retries=1, backoff_base=0.05, backoff_max=0.1,
                    retry_after_max=30.0)
    stored = _stored(tmp_path / "s.db", result.run_id)
    for server in good:  # every page of the good hosts
        pages = {u: o for u, o in stored.items() if u.startswith(server.base)}
        assert len(pages) == 4 and set(pages.values()) == {("changed", 1)}
    for server in bad:
        assert stored[f"{server.base}/news"] == ("failed", 1)
    assert stored["http://127.0.0.15:9/news"] == ("failed", 1)
    why = dict(line.split(": ", 1) for line in result.cut_short)
    assert set(why) == {"silent", "robots", "paused", "down"}
    assert why["silent"].startswith("127.0.0.12: its last 1 fetch(es) failed")
    assert why["robots"].startswith("127.0.0.13: robots.txt unavailable (read timed out")
    assert why["paused"] == "127.0.0.14: asked for a 120 s pause (Retry-After)"
    assert why["down"].startswith("127.0.0.15: robots.txt unavailable (connection failed")
    assert result.report["run"]["status"] == "completed"


def test_a_lone_polite_host_is_crawled_to_the_end_twice(tmp_path: Path) -> None:
    """One host, one request at a time, a delay: after each request the only thing left to
    wake the scheduler is its timer (a crawl once stalled there for good)."""
    import threading

    results: list[RunResult] = []
    with SiteServer(Site(items=_items(3, 0), per_page=3)) as server:
        source = Source(name="lone", url=f"{server.base}/news", kind="news_list", follow=True,
                        max_pages=10, delay=0.2)

        def crawl_twice() -> None:
            for _ in range(2):
                results.append(_crawl(tmp_path / "s.db", [source], per_host_concurrency=1))

        worker = threading.Thread(target=crawl_twice, daemon=True)
        worker.start()
        worker.join(timeout=120)
    assert not worker.is_alive(), "the crawl stalled"
    assert [r.report["run"]["pages"] for r in results] == [
        {"fetched": 4, "not_modified": 0, "failed": 0},
        {"fetched": 0, "not_modified": 4, "failed": 0},
    ]
