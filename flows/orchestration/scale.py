"""Scale-out: the crawl's batch tasks on a Dask cluster, the flow still the only writer.

`agencywatch crawl --dask tcp://HOST:PORT` (or `AGENCYWATCH_DASK_ADDRESS`) crawls on the
Dask cluster through prefect-dask's `DaskTaskRunner(address=...)`: the run's hosts are split
over the workers, each worker's crawl scheduler crawls its share, and each task collects a
batch of finished pages (plain values, page bodies included) back to the flow, which writes
them to the SQLite store, as in a local run.

Why a shared Prefect server is required: a task run on a Dask worker reports its state, logs and
events to the Prefect API the worker's `PREFECT_API_URL` names. Without one, every worker process
starts its own ephemeral API server (~8 s each, all at once), they time out together and leave
server processes behind. So `--dask` refuses to start unless the flow has an API URL, and checks
before the crawl that every worker has one and has the project installed.

This module imports Prefect lazily: the CLI calls `check_dask()` after `prepare_prefect()`.
"""

from __future__ import annotations

import functools
import os
import socket
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flows.errors import ConfigError

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

DASK_ENV = "AGENCYWATCH_DASK_ADDRESS"
NEEDS_API = (
    "--dask needs PREFECT_API_URL naming a shared Prefect server (start one with "
    "`prefect server start --host 0.0.0.0`, export PREFECT_API_URL=http://HOST:4200/api here and "
    "on every Dask worker): without it each worker starts its own ephemeral API server, they time "
    "out together and leave server processes behind"
)


class ScaleOutError(ConfigError):
    """The Dask cluster or the Prefect server cannot be used (the CLI exits 2)."""


def default_dask_address() -> str | None:
    return os.environ.get(DASK_ENV) or None


def prefect_api_url() -> str | None:
    """The API URL Prefect will use (environment or profile); None for the ephemeral server."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def check_dask(address: str, *, timeout_s: float = 10.0) -> None:
    """Refuse early, in one line, what would fail later and worse. Raises `ScaleOutError`."""
    try:
        import distributed
        import prefect_dask  # noqa: F401
    except ImportError:
        raise ScaleOutError(
            "--dask needs the dask extra: pip install 'agencywatch[dask]'"
        ) from None
    api = prefect_api_url()
    if not api:
        raise ScaleOutError(NEEDS_API)
    _check_api(api, timeout_s)
    _check_reachable(address, timeout_s)
    try:
        client = distributed.Client(  # type: ignore[no-untyped-call]
            address, timeout=timeout_s, set_as_default=False
        )
    except OSError as exc:
        raise ScaleOutError(
            f"--dask {address}: cannot connect to the Dask scheduler: {exc}"
        ) from None
    try:
        facts: dict[str, dict[str, Any]] = client.run(_worker_facts())
    finally:
        client.close()  # type: ignore[no-untyped-call]
    if not facts:
        raise ScaleOutError(f"--dask {address}: the Dask scheduler has no workers")
    here = _worker_facts()()
    for worker, fact in sorted(facts.items()):
        if not fact["project"]:
            raise ScaleOutError(
                f"--dask {address}: worker {worker} cannot import the project "
                "(install agencywatch with its dask extra on every worker)"
            )
        if not fact["api"]:
            raise ScaleOutError(
                f"--dask {address}: worker {worker} has no PREFECT_API_URL "
                f"(start it with PREFECT_API_URL={api})"
            )
        if fact["digest"] != here["digest"]:
            raise ScaleOutError(
                f"--dask {address}: worker {worker} has another version of "
                f"agencywatch than this flow (code {fact['digest']} there, "
                f"{here['digest']} here): install the same one on every worker"
            )
        if fact["stale"]:
            raise ScaleOutError(
                f"--dask {address}: worker {worker} runs agencywatch code that "
                f"changed on disk after it started ({fact['stale']}): "
                "restart the Dask workers"
            )


def _worker_facts() -> Any:
    """A closure (so cloudpickle ships it by value, even to a worker without the project):
    what a worker knows of its setup. Batches carry the project's dataclasses pickled, so the
    flow and the workers must run the same code."""

    def facts() -> dict[str, Any]:
        import hashlib
        import importlib.util
        import os
        import sys
        import time
        from pathlib import Path

        try:
            project = importlib.util.find_spec("flows.orchestration.flow") is not None
        except ImportError:
            project = False
        digest = hashlib.sha256()
        started = time.time() - time.monotonic()  # boot time: a floor for the process start
        try:
            import psutil

            started = psutil.Process().create_time()
        except Exception:
            pass
        stale = ""
        for package in ("flows", "extractors", "store"):
            spec = importlib.util.find_spec(package) if project else None
            for folder in (spec.submodule_search_locations or []) if spec else []:
                for file in sorted(Path(folder).glob("*.py")):
                    digest.update(f"{package}/{file.name}\0".encode() + file.read_bytes())
                    module = sys.modules.get(f"{package}.{file.stem}")
                    if module is not None and os.path.getmtime(file) > started:
                        stale = stale or f"{package}/{file.name}"
        return {
            "api": os.environ.get("PREFECT_API_URL"),
            "project": project,
            "digest": digest.hexdigest()[:12],
            "stale": stale,
        }

    return facts


def _check_api(api: str, timeout_s: float) -> None:
    url = api.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            resp.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ScaleOutError(
            f"PREFECT_API_URL {api}: the Prefect server does not answer ({reason})"
        ) from None


def _check_reachable(address: str, timeout_s: float) -> None:
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return  # inproc://, ucx://...: let distributed judge
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ScaleOutError(f"--dask {address}: give the scheduler as tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise ScaleOutError(
            f"--dask {address}: cannot reach the Dask scheduler: {exc.strerror or exc}"
        ) from None


# -- the task runner that keeps each host on one worker ----------------------------------------


def task_runner(*, dask_address: str) -> TaskRunner[Any]:
    """The flow's task runner on the Dask cluster at `dask_address`: each collection task goes
    to the worker its `worker` parameter names (where the run's engine crawls its hosts)."""
    runner: TaskRunner[Any] = _dask_runner_class()(address=dask_address)
    return runner


@functools.cache
def _dask_runner_class() -> type[Any]:
    from dask.base import annotate
    from prefect_dask.task_runners import DaskTaskRunner

    class PlacedDaskTaskRunner(DaskTaskRunner):
        """prefect-dask's runner on an existing cluster. A run's sources are split over the
        workers it lists (`current_workers`), all of a host's on one, so the per-host
        politeness of that worker's engine holds; each task is placed on the worker it names."""

        def __init__(self, address: str) -> None:
            super().__init__(address=address)

        def duplicate(self) -> PlacedDaskTaskRunner:
            return type(self)(address=str(self.address))

        def submit(
            self,
            task: Any,
            parameters: dict[str, Any],
            wait_for: Any = None,
            dependencies: Any = None,
        ) -> Any:
            worker = parameters.get("worker")
            placement: dict[str, Any] = {}
            if isinstance(worker, str) and "://" in worker:
                # a preference, not a pin: if that worker is gone, the task runs elsewhere,
                # finds no engine of the run there, and the flow ends that worker's sources
                placement = {"workers": [worker], "allow_other_workers": True}
            with annotate(**placement):
                return super().submit(task, parameters, wait_for, dependencies)

        def current_workers(self) -> list[str]:
            info = self.client.scheduler_info()
            return sorted(info.get("workers", {}))

    return PlacedDaskTaskRunner
