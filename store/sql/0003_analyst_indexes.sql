-- 0003_analyst_indexes: frozen as first applied; never edit it, add a migration.
-- Indexes on what the views and analysts join and filter on.

CREATE INDEX IF NOT EXISTS [idx_items_key] ON [items] (key);
CREATE INDEX IF NOT EXISTS [idx_item_versions_page_url] ON [item_versions] (page_url);
CREATE INDEX IF NOT EXISTS [idx_news_items_source_id] ON [news_items] (source_id);
CREATE INDEX IF NOT EXISTS [idx_events_source_id] ON [events] (source_id);
CREATE INDEX IF NOT EXISTS [idx_good_practices_source_id] ON [good_practices] (source_id);
CREATE INDEX IF NOT EXISTS [idx_good_practices_country] ON [good_practices] (country);
CREATE INDEX IF NOT EXISTS [idx_figures_source_id] ON [figures] (source_id);
CREATE INDEX IF NOT EXISTS [idx_changes_source_id] ON [changes] (source_id);
CREATE INDEX IF NOT EXISTS [idx_fetches_source_id] ON [fetches] (source_id);
