"""Stores that are not what they seem (issue 20, items 6, 7, 10 and part of 13): readers open
read-only and never change a file; a damaged store or one written by a newer agencywatch is
refused in one line before anything is written; `explore` serves a store a crawl then writes;
errors are one line, never a traceback."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from store.db import open_db
from store.migrate import migrate
from tests.test_store_history import crawl, news, page
from tests.test_views import build_store, run_cli

ROOT = Path(__file__).resolve().parents[1]
READERS = [
    ["report"],
    ["report", "--format", "json"],
    ["search", "cluster"],
    ["export", "latest_news"],
    ["explore", "--no-open", "--port", "0"],
]


@pytest.fixture(autouse=True)
def no_datasette_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    """`explore` in-process stops where Datasette would start serving (and block)."""
    import flows.cli.explore

    monkeypatch.setattr(flows.cli.explore, "_run_datasette", lambda cli, args: 0)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("agencywatch: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('my own data')")
    conn.commit()
    conn.close()


def _older(path: Path) -> None:
    """An agencywatch store from before its views and search (only 0001_initial applied)."""
    db = sqlite_utils.Database(path)
    migrate(db, stop_before="0002_views")
    db.close()


# -- item 6: read-only commands never write ------------------------------------------------


@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a))
def test_readers_leave_a_foreign_sqlite_file_untouched(tmp_path, capsys, argv):
    path = tmp_path / "notes.db"
    _foreign(path)
    before, files = _digest(path), _files(tmp_path)
    assert run_cli(*argv, "--db", str(path)) == 2
    err = _one_line_error(capsys)
    assert f"{path}: not an agencywatch store" in err
    assert _digest(path) == before and _files(tmp_path) == files
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    conn.close()


@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a))
def test_readers_never_migrate_an_older_store(tmp_path, capsys, argv):
    path = tmp_path / "old.db"
    _older(path)
    before, files = _digest(path), _files(tmp_path)
    assert run_cli(*argv, "--db", str(path)) == 2
    err = _one_line_error(capsys)
    assert "older agencywatch store" in err and "0002_views" in err
    assert _digest(path) == before and _files(tmp_path) == files


def test_readers_say_what_a_file_that_is_not_sqlite_is_not(tmp_path, capsys):
    path = tmp_path / "notes.db"
    path.write_text("just some text, not a database\n" * 40)
    before = _digest(path)
    for argv in READERS:
        assert run_cli(*argv, "--db", str(path)) == 2
        assert f"{path}: not a SQLite database" in _one_line_error(capsys)
    assert _digest(path) == before


def test_report_opens_a_good_store_read_only(tmp_path):
    path = tmp_path / "s.db"
    build_store(path).close()
    os.chmod(path, 0o444)
    try:
        assert run_cli("report", "--db", str(path), "--format", "json") == 0
    finally:
        os.chmod(path, 0o644)


# -- item 7: damaged and newer stores --------------------------------------------------------


def _store(path: Path) -> None:
    db = open_db(path)
    crawl(db, page(*(news(f"Cluster news number {i}", slug=f"n{i}") for i in range(300))))
    crawl(db, page(*(news(f"Cluster news number {i}", slug=f"n{i}") for i in range(1, 301))))
    db.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _flip(path: Path, table: str) -> None:
    """Overwrite a page of `table`'s b-tree with garbage, as a failing disk would."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * size)
        f.write(bytes(range(7, 250)) * 4)  # the page's header first: no b-tree page type


def test_damaged_store_is_one_line_for_readers(tmp_path, capsys):
    path = tmp_path / "s.db"
    _store(path)
    _flip(path, "sources")  # every reader joins it
    for argv in (["report"], ["search", "cluster"], ["export", "latest_news"]):
        assert run_cli(*argv, "--db", str(path)) == 2
        err = _one_line_error(capsys)
        assert str(path) in err and "agencywatch doctor" in err


def test_damaged_store_is_not_crawled_into(tmp_path, capsys):
    path = tmp_path / "s.db"
    _store(path)
    _flip(path, "items")
    before, files = _digest(path), _files(tmp_path)
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    files.append("sources.toml")
    from flows.cli.main import main

    assert main(["crawl", "--local", "--sources", str(sources), "--db", str(path)]) == 2
    err = _one_line_error(capsys)
    assert f"{path}: the store is damaged" in err
    assert _digest(path) == before and _files(tmp_path) == sorted(files)


def test_doctor_runs_the_full_check(tmp_path, capsys):
    path = tmp_path / "s.db"
    _store(path)
    assert run_cli("doctor", "--db", str(path)) == 0
    assert "ok" in capsys.readouterr().out
    _flip(path, "items")
    before = _digest(path)
    assert run_cli("doctor", "--db", str(path)) == 1
    out = capsys.readouterr().out
    assert "damaged" in out and _digest(path) == before


@pytest.mark.parametrize("how", ["user_version", "migration"])
def test_a_store_of_a_newer_schema_is_refused_untouched(tmp_path, capsys, how):
    path = tmp_path / "s.db"
    _store(path)
    conn = sqlite3.connect(path)
    if how == "user_version":
        conn.execute("PRAGMA user_version = 999")
    else:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('agencywatch', '0999_from_the_future', '2030-01-01')"
        )
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before, files = _digest(path), _files(tmp_path)
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n')
    from flows.cli.main import main

    assert main(["crawl", "--local", "--sources", str(sources), "--db", str(path)]) == 2
    err = _one_line_error(capsys)
    assert "newer agencywatch" in err
    with pytest.raises(Exception, match="newer agencywatch"):
        open_db(path)
    assert _digest(path) == before and _files(tmp_path) == sorted([*files, "sources.toml"])


def test_open_db_records_its_schema_version(tmp_path):
    from store.db import schema_version

    open_db(tmp_path / "s.db").close()
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version() > 0
    conn.close()


# -- item 10: explore on a store a crawl then writes ------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _start_explore(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`agencywatch explore` on a two-run store, its temporary files in tmp_path/tmp."""
    path = tmp_path / "store.db"
    build_store(path).close()
    port = _free_port()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with (tmp_path / "explore.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows", "explore", "--db", str(path), "--port", str(port),
             "--no-open"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmpdir)},
        )
    base = f"http://127.0.0.1:{port}/store"
    deadline = time.monotonic() + 30
    while _try(f"{base}.json") is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail((tmp_path / "explore.log").read_text())
        time.sleep(0.2)
    return proc, base, tmpdir


@pytest.fixture()
def explored(tmp_path) -> Iterator[tuple[Path, str]]:
    proc, base, _ = _start_explore(tmp_path)
    try:
        yield tmp_path / "store.db", base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _try(url: str) -> object | None:
    try:
        return _get(url)
    except OSError:
        return None


def test_explore_serves_what_a_later_crawl_writes(explored):
    path, base = explored
    count = f"{base}.json?_shape=array&sql=select+count(*)+as+n+from+item_versions"
    status, runs = _get(f"{base}/runs.json?_shape=array&_sort=id")
    assert status == 200 and [r["id"] for r in runs] == [1, 2]
    status, before = _get(count)
    assert status == 200
    db = open_db(path)
    for n in range(3):  # a crawl writes: new runs, pages, items, the file grows
        crawl(db, page(*(news(f"Later news {n} {i}", slug=f"l{n}-{i}") for i in range(400))))
    written = db.execute("SELECT count(*) FROM item_versions").fetchone()[0]
    db.close()
    status, runs = _get(f"{base}/runs.json?_shape=array&_sort=id")
    assert status == 200, runs
    assert [r["id"] for r in runs] == [1, 2, 3, 4, 5]
    status, after = _get(count)
    assert status == 200, after
    assert after[0]["n"] == written > before[0]["n"] + 1000  # type: ignore[index]


def test_explore_stopped_by_sigterm_removes_its_temporary_files(tmp_path):
    """systemd's stop or `kill`: Datasette shuts down and the metadata folder goes with it
    (uvicorn re-raised SIGTERM under Python's default handler, which left it in /tmp)."""
    proc, _, tmpdir = _start_explore(tmp_path)
    assert next(p.name for p in tmpdir.iterdir()).startswith("agencywatch-explore-")
    proc.terminate()
    assert proc.wait(timeout=15) == 128 + signal.SIGTERM
    assert list(tmpdir.iterdir()) == []


# -- item 13: one line, never a traceback ------------------------------------------------------


def test_report_output_into_a_missing_folder_or_onto_a_folder(tmp_path, capsys):
    path = tmp_path / "s.db"
    build_store(path).close()
    for target in (tmp_path / "nope" / "r.md", tmp_path):
        assert run_cli("report", "--db", str(path), "--output", str(target)) == 2
        assert str(target) in _one_line_error(capsys)


def test_search_limit_out_of_range(tmp_path, capsys):
    path = tmp_path / "s.db"
    build_store(path).close()
    assert run_cli("search", "cluster", "--db", str(path), "--limit", "99999999999999999999") == 2
    assert "--limit" in _one_line_error(capsys)


def test_explore_port_out_of_range(tmp_path, capsys):
    path = tmp_path / "s.db"
    build_store(path).close()
    assert run_cli("explore", "--db", str(path), "--port", "99999", "--no-open") == 2
    assert "port 99999" in _one_line_error(capsys)


def _site_of_big_pages(site, n: int = 120) -> str:
    words = " ".join(f"cluster{i} funding{i * 7} agency{i * 13}" for i in range(2500))
    items = "".join(f"<item><title>t{i}</title><link>{site.url(f'/p{i}')}</link></item>"
                    for i in range(n))
    site.route("/", "<html><body><p>Home page.</p></body></html>")
    site.route("/feed.xml", f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>"
               f"{items}</channel></rss>", headers={"Content-Type": "application/rss+xml"})
    for i in range(n):
        site.route(f"/p{i}", f"<html><head><title>Page {i}</title></head><body><article>"
                   f"<h1>Page {i}</h1><p>{i} {words}</p></article></body></html>")
    return (f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n'
            f'feeds = ["{site.url("/feed.xml")}"]\ndelay = 0\n')


def _limit_file_size(limit: int) -> None:
    """In the child: files may not grow past `limit` bytes, and a write past it fails (EFBIG)
    instead of killing the process (SIGXFSZ), as a full disk's does (ENOSPC)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_during_a_crawl_is_one_line_and_the_store_stays_sound(tmp_path):
    from tests.hostile_server import HostileServer

    with HostileServer() as site:
        (tmp_path / "sources.toml").write_text(_site_of_big_pages(site))
        done = subprocess.run(
            [sys.executable, "-m", "flows", "crawl", "--local", "--progress", "off",
             "--db", "s.db"],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True, timeout=300, preexec_fn=lambda: _limit_file_size(600_000),
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    # past a file size limit SQLite says "disk I/O error", on a full disk "database or disk
    # is full": one line either way
    assert done.stderr.startswith("agencywatch: s.db: the file could not be written"), done.stderr
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


@pytest.fixture()
def small_disk(tmp_path) -> Iterator[Path]:
    """A 1 MB file system (tmpfs): a real ENOSPC. Needs root, as mounting does."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_under_the_prefect_flow_is_one_line(tmp_path, small_disk):
    from tests.hostile_server import HostileServer

    with HostileServer() as site:
        (tmp_path / "sources.toml").write_text(_site_of_big_pages(site, n=60))
        done = subprocess.run(
            [sys.executable, "-m", "flows", "crawl", "--progress", "off", "--db",
             str(small_disk / "s.db")],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True, timeout=300,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"agencywatch: {small_disk / 's.db'}: the disk is full")
    conn = sqlite3.connect(small_disk / "s.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
