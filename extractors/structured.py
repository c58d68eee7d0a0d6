"""schema.org data (JSON-LD, microdata, RDFa) read into records; where a page has it, it wins.

extruct costs more than all other extraction together, so nothing here runs unless the raw
HTML carries a marker (`application/ld+json`, `itemtype`, `vocab="https://schema.org/"` or
`typeof="schema:..."`). JSON-LD and microdata are read from the already parsed tree; RDFa needs
extruct's XML DOM, a second parse, and so runs only for schema.org RDFa.

Every syntax is normalised to one shape, a `Thing`: a dict whose "@type" is a list of short
type names ("Event", "MusicEvent") and whose other keys map to strings, Things or lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from extractors.dates import DateSpan, parse_date
from extractors.html import absolute_url, norm
from extractors.records import Event, NewsItem
from extractors.registry import Page
from extractors.times import local_time, utc_offset, zone_offset
from extractors.xpaths import STRUCTURED_MARKERS

Thing = dict[str, Any]
_ISO = re.compile(r"^\s*(\d{4}-\d{2}(?:-\d{2})?)(?:[T ](\d{2}:\d{2}))?")
_ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle",
                            "TechArticle", "AnalysisNewsArticle", "ReportageNewsArticle",
                            "PressRelease", "Blog"})
# schema.org RDFa, not the foaf/sioc RDFa every Drupal 7 page carries (pyRdfa costs ~0.1 s)
_SCHEMA_RDFA = re.compile(r"""vocab=["']https?://schema\.org|typeof=["'][^"']*schema:""", re.I)
_MAX_THINGS = 5000  # a bound on pathological graphs; real pages carry a few dozen


@dataclass(frozen=True, slots=True)
class Structured:
    """What a page's schema.org data says, already mapped to records."""

    events: tuple[Event, ...] = ()
    news: tuple[NewsItem, ...] = ()
    title: str | None = None  # headline of the article the page itself is
    date: str | None = None  # its datePublished


def machine_date(value: object) -> DateSpan | None:
    """A machine-readable date (`datetime=`, `startDate`) at minute precision, offset dropped.

    Minutes, not seconds: design.md's precision examples stop at `2020-10-26T13:44`, and an
    offset-free local time is what the page shows its readers.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    match = _ISO.match(value)
    if match:
        day, time = match.groups()
        if parse_date(day) is None:
            return None
        return DateSpan(f"{day}T{time}" if time and time != "00:00" else day)
    return parse_date(value)


def structured(page: Page) -> Structured:
    """The page's schema.org records (memoised on the page: several extractors ask)."""
    return page.memo("structured", _read)


def _read(page: Page) -> Structured:
    things = list(_things(page))
    if not things:
        return Structured()
    flat = _flatten(things)
    offset = _Offset(page)
    events = tuple(e for e in (_event(t, page.url, offset) for t in flat if _is(t, "Event"))
                   if e)
    articles = [t for t in flat if _types(t) & _ARTICLE_TYPES]
    news = list(_list_items(flat, page.url))
    own: Thing | None = None
    others = [a for a in articles if not _is_page_itself(a, page.url)]
    if len(others) >= 2:
        news.extend(n for n in (_news(a, page.url) for a in others) if n)
    mine = [a for a in articles if _is_page_itself(a, page.url)]
    if mine or len(articles) == 1:
        own = (mine or articles)[0]
    title = _text(own.get("headline") or own.get("name")) if own else None
    date = machine_date(_text(own.get("datePublished"))) if own else None
    return Structured(events=events, news=tuple(_unique(news)), title=title or None,
                      date=date.start[:10] if date else None)


def _things(page: Page) -> Iterator[Thing]:
    html = page.html
    if not any(marker in html for marker in STRUCTURED_MARKERS):
        return
    if STRUCTURED_MARKERS[0] in html:
        yield from _jsonld(page)
    if "itemtype" in html:
        yield from _microdata(page)
    if ("typeof=" in html or "vocab=" in html) and _SCHEMA_RDFA.search(html):
        yield from _rdfa(page)


def _jsonld(page: Page) -> Iterator[Thing]:
    for script in page.tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue
        yield from _from_jsonld(data)


def _from_jsonld(data: Any) -> Iterator[Thing]:
    if isinstance(data, list):
        for item in data:
            yield from _from_jsonld(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _from_jsonld(data["@graph"])
        if "@type" in data:
            yield _jsonld_thing(data)


def _jsonld_thing(data: dict[str, Any]) -> Thing:
    out: Thing = {"@type": _short_types(data.get("@type"))}
    for key, value in data.items():
        if not key.startswith("@"):
            out[key] = _jsonld_value(value)
    return out


def _jsonld_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _jsonld_thing(value) if "@type" in value or "name" in value else value.get(
            "@value", value.get("@id", ""))
    if isinstance(value, list):
        return [_jsonld_value(v) for v in value]
    return value


def _microdata(page: Page) -> Iterator[Thing]:
    from extruct.w3cmicrodata import MicrodataExtractor

    try:
        items = MicrodataExtractor().extract_items(page.tree, page.url)
    except (ValueError, TypeError, KeyError, RecursionError):
        return
    for item in items:
        yield _microdata_thing(item)


def _microdata_thing(item: dict[str, Any]) -> Thing:
    out: Thing = {"@type": _short_types(item.get("type"))}
    for key, value in (item.get("properties") or {}).items():
        out[key] = _microdata_value(value)
    return out


def _microdata_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _microdata_thing(value) if "properties" in value else value.get("value", "")
    if isinstance(value, list):
        return [_microdata_value(v) for v in value]
    return value


def _rdfa(page: Page) -> Iterator[Thing]:
    from extruct.rdfa import RDFaExtractor
    from extruct.utils import parse_xmldom_html

    try:
        dom = parse_xmldom_html(page.html.encode("utf-8"), encoding="utf-8")
        nodes = RDFaExtractor().extract_items(dom, base_url=page.url, expanded=True)
    except Exception:  # pyRdfa raises anything from anywhere; RDFa is a bonus, never a crash
        return
    by_id = {n.get("@id"): n for n in nodes if isinstance(n, dict)}
    for node in nodes:
        if isinstance(node, dict) and any("schema.org" in t for t in node.get("@type", [])):
            yield _rdfa_thing(node, by_id, 0)


def _rdfa_thing(node: dict[str, Any], by_id: dict[Any, Any], depth: int) -> Thing:
    out: Thing = {"@type": _short_types(node.get("@type"))}
    for key, values in node.items():
        if key.startswith("@") or "schema.org" not in key:
            continue
        read = [_rdfa_value(v, by_id, depth) for v in values if isinstance(v, dict)]
        out[key.rstrip("/").rsplit("/", 1)[-1]] = read[0] if len(read) == 1 else read
    return out


def _rdfa_value(value: dict[str, Any], by_id: dict[Any, Any], depth: int) -> Any:
    if "@value" in value:
        return value["@value"]
    target = by_id.get(value.get("@id"))
    if target is not None and depth < 5 and "@type" in target:
        return _rdfa_thing(target, by_id, depth + 1)
    return value.get("@id", "")


def _short_types(value: Any) -> list[str]:
    names = value if isinstance(value, list) else [value]
    return [str(n).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] for n in names if n]


def _flatten(things: list[Thing]) -> list[Thing]:
    """Every Thing, nested ones included (Event.002 holds events inside a MusicGroup)."""
    out: list[Thing] = []
    stack: list[Any] = list(reversed(things))
    while stack and len(out) < _MAX_THINGS:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, dict) and "@type" in value:
            out.append(value)
            stack.extend(reversed([v for k, v in value.items() if k != "@type"]))
    return out


def _types(thing: Thing) -> set[str]:
    return set(thing.get("@type") or ())


def _is(thing: Thing, suffix: str) -> bool:
    return any(t.endswith(suffix) for t in thing.get("@type") or ())


def _text(value: Any) -> str:
    """A property's text: the first of several values, the name of a nested Thing."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
        return _text(value)
    return norm(str(value)) if value is not None else ""


class _Offset:
    """The page's own UTC offset, read once and only if an event's time is in UTC: the most
    common non-zero offset of the page's machine-readable datetimes, else a zone written
    after a visible time ("10:00 AM CST"); None when the page says neither."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._value: list[timedelta | None] = []

    def get(self) -> timedelta | None:
        if not self._value:
            self._value.append(_page_offset(self._page.html))
        return self._value[0]


_OFFSETS = re.compile(r"T\d\d:\d\d(?::\d\d(?:\.\d+)?)?([+-]\d\d:?\d\d)\b")
_ZONE_AFTER_TIME = re.compile(r"\d\s*[AaPp]\.?[Mm]\.?\s+\(?([ECMP][SD]T)\b")


def _page_offset(html: str) -> timedelta | None:
    counts: dict[timedelta, int] = {}
    for m in _OFFSETS.finditer(html[:2_000_000]):
        offset = utc_offset(m.group(1))
        if offset:
            counts[offset] = counts.get(offset, 0) + 1
    if counts:
        return max(counts, key=lambda o: counts[o])
    zone = _ZONE_AFTER_TIME.search(html[:2_000_000])
    return zone_offset(zone.group(1)) if zone else None


def event_date(value: str, offset: _Offset | None) -> DateSpan | None:
    """A schema.org start or end: a time in UTC ("...T15:00:00Z") is put on the page's own
    clock when the page says its offset, and keeps its offset when it does not (no zone is
    invented); a time with the page's own offset is the clock time written."""
    shift = utc_offset(value) if value else None
    if shift is not None and shift == timedelta(0) and "T" in value:
        here = offset.get() if offset is not None else None
        if here is not None:
            return machine_date(local_time(value, here))
        span = machine_date(value)
        if span is not None and len(span.start) > 10:
            return DateSpan(f"{span.start}+00:00")
        return span
    return machine_date(value)


def _event(thing: Thing, base: str, offset: _Offset | None = None) -> Event | None:
    title = _text(thing.get("name")) or _text(thing.get("headline"))
    start = event_date(_text(thing.get("startDate")), offset)
    if not title or start is None:
        return None
    end = event_date(_text(thing.get("endDate")), offset)
    end_date = end.start if end and end.start[:10] != start.start[:10] else start.end
    return Event(title=title, start_date=start.start, end_date=end_date,
                 organiser=_text(thing.get("organizer")) or None,
                 location=_location(thing.get("location")),
                 url=absolute_url(_text(thing.get("url")), base))


def _location(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return _text(value) or None
    parts = [_text(value.get("name"))]
    address = value.get("address")
    if isinstance(address, dict):
        parts.append(_text(address.get("addressLocality")))
    elif address:
        parts.append(_text(address))
    kept: list[str] = []
    for part in parts:
        if part and not any(part.lower() in k.lower() for k in kept):
            kept.append(part)
    return ", ".join(kept) or None


def _news(thing: Thing, base: str) -> NewsItem | None:
    title = _text(thing.get("headline")) or _text(thing.get("name"))
    if not title:
        return None
    date = machine_date(_text(thing.get("datePublished")))
    return NewsItem(title=title, date=date.start if date else None,
                    summary=_text(thing.get("description")) or None,
                    url=absolute_url(_text(thing.get("url")), base))


def _list_items(flat: list[Thing], base: str) -> Iterator[NewsItem]:
    for thing in flat:
        if not _is(thing, "ItemList"):
            continue
        elements = thing.get("itemListElement") or []
        for element in elements if isinstance(elements, list) else [elements]:
            if not isinstance(element, dict):
                continue
            inner = element.get("item")
            item: Thing = inner if isinstance(inner, dict) else element
            if _is(item, "Event"):
                continue  # events are read from the flat list already
            news = _news(item, base)
            if news and news.url is None:
                news = NewsItem(news.title, news.date, news.summary,
                                absolute_url(_text(element.get("url")), base))
            # a list of the page's own parts (the slides of a gallery, all at its own URL)
            # names no other page: those are no items of a listing
            if news and not _same_page(news.url, base):
                yield news


def _same_page(url: str | None, base: str) -> bool:
    own = (absolute_url(base, base) or "").rstrip("/")
    return url is not None and url.split("#", 1)[0].rstrip("/") == own


def _is_page_itself(thing: Thing, url: str) -> bool:
    own = _text(thing.get("url")) or _text(thing.get("mainEntityOfPage"))
    if not own:
        return True
    return (absolute_url(own, url) or "").rstrip("/") == (absolute_url(url, url) or "").rstrip("/")


def _unique(items: list[NewsItem]) -> Iterator[NewsItem]:
    seen: set[tuple[str, str | None]] = set()
    for item in items:
        key = (item.title, item.url)
        if key not in seen:
            seen.add(key)
            yield item
