"""The floors: how fast the same pages can be parsed and fetched at all, and extraction alone.

- lxml parse: `lxml.html.fromstring` over the generated files, bodies read into memory first,
  one core.
- fetch: a `requests.Session` on loopback, sequential, and 8 threads with a Session each.
- extraction alone: `flows.run.page.extract_page` with the source's settings over the page bodies
  stored in the store's `blobs` table (what re-processing years of stored pages costs), no
  network, both cores through multiprocessing. Pool start-up, imports and first-call costs are
  excluded (each worker first extracts a few stored pages of each role): the clock runs from
  the first page handed out to the last result.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any


@dataclass
class Rate:
    name: str
    pages: int
    wall_s: float
    cpu_s: float | None = None
    note: str = ""
    errors: int = 0

    @property
    def pages_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s > 0 else 0.0


def sample(items: Sequence[Any], limit: int | None) -> list[Any]:
    """Every k-th item, so a sample spans list pages and articles of every age."""
    if not limit or len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def lxml_parse_rate(files: Sequence[Path], limit: int | None = None) -> Rate:
    import lxml.html

    chosen = sample(files, limit)
    bodies = [f.read_bytes() for f in chosen]
    c0, t0 = time.process_time(), time.perf_counter()
    for b in bodies:
        lxml.html.fromstring(b)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return Rate("floor: lxml.html.fromstring (1 core)", len(bodies), wall, cpu,
                note=f"{len(bodies)} of {len(files)} pages" if len(bodies) < len(files) else "")


def fetch_rate(urls: Sequence[str], threads: int = 1, limit: int | None = None) -> Rate:
    import requests

    chosen = sample(urls, limit)
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def get(url: str) -> None:
        nonlocal errors
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        r = session.get(url, timeout=30)
        _ = r.content
        if r.status_code != 200:
            with lock:
                errors += 1

    c0, t0 = time.process_time(), time.perf_counter()
    if threads <= 1:
        for u in chosen:
            get(u)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(get, chosen, chunksize=64))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    label = "sequential" if threads <= 1 else f"{threads} threads"
    return Rate(f"floor: requests.Session GET ({label})", len(chosen), wall, cpu,
                note=f"{len(chosen)} of {len(urls)} URLs" if len(chosen) < len(urls) else "",
                errors=errors)


# -- extraction alone ---------------------------------------------------------------------------
# Each stored page goes through `flows.run.page.extract_page` with the bench source's settings (its
# kind for listings, `article` for detail pages, its selectors), as `crawl` and `reprocess` do.

Job = tuple[bytes, str, str]  # (zlib-packed body, url, role)
_source: Any = None  # the bench source, set in each worker by _warm


def _blobs(db_path: str) -> Iterator[Job]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT b.content, p.url, p.role FROM pages p JOIN blobs b ON b.hash = p.content_hash "
            "ORDER BY p.id"
        )
        yield from rows
    finally:
        conn.close()


def _load_source(sources_path: str) -> Any:
    from flows.config import load_sources

    return load_sources(sources_path)[0]


def _warm(sources_path: str, samples: list[Job]) -> None:
    """Load the source and pay the per-process first-call costs (imports, dateparser's language
    data, trafilatura's and htmldate's lazy set-up) before the clock starts, on real pages of
    every role."""
    global _source
    _source = _load_source(sources_path)
    for job in samples:
        _extract_one(job)


def _extract_one(job: Job) -> int:
    from flows.run.page import extract_page

    packed, url, role = job
    result = extract_page(_source, zlib.decompress(packed), None, url, role)
    return len(result.news) + len(result.figures) + len(result.events)


def _warm_samples(jobs: list[Job]) -> list[Job]:
    by_role: dict[str, list[Job]] = {}
    for job in jobs:
        by_role.setdefault(job[2], []).append(job)
    return [j for group in by_role.values() for j in group[:3]]


def extraction_rate(db_path: str, sources_path: str, processes: int = 2,
                    limit: int | None = None) -> Rate:
    jobs = sample(list(_blobs(db_path)), limit)
    ctx = get_context("fork") if hasattr(os, "fork") else get_context()
    with ctx.Pool(processes, initializer=_warm,
                  initargs=(sources_path, _warm_samples(jobs))) as pool:
        pool.map(_noop, range(processes * 4), chunksize=1)
        t0 = time.perf_counter()
        records = sum(pool.imap_unordered(_extract_one, jobs, chunksize=16))
        wall = time.perf_counter() - t0
    return Rate(f"extraction alone, stored pages ({processes} processes)", len(jobs), wall,
                note=f"{records} records, the source's selectors")


def _noop(_: int) -> None:
    time.sleep(0.05)  # every worker takes some: all have finished their initializer


def extraction_rate_1core(db_path: str, sources_path: str, limit: int = 1000) -> Rate:
    jobs = sample(list(_blobs(db_path)), limit)
    _warm(sources_path, _warm_samples(jobs))
    c0, t0 = time.process_time(), time.perf_counter()
    for job in jobs:
        _extract_one(job)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return Rate("extraction alone, stored pages (1 process)", len(jobs), wall, cpu,
                note=f"sample of {len(jobs)}, the source's selectors")
