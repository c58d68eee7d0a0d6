"""The command line's contract: exit codes and one-line errors that name the file, line or path.
These run the real console entry point in a subprocess; none of them starts Prefect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOOD = '[[source]]\nname = "x"\nurl = "http://127.0.0.1:9/"\n'


def cli(*args: str, cwd: Path, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AGENCYWATCH_DB", None)
    env.pop("AGENCYWATCH_SOURCES", None)
    return subprocess.run(
        [sys.executable, *python, "-m", "flows", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (GOOD + "max_page = 3\n", "sources.toml:4: unknown key 'max_page'"),
        (GOOD.replace("http://", "file://"), "sources.toml:3: url 'file://127.0.0.1:9/' must be"),
        (GOOD + GOOD, "sources.toml:5: duplicate source name 'x' (first at line 2)"),
        (GOOD.replace("url =", "url == "), "sources.toml:3: not valid TOML"),
    ],
)
def test_bad_sources_exit_2_name_the_line_and_touch_no_database(tmp_path, body, message):
    (tmp_path / "sources.toml").write_text(body)
    for args in (("crawl",), ("sources", "validate")):
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert not (tmp_path / "agencywatch.db").exists()
        assert not (tmp_path / ".prefect").exists()


def test_validate_good_file(tmp_path):
    (tmp_path / "sources.toml").write_text(GOOD)
    result = cli("sources", "validate", cwd=tmp_path)
    assert result.returncode == 0 and "1 sources, all valid" in result.stdout


def test_database_in_missing_folder(tmp_path):
    (tmp_path / "sources.toml").write_text(GOOD)
    result = cli("crawl", "--db", "nope/x.db", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"agencywatch: nope/x.db: folder {tmp_path / 'nope'} does not exist"
    ]


@pytest.mark.parametrize("target", ["/proc/version", "folder"])
def test_database_that_cannot_be_written(tmp_path, target):
    (tmp_path / "sources.toml").write_text(GOOD)
    (tmp_path / "folder").mkdir()
    result = cli("crawl", "--db", target, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert target in result.stderr


def test_report_unknown_run_and_missing_db(tmp_path):
    result = cli("report", "--db", "none.db", cwd=tmp_path)
    assert result.returncode == 2 and "none.db: no such database" in result.stderr
    from store.db import open_db

    open_db(tmp_path / "empty.db").close()
    result = cli("report", "--db", "empty.db", "--run", "7", cwd=tmp_path)
    assert result.returncode == 2 and "unknown run '7'" in result.stderr


def test_extract_unreadable_input(tmp_path):
    result = cli("extract", "missing.html", cwd=tmp_path)
    assert result.returncode == 2 and "missing.html: cannot read" in result.stderr


def test_unknown_source_name(tmp_path):
    (tmp_path / "sources.toml").write_text(GOOD)
    result = cli("crawl", "--source", "y", cwd=tmp_path)
    assert result.returncode == 2 and "unknown source 'y'" in result.stderr
    assert not (tmp_path / "agencywatch.db").exists()


def test_local_crawl_runs_without_prefect_and_reports_like_the_flow(tmp_path):
    """`crawl --local`: the fixture site crawled twice with no Prefect home ever created; the
    second crawl of the unchanged site reports nothing and the report command reads it."""
    from flows.cli.fixture_site import FixtureSite, fixture_sources_text

    with FixtureSite() as site:
        (tmp_path / "sources.toml").write_text(fixture_sources_text(site.start()))
        first = cli("crawl", "--local", "--progress", "plain", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("run 1 completed: pages fetched ")
        assert "items added 0" not in first.stdout
        assert "klaster-lt: done, 10/10 pages, 0 failed" in first.stderr  # as the flow shows
        importtime = ("-X", "importtime")  # every module the process imports, on stderr
        second = cli("crawl", "--local", "--progress", "plain", cwd=tmp_path, python=importtime)
    assert second.returncode == 0, second.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in second.stderr.splitlines()}
    assert "flows.run.page" in imported and "prefect" not in imported  # not even its ~3 s import
    assert "pages fetched 0," in second.stdout and "items added 0, updated 0, removed 0" in (
        second.stdout
    )
    assert not (tmp_path / ".prefect").exists()
    report = cli("report", "--run", "latest", "--format", "json", cwd=tmp_path)
    assert report.returncode == 0 and '"changes": []' in report.stdout


def test_local_and_dask_exclude_each_other(tmp_path):
    (tmp_path / "sources.toml").write_text(GOOD)
    result = cli("crawl", "--local", "--dask", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert result.returncode == 2
    assert "--local and --dask exclude each other" in result.stderr
