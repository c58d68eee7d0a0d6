"""The store's migrations, frozen as SQL (store/sql/), against the declarations (store/schema.py,
store/views.py, extractors/kinds.py): a fresh store is what the declarations say, every earlier
schema upgrades to it with its rows kept, a migration that would break references changes
nothing, and an applied migration's text never changes."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
import sqlite_utils

from extractors.kinds import KINDS
from store import migrate as migrate_module
from store.db import StoreError, open_db
from store.migrate import known_migrations, migrate, pending_migrations, statements
from store.schema import ADDED_INDEXES, FTS_COLUMNS, TABLES, index_name
from store.views import VIEWS

# Every migration a released store may have applied, by the sha256 of its file. Editing one
# would leave stores that applied it with another schema than fresh ones: add a migration.
FROZEN = {
    "0001_initial": "729175ed67d9cdb7d50a8b1d0d3565d0d8f6035de6f3c29ee5b8342ee347c81d",
    "0002_views": "f087d8553ff5220a7fea10c96f012d61f01e01f3d8d250fd4485df375e754f73",
    "0003_analyst_indexes": "cae9d77dd275ad15ffb470597cae17a6da24d2fb5597f5c8924ccd9e9619e7f6",
    "0004_full_text_search": "c4f2b851dd8b0f421d01bd2782d8036b26a44dfc771181981df17ff548bed2bf",
    "0005_fts_update_of_indexed_columns":
        "b85645dd807b689d3330124d7843904eb5046afa154dfd43a59a8878717c160c",
    "0006_pages_content_type": "4b1080efab62bd69d5fa8db86f3e2429ee46265ba40c9e98db7666af9f6cd6c0",
    "0007_entities": "24cd18c9900c1a8b1c17bace072ddcf3d9be44b45165d397a34977be32ba0dd4",
    "0008_calls": "24181204b8494ede815e311cba28718eea990fddb12e07fda53f17eabffd150c",
}


def _db(path=":memory:") -> sqlite_utils.Database:
    db = sqlite_utils.Database(sqlite3.connect(str(path), isolation_level=None))
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _declared() -> sqlite_utils.Database:
    """A store built from the declarations alone."""
    db = _db()
    for table in TABLES:
        db.execute(table.ddl())
    return db


def _shape(db: sqlite_utils.Database, table: str) -> dict[str, object]:
    return {
        "columns": [tuple(r[1:]) for r in db.execute(f"PRAGMA table_info([{table}])")],
        "foreign_keys": sorted(tuple(r[2:5]) for r in db.execute(
            f"PRAGMA foreign_key_list([{table}])")),
    }


def _indexes(db: sqlite_utils.Database, table: str) -> set[tuple[str, tuple[str, ...]]]:
    out = set()
    for index in db.table(table).indexes:
        name = "unique" if index.name.startswith("sqlite_autoindex") else index.name
        out.add((name, tuple(index.columns)))
    return out


def _schema(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in db.execute("SELECT type, name FROM sqlite_master")
            if not r[1].startswith("sqlite_autoindex")}


def test_a_fresh_store_is_what_the_declarations_say():
    fresh, declared = _db(), _declared()
    migrate(fresh)
    for table in TABLES:
        assert _shape(fresh, table.name) == _shape(declared, table.name), table.name
        wanted = {(index_name(table.name, cols), cols) for cols in table.indexes}
        wanted |= {(index_name(t, cols), cols) for t, cols in ADDED_INDEXES if t == table.name}
        wanted |= {i for i in _indexes(declared, table.name) if i[0] == "unique"}
        assert _indexes(fresh, table.name) == wanted, table.name
    tables = {name for kind, name in _schema(fresh) if kind == "table"}
    internal = {"_sqlite_migrations"} | {n for n in tables if "_fts" in n}
    assert tables - internal == {t.name for t in TABLES}
    for table, columns in FTS_COLUMNS.items():
        assert [c.name for c in fresh.table(f"{table}_fts").columns] == list(columns)
    assert set(fresh.view_names()) == {v.name for v in VIEWS}
    for view in VIEWS:
        assert [c.name for c in fresh.view(view.name).columns] == [c.name for c in view.columns]
    entities = {r[0] for r in fresh.execute("SELECT name FROM entities")}
    assert entities == {"page", *(k.entity for k in KINDS)}


def test_every_kind_has_its_table_view_and_search_declared():
    fresh = _db()
    migrate(fresh)
    for kind in KINDS:
        assert kind.table in fresh.table_names()
        assert kind.view.startswith("latest_") and kind.view in fresh.view_names()
        if kind.search_fields:
            assert f"{kind.table}_fts" in fresh.table_names()


def _fill(db: sqlite_utils.Database) -> None:
    """Rows every schema since the first one holds."""
    db.execute("INSERT INTO sources (id, name, url, kind, config) "
               "VALUES (1, 'klaster', 'http://x.lt/', 'auto', '{}')")
    db.execute("INSERT INTO runs (id, started_at, status) VALUES (1, '2026-01-01', 'completed')")
    db.execute("INSERT INTO blobs (hash, content, size, stored_size) VALUES ('h', x'00', 1, 1)")
    db.execute("INSERT INTO pages (id, source_id, url, title, text, content_hash) "
               "VALUES (1, 1, 'http://x.lt/', 'Klaster', 'laser clusters', 'h')")
    db.execute("INSERT INTO fetches (run_id, source_id, page_id, url, outcome, fetched_at) "
               "VALUES (1, 1, 1, 'http://x.lt/', 'changed', '2026-01-01')")
    for item_id, entity, table, cols, values in (
        (1, "news", "news_items", "title, date", "'Laser news', '2026-01-01'"),
        (2, "event", "events", "title, start_date", "'Cluster forum', '2026-02-01'"),
        (3, "figure", "figures", "value, unit, text, context",
         "3.5e6, 'EUR', '€3.5m', 'It is €3.5m.'"),
    ):
        db.execute("INSERT INTO items (id, entity, source_id, key, page_url, first_seen_run, "
                   f"last_seen_run, content_hash) VALUES ({item_id}, '{entity}', 1, 'k{item_id}', "
                   "'http://x.lt/', 1, 1, 'c')")
        db.execute("INSERT INTO item_versions (item_id, valid_from_run, content_hash, data, "
                   f"page_url, extractor_version) VALUES ({item_id}, 1, 'c', '{{}}', "
                   "'http://x.lt/', '1')")
        db.execute(f"INSERT INTO {table} (item_id, source_id, {cols}, page_url) "
                   f"VALUES ({item_id}, 1, {values}, 'http://x.lt/')")
        db.execute("INSERT INTO changes (run_id, source_id, entity, change, key, item_id) "
                   f"VALUES (1, 1, '{entity}', 'added', 'k{item_id}', {item_id})")


COUNTED = ("sources", "runs", "blobs", "pages", "fetches", "items", "item_versions",
           "news_items", "events", "figures", "changes")


@pytest.mark.parametrize("stop", known_migrations()[1:])
def test_every_earlier_schema_upgrades_keeping_its_rows(tmp_path, stop):
    path = tmp_path / "old.db"
    old = _db(path)
    migrate(old, stop_before=stop)
    _fill(old)
    before = {t: old.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in COUNTED}
    old.close()
    upgraded = open_db(path)
    fresh = _db()
    migrate(fresh)
    assert pending_migrations(upgraded) == []
    assert _schema(upgraded) == _schema(fresh)
    for table in TABLES:
        assert _shape(upgraded, table.name) == _shape(fresh, table.name), table.name
    assert {t: upgraded.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]
            for t in COUNTED} == before
    assert upgraded.execute("PRAGMA foreign_key_check").fetchall() == []
    assert upgraded.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    hits = upgraded.execute(
        "SELECT rowid FROM news_items_fts WHERE news_items_fts MATCH 'laser'").fetchall()
    assert hits == [(1,)]
    assert upgraded.execute("SELECT title FROM latest_events").fetchall() == [("Cluster forum",)]


def test_a_migration_that_would_break_references_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    db = open_db(path)
    _fill(db)
    db.close()
    bad = tmp_path / "9999_drop_sources.sql"
    bad.write_text("DELETE FROM sources;\n", encoding="utf-8")
    monkeypatch.setattr(migrate_module, "MIGRATION_FILES", (*migrate_module.MIGRATION_FILES, bad))
    with pytest.raises(StoreError, match="9999_drop_sources would break"):
        open_db(path)
    monkeypatch.undo()
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM sources").fetchone()[0] == 1
    assert "9999_drop_sources" not in {r[0] for r in db.execute(
        "SELECT name FROM _sqlite_migrations")}


def test_applied_migrations_are_never_edited():
    for path in migrate_module.MIGRATION_FILES:
        if path.stem in FROZEN:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == FROZEN[path.stem], (
                f"{path.name} was applied by released stores: add a migration instead")
    assert list(FROZEN) == list(known_migrations()[: len(FROZEN)])


def test_statements_keep_trigger_bodies_whole():
    sql = ("-- a comment\nCREATE TABLE t (a);\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n"
           "  INSERT INTO t VALUES (1);\n  INSERT INTO t VALUES (2);\nEND;\n")
    assert len(statements(sql)) == 2
    with pytest.raises(ValueError, match="unfinished"):
        statements("CREATE TABLE t (a")
