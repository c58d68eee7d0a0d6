"""A real Prefect server for the tests that need one (schedules, Dask scale-out, progress).

Import the fixtures explicitly in a test module:

    from tests.prefect_server import prefect_server_fixture  # noqa: F401

`prefect_server` (session): `prefect server start --host 127.0.0.1` on a free port, with its own
PREFECT_HOME in a temporary folder, started once (~10 s, generous 90 s timeout) and killed with
its process group at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGENCYWATCH = [sys.executable, "-m", "flows"]


@dataclass(frozen=True)
class ServerInfo:
    api_url: str
    home: Path
    port: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_SHARED: list[tuple[ServerInfo, object]] = []  # one server per test process


@pytest.fixture(scope="session", name="prefect_server")
def prefect_server_fixture() -> Iterator[ServerInfo]:
    """Each module that imports this fixture gets its own session-scoped copy of it, so the
    server itself is kept here: started by the first, stopped at the end of the session."""
    if not _SHARED:
        from flows.orchestration.schedule import PrefectServer

        home = Path(tempfile.mkdtemp(prefix="agencywatch-prefect-server-"))
        port = free_port()
        server = PrefectServer(home, port, timeout_s=90)
        try:
            url = server.start()
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise
        _SHARED.append((ServerInfo(url, home, port), server))
    info, _server = _SHARED[0]
    yield info
    _stop_shared()  # session end: the first copy's teardown stops it, the others find nothing


def _stop_shared() -> None:
    if not _SHARED:
        return
    info, server = _SHARED.pop()
    drain_prefect_workers()
    server.stop()  # type: ignore[attr-defined]
    shutil.rmtree(info.home, ignore_errors=True)


def drain_prefect_workers() -> None:
    """Send what this process's Prefect still holds (events, logs) while the server is up; else
    its background workers retry a dead server at exit and print errors."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=10)


@contextmanager
def in_process_prefect(api_url: str) -> Iterator[None]:
    """Run Prefect flows in this test process against `api_url`, and stop its background workers
    afterwards, while they still see the server they report to (why they must stop: conftest's
    `no_prefect_workers_left`)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        try:
            yield
        finally:
            drain_prefect_workers()  # while the workers still see the server they report to


def cli_env(api_url: str | None, prefect_home: Path, **extra: str) -> dict[str, str]:
    """The environment of an `agencywatch` child process: reporting to `api_url` (or to its own
    ephemeral server when None), never a terminal's CI marker."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k not in ("CI", "AGENCYWATCH_DASK_ADDRESS")}
    env.update(
        PREFECT_HOME=str(prefect_home),
        AGENCYWATCH_PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90",
        PREFECT_LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 180,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AGENCYWATCH, *args], env=env, cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def sources_with_schedules(base_url: str, crons: list[str | None]) -> str:
    """The fixture site's sources file, with `schedule = cron` added to source i (None: none)."""
    from flows.cli.fixture_site import fixture_sources_text

    out: list[str] = []
    i = 0
    for line in fixture_sources_text(base_url).splitlines():
        out.append(line)
        if line.strip() == "[[source]]":
            cron = crons[i] if i < len(crons) else None
            if cron:
                out.append(f'schedule = "{cron}"')
            i += 1
    return "\n".join(out) + "\n"
