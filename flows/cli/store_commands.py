"""The commands that read the store for people: `search`, `explore`, `export`, `schema-docs`.

`flows.cli.main` calls `register(sub, settings)`; each command is `(args, settings) -> int` and
raises `StoreError` (one line, exit 2 via `flows.cli.main.main`) for a bad name, query or path.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from flows.settings import Settings
from store.db import StoreError
from store.outputs import terminal_json, terminal_text

EPILOG = {
    "search": 'example: agencywatch search "cluster funding" --limit 10',
    "explore": "example: agencywatch explore --db agencywatch.db --port 8001",
    "export": "example: agencywatch export upcoming_events --format csv --output events.csv\n"
    "         agencywatch export latest_news --format json --where \"source = 'klaster'\"",
    "schema-docs": "example: agencywatch schema-docs --output docs/schema.md",
    "doctor": "example: agencywatch doctor --db agencywatch.db",
}


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:  # type: ignore[type-arg]
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "search",
        help="full-text search of news, events, good practices, pages",
        epilog=EPILOG["search"],
        formatter_class=raw,
    )
    p.add_argument("query", metavar="QUERY", help="words to find (all of them)")
    p.add_argument("--db", default=settings.db, help="SQLite store")
    p.add_argument("--limit", type=int, default=20, help="at most this many results (20)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--raw",
        action="store_true",
        help='QUERY is FTS5 syntax: "a phrase", fund*, a OR b, NEAR(a b)',
    )
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "explore",
        help="open the store in Datasette, read-only",
        epilog=EPILOG["explore"],
        formatter_class=raw,
    )
    p.add_argument("--db", default=settings.db, help="SQLite store")
    p.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (8001)")
    p.add_argument(
        "--no-open", dest="open_browser", action="store_false", help="do not open a web browser"
    )
    p.set_defaults(func=cmd_explore)

    from store.export import exportable_names

    p = sub.add_parser(
        "export",
        help="CSV or JSON of a view or table",
        epilog=EPILOG["export"],
        formatter_class=raw,
        description="names: " + ", ".join(exportable_names()),
    )
    p.add_argument("name", metavar="VIEW_OR_TABLE")
    p.add_argument("--db", default=settings.db, help="SQLite store")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--output", help="write to this file instead of stdout")
    p.add_argument(
        "--where", metavar="SQL", help="SQL condition on the rows, e.g. \"unit = 'EUR'\""
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "schema-docs",
        help="describe the store's tables and views (Markdown)",
        epilog=EPILOG["schema-docs"],
        formatter_class=raw,
    )
    p.add_argument("--output", help="write to this file instead of stdout")
    p.add_argument(
        "--check",
        action="store_true",
        help="only compare with --output; exit 1 when it is out of date",
    )
    p.set_defaults(func=cmd_schema_docs)

    p = sub.add_parser(
        "doctor",
        help="check the whole store (SQLite integrity_check); reads only",
        epilog=EPILOG["doctor"],
        formatter_class=raw,
    )
    p.add_argument("--db", default=settings.db, help="SQLite store")
    p.set_defaults(func=cmd_doctor)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from store.db import open_reader
    from store.search import search

    db = open_reader(args.db)
    try:
        hits = search(db, args.query, limit=args.limit, raw=args.raw)
    finally:
        db.close()
    if args.json:
        print(terminal_json([h.to_json() for h in hits], indent=2))
        return 0
    if not hits:
        print(terminal_text(f"no results for {args.query!r}"), file=sys.stderr)
    for h in hits:
        gone = " (removed)" if h.state == "removed" else ""
        lines = (
            f"{h.entity:<13} {h.title or '(no title)'}{gone}  [{h.source}]",
            f"{'':<13} {h.url or ''}",
            f"{'':<13} {h.snippet}\n",
        )
        print(terminal_text("\n".join(lines)))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """0 when the store is sound, 1 with what integrity_check found; 2 when it is no database."""
    from store.db import doctor

    what, problems = doctor(args.db)
    if not problems:
        print(terminal_text(f"{args.db}: {what}; integrity_check: ok"))
        return 0
    print(terminal_text(f"{args.db}: {what}; damaged, integrity_check found:"))
    for problem in problems:
        print(terminal_text(f"  {problem}"))
    print("Restore a backup; the commands that write refuse a store that fails its quick check.")
    return 1


def cmd_explore(args: argparse.Namespace, settings: Settings) -> int:
    from flows.cli.explore import explore

    return explore(args.db, port=args.port, open_browser=args.open_browser)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from store.db import open_reader
    from store.export import check, export

    db = open_reader(args.db)
    try:
        check(db, args.name, args.format)  # before --output is created
        with ExitStack() as stack:
            out: TextIO = sys.stdout
            if args.output:
                out = stack.enter_context(_open_output(args.output))
            try:
                to_terminal = out is sys.stdout
                count = export(
                    db, args.name, out, fmt=args.format, where=args.where, terminal=to_terminal
                )
            except (StoreError, sqlite3.Error):
                if args.output:
                    stack.close()
                    Path(args.output).unlink(missing_ok=True)  # no half-written file
                raise
    finally:
        db.close()
    if args.output:
        print(f"{args.output}: {count} rows of {args.name}", file=sys.stderr)
    return 0


def _open_output(path: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8", newline="")  # closed by the caller's ExitStack
    except OSError as exc:
        raise StoreError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def cmd_schema_docs(args: argparse.Namespace, settings: Settings) -> int:
    from store.docs import render_schema_md

    text = render_schema_md()
    if args.check:
        if not args.output:
            raise StoreError("schema-docs --check needs --output FILE to compare with")
        target = Path(args.output)
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(
                f"{args.output} is out of date: run agencywatch schema-docs --output {args.output}",
                file=sys.stderr,
            )
            return 1
        return 0
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
