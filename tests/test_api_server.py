"""The temporary Prefect API server `agencywatch crawl` starts before importing Prefect."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.cli.fixture_site import FixtureSite, fixture_sources_text
from flows.orchestration import api_server
from flows.orchestration.api_server import ApiServerError, LocalApiServer, api_healthy

ROOT = Path(__file__).resolve().parent.parent


def test_not_wanted_when_a_server_is_configured_or_ephemeral_mode_is_off(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_ENABLED", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", raising=False)
    assert api_server.wanted()
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert not api_server.wanted()
    assert api_server.start_if_wanted() is None
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_ENABLED", "false")
    assert not api_server.wanted()


class _Crashing(LocalApiServer):
    def server_command(self, port: int) -> list[str]:
        return [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(7)"]


def test_a_server_that_dies_during_start_up_is_one_clear_error():
    server = _Crashing(startup_timeout_s=30).start()
    with pytest.raises(ApiServerError, match="exited with code 7"):
        server.wait_ready()
    server.stop()  # idempotent after a failure


class _Silent(LocalApiServer):
    def server_command(self, port: int) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_server_that_never_answers_times_out_and_is_stopped():
    server = _Silent(startup_timeout_s=0.5).start()
    process = server.process
    with pytest.raises(ApiServerError, match="did not answer on http"):
        server.wait_ready()
    assert process is not None and process.poll() is not None  # not left behind


class _EnvDump(LocalApiServer):
    """Writes the switches it was started with, then exits."""

    out: Path

    def server_command(self, port: int) -> list[str]:
        names = list(api_server.TEMPORARY_DEFAULTS)
        code = (
            "import json, os, sys; json.dump({n: os.environ.get(n) for n in "
            f"{names!r}}}, open(sys.argv[1], 'w'))"
        )
        return [sys.executable, "-c", code, str(self.out)]


def _started_env(tmp_path: Path) -> dict[str, str | None]:
    server = _EnvDump(startup_timeout_s=30)
    server.out = tmp_path / "env.json"
    server.start()
    assert server.process is not None
    server.process.wait(timeout=30)
    server.stop()
    return dict(json.loads(server.out.read_text()))


def test_automations_and_block_registration_are_off_on_the_temporary_server_by_default(
    tmp_path, monkeypatch
):
    for name in api_server.TEMPORARY_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    assert set(_started_env(tmp_path).values()) == {"false"}
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "true")
    started = _started_env(tmp_path)
    assert started["PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED"] == "true"  # the user's word wins
    assert started["PREFECT_SERVER_SERVICES_ACTIONS_ENABLED"] == "false"


@pytest.mark.e2e
def test_crawl_without_a_configured_server_uses_one_and_leaves_nothing_behind(tmp_path):
    """The real CLI, no PREFECT_API_URL: the crawl runs against the server started before
    Prefect's import, the run is recorded there, and the server is gone afterwards."""
    home = tmp_path / "prefect"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="INFO", PYTHONPATH=str(ROOT))
    with FixtureSite() as site:
        base = site.start()
        site.set_snapshot(1)
        (tmp_path / "sources.toml").write_text(fixture_sources_text(base), encoding="utf-8")
        res = subprocess.run(
            [sys.executable, "-m", "flows", "crawl", "--sources", str(tmp_path / "sources.toml"),
             "--db", str(tmp_path / "a.db"), "--progress", "off"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("run 1 completed")
    # Prefect never started its own temporary server: it was pointed at ours
    assert "Starting temporary server" not in res.stderr, res.stderr
    assert "Beginning flow run" in res.stderr
    assert not _servers_with_home(home), "the API server outlived the crawl"


def _servers_with_home(home: Path) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if b"prefect.server.api.server:create_app" in cmdline and str(home).encode() in environ:
            found.append(int(pid))
    return found


def test_health_answers_through_the_direct_opener(tmp_path):
    """A proxy in the environment must not capture the loopback health check."""
    import http.server
    import threading

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(True).encode()
            self.send_response(200 if self.path == "/api/health" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    old = os.environ.get("http_proxy")
    os.environ["http_proxy"] = "http://127.0.0.1:9"  # nothing listens there
    try:
        assert api_healthy(f"http://127.0.0.1:{httpd.server_address[1]}/api")
    finally:
        httpd.shutdown()
        if old is None:
            os.environ.pop("http_proxy", None)
        else:
            os.environ["http_proxy"] = old


def test_a_server_named_in_prefect_settings_wins_and_ours_is_stopped(monkeypatch):
    """A profile or settings file naming a server (seen only once Prefect is imported)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.orchestration.flow import _use_api_server

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = _Silent(startup_timeout_s=30).start()
    process = server.process
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert not _use_api_server(server)
    assert "PREFECT_API_URL" not in os.environ
    assert server.process is None and process is not None and process.poll() is not None


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_the_api_server_goes_when_its_crawl_is_killed(tmp_path):
    """SIGKILL leaves the crawler no time to stop its server: the server must notice itself
    (seen before: still listening minutes later, 228 MB)."""
    from tests.hostile_server import HostileServer

    home = tmp_path / "prefect"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PYTHONPATH=str(ROOT))
    with HostileServer() as site:
        site.route("/", "<html><body><p>Home.</p></body></html>")
        (tmp_path / "sources.toml").write_text(
            f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n', encoding="utf-8")
        crawler = subprocess.Popen(
            [sys.executable, "-m", "flows", "crawl", "--sources", str(tmp_path / "sources.toml"),
             "--db", str(tmp_path / "a.db"), "--progress", "off"],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not _servers_with_home(home):
                assert crawler.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            servers = _servers_with_home(home)
            crawler.send_signal(signal.SIGKILL)
            crawler.wait(timeout=10)
            deadline = time.monotonic() + 15
            while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = [pid for pid in servers if _alive(pid)]
        finally:
            for pid in _servers_with_home(home):  # never leave one behind, whatever happened
                os.kill(pid, signal.SIGKILL)
    assert left == [], "the API server outlived its crawl (killed with SIGKILL)"
