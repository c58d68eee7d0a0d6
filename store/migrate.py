"""Bringing a store's schema up to date: the SQL files of `store/sql/`, in order, each once.

Each file is one migration, frozen as written when it was first applied (as Datasette keeps
its internal database's migrations): a new table, column, index or view is a new file, never
an edit of an applied one, so every store, whenever it was created, ends with the same schema
(`tests/test_migrations.py` checks a fresh store against the declarations in `schema.py` and
the upgrade from every earlier schema).

What a store has applied is recorded in `_sqlite_migrations` as sqlite-utils' `Migrations`
records it (set "agencywatch"), so stores made by earlier releases, whose migrations were
functions, carry on from where they are. Each file runs in one transaction together with that
record, with foreign keys off as SQLite's procedure for rebuilding a table asks (a rebuilt
parent table would otherwise drag its children's references along), and `foreign_key_check`
must find nothing before the transaction commits.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

SQL_DIR = Path(__file__).with_name("sql")
MIGRATION_SET = "agencywatch"
MIGRATION_FILES = tuple(sorted(SQL_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")))


class MigrationError(Exception):
    """A migration left the store inconsistent; it was rolled back."""


def statements(sql: str) -> list[str]:
    """The SQL statements of a script, whole: a trigger's body holds semicolons of its own."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        if not buf and line.lstrip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"an unfinished SQL statement: {buf.strip()[:80]!r}")
    return out


def known_migrations() -> tuple[str, ...]:
    """The names of every migration this code knows, in order."""
    return tuple(p.stem for p in MIGRATION_FILES)


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    """The names of the migrations the store has applied, in the order applied."""
    return [m.name for m in Migrations(MIGRATION_SET).applied(db)]


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    done = set(applied_migrations(db))
    return [name for name in known_migrations() if name not in done]


def migrate(db: sqlite_utils.Database, *, stop_before: str | None = None) -> None:
    """Apply every pending migration (up to `stop_before`, for tests of older schemas)."""
    Migrations(MIGRATION_SET).ensure_migrations_table(db)
    done = set(applied_migrations(db))
    for path in MIGRATION_FILES:
        if path.stem == stop_before:
            return
        if path.stem not in done:
            _apply(db, path)


def _apply(db: sqlite_utils.Database, path: Path) -> None:
    script = statements(path.read_text(encoding="utf-8"))
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: none is open here
    try:
        with db.atomic():
            for statement in script:
                db.execute(statement)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MigrationError(
                    f"migration {path.stem} would break {len(broken)} references "
                    f"(first: {tuple(broken[0])}); nothing was changed"
                )
            db.execute(
                "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                "VALUES (?, ?, ?)",
                [MIGRATION_SET, path.stem, str(datetime.now(UTC))],
            )
    finally:
        db.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
