-- 0005_fts_update_of_indexed_columns: frozen as first applied; never edit it, add a migration.
-- Re-index a row only when an indexed column is written: the update triggers fired on any UPDATE,
-- so noting a page's status or an item's state re-indexed its text on every run.

DROP TRIGGER IF EXISTS "news_items_au";
CREATE TRIGGER "news_items_au" AFTER UPDATE OF "title", "summary" ON "news_items" BEGIN
  INSERT INTO "news_items_fts" ("news_items_fts", rowid, "title", "summary") VALUES('delete', old.rowid, old."title", old."summary");
  INSERT INTO "news_items_fts" (rowid, "title", "summary") VALUES (new.rowid, new."title", new."summary");
END;
DROP TRIGGER IF EXISTS "events_au";
CREATE TRIGGER "events_au" AFTER UPDATE OF "title", "organiser", "location" ON "events" BEGIN
  INSERT INTO "events_fts" ("events_fts", rowid, "title", "organiser", "location") VALUES('delete', old.rowid, old."title", old."organiser", old."location");
  INSERT INTO "events_fts" (rowid, "title", "organiser", "location") VALUES (new.rowid, new."title", new."organiser", new."location");
END;
DROP TRIGGER IF EXISTS "good_practices_au";
CREATE TRIGGER "good_practices_au" AFTER UPDATE OF "title", "summary", "sections" ON "good_practices" BEGIN
  INSERT INTO "good_practices_fts" ("good_practices_fts", rowid, "title", "summary", "sections") VALUES('delete', old.rowid, old."title", old."summary", old."sections");
  INSERT INTO "good_practices_fts" (rowid, "title", "summary", "sections") VALUES (new.rowid, new."title", new."summary", new."sections");
END;
DROP TRIGGER IF EXISTS "pages_au";
CREATE TRIGGER "pages_au" AFTER UPDATE OF "title", "text" ON "pages" BEGIN
  INSERT INTO "pages_fts" ("pages_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
  INSERT INTO "pages_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END;
