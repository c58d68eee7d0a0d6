"""CSV and JSON exports of any documented table or view, streamed row by row.

Only names the schema documents can be exported (a typo gets the list of names, not an empty
file). `--where` is the analyst's own SQL condition; it runs on a read-only connection.
Binary columns (blobs.content) are written as base64 text. CSV text cells that a spreadsheet
would evaluate (`=`, `+`, `-`, `@`, tab, carriage return first) start with `'`; written to a
terminal, control characters are shown as `\\xNN` (`store.outputs`).
"""

from __future__ import annotations

import base64
import csv
import io
import sqlite3
from collections.abc import Iterator
from typing import Any, TextIO

import sqlite_utils

from store.db import StoreError
from store.outputs import csv_cell, terminal_json, terminal_text
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
    terminal: bool = False,
) -> int:
    """Write `name` (a table or view) to `out`; returns the number of rows written.
    `terminal`: `out` is a terminal (stdout), so control characters are written out."""
    check(db, name, fmt)
    columns, rows = _query(db, name, where)
    if fmt == "json":
        return _write_json(out, columns, rows)
    return _write_csv(out, columns, rows, terminal=terminal)


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
        if not where or not isinstance(exc, sqlite3.OperationalError | sqlite3.ProgrammingError):
            raise  # the store itself, not the condition (the CLI names the file)
        raise StoreError(f"export {name}: bad --where {where!r}: {exc}") from exc
    return [d[0] for d in cursor.description], iter(cursor)


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class _CsvLines:
    """Rows as CSV lines ending in "\n", every field holding "\r" or "\n" quoted. csv.writer
    quotes a field only for the characters of its own line terminator: with "\n" alone, a
    page's bare "\r" went out unquoted and started a new row for any reader (a row a page
    chose, formula included)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def write(self, row: list[Any]) -> None:
        self._writer.writerow(row)
        self.out.write(self._buffer.getvalue()[:-2] + "\n")
        self._buffer.seek(0)
        self._buffer.truncate()


def _write_csv(
    out: TextIO, columns: list[str], rows: Iterator[tuple[Any, ...]], *, terminal: bool = False
) -> int:
    lines = _CsvLines(out)
    lines.write(columns)
    count = 0
    for row in rows:
        cells = [csv_cell(_cell(v)) for v in row]
        if terminal:
            cells = [terminal_text(v) if isinstance(v, str) else v for v in cells]
        lines.write(cells)
        count += 1
    return count


def _write_json(out: TextIO, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    # one object per line inside the array: valid JSON that also diffs and greps well
    out.write("[")
    count = 0
    for row in rows:
        record = dict(zip(columns, (_cell(v) for v in row), strict=True))
        out.write(("\n" if count == 0 else ",\n") + terminal_json(record))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
