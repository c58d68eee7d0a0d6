"""CSV and JSON exports of any documented table or view, streamed row by row.

Only names the schema documents can be exported (a typo gets the list of names, not an empty
file). `--where` is the analyst's own SQL condition; it runs on a read-only connection.
Binary columns (blobs.content) are written as base64 text.
"""

from __future__ import annotations

import base64
import csv
import json
import sqlite3
from collections.abc import Iterator
from typing import Any, TextIO

import sqlite_utils

from store.db import StoreError
from store.schema import TABLES
from store.views import VIEWS, require

FORMATS = ("csv", "json")


def exportable_names() -> list[str]:
    return [v.name for v in VIEWS] + [t.name for t in TABLES]


def export(
    db: sqlite_utils.Database,
    name: str,
    out: TextIO,
    *,
    fmt: str = "csv",
    where: str | None = None,
) -> int:
    """Write `name` (a table or view) to `out`; returns the number of rows written."""
    check(db, name, fmt)
    columns, rows = _query(db, name, where)
    return _write_csv(out, columns, rows) if fmt == "csv" else _write_json(out, columns, rows)


def check(db: sqlite_utils.Database, name: str, fmt: str = "csv") -> None:
    """Refuse an unknown name or format before anything is written."""
    if name not in exportable_names():
        raise StoreError(
            f"unknown table or view {name!r}; choose one of: {', '.join(exportable_names())}"
        )
    if fmt not in FORMATS:
        raise StoreError(f"unknown format {fmt!r}; choose csv or json")
    require(db, name)


def _query(
    db: sqlite_utils.Database, name: str, where: str | None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    sql = f"SELECT * FROM [{name}]" + (f" WHERE {where}" if where else "")
    try:
        cursor = db.execute(sql)
    except sqlite3.Error as exc:
        raise StoreError(f"export {name}: bad --where {where!r}: {exc}") from exc
    return [d[0] for d in cursor.description], iter(cursor)


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _write_csv(out: TextIO, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count


def _write_json(out: TextIO, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    # one object per line inside the array: valid JSON that also diffs and greps well
    out.write("[")
    count = 0
    for row in rows:
        record = dict(zip(columns, (_cell(v) for v in row), strict=True))
        out.write(("\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
