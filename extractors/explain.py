"""`agencywatch extract --explain`: what a page gave and why, for a page that gives nothing or
the wrong items.

The page is read exactly as `extract` reads it, with the extractors' notes recorded
(`trace.py`): every candidate region the list finder judged (its CSS path, how many blocks,
how many linked, dated, with teasers) and whether it was kept or why not; what the meeting
schedule reader and the events chooser decided; the calls reader's tables and lists; what
`auto` named the page and where its text came from. The last lines say what to try: a
region that was nearly a list, as a `selectors.item` for sources.toml.
"""

from __future__ import annotations

from collections import Counter

from extractors.core import ReadOptions, read_page
from extractors.trace import Note, tracing

MAX_REGIONS = 25  # regions listed; a page of menus judges hundreds


def explain(body: bytes | str, url: str, content_type: str | None = None,
            options: ReadOptions | None = None) -> str:
    """The explanation, as plain text lines (the caller escapes it for where it goes)."""
    options = options or ReadOptions()
    with tracing() as notes:
        extraction = read_page(body, url, content_type, options).extraction
    out = [f"{url}: read as {options.kind!r}, named {extraction.kind!r}"]
    counts = [f"{len(v)} {k}" for k, v in extraction.records.items()]
    out.append("records: " + (", ".join(counts) if counts else "none"))
    regions = [n for n in notes if n.stage == "lists" and n.where]
    out.append("")
    out.append(f"candidate regions ({len(regions)} repeated groups judged as lists):")
    shown = sorted(regions, key=_rank)[:MAX_REGIONS]
    for n in shown:
        out.append(f"  {n.verdict:8} {n.where}  [{_facts(n)}]")
        out.append(f"           {n.reason}")
    if len(regions) > len(shown):
        out.append(f"  ... and {len(regions) - len(shown)} more rejected groups")
    others = [n for n in notes if n not in regions]
    if others:
        out.append("")
        out.append("decisions:")
        for n in others:
            where = f" {n.where}" if n.where else ""
            facts = f"  [{_facts(n)}]" if n.facts else ""
            out.append(f"  {n.stage}:{where} {n.verdict}: {n.reason}{facts}")
    out.append("")
    out += _advice(extraction.records, regions)
    return "\n".join(out) + "\n"


def _rank(n: Note) -> tuple[int, int]:
    """Kept regions first, then the rejected ones with the most blocks."""
    blocks = n.facts.get("blocks", 0)
    return (0 if n.verdict == "kept" else 1, -(blocks if isinstance(blocks, int) else 0))


def _facts(n: Note) -> str:
    return ", ".join(f"{k} {v}" for k, v in n.facts.items())


def _advice(records: object, regions: list[Note]) -> list[str]:
    kept = [n for n in regions if n.verdict == "kept"]
    if kept and records:
        return ["what to do: nothing, unless these are the wrong items: then name the right "
                "region with selectors.item (its selector is below)",
                *(f"  selectors = {{ item = \"{n.selector}\" }}" for n in kept[:3] if n.selector)]
    near = [n for n in regions if n.verdict == "rejected" and n.selector
            and isinstance(n.facts.get("linked"), int) and int(n.facts["linked"]) >= 2]
    reasons = Counter(n.reason for n in near)
    lines = ["what to do: no region read as a list. If the items are in one of these regions, "
             "name it in sources.toml (and title, date, link inside it if they are misread):"]
    for n in sorted(near, key=_rank)[:3]:
        lines.append(f"  selectors = {{ item = \"{n.selector}\" }}   # {n.facts.get('blocks')} "
                     "blocks")
    if not near:
        lines.append("  no repeated linked blocks were found: the page may build its list with "
                     "scripts (not read), or hold one item (kind = \"article\")")
    elif reasons:
        lines.append(f"  most were rejected because: {reasons.most_common(1)[0][0]}")
    return lines
