"""`agencywatch export`: CSV and JSON of any view or table; unknown names are refused."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest

from store.db import StoreError, open_reader
from store.export import export
from tests.test_views import FORUM_2, build_store, run_cli


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "store.db"
    build_store(p).close()
    return p


def test_csv_of_a_view(path, capsys):
    assert run_cli("export", "upcoming_events", "--db", str(path)) == 0
    got = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["title"], r["start_date"], r["organiser"]) for r in got] == [
        (FORUM_2.title, FORUM_2.start_date, FORUM_2.organiser)]


def test_json_with_where_to_a_file(path, tmp_path, capsys):
    out = tmp_path / "news.json"
    assert run_cli("export", "latest_news", "--db", str(path), "--format", "json",
                   "--where", "state = 'active'", "--output", str(out)) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(r["title"] for r in rows) == ["Cluster gets funding",
                                                "Matchmaking conference announced"]
    assert "2 rows of latest_news" in capsys.readouterr().err


def test_every_documented_name_exports(path):
    from store.export import exportable_names

    db = open_reader(path)
    for name in exportable_names():
        buf = io.StringIO()
        export(db, name, buf, fmt="json")
        json.loads(buf.getvalue())


def test_binary_columns_are_base64(path):
    buf = io.StringIO()
    export(open_reader(path), "blobs", buf, fmt="json")
    first = json.loads(buf.getvalue())[0]
    assert base64.b64decode(first["content"])  # zlib bytes, intact


def test_empty_result_is_valid_json_and_a_csv_header(path):
    db = open_reader(path)
    buf = io.StringIO()
    assert export(db, "latest_news", buf, fmt="json", where="1 = 0") == 0
    assert json.loads(buf.getvalue()) == []
    buf = io.StringIO()
    export(db, "latest_news", buf, where="1 = 0")
    assert buf.getvalue().startswith("source,title,date,")


@pytest.mark.parametrize(("argv", "message"), [
    (["export", "latest_newz"], "unknown table or view 'latest_newz'; choose one of: latest_news"),
    (["export", "latest_news", "--where", "nosuchcolumn = 1"], "bad --where"),
    (["export", "latest_news", "--where", "1; DROP TABLE runs"], "bad --where"),
])
def test_bad_names_and_conditions_are_one_line_exit_2(path, tmp_path, capsys, argv, message):
    out = tmp_path / "out.csv"
    assert run_cli(*argv, "--db", str(path), "--output", str(out)) == 2
    err = capsys.readouterr().err
    assert err.startswith("agencywatch: ") and message in err and err.count("\n") == 1
    assert not out.exists()  # no empty or half-written file left behind


def test_where_cannot_write(path):
    db = open_reader(path)
    with pytest.raises(StoreError):
        export(db, "runs", io.StringIO(), where="id IN (SELECT 1 FROM (DELETE FROM runs))")
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    with pytest.raises(Exception, match="readonly"):
        db.execute("DELETE FROM runs")
