"""Item history and change detection on a real SQLite file, with hand-made batches."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from extractors.records import Event, Figure, NewsItem, PageExtraction, records_of
from store.batches import CHANGED, FAILED, NOT_MODIFIED, PageRecord, SourceBatch, SourceInfo
from store.db import RunLockedError, StoreError, crawl_lock, open_db
from store.report import render, report_data
from store.runs import finish_run, mark_dead_runs, start_run
from store.writer import finish_source, load_blob, page_states, write_batch

LIST = "https://www.klaster.lt/en/"
SOURCE = SourceInfo("klaster", LIST, "auto")


def news(title, date="2017-07-18", slug=None, summary="Teaser."):
    slug = slug or title.lower().replace(" ", "-")
    return NewsItem(title, date, summary, f"https://www.klaster.lt/en/news/{slug}")


def page(*items, events=(), figures=(), outcome=CHANGED, url=LIST, status=200, text="Body."):
    extraction = None
    if outcome == CHANGED:
        extraction = PageExtraction(
            url, "news_list", "Klaster", records_of(news=items, events=events, figures=figures),
            text,
        )
    body = json.dumps(extraction.to_json()).encode() if extraction else None
    return PageRecord(
        url=url,
        outcome=outcome,
        fetched_at="2026-11-24T00:00:00+00:00",
        status=status,
        body=body,
        content_hash=str(hash(body)) if body else None,
        extraction=extraction,
        extractor_version="test",
    )


def crawl(db, *pages, truncated=False, batches=1):
    """One run; the pages split into `batches` batches, like a paged crawl."""
    run = start_run(db, ["klaster"])
    for i in range(batches):
        write_batch(db, run, SourceBatch(SOURCE, tuple(pages[i::batches])), today="2026-11-24")
    finish_source(db, run, SOURCE, truncated=truncated)
    finish_run(db, run, "completed")
    return [
        (c["change"], c["entity"], c["title"], c["fields"], c.get("reason"))
        for c in report_data(db, run)["changes"]
    ]


@pytest.fixture
def db(tmp_path: Path):
    return open_db(tmp_path / "store.db")


A, B, C = (
    news("Two more certified clusters"),
    news("Clusters shared knowledge"),
    news("Nordic days"),
)


def test_first_crawl_adds_everything_and_identical_recrawl_reports_nothing(db):
    first = crawl(db, page(A, B, C))
    assert [(c[0], c[1]) for c in first] == [("added", "news")] * 3
    assert crawl(db, page(A, B, C)) == []


def test_reorder_whitespace_and_tracking_parameters_are_no_change(db):
    crawl(db, page(A, B, C))
    b2 = NewsItem(
        "  Clusters   shared\nknowledge ", B.date, " Teaser. ", B.url + "?utm_source=x#top"
    )
    assert crawl(db, page(C, b2, A)) == []


def test_typo_fix_with_new_slug_is_an_update_not_remove_plus_add(db):
    crawl(db, page(A, B))
    fixed = news("Two more certified clustres", slug="two-more-certified-clusters-2")
    changes = crawl(db, page(fixed, B))
    assert [(c[0], c[2]) for c in changes] == [("updated", "Two more certified clustres")]
    assert set(changes[0][3]) == {"title", "url"}


def test_removed_with_reason_and_reappeared(db):
    crawl(db, page(A, B, C))
    changes = crawl(db, page(A, B))
    assert changes == [("removed", "news", "Nordic days", {}, "dropped from listing")]
    assert crawl(db, page(A, B, C))[0][:3] == ("reappeared", "news", "Nordic days")


def test_detail_page_gone_is_the_reason(db):
    crawl(db, page(A, B, C))
    gone = page(outcome=FAILED, url=C.url, status=404)
    changes = crawl(db, page(A, B), gone)
    assert changes[0][0] == "removed" and changes[0][4] == "detail page gone (404)"


def test_failed_or_unchanged_listing_removes_nothing(db):
    crawl(db, page(A, B, C))
    assert crawl(db, page(outcome=FAILED, status=500)) == []
    assert crawl(db, page(outcome=NOT_MODIFIED, status=304)) == []


def test_item_moved_to_a_page_in_a_later_batch_is_not_removed(db):
    page2 = "https://www.klaster.lt/en/?page=2"
    crawl(db, page(A, B), page(C, url=page2), batches=2)
    # a new item pushes B to page 2; the two pages come in separate batches
    assert [c[:3] for c in crawl(db, page(news("New"), A), page(B, C, url=page2), batches=2)] == [
        ("added", "news", "New")
    ]


def test_item_pushed_past_max_pages_says_so(db):
    crawl(db, page(A, B, C))
    changes = crawl(db, page(news("New"), A, B), truncated=True)
    removed = [c for c in changes if c[0] == "removed"]
    assert [c[2] for c in removed] == ["Nordic days"]
    assert removed[0][4].startswith("moved to a later page")


def test_layout_change_removes_nothing_and_says_so(db):
    crawl(db, page(A, B, C))
    run = start_run(db, ["klaster"])
    write_batch(db, run, SourceBatch(SOURCE, (page(),)), today="2026-11-24")
    data = report_data(db, run)
    assert data["changes"] == []
    assert data["failures"] == [
        {
            "url": LIST,
            "error": "klaster: extraction failed: layout changed? (1 page read but yielded no "
            f"items or empty fields where they had some: {LIST}); nothing removed or changed",
        }
    ]


def test_field_emptied_everywhere_is_a_layout_change_not_an_update(db):
    crawl(db, page(A, B, C))
    undated = [NewsItem(n.title, None, n.summary, n.url) for n in (A, B, C)]
    run = start_run(db, ["klaster"])
    write_batch(db, run, SourceBatch(SOURCE, (page(*undated),)), today="2026-11-24")
    data = report_data(db, run)
    assert data["changes"] == []
    assert "layout changed?" in data["failures"][0]["error"]
    note = db.execute("SELECT error FROM fetches WHERE run_id = ?", [run]).fetchone()[0]
    assert "news: date empty on every item" in note


def test_event_date_change_is_typed_and_first(db):
    ev = Event(
        "5th Cluster Matchmaking Conference",
        "2017-09-21",
        None,
        "BSR Stars",
        "Stuttgart, Germany",
        "https://www.klaster.lt/en/events/5th",
    )
    crawl(db, page(A, events=[ev]))
    moved = Event(ev.title, "2017-09-28", None, ev.organiser, ev.location, ev.url)
    changes = crawl(db, page(news("New item"), A, events=[moved]))
    assert changes[0][:2] == ("updated", "event")
    assert changes[0][3] == {"start_date": {"old": "2017-09-21", "new": "2017-09-28"}}


def test_past_event_removed_with_reason(db):
    ev = Event("Forum", "2017-08-23", None, None, None, "https://www.klaster.lt/en/events/forum")
    crawl(db, page(A, events=[ev]))
    assert crawl(db, page(A))[0][4] == "event is past"


def test_figures_compare_as_values(db):
    ctx = "Public investments needed was {}."
    fig = Figure(3_500_000, "EUR", "€3.5 million", ctx.format("€3.5 million"))
    crawl(db, page(A, figures=[fig]))
    same = Figure(3_500_000, "EUR", "EUR 3,500,000", ctx.format("EUR 3,500,000"))
    assert crawl(db, page(A, figures=[same])) == []
    more = Figure(4_000_000, "EUR", "€4 million", ctx.format("€4 million"))
    changes = crawl(db, page(A, figures=[more]))
    assert [(c[0], c[1]) for c in changes] == [("updated", "figure")]
    assert changes[0][3]["value"] == {"old": 3_500_000, "new": 4_000_000}


def test_history_keeps_versions_and_blobs_are_deduplicated(db):
    crawl(db, page(A))
    crawl(db, page(news(A.title, summary="New teaser.", slug="two-more-certified-clusters")))
    versions = list(db.query("SELECT valid_from_run, valid_to_run FROM item_versions ORDER BY id"))
    assert versions == [
        {"valid_from_run": 1, "valid_to_run": 2},
        {"valid_from_run": 2, "valid_to_run": None},
    ]
    crawl(db, page(news(A.title, summary="New teaser.", slug="two-more-certified-clusters")))
    assert db.execute("SELECT count(*) FROM blobs").fetchone()[0] == 2
    digest = db.execute("SELECT content_hash FROM pages").fetchone()[0]
    assert load_blob(db, digest) and page_states(db, "klaster")[LIST].content_hash == digest


def test_page_text_change_is_a_page_update_with_word_diff(db):
    crawl(db, page(text="About LTL 186 million will be allocated to clusters in Lithuania."))
    changes = crawl(db, page(text="About EUR 44.8 million was allocated to clusters in Lithuania."))
    assert changes[0][:2] == ("updated", "page")
    run = db.execute("SELECT max(id) FROM runs").fetchone()[0]
    md = render(report_data(db, run), "md")
    assert "About ~~LTL 186~~ **EUR 44.8** million ~~will be~~ **was** allocated" in md


def test_rewritten_text_shows_old_then_new_not_interleaved():
    from store.report import word_diff

    assert word_diff("one two three four", "five six seven four") == [
        ("-", "one two three four"),
        ("+", "five six seven four"),
    ]


def test_reordered_listing_is_no_page_change(db):
    crawl(db, page(A, B, C, text="A B C"))
    assert crawl(db, page(C, B, A, text="C B A")) == []


def test_html_report_escapes_page_content(db):
    evil = news("<script>alert(1)</script>", slug="evil")
    crawl(db, page(evil))
    out = render(report_data(db, "latest"), "html")
    assert "<script>alert(1)</script>" not in out and "&lt;script&gt;" in out


def test_dead_running_run_becomes_interrupted(db, tmp_path):
    run = start_run(db, ["klaster"])
    assert mark_dead_runs(db) == 1
    row = db.execute("SELECT status, error FROM runs WHERE id = ?", [run]).fetchone()
    assert row[0] == "interrupted" and row[1]


def test_lock_refuses_a_second_crawl(tmp_path):
    path = tmp_path / "store.db"
    with (
        crawl_lock(path),
        pytest.raises(RunLockedError, match="another crawl is running"),
        crawl_lock(path, wait_s=0.3),
    ):
        pass


def test_bad_database_paths(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_db(tmp_path / "missing" / "x.db")
    with pytest.raises(StoreError, match="is a folder"):
        open_db(tmp_path)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_db(bad)


def test_unknown_run_is_an_error(db):
    with pytest.raises(StoreError, match="unknown run"):
        report_data(db, 42)


def test_integrity_after_writes(db, tmp_path):
    crawl(db, page(A, B))
    conn = sqlite3.connect(tmp_path / "store.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_report_since_covers_several_runs(db):
    from store.report import report_since

    crawl(db, page(A, B))
    crawl(db, page(A, B, C))
    crawl(db, page(A, C))
    data = report_since(db, "2000-01-01")
    assert [r["id"] for r in data["runs"]] == [1, 2, 3] and data["run"]["id"] == 3
    assert {(c["run_id"], c["change"]) for c in data["changes"] if c["title"] != A.title} == {
        (1, "added"),
        (2, "added"),
        (3, "removed"),
    }
    assert "runs 1 to 3" in render(data, "md") and "run 3: **removed**" in render(data, "md")
    with pytest.raises(StoreError, match="no crawl run"):
        report_since(db, "2999-01-01")


def test_a_figure_whose_sentence_changed_is_updated_not_added_and_removed(db):
    """Issue 20, item 14: the figure stands on the page, its sentence was rewritten (not a
    near-copy of the old one, so not paired as a rename): at most an update of its context."""
    old = "Public investments needed in the period were €3.5 million."
    new = "The region will put €3.5 million into cluster services over five years."
    crawl(db, page(A, figures=[Figure(3_500_000, "EUR", "€3.5 million", old)]))
    changes = crawl(db, page(A, figures=[Figure(3_500_000, "EUR", "€3.5 million", new)]))
    assert changes == [
        ("updated", "figure", "€3.5 million", {"context": {"old": old, "new": new}}, None)
    ]
    row = db.execute("SELECT context, state FROM figures").fetchall()
    assert row == [(new, "active")]
    assert crawl(db, page(A, figures=[Figure(3_500_000, "EUR", "€3.5 million", new)])) == []


def test_same_figure_in_two_rewritten_sentences_pairs_one_to_one(db):
    one, two = "Growth was 22% last year in exports.", "Imports fell by 22% as well."
    crawl(db, page(A, figures=[Figure(22, "%", "22%", one), Figure(22, "%", "22%", two)]))
    three = "A share of 22% of firms now export to Nordic markets and beyond."
    changes = crawl(db, page(A, figures=[Figure(22, "%", "22%", three)]))
    kinds = sorted((c[0], c[1]) for c in changes)
    assert kinds == [("removed", "figure"), ("updated", "figure")]
