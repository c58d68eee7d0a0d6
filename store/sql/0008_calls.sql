-- 0008_calls: frozen as first applied; never edit it, add a migration.
-- Funding calls, the record kind of extractors/calls.py: their table, full-text index, the
-- latest_calls view, open_calls (still open, soonest deadline first) and the entity row.

INSERT INTO [entities] (name, doc) VALUES ('call', 'A funding call (call for proposals).');

CREATE TABLE [calls] (
  [item_id] INTEGER PRIMARY KEY REFERENCES items(id),
  [source_id] INTEGER NOT NULL REFERENCES sources(id),
  [title] TEXT NOT NULL,
  [programme] TEXT,
  [opens] TEXT,
  [deadline] TEXT,
  [budget] TEXT,
  [status] TEXT CHECK (status IN ('open', 'closed', 'upcoming')),
  [url] TEXT,
  [who_can_apply] TEXT,
  [page_url] TEXT NOT NULL,
  [state] TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'removed'))
);
CREATE INDEX [idx_calls_deadline] ON [calls] (deadline);
CREATE INDEX [idx_calls_source_id] ON [calls] (source_id);

CREATE VIRTUAL TABLE "calls_fts" USING FTS5 (
    "title", "programme", "who_can_apply",
    tokenize='porter',
    content="calls"
);
CREATE TRIGGER "calls_ai" AFTER INSERT ON "calls" BEGIN
  INSERT INTO "calls_fts" (rowid, "title", "programme", "who_can_apply") VALUES (new.rowid, new."title", new."programme", new."who_can_apply");
END;
CREATE TRIGGER "calls_ad" AFTER DELETE ON "calls" BEGIN
  INSERT INTO "calls_fts" ("calls_fts", rowid, "title", "programme", "who_can_apply") VALUES('delete', old.rowid, old."title", old."programme", old."who_can_apply");
END;
CREATE TRIGGER "calls_au" AFTER UPDATE OF "title", "programme", "who_can_apply" ON "calls" BEGIN
  INSERT INTO "calls_fts" ("calls_fts", rowid, "title", "programme", "who_can_apply") VALUES('delete', old.rowid, old."title", old."programme", old."who_can_apply");
  INSERT INTO "calls_fts" (rowid, "title", "programme", "who_can_apply") VALUES (new.rowid, new."title", new."programme", new."who_can_apply");
END;

CREATE VIEW [latest_calls] AS
SELECT
  s.name AS source,
  t.title,
  t.programme,
  t.opens,
  t.deadline,
  t.budget,
  t.status,
  t.url,
  t.who_can_apply,
  t.state,
  i.removed_reason,
  fr.started_at AS first_seen_at,
  lr.started_at AS last_seen_at,
  t.page_url,
  i.key,
  t.item_id
FROM [calls] t
JOIN sources s ON s.id = t.source_id
JOIN items i ON i.id = t.item_id
LEFT JOIN runs fr ON fr.id = i.first_seen_run
LEFT JOIN runs lr ON lr.id = i.last_seen_run
ORDER BY t.deadline, t.item_id;

CREATE VIEW [open_calls] AS
SELECT
  source, title, programme, opens, deadline,
  json_extract(budget, '$.value') AS budget_value,
  json_extract(budget, '$.unit') AS budget_unit,
  status, url, page_url, item_id
FROM latest_calls
WHERE state = 'active' AND coalesce(status, '') != 'closed'
  AND (substr(deadline, 1, 10) >= substr(date('now'), 1, length(substr(deadline, 1, 10)))
       OR (deadline IS NULL AND status = 'open'))
ORDER BY deadline, title;
