"""Score the extractors and gate on pinned scores: `python -m evaluation` (`make eval`).

Prints one table:
1. fixtures: every fixture page against its expected JSON (records exact; text by the snippets
   it must and must not contain).
2. trafilatura-eval: main text by the upstream rule (snippets found / leaked, summed over the
   990 pages), for `kind="article"` and `kind="auto"`, with trafilatura's own default run as
   the bar; page-title accuracy.
3. htmldate-eval: publication-date accuracy and precision (upstream rule), htmldate's own runs
   (default and original_date=True) as the bar.
4. extruct-events: event recall / precision / field accuracy, DOM path (scripts, itemprop and
   itemtype stripped) and structured path, the 49-event page on its own row.
5. real strings: the date and figure parsers (`evaluation.strings`).
6. cityscrapers-chicago: meetings on 44 real public-agency pages (date F1, time and location
   accuracy) and newslists-dev: items of 21 real listing pages (item F1, date accuracy), for the
   list kind and for `auto`, by the rules of their own scorers (`evaluation.real_lists`).

A score below its value in eval-baseline.json fails (exit 1) unless `--update-baseline` is
given, which rewrites the file (committing it is the deliberate act). Third-party parts are
skipped, with the reason printed, when ../shared/testdata is absent. Pages run on 2 processes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata"
BASELINE = REPO / "eval-baseline.json"
FIXTURE_SITES = (REPO / "fixtures" / "site", REPO / "fixtures" / "site-2")
TEXT_KEYS = frozenset({"text", "text_must_include", "text_must_exclude"})
BIG_LIST = "Max_mo_Park_Gigography_Tour_History_Past_Concerts.html"
Counts = dict[str, int]


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    metric: str
    value: float
    bar: float | None = None  # the third-party tool's own score on the same data
    detail: str = ""
    pinned: bool = True  # compared with the baseline


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------------
# 1. fixtures


def fixture_pairs() -> list[tuple[Path, Path]]:
    """Every (page, expected JSON) pair under fixtures/site and fixtures/site-2."""
    pairs = []
    for site in FIXTURE_SITES:
        for expected in sorted(site.rglob("*.expected.json")):
            page = expected.with_name(expected.name.replace(".expected.json", ".html"))
            if page.exists():
                pairs.append((page, expected))
    return pairs


def check_fixture(page: Path, expected_path: Path) -> list[str]:
    """What differs between a fixture page's extraction and its expected JSON ([] if none)."""
    from extractors.core import extract

    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    got = extract(page.read_bytes(), expected["url"], kind=expected.get("kind_asked", "auto"))
    result = got.to_json()
    problems = [f"{key}: expected {value!r}, got {result.get(key)!r}"
                for key, value in expected.items()
                if key not in TEXT_KEYS and key != "kind_asked" and result.get(key) != value]
    text = norm(got.text)
    problems += [f"text lacks {s!r}" for s in expected.get("text_must_include", [])
                 if norm(s) not in text]
    problems += [f"text has {s!r}" for s in expected.get("text_must_exclude", [])
                 if norm(s) in text]
    return problems


def fixture_rows() -> list[Row]:
    pairs = fixture_pairs()
    failed = {str(p.relative_to(REPO)): probs for p, e in pairs if (probs := check_fixture(p, e))}
    for page, probs in failed.items():
        print(f"fixture {page}: {probs[0][:200]}", file=sys.stderr)
    share = (len(pairs) - len(failed)) / len(pairs) if pairs else 0.0
    passed = len(pairs) - len(failed)
    return [Row("fixtures", "pages exact", share, detail=f"{passed}/{len(pairs)}")]


# ---------------------------------------------------------------------------------------------
# 2. trafilatura-eval: main text and titles


def _read_gz(path: Path) -> bytes:
    with gzip.open(path) as f:
        return f.read()


def _snippets(text: str, record: dict[str, Any]) -> Counts:
    out = norm(text)
    found = [bool(out) and norm(w) in out for w in record.get("with", [])]
    leaked = [bool(out) and norm(w) in out for w in record.get("without", [])]
    return {"tp": sum(found), "fn": len(found) - sum(found), "fp": sum(leaked),
            "tn": len(leaked) - sum(leaked)}


def _text_task(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    import trafilatura

    from extractors.core import extract

    url, record = item
    raw = _read_gz(TESTDATA / record["path"])
    out: dict[str, Any] = {}
    for kind in ("article", "auto"):
        try:
            page = extract(raw, url, kind=kind)
            out[kind], title = _snippets(page.text, record), page.title
        except Exception:  # a crash counts as an empty output, as upstream scores it
            out[kind], title = _snippets("", record), None
        if kind == "article" and record.get("title"):
            out["title"] = int(norm(title or "").casefold() == norm(record["title"]).casefold())
    try:
        own = trafilatura.extract(raw, url=url, include_comments=False) or ""
    except Exception:
        own = ""
    out["own"] = _snippets(own, record)
    return out


def _prf(counts: Iterable[Counts]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for c in counts:
        tp, fp, fn = tp + c["tp"], fp + c["fp"], fn + c["fn"]
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def text_rows(pool: Any) -> list[Row]:
    gold = json.loads((TESTDATA / "trafilatura-eval" / "gold.json").read_text(encoding="utf-8"))
    results = pool.map(_text_task, list(gold.items()), chunksize=4)
    own = _prf(r["own"] for r in results)
    rows = []
    for kind in ("article", "auto"):
        p, r, f = _prf(x[kind] for x in results)
        rows += [Row("trafilatura-eval", f"text F1 ({kind})", f, own[2], f"P={p:.4f} R={r:.4f}",
                     )]
    titled = [r["title"] for r in results if "title" in r]
    rows.append(Row("trafilatura-eval", "title accuracy", sum(titled) / len(titled),
                    detail=f"{sum(titled)}/{len(titled)}"))
    return rows


# ---------------------------------------------------------------------------------------------
# 3. htmldate-eval: publication dates


def _date_outcome(found: str | None, gold: str | None) -> str:
    if not found:
        return "tn" if gold is None else "fn"
    return "tp" if found == gold else "fp"


def _date_task(item: tuple[str, dict[str, Any]]) -> dict[str, str]:
    from htmldate import find_date

    from extractors.core import extract

    url, record = item
    raw = _read_gz(TESTDATA / record["path"])
    out = {}
    try:
        out["ours"] = _date_outcome(extract(raw, url, kind="article").date, record["date"])
    except Exception:
        out["ours"] = _date_outcome(None, record["date"])
    for name, original in (("htmldate", False), ("htmldate original", True)):
        try:
            found = find_date(raw, url=url, original_date=original)
        except Exception:
            found = None
        out[name] = _date_outcome(found, record["date"])
    return out


def date_rows(pool: Any) -> list[Row]:
    gold = json.loads((TESTDATA / "htmldate-eval" / "gold.json").read_text(encoding="utf-8"))
    results = pool.map(_date_task, list(gold.items()), chunksize=4)
    with_date = sum(1 for r in gold.values() if r["date"])

    def score(name: str) -> tuple[float, float]:
        tp = sum(r[name] == "tp" for r in results)
        fp = sum(r[name] == "fp" for r in results)
        return tp / with_date, tp / (tp + fp) if tp + fp else 0.0

    bars = [score("htmldate"), score("htmldate original")]
    acc, prec = score("ours")
    return [
        Row("htmldate-eval", "date accuracy", acc, max(b[0] for b in bars),
            f"htmldate default {bars[0][0]:.4f}, original_date {bars[1][0]:.4f}"),
        Row("htmldate-eval", "date precision", prec, max(b[1] for b in bars),
            f"htmldate default {bars[0][1]:.4f}, original_date {bars[1][1]:.4f}"),
    ]


# ---------------------------------------------------------------------------------------------
# 4. extruct-events: event lists


def _strip_structured(html: str) -> str:
    """The DOM path: no scripts, no microdata attributes (the README's rule)."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    for script in list(tree.iter("script")):
        script.drop_tree()
    for el in tree.iter():
        for attr in ("itemprop", "itemtype", "itemscope"):
            el.attrib.pop(attr, None)
    return str(lxml.html.tostring(tree, encoding="unicode"))


def _url_key(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")])
    return (parts.path.lstrip("/") + ("?" + query if query else "")).rstrip("/") or None


def _match_events(predicted: list[Any], gold: list[dict[str, Any]]
                  ) -> list[tuple[Any, dict[str, Any]]]:
    """One-to-one pairs: by URL (utm_* ignored), else by start day plus title."""
    pairs, used = [], set()
    for g in gold:
        for i, p in enumerate(predicted):
            if i in used:
                continue
            same_url = _url_key(p.url) and _url_key(p.url) == _url_key(g["url"])
            same_day = (p.start_date or "")[:10] == (g["startDate"] or "")[:10]
            if same_url or (same_day and norm(p.title).casefold() == norm(g["name"]).casefold()):
                pairs.append((p, g))
                used.add(i)
                break
    return pairs


def _field_hits(pairs: list[tuple[Any, dict[str, Any]]]) -> Counts:
    hits = {"date": 0, "title": 0, "location": 0, "link": 0}
    for p, g in pairs:
        hits["date"] += (p.start_date or "")[:10] == (g["startDate"] or "")[:10]
        hits["title"] += norm(p.title).casefold() == norm(g["name"] or "").casefold()
        places = [norm(x).casefold() for x in (g.get("location_name"), g.get("locality")) if x]
        loc = norm(p.location or "").casefold()
        hits["location"] += bool(loc) and any(x in loc or loc in x for x in places)
        hits["link"] += _url_key(p.url) == _url_key(g["url"])
    return hits


def event_rows() -> list[Row]:
    from extractors.core import extract

    gold = json.loads((TESTDATA / "extruct-events" / "events_gold.json").read_text("utf-8"))
    rows = []
    for path_name, prepare in (("DOM", _strip_structured), ("structured", lambda h: h)):
        totals = {"pred": 0, "gold": 0, "matched": 0}
        fields = {"date": 0, "title": 0, "location": 0, "link": 0}
        big: tuple[int, int] = (0, 0)
        for rel, entry in gold.items():
            html = (TESTDATA / rel).read_text(encoding="utf-8", errors="replace")
            base = "http://www.songkick.com/" if "songkick" in rel else "http://example.com/"
            events = list(extract(prepare(html), base, kind="auto").events)
            pairs = _match_events(events, entry["events"])
            totals["pred"] += len(events)
            totals["gold"] += len(entry["events"])
            totals["matched"] += len(pairs)
            for k, v in _field_hits(pairs).items():
                fields[k] += v
            if rel.endswith(BIG_LIST):
                big = (len(pairs), len(entry["events"]))
        rows += _event_summary(path_name, totals, fields, big)
    return rows


def _event_summary(name: str, totals: Counts, fields: Counts, big: tuple[int, int]
                   ) -> list[Row]:
    p = totals["matched"] / totals["pred"] if totals["pred"] else 0.0
    r = totals["matched"] / totals["gold"] if totals["gold"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    matched = max(1, totals["matched"])
    section = f"extruct-events {name}"
    rows = [Row(section, "event recall", r, detail=f"{totals['matched']}/{totals['gold']}"),
            Row(section, "event precision", p, detail=f"{totals['matched']}/{totals['pred']}"),
            Row(section, "event F1", f)]
    rows += [Row(section, f"{k} accuracy (matched)", v / matched, detail=f"{v}/{totals['matched']}")
             for k, v in fields.items()]
    rows.append(Row(section, "49-event page recall", big[0] / big[1] if big[1] else 0.0,
                    detail=f"{big[0]}/{big[1]}"))
    return rows


# ---------------------------------------------------------------------------------------------
# 5. real strings


def string_rows() -> list[Row]:
    try:
        from evaluation.strings import score_real_strings
    except ImportError:
        print("skip real strings: evaluation.strings not present", file=sys.stderr)
        return []
    score = score_real_strings(TESTDATA / "real-strings" / "dates_and_figures.json")
    d, f = score["dates"], score["figures"]
    return [Row("real strings", "dates exact", d["exact"] / max(1, d["total"]),
                detail=f"{d['exact']}/{d['total']}"),
            Row("real strings", "figures exact", f["exact"] / max(1, f["total"]),
                detail=f"{f['exact']}/{f['total']}")]


# ---------------------------------------------------------------------------------------------
# 6. the real-world list sets


def real_list_rows(jobs: int, verbose: bool = False) -> list[Row]:
    from evaluation.real_lists import cityscrapers, newslists

    rows: list[Row] = []
    city = cityscrapers(jobs, verbose)
    for kind, s in (city or {}).items():
        section = f"cityscrapers {kind}"
        count = f"{s['match']:.0f} of {s['gold']:.0f} gold, {s['ext']:.0f} extracted"
        rows += [Row(section, "date F1", s["F"], detail=count),
                 Row(section, "date F1 macro", s["macroF"]),
                 Row(section, "date recall", s["R"]),
                 Row(section, "date precision", s["P"]),
                 Row(section, "time accuracy", s["T"], detail=f"{s['t_ok']:.0f}/{s['t_n']:.0f}"),
                 # the scorer's own second figure: over the meetings whose time the page writes
                 Row(section, "time accuracy, time on page", s["Tp"],
                     detail=f"{s['tp_ok']:.0f}/{s['tp_n']:.0f}"),
                 Row(section, "location accuracy", s["L"],
                     detail=f"{s['l_ok']:.0f}/{s['l_n']:.0f}")]
    news = newslists(jobs, verbose)
    for kind, n in (news or {}).items():
        section = f"newslists {kind}"
        p, r, f = n["micro"]
        rows += [Row(section, "item F1", f, detail=f"P={p:.4f} R={r:.4f}"),
                 Row(section, "item F1 macro", n["macro"][2],
                     detail=f"P={n['macro'][0]:.4f} R={n['macro'][1]:.4f}"),
                 Row(section, "date accuracy", n["date"], detail=f"n={n['dates']}")]
    return rows


# ---------------------------------------------------------------------------------------------
# table, baseline, main


def _key(row: Row) -> str:
    return f"{row.section} / {row.metric}"


def print_table(rows: list[Row], baseline: dict[str, float]) -> list[str]:
    """Print the table; return the keys of rows below their baseline."""
    worse = []
    print(f"{'section':<26} {'metric':<28} {'score':>7} {'baseline':>8} {'bar':>7}  detail")
    for row in rows:
        pinned = baseline.get(_key(row))
        low = row.pinned and pinned is not None and row.value < pinned - 1e-9
        if low:
            worse.append(_key(row))
        base = f"{pinned:.4f}" if pinned is not None else "-"
        bar = f"{row.bar:.4f}" if row.bar is not None else ""
        flag = "  LOWER" if low else ""
        print(f"{row.section:<26} {row.metric:<28} {row.value:7.4f} {base:>8} {bar:>7}  "
              f"{row.detail}{flag}")
    return worse


def run(parts: set[str], jobs: int, verbose: bool = False) -> list[Row]:
    rows: list[Row] = []
    if "fixtures" in parts:
        rows += fixture_rows()
    if not TESTDATA.is_dir():
        print(f"skip third-party parts: {TESTDATA} not found", file=sys.stderr)
        return rows
    if parts & {"text", "dates"}:
        with Pool(jobs) as pool:
            if "text" in parts:
                rows += text_rows(pool)
            if "dates" in parts:
                rows += date_rows(pool)
    sections: list[tuple[str, Callable[[], list[Row]]]] = [("events", event_rows),
                                                            ("strings", string_rows)]
    for name, fn in sections:
        if name in parts:
            rows += fn()
    if "lists" in parts:
        rows += real_list_rows(jobs, verbose)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update-baseline", action="store_true",
                        help=f"rewrite {BASELINE.name} with this run's scores")
    parser.add_argument("--only", default="fixtures,text,dates,events,strings,lists",
                        help="comma-separated parts (default: all)")
    parser.add_argument("--pages", action="store_true",
                        help="print the real-world list sets page by page")
    parser.add_argument("--jobs", type=int, default=2, help="processes for page parts")
    args = parser.parse_args(argv)
    rows = run(set(args.only.split(",")), args.jobs, args.pages)
    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    worse = print_table(rows, baseline)
    if args.update_baseline:
        # rounded down, so that the run that wrote the file passes against it
        baseline.update({_key(r): math.floor(r.value * 1e4) / 1e4 for r in rows if r.pinned})
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n", "utf-8")
        print(f"baseline written to {BASELINE}")
        return 0
    if worse:
        print(f"lower than eval-baseline.json: {', '.join(worse)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
