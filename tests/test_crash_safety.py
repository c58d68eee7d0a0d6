"""A crawl killed with SIGKILL loses nothing earlier runs stored; two crawls never run at once."""

from __future__ import annotations

import copy
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.scenario_site import Item, Site, SiteServer
from tests.test_change_scenarios import ITEMS

ROOT = Path(__file__).resolve().parents[1]
CRAWL = textwrap.dedent("""
    import sys
    from flows.config import Source
    from flows.fetch.http import Fetcher, FetchPolicy
    from flows.run.loop import run_crawl_once
    source = Source(name="agency-news", url=sys.argv[2] + "/news", kind="news_list",
                    follow=True, max_pages=200, delay=float(sys.argv[3]))
    fetcher = Fetcher(FetchPolicy(user_agent="agencywatch-test", per_host_concurrency=1))
    print(run_crawl_once(sys.argv[1], [source], fetcher).summary, flush=True)
""")


def _crawl(db: Path, base: str, delay: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", CRAWL, str(db), base, str(delay)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _many_items() -> list[Item]:
    base = copy.deepcopy(ITEMS)
    return base + [Item(f"extra-{i}", f"Extra news {i}", "May 02 d., 2017", "Teaser.",
                        f"Body {i}.") for i in range(40)]


def _count(db: Path, sql: str) -> int:
    """0 while the crawler has not yet created the tables it is asked about."""
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def test_sigkill_mid_crawl_keeps_the_store_whole_and_the_next_run_completes(tmp_path):
    db = tmp_path / "store.db"
    site = Site(items=_many_items(), per_page=5)
    with SiteServer(site) as server:
        assert _crawl(db, server.base, 0.0).wait(timeout=120) == 0
        items_before = _count(db, "SELECT count(*) FROM items WHERE state = 'active'")
        site.items[0].title = "A changed title"  # the second run has work to do
        slow = _crawl(db, server.base, 0.15)
        deadline = time.monotonic() + 60
        while _count(db, "SELECT count(*) FROM fetches WHERE run_id = 2") < 3:
            assert time.monotonic() < deadline, "the second crawl never stored a batch"
            time.sleep(0.05)
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=30)
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT status FROM runs WHERE id = 1").fetchone()[0] == (
                "completed"
            )
        assert _count(db, "SELECT count(*) FROM items WHERE state = 'active'") == items_before
        assert _crawl(db, server.base, 0.0).wait(timeout=120) == 0
    with sqlite3.connect(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["completed", "interrupted", "completed"]
    assert _count(db, "SELECT count(*) FROM items WHERE state = 'removed'") == 0


def test_second_crawl_waits_then_says_one_is_running(tmp_path):
    db = tmp_path / "store.db"
    site = Site(items=_many_items(), per_page=5)
    with SiteServer(site) as server:
        first = _crawl(db, server.base, 0.3)  # ~5 s of polite crawling
        deadline = time.monotonic() + 60
        while not db.exists() or _count(db, "SELECT count(*) FROM runs") < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "agency-news"\nurl = "{server.base}/news"\n')
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "flows", "crawl", "--sources",
                                 str(sources), "--db", str(db)], env=env, capture_output=True,
                                text=True, timeout=120)
        waited = time.monotonic() - started
        runs_while_first_runs = _count(db, "SELECT count(*) FROM runs")
        first.kill()
        first.wait()
    assert second.returncode == 2
    assert "another crawl is running on this database" in second.stderr
    assert waited >= 4  # it waited briefly (5 s) before giving up
    assert runs_while_first_runs == 1  # and changed nothing
