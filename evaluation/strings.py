"""Score the date and figure parsers on the real strings of testdata (string in, value out).

    python -m evaluation.strings [PATH]

Scoring rules, per entry of `dates_and_figures.json`:
- dates: exact when `parse_date(text, context_year=...)` gives `expected`; `start/end` is a
  range, `?/end` a range with an unknown start, which is exact when the parse ends (or, being a
  single date, is) `end`. Relative entries (`kind: relative`, expected like `-P1W`) are not
  scored: the parser returns None for them on purpose; they are counted, with how many gave
  None.
- figures: exact when `parse_figure(text)` has the expected value (to 1e-9 relative) and unit:
  `EUR` -> `EUR`, `percent` -> `%`, and `count` / `days` -> any counted noun (a unit that is
  not a currency code, `%` or an area unit).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from extractors.dates import DateSpan, parse_date
from extractors.figures import parse_figure

# The shared test data sits beside the repository: <repo>/../shared/testdata/...
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = REPO_ROOT.parent / "shared" / "testdata" / "real-strings" / "dates_and_figures.json"
_NON_NOUN_UNITS = frozenset({"%", "km2", "m2", "ha"})


def _span_text(span: DateSpan | None) -> str | None:
    if span is None:
        return None
    return span.start if span.end is None else f"{span.start}/{span.end}"


def _date_exact(expected: str, span: DateSpan | None) -> bool:
    if span is None:
        return False
    if expected.startswith("?/"):
        end = expected[2:]
        return span.end == end or (span.end is None and span.start == end)
    return _span_text(span) == expected


def _unit_ok(expected: str, unit: str) -> bool:
    if expected == "percent":
        return unit == "%"
    if expected in ("count", "days"):
        is_code = unit.isupper() and len(unit) == 3 and unit.isalpha()
        return bool(unit) and unit not in _NON_NOUN_UNITS and not is_code
    return unit == expected


def score_dates(entries: list[dict[str, Any]]) -> dict[str, Any]:
    exact = total = relative = relative_none = 0
    misses: list[dict[str, Any]] = []
    for e in entries:
        span = parse_date(e["text"], context_year=e.get("context_year"), lang=e.get("lang"))
        if e.get("kind") == "relative":
            relative += 1
            relative_none += span is None
            continue
        total += 1
        if _date_exact(e["expected"], span):
            exact += 1
        else:
            misses.append({"text": e["text"], "expected": e["expected"], "got": _span_text(span)})
    return {
        "exact": exact,
        "total": total,
        "relative": relative,
        "relative_none": relative_none,
        "misses": misses,
    }


def score_figures(entries: list[dict[str, Any]]) -> dict[str, Any]:
    exact = 0
    misses: list[dict[str, Any]] = []
    for e in entries:
        fig = parse_figure(e["text"])
        ok = (
            fig is not None
            and math.isclose(fig.value, float(e["value"]), rel_tol=1e-9)
            and _unit_ok(e["unit"], fig.unit)
        )
        if ok:
            exact += 1
        else:
            got = None if fig is None else {"value": fig.value, "unit": fig.unit, "text": fig.text}
            misses.append({"text": e["text"], "expected": [e["value"], e["unit"]], "got": got})
    return {"exact": exact, "total": len(entries), "misses": misses}


def score_real_strings(path: str | Path = DEFAULT_PATH) -> dict[str, Any]:
    """{"dates": {...}, "figures": {...}} with exact/total counts and the misses of each."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        "dates": score_dates(data.get("dates", [])),
        "figures": score_figures(data.get("figures", [])),
    }


def format_score(score: dict[str, Any]) -> str:
    d, f = score["dates"], score["figures"]
    lines = [
        f"dates   {d['exact']}/{d['total']} exact "
        f"(relative, not scored: {d['relative']}, of which None: {d['relative_none']})",
        f"figures {f['exact']}/{f['total']} exact",
    ]
    lines += [f"  date miss:   {m}" for m in d["misses"]]
    lines += [f"  figure miss: {m}" for m in f["misses"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    print(format_score(score_real_strings(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
