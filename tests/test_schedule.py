"""`agencywatch schedule`: cron groups become Prefect deployments on a real Prefect server, and a
served deployment, when triggered, crawls the local fixture site into the store."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.config import parse_sources
from flows.errors import ConfigError
from flows.orchestration.schedule import FLOW_NAME, plan_groups
from tests.prefect_server import (  # noqa: F401  (fixture)
    AGENCYWATCH,
    ROOT,
    ServerInfo,
    cli_env,
    free_port,
    in_process_prefect,
    prefect_server_fixture,
    run_cli,
    sources_with_schedules,
)

DAILY, HOURLY = "0 6 * * *", "15 * * * *"


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    from flows.cli.fixture_site import FixtureSite

    with FixtureSite() as site:
        yield site.start()


def _names(text: str) -> list[str]:
    return [s.name for s in parse_sources(text)]


def test_sources_with_the_same_cron_share_one_deployment() -> None:
    raw = "\n".join(
        f'[[source]]\nname = "s{i}"\nurl = "https://example.org/{i}"\n' + (
            f'schedule = "{cron}"\n' if cron else "")
        for i, cron in enumerate([DAILY, HOURLY, "0  6 * * *", None])
    )
    groups = plan_groups(parse_sources(raw), "/x/sources.toml", "/x/a.db", raw=raw)
    assert [(g.cron, g.sources) for g in groups] == [(DAILY, ("s0", "s2")), (HOURLY, ("s1",))]
    assert len({g.name for g in groups}) == 2
    # the name depends on the paths, so two sources files on one server do not collide
    other = plan_groups(parse_sources(raw), "/y/sources.toml", "/x/a.db", raw=raw)
    assert {g.name for g in groups}.isdisjoint(g.name for g in other)


@pytest.mark.parametrize("cron", ["61 * * * *", "0 6 * *", "H 6 * * *"])
def test_a_bad_cron_names_the_file_and_line(cron: str) -> None:
    """Validating the sources file finds it (`sources validate` too), by file and line."""
    raw = f'[[source]]\nname = "a"\nurl = "https://example.org/"\nschedule = "{cron}"\n'
    with pytest.raises(ConfigError) as err:
        parse_sources(raw, "/x/sources.toml")
    assert str(err.value).startswith(f"/x/sources.toml:4: schedule {cron!r}")


def test_no_schedule_is_a_clear_error(tmp_path: Path, site_url: str) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_with_schedules(site_url, []), encoding="utf-8")
    env = cli_env(None, tmp_path / "prefect")
    res = run_cli(["schedule", "--register-only", "--sources", str(sources),
                   "--db", str(tmp_path / "a.db")], env)
    assert res.returncode == 2
    assert "no source has a schedule" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
@pytest.mark.slow
def test_register_only_registers_one_deployment_per_cron(
    tmp_path: Path, site_url: str, prefect_server: ServerInfo
) -> None:
    sources = tmp_path / "sources.toml"
    text = sources_with_schedules(site_url, [DAILY, HOURLY, DAILY])
    sources.write_text(text, encoding="utf-8")
    db = tmp_path / "store.db"
    env = cli_env(prefect_server.api_url, tmp_path / "prefect")
    res = run_cli(["schedule", "--register-only", "--sources", str(sources), "--db", str(db)],
                  env)
    assert res.returncode == 0, res.stderr
    names = _names(text)
    groups = plan_groups(parse_sources(text), str(sources.resolve()), str(db.resolve()))
    assert [g.sources for g in groups] == [(names[0], names[2]), (names[1],)]

    deployments = {g.cron: _read(prefect_server, g.name) for g in groups}
    for g in groups:
        d = deployments[g.cron]
        assert [s.schedule.cron for s in d.schedules] == [g.cron]
        assert all(s.active for s in d.schedules)
        assert d.parameters == {"sources_path": str(sources.resolve()),
                                "db_path": str(db.resolve()), "only": list(g.sources)}
        assert d.entrypoint == "flows.orchestration.flow.crawl_flow"

    # a cron that changes in the file replaces its deployment: no stale schedule keeps firing
    sources.write_text(sources_with_schedules(site_url, [DAILY, "30 7 * * 1", DAILY]),
                       encoding="utf-8")
    res = run_cli(["schedule", "--register-only", "--sources", str(sources), "--db", str(db)],
                  env)
    assert res.returncode == 0, res.stderr
    assert f"removed stale deployment {FLOW_NAME}/{groups[1].name}" in res.stderr
    assert _read(prefect_server, groups[1].name) is None
    assert _read(prefect_server, groups[0].name) is not None


@pytest.mark.e2e
@pytest.mark.slow
def test_a_served_deployment_crawls_into_the_store(
    tmp_path: Path, site_url: str, prefect_server: ServerInfo
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_with_schedules(site_url, ["0 3 1 1 *"]), encoding="utf-8")
    db = tmp_path / "store.db"
    env = cli_env(prefect_server.api_url, tmp_path / "prefect", PREFECT_RUNNER_POLL_FREQUENCY="1")
    serve = subprocess.Popen(
        [*AGENCYWATCH, "schedule", "--sources", str(sources), "--db", str(db)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        (group,) = plan_groups(parse_sources(sources.read_text()), str(sources.resolve()),
                               str(db.resolve()))
        _wait_for_deployment(prefect_server, group.name, serve)
        from prefect.deployments import run_deployment

        with in_process_prefect(prefect_server.api_url):
            flow_run = run_deployment(group.full_name, timeout=150, poll_interval=1)
        assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
        with sqlite3.connect(db) as con:
            runs = con.execute("SELECT status, sources, pages_fetched FROM runs").fetchall()
        assert len(runs) == 1
        status, names, fetched = runs[0]
        assert status == "completed" and fetched > 0
        assert names == f'["{group.sources[0]}"]'
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            _out, err = serve.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            _out, err = serve.communicate()
    assert serve.returncode == 0, err
    assert "RuntimeWarning" not in err
    served = _read(prefect_server, group.name)
    assert served is not None and served.paused  # stopping the server pauses its schedules


@pytest.mark.e2e
@pytest.mark.slow
def test_without_prefect_api_url_it_starts_and_stops_its_own_server(
    tmp_path: Path, site_url: str
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_with_schedules(site_url, [DAILY]), encoding="utf-8")
    port = free_port()
    home = tmp_path / "prefect"
    env = cli_env(None, home)
    res = run_cli(["schedule", "--register-only", "--port", str(port), "--sources",
                   str(sources), "--db", str(tmp_path / "a.db")], env)
    assert res.returncode == 0, res.stderr
    assert f"starting a Prefect server on 127.0.0.1:{port}" in res.stderr
    assert "registered 1 deployment(s)" in res.stdout
    assert (home / "server" / "prefect.db").exists()  # its state lives in the project's home
    from flows.orchestration.schedule import _port_in_use

    assert not _port_in_use(port), "the server it started is still listening"


def _read(server: ServerInfo, name: str) -> object:
    from prefect.exceptions import ObjectNotFound

    from flows.orchestration.schedule import read_deployment

    with in_process_prefect(server.api_url):
        try:
            return read_deployment(f"{FLOW_NAME}/{name}")
        except ObjectNotFound:
            return None


def _wait_for_deployment(server: ServerInfo, name: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"agencywatch schedule exited: {proc.communicate()[1]}")
        if _read(server, name) is not None:
            return
        time.sleep(0.5)
    raise AssertionError("the served deployment never appeared on the server")


def test_sigterm_takes_the_path_ctrl_c_takes() -> None:
    """While serving, asyncio's SIGINT handler cancels the runner's task: SIGTERM must call it,
    not raise KeyboardInterrupt into whatever runs (lost inside a weakref callback)."""
    from flows.orchestration.schedule import _interrupt

    calls: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        _interrupt(signal.SIGTERM)  # returns: the stop is the SIGINT handler's to make
        assert calls == [signal.SIGINT]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with pytest.raises(KeyboardInterrupt):
            _interrupt(signal.SIGTERM)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with pytest.raises(KeyboardInterrupt):
            _interrupt(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGINT, previous)
