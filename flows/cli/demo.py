"""`agencywatch demo`: the whole path on the bundled fixture site, offline.

Serves fixtures/ on 127.0.0.1, crawls snapshot 1 (2017) into a fresh database, switches the
site to snapshot 2 (the 2020 Innovation Networks page, a new news item, a changed event, a
removed item), crawls again and prints that run's change report; then crawls once more to show
that an unchanged site reports nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from flows.cli.fixture_site import FixtureSite, fixture_sources_text
from flows.orchestration.flow import run_crawl
from flows.settings import Settings
from store.db import open_db
from store.report import render, report_data


def run_demo(*, db_path: str | None, fmt: str, settings: Settings) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="agencywatch-demo-"))
    db = Path(db_path) if db_path else workdir / "demo.db"
    if db.exists():
        db.unlink()  # the demo always starts from a fresh store
    with FixtureSite() as site:
        base = site.start()
        sources = workdir / "sources.toml"
        sources.write_text(fixture_sources_text(base), encoding="utf-8")
        _say(f"fixture site on {base}; database {db}")
        site.set_snapshot(1)
        first = run_crawl(str(sources), str(db), None, settings.user_agent, settings.lock_wait_s)
        _say(f"crawl 1 (2017 snapshot): {first.summary}")
        site.set_snapshot(2)
        second = run_crawl(str(sources), str(db), None, settings.user_agent, settings.lock_wait_s)
        _say(f"crawl 2 (2020 snapshot): {second.summary}")
        third = run_crawl(str(sources), str(db), None, settings.user_agent, settings.lock_wait_s)
        _say(f"crawl 3 (same snapshot again): {third.summary}")
    report = render(report_data(open_db(db), second.run_id), fmt)
    sys.stdout.write(report)
    changes = len(third.report["changes"])
    _say(
        f"re-crawl of the unchanged site: {changes} changes"
        + ("" if changes == 0 else " (expected none!)")
    )
    _say(f"explore it: agencywatch report --db {db} --run {second.run_id} --format html")
    return 0 if changes == 0 else 1


def _say(line: str) -> None:
    print(f"== {line}", file=sys.stderr, flush=True)
