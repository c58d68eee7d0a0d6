"""The writer's batched paths (one UPDATE for a batch's page texts, one executemany per table
for a page's new items) store exactly what writing the same pages one batch each stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from extractors.records import Figure, NewsItem, PageExtraction, records_of
from store.batches import CHANGED, PageRecord, SourceBatch, SourceInfo
from store.db import open_db
from store.runs import start_run
from store.writer import finish_source, write_batch

SOURCE = SourceInfo("klaster", "https://www.klaster.lt/en/", "auto")
SKIPPED = {"runs", "_sqlite_migrations"}  # run rows carry wall-clock times


def _page(i: int, title: str = "Title", extra: str = "") -> PageRecord:
    url = f"https://www.klaster.lt/en/news/page-{i}"
    news = tuple(
        NewsItem(f"News {i}.{n}", f"2026-01-0{n + 1}", "Teaser.", f"{url}/item-{n}")
        for n in range(3)
    )
    figures = tuple(
        Figure(1000.0 * (n + 1), "EUR", f"€{n + 1} thousand", f"Grant {n} of €{n + 1} thousand.")
        for n in range(4)
    )
    text = f"Klaster page {i} text about clusters {extra}"
    extraction = PageExtraction(url, "news_list", title, records_of(news=news, figures=figures),
                                text)
    return PageRecord(
        url=url,
        outcome=CHANGED,
        fetched_at="2026-11-24T00:00:00+00:00",
        status=200,
        body=text.encode(),
        content_hash=f"hash-{i}-{extra}",
        extraction=extraction,
        extractor_version="test",
    )


def _crawl(path: Path, runs: list[list[PageRecord]], batch_size: int) -> dict[str, list]:
    db = open_db(path)
    for pages in runs:
        run = start_run(db, ["klaster"])
        for i in range(0, len(pages), batch_size):
            write_batch(db, run, SourceBatch(SOURCE, tuple(pages[i : i + batch_size])))
        finish_source(db, run, SOURCE, truncated=False)
    conn = sqlite3.connect(path)
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if r[0] not in SKIPPED and "_fts_" not in r[0]
    ]
    dump = {n: conn.execute(f"SELECT * FROM [{n}] ORDER BY rowid").fetchall() for n in names}
    for fts in ("pages_fts", "news_items_fts"):  # what a search finds
        dump[fts + " match"] = conn.execute(
            f"SELECT rowid FROM [{fts}] WHERE [{fts}] MATCH 'cluster OR news' ORDER BY rowid"
        ).fetchall()
    return dump


def test_one_batch_stores_what_one_batch_per_page_stores(tmp_path: Path) -> None:
    first = [_page(i) for i in range(6)]
    # re-crawl: some pages unchanged, some with new text and items, one a new page
    second = [_page(i) for i in range(3)] + [
        _page(3, "New title", "changed"),
        _page(4, extra="changed"),
        _page(9),
    ]
    batched = _crawl(tmp_path / "a.db", [first, second], batch_size=100)
    single = _crawl(tmp_path / "b.db", [first, second], batch_size=1)
    assert batched["items"] and batched["changes"] and batched["pages_fts match"]
    assert batched == single

