"""Meetings a page carries as JSON in a `<script>` (calendar widgets fill themselves from it):
arrays of objects with a name and a start, read without running any script.

    <script>var meetings = [{"title": "Board", "start": "2019-06-28T09:00:00-05:00",
                              "location": "City Hall"}, ...];</script>

Bounded: scripts over MAX_SCRIPT characters are not read (a megabyte of JSON is an app's
state, not a page's meetings), at most MAX_ARRAYS arrays per script and MAX_OBJECTS objects in
all; a value that does not parse is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

from extractors.dates import DateSpan, parse_date
from extractors.html import absolute_url, norm
from extractors.records import Event
from extractors.registry import Page
from extractors.structured import event_date

MAX_SCRIPT = 500_000  # characters of one script read
MAX_ARRAYS = 5  # arrays of objects tried per script
MAX_OBJECTS = 2_000  # meetings read from all scripts

_TITLE_KEYS = ("title", "name", "summary", "subject", "meetingName", "eventName", "body")
_START_KEYS = ("start", "startDate", "start_date", "startTime", "start_time", "date",
               "eventDate", "meetingDate", "datetime", "dateTime")
_END_KEYS = ("end", "endDate", "end_date", "endTime", "end_time")
_PLACE_KEYS = ("location", "venue", "address", "place", "where", "room")
_URL_KEYS = ("url", "link", "href", "detailUrl")
_ARRAY_START = re.compile(r"\[\s*\{")
# a script that may hold meetings names a start of some kind; most scripts are code
_HINT = re.compile(r"[\"']?(?:start|date|when)\w*[\"']?\s*:", re.I)


def scripted_meetings(page: Page) -> list[tuple[Event, HtmlElement]]:
    """The meetings of the page's scripts, each with its script element."""
    if "<script" not in page.html:
        return []
    found: list[tuple[Event, HtmlElement]] = []
    for script in page.tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if kind and "json" not in kind and "javascript" not in kind:
            continue
        if "ld+json" in kind:
            continue  # schema.org: structured.py reads it
        text = script.text or ""
        if len(text) > MAX_SCRIPT or "{" not in text or not _HINT.search(text):
            continue
        for event in _events(text, page.url):
            found.append((event, script))
            if len(found) >= MAX_OBJECTS:
                return found
    return found


def _events(text: str, base: str) -> Iterator[Event]:
    decoder = json.JSONDecoder()
    arrays = 0
    for m in _ARRAY_START.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if not isinstance(value, list):
            continue
        events = [e for e in (_event(v, base) for v in value if isinstance(v, dict)) if e]
        if events:
            yield from events
            arrays += 1
            if arrays >= MAX_ARRAYS:
                return


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for key in keys:
        value = lowered.get(key.lower())
        if value not in (None, "", [], {}):
            return value
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return norm(value)
    if isinstance(value, dict):
        parts = [_text(value.get(k)) for k in ("name", "title", "address", "streetAddress",
                                                 "city", "addressLocality")]
        return ", ".join(dict.fromkeys(p for p in parts if p))
    return ""


def _when(value: Any) -> DateSpan | None:
    if not isinstance(value, str) or not value.strip():
        return None
    span = event_date(value.strip(), None)
    if span is None:
        span = parse_date(value)
    return span if span is not None and len(span.start) >= 10 else None


def _event(obj: dict[str, Any], base: str) -> Event | None:
    title = _text(_first(obj, _TITLE_KEYS))
    start = _when(_first(obj, _START_KEYS))
    if not title or start is None or len(title) > 300:
        return None
    end = _when(_first(obj, _END_KEYS))
    place = _text(_first(obj, _PLACE_KEYS)) or None
    link = _first(obj, _URL_KEYS)
    url = absolute_url(link.strip(), base) if isinstance(link, str) and link.strip() else None
    return Event(title=title, start_date=start.start, end_date=end.start if end else None,
                 location=place if place and len(place) <= 300 else None, url=url)
