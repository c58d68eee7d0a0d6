"""`agencywatch crawl --dask`: the batch tasks run on a real 2-worker Dask LocalCluster that
reports to a real Prefect server; the flow writes the same store rows and the same change
report as a local crawl."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_server import (  # noqa: F401  (fixture)
    ServerInfo,
    cli_env,
    in_process_prefect,
    prefect_server_fixture,
    run_cli,
    sources_with_schedules,
)

pytest.importorskip("prefect_dask")
distributed = pytest.importorskip("distributed")

# columns that differ between two stores of the same crawl: ids, run ids, clock times
VOLATILE = {"id", "run_id", "item_id", "source_id", "page_id", "fetch_id", "version_id",
            "valid_from", "valid_to", "valid_from_run", "valid_to_run", "first_run",
            "last_run", "first_seen_run", "last_seen_run", "started_at", "finished_at",
            "fetched_at", "created_at", "seen_at", "first_seen", "last_seen", "elapsed_ms",
            "pid", "last_fetched_at", "last_changed_at", "updated_at"}
TABLES = ("items", "item_versions", "news_items", "events", "good_practices", "figures",
          "changes", "pages")


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    from flows.cli.fixture_site import FixtureSite

    with FixtureSite() as s:
        s.start()
        yield s


@pytest.fixture(scope="module")
def cluster(prefect_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("dask-prefect-home")
    env = {"PREFECT_API_URL": prefect_server.api_url, "PREFECT_HOME": str(home),
           "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=":0", env=env) as c:
        yield c.scheduler_address


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(db) as con:
        for table in TABLES:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info([{table}])")]
            keep = [c for c in cols if c not in VOLATILE]
            rows = con.execute(f"SELECT {', '.join(f'[{c}]' for c in keep)} FROM [{table}]")
            out[table] = sorted((tuple(zip(keep, r, strict=True)) for r in rows), key=repr)
    return out


def _diff(table: str, a: dict[str, list[Any]], b: dict[str, list[Any]]) -> str:
    """The columns that differ, row by row (rows paired by their first column)."""
    left = {r[0]: dict(r) for r in a[table]}
    right = {r[0]: dict(r) for r in b[table]}
    out = [f"{table}: {len(a[table])} rows vs {len(b[table])}"]
    for key in sorted(set(left) | set(right), key=repr):
        x, y = left.get(key, {}), right.get(key, {})
        cols = [c for c in {**x, **y} if x.get(c) != y.get(c)]
        out += [f"{key}: {c}: {str(x.get(c))[:150]!r} != {str(y.get(c))[:150]!r}" for c in cols]
    return "\n".join(out[:20])


def _report(db: Path, env: dict[str, str]) -> dict[str, Any]:
    res = run_cli(["report", "--db", str(db), "--format", "json"], env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    for key in ("id", "started_at", "finished_at"):
        data["run"].pop(key)
    return data


@pytest.mark.e2e
@pytest.mark.slow
def test_a_dask_crawl_stores_what_a_local_crawl_stores(
    tmp_path: Path, site: Any, cluster: str, prefect_server: ServerInfo
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_with_schedules(site.base_url, []), encoding="utf-8")
    env = cli_env(prefect_server.api_url, tmp_path / "prefect")
    local, dask = tmp_path / "local.db", tmp_path / "dask.db"
    for snapshot in (1, 2):
        site.set_snapshot(snapshot)
        for db, extra in ((local, []), (dask, ["--dask", cluster])):
            res = run_cli(["crawl", "--sources", str(sources), "--db", str(db), *extra], env)
            assert res.returncode == 0, res.stderr
            assert res.stdout.startswith(f"run {snapshot} completed"), res.stdout
    site.set_snapshot(1)

    def engines_here() -> int:  # a closure: cloudpickle ships it by value
        import flows.run.scheduler

        return flows.run.scheduler.engines_started

    with distributed.Client(cluster, set_as_default=False) as client:
        ran = client.run(engines_here)
    assert sum(ran.values()) >= 2, "no crawl ran on a Dask worker"
    dask_rows, local_rows = _rows(dask), _rows(local)
    for table in TABLES:
        assert dask_rows[table] == local_rows[table], _diff(table, dask_rows, local_rows)
    report = _report(dask, env)
    assert report == _report(local, env)
    assert report["changes"], "snapshot 2 changes the fixture site: the report cannot be empty"


@pytest.mark.e2e
def test_dask_without_prefect_api_url_is_refused_in_one_line(tmp_path: Path, site: Any) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_with_schedules(site.base_url, []), encoding="utf-8")
    res = run_cli(["crawl", "--sources", str(sources), "--db", str(tmp_path / "a.db"),
                   "--dask", "tcp://127.0.0.1:8786"], cli_env(None, tmp_path / "prefect"))
    assert res.returncode == 2
    (line,) = res.stderr.strip().splitlines()
    assert "--dask needs PREFECT_API_URL" in line and "ephemeral" in line
    # refused before the store was touched: nothing was crawled
    assert not (tmp_path / "a.db").exists()


@pytest.mark.e2e
def test_workers_without_prefect_api_url_are_refused(prefect_server: ServerInfo) -> None:
    from flows.orchestration.scale import ScaleOutError, check_dask

    # in-process workers share this process's environment, which has no PREFECT_API_URL
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as c, \
            in_process_prefect(prefect_server.api_url), \
            pytest.raises(ScaleOutError, match="has no PREFECT_API_URL"):
        check_dask(c.scheduler_address)


def test_an_unreachable_scheduler_is_refused(prefect_server: ServerInfo) -> None:
    from flows.orchestration.scale import ScaleOutError, check_dask
    from tests.prefect_server import free_port

    with in_process_prefect(prefect_server.api_url), \
            pytest.raises(ScaleOutError, match="cannot reach the Dask scheduler"):
        check_dask(f"tcp://127.0.0.1:{free_port()}", timeout_s=2)
