"""Scheduled crawls: Prefect deployments of the crawl flow, one per cron expression.

Sources carry `schedule = "0 6 * * *"` in sources.toml; sources with the same cron run in one
deployment (one flow run, one store run). `agencywatch schedule` registers the deployments with a
Prefect server and serves them (`prefect.serve`, one flow run at a time, so two schedules that
fire together queue instead of tripping over the store's crawl lock). The server is the one
`PREFECT_API_URL` names, or one this command starts (`prefect server start --host 127.0.0.1`,
its database under `<prefect home>/server`) and stops on exit.

Deployment parameters: `sources_path` and `db_path` (absolute), `only` (the group's sources).
A deployment is named `cron-<cron>-<hash of the two paths>`, so two sources files on one server
do not collide; deployments this command made earlier for the same paths whose cron no longer
appears in the file are deleted.

Teams that deploy to a work pool use `prefect.yaml` at the repository root instead.

Prefect is imported only after the API URL is settled (Prefect reads its settings at import).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, cast

from flows.config import Source, cron_problem, load_sources
from flows.errors import ConfigError
from flows.orchestration.api_server import api_healthy, wait_healthy
from flows.settings import Settings, prepare_prefect

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

FLOW_NAME = "agencywatch-crawl"
TAG = "agencywatch"
DEFAULT_PORT = 4200
SERVER_START_TIMEOUT_S = 90.0


class ScheduleError(ConfigError):
    """A schedule or the Prefect server cannot be used (the CLI exits 2)."""


@dataclass(frozen=True, slots=True)
class Group:
    """The sources that share one cron expression: one deployment."""

    cron: str
    sources: tuple[str, ...]
    name: str  # deployment name

    @property
    def full_name(self) -> str:
        return f"{FLOW_NAME}/{self.name}"


# -- the plan: which deployments a sources file asks for -------------------------------------------


def plan_groups(
    sources: Sequence[Source], sources_path: str, db_path: str, *, raw: str = ""
) -> list[Group]:
    """Groups by cron, in order of first appearance; `ScheduleError` names a bad cron's line."""
    by_cron: dict[str, list[str]] = {}
    for source in sources:
        if source.schedule is None:
            continue
        cron = " ".join(source.schedule.split())
        problem = cron_problem(cron)
        if problem:
            raise ScheduleError(
                f"source {source.name!r}: schedule {source.schedule!r} {problem}",
                path=sources_path,
                line=_line_of(raw, source.schedule),
            )
        by_cron.setdefault(cron, []).append(source.name)
    digest = hashlib.sha1(f"{sources_path}\0{db_path}".encode()).hexdigest()[:6]
    return [
        Group(cron, tuple(names), deployment_name(cron, digest)) for cron, names in by_cron.items()
    ]


def deployment_name(cron: str, digest: str) -> str:
    slug = re.sub(r"[^0-9A-Za-z,*-]+", "_", cron)
    return f"cron-{slug}-{digest}"


def _line_of(raw: str, value: str) -> int | None:
    for n, line in enumerate(raw.splitlines(), 1):
        if re.match(r"\s*schedule\s*=", line) and value in line:
            return n
    return None


# -- the Prefect server ---------------------------------------------------------------------------


class PrefectServer:
    """`prefect server start` on 127.0.0.1 in its own process group; `stop()` ends the group."""

    def __init__(
        self,
        home: str | Path,
        port: int = DEFAULT_PORT,
        *,
        timeout_s: float = SERVER_START_TIMEOUT_S,
    ) -> None:
        self.home = Path(home)
        self.port = port
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.home / "server.log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> str:
        """Starts the server and waits until /api/health answers; returns the API URL."""
        if _port_in_use(self.port):
            hint = (
                f"a Prefect server already answers there: export "
                f"PREFECT_API_URL={self.api_url} to use it"
                if api_healthy(self.api_url)
                else "pass another --port"
            )
            raise ScheduleError(
                f"cannot start a Prefect server: 127.0.0.1:{self.port} is in use ({hint})"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_LOGGING_LEVEL="WARNING",
        )
        cmd = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            code = wait_healthy(self.proc, self.api_url, self.timeout_s, poll_s=0.25, probe_s=1.0)
        except TimeoutError:
            self.stop()
            raise ScheduleError(
                f"the Prefect server did not answer within {self.timeout_s:.0f} s "
                f"(log: {self.log_path})"
            ) from None
        if code is not None:
            self.proc = None
            raise ScheduleError(
                f"the Prefect server exited during start-up: "
                f"{_last_line(self.log_path)} (log: {self.log_path})"
            )
        return self.api_url

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # children that outlived the leader
            os.killpg(proc.pid, signal.SIGKILL)

    def __enter__(self) -> PrefectServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "no output"


@contextmanager
def prefect_api(
    settings: Settings, *, port: int = DEFAULT_PORT, say: IO[str] = sys.stderr
) -> Iterator[str]:
    """The API URL to work against: `PREFECT_API_URL`, or a server started here for the block.

    Call before Prefect is imported: the URL is put in the environment Prefect reads.
    """
    url = os.environ.get("PREFECT_API_URL")
    if url:
        if not api_healthy(url):
            raise ScheduleError(f"PREFECT_API_URL {url}: the Prefect server does not answer")
        print(f"Prefect server: {url} (PREFECT_API_URL)", file=say, flush=True)
        yield url
        return
    home = Path(settings.prefect_home) / "server"
    with PrefectServer(home, port) as server:
        print(
            f"starting a Prefect server on 127.0.0.1:{port} (state in {home}) ...",
            file=say,
            flush=True,
        )
        url = server.start()
        print(
            f"Prefect server: {url} (UI http://127.0.0.1:{port}); it stops when this does",
            file=say,
            flush=True,
        )
        os.environ["PREFECT_API_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("PREFECT_API_URL", None)


# -- deployments ----------------------------------------------------------------------------------


def build_deployments(
    groups: Sequence[Group], sources_path: str, db_path: str, timezone: str = "UTC"
) -> list[RunnerDeployment]:
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from flows.orchestration.flow import crawl_flow

    return [
        cast(
            "RunnerDeployment",
            crawl_flow.to_deployment(
                name=g.name,
                schedule=Cron(g.cron, timezone=timezone),
                paused=False,
                parameters={
                    "sources_path": sources_path,
                    "db_path": db_path,
                    "only": list(g.sources),
                },
                description=(
                    f"agencywatch crawl of {', '.join(g.sources)} at cron {g.cron!r} "
                    f"({timezone}); sources {sources_path}, store {db_path}"
                ),
                tags=[TAG],
                # the installed package, not a file path relative to the current folder
                entrypoint_type=EntrypointType.MODULE_PATH,
            ),
        )
        for g in groups
    ]


def register(deployments: Sequence[RunnerDeployment]) -> list[str]:
    """Creates or updates the deployments on the server; returns their ids."""
    return [str(d.apply()) for d in deployments]


def prune_stale(groups: Sequence[Group], sources_path: str, db_path: str) -> list[str]:
    """Deletes this command's earlier deployments for the same paths that the file no longer
    asks for (a changed or removed cron); returns their names."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterTags,
        FlowFilter,
        FlowFilterName,
    )

    wanted = {g.name for g in groups}
    removed: list[str] = []
    with get_client(sync_client=True) as client:
        found = client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[TAG])),
        )
        for d in found:
            params = d.parameters or {}
            if (
                d.name not in wanted
                and params.get("sources_path") == sources_path
                and params.get("db_path") == db_path
            ):
                client.delete_deployment(d.id)
                removed.append(d.name)
    return removed


def read_deployment(full_name: str) -> Any:
    """The deployment as the server has it (for checks and tests)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(full_name)


# -- the command ----------------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    """`agencywatch schedule`: register the sources' cron deployments and serve them."""
    sources_path = str(Path(args.sources).resolve())
    db_path = str(Path(args.db).resolve())
    sources = load_sources(sources_path)
    raw = Path(sources_path).read_text(encoding="utf-8")
    groups = plan_groups(sources, sources_path, db_path, raw=raw)
    if not groups:
        raise ScheduleError(
            'no source has a schedule: add schedule = "0 6 * * *" (a cron '
            "expression) to a [[source]]",
            path=args.sources,
        )
    from store.db import open_db

    open_db(db_path).close()  # a store it cannot open: exit 2 now, not at 6 a.m.
    prepare_prefect(settings)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with prefect_api(settings, port=args.port) as url:
            deployments = build_deployments(groups, sources_path, db_path, args.timezone)
            removed = prune_stale(groups, sources_path, db_path)
            for name in removed:
                print(f"removed stale deployment {FLOW_NAME}/{name}", file=sys.stderr)
            if args.register_only:
                register(deployments)
                _describe(groups, args.timezone, "registered")
                print(
                    f"registered {len(groups)} deployment(s) on {url}; not served: run "
                    "`agencywatch schedule` (or `prefect deploy` with a work pool) to run them"
                )
                return 0
            _describe(groups, args.timezone, "serving")
            print(
                f"serving {len(groups)} deployment(s) on {url}, one run at a time; Ctrl-C stops",
                flush=True,
            )
            serve(deployments)
            return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(deployments: Sequence[RunnerDeployment]) -> None:
    """Blocks: applies the deployments and runs their scheduled (and triggered) flow runs, one
    at a time, until Ctrl-C or SIGTERM; then pauses their schedules, as `prefect.serve` does."""
    import asyncio

    from prefect.runner import Runner

    runner = Runner(limit=1, pause_on_shutdown=True)
    for deployment in deployments:
        runner.add_deployment(deployment)
    # Prefect's own SIGTERM handler calls an async stop without awaiting it (3.8.8): the
    # schedules stay active and a RuntimeWarning is printed. SIGTERM takes Ctrl-C's path instead.
    runner.handle_sigterm = _interrupt  # type: ignore[method-assign]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.start())


def _describe(groups: Sequence[Group], timezone: str, verb: str) -> None:
    for g in groups:
        print(
            f"{verb} {g.full_name}: cron {g.cron!r} ({timezone}): {', '.join(g.sources)}",
            file=sys.stderr,
            flush=True,
        )


def _interrupt(signum: int, frame: FrameType | None = None) -> None:
    """SIGTERM does what Ctrl-C does at this moment. While serving, that is asyncio.run's own
    SIGINT handler: it cancels the runner's task, which stops it and pauses its schedules.
    Raising KeyboardInterrupt here instead was lost whenever the signal arrived while Python
    ran a weakref callback (it prints "Exception ignored in" and goes on): the server kept
    serving until it was killed. Elsewhere Python's default handler raises KeyboardInterrupt,
    which stops the server we started and exits 130."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:  # SIGINT ignored or left to the OS: stop anyway
        raise KeyboardInterrupt
