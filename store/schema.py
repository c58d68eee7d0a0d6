"""The one owner of the store's DDL. Every table and column is described here, in code, so the
schema documentation (`agencywatch schema-docs`) and the Datasette metadata come from one place.

Shape of the data:

    sources ─┬─< runs' fetches >── pages ──< blobs (raw HTML, zlib, by content hash)
             └─< items ──< item_versions (valid_from_run .. valid_to_run, SCD2)
                   │
                   ├── news_items / events / good_practices / figures   (latest version, typed)
                   └─< changes (added | updated | removed | reappeared, per run)

These declarations describe the schema (docs, Datasette metadata, the writer's column lists);
the migrations that build it are SQL files in `store/sql/` (`store/migrate.py`), frozen as
written; a test checks that a freshly migrated store matches these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.kinds import KINDS, KindSpec


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # SQL type and constraints, as written into CREATE TABLE
    doc: str


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    constraints: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = field(default=())

    def ddl(self) -> str:
        parts = [f"  [{c.name}] {c.type}" for c in self.columns] + [
            f"  {c}" for c in self.constraints
        ]
        return f"CREATE TABLE [{self.name}] (\n" + ",\n".join(parts) + "\n)"


C = Column
_ITEM_STATE = "TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed'))"

CORE_TABLES: tuple[Table, ...] = (
    Table(
        "entities",
        "What an item or a change can be about: 'page', and every record kind "
        "(extractors/kinds.py).",
        (
            C("name", "TEXT PRIMARY KEY", "As items.entity and changes.entity name it."),
            C("doc", "TEXT NOT NULL", "What it is."),
        ),
    ),
    Table(
        "sources",
        "The watched sources, one row per `[[source]]` of sources.toml (upserted on every crawl).",
        (
            C("id", "INTEGER PRIMARY KEY", "Row id."),
            C("name", "TEXT NOT NULL UNIQUE", "The source's unique name from sources.toml."),
            C("url", "TEXT NOT NULL", "The start URL of the source."),
            C("kind", "TEXT NOT NULL", "Page kind asked for: auto, news_list, events, ..."),
            C("config", "TEXT NOT NULL", "The whole source entry as JSON, as last crawled."),
        ),
    ),
    Table(
        "runs",
        "One row per crawl. Starts 'running'; ends 'completed', 'failed' or 'interrupted'.",
        (
            C("id", "INTEGER PRIMARY KEY", "Run number, increasing."),
            C("started_at", "TEXT NOT NULL", "UTC start time, ISO 8601."),
            C("finished_at", "TEXT", "UTC end time, ISO 8601; null while running."),
            C(
                "status",
                "TEXT NOT NULL CHECK (status IN ('running','completed','failed','interrupted'))",
                "Run state.",
            ),
            C(
                "kind",
                "TEXT NOT NULL DEFAULT 'crawl'",
                "'crawl', or 'reprocess' for a re-extraction.",
            ),
            C("sources", "TEXT NOT NULL DEFAULT '[]'", "JSON list of the source names in the run."),
            C("pid", "INTEGER", "Process id of the crawler, to tell a dead run from a live one."),
            C("prefect_flow_run_id", "TEXT", "Prefect's id of the flow run, when run by Prefect."),
            C("requests", "INTEGER NOT NULL DEFAULT 0", "HTTP requests made (retries included)."),
            C("pages_fetched", "INTEGER NOT NULL DEFAULT 0", "Pages answered 200 with a body."),
            C(
                "pages_not_modified",
                "INTEGER NOT NULL DEFAULT 0",
                "Pages answered 304, or unchanged.",
            ),
            C(
                "pages_failed",
                "INTEGER NOT NULL DEFAULT 0",
                "Pages that failed (recorded in fetches).",
            ),
            C("bytes_downloaded", "INTEGER NOT NULL DEFAULT 0", "Body bytes received."),
            C("bytes_saved", "INTEGER NOT NULL DEFAULT 0", "Bytes not downloaded thanks to 304s."),
            C("items_added", "INTEGER NOT NULL DEFAULT 0", "Changes of kind added (items)."),
            C("items_updated", "INTEGER NOT NULL DEFAULT 0", "Changes of kind updated (items)."),
            C("items_removed", "INTEGER NOT NULL DEFAULT 0", "Changes of kind removed (items)."),
            C("error", "TEXT", "Why the run failed or was interrupted, one line."),
        ),
    ),
    Table(
        "blobs",
        "Raw page bodies, zlib-compressed, stored once per content hash.",
        (
            C("hash", "TEXT PRIMARY KEY", "sha256 of the raw body (hex)."),
            C("content", "BLOB NOT NULL", "zlib-compressed raw body."),
            C("size", "INTEGER NOT NULL", "Raw size in bytes."),
            C("stored_size", "INTEGER NOT NULL", "Compressed size in bytes."),
        ),
    ),
    Table(
        "pages",
        "Every URL fetched, with what its latest good fetch said.",
        (
            C("id", "INTEGER PRIMARY KEY", "Row id."),
            C("source_id", "INTEGER NOT NULL REFERENCES sources(id)", "The source it belongs to."),
            C("url", "TEXT NOT NULL UNIQUE", "Normalised URL (no fragment, no tracking params)."),
            C(
                "role",
                "TEXT NOT NULL DEFAULT 'listing'",
                "'listing' (start or next page) or 'detail'.",
            ),
            C("kind", "TEXT", "Kinds the extractor found (e.g. 'events+news_list')."),
            C("title", "TEXT", "Page title (h1 or <title>)."),
            C("date", "TEXT", "Publication date of an article page, ISO 8601."),
            C("text", "TEXT", "Main text of the page (trafilatura), for search and page diffs."),
            C("text_hash", "TEXT", "Hash of the whitespace-normalised main text."),
            C("content_hash", "TEXT REFERENCES blobs(hash)", "Raw body of the latest good fetch."),
            C("etag", "TEXT", "ETag of the latest good fetch, sent back as If-None-Match."),
            C("last_modified", "TEXT", "Last-Modified, sent back as If-Modified-Since."),
            C("links", "TEXT NOT NULL DEFAULT '[]'", "JSON list of followed links found on it."),
            C(
                "item_counts",
                "TEXT NOT NULL DEFAULT '{}'",
                "JSON {entity: count} of its last extraction.",
            ),
            C("extractor_version", "TEXT", "Version of the extractors that read it last."),
            C("first_seen_run", "INTEGER REFERENCES runs(id)", "Run that first fetched it."),
            C(
                "last_changed_run",
                "INTEGER REFERENCES runs(id)",
                "Run in which its text last changed.",
            ),
            C(
                "last_status",
                "INTEGER",
                "HTTP status of the latest fetch (null: no answer); every fetch is in `fetches`.",
            ),
            C(
                "content_type",
                "TEXT",
                "Content-Type of the latest good fetch as sent (its charset decodes `blobs`).",
            ),
        ),
        indexes=(("source_id",),),
    ),
    Table(
        "fetches",
        "One row per URL per run: what was asked, what came back, or why it failed.",
        (
            C("id", "INTEGER PRIMARY KEY", "Row id."),
            C("run_id", "INTEGER NOT NULL REFERENCES runs(id)", "The run."),
            C("source_id", "INTEGER NOT NULL REFERENCES sources(id)", "The source."),
            C("page_id", "INTEGER REFERENCES pages(id)", "The page."),
            C("url", "TEXT NOT NULL", "URL asked for."),
            C("final_url", "TEXT", "URL after redirects; null when there were none."),
            C("status", "INTEGER", "HTTP status; null when no answer came."),
            C(
                "outcome",
                "TEXT NOT NULL",
                "'changed', 'unchanged' (same hash), 'not_modified' (304), 'not_html', 'failed'.",
            ),
            C("error", "TEXT", "One-line error naming the URL, when it failed."),
            C("content_hash", "TEXT", "sha256 of the body received."),
            C("bytes", "INTEGER NOT NULL DEFAULT 0", "Body bytes received."),
            C("attempts", "INTEGER NOT NULL DEFAULT 1", "Requests made for this URL (retries)."),
            C("elapsed_ms", "INTEGER", "Time spent fetching, retries and waits included."),
            C("fetched_at", "TEXT NOT NULL", "UTC time of the fetch."),
        ),
        indexes=(("run_id",), ("page_id",)),
    ),
    Table(
        "items",
        "Identity of every news item, event, good practice and figure ever seen.",
        (
            C("id", "INTEGER PRIMARY KEY", "Row id."),
            C(
                "entity",
                "TEXT NOT NULL REFERENCES entities(name) CHECK (entity != 'page')",
                "Record kind (entities.name): 'news', 'event', 'good_practice', 'figure', ...",
            ),
            C("source_id", "INTEGER NOT NULL REFERENCES sources(id)", "The source."),
            C("key", "TEXT NOT NULL", "Identity: canonical detail URL, else a normalised key."),
            C("page_url", "TEXT NOT NULL", "The page it was last seen on."),
            C("state", _ITEM_STATE, "'active', or 'removed' since removed_run."),
            C("first_seen_run", "INTEGER NOT NULL REFERENCES runs(id)", "Run that first saw it."),
            C("last_seen_run", "INTEGER NOT NULL REFERENCES runs(id)", "Run that last read it."),
            C("removed_run", "INTEGER REFERENCES runs(id)", "Run that found it gone."),
            C("removed_reason", "TEXT", "Why it is gone: 'dropped from listing', '404', ..."),
            C("content_hash", "TEXT NOT NULL", "Hash of its comparable fields (current version)."),
        ),
        constraints=("UNIQUE (entity, source_id, key)",),
        indexes=(("page_url",), ("source_id", "entity")),
    ),
    Table(
        "item_versions",
        "Every version of every item: valid from the run it appeared in to the run that "
        "replaced it.",
        (
            C("id", "INTEGER PRIMARY KEY", "Row id."),
            C("item_id", "INTEGER NOT NULL REFERENCES items(id)", "The item."),
            C("valid_from_run", "INTEGER NOT NULL REFERENCES runs(id)", "Run it appeared in."),
            C(
                "valid_to_run",
                "INTEGER REFERENCES runs(id)",
                "Run it was replaced in; null: current.",
            ),
            C("content_hash", "TEXT NOT NULL", "Hash of the comparable fields."),
            C("data", "TEXT NOT NULL", "The record as JSON (contract field names)."),
            C("fetch_id", "INTEGER REFERENCES fetches(id)", "Provenance: the fetch it came from."),
            C("page_url", "TEXT NOT NULL", "Provenance: the page it came from."),
            C("extractor_version", "TEXT NOT NULL", "Provenance: the extractors' version."),
        ),
        indexes=(("item_id", "valid_from_run"),),
    ),
    Table(
        "pending_removals",
        "Items a run found missing from a page; removed when the source's crawl ends unless a "
        "later batch of the same run saw them elsewhere (paging moves items between pages).",
        (
            C("run_id", "INTEGER NOT NULL REFERENCES runs(id)", "The run."),
            C("item_id", "INTEGER NOT NULL REFERENCES items(id)", "The missing item."),
            C("reason", "TEXT NOT NULL", "Why it would be removed."),
        ),
        constraints=("PRIMARY KEY (run_id, item_id)",),
    ),
    Table(
        "changes",
        "What each run found changed: one row per added / updated / removed / reappeared record.",
        (
            C("id", "INTEGER PRIMARY KEY", "Row id."),
            C("run_id", "INTEGER NOT NULL REFERENCES runs(id)", "The run that found it."),
            C("source_id", "INTEGER NOT NULL REFERENCES sources(id)", "The source."),
            C(
                "entity",
                "TEXT NOT NULL REFERENCES entities(name)",
                "What changed (entities.name): 'page', or a record kind.",
            ),
            C(
                "change",
                "TEXT NOT NULL CHECK (change IN ('added','updated','removed','reappeared'))",
                "Kind of change.",
            ),
            C("key", "TEXT NOT NULL", "Item key (or page URL)."),
            C("url", "TEXT", "Detail URL of the item, or the page URL."),
            C("item_id", "INTEGER REFERENCES items(id)", "The item; null for page changes."),
            C("title", "TEXT", "Title (or figure text) to show in reports."),
            C("fields", "TEXT NOT NULL DEFAULT '{}'", "JSON {field: {old, new}} of what changed."),
            C("reason", "TEXT", "Why a record was removed."),
            C("importance", "INTEGER NOT NULL DEFAULT 0", "Report order: higher comes first."),
        ),
        indexes=(("run_id",), ("item_id",)),
    ),
)

def typed_table(spec: KindSpec) -> Table:
    """A record kind's table: the latest version of each of its items, one typed row each."""
    columns = (
        C("item_id", "INTEGER PRIMARY KEY REFERENCES items(id)", "The item."),
        C("source_id", "INTEGER NOT NULL REFERENCES sources(id)", "The source."),
        *(C(f.name, f.sql, f.doc) for f in spec.fields),
        C("page_url", "TEXT NOT NULL", "Page it was read from."),
        C("state", _ITEM_STATE, "'active' or 'removed'."),
    )
    return Table(spec.table, spec.doc, columns, indexes=spec.indexes)


TYPED_TABLES: tuple[Table, ...] = tuple(typed_table(k) for k in KINDS)
TABLES: tuple[Table, ...] = CORE_TABLES + TYPED_TABLES


def table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


def column_names(name: str) -> list[str]:
    return [c.name for c in table(name).columns]


# --- For analysts (issue 8): views, indexes on what they join and filter on, full-text search.
# Declared as data here, built by the SQL migrations (store/sql/); rendered by `agencywatch
# schema-docs`.

ADDED_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("items", ("key",)),  # "the history of this URL": a key alone, without entity and source
    ("item_versions", ("page_url",)),  # "figures of this page over time"
    ("changes", ("source_id",)),
    ("fetches", ("source_id",)),  # "which source keeps failing"
)

# Full-text search (FTS5, porter stemming over unicode61: 'clusters' finds 'cluster', and
# Lithuanian diacritics are folded). The table `<name>_fts` indexes these columns of `<name>`:
# each record kind's `search` fields, and the pages' titles and texts.
FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    **{k.table: k.search_fields for k in KINDS if k.search_fields},
    "pages": ("title", "text"),
}
FTS_TOKENIZE = "porter"


def index_name(table_name: str, columns: tuple[str, ...]) -> str:
    return f"idx_{table_name}_{'_'.join(columns)}"
