"""`agencywatch reprocess`: run today's extractors over the stored raw pages.

The pages are the bytes stored earlier, so every change this finds was caused by the extractors,
not by the sites. It is recorded as a run of kind `reprocess`, whose report is kept apart from the
crawl runs (`report --run N` shows it; `--run latest` shows the latest crawl). It is the crawl's
run loop (`flows.run.loop.run_loop`) with another supply of pages: `StoredPages`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace

import sqlite_utils

from extractors import __version__ as EXTRACTOR_VERSION
from extractors.records import PageExtraction
from flows.config import Source, load_sources, select_sources
from flows.run import extract_pool
from flows.run.extract_pool import extraction_processes
from flows.run.loop import RunContext, prepared_run, run_loop
from flows.run.page import extract_page, source_info
from flows.run.scheduler import Delivery, SourceEnd
from store.batches import CHANGED, FAILED, PageRecord, SourceBatch
from store.identity import PageKeys, page_keys
from store.runs import utcnow
from store.writer import load_blob

PAGE_COLUMNS = "p.url, p.role, p.content_hash, p.content_type, p.etag, p.last_modified, p.links"
# Stored pages a delivery, as before the run loop was shared: while the writer writes one
# batch the next is extracted, so the first and the last batch overlap nothing (100, 200 and
# 300 were within this machine's noise: 5,250 pages in 8-11 s, 4 runs each)
REPROCESS_PAGES = 200


def reprocess(sources_path: str, db_path: str, only: list[str] | None = None) -> dict[str, object]:
    sources = select_sources(load_sources(sources_path), only)
    with (
        prepared_run(db_path, sources, kind="reprocess", read_states=False) as ctx,
        extraction_processes(),
    ):
        result = run_loop(ctx, StoredPages(ctx))
    return {"run_id": result.run_id, "summary": result.summary, "report": result.report}


Job = tuple[PageRecord, bytes | None, "Future[tuple[PageExtraction, PageKeys]] | None"]


class StoredPages:
    """Each source's stored pages through today's extractors, REPROCESS_PAGES a delivery: the
    next batch is handed to the extraction processes before this one is returned, so writing
    (one core) overlaps extracting (the others), and at most two batches are held."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._deliveries = self._all()

    def next(self) -> Delivery | None:
        return next(self._deliveries, None)

    def _all(self) -> Iterator[Delivery]:
        pending: tuple[Source, list[Job], bool] | None = None
        for source in self.ctx.sources:
            rows = _stored_rows(self.ctx.db, source.name)
            size = REPROCESS_PAGES
            chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
            for n, chunk in enumerate(chunks or [[]]):
                jobs = _submit_batch(self.ctx.db, source, chunk)
                if pending is not None:
                    yield _delivery(*pending)
                pending = (source, jobs, n == max(0, len(chunks) - 1))
        if pending is not None:
            yield _delivery(*pending)


def _stored_rows(db: sqlite_utils.Database, name: str) -> list[dict[str, object]]:
    return list(
        db.query(
            f"SELECT {PAGE_COLUMNS} FROM pages p JOIN sources s ON s.id = p.source_id "
            "WHERE s.name = ? AND p.content_hash IS NOT NULL "
            "AND p.role NOT IN ('feed', 'sitemap') ORDER BY p.id",  # no records there
            [name],
        )
    )


def _delivery(source: Source, jobs: list[Job], last: bool) -> Delivery:
    info = source_info(source)
    batches = (SourceBatch(info, _collect(source, jobs)),) if jobs else ()
    ended = (SourceEnd(info, truncated=False),) if last else ()
    return Delivery(batches, ended, {source.name: len(jobs)} if jobs else {})


def _submit_batch(
    db: sqlite_utils.Database, source: Source, rows: list[dict[str, object]]
) -> list[Job]:
    """Read a batch's stored pages and hand them to the extraction processes (when open)."""
    jobs: list[Job] = []
    for row in rows:
        record, body = _stored(db, row)
        job = None if body is None else extract_pool.submit(reextract, source, body, record)
        jobs.append((record, body, job))
    return jobs


def _collect(source: Source, jobs: list[Job]) -> tuple[PageRecord, ...]:
    """The batch's pages with their new extraction; a page that fails is recorded as failed."""
    pages = []
    for record, body, job in jobs:
        if body is None:
            pages.append(
                replace(
                    record, outcome=FAILED, error=f"{record.url}: raw page missing from the store"
                )
            )
            continue
        try:
            extraction, keys = (
                reextract(source, body, record) if job is None else extract_pool.result(job)
            )
        except Exception as exc:  # one bad page must not stop the re-processing
            pages.append(
                replace(record, outcome=FAILED, error=f"{record.url}: extraction failed: {exc}")
            )
            continue
        pages.append(replace(record, extraction=extraction, keys=keys))
    return tuple(pages)


def reextract(source: Source, body: bytes, record: PageRecord) -> tuple[PageExtraction, PageKeys]:
    """One stored page through today's extractors (run in a pool process)."""
    extraction = extract_page(source, body, record.content_type, record.url, record.role)
    return extraction, page_keys(extraction, record.url)


def _stored(db: sqlite_utils.Database, row: dict[str, object]) -> tuple[PageRecord, bytes | None]:
    url = str(row["url"])
    record = PageRecord(
        url=url,
        outcome=CHANGED,
        fetched_at=utcnow(),
        role=str(row["role"]),
        status=200,
        content_hash=str(row["content_hash"]),
        etag=_opt(row["etag"]),
        content_type=_opt(row["content_type"]),
        last_modified=_opt(row["last_modified"]),
        links=tuple(json.loads(str(row["links"] or "[]"))),
        attempts=0,
        extractor_version=EXTRACTOR_VERSION,
    )
    return record, load_blob(db, str(row["content_hash"]))


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
