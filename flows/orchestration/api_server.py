"""The Prefect API server of a crawl run when no server is configured, started before Prefect.

Without a PREFECT_API_URL, Prefect starts a temporary API server itself
(`prefect.server.api.server.SubprocessASGIServer`), but only when the flow is called: after
the crawler has spent ~5 s importing Prefect and our modules, and after loading the server's
own modules (~80 MB, ~2 s) into the crawler just to launch it. Measured on the 2,100-page
benchmark: flow running 15.4 s after process start, 8.7 s of it waiting for the server.

This module starts the same server the same way (same command, same environment switches),
before anything imports Prefect, so its boot runs on the other core while the crawler imports.
The crawler then talks to it as to any server, through PREFECT_API_URL, and never loads the
server's modules. Prefect's settings still decide: a server configured in a profile or a
settings file wins, and this one is stopped unused (see `flows.orchestration.flow.run_crawl`).
Nothing here imports Prefect.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from extractors.errors import AgencywatchError

log = logging.getLogger("agencywatch.api_server")
# what SubprocessASGIServer sets for its server: no UI, ephemeral-mode services only
SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
# Defaults for the temporary server; the environment overrides each.
# Automations (reactive triggers and their actions) outlive a run only on a real server: on
# this temporary one, the triggers service still put every event of the run through its
# clock and causal ordering with no automation to match (2,100-page crawl: ~5 s less CPU, see
# the README's benchmark notes). Block types are registered by any server started with the
# same PREFECT_HOME that needs them; registering them here first imports every installed
# Prefect collection (prefect-dask, and Dask with it): ~0.7 of the server's ~8 s boot, spent
# while the crawl waits for it.
TEMPORARY_DEFAULTS = {
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_ACTIONS_ENABLED": "false",
    "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
    "PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
}
PORT_IN_USE_EXIT = 3  # uvicorn's exit code when the port was taken meanwhile
FALSE = frozenset({"0", "false", "no", "off"})
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


class ApiServerError(AgencywatchError):
    """The temporary Prefect API server did not come up."""


def wanted() -> bool:
    """Whether Prefect would start a temporary server, as far as the environment tells: no
    PREFECT_API_URL, ephemeral mode not switched off. (Profiles and settings files are
    Prefect's to read; `run_crawl` checks them once Prefect is imported.)"""
    if os.environ.get("PREFECT_API_URL", "").strip():
        return False
    for name in ("PREFECT_SERVER_EPHEMERAL_ENABLED", "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"):
        if os.environ.get(name, "").strip().lower() in FALSE:
            return False
    return importlib.util.find_spec("prefect") is not None


def api_healthy(api_url: str, *, timeout_s: float = 5.0) -> bool:
    """Whether the Prefect API at `api_url` answers /health; loopback ones bypass proxies."""
    url = api_url.rstrip("/") + "/health"
    loopback = urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")
    try:
        opener = _DIRECT if loopback else urllib.request.build_opener()
        with opener.open(url, timeout=timeout_s) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(
    process: subprocess.Popen[bytes],
    api_url: str,
    timeout_s: float,
    *,
    poll_s: float = 0.1,
    probe_s: float = 2.0,
) -> int | None:
    """Wait for a Prefect API server started as `process`: None once `api_url` answers
    /health, the exit code if the process ends first; TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        code = process.poll()
        if code is not None:
            return code
        if api_healthy(api_url, timeout_s=probe_s):
            return None
        if time.monotonic() > deadline:
            raise TimeoutError(f"{api_url} did not answer within {timeout_s:.0f} s")
        time.sleep(poll_s)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has the kernel send the child SIGTERM when this process dies, however
    it dies: a crawler killed with SIGKILL runs no exit handler, and its server went on
    listening (seen: minutes later, 228 MB). Linux only (None elsewhere: `stop()` and atexit
    remain). The signal follows the *thread* that starts the child; every caller here starts
    it from the main thread, which lives as long as the process."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def arm() -> None:  # in the child, between fork and exec: no allocation, no locks
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return arm


def _site_packages() -> str:
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        raise ApiServerError("Prefect is not installed: `make install`")
    return str(Path(spec.origin).parent.parent)


class LocalApiServer:
    """A temporary Prefect API server on 127.0.0.1, in a child process of the crawler.

    `start()` returns at once; `wait_ready()` blocks until /api/health answers. The server
    is stopped by `stop()` or, at the latest, when the interpreter exits: after Prefect's
    own exit handlers have sent the run's last logs and events, because this handler is
    registered before Prefect is imported (atexit runs handlers last-in, first-out). A crawler
    that dies without exit handlers (SIGKILL, the OOM killer) takes it along: the kernel
    sends it SIGTERM (`die_with_parent`).
    """

    def __init__(self, startup_timeout_s: float = 90.0) -> None:
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.command: list[str] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def server_command(self, port: int) -> list[str]:
        """SubprocessASGIServer's command: uvicorn serving Prefect's API app."""
        return [
            sys.executable, "-m", "uvicorn",
            "--app-dir", _site_packages(),
            "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on",
        ]  # fmt: skip

    def start(self) -> LocalApiServer:
        self.port = _free_port()
        self.command = self.server_command(self.port)
        env = {**TEMPORARY_DEFAULTS, **os.environ, **SERVER_ENV}
        self.process = subprocess.Popen(
            self.command, env=env, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent()
        )
        atexit.register(self.stop)
        log.info("starting a temporary Prefect API server on %s", self.api_url)
        return self

    def wait_ready(self) -> str:
        """The server's API URL once it answers; ApiServerError naming why when it cannot."""
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            process = self.process
            if process is None:
                raise ApiServerError("the temporary Prefect API server was stopped")
            try:
                code = wait_healthy(process, self.api_url, deadline - time.monotonic())
            except TimeoutError:
                self.stop()
                raise ApiServerError(
                    f"the temporary Prefect API server did not answer on {self.api_url} "
                    f"within {self.startup_timeout_s:.0f} s "
                    "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)"
                ) from None
            if code is None:
                return self.api_url
            if code == PORT_IN_USE_EXIT:
                self.start()  # another program took the port between bind and listen
                continue
            self.process = None
            raise ApiServerError(
                f"the temporary Prefect API server exited with code {code} before it "
                f"answered ({' '.join(self.command[:6])} ...); its error is printed "
                "above. Set PREFECT_API_URL to use a running `prefect server start`."
            )

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 5 s, as Prefect does); idempotent."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_if_wanted() -> LocalApiServer | None:
    """Start the temporary server when Prefect would need one; call before importing Prefect."""
    if not wanted():
        return None
    timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    try:
        startup_timeout_s = float(timeout)
    except ValueError:
        startup_timeout_s = 90.0
    return LocalApiServer(startup_timeout_s).start()
