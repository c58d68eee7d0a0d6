-- 0002_views: frozen as first applied; never edit it, add a migration.
-- The analysts' views: latest_* per record kind, upcoming events, figures by page, the last
-- run's changes, item history and the store as of a date.

DROP VIEW IF EXISTS [store_as_of];
DROP VIEW IF EXISTS [item_history];
DROP VIEW IF EXISTS [last_run_changes];
DROP VIEW IF EXISTS [figures_by_page];
DROP VIEW IF EXISTS [upcoming_events];
DROP VIEW IF EXISTS [latest_good_practices];
DROP VIEW IF EXISTS [latest_events];
DROP VIEW IF EXISTS [latest_news];
CREATE VIEW [latest_news] AS
SELECT
  s.name AS source,
  t.title,
  t.date,
  t.summary,
  t.url,
  t.state,
  i.removed_reason,
  fr.started_at AS first_seen_at,
  lr.started_at AS last_seen_at,
  t.page_url,
  i.key,
  t.item_id
FROM [news_items] t
JOIN sources s ON s.id = t.source_id
JOIN items i ON i.id = t.item_id
LEFT JOIN runs fr ON fr.id = i.first_seen_run
LEFT JOIN runs lr ON lr.id = i.last_seen_run
ORDER BY s.name, t.date DESC, t.item_id;
CREATE VIEW [latest_events] AS
SELECT
  s.name AS source,
  t.title,
  t.start_date,
  t.end_date,
  t.organiser,
  t.location,
  t.url,
  t.state,
  i.removed_reason,
  fr.started_at AS first_seen_at,
  lr.started_at AS last_seen_at,
  t.page_url,
  i.key,
  t.item_id
FROM [events] t
JOIN sources s ON s.id = t.source_id
JOIN items i ON i.id = t.item_id
LEFT JOIN runs fr ON fr.id = i.first_seen_run
LEFT JOIN runs lr ON lr.id = i.last_seen_run
ORDER BY t.start_date DESC, t.item_id;
CREATE VIEW [latest_good_practices] AS
SELECT
  s.name AS source,
  t.title,
  t.country,
  t.main_institution,
  t.start_date,
  t.end_date,
  t.summary,
  t.resources_needed,
  t.evidence_of_success,
  t.potential_for_learning,
  t.sections,
  t.url,
  t.state,
  i.removed_reason,
  fr.started_at AS first_seen_at,
  lr.started_at AS last_seen_at,
  t.page_url,
  i.key,
  t.item_id
FROM [good_practices] t
JOIN sources s ON s.id = t.source_id
JOIN items i ON i.id = t.item_id
LEFT JOIN runs fr ON fr.id = i.first_seen_run
LEFT JOIN runs lr ON lr.id = i.last_seen_run
ORDER BY s.name, t.title;
CREATE VIEW [upcoming_events] AS
SELECT source, title, start_date, end_date, organiser, location, url, page_url, item_id
FROM latest_events
WHERE state = 'active' AND coalesce(end_date, start_date) >= substr(date('now'), 1, length(coalesce(end_date, start_date)))
ORDER BY start_date, title;
CREATE VIEW [figures_by_page] AS
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
ORDER BY f.page_url, f.item_id;
CREATE VIEW [last_run_changes] AS
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
WHERE c.run_id = (SELECT coalesce(max(CASE WHEN kind = 'crawl' THEN id END), max(id)) FROM runs)
ORDER BY s.name, c.importance DESC, c.id;
CREATE VIEW [item_history] AS
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
LEFT JOIN runs tr ON tr.id = v.valid_to_run;
CREATE VIEW [store_as_of] AS
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
FROM item_history;
