"""The SQL analysts read the store with: the views, the canned questions Datasette offers, and
how a reader opens the store (read-only, or as an immutable snapshot).

The views are declared here, for the docs and Datasette, and built by the SQL migrations
(`store/sql/`): a changed view is a new migration that drops and recreates it, and a test holds
each view of a freshly migrated store to its declared columns. The typed tables (`news_items`,
...) already hold the latest version of each item; each kind's `latest_*` view (declared from
its spec) adds the source name and when the item was seen.

Timestamps are the UTC start times of runs (ISO 8601, `2026-11-24T06:00:00+00:00`), so they
compare as text: `'2024-06-01'` sorts before every run of that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from extractors.kinds import EVENTS, KINDS, KindSpec
from store.db import StoreError
from store.schema import Column
from store.search import search_sql

C = Column


@dataclass(frozen=True, slots=True)
class View:
    name: str
    doc: str
    sql: str  # the SELECT, without CREATE VIEW
    columns: tuple[Column, ...]  # every output column, in order (a test checks them)

    def ddl(self) -> str:
        return f"CREATE VIEW [{self.name}] AS\n{self.sql.strip()}"


# Columns every latest_* view ends with: state, provenance and when it was seen.
_SEEN_SQL = """
  t.state,
  i.removed_reason,
  fr.started_at AS first_seen_at,
  lr.started_at AS last_seen_at,
  t.page_url,
  i.key,
  t.item_id
"""
_SEEN_JOINS = """
JOIN sources s ON s.id = t.source_id
JOIN items i ON i.id = t.item_id
LEFT JOIN runs fr ON fr.id = i.first_seen_run
LEFT JOIN runs lr ON lr.id = i.last_seen_run
"""
_SEEN_COLUMNS = (
    C("state", "TEXT", "'active', or 'removed' (see removed_reason)."),
    C("removed_reason", "TEXT", "Why it is gone: 'dropped from listing', 'event is past', ..."),
    C("first_seen_at", "TEXT", "Start time (UTC) of the run that first saw it."),
    C("last_seen_at", "TEXT", "Start time (UTC) of the run that last read it."),
    C("page_url", "TEXT", "Page it was read from."),
    C("key", "TEXT", "Item key: its detail URL, else a normalised title key (see item_history)."),
    C("item_id", "INTEGER", "The item (items.id)."),
)
_SOURCE = C("source", "TEXT", "Source name (sources.name).")


def _latest(table: str, fields: tuple[Column, ...], order: str) -> str:
    select = ",\n".join(f"  t.{c.name}" for c in fields)
    return (
        f"SELECT\n  s.name AS source,\n{select},{_SEEN_SQL}FROM [{table}] t{_SEEN_JOINS}"
        f"ORDER BY {order}"
    )


def _fields(spec: KindSpec) -> tuple[Column, ...]:
    """A kind's fields as its views show them (the JSON ones as the JSON text they hold)."""
    return tuple(C(f.name, f.sql.split()[0], f.doc) for f in spec.view_columns)


def latest_view(spec: KindSpec) -> View:
    """A record kind's `latest_*` view: its typed table with the source and when it was seen."""
    fields = _fields(spec)
    return View(
        spec.view,
        f"{spec.doc.rstrip('.')}, with its source; removed items stay, state = 'removed'.",
        _latest(spec.table, fields, spec.view_order),
        (_SOURCE, *fields, *_SEEN_COLUMNS),
    )


# A date at any precision ('2026', '2026-11', '2026-11-24', '2026-11-24T10:00') is compared with
# today cut to the same length, so an event "in November 2026" is still upcoming on 2026-11-24.
_LAST_DAY = "coalesce(end_date, start_date)"
_UPCOMING = f"{_LAST_DAY} >= substr(date('now'), 1, length({_LAST_DAY}))"

# The latest crawl run, as `agencywatch report --run latest` picks it (any run if none crawled).
_LAST_RUN = "(SELECT coalesce(max(CASE WHEN kind = 'crawl' THEN id END), max(id)) FROM runs)"

_VERSION_COLUMNS = (
    C("version_id", "INTEGER", "The version (item_versions.id)."),
    C("item_id", "INTEGER", "The item (items.id)."),
    C("entity", "TEXT", "The record kind: 'news', 'event', ... (entities)."),
    _SOURCE,
    C("key", "TEXT", "Item key: canonical detail URL, else a normalised key."),
    C("label", "TEXT", "Title of the version, or the figure as written."),
    C("valid_from_run", "INTEGER", "Run in which this version appeared."),
    C("valid_from_at", "TEXT", "Start time (UTC) of valid_from_run."),
    C("valid_to_run", "INTEGER", "Run in which it was replaced or removed; null: still current."),
    C("valid_to_at", "TEXT", "Start time (UTC) of valid_to_run; null: still current."),
    C("data", "TEXT", "The record as JSON (contract field names)."),
    C("page_url", "TEXT", "Page it was read from."),
    C("content_hash", "TEXT", "Hash of the compared fields."),
    C("extractor_version", "TEXT", "Version of the extractors that read it."),
    C("fetch_id", "INTEGER", "The fetch it came from (fetches.id)."),
)

VIEWS: tuple[View, ...] = (
    *(latest_view(k) for k in KINDS),
    *(View(v.name, v.doc, v.sql, tuple(C(*c) for c in v.columns)) for k in KINDS for v in k.views),
    View(
        "upcoming_events",
        "Active events that have not ended: last day (end_date, else start_date) is today or "
        "later. Soonest first.",
        f"""
SELECT source, title, start_date, end_date, organiser, location, url, page_url, item_id
FROM latest_events
WHERE state = 'active' AND {_UPCOMING}
ORDER BY start_date, title
""",
        (
            _SOURCE,
            *_fields(EVENTS),
            C("page_url", "TEXT", "Page it was read from."),
            C("item_id", "INTEGER", "The item (items.id)."),
        ),
    ),
    View(
        "figures_by_page",
        "Every figure (latest version) with its source and page: value in its unit, as written, "
        "and the sentence around it.",
        """
SELECT
  s.name AS source,
  f.page_url,
  p.title AS page_title,
  f.unit,
  f.value,
  f.text,
  f.context,
  f.state,
  fr.started_at AS first_seen_at,
  f.item_id
FROM figures f
JOIN sources s ON s.id = f.source_id
JOIN items i ON i.id = f.item_id
LEFT JOIN pages p ON p.url = f.page_url
LEFT JOIN runs fr ON fr.id = i.first_seen_run
ORDER BY f.page_url, f.item_id
""",
        (
            _SOURCE,
            C("page_url", "TEXT", "Page the figure stands on."),
            C("page_title", "TEXT", "Title of that page."),
            C("unit", "TEXT", "ISO 4217 code (EUR), '%', 'km2', or the counted noun."),
            C("value", "REAL", "Value in that unit, scaled (€73.3 million -> 73300000)."),
            C("text", "TEXT", "The figure as written on the page."),
            C("context", "TEXT", "The sentence it stands in."),
            C("state", "TEXT", "'active', or 'removed' when the page no longer shows it."),
            C("first_seen_at", "TEXT", "Start time (UTC) of the run that first saw it."),
            C("item_id", "INTEGER", "The item (items.id); its versions are in item_history."),
        ),
    ),
    View(
        "last_run_changes",
        "What the latest crawl run found changed, most important first within each source "
        "(the rows of `agencywatch report --run latest`).",
        f"""
SELECT
  c.run_id,
  r.started_at AS run_started_at,
  s.name AS source,
  c.entity,
  c.change,
  c.title,
  c.fields,
  c.reason,
  c.url,
  c.key,
  c.importance,
  c.item_id
FROM changes c
JOIN sources s ON s.id = c.source_id
JOIN runs r ON r.id = c.run_id
WHERE c.run_id = {_LAST_RUN}
ORDER BY s.name, c.importance DESC, c.id
""",
        (
            C("run_id", "INTEGER", "The run."),
            C("run_started_at", "TEXT", "Its start time (UTC)."),
            _SOURCE,
            C("entity", "TEXT", "'page', or the record kind: 'news', 'event', ... (entities)."),
            C("change", "TEXT", "'added', 'updated', 'removed' or 'reappeared'."),
            C("title", "TEXT", "Title, or the figure as written."),
            C("fields", "TEXT", "JSON {field: {old, new}} of what changed."),
            C("reason", "TEXT", "Why a record was removed."),
            C("url", "TEXT", "Detail URL of the item, or the page URL."),
            C("key", "TEXT", "Item key (or page URL)."),
            C("importance", "INTEGER", "Report order: higher comes first."),
            C("item_id", "INTEGER", "The item; null for page changes."),
        ),
    ),
    View(
        "item_history",
        "Every version of every item, oldest first: valid from the run it appeared in to the run "
        "that replaced or removed it, with both runs' start times.",
        """
SELECT
  v.id AS version_id,
  v.item_id,
  i.entity,
  s.name AS source,
  i.key,
  coalesce(json_extract(v.data, '$.title'), json_extract(v.data, '$.text')) AS label,
  v.valid_from_run,
  fr.started_at AS valid_from_at,
  v.valid_to_run,
  tr.started_at AS valid_to_at,
  v.data,
  v.page_url,
  v.content_hash,
  v.extractor_version,
  v.fetch_id
FROM item_versions v
JOIN items i ON i.id = v.item_id
JOIN sources s ON s.id = i.source_id
JOIN runs fr ON fr.id = v.valid_from_run
LEFT JOIN runs tr ON tr.id = v.valid_to_run
""",
        _VERSION_COLUMNS,
    ),
    View(
        "store_as_of",
        "The store as known at any time: each item version with the interval it was valid in. "
        "As of :date, `SELECT * FROM store_as_of WHERE valid_from_at <= :date AND "
        "(valid_to_at IS NULL OR valid_to_at > :date)`.",
        """
SELECT
  valid_from_at,
  valid_to_at,
  entity,
  source,
  key,
  label,
  data,
  page_url,
  item_id,
  version_id
FROM item_history
""",
        (
            C("valid_from_at", "TEXT", "Start time (UTC) of the run the version appeared in."),
            C(
                "valid_to_at",
                "TEXT",
                "Start time (UTC) of the run that replaced or removed it; null: still current.",
            ),
            C("entity", "TEXT", "The record kind: 'news', 'event', ... (entities)."),
            _SOURCE,
            C("key", "TEXT", "Item key."),
            C("label", "TEXT", "Title of the version, or the figure as written."),
            C("data", "TEXT", "The record as JSON (contract field names)."),
            C("page_url", "TEXT", "Page it was read from."),
            C("item_id", "INTEGER", "The item (items.id)."),
            C("version_id", "INTEGER", "The version (item_versions.id)."),
        ),
    ),
)

AS_OF_SQL = (
    "SELECT * FROM store_as_of WHERE valid_from_at <= :date "
    "AND (valid_to_at IS NULL OR valid_to_at > :date)"
)


@dataclass(frozen=True, slots=True)
class Question:
    """A canned query: a question analysts ask, with its :parameters."""

    name: str
    title: str
    description: str
    sql: str


# Words that mark funding news, as FTS5 prefix queries on porter stems ('funding' -> 'fund').
FUNDING_MATCH = (
    "fund* OR financ* OR finans* OR invest* OR grant* OR eur OR euro OR euros OR meur "
    "OR million* OR mln"
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "funding_news_this_year",
        "Funding news this year, by source",
        "News whose title or summary mentions funding, financing, investment, grants, EUR/€ "
        "or millions, dated this year (first seen this year when undated). Leave year empty "
        "for the current one.",
        f"""SELECT source, date, title, summary, url, state
FROM latest_news
WHERE (item_id IN (SELECT rowid FROM news_items_fts WHERE news_items_fts MATCH '{FUNDING_MATCH}')
       OR title LIKE '%€%' OR summary LIKE '%€%')
  AND substr(coalesce(date, first_seen_at), 1, 4)
      = coalesce(nullif(:year, ''), strftime('%Y', 'now'))
ORDER BY source, date DESC""",
    ),
    Question(
        "upcoming_events",
        "Upcoming events",
        "Events that have not ended yet, soonest first.",
        "SELECT start_date, end_date, title, source, organiser, location, url\n"
        "FROM upcoming_events",
    ),
    Question(
        "figures_of_a_page_over_time",
        "Figures of a page over time",
        "Every version of every figure on the pages whose URL contains page_url, with the runs "
        "(and their start times) each version was valid between.",
        """SELECT page_url,
  json_extract(data, '$.text') AS text,
  json_extract(data, '$.value') AS value,
  json_extract(data, '$.unit') AS unit,
  valid_from_at, valid_to_at, valid_from_run, valid_to_run,
  json_extract(data, '$.context') AS context,
  item_id
FROM item_history
WHERE entity = 'figure' AND page_url LIKE '%' || :page_url || '%'
ORDER BY page_url, item_id, valid_from_run""",
    ),
    Question(
        "last_run_changes",
        "Changes of the last run",
        "What the latest crawl found added, updated, removed or reappeared.",
        "SELECT run_id, run_started_at, source, change, entity, title, fields, reason, url\n"
        "FROM last_run_changes",
    ),
    Question(
        "item_history_for_key",
        "History of an item",
        "Every version of the items whose key (usually the detail URL) contains key, oldest first.",
        """SELECT entity, source, key, label, valid_from_at, valid_to_at, data, page_url
FROM item_history
WHERE key LIKE '%' || :key || '%'
ORDER BY item_id, version_id""",
    ),
    Question(
        "store_as_of_date",
        "The store as of a date",
        "Every item version the store held at date (ISO: 2024-06-01 is the start of that day, "
        "UTC; 2024-06-01T23:59:59 its end).",
        AS_OF_SQL + "\nORDER BY entity, source, key",
    ),
    Question(
        "money_figures_by_source",
        "Money figures by source",
        "Active money figures (units that are ISO 4217 codes) per source and currency: how "
        "many, the largest as written and where, and their sum.",
        # SQLite takes the bare columns (text, page_url) from the row that holds max(value)
        """SELECT source, unit AS currency, count(*) AS figures,
  max(value) AS largest, text AS largest_as_written, page_url AS largest_on_page,
  sum(value) AS total
FROM figures_by_page
WHERE state = 'active' AND unit GLOB '[A-Z][A-Z][A-Z]'
GROUP BY source, unit
ORDER BY source, largest DESC""",
    ),
    Question(
        "search_everything",
        "Search everything",
        "Full-text search over news, events, good practices and page texts, best first (FTS5 "
        'syntax: words, "a phrase", fund*, a OR b).',
        search_sql(limit="100"),
    ),
    # the canned queries record kinds bring (extractors/kinds.py)
    *(Question(q.name, q.title, q.description, q.sql) for k in KINDS for q in k.questions),
)


def view(name: str) -> View:
    return next(v for v in VIEWS if v.name == name)




def require(db: sqlite_utils.Database, name: str) -> None:
    """A one-line error when the store has no table or view of that name."""
    if name not in db.table_names() and name not in db.view_names():
        raise StoreError(f"the store has no table or view {name!r}")


def source_links(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(name, start URL) of every source, by name."""
    return [(r[0], r[1]) for r in db.execute("SELECT name, url FROM sources ORDER BY name")]


def figure_units(db: sqlite_utils.Database, limit: int = 15) -> list[tuple[str, int]]:
    """The units active figures use, most used first."""
    rows = db.execute(
        "SELECT unit, count(*) FROM figures WHERE state = 'active' "
        "GROUP BY unit ORDER BY count(*) DESC, unit LIMIT ?",
        [limit],
    )
    return [(r[0], int(r[1])) for r in rows]
