"""`agencywatch explore`: Datasette on the store, read-only, described and with canned queries.

The metadata comes from the declarations (`store.schema.TABLES`, `store.views.VIEWS` and
`QUESTIONS`, the canned queries) plus a look at the store itself (its sources, with links, and
the units its figures use). The SQL lives in store/; this module only speaks Datasette.

Read-only, and safe while crawls run: Datasette opens the file as it does any mutable one,
`mode=ro`, so every page shows the store as it is now, crawls included, and nothing it runs
can write; the file is not checkpointed or otherwise changed. (An immutable snapshot, `-i`,
answered "database disk image is malformed" once a crawl wrote the file under it, and kept
its counts from before.) No canned query writes.
"""

from __future__ import annotations

import contextlib
import html
import json
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from extractors.kinds import KINDS
from store.db import StoreError, open_reader
from store.schema import TABLES
from store.views import QUESTIONS, VIEWS, figure_units, source_links

# What analysts facet on first; Datasette suggests more.
FACETS: dict[str, list[str]] = {
    **{k.view: list(k.facets) for k in KINDS},
    "upcoming_events": ["source"],
    "figures_by_page": ["source", "unit"],
    "last_run_changes": ["source", "entity", "change"],
    "item_history": ["entity", "source"],
    "store_as_of": ["entity", "source"],
    "changes": ["change", "entity"],
    "items": ["entity", "state"],
    "fetches": ["outcome"],
}
LABEL_COLUMNS = {"runs": "started_at", "items": "key"}  # how a foreign key shows in a row
# compressed raw HTML, and a run's scratch list (empty between runs): reachable, not listed
HIDDEN = {"blobs", "pending_removals"}
SORT_DESC = {"runs": "id", "changes": "id", "fetches": "id", "item_versions": "id"}
SETTINGS = {"sql_time_limit_ms": "3000", "truncate_cells_html": "400", "default_page_size": "50"}


def metadata(db: sqlite_utils.Database, db_name: str) -> dict[str, Any]:
    """Datasette metadata for the store opened as database `db_name`."""
    return {
        "title": f"agencywatch: {db_name}",
        "description": "What agencywatch read on the watched websites. Read-only. Start with "
        "the views (latest_news, upcoming_events, ...) or the queries below.",
        "databases": {
            db_name: {
                "description_html": _sources_html(db),
                "tables": _tables(db),
                "queries": {
                    q.name: {"title": q.title, "description": q.description, "sql": q.sql}
                    for q in QUESTIONS
                },
            }
        },
    }


def _sources_html(db: sqlite_utils.Database) -> str:
    links = [
        f'<a href="{html.escape(url)}">{html.escape(name)}</a>' for name, url in source_links(db)
    ]
    return "Watched sources: " + (", ".join(links) if links else "none crawled yet") + "."


def _units_note(db: sqlite_utils.Database) -> str:
    units = ", ".join(f"{unit} ({n})" for unit, n in figure_units(db))
    return f" Units in this store: {units}." if units else ""


def _tables(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    entries = [(t.name, t.doc, t.columns) for t in TABLES] + [
        (v.name, v.doc, v.columns) for v in VIEWS
    ]
    units = _units_note(db)
    for name, doc, columns in entries:
        meta: dict[str, Any] = {
            "description": doc + (units if name in ("figures", "figures_by_page") else ""),
            "columns": {c.name: c.doc for c in columns},
        }
        if name in FACETS:
            meta["facets"] = FACETS[name]
        if name in LABEL_COLUMNS:
            meta["label_column"] = LABEL_COLUMNS[name]
        if name in SORT_DESC:
            meta["sort_desc"] = SORT_DESC[name]
        meta["hidden"] = name in HIDDEN
        out[name] = meta
    out["_sqlite_migrations"] = {"description": "Applied schema migrations.", "hidden": True}
    return out


def _check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise StoreError(f"explore: port {port} is not a TCP port (0 to 65535); use another --port")
    if port == 0:
        return
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise StoreError(
                f"explore: port {port} is taken ({exc.strerror}); pick another with --port"
            ) from exc


def serve_args(path: Path, meta_file: Path, port: int, *, open_browser: bool) -> list[str]:
    args = ["serve", str(path)]  # mutable: read with mode=ro, never immutable (see above)
    args += ["--metadata", str(meta_file), "--host", "127.0.0.1", "--port", str(port)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args + (["--open"] if open_browser else [])


def explore(db_path: str | Path, *, port: int = 8001, open_browser: bool = True) -> int:
    """Serve the store with Datasette until interrupted; returns the exit code."""
    try:
        from datasette.cli import cli as datasette_cli
    except ImportError as exc:
        raise StoreError("explore needs Datasette: pip install 'agencywatch[explore]'") from exc
    path = Path(db_path)
    _check_port(port)
    db = open_reader(path)
    try:
        meta = metadata(db, path.stem)
    finally:
        db.close()
    print(
        f"agencywatch: serving {path} read-only on http://127.0.0.1:{port}/{path.stem} "
        "(live: later crawls show on reload); Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="agencywatch-explore-") as tmp, _sigterm_exits():
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        args = serve_args(path, meta_file, port, open_browser=open_browser)
        return _run_datasette(datasette_cli, args)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM (systemd's stop, `kill`) ends explore as Ctrl-C does, temporary files removed.

    uvicorn shuts down on SIGTERM and then raises the signal again with the handler it found;
    Python's default one killed the process on the spot and left the metadata folder in /tmp.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_datasette(datasette_cli: Any, args: list[str]) -> int:
    import click

    try:
        datasette_cli.main(args=args, prog_name="datasette", standalone_mode=False)
    except click.ClickException as exc:
        raise StoreError(f"explore: datasette: {exc.format_message()}") from exc
    return 0
