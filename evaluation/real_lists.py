"""The two real-world list sets, scored by their own scorers' rules: `cityscrapers-chicago`
(meetings of public agencies) and `newslists-dev` (news listings).

The scorers live beside the data (`../shared/tools/score_cityscrapers.py`,
`score_newslists.py`) and run `agencywatch extract PAGE --url URL --kind K` once per page and
kind. Here their own modules are imported and their own `score_page` and summaries are fed
what that command prints, computed in-process (`extract(...).to_json()` is exactly what the
command prints), so the rules are theirs, not a port, and the sets score in seconds instead of
a process start per page. A page that raises or takes more than the scorers' 120 s scores as
their crash rule says.

Third-party data: read from ../shared/, never copied into the repository; skipped with a
reason when absent.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from multiprocessing import Pool, TimeoutError
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TOOLS = SHARED / "tools"
TESTDATA = SHARED / "testdata"
PAGE_TIMEOUT_S = 120  # the scorers' own limit per page


def scorer(name: str) -> ModuleType | None:
    """The shared scorer module `name` (e.g. "score_newslists"), or None when absent."""
    path = TOOLS / f"{name}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"shared_{name}", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def extract_json(path: str, url: str, kind: str) -> dict[str, Any]:
    """What `agencywatch extract PATH --url URL --kind KIND` prints, parsed."""
    from extractors.core import extract

    body = Path(path).read_bytes()
    printed: dict[str, Any] = json.loads(json.dumps(extract(body, url, kind=kind).to_json()))
    return printed


def _extract_task(job: tuple[str, str, str]) -> dict[str, Any]:
    return extract_json(*job)


def extract_all(jobs: list[tuple[str, str, str]], processes: int
                ) -> list[tuple[dict[str, Any] | None, str | None]]:
    """(output, error) per job, in order; an exception or a timeout is the error."""
    out: list[tuple[dict[str, Any] | None, str | None]] = []
    with Pool(processes) as pool:
        pending = [pool.apply_async(_extract_task, (job,)) for job in jobs]
        for result in pending:
            try:
                out.append((result.get(PAGE_TIMEOUT_S), None))
            except TimeoutError:
                out.append((None, "timeout"))
            except Exception as exc:  # a crash scores 0 for the page, as the scorers say
                out.append((None, f"{type(exc).__name__}: {exc}"))
        pool.terminate()  # a timed-out page may still be running
    return out


# ---------------------------------------------------------------------------------------------
# cityscrapers-chicago


def cityscrapers(processes: int, verbose: bool = False) -> dict[str, dict[str, float]] | None:
    """The scorer's summary per kind ("events", "auto"): R, P, F, macroF, T, L, ...; None when
    the set or its scorer is absent."""
    module = scorer("score_cityscrapers")
    folder = TESTDATA / "cityscrapers-chicago"
    if module is None or not (folder / "gold.json").is_file():
        print(f"skip cityscrapers-chicago: {folder} or its scorer not found", file=sys.stderr)
        return None
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    pages = sorted(gold.items())
    kinds = ("events", "auto")
    jobs = [(str(folder / "pages" / page), g["url"], kind) for page, g in pages for kind in kinds]
    outputs = iter(extract_all(jobs, processes))
    results = []
    for page, g in pages:
        raw = (folder / "pages" / page).read_bytes()
        # the scorer's evidence text, built as its main() builds it
        text = module.page_text(raw) + " \n " + module.html.unescape(raw.decode("utf-8", "replace"))
        page_norm = module.norm(text)
        page_low = module.re.sub(r"\s+", " ", text.casefold())
        res: dict[str, Any] = {"page": page}
        for kind in kinds:
            out, err = next(outputs)
            events = [e for e in ((out or {}).get("events") or []) if isinstance(e, dict)]
            r = module.score_page(g["events"], events, page_norm, page_low, g.get("timezone"))
            if err:
                r.update(match=0, match_on_page=0, ext=r["gold"], t_ok=0, l_ok=0, tp_ok=0)
            r["err"] = err
            res[kind] = r
        results.append(res)
    summary = {}
    for kind in kinds:
        summary[kind] = _city_summary(module, [r[kind] for r in results])
    if verbose:
        print("cityscrapers-chicago, per page (kind=events | kind=auto): gold, extracted, "
              "matched, F1, time ok/n, location ok/n")
        for r in results:
            cells = []
            for kind in kinds:
                k = r[kind]
                f1 = module.prf(k["match"], k["gold"], k["ext"])[2]
                note = f" {k['err']}" if k["err"] else ""
                cells.append(f"{k['ext']:4d} {k['match']:4d} {f1:5.2f} "
                             f"{k['t_ok']:3d}/{k['t_n']:<3d} {k['l_ok']:3d}/{k['l_n']:<3d}{note}")
            print(f"  {r['page'][:58]:58s} {r['events']['gold']:4d} | {cells[0]} | {cells[1]}")
    return summary


def _city_summary(module: ModuleType, rows: list[dict[str, Any]]) -> dict[str, float]:
    """The totals `score_cityscrapers.main` prints for one kind."""
    keys = ("gold", "ext", "match", "t_n", "t_ok", "tp_n", "tp_ok", "l_n", "l_ok")
    s: dict[str, float] = {k: sum(r[k] for r in rows) for k in keys}
    recall, precision, f1 = module.prf(s["match"], s["gold"], s["ext"])
    per = [module.prf(r["match"], r["gold"], r["ext"]) for r in rows]
    n = len(per) or 1
    s.update(R=recall, P=precision, F=f1, macroF=sum(x[2] for x in per) / n,
             T=s["t_ok"] / s["t_n"] if s["t_n"] else 0.0,
             Tp=s["tp_ok"] / s["tp_n"] if s["tp_n"] else 0.0,
             L=s["l_ok"] / s["l_n"] if s["l_n"] else 0.0,
             crashes=sum(1 for r in rows if r["err"]))
    return s


# ---------------------------------------------------------------------------------------------
# newslists-dev


def newslists(processes: int, verbose: bool = False) -> dict[str, dict[str, Any]] | None:
    """The scorer's `summary` per kind ("news_list", "auto"); None when absent."""
    module = scorer("score_newslists")
    folder = TESTDATA / "newslists-dev"
    if module is None or not (folder / "gold.json").is_file():
        print(f"skip newslists-dev: {folder} or its scorer not found", file=sys.stderr)
        return None
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    kinds = ("news_list", "auto")
    pages = list(gold.items())  # the scorer's order
    jobs = [(str(folder / "pages" / page), g["url"], kind) for page, g in pages for kind in kinds]
    outputs = iter(extract_all(jobs, processes))
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    if verbose:
        print("newslists-dev, per page (kind=news_list | kind=auto): gold; predicted, matched, "
              "F1, date accuracy")
    for page, g in pages:
        cells = []
        for kind in kinds:
            out, err = next(outputs)
            news = [n for n in ((out or {}).get("news") or []) if isinstance(n, dict)]
            r = module.score_page(g["items"], news, g["url"])
            r["error"] = err
            if err:
                r.update(tp=0, fp=0, fn=r["gold"], dates=0, dates_ok=0)
            rows[kind].append(r)
            f1 = 0.0 if err else module.prf(r["tp"], r["fp"], r["fn"])[2]
            date = f"{r['dates_ok'] / r['dates']:.2f}" if r["dates"] else "  - "
            note = f" {err}" if err else ""
            cells.append(f"{r['pred']:5d} {r['tp']:4d} {f1:5.2f} {date}{note}")
        if verbose:
            print(f"  {page[:48]:48s} {len(g['items']):5d} | {cells[0]} | {cells[1]}")
    return {kind: module.summary(rows[kind]) for kind in kinds}
