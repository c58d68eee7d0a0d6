"""What one page gives: `PageExtraction`, the records of every kind plus the page's own title,
text and date. Plain, frozen values with no I/O attached.

`PageExtraction.to_json()` is the `agencywatch extract` shape fixed by the contract; every
kind's list is always present, in the order of `kinds.KINDS`. Optional keys added beyond the
contract (`title`, `date`, the lists of later kinds) are additive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# The record classes live with their specs (`kinds.py`); they are named here too because most
# readers of a page's records import them from here.
from extractors.frozen import pickled_by_fields
from extractors.kinds import BY_KEY, KINDS, Event, Figure, GoodPractice, NewsItem

__all__ = ["JSON", "Event", "Figure", "GoodPractice", "NewsItem", "PageExtraction",
           "pickled_by_fields"]

JSON = dict[str, Any]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PageExtraction:
    url: str
    # the kind asked for, or for "auto" the kinds found joined by "+" ("events+news_list")
    kind: str
    title: str | None = None
    # each kind's records by its key ("news", "events", ...); kinds with none are left out
    records: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    text: str = ""
    date: str | None = None  # publication date of an article page (ISO), additive

    def __getattr__(self, name: str) -> tuple[Any, ...]:
        """A kind's records by its key: `extraction.events`, `extraction.figures`."""
        if name in BY_KEY:
            return tuple(self.records.get(name, ()))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def of(self, key: str) -> tuple[Any, ...]:
        return tuple(self.records.get(key, ()))

    def to_json(self) -> JSON:
        out: JSON = {"url": self.url, "kind": self.kind, "title": self.title}
        for spec in KINDS:
            encode = _figure_json if spec.key == "figures" else asdict
            out[spec.key] = [encode(r) for r in self.records.get(spec.key, ())]
        out["text"] = self.text
        out["date"] = self.date
        return out


def records_of(**lists: tuple[Any, ...] | list[Any]) -> dict[str, tuple[Any, ...]]:
    """The `records` mapping of the non-empty lists given by kind key; an unknown key is a bug."""
    unknown = lists.keys() - BY_KEY.keys()
    if unknown:
        raise TypeError(f"no record kind {', '.join(sorted(unknown))}")
    return {key: tuple(values) for key, values in lists.items() if values}


def _figure_json(f: Figure) -> JSON:
    value: float | int = int(f.value) if float(f.value).is_integer() else f.value
    return {"value": value, "unit": f.unit, "text": f.text, "context": f.context}
