-- 0004_full_text_search: frozen as first applied; never edit it, add a migration.
-- Full-text search (FTS5, porter stemming): external-content indexes kept current by triggers.

CREATE VIRTUAL TABLE "news_items_fts" USING FTS5 (
    "title", "summary",
    tokenize='porter',
    content="news_items"
);
INSERT INTO "news_items_fts" (rowid, "title", "summary")
    SELECT rowid, "title", "summary" FROM "news_items";
CREATE TRIGGER "news_items_ai" AFTER INSERT ON "news_items" BEGIN
  INSERT INTO "news_items_fts" (rowid, "title", "summary") VALUES (new.rowid, new."title", new."summary");
END;
CREATE TRIGGER "news_items_ad" AFTER DELETE ON "news_items" BEGIN
  INSERT INTO "news_items_fts" ("news_items_fts", rowid, "title", "summary") VALUES('delete', old.rowid, old."title", old."summary");
END;
CREATE TRIGGER "news_items_au" AFTER UPDATE ON "news_items" BEGIN
  INSERT INTO "news_items_fts" ("news_items_fts", rowid, "title", "summary") VALUES('delete', old.rowid, old."title", old."summary");
  INSERT INTO "news_items_fts" (rowid, "title", "summary") VALUES (new.rowid, new."title", new."summary");
END;
CREATE VIRTUAL TABLE "events_fts" USING FTS5 (
    "title", "organiser", "location",
    tokenize='porter',
    content="events"
);
INSERT INTO "events_fts" (rowid, "title", "organiser", "location")
    SELECT rowid, "title", "organiser", "location" FROM "events";
CREATE TRIGGER "events_ai" AFTER INSERT ON "events" BEGIN
  INSERT INTO "events_fts" (rowid, "title", "organiser", "location") VALUES (new.rowid, new."title", new."organiser", new."location");
END;
CREATE TRIGGER "events_ad" AFTER DELETE ON "events" BEGIN
  INSERT INTO "events_fts" ("events_fts", rowid, "title", "organiser", "location") VALUES('delete', old.rowid, old."title", old."organiser", old."location");
END;
CREATE TRIGGER "events_au" AFTER UPDATE ON "events" BEGIN
  INSERT INTO "events_fts" ("events_fts", rowid, "title", "organiser", "location") VALUES('delete', old.rowid, old."title", old."organiser", old."location");
  INSERT INTO "events_fts" (rowid, "title", "organiser", "location") VALUES (new.rowid, new."title", new."organiser", new."location");
END;
CREATE VIRTUAL TABLE "good_practices_fts" USING FTS5 (
    "title", "summary", "sections",
    tokenize='porter',
    content="good_practices"
);
INSERT INTO "good_practices_fts" (rowid, "title", "summary", "sections")
    SELECT rowid, "title", "summary", "sections" FROM "good_practices";
CREATE TRIGGER "good_practices_ai" AFTER INSERT ON "good_practices" BEGIN
  INSERT INTO "good_practices_fts" (rowid, "title", "summary", "sections") VALUES (new.rowid, new."title", new."summary", new."sections");
END;
CREATE TRIGGER "good_practices_ad" AFTER DELETE ON "good_practices" BEGIN
  INSERT INTO "good_practices_fts" ("good_practices_fts", rowid, "title", "summary", "sections") VALUES('delete', old.rowid, old."title", old."summary", old."sections");
END;
CREATE TRIGGER "good_practices_au" AFTER UPDATE ON "good_practices" BEGIN
  INSERT INTO "good_practices_fts" ("good_practices_fts", rowid, "title", "summary", "sections") VALUES('delete', old.rowid, old."title", old."summary", old."sections");
  INSERT INTO "good_practices_fts" (rowid, "title", "summary", "sections") VALUES (new.rowid, new."title", new."summary", new."sections");
END;
CREATE VIRTUAL TABLE "pages_fts" USING FTS5 (
    "title", "text",
    tokenize='porter',
    content="pages"
);
INSERT INTO "pages_fts" (rowid, "title", "text")
    SELECT rowid, "title", "text" FROM "pages";
CREATE TRIGGER "pages_ai" AFTER INSERT ON "pages" BEGIN
  INSERT INTO "pages_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END;
CREATE TRIGGER "pages_ad" AFTER DELETE ON "pages" BEGIN
  INSERT INTO "pages_fts" ("pages_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
END;
CREATE TRIGGER "pages_au" AFTER UPDATE ON "pages" BEGIN
  INSERT INTO "pages_fts" ("pages_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
  INSERT INTO "pages_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END;
