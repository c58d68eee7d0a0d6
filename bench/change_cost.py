"""What change detection costs on a re-crawl where 1% of pages changed, at two store sizes.

No network and no extraction: batches of ready-made records go through the store's real write
path (`write_batch` + `finish_source`) on a real SQLite file, so the figure is the store's own
cost. Usage: python -m bench.change_cost --pages 5000 50000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from extractors.records import Figure, NewsItem, PageExtraction, records_of
from store.batches import CHANGED, NOT_MODIFIED, PageRecord, SourceBatch, SourceInfo
from store.db import open_db
from store.runs import finish_run, start_run
from store.writer import finish_source, write_batch

SOURCE = SourceInfo("bench", "http://127.0.0.1/news", "news_list")
BATCH = 100


def _page(i: int, version: int) -> PageRecord:
    url = f"http://127.0.0.1/news/{i}"
    amount = 3.5 + version
    text = f"Article {i}. The budget is €{amount} million and 22% goes to clusters."
    ext = PageExtraction(
        url,
        "news_list",
        f"Article {i}",
        records=records_of(
            news=(NewsItem(f"Item {i}", "2017-07-18", "Teaser.", f"{url}/item"),),
            figures=(
                Figure(amount * 1e6, "EUR", f"€{amount} million", text),
                Figure(22, "%", "22%", text),
            ),
        ),
        text=text,
    )
    body = text.encode()
    return PageRecord(
        url=url,
        outcome=CHANGED,
        fetched_at="2026-01-01T00:00:00+00:00",
        status=200,
        body=body,
        content_hash=f"{i}-{version}",
        extraction=ext,
        extractor_version="bench",
    )


def _unchanged(i: int) -> PageRecord:
    return PageRecord(
        url=f"http://127.0.0.1/news/{i}",
        outcome=NOT_MODIFIED,
        fetched_at="2026-01-02T00:00:00+00:00",
        status=304,
    )


def _run(db_path: Path, pages: list[PageRecord]) -> tuple[float, dict[str, int]]:
    db = open_db(db_path)
    run = start_run(db, ["bench"])
    started = time.perf_counter()
    for i in range(0, len(pages), BATCH):
        write_batch(db, run, SourceBatch(SOURCE, tuple(pages[i : i + BATCH])))
    finish_source(db, run, SOURCE, truncated=False)
    elapsed = time.perf_counter() - started
    finish_run(db, run, "completed")
    row = db.execute(
        "SELECT items_added, items_updated, items_removed FROM runs WHERE id = ?", [run]
    ).fetchone()
    db.close()
    return elapsed, {"added": row[0], "updated": row[1], "removed": row[2]}


def measure(n: int, workdir: Path) -> str:
    db_path = workdir / f"store-{n}.db"
    first, _ = _run(db_path, [_page(i, 0) for i in range(n)])
    changed = set(range(0, n, 100))  # 1%
    pages = [_page(i, 1) if i in changed else _unchanged(i) for i in range(n)]
    second, counts = _run(db_path, pages)
    size = db_path.stat().st_size / 1e6
    return (
        f"| {n} | {first:.1f} | {second:.2f} | {second / n * 1e3:.3f} | {len(changed)} | "
        f"{counts['updated']} | {size:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, nargs="+", default=[5000, 50000])
    args = parser.parse_args()
    print(f"Command: python -m bench.change_cost --pages {' '.join(map(str, args.pages))}")
    print(
        "| stored pages | first write s | 1%-changed re-crawl store+diff s | ms per page "
        "| changed pages | items updated | DB MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.pages:
            print(measure(n, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
