"""Measured what-ifs for the crawl: the same pages, the run loop without Prefect, and variants
that patch one hot spot each (monkeypatches in a child process; no project file is changed).

    python -m bench.experiments --site bench-out/site --pages 2100 --variants all

Each variant runs `flows.run.loop.run_crawl_once` (what the CLI does minus
Prefect) in a fresh subprocess on a fresh database, against nginx serving the site, and reports
wall time, CPU time and peak RSS. `prefect` runs the real `agencywatch crawl` for comparison.

Variants (see VARIANTS): baseline, fast-text (trafilatura fast mode), no-trust-env (requests
without per-request proxy/netrc lookups), all (the two together), prefect. (Detail pages are
leaves in the crawl itself now, so the former leaf-pages variant is gone.)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.measure import mb, run_child
from bench.serve import Server

VARIANTS = ("prefect", "baseline", "fast-text", "no-trust-env", "all")


def _apply(patches: set[str]) -> None:
    """Monkeypatches for one variant, applied in the child before the crawl starts."""
    if "fast-text" in patches:
        import functools

        import trafilatura

        trafilatura.extract = functools.partial(trafilatura.extract, fast=True)
    if "no-trust-env" in patches:
        import requests

        init = requests.Session.__init__

        def session_init(self: Any, *a: Any, **kw: Any) -> None:
            init(self, *a, **kw)
            self.trust_env = False  # no proxy / netrc / CA-bundle env lookups per request

        requests.Session.__init__ = session_init  # type: ignore[method-assign]


def child(sources: str, db: str, patches: str) -> int:
    """Run one crawl without Prefect (what `agencywatch crawl` does inside its flow)."""
    import time

    t0 = time.monotonic()
    _apply({p for p in patches.split(",") if p})
    from flows.config import load_sources
    from flows.fetch.http import Fetcher, FetchPolicy
    from flows.run.loop import run_crawl_once
    from flows.settings import Settings

    t1 = time.monotonic()
    with Fetcher(FetchPolicy(user_agent=Settings().user_agent)) as fetcher:
        result = run_crawl_once(db, load_sources(sources), fetcher)
    t2 = time.monotonic()
    print(json.dumps({"imports_s": t1 - t0, "crawl_s": t2 - t1, "summary": result.summary}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.experiments")
    ap.add_argument("--site", default="bench-out/site")
    ap.add_argument("--pages", type=int, default=2100, help="max_pages of the source")
    ap.add_argument("--variants", default="all-variants",
                    help=f"comma list of {', '.join(VARIANTS)}, or all-variants")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", default="bench-out/experiments.json")
    ap.add_argument("--child", nargs=3, metavar=("SOURCES", "DB", "PATCHES"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(*args.child)
    names = list(VARIANTS) if args.variants == "all-variants" else args.variants.split(",")
    results: list[dict[str, Any]] = []
    bindir = Path(sys.executable).parent
    with Server(Path(args.site)) as server, tempfile.TemporaryDirectory() as tmp:
        base = server.start()
        sources = Path(tmp) / "sources.toml"
        sources.write_text(
            f'[[source]]\nname = "bench-agency"\nurl = "{base}/news/"\nkind = "news_list"\n'
            f"follow = true\nmax_pages = {args.pages}\ndelay = 0\n", encoding="utf-8")
        print(f"server {server.kind} {base}; {args.pages} pages per run", flush=True)
        for _ in range(args.repeat):
            for name in names:
                db = Path(tmp) / f"{name}.db"
                for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                    p.unlink(missing_ok=True)
                patches = {"all": "fast-text,no-trust-env"}.get(name, name)
                if name == "prefect":
                    cmd = [str(bindir / "agencywatch"), "crawl", "--sources", str(sources),
                           "--db", str(db)]
                    env = dict(os.environ, PREFECT_HOME=str(Path.cwd() / ".prefect" / "bench"),
                               PREFECT_LOGGING_LEVEL="WARNING")
                else:
                    cmd = [sys.executable, "-m", "bench.experiments", "--child", str(sources),
                           str(db), "" if name == "baseline" else patches]
                    env = dict(os.environ)
                run = run_child(cmd, env=env)
                out = run.output("out").strip().splitlines()
                info = json.loads(out[-1]) if out and out[-1].startswith("{") else {}
                row = {"variant": name, "wall_s": round(run.wall_s, 2),
                       "cpu_s": round(run.cpu_s, 2), "peak_rss_mb": round(mb(run.peak_rss_main)),
                       "other_cores": round(run.other_cores or 0, 2), "exit": run.returncode,
                       "pages_s": round(args.pages / run.wall_s, 1), **info}
                if run.returncode:
                    row["error"] = run.output()[-500:]
                results.append(row)
                print(json.dumps(row), flush=True)
    Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"$ python -m bench.experiments {shlex.join(sys.argv[1:] if argv is None else argv)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
