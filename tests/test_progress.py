"""Watching a crawl: a live view on a terminal, plain lines in a pipe, the same feed from the
task's thread (per page) and from finished batches (per source)."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.progress import CrawlWatcher, SourcePlan, page_hook, resolve_mode
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


def test_plain_mode_prints_heartbeats_and_one_line_per_source_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    w = CrawlWatcher("plain", stream=out, heartbeat_s=10, clock=clock)
    w.plan([SourcePlan("news", "https://a.example/", 50, True),
            SourcePlan("one", "https://b.example/", 50, False),
            SourcePlan("never", "https://c.example/", 50, False)])
    w.submitted("news", ["https://a.example/"])
    w.submitted("one", ["https://b.example/"])
    links = tuple(f"detail https://a.example/{i}" for i in range(5))
    w.page("news", _page("https://a.example/", links=("next https://a.example/p2", *links)))
    assert w.sources["news"].planned == 7  # start + next + 5 details
    clock.now += 4
    w.finished("news", _batch("news", [_page("https://a.example/", links=links)]))
    w.submitted("news", ["https://a.example/p2", *(f"https://a.example/{i}" for i in range(5))])
    w.page("news", _page("https://a.example/p2", FAILED))
    assert out.getvalue() == ""  # no line before the heartbeat interval
    clock.now += 7
    w.page("news", _page("https://a.example/0"))
    assert out.getvalue() == "news: running, 3/7 pages, 1 failed, 0.3 pages/s, 11.0 s\n"
    w.page("one", _page("https://b.example/", links=links))  # follows nothing: plans 1 page
    w.finished("one", _batch("one", [_page("https://b.example/")]))
    assert w.sources["one"].state == "idle"
    clock.now += 1
    # the batch brings pages the hook already counted, and the rest
    w.finished("news", _batch("news", [_page(f"https://a.example/{i}") for i in range(5)]
                               + [_page("https://a.example/p2", FAILED)]))
    clock.now += 5
    w.close()
    assert out.getvalue().splitlines()[1:] == [
        "one: running, 1/1 pages, 0 failed, 0.1 pages/s, 11.0 s",  # its first 10 s are up
        "news: done, 7/7 pages, 1 failed, 0.6 pages/s, 12.0 s",
        "one: done, 1/1 pages, 0 failed, 0.1 pages/s, 11.0 s",
    ]


def test_planned_pages_are_capped_by_max_pages_and_seeded_by_the_store() -> None:
    w = CrawlWatcher("off", stream=io.StringIO())
    known = frozenset(f"https://a.example/{i}" for i in range(30))
    w.plan([SourcePlan("big", "https://a.example/", 20, True, known),
            SourcePlan("some", "https://b.example/", 200, True, known)])
    assert w.sources["big"].planned == 20
    assert w.sources["some"].planned == 31


def test_a_crashed_batch_counts_its_pages_as_failed_and_says_why() -> None:
    out = io.StringIO()
    w = CrawlWatcher("plain", stream=out)
    w.plan([SourcePlan("s", "https://a.example/", 5, True)])
    w.submitted("s", ["https://a.example/", "https://a.example/2"])
    w.finished("s", None, "RuntimeError: boom", ["https://a.example/", "https://a.example/2"])
    assert out.getvalue().startswith("s: idle, 2/2 pages, 2 failed")
    assert out.getvalue().rstrip().endswith("RuntimeError: boom")


def test_auto_mode_is_plain_off_a_terminal() -> None:
    assert resolve_mode("auto", io.StringIO()) == "plain"
    assert resolve_mode("live", io.StringIO()) == "live"


@pytest.mark.e2e
def test_the_thread_runner_hands_the_watcher_to_the_task(prefect_server: ServerInfo) -> None:
    """What `crawl_source(..., on_page=page_hook())` gets inside a task run in a thread."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE

    from flows.scale import task_runner

    @task(cache_policy=NO_CACHE)
    def fake_batch(source: SourcePlan) -> SourceBatch:
        hook = page_hook()
        assert hook is not None
        pages = [_page(f"{source.url}{i or ''}") for i in range(3)]
        for p in pages:
            hook(source.name, p)
        return _batch(source.name, pages)

    plans = [SourcePlan(n, f"https://{n}.example/", 10, True) for n in ("a", "b")]
    seen: list[tuple[str, str]] = []

    class Recording(CrawlWatcher):
        def page(self, name: str, record: PageRecord) -> None:
            seen.append((name, record.url))
            super().page(name, record)

    watcher = Recording("off", stream=io.StringIO())
    watcher.plan(plans)

    @flow(task_runner=task_runner(dask_address=None, watcher=watcher, max_workers=2))
    def fake_crawl() -> int:
        futures = [fake_batch.submit(source=p) for p in plans]
        return sum(len(f.result().pages) for f in futures)

    with in_process_prefect(prefect_server.api_url):
        assert fake_crawl() == 6
    from prefect.events.worker import EventsWorker

    # no events websocket left pinging (its keepalive moves the global random state)
    assert all(w._stopped for w in EventsWorker._instances.values())
    assert page_hook() is None  # only inside the runner's tasks
    assert sorted(seen) == [(n, f"https://{n}.example/{i or ''}") for n in "ab" for i in range(3)]
    _wait(lambda: all(s.state == "idle" for s in watcher.sources.values()))
    assert {n: (s.done, s.planned) for n, s in watcher.sources.items()} == {
        "a": (3, 3), "b": (3, 3)}


# -- the command, on the fixture site ---------------------------------------------------------


@pytest.fixture(scope="module")
def site_sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from flows.fixture_site import FixtureSite

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
