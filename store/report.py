"""Change reports of a run: the contract's JSON, and Markdown / HTML renderings of it.

Order: by source, then most important first (new and removed events, changed dates and money
before wording). Text fields show a word-level diff. The HTML report is one self-contained file
that escapes everything it shows from the pages; the Markdown report (also the Prefect
artifact) escapes every value through `store.outputs`, so a page's `<script>` or
`[x](javascript:...)` shows as text wherever the Markdown is rendered.
"""

from __future__ import annotations

import html
import json
from difflib import SequenceMatcher
from typing import Any

import sqlite_utils

from store.db import StoreError
from store.outputs import md_code, md_text, md_url, terminal_json
from store.runs import get_run

LAYOUT = "layout changed?"


def report_data(
    db: sqlite_utils.Database, run: str | int = "latest", *, max_changes: int | None = None
) -> dict[str, Any]:
    """One run's report. `max_changes` keeps only the most important changes (a first crawl
    of 50,000 pages has ~500,000; the full list is for `agencywatch report`, not for memory)."""
    row = get_run(db, run)
    return {
        "run": _run_json(row),
        "changes": _changes(db, [row["id"]], limit=max_changes),
        "failures": _failures(db, row["id"]),
    }


def count_changes(db: sqlite_utils.Database, run_id: int) -> int:
    return int(db.execute("SELECT count(*) FROM changes WHERE run_id = ?", [run_id]).fetchone()[0])


def report_since(db: sqlite_utils.Database, since: str) -> dict[str, Any]:
    """The changes of every crawl run started on or after `since` (an ISO date or time).

    Same shape as one run's report, plus `runs` (each run) and `run_id` on each change; `run`
    is the latest of them, so scripts reading one run's report keep working."""
    rows = list(
        db.query("SELECT * FROM runs WHERE kind = 'crawl' AND started_at >= ? ORDER BY id", [since])
    )
    if not rows:
        raise StoreError(f"no crawl run started on or after {since!r}")
    ids = [r["id"] for r in rows]
    return {
        "run": _run_json(rows[-1]),
        "runs": [_run_json(r) for r in rows],
        "since": since,
        "changes": _changes(db, ids, with_run=True),
        "failures": [f for r in rows for f in _failures(db, r["id"])],
    }


def _changes(
    db: sqlite_utils.Database,
    run_ids: list[int],
    *,
    with_run: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in run_ids)
    bound = "" if limit is None else f" LIMIT {int(limit)}"
    return [
        {
            "change": c["change"],
            "entity": c["entity"],
            "source": c["source"],
            "url": c["url"],
            "key": c["key"],
            "title": c["title"],
            "fields": json.loads(c["fields"] or "{}"),
            **({"reason": c["reason"]} if c["reason"] else {}),
            **({"run_id": c["run_id"]} if with_run else {}),
        }
        for c in db.query(
            "SELECT c.*, s.name AS source FROM changes c JOIN sources s ON s.id = c.source_id "
            f"WHERE c.run_id IN ({marks}) ORDER BY s.name, c.importance DESC, c.run_id, c.id"
            + bound,
            run_ids,
        )
    ]


def _run_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "status": row["status"],
        "pages": {
            "fetched": row["pages_fetched"],
            "not_modified": row["pages_not_modified"],
            "failed": row["pages_failed"],
        },
        "requests": row["requests"],
        "bytes_downloaded": row["bytes_downloaded"],
        "bytes_saved": row["bytes_saved"],
        "items": {
            "added": row["items_added"],
            "updated": row["items_updated"],
            "removed": row["items_removed"],
        },
    }


def _failures(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """Fetch failures one per URL; a layout change is said once per source, naming its pages."""
    rows = list(
        db.query(
            "SELECT f.url, f.error, s.name AS source FROM fetches f "
            "JOIN sources s ON s.id = f.source_id WHERE f.run_id = ? AND f.error IS NOT NULL "
            "ORDER BY f.id",
            [run_id],
        )
    )
    failures = [{"url": r["url"], "error": r["error"]} for r in rows if LAYOUT not in r["error"]]
    layout: dict[str, list[str]] = {}
    for r in rows:
        if LAYOUT in r["error"]:
            layout.setdefault(r["source"], []).append(r["url"])
    for source, urls in layout.items():
        pages = "1 page" if len(urls) == 1 else f"{len(urls)} pages"
        failures.append(
            {
                "url": urls[0],
                "error": f"{source}: extraction failed: {LAYOUT} ({pages} read but yielded no "
                f"items or empty fields where they had some: {', '.join(urls)}); "
                "nothing removed or changed",
            }
        )
    return failures


def render(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return terminal_json(data, indent=2) + "\n"
    if fmt == "md":
        return render_md(data)
    if fmt == "html":
        return render_html(data)
    raise ValueError(f"unknown report format {fmt!r}: use md, html or json")


def summary_line(data: dict[str, Any]) -> str:
    r = data["run"]
    p, i = r["pages"], r["items"]
    return (
        f"run {r['id']} {r['status']}: pages fetched {p['fetched']}, not modified "
        f"{p['not_modified']}, failed {p['failed']}; items added {i['added']}, updated "
        f"{i['updated']}, removed {i['removed']}"
    )


def word_diff(old: str | None, new: str | None, *, context: int = 8) -> list[tuple[str, str]]:
    """[(op, text)] with op in ' ', '-', '+'; long unchanged runs are cut to `context` words."""
    a, b = (old or "").split(), (new or "").split()
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < 0.5:  # a rewrite: interleaved fragments would be unreadable
        return [(op, " ".join(words)) for op, words in (("-", a), ("+", b)) if words]
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            words = a[i1:i2]
            if len(words) > 2 * context:
                words = [*words[:context], "…", *words[-context:]]
            out.append((" ", " ".join(words)))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return out


PROSE_FIELDS = {
    "text",
    "summary",
    "resources_needed",
    "evidence_of_success",
    "potential_for_learning",
    "context",
}


def _is_prose(name: str, old: Any, new: Any) -> bool:
    """Prose shows as a word diff; short values (dates, money, names) as old -> new."""
    texts = [v for v in (old, new) if isinstance(v, str)]
    return bool(texts) and (name in PROSE_FIELDS or any(len(v) > 80 for v in texts))


def _md_value(v: Any) -> str:
    if v is None:
        return "_(none)_"
    if isinstance(v, dict | list):
        v = json.dumps(v, ensure_ascii=False)
    return md_code(v)


def _md_diff(old: str | None, new: str | None) -> str:
    parts = []
    for op, text in word_diff(old, new):
        shown = md_text(text)
        parts.append(shown if op == " " else f"~~{shown}~~" if op == "-" else f"**{shown}**")
    return " ".join(parts)


def _heading(data: dict[str, Any]) -> str:
    r = data["run"]
    if "runs" in data:
        ids = [x["id"] for x in data["runs"]]
        return f"Change report since {data['since']}: runs {ids[0]} to {ids[-1]}"
    return f"Change report: run {r['id']} ({r['status']})"


def render_md(data: dict[str, Any]) -> str:
    r = data["run"]
    lines = [
        f"# {md_text(_heading(data))}",
        "",
        f"Started {md_text(r['started_at'])}, finished {md_text(r['finished_at'] or '-')}.",
        "",
        summary_line(data) + ".",
        "",
    ]
    if not data["changes"]:
        lines += ["No changes.", ""]
    for source in _sources(data):
        lines += [f"## {md_text(source)}", ""]
        for c in (c for c in data["changes"] if c["source"] == source):
            lines += _md_change(c)
        lines.append("")
    if data["failures"]:
        lines += ["## Failures", ""]
        lines += [f"- {md_text(f['error'])}" for f in data["failures"]]
        lines.append("")
    return "\n".join(lines)


def _sources(data: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(c["source"] for c in data["changes"]))


def _md_change(c: dict[str, Any]) -> list[str]:
    what = f"**{md_text(c['change'])}** {md_text(c['entity'])}: {md_text(c['title'] or c['key'])}"
    head = f"- run {c['run_id']}: {what}" if "run_id" in c else f"- {what}"
    if c.get("url"):
        head += f" {md_url(c['url'])}"
    if c.get("reason"):
        head += f" (reason: {md_text(c['reason'])})"
    lines = [head]
    for name, v in c["fields"].items():
        if _is_prose(name, v["old"], v["new"]):
            lines.append(f"  - {md_text(name)}: {_md_diff(v['old'], v['new'])}")
        else:
            lines.append(f"  - {md_text(name)}: {_md_value(v['old'])} → {_md_value(v['new'])}")
    return lines


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;margin-top:2rem}
.change{margin:.6rem 0}.kind{display:inline-block;min-width:6.5rem;font-weight:600}
.added .kind,.reappeared .kind{color:#1a7f37}.removed .kind{color:#cf222e}
.updated .kind{color:#9a6700}
del{background:#ffebe9;text-decoration:line-through}ins{background:#dafbe1;text-decoration:none}
.fields{margin:.2rem 0 0 1.5rem;font-size:.92rem}.reason{color:#666}.muted{color:#666}
"""


def render_html(data: dict[str, Any]) -> str:
    e = html.escape
    r = data["run"]
    body = [
        f"<h1>{e(_heading(data))}</h1>",
        f"<p class='muted'>{e(summary_line(data))}.</p>",
    ]
    if not data["changes"]:
        body.append("<p>No changes.</p>")
    for source in _sources(data):
        body.append(f"<h2>{e(source)}</h2>")
        body += [_html_change(c) for c in data["changes"] if c["source"] == source]
    if data["failures"]:
        body.append("<h2>Failures</h2><ul>")
        body += [f"<li>{e(str(f['error']))}</li>" for f in data["failures"]]
        body.append("</ul>")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>agencywatch run {e(str(r['id']))}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _html_change(c: dict[str, Any]) -> str:
    e = html.escape
    title = e(str(c["title"] or c["key"]))
    if c.get("url") and str(c["url"]).startswith(("http://", "https://")):
        title = f"<a href='{e(str(c['url']), quote=True)}'>{title}</a>"
    reason = f" <span class='reason'>({e(str(c['reason']))})</span>" if c.get("reason") else ""
    fields = []
    for name, v in c["fields"].items():
        if _is_prose(name, v["old"], v["new"]):
            diff = " ".join(
                e(t) if op == " " else f"<del>{e(t)}</del>" if op == "-" else f"<ins>{e(t)}</ins>"
                for op, t in word_diff(v["old"], v["new"])
            )
        else:
            diff = f"<del>{e(_plain(v['old']))}</del> → <ins>{e(_plain(v['new']))}</ins>"
        fields.append(f"<li><b>{e(name)}</b>: {diff}</li>")
    listing = f"<ul class='fields'>{''.join(fields)}</ul>" if fields else ""
    return (
        f"<div class='change {e(c['change'])}'><span class='kind'>{e(c['change'])}</span> "
        f"{e(c['entity'])}: {title}{reason}{listing}</div>"
    )


def _plain(v: Any) -> str:
    if v is None:
        return "(none)"
    return json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v)
