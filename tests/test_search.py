"""Full-text search: ranked hits from every index, kept current by triggers alone."""

from __future__ import annotations

import json

import pytest

from store.db import StoreError
from store.search import search
from tests.test_views import FUNDED, GP_PAGE, LIST, build_store, run_cli


@pytest.fixture
def db(tmp_path):
    return build_store(tmp_path / "store.db")


def _found(db, query, **kw):
    return [(h.entity, h.title) for h in search(db, query, **kw)]


def test_search_finds_every_kind_of_record(db):
    assert ("news", "Cluster gets funding") in _found(db, "laser")
    assert _found(db, "BSR Stars") == [("event", "Future Forum")]
    assert {("good_practice", "Innovation vouchers"), ("page", "Innovation vouchers")} <= set(
        _found(db, "vouchers"))
    assert _found(db, "Kaunas met") == [("page", "Klaster news")]


def test_title_matches_rank_first_and_stemming_applies(db):
    hits = search(db, "clusters")
    assert hits[0].entity == "news" and "cluster" in hits[0].title.lower()
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)


def test_hits_carry_url_source_snippet_and_state(db):
    hit = search(db, "laser")[0]
    assert (hit.url, hit.source, hit.state) == (FUNDED.url, "klaster", "active")
    assert "[laser]" in hit.snippet
    removed = search(db, "Oslo")[0]
    assert (removed.title, removed.state) == ("Nordic cluster days", "removed")
    assert search(db, "vouchers", limit=1)[0].url == GP_PAGE


def test_index_follows_updates_with_no_writer_code(db):
    """Run 2 replaced 'biotech' with 'laser', and 'meet in Vilnius' with 'met in Kaunas' in the
    page text."""
    assert _found(db, "biotech") == []
    assert _found(db, "Vilnius") == [("event", "Future Forum")]
    assert [h.url for h in search(db, "met Kaunas")] == [LIST]


def test_index_follows_updates_without_recursive_triggers(tmp_path):
    db = build_store(tmp_path / "store.db", recursive_triggers=False)
    assert _found(db, "biotech") == []


def test_plain_words_never_raise_and_raw_gives_fts5_syntax(db):
    assert _found(db, 'EUR-funded "unbalanced') == []
    assert _found(db, "las*", raw=True)[0] == ("news", "Cluster gets funding")
    with pytest.raises(StoreError, match="bad query"):
        search(db, '"unbalanced', raw=True)
    with pytest.raises(StoreError, match="give some words"):
        search(db, "  ")


def test_search_command_text_and_json(tmp_path, capsys):
    build_store(tmp_path / "store.db").close()
    assert run_cli("search", "laser", "--db", str(tmp_path / "store.db")) == 0
    out = capsys.readouterr().out
    assert "news" in out and "Cluster gets funding" in out and FUNDED.url in out
    assert run_cli("search", "cluster", "--db", str(tmp_path / "store.db"), "--json",
                   "--limit", "2") == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2
    assert set(hits[0]) == {"entity", "source", "title", "url", "snippet", "state", "rank"}


def test_search_command_errors_are_one_line_exit_2(tmp_path, capsys):
    assert run_cli("search", "x", "--db", str(tmp_path / "missing.db")) == 2
    err = capsys.readouterr().err
    assert err == f"agencywatch: {tmp_path / 'missing.db'}: no such database\n"
