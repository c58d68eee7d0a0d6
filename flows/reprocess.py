"""`agencywatch reprocess`: run today's extractors over the stored raw pages.

The pages are the bytes stored earlier, so every change this finds was caused by the extractors,
not by the sites. It is recorded as a run of kind `reprocess`, whose report is kept apart from the
crawl runs (`report --run N` shows it; `--run latest` shows the latest crawl).
"""

from __future__ import annotations

import json
from concurrent.futures import Future
from dataclasses import replace

import sqlite_utils

from extractors import __version__ as EXTRACTOR_VERSION
from extractors.records import PageExtraction
from flows import extract_pool
from flows.config import Source, load_sources, select_sources
from flows.crawl import extract_page, source_info
from flows.extract_pool import extraction_processes
from flows.runner import BATCH_PAGES, run_result, store_run
from store.batches import CHANGED, FAILED, PageRecord, SourceBatch
from store.identity import PageKeys, page_keys
from store.runs import utcnow
from store.writer import finish_source, load_blob, write_batch

PAGE_COLUMNS = (
    "p.url, p.role, p.content_hash, p.content_type, p.etag, p.last_modified, p.links"
)


def reprocess(sources_path: str, db_path: str, only: list[str] | None = None) -> dict[str, object]:
    sources = select_sources(load_sources(sources_path), only)
    with store_run(db_path, [s.name for s in sources], kind="reprocess") as (db, run_id):
        for source in sources:
            rows = list(
                db.query(
                    f"SELECT {PAGE_COLUMNS} FROM pages p JOIN sources s ON s.id = p.source_id "
                    "WHERE s.name = ? AND p.content_hash IS NOT NULL "
                    "AND p.role NOT IN ('feed', 'sitemap') ORDER BY p.id",  # no records there
                    [source.name],
                )
            )
            # batches as in a crawl: bounded memory, and removals settled once per source;
            # the next batch is handed to the extraction processes before this one is written,
            # so writing (one core) overlaps extracting (the others)
            info = source_info(source)
            with extraction_processes():
                pending: list[Job] | None = None
                for i in range(0, len(rows), BATCH_PAGES):
                    jobs = _submit_batch(db, source, rows[i : i + BATCH_PAGES])
                    if pending is not None:
                        write_batch(db, run_id, SourceBatch(info, _collect(source, pending)))
                    pending = jobs
                if pending is not None:
                    write_batch(db, run_id, SourceBatch(info, _collect(source, pending)))
            finish_source(db, run_id, info, truncated=False)
    result = run_result(db_path, run_id)
    return {"run_id": result.run_id, "summary": result.summary, "report": result.report}


Job = tuple[PageRecord, bytes | None, "Future[tuple[PageExtraction, PageKeys]] | None"]


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
            pages.append(replace(record, outcome=FAILED, error=f"{record.url}: raw page missing "
                                 "from the store"))
            continue
        try:
            extraction, keys = (
                reextract(source, body, record) if job is None else extract_pool.result(job)
            )
        except Exception as exc:  # one bad page must not stop the re-processing
            pages.append(replace(record, outcome=FAILED,
                                 error=f"{record.url}: extraction failed: {exc}"))
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
