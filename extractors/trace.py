"""What the extractors considered on a page and why they kept or rejected it, recorded only while
`explain.explain` asks (`agencywatch extract --explain`); otherwise each `note` is one context
variable lookup.

The list finder notes every repeated group of elements it judged (a candidate region), the
meeting schedule reader and the events chooser what they found and chose, the calls reader its
tables and lists, the `auto` dispatcher the kinds it named. A user reads them to know whether a
page needs `selectors` in sources.toml, and which.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from lxml.html import HtmlElement


@dataclass(slots=True)
class Note:
    stage: str  # "lists", "events", "calls", "kinds", ...
    where: str  # a CSS path of the region, or "" for the page
    verdict: str  # "kept", "rejected", "chose", "skipped", "found"
    reason: str  # one line
    facts: dict[str, int | str] = field(default_factory=dict)  # blocks, dated, linked...
    selector: str = ""  # a CSS selector of the region's items, for sources.toml


_NOTES: ContextVar[list[Note] | None] = ContextVar("agencywatch_trace", default=None)


@contextmanager
def tracing() -> Iterator[list[Note]]:
    """Record the notes of what runs inside; yields the list they go to."""
    notes: list[Note] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def active() -> bool:
    return _NOTES.get() is not None


def note(stage: str, where: HtmlElement | str | None, verdict: str, reason: str,
         facts: Mapping[str, int | str] | None = None, items: HtmlElement | None = None
         ) -> None:
    """Record one decision (nothing when no one traces). `items`: one item element of the
    region, whose selector the note suggests."""
    notes = _NOTES.get()
    if notes is None:
        return
    place = css_path(where) if isinstance(where, HtmlElement) else (where or "")
    selector = f"{place} > {_step(items)}" if items is not None and place else ""
    notes.append(Note(stage, place, verdict, reason, dict(facts or {}), selector))


def css_path(el: HtmlElement, depth: int = 4) -> str:
    """A short CSS path of an element: up to `depth` steps, stopping at the first id."""
    steps: list[str] = []
    node: HtmlElement | None = el
    while node is not None and isinstance(node.tag, str) and len(steps) < depth:
        steps.append(_step(node))
        if node.get("id") or node.tag in ("body", "html"):
            break
        node = node.getparent()
    return " > ".join(reversed(steps))


def _step(el: HtmlElement) -> str:
    ident = (el.get("id") or "").strip()
    if ident and ident.replace("-", "").replace("_", "").isalnum():
        return f"{el.tag}#{ident}"
    classes = [c for c in (el.get("class") or "").split()
               if c.replace("-", "").replace("_", "").isalnum() and not c[-1:].isdigit()]
    return str(el.tag) + "".join(f".{c}" for c in classes[:2])
