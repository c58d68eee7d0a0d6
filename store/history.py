"""Item history (SCD2) and change detection for one batch.

Rules that keep the report honest:
- Only pages fetched *and* re-extracted in this run ('changed' outcome) can add, update or remove
  items. A 304, an unchanged hash, a failed fetch or a non-HTML answer touches no item.
- An item leaves only when the page it was on was read successfully and it is no longer anywhere
  in the batch; a page whose extraction suddenly yields nothing for a kind it used to have
  ("layout changed?") removes nothing and is reported as an extraction failure instead.
- Renames: an item that vanished and a new one on the same page with a near-identical title are
  one item, updated (typo fixes, slug changes).
The work is proportional to the pages that changed, not to the size of the store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from typing import Any

import sqlite_utils

from extractors.kinds import BY_ENTITY, KINDS
from store.batches import CHANGED, PageRecord, SourceBatch
from store.db import select
from store.identity import (
    Sighting,
    changed_fields,
    dumps_data,
    norm_text,
    page_keys,
    title_key,
)

ENTITY_TABLES = {k.entity: k.table for k in KINDS}
# kinds whose sudden absence from a page that had them is a failed read, not a removal
WATCHED = tuple(k.entity for k in KINDS if k.watched)
RENAME_MIN_RATIO = 0.8
HEALTH_MIN_ITEMS = 2  # a page that had at least this many items of a kind and now has none
DROPPED = "dropped from listing"
FTS_ROWS_PER_INSERT = 20  # see _add_items
_INSERT_VERSION = (
    "INSERT INTO item_versions (item_id, valid_from_run, content_hash, data, fetch_id, "
    "page_url, extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHANGE = (
    "INSERT INTO changes (run_id, source_id, entity, change, key, url, item_id, title, "
    "fields, reason, importance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class _PageRead:
    page: PageRecord
    sightings: list[Sighting]
    text_hash: str | None
    healthy: dict[str, bool] = field(default_factory=dict)
    emptied: dict[str, list[str]] = field(default_factory=dict)  # entity -> fields gone empty


def apply_sightings(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    batch: SourceBatch,
    fetch_ids: dict[str, int],
    today: str,
) -> dict[str, int]:
    """Add and update the batch's items now; note the missing ones as pending removals, which
    `finalize_source` settles once every batch of the source has been written."""
    counts: dict[str, int] = defaultdict(int)
    reads = [_read(db, p) for p in batch.pages if p.outcome == CHANGED and p.extraction]
    if len({r.page.url for r in reads}) == len(reads):
        texts = [_record_page_change(db, run_id, source_id, read, counts) for read in reads]
        _update_page_texts(db, run_id, texts)
    else:  # a URL twice in the batch: its second reading must see the first one's row
        for read in reads:
            values = _record_page_change(db, run_id, source_id, read, counts)
            _update_page_texts(db, run_id, [values])
    seen = {(s.entity, s.key) for r in reads for s in r.sightings}
    gone_urls: dict[str, int | None] = {
        p.url: p.status for p in batch.pages if p.status in (404, 410)
    }
    for read in reads:
        _apply_page(db, run_id, source_id, read, seen, fetch_ids, gone_urls, today, counts)
    _note_gone_details(db, run_id, source_id, gone_urls)
    return dict(counts)


def finalize_source(
    db: sqlite_utils.Database, run_id: int, source_id: int, *, truncated: bool
) -> dict[str, int]:
    """Remove the items still missing at the end of the source's crawl."""
    counts: dict[str, int] = defaultdict(int)
    rows = select(
        db,
        "SELECT i.*, p.reason AS pending_reason FROM pending_removals p "
        "JOIN items i ON i.id = p.item_id WHERE p.run_id = ? AND i.source_id = ? "
        "AND i.state = 'active' AND i.last_seen_run != ?",
        [run_id, source_id, run_id],
    )
    for item in rows:
        reason = item.pop("pending_reason")
        if truncated and reason == DROPPED:
            reason = "moved to a later page (beyond max_pages, not read this run)"
        _remove_item(db, run_id, source_id, item, reason, counts)
    db.conn.execute(
        "DELETE FROM pending_removals WHERE run_id = ? AND item_id IN "
        "(SELECT id FROM items WHERE source_id = ?)",
        [run_id, source_id],
    )
    return dict(counts)


def _read(db: sqlite_utils.Database, page: PageRecord) -> _PageRead:
    assert page.extraction is not None
    keys = page.keys or page_keys(page.extraction, page.url)
    read = _PageRead(page, list(keys.sightings), keys.text_hash)
    row = db.conn.execute("SELECT item_counts FROM pages WHERE url = ?", [page.url]).fetchone()
    before: dict[str, int] = json.loads(row[0]) if row and row[0] else {}
    now = _count(read.sightings)
    for spec in KINDS:
        entity = spec.entity
        if spec.watched:
            lost = before.get(entity, 0) >= HEALTH_MIN_ITEMS and now.get(entity, 0) == 0
            read.healthy[entity] = not lost
        else:  # found in the page text (figures): a page without text read nothing
            read.healthy[entity] = bool(page.extraction.text)
    for entity in WATCHED:
        emptied = _emptied_fields(db, page.url, entity, read.sightings)
        if emptied:
            read.healthy[entity] = False
            read.emptied[entity] = emptied
    return read


def _emptied_fields(
    db: sqlite_utils.Database, page_url: str, entity: str, sightings: list[Sighting]
) -> list[str]:
    """Fields that were filled on (nearly) every item of the page and are now empty on every
    one: the extractor lost its grip on the layout, the site did not blank them all at once."""
    new = [s.data for s in sightings if s.entity == entity]
    if len(new) < HEALTH_MIN_ITEMS + 1:
        return []
    fields = BY_ENTITY[entity].fill_fields
    if not fields:
        return []
    old = select(
        db,
        f"SELECT {', '.join(fields)} FROM [{ENTITY_TABLES[entity]}] "
        "WHERE page_url = ? AND state = 'active'",
        [page_url],
    )
    if len(old) < HEALTH_MIN_ITEMS + 1:
        return []
    return [
        f
        for f in fields
        if sum(1 for r in old if r[f]) >= 0.8 * len(old) and not any(d.get(f) for d in new)
    ]


def _count(sightings: list[Sighting]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for s in sightings:
        out[s.entity] += 1
    return dict(out)


def unhealthy_note(read: _PageRead, before: dict[str, int]) -> str | None:
    lost = [e for e, ok in read.healthy.items() if not ok and e in WATCHED]
    if not lost:
        return None
    detail = ", ".join(
        f"{e}: {', '.join(read.emptied[e])} empty on every item"
        if e in read.emptied
        else f"{e}: {before.get(e, 0)} -> 0"
        for e in lost
    )
    return f"{read.page.url}: extraction failed: layout changed? ({detail}); nothing removed"


def _record_page_change(
    db: sqlite_utils.Database, run_id: int, source_id: int, read: _PageRead, counts: dict[str, int]
) -> tuple[Any, ...]:
    """Note a page-level text change; returns the page's new row values for
    `_update_page_texts`, which writes them after the reads of the whole batch."""
    ext = read.page.extraction
    assert ext is not None
    row = db.conn.execute(
        "SELECT id, title, text, text_hash, item_counts, first_seen_run FROM pages WHERE url = ?",
        [read.page.url],
    ).fetchone()
    page_id, old_title, old_text, old_hash, old_counts_raw, first_seen = row
    old_counts = json.loads(old_counts_raw or "{}")
    new_hash = read.text_hash
    note = unhealthy_note(read, old_counts)
    if note:
        db.conn.execute(
            "UPDATE fetches SET error = ? WHERE run_id = ? AND url = ?",
            [note, run_id, read.page.url],
        )
    new_counts = old_counts if note else _count(read.sightings)
    values = (
        page_id,
        ext.kind,
        ext.title,
        getattr(ext, "date", None),
        ext.text,
        new_hash,
        json.dumps(new_counts),
    )
    if first_seen == run_id or old_hash is None or old_hash == new_hash or _is_listing(read):
        return values
    fields: dict[str, Any] = {}
    if norm_text(old_title) != norm_text(ext.title):
        fields["title"] = {"old": old_title, "new": ext.title}
    fields["text"] = {"old": old_text, "new": ext.text}
    _insert_change(
        db,
        run_id,
        source_id,
        "page",
        "updated",
        read.page.url,
        read.page.url,
        None,
        ext.title or read.page.url,
        fields,
        None,
        10,
    )
    return values


def _update_page_texts(
    db: sqlite_utils.Database, run_id: int, texts: list[tuple[Any, ...]]
) -> None:
    """Write the batch's page texts in one UPDATE (per 500 pages): FTS5 (SQLite 3.40) flushes
    its pending terms to a new segment at every statement of the transaction, so one statement
    per page made each page's text a segment of its own, merged again and again; this indexes
    a batch's texts as one segment (measured: page text indexing at under half the CPU)."""
    for i in range(0, len(texts), 500):
        chunk = texts[i : i + 500]
        rows = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
        db.conn.execute(
            "UPDATE pages SET kind = v.column2, title = v.column3, date = v.column4, "
            "text = v.column5, text_hash = v.column6, item_counts = v.column7, "
            "last_changed_run = CASE WHEN pages.text_hash IS v.column6 "
            "THEN pages.last_changed_run ELSE ? END "
            f"FROM (VALUES {rows}) AS v WHERE pages.id = v.column1",
            [run_id, *(x for row in chunk for x in row)],
        )


def _is_listing(read: _PageRead) -> bool:
    """A page that lists news or events: its item changes already say what changed, and its
    text changes on a mere reorder, so no page-level text change is reported for it."""
    ext = read.page.extraction
    return bool(ext and (ext.news or ext.events))


def _apply_page(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    read: _PageRead,
    seen: set[tuple[str, str]],
    fetch_ids: dict[str, int],
    gone_urls: dict[str, int | None],
    today: str,
    counts: dict[str, int],
) -> None:
    page_url = read.page.url
    fetch_id = fetch_ids.get(page_url)
    fresh: list[Sighting] = []
    wanted = [s for s in read.sightings if read.healthy.get(s.entity, True)]
    known = _find_items(db, source_id, wanted)
    for s in wanted:
        item = known.get((s.entity, s.key))
        if item is None:
            fresh.append(s)
        else:
            _update_item(db, run_id, source_id, item, s, page_url, fetch_id, read, counts)
    missing = [
        it
        for it in _items_on_page(db, source_id, page_url)
        if (it["entity"], it["key"]) not in seen and read.healthy.get(it["entity"], True)
    ]
    for s, it in _pair_renames(db, fresh, missing):
        fresh.remove(s)
        missing.remove(it)
        db.conn.execute("UPDATE items SET key = ? WHERE id = ?", [s.key, it["id"]])
        _update_item(db, run_id, source_id, it, s, page_url, fetch_id, read, counts)
    for s, it in _pair_same_figures(fresh, missing):
        fresh.remove(s)
        missing.remove(it)
        db.conn.execute("UPDATE items SET key = ? WHERE id = ?", [s.key, it["id"]])
        old = _current_data(db, it["id"]).get("context")
        also = {"context": {"old": old, "new": s.data.get("context")}}
        _update_item(db, run_id, source_id, it, s, page_url, fetch_id, read, counts, also=also)
    _add_items(db, run_id, source_id, fresh, page_url, fetch_id, read, counts)
    for it in missing:
        _pend_removal(db, run_id, it["id"], _removal_reason(db, it, gone_urls, today))


def _find_items(
    db: sqlite_utils.Database, source_id: int, sightings: list[Sighting]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored items of these sightings, by (entity, key): a query per entity on the page,
    not one per item (on the UNIQUE (entity, source_id, key) index)."""
    keys: dict[str, list[str]] = defaultdict(list)
    for s in sightings:
        keys[s.entity].append(s.key)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entity, entity_keys in keys.items():
        unique = list(dict.fromkeys(entity_keys))
        for i in range(0, len(unique), 500):  # stay under SQLite's bound-parameter limit
            chunk = unique[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in select(
                db,
                f"SELECT * FROM items WHERE entity = ? AND source_id = ? AND key IN ({marks})",
                [entity, source_id, *chunk],
            ):
                found[(row["entity"], row["key"])] = row
    return found


def _items_on_page(
    db: sqlite_utils.Database, source_id: int, page_url: str
) -> list[dict[str, Any]]:
    return select(
        db,
        "SELECT * FROM items WHERE source_id = ? AND page_url = ? AND state = 'active'",
        [source_id, page_url],
    )


def _current_data(db: sqlite_utils.Database, item_id: int) -> dict[str, Any]:
    """The item's latest version: the open one, or for a removed item the one it left with
    (versions are only ever appended, so the highest id is the latest)."""
    row = db.conn.execute(
        "SELECT data FROM item_versions WHERE item_id = ? ORDER BY id DESC LIMIT 1", [item_id]
    ).fetchone()
    return json.loads(row[0]) if row else {}


def _pair_renames(
    db: sqlite_utils.Database, fresh: list[Sighting], missing: list[dict[str, Any]]
) -> list[tuple[Sighting, dict[str, Any]]]:
    """Pair new and vanished items of one page whose titles (or figure sentences) nearly match."""
    scored: list[tuple[float, int, int]] = []
    old_data = {it["id"]: _current_data(db, it["id"]) for it in missing}
    for i, s in enumerate(fresh):
        for j, it in enumerate(missing):
            if it["entity"] != s.entity:
                continue
            ratio = _similarity(s, old_data[it["id"]])
            if ratio >= RENAME_MIN_RATIO:
                scored.append((ratio, i, j))
    pairs, used_i, used_j = [], set(), set()
    for _ratio, i, j in sorted(scored, reverse=True):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((fresh[i], missing[j]))
    return pairs


def _pair_same_figures(
    fresh: list[Sighting], missing: list[dict[str, Any]]
) -> list[tuple[Sighting, dict[str, Any]]]:
    """Pair the page's new figures with its vanished ones of the same value and unit, one to
    one in page order. A figure is keyed by its sentence, so a rewritten sentence around an
    unchanged figure read as one figure added and the same figure removed; the figure still
    stands on the page, and only its context changed."""
    pairs = []
    left = [it for it in missing if it["entity"] == "figure"]
    for s in fresh:
        if s.entity != "figure":
            continue
        match = next((it for it in left if it["content_hash"] == s.content_hash), None)
        if match is not None:
            left.remove(match)
            pairs.append((s, match))
    return pairs


def _similarity(s: Sighting, old: dict[str, Any]) -> float:
    if BY_ENTITY[s.entity].by_sentence:
        a = title_key(str(s.data.get("context", "")).replace(str(s.data.get("text")), ""))
        b = title_key(str(old.get("context", "")).replace(str(old.get("text")), ""))
    else:
        a, b = title_key(s.data.get("title")), title_key(old.get("title"))
    return SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def _add_items(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    fresh: list[Sighting],
    page_url: str,
    fetch_id: int | None,
    read: _PageRead,
    counts: dict[str, int],
) -> None:
    """`_add_item` for each of a page's new sightings, one `executemany` per table: the same
    rows and ids, without four Python round trips per item (a first crawl is mostly this)."""
    if not fresh:
        return
    conn = db.conn
    # The ids SQLite would give them: rowids are max + 1, and the batch's transaction is the
    # only writer; explicit, so the other tables' rows can name them before the items exist.
    first = (conn.execute("SELECT max(id) FROM items").fetchone()[0] or 0) + 1
    ids = range(first, first + len(fresh))
    conn.executemany(
        "INSERT INTO items (id, entity, source_id, key, page_url, state, first_seen_run, "
        "last_seen_run, content_hash) VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)",
        [
            (item_id, s.entity, source_id, s.key, page_url, run_id, run_id, s.content_hash)
            for item_id, s in zip(ids, fresh, strict=True)
        ],
    )
    version = read.page.extractor_version
    conn.executemany(
        _INSERT_VERSION,
        [
            (item_id, run_id, s.content_hash, s.data_json, fetch_id, page_url, version)
            for item_id, s in zip(ids, fresh, strict=True)
        ],
    )
    typed: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = defaultdict(list)
    for item_id, s in zip(ids, fresh, strict=True):
        columns, params = _typed_row(item_id, source_id, s.entity, s.data, page_url, "active")
        typed[(s.entity, columns)].append(params)
    for (entity, columns), rows in typed.items():
        if not BY_ENTITY[entity].search_fields:
            conn.executemany(_typed_sql(entity, columns), rows)
            continue
        # tables with a search index: several rows per statement, as FTS5 flushes its pending
        # terms into a segment of their own at each statement (see _update_page_texts)
        for i in range(0, len(rows), FTS_ROWS_PER_INSERT):
            chunk = rows[i : i + FTS_ROWS_PER_INSERT]
            conn.execute(_typed_sql(entity, columns, len(chunk)), [x for r in chunk for x in r])
    conn.executemany(
        _INSERT_CHANGE,
        [
            (
                run_id,
                source_id,
                s.entity,
                "added",
                s.key,
                s.url or page_url,
                item_id,
                s.title,
                "{}",
                None,
                BY_ENTITY[s.entity].importance("added"),
            )
            for item_id, s in zip(ids, fresh, strict=True)
        ],
    )
    counts["items_added"] += len(fresh)


def _update_item(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    item: dict[str, Any],
    s: Sighting,
    page_url: str,
    fetch_id: int | None,
    read: _PageRead,
    counts: dict[str, int],
    *,
    also: dict[str, Any] | None = None,
) -> None:
    """Record a sighting of a known item: a new version and an `updated` (or `reappeared`)
    change when its compared fields differ; `also`: fields that changed besides them (a
    figure's context), which make the update even when the compared fields did not."""
    reappeared = item["state"] == "removed"
    same = item["content_hash"] == s.content_hash
    db.conn.execute(
        "UPDATE items SET last_seen_run = ?, page_url = ?, state = 'active', removed_run = NULL, "
        "removed_reason = NULL, content_hash = ? WHERE id = ?",
        [run_id, page_url, s.content_hash, item["id"]],
    )
    if same and not reappeared and not also:
        return
    fields = {} if same else changed_fields(s.entity, _current_data(db, item["id"]), s.data)
    fields.update(also or {})
    _new_version(db, run_id, item["id"], s, page_url, fetch_id, read)
    _write_typed(db, item["id"], source_id, s.entity, s.data, page_url, "active")
    change = "reappeared" if reappeared else "updated"
    _insert_change(
        db,
        run_id,
        source_id,
        s.entity,
        change,
        s.key,
        s.url or page_url,
        item["id"],
        s.title,
        fields,
        None,
        BY_ENTITY[s.entity].importance(change, fields),
    )
    counts["items_added" if reappeared else "items_updated"] += 1


def _new_version(
    db: sqlite_utils.Database,
    run_id: int,
    item_id: int,
    s: Sighting,
    page_url: str,
    fetch_id: int | None,
    read: _PageRead,
) -> None:
    """Close the item's open version and open one with `s` (new items: `_add_items`)."""
    db.conn.execute(
        "UPDATE item_versions SET valid_to_run = ? WHERE item_id = ? AND valid_to_run IS NULL",
        [run_id, item_id],
    )
    db.conn.execute(
        _INSERT_VERSION,
        [
            item_id,
            run_id,
            s.content_hash,
            s.data_json,
            fetch_id,
            page_url,
            read.page.extractor_version,
        ],
    )


def _write_typed(
    db: sqlite_utils.Database,
    item_id: int,
    source_id: int,
    entity: str,
    data: dict[str, Any],
    page_url: str,
    state: str,
) -> None:
    columns, params = _typed_row(item_id, source_id, entity, data, page_url, state)
    db.conn.execute(_typed_sql(entity, columns), params)


def _typed_row(
    item_id: int,
    source_id: int,
    entity: str,
    data: dict[str, Any],
    page_url: str,
    state: str,
) -> tuple[tuple[str, ...], list[Any]]:
    row = {**data, "item_id": item_id, "source_id": source_id, "page_url": page_url}
    row["state"] = state
    for name, value in data.items():
        if isinstance(value, dict | list):  # sections, an amount: JSON in their column
            row[name] = json.dumps(value, ensure_ascii=False)
    columns = _present_columns(entity, tuple(row))
    return columns, [row[c] for c in columns]


@cache
def _present_columns(entity: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The table's columns a record with these keys fills, in table order (records of one kind
    have the same keys, so this is worked out once per kind, not per row)."""
    return tuple(c for c in _columns(ENTITY_TABLES[entity]) if c in keys)


@cache
def _typed_sql(entity: str, columns: tuple[str, ...], rows: int = 1) -> str:
    # an upsert, not INSERT OR REPLACE: a REPLACE's implicit delete skips the FTS triggers
    # wherever SQLite runs without recursive_triggers, leaving stale words in the index
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "item_id")
    values = ", ".join([f"({', '.join('?' for _ in columns)})"] * rows)
    return (
        f"INSERT INTO [{ENTITY_TABLES[entity]}] ({', '.join(columns)}) "
        f"VALUES {values} "
        f"ON CONFLICT(item_id) DO UPDATE SET {updates}"
    )


@cache
def _columns(table: str) -> list[str]:
    from store.schema import column_names

    return column_names(table)


def _removal_reason(
    db: sqlite_utils.Database,
    item: dict[str, Any],
    gone_urls: dict[str, int | None],
    today: str,
) -> str:
    data = _current_data(db, item["id"])
    url = data.get("url")
    if url and url in gone_urls:
        return f"detail page gone ({gone_urls[url]})"
    spec = BY_ENTITY[item["entity"]]
    if spec.expires:
        last_day = next((data[f] for f in spec.expires if data.get(f)), None)
        if last_day and str(last_day)[:10] < today:
            return spec.expired_reason
    if spec.by_sentence:
        return "no longer on the page"
    return DROPPED


def _pend_removal(db: sqlite_utils.Database, run_id: int, item_id: int, reason: str) -> None:
    db.conn.execute(
        "INSERT OR REPLACE INTO pending_removals (run_id, item_id, reason) VALUES (?, ?, ?)",
        [run_id, item_id, reason],
    )


def _remove_item(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    item: dict[str, Any],
    reason: str,
    counts: dict[str, int],
) -> None:
    db.conn.execute(
        "UPDATE items SET state = 'removed', removed_run = ?, removed_reason = ? WHERE id = ?",
        [run_id, reason, item["id"]],
    )
    db.conn.execute(
        "UPDATE item_versions SET valid_to_run = ? WHERE item_id = ? AND valid_to_run IS NULL",
        [run_id, item["id"]],
    )
    db.conn.execute(
        f"UPDATE [{ENTITY_TABLES[item['entity']]}] SET state = 'removed' WHERE item_id = ?",
        [item["id"]],
    )
    data = _current_data(db, item["id"])
    spec = BY_ENTITY[item["entity"]]
    title = str(data.get(spec.label) or item["key"])
    importance = spec.importance("removed")
    _insert_change(
        db,
        run_id,
        source_id,
        item["entity"],
        "removed",
        item["key"],
        data.get("url") or item["page_url"],
        item["id"],
        title,
        {},
        reason,
        importance,
    )
    counts["items_removed"] += 1


def _note_gone_details(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    gone_urls: dict[str, int | None],
) -> None:
    """Items whose own detail page answered 404/410 leave even if their listing was not re-read."""
    for url, status in gone_urls.items():
        for item in select(
            db,
            "SELECT id FROM items WHERE source_id = ? AND key = ? AND state = 'active'",
            [source_id, url],
        ):
            _pend_removal(db, run_id, item["id"], f"detail page gone ({status})")


def _insert_change(
    db: sqlite_utils.Database,
    run_id: int,
    source_id: int,
    entity: str,
    change: str,
    key: str,
    url: str | None,
    item_id: int | None,
    title: str | None,
    fields: dict[str, Any],
    reason: str | None,
    importance: int,
) -> None:
    db.conn.execute(
        _INSERT_CHANGE,
        [
            run_id,
            source_id,
            entity,
            change,
            key,
            url,
            item_id,
            title,
            dumps_data(fields),
            reason,
            importance,
        ],
    )
