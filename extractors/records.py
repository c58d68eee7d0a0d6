"""The records extractors produce: plain, frozen values with no I/O attached.

`PageExtraction.to_json()` is the `agencywatch extract` shape fixed by the contract; every list
is always present. Optional keys added beyond the contract (`title`, `sections`, `date`) are
additive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

JSON = dict[str, Any]
T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle a frozen, slotted dataclass as (class, field values), rebuilt by its __init__.

    Python pickles such classes through `dataclasses._dataclass_getstate/_setstate`, which
    call `fields()` for every object. Each extracted page sends ~20 of them from the
    extraction process to the crawler, whose one core unpickles them all: that path was
    ~15% of the crawler's GIL time (py-spy, 2,100-page crawl).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if any(not f.init for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: every field must be an __init__ argument")
    get: Callable[[Any], Any] = attrgetter(*names)
    values = get if len(names) > 1 else (lambda obj: (get(obj),))

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NewsItem:
    title: str
    date: str | None = None  # ISO 8601 at the precision the page gives
    summary: str | None = None
    url: str | None = None  # absolute


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Event:
    title: str
    start_date: str | None = None
    end_date: str | None = None
    organiser: str | None = None
    location: str | None = None
    url: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class GoodPractice:
    title: str
    summary: str | None = None
    resources_needed: str | None = None
    evidence_of_success: str | None = None
    potential_for_learning: str | None = None
    main_institution: str | None = None
    country: str | None = None
    start_date: str | None = None
    end_date: str | None = None  # None for "Ongoing" or an empty field
    url: str | None = None
    # every headed section of the page, by its heading as written (the three above included)
    sections: dict[str, str] = field(default_factory=dict)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Figure:
    value: float  # scaled to units: "€73.3 million" -> 73300000
    unit: str  # ISO 4217 code, "%", "km2", or the counted noun as written ("inhabitants")
    text: str  # the matched text as it stands on the page
    context: str  # the sentence it came from, whitespace-normalised


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PageExtraction:
    url: str
    # the kind asked for, or for "auto" the kinds found joined by "+" ("events+news_list")
    kind: str
    title: str | None = None
    news: tuple[NewsItem, ...] = ()
    events: tuple[Event, ...] = ()
    good_practices: tuple[GoodPractice, ...] = ()
    figures: tuple[Figure, ...] = ()
    text: str = ""
    date: str | None = None  # publication date of an article page (ISO), additive

    def to_json(self) -> JSON:
        return {
            "url": self.url,
            "kind": self.kind,
            "title": self.title,
            "news": [asdict(n) for n in self.news],
            "events": [asdict(e) for e in self.events],
            "good_practices": [asdict(g) for g in self.good_practices],
            "figures": [_figure_json(f) for f in self.figures],
            "text": self.text,
            "date": self.date,
        }


def _figure_json(f: Figure) -> JSON:
    value: float | int = int(f.value) if float(f.value).is_integer() else f.value
    return {"value": value, "unit": f.unit, "text": f.text, "context": f.context}
