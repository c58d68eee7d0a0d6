-- 0001_initial: frozen as first applied; never edit it, add a migration.
-- The store's tables and their indexes, as the first release created them.

CREATE TABLE [sources] (
  [id] INTEGER PRIMARY KEY,
  [name] TEXT NOT NULL UNIQUE,
  [url] TEXT NOT NULL,
  [kind] TEXT NOT NULL,
  [config] TEXT NOT NULL
);
CREATE TABLE [runs] (
  [id] INTEGER PRIMARY KEY,
  [started_at] TEXT NOT NULL,
  [finished_at] TEXT,
  [status] TEXT NOT NULL CHECK (status IN ('running','completed','failed','interrupted')),
  [kind] TEXT NOT NULL DEFAULT 'crawl',
  [sources] TEXT NOT NULL DEFAULT '[]',
  [pid] INTEGER,
  [prefect_flow_run_id] TEXT,
  [requests] INTEGER NOT NULL DEFAULT 0,
  [pages_fetched] INTEGER NOT NULL DEFAULT 0,
  [pages_not_modified] INTEGER NOT NULL DEFAULT 0,
  [pages_failed] INTEGER NOT NULL DEFAULT 0,
  [bytes_downloaded] INTEGER NOT NULL DEFAULT 0,
  [bytes_saved] INTEGER NOT NULL DEFAULT 0,
  [items_added] INTEGER NOT NULL DEFAULT 0,
  [items_updated] INTEGER NOT NULL DEFAULT 0,
  [items_removed] INTEGER NOT NULL DEFAULT 0,
  [error] TEXT
);
CREATE TABLE [blobs] (
  [hash] TEXT PRIMARY KEY,
  [content] BLOB NOT NULL,
  [size] INTEGER NOT NULL,
  [stored_size] INTEGER NOT NULL
);
CREATE TABLE [pages] (
  [id] INTEGER PRIMARY KEY,
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [url] TEXT NOT NULL UNIQUE,
  [role] TEXT NOT NULL DEFAULT 'listing',
  [kind] TEXT,
  [title] TEXT,
  [date] TEXT,
  [text] TEXT,
  [text_hash] TEXT,
  [content_hash] TEXT REFERENCES blobs(hash),
  [etag] TEXT,
  [last_modified] TEXT,
  [links] TEXT NOT NULL DEFAULT '[]',
  [item_counts] TEXT NOT NULL DEFAULT '{}',
  [extractor_version] TEXT,
  [first_seen_run] INTEGER REFERENCES runs(id),
  [last_changed_run] INTEGER REFERENCES runs(id),
  [last_status] INTEGER
);
CREATE INDEX [idx_pages_source_id] ON [pages] (source_id);
CREATE TABLE [fetches] (
  [id] INTEGER PRIMARY KEY,
  [run_id] INTEGER NOT NULL REFERENCES runs(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [page_id] INTEGER REFERENCES pages(id),
  [url] TEXT NOT NULL,
  [final_url] TEXT,
  [status] INTEGER,
  [outcome] TEXT NOT NULL,
  [error] TEXT,
  [content_hash] TEXT,
  [bytes] INTEGER NOT NULL DEFAULT 0,
  [attempts] INTEGER NOT NULL DEFAULT 1,
  [elapsed_ms] INTEGER,
  [fetched_at] TEXT NOT NULL
);
CREATE INDEX [idx_fetches_run_id] ON [fetches] (run_id);
CREATE INDEX [idx_fetches_page_id] ON [fetches] (page_id);
CREATE TABLE [items] (
  [id] INTEGER PRIMARY KEY,
  [entity] TEXT NOT NULL CHECK (entity IN ('news','event','good_practice','figure')),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [key] TEXT NOT NULL,
  [page_url] TEXT NOT NULL,
  [state] TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed')),
  [first_seen_run] INTEGER NOT NULL REFERENCES runs(id),
  [last_seen_run] INTEGER NOT NULL REFERENCES runs(id),
  [removed_run] INTEGER REFERENCES runs(id),
  [removed_reason] TEXT,
  [content_hash] TEXT NOT NULL,
  UNIQUE (entity, source_id, key)
);
CREATE INDEX [idx_items_page_url] ON [items] (page_url);
CREATE INDEX [idx_items_source_id_entity] ON [items] (source_id, entity);
CREATE TABLE [item_versions] (
  [id] INTEGER PRIMARY KEY,
  [item_id] INTEGER NOT NULL REFERENCES items(id),
  [valid_from_run] INTEGER NOT NULL REFERENCES runs(id),
  [valid_to_run] INTEGER REFERENCES runs(id),
  [content_hash] TEXT NOT NULL,
  [data] TEXT NOT NULL,
  [fetch_id] INTEGER REFERENCES fetches(id),
  [page_url] TEXT NOT NULL,
  [extractor_version] TEXT NOT NULL
);
CREATE INDEX [idx_item_versions_item_id_valid_from_run] ON [item_versions] (item_id, valid_from_run);
CREATE TABLE [news_items] (
  [item_id] INTEGER PRIMARY KEY REFERENCES items(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [title] TEXT NOT NULL,
  [date] TEXT,
  [summary] TEXT,
  [url] TEXT,
  [page_url] TEXT NOT NULL,
  [state] TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed'))
);
CREATE INDEX [idx_news_items_date] ON [news_items] (date);
CREATE TABLE [events] (
  [item_id] INTEGER PRIMARY KEY REFERENCES items(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [title] TEXT NOT NULL,
  [start_date] TEXT,
  [end_date] TEXT,
  [organiser] TEXT,
  [location] TEXT,
  [url] TEXT,
  [page_url] TEXT NOT NULL,
  [state] TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed'))
);
CREATE INDEX [idx_events_start_date] ON [events] (start_date);
CREATE TABLE [good_practices] (
  [item_id] INTEGER PRIMARY KEY REFERENCES items(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [title] TEXT NOT NULL,
  [summary] TEXT,
  [resources_needed] TEXT,
  [evidence_of_success] TEXT,
  [potential_for_learning] TEXT,
  [main_institution] TEXT,
  [country] TEXT,
  [start_date] TEXT,
  [end_date] TEXT,
  [sections] TEXT NOT NULL DEFAULT '{}',
  [url] TEXT,
  [page_url] TEXT NOT NULL,
  [state] TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed'))
);
CREATE TABLE [figures] (
  [item_id] INTEGER PRIMARY KEY REFERENCES items(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [value] REAL NOT NULL,
  [unit] TEXT NOT NULL,
  [text] TEXT NOT NULL,
  [context] TEXT NOT NULL,
  [page_url] TEXT NOT NULL,
  [state] TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed'))
);
CREATE INDEX [idx_figures_page_url] ON [figures] (page_url);
CREATE INDEX [idx_figures_unit] ON [figures] (unit);
CREATE TABLE [pending_removals] (
  [run_id] INTEGER NOT NULL REFERENCES runs(id),
  [item_id] INTEGER NOT NULL REFERENCES items(id),
  [reason] TEXT NOT NULL,
  PRIMARY KEY (run_id, item_id)
);
CREATE TABLE [changes] (
  [id] INTEGER PRIMARY KEY,
  [run_id] INTEGER NOT NULL REFERENCES runs(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [entity] TEXT NOT NULL CHECK (entity IN ('page','news','event','good_practice','figure')),
  [change] TEXT NOT NULL CHECK (change IN ('added','updated','removed','reappeared')),
  [key] TEXT NOT NULL,
  [url] TEXT,
  [item_id] INTEGER REFERENCES items(id),
  [title] TEXT,
  [fields] TEXT NOT NULL DEFAULT '{}',
  [reason] TEXT,
  [importance] INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX [idx_changes_run_id] ON [changes] (run_id);
CREATE INDEX [idx_changes_item_id] ON [changes] (item_id);
