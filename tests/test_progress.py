"""Watching a crawl: a live view on a terminal, plain lines in a pipe, the same feed from the
task's thread (per page) and from finished batches (per source)."""

from __future__ import annotations

import io
import os
import pty
import select
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.cli.progress import CrawlWatcher, resolve_mode
from flows.run.observer import SourcePlan
from store.batches import CHANGED, FAILED, PageRecord, SourceBatch, SourceInfo
from tests.prefect_server import (  # noqa: F401  (fixture)
    AGENCYWATCH,
    ROOT,
    ServerInfo,
    cli_env,
    in_process_prefect,
    prefect_server_fixture,
    run_cli,
    sources_with_schedules,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _page(url: str, outcome: str = CHANGED, links: tuple[str, ...] = ()) -> PageRecord:
    return PageRecord(url=url, outcome=outcome, fetched_at="2024-01-01T00:00:00+00:00",
                      links=links)


def _batch(name: str, pages: list[PageRecord]) -> SourceBatch:
    return SourceBatch(SourceInfo(name, pages[0].url, "auto"), tuple(pages))


def test_plain_mode_prints_heartbeats_and_one_line_per_source_as_it_ends() -> None:
    out, clock = io.StringIO(), Clock()
    w = CrawlWatcher("plain", stream=out, heartbeat_s=10, clock=clock, run_log=False)
    w.plan([SourcePlan("news", "https://a.example/", 50, True),
            SourcePlan("one", "https://b.example/", 50, False),
            SourcePlan("never", "https://c.example/", 50, False)])
    assert (w.sources["news"].planned, w.sources["news"].state) == (1, "waiting")
    clock.now += 4
    w.pages(_batch("news", [_page("https://a.example/")]), planned=7)
    assert (w.sources["news"].planned, w.sources["news"].state) == (7, "running")
    w.pages(_batch("news", [_page("https://a.example/p2", FAILED)]), planned=7)
    assert out.getvalue() == ""  # no line before the heartbeat interval
    clock.now += 7
    w.pages(_batch("news", [_page("https://a.example/0")]), planned=7)
    assert out.getvalue() == "news: running, 3/7 pages, 1 failed, 0.3 pages/s, 11.0 s\n"
    w.pages(_batch("one", [_page("https://b.example/")]), planned=1)
    w.ended("one", ())
    clock.now += 1
    w.pages(_batch("news", [_page(f"https://a.example/{i}") for i in range(1, 5)]), planned=7)
    w.ended("news", ("a.example: skipped after 5 failed fetches in a row",))
    clock.now += 5
    w.close()
    assert out.getvalue().splitlines()[1:] == [
        "one: running, 1/1 pages, 0 failed, 0.1 pages/s, 11.0 s",  # its first 10 s are up
        "one: done, 1/1 pages, 0 failed, 0.1 pages/s, 11.0 s",
        "news: done, 7/7 pages, 1 failed, 0.6 pages/s, 12.0 s; "
        "cut short: a.example: skipped after 5 failed fetches in a row",
        "never: waiting, 0/1 pages, 0 failed, 0.0 pages/s, 17.0 s",  # the run ended first
    ]


def test_planned_pages_are_capped_by_max_pages_and_seeded_by_the_store() -> None:
    w = CrawlWatcher("off", stream=io.StringIO())
    w.plan([SourcePlan("big", "https://a.example/", 20, True, known=30),
            SourcePlan("some", "https://b.example/", 200, True, known=30),
            SourcePlan("flat", "https://c.example/", 200, False, known=30)])
    assert [s.planned for s in w.sources.values()] == [20, 30, 1]
    w.pages(_batch("some", [_page("https://b.example/")]), planned=45)
    assert w.sources["some"].planned == 45


def test_auto_mode_is_plain_off_a_terminal() -> None:
    assert resolve_mode("auto", io.StringIO()) == "plain"
    assert resolve_mode("live", io.StringIO()) == "live"


def test_the_run_loop_tells_its_observer_what_it_wrote(tmp_path: Path) -> None:
    """The observer hears of every page written and of each source's end, from the run loop
    (nothing reads the store for it)."""
    from flows.config import Source
    from flows.fetch.http import Fetcher, FetchPolicy
    from flows.run.loop import run_crawl_once
    from tests.scenario_site import Site, SiteServer
    from tests.test_change_scenarios import ITEMS

    calls: list[tuple[str, object]] = []

    class Recording:
        def plan(self, plans: Any) -> None:
            calls.append(("plan", [(p.name, p.known) for p in plans]))

        def pages(self, batch: SourceBatch, planned: int | None) -> None:
            calls.append(("pages", len(batch.pages)))

        def ended(self, name: str, cut_short: Any) -> None:
            calls.append(("ended", (name, tuple(cut_short))))

        def close(self) -> None:
            calls.append(("close", None))

    with SiteServer(Site(items=list(ITEMS))) as server:
        source = Source(name="agency-news", url=f"{server.base}/news", kind="news_list",
                        follow=True, max_pages=30, delay=0.0)
        with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
            result = run_crawl_once(str(tmp_path / "s.db"), [source], fetcher,
                                    observer=Recording())
    assert calls[0] == ("plan", [("agency-news", 0)])
    assert calls[-2:] == [("ended", ("agency-news", ())), ("close", None)]
    written = sum(n for kind, n in calls if kind == "pages")  # type: ignore[misc]
    with sqlite3.connect(tmp_path / "s.db") as con:
        (stored,) = con.execute("SELECT count(*) FROM fetches").fetchone()
    assert written == stored == result.report["run"]["pages"]["fetched"] > len(ITEMS)


# -- the command, on the fixture site ---------------------------------------------------------


@pytest.fixture(scope="module")
def site_sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from flows.cli.fixture_site import FixtureSite

    with FixtureSite() as site:
        base = site.start()
        path = tmp_path_factory.mktemp("progress") / "sources.toml"
        path.write_text(sources_with_schedules(base, []), encoding="utf-8")
        yield path


@pytest.mark.e2e
def test_on_a_terminal_the_crawl_shows_a_live_view(
    tmp_path: Path, site_sources: Path, prefect_server: ServerInfo
) -> None:
    env = cli_env(prefect_server.api_url, tmp_path / "prefect", TERM="xterm-256color",
                  COLUMNS="120", LINES="40")
    output, code = _run_in_pty(
        [*AGENCYWATCH, "crawl", "--sources", str(site_sources), "--db", str(tmp_path / "a.db")],
        env)
    assert code == 0, output
    assert "\x1b[?25l" in output  # rich's live display hides the cursor while it draws
    assert "pages/s" in output and "all sources" in output
    assert "done" in output
    assert "run 1 completed" in output


@pytest.mark.e2e
def test_in_a_pipe_the_crawl_prints_plain_lines(
    tmp_path: Path, site_sources: Path, prefect_server: ServerInfo
) -> None:
    env = cli_env(prefect_server.api_url, tmp_path / "prefect", TERM="xterm-256color")
    res = run_cli(["crawl", "--sources", str(site_sources), "--db", str(tmp_path / "a.db")], env)
    assert res.returncode == 0, res.stderr
    assert "\x1b[" not in res.stderr
    names = [line.split(":")[0] for line in res.stderr.splitlines() if ": done, " in line]
    assert len(res.stderr.splitlines()) < 4 * len(names) + 5, res.stderr  # short
    from flows.config import load_sources

    assert sorted(names) == sorted(s.name for s in load_sources(site_sources))
    assert res.stdout.startswith("run 1 completed")


def _run_in_pty(cmd: list[str], env: dict[str, str], timeout: float = 120) -> tuple[str, int]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return b"".join(chunks).decode("utf-8", "replace"), code


def _wait(cond: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
