-- 0006_pages_content_type: frozen as first applied; never edit it, add a migration.
-- The Content-Type a page was served with: its charset decodes the stored body, so that
-- `reprocess` reads the bytes exactly as the crawl did.

ALTER TABLE [pages] ADD COLUMN [content_type] TEXT;
