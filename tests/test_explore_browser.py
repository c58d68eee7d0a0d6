"""`agencywatch explore` as an analyst meets it: a real Datasette on 127.0.0.1, driven by
headless Chromium (Debian's `chromium`, through python playwright when installed, else through
chromium's own --dump-dom / --screenshot). Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from flows.cli.explore import metadata, serve_args
from store.schema import TABLES
from store.views import QUESTIONS, VIEWS
from tests.test_views import FORUM_2, FUNDED, build_store, run_cli

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu"]


# --- metadata and launch choices (no browser) ---

def test_metadata_describes_every_table_view_column_and_query(tmp_path):
    db = build_store(tmp_path / "store.db")
    meta = metadata(db, "store")
    tables = meta["databases"]["store"]["tables"]
    for name, columns in [(t.name, t.columns) for t in TABLES] + [(v.name, v.columns)
                                                                  for v in VIEWS]:
        assert tables[name]["description"], name
        assert set(tables[name]["columns"]) == {c.name for c in columns}, name
    assert "Units in this store: %" in tables["figures_by_page"]["description"]
    assert set(meta["databases"]["store"]["queries"]) == {q.name for q in QUESTIONS}
    assert tables["blobs"]["hidden"] is True
    assert '<a href="https://www.klaster.lt/en/">klaster</a>' in (
        meta["databases"]["store"]["description_html"])


def test_served_live_never_as_an_immutable_snapshot(tmp_path):
    """A crawl may write the store while it is served: an immutable reader would then read
    pages that changed under it (see tests/test_store_safety.py)."""
    path = tmp_path / "store.db"
    assert serve_args(path, tmp_path / "m.json", 8001, open_browser=False)[:2] == [
        "serve", str(path)]


def test_explore_refuses_a_taken_port_in_one_line(tmp_path, capsys):
    path = tmp_path / "store.db"
    build_store(path).close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert run_cli("explore", "--db", str(path), "--port", str(port), "--no-open") == 2
    assert f"port {port} is taken" in capsys.readouterr().err


# --- the browser ---

@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and this user cannot apt-get install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium: {' '.join(cmd)}: {done.stderr[-300:]}")
    return shutil.which("chromium") or pytest.skip("chromium installed but not on PATH")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """`explore --no-open` on a two-run store; yields the database page URL."""
    tmp = tmp_path_factory.mktemp("explore")
    path = tmp / "store.db"
    build_store(path).close()
    port = _free_port()
    log = (tmp / "explore.log").open("w")
    code = ("import sys; from flows.cli.explore import explore; "
            "raise SystemExit(explore(sys.argv[1], port=int(sys.argv[2]), open_browser=False))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(port)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_up(f"http://127.0.0.1:{port}/-/versions.json", proc, tmp / "explore.log")
        yield f"http://127.0.0.1:{port}/store"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"explore exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                json.load(r)
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"datasette did not answer in 20 s: {log.read_text()[-2000:]}")


def test_analyst_runs_canned_queries_in_a_browser(server, chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        _check_with_chromium_cli(server, chromium)
    else:
        _check_with_playwright(server, chromium)


def _check_with_playwright(base: str, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(10_000)
            page.goto(base)
            body = page.inner_text("body")
            assert "Watched sources: interreg, klaster" in body
            assert "Funding news this year, by source" in body and "latest_news" in body
            page.get_by_role("link", name="Upcoming events").click()
            page.wait_for_selector("table.rows-and-columns tbody tr")
            rows = _rows(page)
            assert [r[:3] for r in rows] == [[FORUM_2.start_date, FORUM_2.end_date, FORUM_2.title]]
            page.screenshot(path=str(ARTIFACTS / "explore-upcoming-events.png"), full_page=True)

            page.goto(f"{base}/item_history_for_key?key=funded")
            page.wait_for_selector("table.rows-and-columns tbody tr")
            history = _rows(page)
            assert [r[2] for r in history] == [FUNDED.url, FUNDED.url]
            assert history[0][5] != "" and history[1][5] == ""  # valid_to_at: closed, current
            page.screenshot(path=str(ARTIFACTS / "explore-item-history.png"), full_page=True)
        finally:
            browser.close()


def _rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "table.rows-and-columns tbody tr",
        "trs => trs.map(tr => Array.from(tr.querySelectorAll('td'))"
        ".map(td => td.innerText.trim().replace(/^\\u00a0$/, '')))",
    )


def _check_with_chromium_cli(base: str, chromium: str) -> None:
    url = f"{base}/upcoming_events"
    dom = subprocess.run([chromium, "--headless", *CHROMIUM_ARGS, "--dump-dom", url],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rows = [[td.text_content().strip() for td in tr.findall("td")]
            for tr in lxml_html.fromstring(dom).xpath(
                "//table[contains(@class, 'rows-and-columns')]/tbody/tr")]
    assert [r[:3] for r in rows] == [[FORUM_2.start_date, FORUM_2.end_date, FORUM_2.title]]
    shot = ARTIFACTS / "explore-upcoming-events.png"
    subprocess.run([chromium, "--headless", *CHROMIUM_ARGS, f"--screenshot={shot}",
                    "--window-size=1280,900", url], capture_output=True, timeout=60, check=True)
    assert shot.stat().st_size > 0


def test_the_server_is_read_only(server):
    """The store is served mutable (read with mode=ro), and Datasette refuses writing SQL."""
    base = server.rsplit("/", 1)[0]
    with urllib.request.urlopen(f"{base}/-/databases.json", timeout=5) as r:
        databases = json.load(r)
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("store", True)]
    sql = "DELETE FROM runs"
    req = f"{server}.json?sql={urllib.parse.quote(sql)}"
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            body = json.load(r)
    except urllib.error.HTTPError as exc:
        body = json.load(exc)
    assert body.get("ok") is False
