"""`python -m bench.dask_timing`: a crawl of the synthetic site locally and on a Dask cluster.

Measures, each `agencywatch crawl` a child process on a fresh store (wall time from the shell's
point of view, Prefect start-up included):

- Prefect start-up: a one-page crawl with the ephemeral API server (no PREFECT_API_URL) and with a
  running `prefect server` (PREFECT_API_URL); the server's own start-up (fresh and warm database);
  the LocalCluster's start-up;
- the N-article crawl, in two layouts of the same site:
  `single`  one source (the bench's usual sources file): one task, so Dask has nothing to spread;
  `sharded` one source per list page (the list page, the next one and its 20 articles:
            max_pages 22), on two host names of the loopback server: N/20 sources whose
            batches the Dask runner spreads over the workers, host by host;
  each run three ways: local with the ephemeral server, local with the server, `--dask` on a
  LocalCluster(n_workers=W, processes=True) whose workers report to that server.

    python -m bench.dask_timing --articles 5000 --workers 2
Writes bench-out/dask/results.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench import site
from bench.measure import ChildRun, run_child
from bench.serve import Server, free_port

AGENCYWATCH = [sys.executable, "-m", "flows"]


def sources_single(base: str, articles: int) -> str:
    pages = articles + -(-articles // site.PER_PAGE) + 5
    return ('[[source]]\nname = "bench-agency"\n'
            f'url = "{base}/news/"\nkind = "news_list"\nfollow = true\n'
            f"max_pages = {pages}\ndelay = 0\n")


def sources_sharded(base: str, articles: int, hosts: int = 2) -> str:
    """One source per list page; the sources alternate between `hosts` names of the loopback
    server (127.0.0.1, localhost, vm), because scale-out spreads hosts, not one host's pages:
    each host's batches go to one worker, whose fetcher keeps that host's politeness."""
    names = ["127.0.0.1", "localhost", "vm", "runsc"][:hosts]
    lists = -(-articles // site.PER_PAGE)
    out = []
    for k in range(1, lists + 1):
        host_base = base.replace("127.0.0.1", names[k % len(names)])
        url = f"{host_base}{site.list_url(k)}"
        out.append(f'[[source]]\nname = "bench-p{k}"\nurl = "{url}"\nkind = "news_list"\n'
                   f"follow = true\nmax_pages = {site.PER_PAGE + 2}\ndelay = 0\n")
    return "\n".join(out)


def env_for(prefect_home: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(prefect_home), AGENCYWATCH_PREFECT_HOME=str(prefect_home),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
               AGENCYWATCH_PROGRESS="plain", PYTHONUNBUFFERED="1")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def crawl(out: Path, name: str, sources: Path, env: dict[str, str],
          extra: list[str] | None = None) -> dict[str, Any]:
    db = out / f"{name}.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    run: ChildRun = run_child([*AGENCYWATCH, "crawl", "--sources", str(sources), "--db", str(db),
                               *(extra or [])], env=env, timeout=3600)
    (out / f"{name}.log").write_text(run.output(), encoding="utf-8")
    summary = next((t for _t, s, t in run.lines if s == "out" and t.startswith("run ")), "")
    print(f"  {name}: exit {run.returncode}, {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s cpu "
          f"(this process tree); {summary}", flush=True)
    if run.returncode != 0:
        print(run.output()[-3000:], file=sys.stderr)
    return {"name": name, "exit": run.returncode, "wall_s": round(run.wall_s, 2),
            "cpu_s": round(run.cpu_s, 2), "peak_rss_mb": round(run.peak_rss_main / 2**20, 1),
            "summary": summary}


def executed_per_worker(address: str) -> dict[str, int]:
    from distributed import Client

    def executed(dask_worker: Any) -> int:  # a closure: shipped by value
        return int(dask_worker.state.executed_count)

    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        return dict(sorted(client.run(executed).items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads-per-worker", type=int, default=2)
    ap.add_argument("--layouts", default="single,sharded")
    ap.add_argument("--out", default="bench-out/dask")
    ap.add_argument("--modes", default="ephemeral,server,dask",
                    help="which N-article crawls to run (ephemeral, server, dask)")
    args = ap.parse_args(argv)

    from distributed import LocalCluster

    from flows.orchestration.schedule import PrefectServer

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    site_dir = out / "site"
    manifest = site_dir / site.MANIFEST
    if not manifest.exists() or site.load_manifest(site_dir)["articles"] != args.articles:
        print(f"generating {args.articles} articles in {site_dir} ...", flush=True)
        site.generate(site_dir, args.articles)
    results: dict[str, Any] = {"articles": args.articles, "workers": args.workers,
                               "threads_per_worker": args.threads_per_worker, "startup": {},
                               "crawls": []}
    home = out / "prefect-client"
    with Server(site_dir) as web:
        base = web.start()
        print(f"site on {base} ({web.kind})", flush=True)
        one = out / "one-page.toml"
        one.write_text(sources_single(base, 1).replace("follow = true", "follow = false"),
                       encoding="utf-8")
        baseline = run_child([*AGENCYWATCH, "sources", "validate", "--sources", str(one)],
                             env=env_for(home, None))
        results["startup"]["process_without_prefect_s"] = round(baseline.wall_s, 2)
        print(f"  a process that never imports Prefect (sources validate): "
              f"{baseline.wall_s:.2f} s", flush=True)
        # warm the ephemeral server's database once, so its start-up is the steady one
        crawl(out, "warm-ephemeral", one, env_for(home, None))
        results["startup"]["one_page_ephemeral"] = crawl(out, "one-page-ephemeral", one,
                                                         env_for(home, None))
        server_home = out / "prefect-server"
        shutil.rmtree(server_home, ignore_errors=True)
        timings = {}
        for label in ("fresh_db", "warm_db"):
            server = PrefectServer(server_home, free_port(), timeout_s=120)
            t0 = time.monotonic()
            api = server.start()
            timings[label] = round(time.monotonic() - t0, 2)
            if label == "fresh_db":
                server.stop()
        results["startup"]["prefect_server_start_s"] = timings
        print(f"  prefect server start: {timings}", flush=True)
        try:
            server_env = env_for(home, api)
            results["startup"]["one_page_server"] = crawl(out, "one-page-server", one,
                                                          server_env)
            worker_env = {"PREFECT_API_URL": api, "PREFECT_HOME": str(out / "prefect-workers"),
                          "PREFECT_LOGGING_LEVEL": "WARNING",
                          "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
            t0 = time.monotonic()
            with LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                processes=True, dashboard_address=":0", env=worker_env,
            ) as cluster:
                results["startup"]["local_cluster_start_s"] = round(time.monotonic() - t0, 2)
                address = cluster.scheduler_address
                results["startup"]["one_page_dask"] = crawl(out, "one-page-dask", one, server_env,
                                                            ["--dask", address])
                for layout in args.layouts.split(","):
                    text = (sources_single if layout == "single" else sources_sharded)(
                        base, args.articles)
                    sources = out / f"sources-{layout}.toml"
                    sources.write_text(text, encoding="utf-8")
                    print(f"layout {layout}: {text.count('[[source]]')} source(s)", flush=True)
                    runs = []
                    modes = args.modes.split(",")
                    if "ephemeral" in modes:
                        runs.append(crawl(out, f"{layout}-local-ephemeral", sources,
                                          env_for(home, None)))
                    if "server" in modes:
                        runs.append(crawl(out, f"{layout}-local-server", sources, server_env))
                    if "dask" in modes:
                        before = executed_per_worker(address)
                        row = crawl(out, f"{layout}-dask-{args.workers}w", sources, server_env,
                                    ["--dask", address])
                        after = executed_per_worker(address)
                        row["tasks_per_worker"] = [after[w] - before.get(w, 0) for w in after]
                        print(f"    batches run per worker: {row['tasks_per_worker']}",
                              flush=True)
                        runs.append(row)
                    for r in runs:
                        r["layout"] = layout
                    results["crawls"] += runs
        finally:
            server.stop()
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
