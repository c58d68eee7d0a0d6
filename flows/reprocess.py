"""`agencywatch reprocess`: run today's extractors over the stored raw pages.

The pages are the bytes stored earlier, so every change this finds was caused by the extractors,
not by the sites. It is recorded as a run of kind `reprocess`, whose report is kept apart from the
crawl runs (`report --run N` shows it; `--run latest` shows the latest crawl).
"""

from __future__ import annotations

import json
from dataclasses import replace

from extractors import __version__ as EXTRACTOR_VERSION
from flows.config import Source, load_sources, select_sources
from flows.crawl import extract_page
from store.batches import CHANGED, FAILED, PageRecord, SourceBatch
from store.db import crawl_lock, open_db
from store.report import report_data, summary_line
from store.runs import finish_run, mark_dead_runs, start_run, utcnow
from store.writer import load_blob, write_batch


def reprocess(sources_path: str, db_path: str, only: list[str] | None = None) -> dict[str, object]:
    sources = select_sources(load_sources(sources_path), only)
    with crawl_lock(db_path):
        db = open_db(db_path)
        mark_dead_runs(db)
        run_id = start_run(db, [s.name for s in sources], kind="reprocess")
        for source in sources:
            pages = tuple(
                _reextract(db, source, row)
                for row in db.query(
                    "SELECT p.* FROM pages p JOIN sources s ON s.id = p.source_id "
                    "WHERE s.name = ? AND p.content_hash IS NOT NULL ORDER BY p.id",
                    [source.name],
                )
            )
            from flows.crawl import source_info

            write_batch(db, run_id, SourceBatch(source_info(source), pages))
        finish_run(db, run_id, "completed")
        data = report_data(db, run_id)
    return {"run_id": run_id, "summary": summary_line(data), "report": data}


def _reextract(db: object, source: Source, row: dict[str, object]) -> PageRecord:
    from sqlite_utils import Database

    assert isinstance(db, Database)
    url = str(row["url"])
    body = load_blob(db, str(row["content_hash"]))
    record = PageRecord(
        url=url,
        outcome=CHANGED,
        fetched_at=utcnow(),
        role=str(row["role"]),
        status=200,
        content_hash=str(row["content_hash"]),
        etag=_opt(row["etag"]),
        last_modified=_opt(row["last_modified"]),
        links=tuple(json.loads(str(row["links"] or "[]"))),
        attempts=0,
        extractor_version=EXTRACTOR_VERSION,
    )
    if body is None:
        return replace(record, outcome=FAILED, error=f"{url}: raw page missing from the store")
    try:
        return replace(record, extraction=extract_page(source, body, None, url, record.role))
    except Exception as exc:  # one bad page must not stop the re-processing
        return replace(record, outcome=FAILED, error=f"{url}: extraction failed: {exc}")


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
