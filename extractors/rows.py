"""Items that stand over several sibling elements: a title row and its subtext row, a date
row and its content row, a ranking line and its table.

`lists.py` groups an element's children by signature; when no group reads as a list one
element per item, these say how consecutive siblings make one item together, opening at its
title or date, so that a record is never made of the halves of two items.
"""

from __future__ import annotations

import re
from itertools import pairwise

from lxml.html import HtmlElement

from extractors.html import text_of
from extractors.items import Block, mostly_date

_DIGITS = re.compile(r"\d+")
MIN_ITEMS = 2  # items a multi-row list needs, as a one-element-per-item one does


def signature(el: HtmlElement) -> str:
    """Tag and first class; for a class-less element, its first child's when that has one.

    Old table layouts put one item over several class-less rows (`<tr><td class=newstitle>`,
    `<tr><td class=newstext>`); the cell's class is what tells title rows from teaser rows.
    """
    first = (el.get("class") or "").split()[:1]
    if first:
        return f"{el.tag}.{_DIGITS.sub('', first[0])}"
    child = next((c for c in el if isinstance(c.tag, str)), None)
    inner = (child.get("class") or "").split()[:1] if child is not None else []
    return f"{el.tag}>{child.tag}.{_DIGITS.sub('', inner[0])}" if inner and child is not None \
        else f"{el.tag}."


def periodic(children: list[HtmlElement], positions: list[int]) -> list[Block] | None:
    """Items of two or three sibling rows (a title row, its subtext row and a spacer; a date
    row and its content row): the members recur at a fixed step with the same kinds of
    siblings between them. Each item runs from a member to the next."""
    if len(positions) < MIN_ITEMS:
        return None
    step = positions[1] - positions[0]
    if step not in (2, 3) or any(b - a != step for a, b in pairwise(positions)):
        return None
    between = {tuple(signature(c) for c in children[p + 1: p + step]) for p in positions}
    if len(between) != 1 and not _cut_short(children, positions, step, between):
        return None
    return [Block(tuple(children[p: p + step])) for p in positions]


def _cut_short(children: list[HtmlElement], positions: list[int], step: int,
               between: set[tuple[str, ...]]) -> bool:
    """Only the last item lacks its trailing rows (the table ends before its spacer)."""
    full = {tuple(signature(c) for c in children[p + 1: p + step]) for p in positions[:-1]}
    return len(full) == 1 and next(iter(full))[:len(children) - positions[-1] - 1] in between


def opens_item(block: Block) -> bool:
    """A multi-row item opens with its title row (a link) or its date row, never with the
    data rows of the item before: (ranking row, its table) is an item, (table, next ranking
    row) two halves of two."""
    first = block.parts[0]
    if first.get("href") is not None or first.find(".//a[@href]") is not None:
        return True
    text = text_of(first)
    return bool(text) and mostly_date(text)


def alternating(members: list[HtmlElement]) -> list[Block] | None:
    """Rows of one kind that alternate between a row with no link (the date) and one with
    the item's link (or a linked row and its link-less subtext): pairs of them are items."""
    if len(members) < 2 * MIN_ITEMS:
        return None
    before = None
    for m in members:  # stops at the first two neighbours alike: most groups are no pairs
        linked = m.get("href") is not None or m.find(".//a[@href]") is not None
        if linked is before:
            return None
        before = linked
    return [Block(tuple(members[i: i + 2])) for i in range(0, len(members) - 1, 2)]
