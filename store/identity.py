"""Item identity and comparable values: what makes two sightings the same item, and when a
second sighting is a real change.

- Identity: the canonical detail URL where an item has one (tracking parameters and fragments
  dropped); otherwise a normalised title (+ date) key. Figures are keyed by their page and their
  sentence with the figure itself blanked out, so `€3m` -> `€3.5m` in the same sentence is an
  update of one figure, not a removal plus an addition.
- Comparison: text after whitespace normalisation, dates as ISO values, figures as
  (value, unit), so a reformatted figure (`€3.5 million` -> `EUR 3,500,000`) is no change.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from extractors.html import norm
from extractors.records import PageExtraction
from extractors.urls import normalise_url

Entity = str  # 'news' | 'event' | 'good_practice' | 'figure'


COMPARED_FIELDS: dict[Entity, tuple[str, ...]] = {
    "news": ("title", "date", "summary", "url"),
    "event": ("title", "start_date", "end_date", "organiser", "location", "url"),
    "good_practice": (
        "title",
        "summary",
        "resources_needed",
        "evidence_of_success",
        "potential_for_learning",
        "main_institution",
        "country",
        "start_date",
        "end_date",
        "sections",
        "url",
    ),
    "figure": ("value", "unit"),
}


@dataclass(frozen=True, slots=True)
class Sighting:
    """One record as read from one page in one run, ready to compare with the store."""

    entity: Entity
    key: str
    title: str  # what reports show: the title, or the figure text
    url: str | None
    data: dict[str, Any]  # contract field names
    comparable: dict[str, Any]
    content_hash: str


def norm_text(s: str | None) -> str | None:
    if s is None:
        return None
    return norm(unicodedata.normalize("NFC", s)) or None


def canonical_url(url: str | None) -> str | None:
    """The item's URL as one spelling (see `extractors.urls.normalise_url`); None if unusable."""
    if not url:
        return None
    try:
        return normalise_url(url)
    except ValueError:
        return url.strip() or None


_NON_WORD = re.compile(r"[\W_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def title_key(title: str | None) -> str:
    """A key that survives case, punctuation and whitespace edits of a title."""
    t = title or ""
    if t.isascii():  # nothing to decompose: skip the per-character pass (most figure contexts)
        return _NON_WORD.sub(" ", t.lower()).strip()
    t = unicodedata.normalize("NFKD", t).casefold()
    t = _NON_ASCII.sub(_drop_combining, t)  # only non-ASCII characters can be combining marks
    return _NON_WORD.sub(" ", t).strip()


def _drop_combining(match: re.Match[str]) -> str:
    ch = match.group()
    return "" if unicodedata.combining(ch) else ch


def content_hash(comparable: dict[str, Any]) -> str:
    raw = json.dumps(comparable, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _comparable(entity: Entity, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in COMPARED_FIELDS[entity]:
        value = data.get(name)
        if name == "url":
            value = canonical_url(value)
        elif name == "value":
            value = float(f"{float(value or 0):.6g}")  # value, not formatting
        elif name == "sections":
            value = {norm_text(k): norm_text(v) for k, v in (value or {}).items()}
        elif isinstance(value, str):
            value = norm_text(value)
        out[name] = value
    return out


def sighting(entity: Entity, data: dict[str, Any], page_url: str) -> Sighting:
    url = canonical_url(data.get("url")) if entity != "figure" else None
    if entity == "figure":
        template = title_key(str(data["context"]).replace(str(data["text"]), " § ", 1))
        key = f"{page_url}|{hashlib.sha1(template.encode()).hexdigest()[:12]}"
        title = str(data["text"])
    elif url and url != canonical_url(page_url):
        key, title = url, str(data.get("title") or "")
    else:
        # no detail page of its own: the title (and date) identify it within the source
        title = str(data.get("title") or "")
        date = data.get("date") or data.get("start_date") or ""
        key = f"{page_url}|{title_key(title)}|{date}"
    comparable = _comparable(entity, data)
    return Sighting(entity, key, title, url, data, comparable, content_hash(comparable))


def sightings_of(extraction_json: dict[str, Any], page_url: str) -> list[Sighting]:
    """Every record of one page's extraction, keyed; a repeated key gets a `#n` suffix."""
    out: list[Sighting] = []
    seen: dict[tuple[str, str], int] = {}
    for entity, field in (
        ("news", "news"),
        ("event", "events"),
        ("good_practice", "good_practices"),
        ("figure", "figures"),
    ):
        for data in extraction_json.get(field, []):
            s = sighting(entity, data, page_url)
            n = seen.get((entity, s.key), 0)
            seen[(entity, s.key)] = n + 1
            if n:
                s = Sighting(
                    entity, f"{s.key}#{n + 1}", s.title, s.url, s.data, s.comparable, s.content_hash
                )
            out.append(s)
    return out


def changed_fields(
    entity: Entity, old: dict[str, Any], new: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """{field: {old, new}} for the compared fields that differ; figures also show their text."""
    a, b = _comparable(entity, old), _comparable(entity, new)
    fields = {k: {"old": old.get(k), "new": new.get(k)} for k in a if a[k] != b[k]}
    if entity == "figure" and fields:
        fields["text"] = {"old": old.get("text"), "new": new.get("text")}
    return fields


@dataclass(frozen=True, slots=True)
class PageKeys:
    """What the store compares of one extracted page. A pure function of the extraction, so
    the crawl computes it in its extraction processes and the single writer only looks it up."""

    sightings: tuple[Sighting, ...]
    text_hash: str | None


def page_keys(extraction: PageExtraction, page_url: str) -> PageKeys:
    return PageKeys(
        tuple(sightings_of(extraction.to_json(), page_url)), comparable_text_hash(extraction)
    )


def comparable_text_hash(ext: PageExtraction) -> str | None:
    """Hash of the page text with each figure written as its value, so that reformatting a
    figure (`€3.5 million` -> `EUR 3,500,000`) is not a text change."""
    text = ext.text or ""
    for fig in ext.figures:
        text = text.replace(fig.text, f" {float(fig.value):.6g} {fig.unit} ")
    text = norm_text(text) or ""
    return hashlib.sha256(text.encode()).hexdigest()[:32] if text else None
