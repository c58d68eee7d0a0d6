"""Good practice pages (Interreg Europe and lookalikes): headed sections and a side panel.

A page is a good practice when it has at least two of the known section headings ("Resources
needed", "Evidence of success", "Potential for learning or transfer"), or one of them and a
"Main institution" label. Every headed section of the content goes into `sections`; the
panel's labels (main institution, country, start and end date) are read structurally, because
an empty "End Date" value is an empty element that a text view cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from extractors.dates import parse_date
from extractors.html import absolute_url, in_boilerplate, iter_elements, norm, text_of
from extractors.records import GoodPractice
from extractors.registry import Found, Page, extractor
from extractors.xpaths import (
    COUNTRIES,
    GP_COUNTRY_LABELS,
    GP_END_LABELS,
    GP_INSTITUTION_LABELS,
    GP_KNOWN_SECTIONS,
    GP_NOT_SECTIONS,
    GP_ONGOING,
    GP_START_LABELS,
    HEADING_TAGS,
)

_SECTION_TAGS = HEADING_TAGS[1:]  # h2..h6; the h1 is the practice's title
_PANEL_LABELS = frozenset(GP_INSTITUTION_LABELS + GP_COUNTRY_LABELS + GP_START_LABELS
                          + GP_END_LABELS)
MAX_LABEL = 40  # a label element holds a short text; longer is prose that mentions the word
_GATE = re.compile("|".join(re.escape(k) for k in (*GP_KNOWN_SECTIONS, "main institution")),
                   re.I)


@extractor("good_practice")
def good_practice(page: Page) -> Found:
    if not _GATE.search(page.html):
        return Found()  # a cheap look at the source first: most pages are not good practices
    headings = _section_headings(page)
    known = sum(1 for _, name in headings if _known(name))
    labels = _labels(page.tree)
    if known < 2 and not (known and any(k in labels for k in GP_INSTITUTION_LABELS)):
        return Found()
    return Found(good_practices=(_read(page, headings, labels),))


def _read(page: Page, headings: list[tuple[HtmlElement, str]],
          labels: dict[str, HtmlElement]) -> GoodPractice:
    from extractors.article import page_title

    sections = {name: text for el, name in headings
                if (text := _section_text(el, {h for h, _ in headings}))}
    h1 = next((text_of(h) for h in page.tree.iter("h1") if text_of(h)), None)
    institution_el = _first(labels, GP_INSTITUTION_LABELS)
    institution = _value(institution_el) if institution_el is not None else None
    return GoodPractice(
        title=h1 or page_title(page) or "",
        summary=_summary(page.tree, headings),
        resources_needed=_section(sections, GP_KNOWN_SECTIONS[0]),
        evidence_of_success=_section(sections, GP_KNOWN_SECTIONS[1]),
        potential_for_learning=_section(sections, GP_KNOWN_SECTIONS[2]),
        main_institution=institution,
        country=_country(labels, institution_el),
        start_date=_date(labels, GP_START_LABELS),
        end_date=_date(labels, GP_END_LABELS),
        url=absolute_url(page.url, page.url),
        sections=sections,
    )


def _known(name: str) -> bool:
    low = name.lower()
    return any(low.startswith(k) for k in GP_KNOWN_SECTIONS)


def _section(sections: dict[str, str], known: str) -> str | None:
    return next((text for name, text in sections.items() if name.lower().startswith(known)),
                None)


def _section_headings(page: Page) -> list[tuple[HtmlElement, str]]:
    """Headings of the content (not of the panel, navigation or footer), in order."""
    out: list[tuple[HtmlElement, str]] = []
    for el in iter_elements(page.tree, *_SECTION_TAGS, "strong", "b", "p", "div", "span"):
        # a bold or plain line is a heading only when its own text is a known section name
        if el.tag not in _SECTION_TAGS and not _known((el.text or "").strip()):
            continue
        name = text_of(el)
        if not name or len(name) > 120 or (el.tag not in _SECTION_TAGS and not _known(name)):
            continue
        low = name.lower().rstrip(":")
        if low in GP_NOT_SECTIONS or low in _PANEL_LABELS or in_boilerplate(el, page.furniture):
            continue
        out.append((el, name.rstrip(":").strip()))
    return out


def _section_text(heading: HtmlElement, all_headings: set[HtmlElement]) -> str:
    """The text after a heading up to the next heading: its siblings, or its parent's."""
    node: HtmlElement | None = heading
    for _ in range(3):
        if node is None:
            break
        parts = list(_until_heading(node, all_headings))
        if parts:
            return norm(" ".join(parts))
        node = node.getparent()
    return ""


def _until_heading(node: HtmlElement, headings: set[HtmlElement]) -> Iterator[str]:
    if node.tail and node.tail.strip():
        yield node.tail
    for sib in node.itersiblings():
        if not isinstance(sib.tag, str):
            continue
        if sib in headings or any(h in headings for h in sib.iter(*_SECTION_TAGS, "strong",
                                                                      "b", "p", "div", "span")):
            return
        text = text_of(sib)
        if text:
            yield text
        if sib.tail and sib.tail.strip():
            yield sib.tail


def _summary(tree: HtmlElement, headings: list[tuple[HtmlElement, str]]) -> str | None:
    """The text between the title (<h1>) and the first section heading."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None or not headings:
        return None
    first = headings[0][0]
    node: HtmlElement | None = h1
    for _ in range(4):
        if node is None:
            break
        parts: list[str] = []
        for sib in node.itersiblings():
            if sib is first or first in set(sib.iterdescendants()):
                return norm(" ".join(parts)) or None
            if isinstance(sib.tag, str):
                parts.append(text_of(sib))
        node = node.getparent()
    return None


def _labels(tree: HtmlElement) -> dict[str, HtmlElement]:
    """Panel label elements by label: the innermost element whose whole text is the label."""
    found: dict[str, HtmlElement] = {}
    for el in iter_elements(tree):
        text = (el.text or "").strip()
        if not text or len(text) > MAX_LABEL:
            continue
        low = norm(text_of(el)).lower().rstrip(":").strip()
        if low in _PANEL_LABELS and low not in found:
            found[low] = el
    return found


def _first(labels: dict[str, HtmlElement], names: tuple[str, ...]) -> HtmlElement | None:
    return next((labels[n] for n in names if n in labels), None)


def _value_el(label: HtmlElement) -> HtmlElement | None:
    """The element holding a label's value: its next sibling, or its parent's."""
    node: HtmlElement | None = label
    for _ in range(2):
        if node is None:
            return None
        sib = node.getnext()
        while sib is not None and not isinstance(sib.tag, str):
            sib = sib.getnext()
        if sib is not None:
            return sib
        node = node.getparent()
    return None


def _value(label: HtmlElement) -> str | None:
    tail = norm(label.tail)
    if tail:
        return tail.lstrip(": ") or None
    el = _value_el(label)
    text = text_of(el) if el is not None else ""
    if not text or text.lower().rstrip(":") in _PANEL_LABELS:
        return None  # an empty value: the next thing is already another label
    return text


def _date(labels: dict[str, HtmlElement], names: tuple[str, ...]) -> str | None:
    label = _first(labels, names)
    text = _value(label) if label is not None else None
    if not text or text.lower() in GP_ONGOING:
        return None
    span = parse_date(text)
    return span.start if span else None


def _country(labels: dict[str, HtmlElement], institution: HtmlElement | None) -> str | None:
    """The English country name: a Country label, else the line after the institution."""
    label = _first(labels, GP_COUNTRY_LABELS)
    candidates = [_value(label)] if label is not None else []
    if institution is not None:
        candidates.extend(_following_texts(_value_el(institution), 3))
    for text in candidates:
        name = _english_country(text or "")
        if name:
            return name
    return None


def _following_texts(el: HtmlElement | None, limit: int) -> Iterator[str]:
    """Texts of the elements after `el` in document order (its siblings, then its parents')."""
    node = el
    for _ in range(3):
        if node is None:
            return
        for sib in node.itersiblings():
            if isinstance(sib.tag, str) and (text := text_of(sib)):
                yield text
                limit -= 1
                if limit <= 0:
                    return
        node = node.getparent()


def _english_country(text: str) -> str | None:
    """"Lietuva, Lithuania (Lietuva)" -> "Lithuania": the first English name in a short text."""
    if not text or len(text) > 80:
        return None
    hits = [(text.find(c), c) for c in COUNTRIES if c in text]
    return min(hits)[1] if hits else None
