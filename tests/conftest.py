"""Test-wide setup. Prefect reads its settings at import, so its environment is set here,
before any test module imports the flow."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# One Prefect home for the test session, inside the project (gitignored): the ephemeral API
# server migrates its database once (~14 s) and later sessions reuse it (~8 s start).
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect" / "tests"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
os.environ.pop("PREFECT_API_URL", None)  # tests never talk to a shared server by accident
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def fixture_site() -> Iterator[object]:
    """The bundled fixture site served on 127.0.0.1 (port 0), snapshot 1."""
    from flows.cli.fixture_site import FixtureSite

    with FixtureSite() as site:
        site.start()
        yield site


@pytest.fixture(autouse=True)
def no_prefect_workers_left() -> Iterator[None]:
    """Stop Prefect's background workers after every test that ran a flow in this process
    (the e2e crawls start Prefect's own ephemeral server; others use
    `prefect_server.in_process_prefect`). Left running, the events worker keeps a websocket
    open whose keepalive pings draw from the global `random` every 20 s, from another thread:
    a Hypothesis test running later in the session sees the global random state move under its
    strategies and fails as flaky."""
    yield
    from tests.prefect_server import drain_prefect_workers

    drain_prefect_workers()
