"""Scale-out: the crawl's batch tasks on a Dask cluster, the flow still the only writer.

`agencywatch crawl --dask tcp://HOST:PORT` (or `AGENCYWATCH_DASK_ADDRESS`) runs the
fetch-and-extract tasks (one per source) on the Dask cluster through prefect-dask's
`DaskTaskRunner(address=...)`. Each task returns its `SourceBatch` (plain values, page bodies
included) to the flow, which writes it to the SQLite store in one transaction, as in a local run.

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
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flows.errors import ConfigError
from flows.progress import CrawlWatcher, watch_batch, watching

if TYPE_CHECKING:
    from prefect.futures import PrefectFuture
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
            raise ScaleOutError(f"--dask {address}: worker {worker} cannot import the project "
                                "(install agencywatch with its dask extra on every worker)")
        if not fact["api"]:
            raise ScaleOutError(f"--dask {address}: worker {worker} has no PREFECT_API_URL "
                                f"(start it with PREFECT_API_URL={api})")
        if fact["digest"] != here["digest"]:
            raise ScaleOutError(f"--dask {address}: worker {worker} has another version of "
                                f"agencywatch than this flow (code {fact['digest']} there, "
                                f"{here['digest']} here): install the same one on every worker")
        if fact["stale"]:
            raise ScaleOutError(f"--dask {address}: worker {worker} runs agencywatch code that "
                                f"changed on disk after it started ({fact['stale']}): "
                                "restart the Dask workers")


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
            project = importlib.util.find_spec("flows.pipeline") is not None
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
        return {"api": os.environ.get("PREFECT_API_URL"), "project": project,
                "digest": digest.hexdigest()[:12], "stale": stale}

    return facts


def _check_api(api: str, timeout_s: float) -> None:
    url = api.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            resp.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ScaleOutError(f"PREFECT_API_URL {api}: the Prefect server does not answer "
                            f"({reason})") from None


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
        raise ScaleOutError(f"--dask {address}: cannot reach the Dask scheduler: "
                            f"{exc.strerror or exc}") from None


# -- task runners that feed the progress view ---------------------------------------------------


def task_runner(
    *, dask_address: str | None, watcher: CrawlWatcher | None, max_workers: int = 8
) -> TaskRunner[Any]:
    """The flow's task runner: threads of this process, or the Dask cluster at `dask_address`.

    Both report each submitted and each finished batch to the watcher; the thread runner also
    lets `page_hook()` in the task reach it, for per-page progress.
    """
    runner: TaskRunner[Any]
    if dask_address:
        runner = _dask_runner_class()(address=dask_address, watcher=watcher)
    else:
        runner = _thread_runner_class()(max_workers=max_workers, watcher=watcher)
    return runner


def _observe(
    watcher: CrawlWatcher | None, future: PrefectFuture[Any], params: dict[str, Any]
) -> None:
    name = getattr(params.get("source"), "name", None)
    if watcher is None or not isinstance(name, str):
        return
    work = [item[0] for item in params.get("work") or () if isinstance(item, tuple | list)]
    watch_batch(watcher, name, work, future)


def _without_watcher(state: dict[str, Any]) -> dict[str, Any]:
    state["watcher"] = None
    return state


@functools.cache
def _thread_runner_class() -> type[Any]:
    from prefect.task_runners import ThreadPoolTaskRunner

    class WatchedThreadPoolTaskRunner(ThreadPoolTaskRunner[Any]):
        """Threads of the flow's process; the task sees the watcher through a contextvar."""

        def __init__(self, max_workers: int | None = None,
                     watcher: CrawlWatcher | None = None) -> None:
            super().__init__(max_workers=max_workers)
            self.watcher = watcher

        def duplicate(self) -> WatchedThreadPoolTaskRunner:
            return type(self)(max_workers=self._max_workers, watcher=self.watcher)

        def __getstate__(self) -> dict[str, Any]:
            return _without_watcher(super().__getstate__())

        def submit(self, task: Any, parameters: dict[str, Any], wait_for: Any = None,
                   dependencies: Any = None) -> Any:
            with watching(self.watcher):  # submit copies this context into the task's thread
                future = super().submit(task, parameters, wait_for, dependencies)
            _observe(self.watcher, future, parameters)
            return future

    return WatchedThreadPoolTaskRunner


@functools.cache
def _dask_runner_class() -> type[Any]:
    from dask.base import annotate
    from prefect_dask.task_runners import DaskTaskRunner

    class WatchedDaskTaskRunner(DaskTaskRunner):
        """prefect-dask's runner on an existing cluster. Each host's batches go to one worker
        (while it lives), so the per-host politeness of that worker's fetcher holds; it also
        reports submitted and finished batches to the watcher."""

        def __init__(self, address: str, watcher: CrawlWatcher | None = None) -> None:
            super().__init__(address=address)
            self.watcher = watcher
            self._workers: tuple[float, list[str]] = (0.0, [])
            self._hosts: dict[str, int] = {}

        def duplicate(self) -> WatchedDaskTaskRunner:
            return type(self)(address=str(self.address), watcher=self.watcher)

        def __getstate__(self) -> dict[str, Any]:
            # the flow (and so its task runner) travels with every task to the workers;
            # the watcher (locks, the live view) stays here
            state = _without_watcher(self.__dict__.copy())
            state["_workers"] = (0.0, [])
            return state

        def submit(self, task: Any, parameters: dict[str, Any], wait_for: Any = None,
                   dependencies: Any = None) -> Any:
            with annotate(**self._placement(parameters)):
                future = super().submit(task, parameters, wait_for, dependencies)
            _observe(self.watcher, future, parameters)
            return future

        def _placement(self, parameters: dict[str, Any]) -> dict[str, Any]:
            host = getattr(parameters.get("source"), "host", None)
            workers = self._current_workers()
            if not isinstance(host, str) or not workers:
                return {}
            # hosts in order of first submission, round robin over the workers
            worker = workers[self._hosts.setdefault(host, len(self._hosts)) % len(workers)]
            # a preference, not a pin: if that worker dies, the batch runs elsewhere
            return {"workers": [worker], "allow_other_workers": True}

        def _current_workers(self) -> list[str]:
            fetched_at, workers = self._workers
            if time.monotonic() - fetched_at > 5.0:
                info = self.client.scheduler_info()
                workers = sorted(info.get("workers", {}))
                self._workers = (time.monotonic(), workers)
            return workers

    return WatchedDaskTaskRunner
