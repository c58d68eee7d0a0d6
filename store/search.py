"""Full-text search over everything the store read: every record kind with searchable fields
(news, events, good practices, ...) and the pages.

The FTS5 indexes (`<table>_fts`, declared in `schema.FTS_COLUMNS`) are external-content tables
kept current by sqlite-utils' triggers, so the writer holds no search code. One caveat: the
writer stores typed rows with `INSERT OR REPLACE`, and SQLite fires the delete trigger of a
REPLACE only when `PRAGMA recursive_triggers` is on (Debian's SQLite turns it on by default,
upstream's does not). With it off, an updated item keeps matching its old words until the
writer uses `INSERT ... ON CONFLICT DO UPDATE`; tests/test_search.py pins this.

Results of the four indexes are ranked together by bm25, with a title match worth ten matches
elsewhere.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from extractors.kinds import KINDS
from store.db import StoreError
from store.schema import FTS_COLUMNS

TITLE_WEIGHT = 10.0
MAX_LIMIT = 2**63 - 1  # SQLite's largest integer


@dataclass(frozen=True, slots=True)
class Hit:
    entity: str  # 'page', or a record kind with a search index: 'news', 'event', ...
    source: str
    title: str | None
    url: str | None
    snippet: str
    state: str | None  # 'active' / 'removed' for items; null for pages
    rank: float  # bm25: lower is better

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# table -> (entity, title expression, url expression, state expression): every record kind
# with a search index, and pages
_SHAPE: dict[str, tuple[str, str, str, str]] = {
    **{k.table: (k.entity, f"t.{k.label}", "coalesce(t.url, t.page_url)", "t.state")
       for k in KINDS if k.search_fields},
    "pages": ("page", "t.title", "t.url", "NULL"),
}


def _select(table: str, mark: tuple[str, str]) -> str:
    entity, title, url, state = _SHAPE[table]
    fts = f"{table}_fts"
    weights = ", ".join(str(TITLE_WEIGHT if c == "title" else 1.0) for c in FTS_COLUMNS[table])
    return (
        f"SELECT '{entity}' AS entity, s.name AS source, {title} AS title, {url} AS url,\n"
        f"  snippet([{fts}], -1, '{mark[0]}', '{mark[1]}', '…', 12) AS snippet,\n"
        f"  {state} AS state, bm25([{fts}], {weights}) AS rank\n"
        f"FROM [{fts}] JOIN [{table}] t ON t.rowid = [{fts}].rowid\n"
        f"JOIN sources s ON s.id = t.source_id\nWHERE [{fts}] MATCH :q"
    )


def search_sql(mark: tuple[str, str] = ("[", "]"), limit: str = ":limit") -> str:
    """One ranked query over every index, with the parameter :q (FTS5 syntax)."""
    union = "\nUNION ALL\n".join(_select(t, mark) for t in FTS_COLUMNS)
    return f"{union}\nORDER BY rank LIMIT {limit}"


def search(
    db: sqlite_utils.Database, query: str, *, limit: int = 20, raw: bool = False
) -> list[Hit]:
    """Ranked hits for `query`: plain words (all must match) unless `raw` gives FTS5 syntax."""
    if not query.strip():
        raise StoreError("search: give some words to search for")
    if not 1 <= limit <= MAX_LIMIT:
        raise StoreError(f"search: --limit must be between 1 and {MAX_LIMIT}, not {limit}")
    # quote_fts turns every word into a literal, so 'EUR-funded' or a stray quote is no error
    match = query if raw else db.quote_fts(query)
    try:
        rows = db.execute(search_sql(), {"q": match, "limit": limit}).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise StoreError(f"search: the store has no search index yet ({exc})") from exc
        raise StoreError(f"search: bad query {query!r}: {exc}") from exc
    return [Hit(*row) for row in rows]
