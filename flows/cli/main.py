"""The `agencywatch` command: a thin layer over the library.

Library errors become one clear line on stderr and an exit code: 2 for bad input (config,
database path, unknown run, unreadable page), 1 when a crawl could fetch nothing at all.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from extractors.errors import AgencywatchError
from extractors.kinds import PAGE_KINDS
from flows.errors import ConfigError
from flows.orchestration.schedule import cmd_schedule
from flows.settings import Settings, prepare_prefect
from store.outputs import terminal_json, terminal_text

if TYPE_CHECKING:
    from flows.cli.progress import CrawlWatcher
    from flows.config import Source
    from flows.run.loop import RunContext, RunResult
    from flows.run.scheduler import CrawlEngine

EPILOG = {
    "crawl": "example: agencywatch crawl --sources sources.toml --db agencywatch.db",
    "report": "example: agencywatch report --run latest --format html --output report.html",
    "extract": "example: agencywatch extract page.html --url https://www.klaster.lt/en/\n"
    "         agencywatch extract https://www.klaster.lt/en/ --source klaster-lt",
    "demo": "example: agencywatch demo",
    "validate": "example: agencywatch sources validate --sources sources.toml",
    "reprocess": "example: agencywatch reprocess --db agencywatch.db && agencywatch report --run N",
}


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agencywatch",
        description="Watch agency and programme websites: crawl, extract, store, report changes.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("crawl", help="run the crawl flow once", epilog=EPILOG["crawl"])
    p.add_argument("--sources", default=settings.sources, help="sources file (sources.toml)")
    p.add_argument("--db", default=settings.db, help="SQLite store (agencywatch.db)")
    p.add_argument(
        "--source",
        action="append",
        dest="only",
        metavar="NAME",
        help="crawl only this source (repeatable)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "live", "plain", "off"),
        default=os.environ.get("AGENCYWATCH_PROGRESS") or "auto",
        help="auto: a live view in a terminal, plain lines in a pipe or CI "
        "(also AGENCYWATCH_PROGRESS)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=os.environ.get("AGENCYWATCH_DASK_ADDRESS") or None,
        help="run the batch tasks on this Dask scheduler (tcp://HOST:PORT); "
        "needs PREFECT_API_URL (also AGENCYWATCH_DASK_ADDRESS)",
    )
    p.add_argument(
        "--local",
        action="store_true",
        help="crawl without Prefect: same store, report and progress; no flow run, no "
        "artifacts, no API server start-up (for cron re-crawls)",
    )
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser(
        "schedule",
        help="register the sources' cron schedules as Prefect deployments and serve them",
        epilog="example: agencywatch schedule --sources sources.toml --db agencywatch.db",
    )
    p.add_argument("--sources", default=settings.sources, help="sources file (sources.toml)")
    p.add_argument("--db", default=settings.db, help="SQLite store (agencywatch.db)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--serve",
        dest="register_only",
        action="store_false",
        help="register and run the scheduled crawls until stopped (default)",
    )
    mode.add_argument(
        "--register-only",
        dest="register_only",
        action="store_true",
        help="register (or update) the deployments and exit",
    )
    p.add_argument(
        "--port",
        type=int,
        default=4200,
        help="port of the Prefect server started when PREFECT_API_URL is not set",
    )
    p.add_argument(
        "--timezone",
        default=os.environ.get("AGENCYWATCH_TIMEZONE") or "UTC",
        help="IANA time zone of the cron expressions (UTC; also AGENCYWATCH_TIMEZONE)",
    )
    p.set_defaults(func=cmd_schedule, register_only=False)

    p = sub.add_parser("report", help="the change report of one run", epilog=EPILOG["report"])
    p.add_argument("--db", default=settings.db, help="SQLite store")
    p.add_argument("--run", default="latest", help="run number or 'latest'")
    p.add_argument(
        "--since",
        metavar="DATE",
        help="the changes of every crawl run since DATE (ISO), instead of one run",
    )
    p.add_argument("--format", choices=("md", "html", "json"), default="md")
    p.add_argument("--output", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "extract", help="extract one page and print its records as JSON", epilog=EPILOG["extract"]
    )
    p.add_argument("target", metavar="FILE_OR_URL")
    p.add_argument("--url", help="the page's URL, to resolve links (for a file)")
    p.add_argument(
        "--kind",
        choices=PAGE_KINDS,
        help="the page kind to read (default: the --source's kind, else auto)",
    )
    p.add_argument(
        "--source",
        metavar="NAME",
        help="read the page as this source's pages are read in a crawl: its kind, selectors, "
        "ignore and ignore_text (from --sources)",
    )
    p.add_argument("--sources", default=settings.sources, help="sources file for --source")
    p.add_argument(
        "--content-type",
        help="the Content-Type the page was served with, for a saved file (its charset decodes "
        "the bytes; a URL brings its own)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="instead of the records, say which regions of the page were considered, what "
        "each looked like and why each was kept or rejected (what to put in `selectors`)",
    )
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "demo",
        help="crawl the bundled fixture site twice and report changes",
        epilog=EPILOG["demo"],
    )
    p.add_argument("--db", help="keep the demo database here (default: a temporary folder)")
    p.add_argument("--format", choices=("md", "html", "json"), default="md")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "reprocess",
        help="re-run today's extractors over the stored pages",
        epilog=EPILOG["reprocess"],
    )
    p.add_argument("--sources", default=settings.sources, help="sources file")
    p.add_argument("--db", default=settings.db, help="SQLite store")
    p.add_argument("--source", action="append", dest="only", metavar="NAME")
    p.set_defaults(func=cmd_reprocess)

    p = sub.add_parser("sources", help="work with sources files")
    ssub = p.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    v = ssub.add_parser("validate", help="check a sources file", epilog=EPILOG["validate"])
    v.add_argument("--sources", default=settings.sources, help="sources file")
    v.set_defaults(func=cmd_validate)

    from flows.cli.store_commands import register

    register(sub, settings)  # search, explore, export, schema-docs
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    settings = Settings()
    args = build_parser(settings).parse_args(argv)
    try:
        return int(args.func(args, settings))
    except AgencywatchError as exc:  # config errors list one `file:line: why` per line
        print(terminal_text(f"agencywatch: {exc}"), file=sys.stderr)
        return 2
    except sqlite3.Error as exc:  # met while using a store: a damaged file, a full disk
        from store.db import describe_database_error

        return _error(describe_database_error(getattr(args, "db", None) or "the store", exc))
    except OSError as exc:  # a file or folder named on the command line
        where = exc.filename or getattr(args, "output", None) or "agencywatch"
        return _error(f"{where}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("agencywatch: interrupted", file=sys.stderr)
        return 130


def _error(message: str) -> int:
    """The one line on stderr every error gets (exit 2); whatever it quotes is shown inert."""
    print(terminal_text(f"agencywatch: {' '.join(message.split())}"), file=sys.stderr)
    return 2


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from flows.config import load_sources

    sources = load_sources(args.sources)
    print(f"{args.sources}: {len(sources)} sources, all valid")
    return 0


def cmd_crawl(args: argparse.Namespace, settings: Settings) -> int:
    from flows.config import load_sources, select_sources

    sources = select_sources(load_sources(args.sources), args.only)  # bad config: exit 2
    if args.local and args.dask:
        raise ConfigError("--local and --dask exclude each other (Dask runs Prefect tasks)")
    if not args.dask:  # Dask workers extract in their own threads
        from flows.run import extract_pool

        extract_pool.warm_up()  # its imports overlap ours and the API server's boot
    watcher = _watcher(args, run_log=not args.local)
    if args.local:
        return _crawl_local(args, settings, sources, watcher)
    prepare_prefect(settings)
    if args.dask:
        from flows.orchestration.scale import check_dask

        check_dask(args.dask)  # no API server, no workers, no project on them: exit 2 now
    from flows.run.extract_pool import extraction_processes
    from flows.run.loop import prepared_run

    # the run's one pre-flight: a bad store or another crawl on it ends here, before Prefect
    with (
        prepared_run(
            str(args.db), sources, lock_wait_s=settings.lock_wait_s, observer=watcher
        ) as ctx,
        extraction_processes(),
    ):
        api_server = None
        engine = None
        if not args.dask:
            from flows.orchestration import api_server as temporary_api

            # before Prefect is imported: the server boots on the other core meanwhile
            api_server = temporary_api.start_if_wanted()
            engine = _start_crawl_early(ctx, settings)
        try:
            from flows.orchestration.flow import run_crawl

            # what the imports made (~140,000 objects, most of them Prefect's) lives as long as
            # the process: full collections during the crawl need not walk it (5,000 articles:
            # 1.0 -> 0.5 s of the crawler's CPU in the oldest generation, 2 runs each)
            gc.freeze()
            outcome = run_crawl(
                str(args.sources),
                str(args.db),
                args.only,
                settings.user_agent,
                settings.lock_wait_s,
                prepared=ctx,
                dask_address=args.dask,
                api_server=api_server,
            )
        finally:
            if engine is not None:
                engine.close()
    return _crawl_done(outcome)


def _start_crawl_early(ctx: RunContext, settings: Settings) -> CrawlEngine | None:
    """Start the run's crawl in this process now, before Prefect is imported: robots.txt, start
    pages and what they link to need no API server (their pages wait in the scheduler for the
    flow to collect them). Returns the engine (None: the flow starts it)."""
    from flows.fetch.http import FetchPolicy
    from flows.run.scheduler import start_engine

    engine = start_engine(ctx.token, FetchPolicy(user_agent=settings.user_agent))
    engine.add(ctx.assignments())
    return engine


def _watcher(args: argparse.Namespace, *, run_log: bool) -> CrawlWatcher | None:
    if args.progress == "off":
        return None
    from flows.cli.progress import CrawlWatcher

    return CrawlWatcher(args.progress, run_log=run_log)


def _crawl_local(
    args: argparse.Namespace,
    settings: Settings,
    sources: list[Source],
    watcher: CrawlWatcher | None,
) -> int:
    from flows.fetch.http import FetchPolicy
    from flows.run.loop import run_local

    outcome = run_local(
        sources,
        str(args.db),
        FetchPolicy(user_agent=settings.user_agent),
        lock_wait_s=settings.lock_wait_s,
        observer=watcher,
    )
    return _crawl_done(outcome)


def _crawl_done(outcome: RunResult) -> int:
    for failure in outcome.report["failures"]:  # a page's or a server's words: shown inert
        print(terminal_text(f"failed: {failure['error']}"), file=sys.stderr)
    for line in outcome.cut_short:
        print(terminal_text(f"cut short: {line}"), file=sys.stderr)
    print(outcome.summary)
    return 1 if outcome.nothing_fetched else 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from store.db import StoreError, open_reader
    from store.report import render, report_data, report_since

    db = open_reader(args.db)
    try:
        data = report_since(db, args.since) if args.since else report_data(db, args.run)
    finally:
        db.close()
    text = render(data, args.format)
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"{args.output}: cannot write the report: {exc.strerror or exc}") from exc
    return 0


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from extractors.core import ReadOptions, read_page

    options = ReadOptions()
    if args.source:
        from flows.config import load_sources, select_sources

        options = select_sources(load_sources(args.sources), [args.source])[0].read_options()
    if args.kind:
        options = replace(options, kind=args.kind)
    target: str = args.target
    content_type = args.content_type
    if target.startswith(("http://", "https://")):
        body, url, served_type = _download(target, settings)
        content_type = content_type or served_type
    else:
        try:
            body = Path(target).read_bytes()
        except OSError as exc:
            print(f"agencywatch: {target}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            return 2
        url = args.url or Path(target).resolve().as_uri()
    options = replace(options, pager_hosts=None)
    if args.explain:
        from extractors.explain import explain

        sys.stdout.write(terminal_text(explain(body, url, content_type, options)))
        return 0
    reading = read_page(body, url, content_type, options)
    print(terminal_json(reading.extraction.to_json(), indent=2))
    return 0


def _download(url: str, settings: Settings) -> tuple[bytes, str, str | None]:
    from flows.fetch.http import Fetcher, FetchPolicy

    with Fetcher(FetchPolicy(user_agent=settings.user_agent)) as fetcher:
        result = fetcher.fetch(url)
    if result.error or result.body is None:
        raise AgencywatchError(result.error or f"{url}: empty answer")
    return result.body, result.final_url or url, result.content_type


def cmd_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    from flows.run.reprocess import reprocess

    result = reprocess(args.sources, args.db, args.only)
    print(f"{result['summary']} (changes caused by the extractors, not by the sites)")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    prepare_prefect(settings)
    from flows.cli.demo import run_demo

    return run_demo(db_path=args.db, fmt=args.format, settings=settings)
