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
from dataclasses import dataclass, replace
from typing import Any

from extractors.frozen import pickled_by_fields
from extractors.html import norm
from extractors.kinds import BY_ENTITY, KINDS
from extractors.records import PageExtraction
from extractors.urls import normalise_url

Entity = str  # a record kind's `entity` (extractors/kinds.py): 'news', 'event', ...


@pickled_by_fields
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
    # `data` as item_versions stores it, encoded where the page is keyed (an extraction
    # process), not by the store's single writer
    data_json: str


# How a record's data (and a change's fields) is stored: what `json.dumps(x,
# ensure_ascii=False)` writes, without building an encoder per call.
dumps_data = json.JSONEncoder(ensure_ascii=False).encode


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
# For ASCII text, `_NON_WORD.sub(" ", t.lower()).strip()` in one byte-table pass: an ASCII
# character is a word character but '_' exactly when it is alphanumeric, so every other one
# becomes a space (letters lower-cased), and split/join makes each run of them one space and
# drops them at the ends, as the regex and strip() do; a third of the regex's cost.
_ASCII_KEY = bytes(
    (c | 0x20 if chr(c).isupper() else c) if chr(c).isalnum() else 0x20 for c in range(128)
) + bytes(128)


def title_key(title: str | None) -> str:
    """A key that survives case, punctuation and whitespace edits of a title."""
    t = title or ""
    if t.isascii():  # nothing to decompose: skip the per-character pass (most figure contexts)
        return b" ".join(t.encode().translate(_ASCII_KEY).split()).decode()
    t = unicodedata.normalize("NFKD", t).casefold()
    t = _NON_ASCII.sub(_drop_combining, t)  # only non-ASCII characters can be combining marks
    return _NON_WORD.sub(" ", t).strip()


def _drop_combining(match: re.Match[str]) -> str:
    ch = match.group()
    return "" if unicodedata.combining(ch) else ch


def content_hash(comparable: dict[str, Any]) -> str:
    raw = json.dumps(comparable, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


_json_str = json.encoder.encode_basestring  # what dumps(ensure_ascii=False) writes for a str


def _figure_hash(value: float, unit: Any) -> str:
    """`content_hash({"value": value, "unit": unit})` without the generic encoder: figures are
    nine records in ten, and `json.dumps` was a fifth of keying a page. Anything but a finite
    float and a str (or None) unit goes through `content_hash` itself."""
    if unit is None:
        unit_json = "null"
    elif type(unit) is str:
        unit_json = _json_str(unit)
    else:
        return content_hash({"value": value, "unit": unit})
    if value - value != 0.0:  # inf or nan: json spells them its own way
        return content_hash({"value": value, "unit": unit})
    raw = f'{{"unit":{unit_json},"value":{float.__repr__(value)}}}'
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _compared_value(value: Any) -> float:
    """A figure's value as compared: the value, not its formatting."""
    return float(f"{float(value or 0):.6g}")


def _comparable(entity: Entity, data: dict[str, Any]) -> dict[str, Any]:
    """The record's compared fields (its spec's), each as its `compare` rule reads it."""
    return {f.name: _compared(f.compare, data.get(f.name)) for f in _COMPARED[entity]}


def _compared(rule: str | None, value: Any) -> Any:
    if rule == "url":
        return canonical_url(value)
    if rule == "number":
        return _compared_value(value)
    if rule == "sections":
        return {norm_text(k): norm_text(v) for k, v in (value or {}).items()}
    if rule == "amount":
        if not isinstance(value, dict):
            return None
        unit = value.get("unit")
        return {"value": _compared_value(value.get("value")),
                "unit": norm_text(unit) if isinstance(unit, str) else unit}
    return norm_text(value) if isinstance(value, str) else value


# each kind's compared fields, in its spec's order
_COMPARED = {k.entity: tuple(f for f in k.fields if f.compare is not None) for k in KINDS}


def _figure_sighting(data: dict[str, Any], page_url: str) -> Sighting:
    """`sighting` for a figure, the same values by a shorter path (most records are figures)."""
    title = str(data["text"])
    # The key's template blanks the figure as " § "; any run of non-word characters comes out
    # of title_key as one space, and '§' is one (no decomposition, no case, not combining), so
    # a plain " " gives the same template, and lets an all-ASCII sentence take title_key's
    # ASCII path (the '§' sent every sentence down the Unicode one).
    template = title_key(str(data["context"]).replace(title, " ", 1))
    key = f"{page_url}|{hashlib.sha1(template.encode()).hexdigest()[:12]}"
    value = _compared_value(data.get("value"))
    unit = data.get("unit")
    if isinstance(unit, str):
        unit = norm_text(unit)
    comparable = {"value": value, "unit": unit}  # the figure spec's compared fields, in order
    return Sighting(
        "figure", key, title, None, data, comparable, _figure_hash(value, unit), dumps_data(data)
    )


def sighting(entity: Entity, data: dict[str, Any], page_url: str) -> Sighting:
    spec = BY_ENTITY[entity]
    if spec.by_sentence:
        return _figure_sighting(data, page_url)
    url = canonical_url(data.get("url"))
    title = str(data.get(spec.label) or "")
    if url and url != canonical_url(page_url):
        key = url
    else:
        # no detail page of its own: the title (and date) identify it within the source
        date = data.get(spec.key_date) if spec.key_date else None
        key = f"{page_url}|{title_key(title)}|{date or ''}"
    comparable = _comparable(entity, data)
    return Sighting(
        entity, key, title, url, data, comparable, content_hash(comparable), dumps_data(data)
    )


def sightings_of(extraction_json: dict[str, Any], page_url: str) -> list[Sighting]:
    """Every record of one page's extraction, keyed; a repeated key gets a `#n` suffix."""
    out: list[Sighting] = []
    seen: dict[tuple[str, str], int] = {}
    for spec in KINDS:
        entity = spec.entity
        for data in extraction_json.get(spec.key, []):
            s = sighting(entity, data, page_url)
            n = seen.get((entity, s.key), 0)
            seen[(entity, s.key)] = n + 1
            if n:
                s = replace(s, key=f"{s.key}#{n + 1}")
            out.append(s)
    return out


def changed_fields(
    entity: Entity, old: dict[str, Any], new: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """{field: {old, new}} for the compared fields that differ; figures also show their text."""
    a, b = _comparable(entity, old), _comparable(entity, new)
    fields = {k: {"old": old.get(k), "new": new.get(k)} for k in a if a[k] != b[k]}
    if fields:
        for name in BY_ENTITY[entity].with_changes:
            fields[name] = {"old": old.get(name), "new": new.get(name)}
    return fields


@pickled_by_fields
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
