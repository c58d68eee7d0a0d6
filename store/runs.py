"""Runs are rows: a run starts `running` and ends `completed`, `failed` or `interrupted`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from store.db import StoreError

COUNTERS = (
    "requests",
    "pages_fetched",
    "pages_not_modified",
    "pages_failed",
    "bytes_downloaded",
    "bytes_saved",
    "items_added",
    "items_updated",
    "items_removed",
)


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def mark_dead_runs(db: sqlite_utils.Database) -> int:
    """Runs left `running` by a killed crawler become `interrupted`.

    Only called while holding the crawl lock, so no live crawl can own such a run.
    """
    cur = db.execute(
        "UPDATE runs SET status = 'interrupted', finished_at = ?, "
        "error = coalesce(error, 'the crawler stopped before the run ended') "
        "WHERE status = 'running'",
        [utcnow()],
    )
    return cur.rowcount


def start_run(db: sqlite_utils.Database, sources: Iterable[str], kind: str = "crawl") -> int:
    with db.atomic():
        db.execute(
            "INSERT INTO runs (started_at, status, kind, sources, pid) "
            "VALUES (?, 'running', ?, ?, ?)",
            [utcnow(), kind, json.dumps(list(sources)), os.getpid()],
        )
        row = db.execute("SELECT last_insert_rowid()").fetchone()
    return int(row[0])


def add_counts(db: sqlite_utils.Database, run_id: int, counts: dict[str, int]) -> None:
    sets = ", ".join(f"{k} = {k} + ?" for k in counts if k in COUNTERS)
    if sets:
        db.execute(
            f"UPDATE runs SET {sets} WHERE id = ?",
            [v for k, v in counts.items() if k in COUNTERS] + [run_id],
        )


def finish_run(
    db: sqlite_utils.Database, run_id: int, status: str, error: str | None = None
) -> None:
    with db.atomic():
        db.execute(
            "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ?",
            [status, utcnow(), error, run_id],
        )


def get_run(db: sqlite_utils.Database, run: str | int) -> dict[str, Any]:
    """`latest` or a run id -> the run row; `StoreError` for an unknown run."""
    if str(run) == "latest":
        rows = list(db.query("SELECT * FROM runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1"))
        if not rows:
            rows = list(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT 1"))
    else:
        try:
            run_id = int(run)
        except ValueError:
            raise StoreError(f"unknown run {run!r}: give a run number or 'latest'") from None
        rows = list(db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
    if not rows:
        raise StoreError(f"unknown run {run!r}: the database has no such run")
    return rows[0]
