"""Extractors by page kind: `@extractor("events")` registers a function for one kind.

A new kind of page arrives as one new module with one decorated function, named by its spec
(`kinds.KindSpec.module`); `core.extract` runs the functions of the kinds asked for (every
kind `auto` tries, for "auto"). Every function receives the same `Page`: the page parsed once,
with a memo so that work two kinds share (finding repeated blocks, reading schema.org data) is
done once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lxml.html import HtmlElement

from extractors.records import records_of

T = TypeVar("T")


class Page:
    """One parsed page, shared by every extractor run on it. Read the tree, never modify it."""

    __slots__ = ("_memo", "html", "kind", "selectors", "tree", "url")

    def __init__(self, tree: HtmlElement, url: str, html: str, kind: str,
                 selectors: Mapping[str, str] | None = None) -> None:
        self.tree = tree
        self.url = url
        self.html = html  # the decoded source: cheap marker checks before costly parsers
        self.kind = kind  # the kind asked for ("auto" included)
        self.selectors = selectors
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[Page], T]) -> T:
        """`compute(self)` once per page and key; later calls return the first result."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        result: T = self._memo[key]
        return result

    def furniture(self, el: HtmlElement) -> bool:
        """Whether `el` is page furniture (navigation, sidebar, footer...); see html.py.

        Each element's verdict is kept for the page: a list page's scan, its groups and its
        list text ask about many of the same elements, and an ancestor walk
        (`html.in_boilerplate`) about the same ancestors from every item.
        """
        # called for most elements of a list page: the verdicts are fetched without `memo`'s
        # lambda and import on every call
        verdicts: dict[HtmlElement, bool] | None = self._memo.get("furniture")
        if verdicts is None:
            from extractors.html import furniture_test

            self._memo["furniture_test"] = furniture_test(self.tree)
            verdicts = self._memo["furniture"] = {}  # holding an element keeps its proxy
        verdict = verdicts.get(el)
        if verdict is None:
            verdict = verdicts[el] = self._memo["furniture_test"](el)
        return verdict


class Found:
    """What one extractor found on a page: records by kind key, `Found(events=(...))`."""

    __slots__ = ("records",)

    def __init__(self, **records: tuple[Any, ...]) -> None:
        self.records = records_of(**records)

    def __getattr__(self, key: str) -> tuple[Any, ...]:
        """One kind's records (`found.events`); () when it found none."""
        if key == "records":  # not set yet: only while unpickling
            raise AttributeError(key)
        records_of(**{key: ()})  # an unknown kind key is a bug, not an empty list
        return self.records.get(key, ())

    def of(self, key: str) -> tuple[Any, ...]:
        return self.records.get(key, ())

    def __bool__(self) -> bool:
        return bool(self.records)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Found) and self.records == other.records

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Found({', '.join(f'{k}={v!r}' for k, v in self.records.items())})"


ExtractorFn = Callable[[Page], Found]
EXTRACTORS: dict[str, ExtractorFn] = {}


def extractor(kind: str) -> Callable[[ExtractorFn], ExtractorFn]:
    """Register `fn` as the extractor of page kind `kind`; a second one for a kind is refused."""

    def register(fn: ExtractorFn) -> ExtractorFn:
        if kind in EXTRACTORS and EXTRACTORS[kind] is not fn:
            raise ValueError(f"an extractor for page kind {kind!r} is already registered: "
                             f"{EXTRACTORS[kind].__module__}.{EXTRACTORS[kind].__name__}")
        EXTRACTORS[kind] = fn
        return fn

    return register
