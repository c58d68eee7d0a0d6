"""Opening the store: path checks with one-line errors, WAL, migrations, and the crawl lock.

Two ways in. `open_db` is for the commands that write (crawl, reprocess, schedule, demo): it
first looks at the file read-only and refuses, in one line and without changing a byte, a file
that is not SQLite, a SQLite file that is not an agencywatch store, a store written by a newer
agencywatch (`PRAGMA user_version` above ours, or migrations this code does not know) and a
store that fails SQLite's `quick_check`; then it opens it, switches it to WAL, migrates it and
records the schema version. `open_reader` is for the commands that only read (report, search,
export, explore): a `mode=ro` connection, never a migration or a journal change; a file that is
not a current agencywatch store is one line saying what it is not. `agencywatch doctor` runs the
full `integrity_check`.

The lock is an OS file lock (`<db>.lock`, flock): the kernel drops it when the holder dies, even
under SIGKILL, so a crashed crawl never leaves the store locked, and the next crawl can tell a
dead `running` run from a live one.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from extractors.errors import AgencywatchError
from store.migrate import MIGRATION_SET, MigrationError, known_migrations, migrate


class StoreError(AgencywatchError):
    """The database cannot be opened or written."""


class RunLockedError(StoreError):
    """Another crawl holds the database."""


CACHE_KIB = 32 * 1024
WAL_CHECKPOINT_PAGES = 8000  # of 4 KB


def select(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows as dicts, straight from sqlite3: the crawl's hot reads, run once per page or item
    inside the batch's transaction. (sqlite-utils' `query` wraps every read in a savepoint of
    its own, three statements for one; measured at a third of a first crawl's store time.)"""
    cursor = db.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid the cursor's INSERT created (no second `SELECT last_insert_rowid()`)."""
    if cursor.lastrowid is None:
        raise StoreError("an INSERT reported no row id")
    return int(cursor.lastrowid)


def schema_version() -> int:
    """The schema version this code writes into `PRAGMA user_version`: its migrations' count."""
    return len(known_migrations())


DOCTOR_HINT = "`agencywatch doctor --db {path}` checks it"


def describe_database_error(path: str | Path, exc: sqlite3.Error) -> str:
    """One line for an SQLite error met while using the store at `path`."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    code = str(getattr(exc, "sqlite_errorname", ""))
    if code == "SQLITE_FULL" or "disk is full" in text:
        return (
            f"{path}: the disk is full ({text}); every batch written before stays in the store: "
            "free some space and crawl again"
        )
    if code.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return (
            f"{path}: the file could not be written or read ({text}: a full disk, a file size "
            "limit or a failing disk); every batch written before stays in the store"
        )
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return f"{path}: the store cannot be read ({text}); " + DOCTOR_HINT.format(path=path)
    return f"{path}: database error: {text}; " + DOCTOR_HINT.format(path=path)


def _look(p: Path) -> sqlite3.Connection:
    """A read-only look at the file that changes nothing: without a WAL file beside it the main
    file holds the whole store and is read `immutable` (no -shm or -wal file is created);
    with one, `mode=ro` reads the WAL too."""
    wal = Path(f"{p}-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "immutable=1"
    return sqlite3.connect(f"{p.resolve().as_uri()}?{mode}", uri=True)


def _applied(conn: sqlite3.Connection) -> list[str] | None:
    """The agencywatch migrations applied to the database, None when it has no record of
    them (sqlite-utils' `_sqlite_migrations`, its set named as ours)."""
    table = "_sqlite_migrations"  # where sqlite-utils' Migrations records them, and we do
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone():
        return None
    rows = conn.execute(
        f"SELECT name FROM [{table}] WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET]
    ).fetchall()
    return [str(r[0]) for r in rows] if rows else None


def _identify(p: Path, conn: sqlite3.Connection) -> list[str]:
    """Refuse what is not an agencywatch store of this version or an older one; returns the
    migrations it still lacks (none for a new, empty database: it has all to come)."""
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StoreError(f"{p}: not a SQLite database ({exc})") from exc
        raise StoreError(describe_database_error(p, exc)) from exc
    known = list(known_migrations())
    applied = _applied(conn)
    if applied is None:
        if tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(
                f"{p}: not an agencywatch store (a SQLite database of other tables: {shown}); "
                "nothing was changed"
            )
        return known
    unknown = [name for name in applied if name not in known]
    if user_version > schema_version() or unknown:
        what = f"migrations {', '.join(unknown)}" if unknown else f"schema {user_version}"
        raise StoreError(
            f"{p}: written by a newer agencywatch ({what}; this version knows schema "
            f"{schema_version()}); nothing was changed: use that version or a newer one"
        )
    return [name for name in known if name not in applied]


_CHECKED: set[tuple[int, int]] = set()  # (device, inode) of stores quick-checked in this process


def _quick_check(p: Path, conn: sqlite3.Connection) -> None:
    """SQLite's quick_check, once per store per process (it reads the whole file)."""
    stat = p.stat()
    if (stat.st_dev, stat.st_ino) in _CHECKED:
        return
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        rows = [(str(exc),)]
    problems = [str(r[0]) for r in rows if r[0] != "ok"]
    if problems:
        raise StoreError(
            f"{p}: the store is damaged (SQLite quick_check: {' '.join(problems[0].split())}); "
            "nothing was written: restore a backup; " + DOCTOR_HINT.format(path=p)
        )
    _CHECKED.add((stat.st_dev, stat.st_ino))


def _check_before_writing(p: Path) -> None:
    """What `open_db` refuses before it opens the file for writing (see the module doc)."""
    if not p.exists() or p.stat().st_size == 0:
        return
    try:
        conn = _look(p)
    except sqlite3.Error as exc:
        raise StoreError(f"{p}: cannot open the database: {exc}") from exc
    try:
        _identify(p, conn)
        _quick_check(p, conn)
    finally:
        conn.close()


def open_db(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and migrate) the store for writing, or raise `StoreError` with one line naming the
    path; a file it refuses is left as it was."""
    p = Path(path)
    _check_path(p, create=create)
    _check_before_writing(p)
    try:
        conn = sqlite3.connect(str(p), timeout=30, isolation_level=None)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA busy_timeout = 30000")
        if db.journal_mode != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL survives a process kill
        # A crawl writes ~10 rows in 4 indexed tables per page: a 32 MB page cache (default 2 MB)
        # keeps the indexes' hot pages in memory, and checkpointing every 32 MB of WAL instead
        # of every 4 MB halves the time spent committing batches (measured on a first crawl).
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        db.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
        if db.execute("PRAGMA user_version").fetchone()[0] != schema_version():
            db.execute(f"PRAGMA user_version = {schema_version()}")
    except (sqlite3.DatabaseError, MigrationError) as exc:
        raise StoreError(f"{p}: cannot open the database: {exc}") from exc
    return db


def open_reader(path: str | Path) -> sqlite_utils.Database:
    """Open the store read-only for queries (report, search, export, explore): `mode=ro`, so
    nothing a reader does (an export's `--where` included) can write, and the file's journal
    mode and schema stay as they are. A file that is not a store of this version is one line
    saying what it is not; an older store asks for a crawl (which upgrades it) first."""
    p = Path(path)
    if not p.is_file():
        raise StoreError(f"{p}: no such database")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{p}: cannot open the database: {exc}") from exc
    try:
        missing = _identify(p, conn)
    except BaseException:
        conn.close()
        raise
    if missing == list(known_migrations()):
        conn.close()
        raise StoreError(f"{p}: not an agencywatch store (an empty database)")
    if missing:
        conn.close()
        raise StoreError(
            f"{p}: an older agencywatch store (without {', '.join(missing)}); readers never "
            "change a store: `agencywatch crawl` or `agencywatch reprocess` upgrades it"
        )
    return sqlite_utils.Database(conn)


def doctor(path: str | Path) -> tuple[str, list[str]]:
    """What the file is (one line) and the problems SQLite's full integrity_check finds in it
    ([] when it is sound). Reads only; a file that is not SQLite is a `StoreError`."""
    p = Path(path)
    if not p.is_file():
        raise StoreError(f"{p}: no such database")
    conn = _look(p)
    try:
        try:
            rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):
                raise StoreError(f"{p}: not a SQLite database ({exc})") from exc
            rows = [(str(exc),)]
        problems = [" ".join(str(r[0]).split()) for r in rows if r[0] != "ok"]
        try:
            missing = _identify(p, conn)
            what = f"an agencywatch store of schema {schema_version() - len(missing)}"
            if missing:
                what += f" (older than this version's {schema_version()}: a crawl upgrades it)"
        except StoreError as exc:
            what = str(exc).removeprefix(f"{p}: ")
    finally:
        conn.close()
    return what, problems


def _check_path(p: Path, *, create: bool) -> None:
    parent = p.resolve().parent
    if not parent.is_dir():
        raise StoreError(f"{p}: folder {parent} does not exist")
    if p.exists():
        if p.is_dir():
            raise StoreError(f"{p}: is a folder, not a database file")
        if not os.access(p, os.R_OK | os.W_OK):
            raise StoreError(f"{p}: database file is not writable")
    elif not create:
        raise StoreError(f"{p}: no such database")
    elif not os.access(parent, os.W_OK):
        raise StoreError(f"{p}: cannot create the database, folder {parent} is not writable")


@contextmanager
def crawl_lock(path: str | Path, *, wait_s: float = 5.0) -> Iterator[None]:
    """Hold the store's crawl lock; wait up to `wait_s`, then raise `RunLockedError`. A path
    the store cannot be at is named as `open_db` names it (the lock is taken first)."""
    _check_path(Path(path), create=True)
    lock_path = Path(f"{path}.lock")
    try:
        handle: IO[str] = open(lock_path, "a+")  # noqa: SIM115 - held for the whole crawl
    except OSError as exc:
        raise StoreError(f"{lock_path}: cannot create the lock file: {exc}") from exc
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunLockedError(
                        f"{path}: another crawl is running on this database; try again when it ends"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        handle.close()  # closing releases the flock
