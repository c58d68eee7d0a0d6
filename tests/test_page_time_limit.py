"""A time limit per page in extraction (issue 20, item 15): a hostile page that would hold a
worker for seconds per MB is stopped at the limit and recorded as such; the run goes on, and
the other pages of its batch are extracted as usual."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from flows.config import parse_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run import extract_pool
from flows.run.loop import run_crawl_once
from tests.hostile_server import HostileServer

# ~6 s of extraction per MB on this machine: a figure in every sentence
HOSTILE = (
    "<html><head><title>Figures</title></head><body><article><h1>Figures</h1><p>"
    + "€3.5 million and 22% of 550 000 inhabitants. " * 40_000
    + "</p></article></body></html>"
)
GOOD = (
    "<html><head><title>Fine</title></head>"
    "<body><article><h1>Fine</h1><p>Text.</p></article></body></html>"
)


@pytest.mark.parametrize("processes", ["0", "1"], ids=["in threads", "in a process pool"])
def test_a_page_over_the_time_limit_is_recorded_and_the_run_goes_on(
    tmp_path, monkeypatch, processes
):
    monkeypatch.setenv(extract_pool.ENV, processes)
    monkeypatch.setenv("AGENCYWATCH_PAGE_TIME_LIMIT", "0.5")
    with HostileServer() as site:
        site.route("/", GOOD)
        site.route("/hostile", HOSTILE)
        site.route("/fine", GOOD)
        site.route(
            "/feed.xml",
            (
                "<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>"
                f"<item><link>{site.url('/hostile')}</link></item>"
                f"<item><link>{site.url('/fine')}</link></item></channel></rss>"
            ),
            headers={"Content-Type": "application/rss+xml"},
        )
        sources = parse_sources(
            f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n'
            f'feeds = ["{site.url("/feed.xml")}"]\ndelay = 0\n'
        )
        with Fetcher(FetchPolicy(user_agent="agencywatch-test", retries=0)) as fetcher:
            result = run_crawl_once(str(tmp_path / "s.db"), sources, fetcher)
    assert result.report["run"]["status"] == "completed"
    conn = sqlite3.connect(tmp_path / "s.db")
    rows = dict(conn.execute("SELECT url, error FROM fetches"))
    titles = {r[0] for r in conn.execute("SELECT title FROM pages WHERE title IS NOT NULL")}
    conn.close()
    error = rows[site.url("/hostile")]
    assert error == (
        f"{site.url('/hostile')}: extraction stopped after 0.5 s, the time limit per page "
        "(AGENCYWATCH_PAGE_TIME_LIMIT); nothing removed, tried again next run"
    )
    assert rows[site.url("/fine")] is None and "Fine" in titles


def test_the_limit_raises_in_the_thread_that_runs_over_and_nowhere_else():
    from flows.run.time_limit import TimeLimitExceeded, time_limit

    def spin() -> None:
        while True:
            sum(range(1000))

    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        spin()
    done: list[str] = []

    def quick() -> None:
        with time_limit(0.2):
            sum(range(1000))
        time.sleep(0.5)  # past the limit, outside the block: nothing may arrive here
        done.append("ok")

    worker = threading.Thread(target=quick)
    worker.start()
    worker.join()
    assert done == ["ok"]
    try:
        with time_limit(0.2):
            raise ValueError("its own error")
    except ValueError:
        pass
    time.sleep(0.4)  # an exception that ended the block disarms the limit too


def test_a_short_limit_armed_while_a_long_one_waits_fires_on_time():
    # the watchdog sleeps until the soonest deadline and is woken only for a sooner one: a
    # short limit armed while another thread holds a long one must still fire at its own time
    from flows.run.time_limit import TimeLimitExceeded, time_limit

    release = threading.Event()

    def long_block() -> None:
        with time_limit(30.0):
            release.wait(5)

    holder = threading.Thread(target=long_block)
    holder.start()
    time.sleep(0.1)  # the watchdog now waits for the 30 s deadline
    started = time.monotonic()
    try:
        with pytest.raises(TimeLimitExceeded), time_limit(0.2):
            while True:
                sum(range(1000))
        assert time.monotonic() - started < 2.0
        for _ in range(3):  # page after page under the same limit: each is still watched
            started = time.monotonic()
            with pytest.raises(TimeLimitExceeded), time_limit(0.2):
                while True:
                    sum(range(1000))
            assert time.monotonic() - started < 2.0
    finally:
        release.set()
        holder.join()
