-- 0007_entities: frozen as first applied; never edit it, add a migration.
-- The record kinds become rows of `entities`, referenced by items.entity and changes.entity,
-- instead of CHECK lists written into those two tables: a new kind is a row its own migration
-- inserts, not a rebuild of the store's two biggest tables. This one rebuilds them once
-- (SQLite cannot alter a CHECK), keeping every row and id. With legacy_alter_table on, the
-- renames leave the references to `items` in other tables and views as they are: they name
-- the new table once it exists. And the figures get their latest_* view, as every kind has.

CREATE TABLE [entities] (
  [name] TEXT PRIMARY KEY,
  [doc] TEXT NOT NULL
);
INSERT INTO [entities] (name, doc) VALUES
  ('page', 'A page: its text or title changed.'),
  ('news', 'A news item.'),
  ('event', 'An event.'),
  ('good_practice', 'A good practice.'),
  ('figure', 'A figure (money, percentage, count, area) with its sentence.');

PRAGMA legacy_alter_table = ON;

ALTER TABLE [items] RENAME TO [_items_before_0007];
CREATE TABLE [items] (
  [id] INTEGER PRIMARY KEY,
  [entity] TEXT NOT NULL REFERENCES entities(name) CHECK (entity != 'page'),
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
INSERT INTO [items] SELECT * FROM [_items_before_0007];
DROP TABLE [_items_before_0007];
CREATE INDEX [idx_items_page_url] ON [items] (page_url);
CREATE INDEX [idx_items_source_id_entity] ON [items] (source_id, entity);
CREATE INDEX [idx_items_key] ON [items] (key);

ALTER TABLE [changes] RENAME TO [_changes_before_0007];
CREATE TABLE [changes] (
  [id] INTEGER PRIMARY KEY,
  [run_id] INTEGER NOT NULL REFERENCES runs(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [entity] TEXT NOT NULL REFERENCES entities(name),
  [change] TEXT NOT NULL CHECK (change IN ('added','updated','removed','reappeared')),
  [key] TEXT NOT NULL,
  [url] TEXT,
  [item_id] INTEGER REFERENCES items(id),
  [title] TEXT,
  [fields] TEXT NOT NULL DEFAULT '{}',
  [reason] TEXT,
  [importance] INTEGER NOT NULL DEFAULT 0
);
INSERT INTO [changes] SELECT * FROM [_changes_before_0007];
DROP TABLE [_changes_before_0007];
CREATE INDEX [idx_changes_run_id] ON [changes] (run_id);
CREATE INDEX [idx_changes_item_id] ON [changes] (item_id);
CREATE INDEX [idx_changes_source_id] ON [changes] (source_id);

PRAGMA legacy_alter_table = OFF;

CREATE VIEW [latest_figures] AS
SELECT
  s.name AS source,
  t.value,
  t.unit,
  t.text,
  t.context,
  t.state,
  i.removed_reason,
  fr.started_at AS first_seen_at,
  lr.started_at AS last_seen_at,
  t.page_url,
  i.key,
  t.item_id
FROM [figures] t
JOIN sources s ON s.id = t.source_id
JOIN items i ON i.id = t.item_id
LEFT JOIN runs fr ON fr.id = i.first_seen_run
LEFT JOIN runs lr ON lr.id = i.last_seen_run
ORDER BY s.name, t.page_url, t.item_id;
