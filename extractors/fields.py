"""Labelled fields of a block (organiser, location, date) in any common form, the date or range
of a short text, and the field names of a table's columns.

Labels are read from a block's lines (`html.lines`), which turns every common markup into one
of two shapes: `Label: value` on one line (text, `<strong>Label:</strong> value`), or a line
that is only a label followed by its value line (`<dl>`, table rows, label/value divs).
Shared by the list reader (`items.py`, `lists.py`) and the event page reader (`events.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml.html import HtmlElement

from extractors.dates import DateSpan, find_date_matches, parse_date
from extractors.html import norm
from extractors.records import Event
from extractors.times import find_times
from extractors.xpaths import (
    DATE_LABELS,
    END_DATE_LABELS,
    LOCATION_LABELS,
    ORGANISER_LABELS,
)

_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("end_date", END_DATE_LABELS),
    ("organiser", ORGANISER_LABELS),
    ("location", LOCATION_LABELS),
    ("date", DATE_LABELS),
)
_BY_LABEL = {label: name for name, labels in _FIELDS for label in labels}
_LABEL_ALT = "|".join(re.escape(label) for label in sorted(_BY_LABEL, key=len, reverse=True))
# "Location: Vilnius" (a colon is required inline: "Place of birth" is not a label line)
_INLINE = re.compile(rf"^(?P<label>{_LABEL_ALT})\s*[:：]\s*(?P<value>\S.*)$", re.I)
# a line that is only a label, its value on the next line
_ALONE = re.compile(rf"^(?P<label>{_LABEL_ALT})\s*[:：]?$", re.I)
# what may stand between two dates of one range ("Friday 20 February 2015 – Sunday 22 ...")
_RANGE_GAP = re.compile(r"^\W{0,3}(?:[-–—]|to|till|until|iki|bis|au|al|do)\W{0,3}"
                        r"(?:[^\W\d_]{2,12}\.?,?\s*)?$", re.I)
# two numbers with a dash or range word between them: worth a second look for a range
_RANGE_HINT = re.compile(r"\d\D{0,40}(?:[-–—]|\b(?:to|till|until|iki|bis|au|al|do)\b)\D{0,40}\d",
                         re.I)
MAX_VALUE = 300  # a longer "value" is a paragraph that happens to start with a label word


@dataclass(frozen=True, slots=True)
class Labelled:
    """Fields read from label lines, and the lines they used (left out of a summary)."""

    fields: dict[str, str]
    used: frozenset[int]


def labelled_fields(text_lines: Sequence[str]) -> Labelled:
    """Organiser, location, date and end date from label lines; the first of each wins."""
    fields: dict[str, str] = {}
    used: set[int] = set()
    i = 0
    while i < len(text_lines):
        line = text_lines[i]
        inline = _INLINE.match(line)
        alone = None if inline else _ALONE.match(line)
        if inline and len(inline.group("value")) <= MAX_VALUE:
            _keep(fields, inline.group("label"), inline.group("value"))
            used.add(i)
        elif (alone and i + 1 < len(text_lines) and not _is_label(text_lines[i + 1])
              and len(text_lines[i + 1]) <= MAX_VALUE):
            _keep(fields, alone.group("label"), text_lines[i + 1])
            used.update((i, i + 1))
            i += 1
        i += 1
    return Labelled(fields, frozenset(used))


def _keep(fields: dict[str, str], label: str, value: str) -> None:
    name = _BY_LABEL[norm(label).lower()]
    value = norm(value).strip(" ,;")
    if value and name not in fields:
        fields[name] = value


def _is_label(line: str) -> bool:
    return bool(_INLINE.match(line) or _ALONE.match(line))


def has_event_labels(text_lines: Sequence[str]) -> bool:
    """A block that names an organiser or a location is an event, not a news item."""
    found = labelled_fields(text_lines).fields
    return "organiser" in found or "location" in found


def date_range(text: str, context_year: int | None = None, order: str | None = None
               ) -> DateSpan | None:
    """The date or range in a short text, joining two dates that the date parser reads apart.

    "Friday 20 February 2015 – Sunday 22 February 2015": the weekday after the dash hides the
    range from `parse_date`, which then gives the first day only. `order` as `parse_date`'s.
    """
    span = parse_date(text, context_year=context_year, order=order)
    if span is None or span.end is not None or not _RANGE_HINT.search(text):
        return span
    if len(span.start) > 10:
        # "October 17, 2023, 7:00 PM - 9:00 PM": the clock range's end ends the day's event
        for t in find_times(text):
            if t.end_time and t.time == span.start[11:16]:
                return DateSpan(span.start, f"{span.start[:10]}T{t.end_time}")
    matches = [m for m in find_date_matches(text, context_year=context_year, order=order)[:3]
               if m.span]
    if len(matches) >= 2 and _RANGE_GAP.match(text[matches[0].end:matches[1].start]):
        first, second = matches[0].span, matches[1].span
        if first and second and second.start > first.start:
            return DateSpan(first.start, second.end or second.start)
    return span


def event_from_fields(title: str, fields: dict[str, str], url: str | None,
                      date: DateSpan | None = None) -> Event:
    """An Event from labelled fields; `date` (found elsewhere in the block) fills a gap."""
    labelled = date_range(fields["date"]) if "date" in fields else None
    span = labelled or date
    end = span.end if span else None
    if "end_date" in fields:
        end_span = parse_date(fields["end_date"])
        end = end_span.start if end_span else end
    return Event(title=title, start_date=span.start if span else None, end_date=end,
                 organiser=fields.get("organiser"), location=fields.get("location"), url=url)


_TITLE_COLUMNS = frozenset({"title", "event", "name", "topic", "subject", "renginys",
                            "pavadinimas", "tema", "veranstaltung", "titel", "événement",
                            "intitulé", "evento", "titolo", "nazwa", "news", "article"})


def table_columns(table_part: HtmlElement) -> list[str | None] | None:
    """Field names of a table's columns from its header row ("Date", "Venue", "Event")."""
    table = table_part if table_part.tag == "table" else table_part.getparent()
    if table is None:
        return None
    header = table.find(".//tr")
    if header is None or header.find("th") is None:
        return None
    names: list[str | None] = []
    for cell in header:
        if cell.tag not in ("th", "td"):
            continue
        label = norm(cell.text_content()).lower().strip(" :")
        name = "title" if label in _TITLE_COLUMNS else _BY_LABEL.get(label)
        names.append("date" if name == "end_date" else name)
    return names if any(names) else None
