"""The run's extraction process pool: same records as extracting in the fetch threads, and a
worker that dies costs only the pages it held."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractors.records import PageExtraction
from flows.cli.fixture_site import FixtureSite, fixture_sources_text
from flows.config import load_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run import extract_pool
from flows.run.loop import run_crawl_once
from flows.run.page import finish_page
from store.batches import CHANGED, FAILED, PageRecord


@pytest.fixture()
def served() -> Iterator[str]:
    with FixtureSite() as site:
        yield site.start()


def _crawl(tmp_path: Path, base: str, db: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(fixture_sources_text(base), encoding="utf-8")
    with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
        run_crawl_once(str(db), load_sources(str(sources)), fetcher)


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {
            "pages": conn.execute(
                "SELECT url, kind, title, date, text, text_hash, item_counts, links "
                "FROM pages ORDER BY url"
            ).fetchall(),
            "items": conn.execute(
                "SELECT entity, key, page_url, content_hash FROM items ORDER BY entity, key"
            ).fetchall(),
            "blobs": conn.execute("SELECT hash, size FROM blobs ORDER BY hash").fetchall(),
            "changes": conn.execute(
                "SELECT entity, change, key, title FROM changes ORDER BY entity, key"
            ).fetchall(),
        }
    finally:
        conn.close()


def test_pool_and_threads_store_the_same_rows(
    tmp_path: Path, served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(extract_pool.ENV, "2")
    _crawl(tmp_path, served, tmp_path / "pool.db")
    monkeypatch.setenv(extract_pool.ENV, "0")
    _crawl(tmp_path, served, tmp_path / "threads.db")
    pool, threads = _rows(tmp_path / "pool.db"), _rows(tmp_path / "threads.db")
    assert pool["items"] and pool["pages"]
    for table in pool:
        assert pool[table] == threads[table], table
    # the pool packs each body and the crawl drops the raw one: the blob is still that body
    conn = sqlite3.connect(tmp_path / "pool.db")
    blobs = conn.execute("SELECT hash, content, size, stored_size FROM blobs").fetchall()
    conn.close()
    assert len(blobs) == len(pool["blobs"]) > 5
    for digest, content, size, stored_size in blobs:
        body = zlib.decompress(content)
        assert hashlib.sha256(body).hexdigest() == digest
        assert (len(body), len(content)) == (size, stored_size)


def test_a_packed_page_is_held_without_its_raw_body() -> None:
    body = b"<html><body><p>raw</p></body></html>"
    record = PageRecord(
        url="http://a.lt/x", outcome=CHANGED, fetched_at="t", body=body, body_size=len(body)
    )
    extraction, packed = PageExtraction(url=record.url, kind="article"), zlib.compress(body)
    done = finish_page(record, lambda: (extraction, (), packed, None))
    assert done.body is None and done.packed == packed and done.body_size == len(body)
    kept = finish_page(record, lambda: (extraction, (), None, None))  # packed by the writer
    assert kept.body == body and kept.packed is None


def test_a_dead_worker_fails_its_job_and_the_pool_is_replaced() -> None:
    with extract_pool.extraction_processes(1) as n:
        assert n == 1
        dying = extract_pool.submit(os._exit, 3)
        assert dying is not None
        with pytest.raises(extract_pool.ExtractionProcessDied):
            extract_pool.result(dying)
        healthy = extract_pool.submit(pow, 2, 10)
        assert healthy is not None and extract_pool.result(healthy) == 1024
    assert extract_pool.submit(pow, 2, 3) is None  # closed with the run: callers extract inline


def test_no_pool_when_configured_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(extract_pool.ENV, "0")
    with extract_pool.extraction_processes() as n:
        assert n == 0
        assert extract_pool.submit(pow, 2, 3) is None
    monkeypatch.setenv(extract_pool.ENV, "many")
    assert extract_pool.configured_processes() >= 0  # a bad value falls back, with a warning


def test_a_died_extraction_fails_one_page_with_a_message_naming_it() -> None:
    record = PageRecord(url="http://127.0.0.1/a", outcome=CHANGED, fetched_at="t", body=b"x")

    def died() -> object:
        raise extract_pool.ExtractionProcessDied("terminated abruptly")

    failed = finish_page(record, died)  # type: ignore[arg-type]
    assert failed.outcome == FAILED and failed.body is None
    assert failed.error is not None and failed.error.startswith("http://127.0.0.1/a: ")
    assert "retried next run" in failed.error


_POOL_SCRIPT = """
import os, sys, time
from flows.run import extract_pool
with extract_pool.extraction_processes(2):
    pids = {extract_pool.result(extract_pool.submit(os.getpid)) for _ in range(20)}
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _exited(pids: list[int], timeout_s: float) -> bool:
    """Whether every one of `pids` has exited within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(map(_running, pids)):
        time.sleep(0.05)
    return not any(map(_running, pids))


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
def test_workers_and_fork_server_exit_when_the_crawler_is_killed() -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", _POOL_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert workers and all(_running(p) for p in workers)
        with open(f"/proc/{workers[0]}/stat", encoding="ascii") as f:
            fork_server = int(f.read().rsplit(")", 1)[1].split()[1])
        assert fork_server != proc.pid and _running(fork_server)
    finally:
        proc.send_signal(signal.SIGKILL)  # no clean-up of any kind in the crawler
        proc.wait()
    assert _exited([*workers, fork_server], 10 * extract_pool.WATCH_INTERVAL_S)


def test_records_cross_the_process_boundary_unchanged() -> None:
    """What an extraction process sends back (records, keys, page records) pickles by field
    values (`records.pickled_by_fields`): every fixture page, good practice sections and
    figures included, comes back equal, and a class that cannot be rebuilt that way says so."""
    import pickle
    from dataclasses import dataclass, field, replace

    from evaluation.evaluate import fixture_pairs
    from extractors.core import extract
    from extractors.records import pickled_by_fields
    from store.batches import PageState, SourceBatch, SourceInfo
    from store.identity import page_keys

    pairs = fixture_pairs()
    assert pairs
    kinds: set[str] = set()
    for page, _expected in pairs:
        url = "https://example.org/" + page.name
        extraction = extract(page.read_bytes(), url, "auto")
        keys = page_keys(extraction, url)
        kinds.update(k for k in ("news", "events", "good_practices", "figures")
                     if getattr(extraction, k))
        record = PageRecord(url=url, outcome=CHANGED, fetched_at="2026-11-28T00:00:00Z",
                            extraction=extraction, keys=keys, links=("next " + url,))
        batch = SourceBatch(SourceInfo("s", url, "auto", {"a": 1}), (record,), counts={"x": 1})
        state = PageState(url, '"e"', None, "h", 3, ("detail " + url,))
        for value in (extraction, keys, batch, state):
            back = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            assert back == value and type(back) is type(value)
            assert value.__reduce__()[0] is type(value)  # rebuilt by its class, not copyreg
        assert pickle.loads(pickle.dumps(replace(record, extraction=None))).extraction is None
    assert kinds == {"news", "events", "good_practices", "figures"}

    @dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = field(init=False, default=0)

    with pytest.raises(TypeError, match="__init__ argument"):
        pickled_by_fields(Derived)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
def test_warm_up_starts_the_fork_server_the_run_uses_and_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`crawl` starts the fork server before Prefect's API server is up; the run's pool forks
    from that one, and the run stops it, also when no page needed extracting."""
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")

    def server_pid() -> int | None:
        pid: int | None = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
        return pid

    monkeypatch.setenv(extract_pool.ENV, "2")
    assert extract_pool.warm_up()
    pid = server_pid()
    assert pid is not None and _running(pid)
    with extract_pool.extraction_processes():
        future = extract_pool.submit(pow, 2, 10)
        assert future is not None and extract_pool.result(future) == 1024
        assert server_pid() == pid  # forked from the warm one, not a second server
    assert _exited([pid], 10)

    assert extract_pool.warm_up()  # an unchanged re-crawl extracts nothing
    idle = server_pid()
    assert idle is not None and idle != pid
    with extract_pool.extraction_processes():
        pass
    assert _exited([idle], 10)

    monkeypatch.setenv(extract_pool.ENV, "0")  # extraction in the threads: nothing to warm
    assert not extract_pool.warm_up() and server_pid() is None
