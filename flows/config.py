"""sources.toml: parsing and validation with errors that name the file, the line and the reason.

Every problem in a file is reported, not just the first, so a team fixes a file in one pass.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extractors.urls import site_of
from flows.errors import ConfigError

KINDS = ("auto", "news_list", "events", "good_practice", "article")
NAME_RE = re.compile(r"^[a-z0-9-]+$")
SELECTOR_KEYS = ("item", "title", "date", "summary", "link", "organiser", "location", "content")


@dataclass(frozen=True, slots=True)
class Source:
    """One `[[source]]` entry. Contract keys first; the rest are additive options."""

    name: str  # unique, [a-z0-9-]
    url: str  # http or https start page
    kind: str = "auto"  # auto | news_list | events | good_practice | article
    follow: bool = False  # also follow pagination and item detail links in scope
    max_pages: int = 200  # bound on pages fetched for this source in one run
    delay: float = 1.0  # seconds between requests to the host (Crawl-delay wins when larger)
    selectors: dict[str, str] = field(default_factory=dict)  # CSS selectors where auto is wrong
    ignore: tuple[str, ...] = ()  # CSS selectors of volatile fragments to drop before extraction
    ignore_text: tuple[str, ...] = ()  # regexes of volatile text to drop before comparing
    hosts: tuple[str, ...] = ()  # extra hosts in scope besides the start URL's
    schedule: str | None = None  # cron expression for `agencywatch schedule`
    feeds: tuple[str, ...] = ()  # RSS/Atom feeds whose entries are crawled as detail pages
    sitemaps: tuple[str, ...] = ()  # sitemaps whose pages are crawled as detail pages

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc.lower()

    def scope(self) -> frozenset[str]:
        """The sites links and redirects may lead to: the start URL's host on its own port
        (a URL without one: the scheme's default), and the `hosts` entries."""
        return frozenset({site_of(self.url), *self.hosts})

    def to_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "kind": self.kind,
            "follow": self.follow,
            "max_pages": self.max_pages,
            "delay": self.delay,
            "selectors": self.selectors,
            "ignore": list(self.ignore),
            "ignore_text": list(self.ignore_text),
            "hosts": list(self.hosts),
            "feeds": list(self.feeds),
            "sitemaps": list(self.sitemaps),
            "schedule": self.schedule,
        }


_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "name": (str, "a string"),
    "url": (str, "a string"),
    "kind": (str, "a string"),
    "follow": (bool, "true or false"),
    "max_pages": (int, "a whole number"),
    "delay": ((int, float), "a number of seconds"),
    "selectors": (dict, "a table of CSS selectors"),
    "ignore": (list, "a list of CSS selectors"),
    "ignore_text": (list, "a list of regular expressions"),
    "hosts": (list, "a list of host names"),
    "schedule": (str, "a cron expression"),
    "feeds": (list, "a list of RSS or Atom feed URLs"),
    "sitemaps": (list, "a list of sitemap URLs"),
}
REQUIRED = ("name", "url")


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate a sources file; `ConfigError` lists every problem as `file:line: why`."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such sources file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the sources file: {exc}") from None
    return parse_sources(raw, str(p))


def parse_sources(raw: str, filename: str = "sources.toml") -> list[Source]:
    try:
        doc = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{filename}:{line.group(1)}" if line else filename
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    lines = _SourceLines(raw)
    problems: list[str] = []
    for key in doc:
        if key != "source":
            problems.append(
                f"{filename}:{lines.top_key(key)}: unknown key {key!r} "
                "(a sources file holds only [[source]] tables)"
            )
    entries = doc.get("source", [])
    if not isinstance(entries, list) or not entries:
        problems.append(f"{filename}:1: no [[source]] entries")
        entries = []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        errors, source = _validate(entry, i, lines, filename)
        problems += errors
        if source is None:
            continue
        if source.name in seen:
            problems.append(
                f"{filename}:{lines.key(i, 'name')}: duplicate source name "
                f"{source.name!r} (first at line {seen[source.name]})"
            )
        seen.setdefault(source.name, lines.key(i, "name"))
        sources.append(source)
    if problems:
        raise ConfigError("\n".join(problems))
    return sources


def _validate(
    entry: dict[str, Any], i: int, lines: _SourceLines, filename: str
) -> tuple[list[str], Source | None]:
    errs: list[str] = []

    def err(key: str | None, msg: str) -> None:
        line = lines.key(i, key) if key else lines.header(i)
        errs.append(f"{filename}:{line}: {msg}")

    for key in entry:
        if key not in _TYPES:
            hint = _closest(key)
            err(key, f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    for key in REQUIRED:
        if key not in entry:
            err(None, f"source #{i + 1} has no {key!r}")
    for key, (typ, what) in _TYPES.items():
        if key in entry and (
            not isinstance(entry[key], typ) or (typ is not bool and isinstance(entry[key], bool))
        ):
            err(key, f"{key!r} must be {what}, not {entry[key]!r}")
    if errs:
        return errs, None
    name, url = entry["name"], entry["url"]
    if not NAME_RE.match(name):
        err("name", f"name {name!r} may hold only a-z, 0-9 and '-'")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        err("url", f"url {url!r} must be an http:// or https:// address")
    if entry.get("kind", "auto") not in KINDS:
        err("kind", f"kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    if entry.get("max_pages", 1) < 1:
        err("max_pages", "max_pages must be at least 1")
    if entry.get("delay", 0) < 0:
        err("delay", "delay must not be negative")
    for key in entry.get("selectors", {}):
        if key not in SELECTOR_KEYS:
            err("selectors", f"unknown selector {key!r} (use {', '.join(SELECTOR_KEYS)})")
    for key in ("feeds", "sitemaps"):
        for link in entry.get(key, []):
            if not isinstance(link, str) or urlsplit(link).scheme not in ("http", "https"):
                err(key, f"{key} entry {link!r} must be an http:// or https:// address")
    for pattern in entry.get("ignore_text", []):
        try:
            re.compile(pattern)
        except re.error as exc:
            err("ignore_text", f"ignore_text {pattern!r} is not a valid regex: {exc}")
    if errs:
        return errs, None
    return [], Source(
        name=name,
        url=url,
        kind=entry.get("kind", "auto"),
        follow=entry.get("follow", False),
        max_pages=entry.get("max_pages", 200),
        delay=float(entry.get("delay", 1.0)),
        selectors=dict(entry.get("selectors", {})),
        ignore=tuple(entry.get("ignore", [])),
        ignore_text=tuple(entry.get("ignore_text", [])),
        hosts=tuple(h.lower() for h in entry.get("hosts", [])),
        schedule=entry.get("schedule"),
        feeds=tuple(entry.get("feeds", [])),
        sitemaps=tuple(entry.get("sitemaps", [])),
    )


def select_sources(sources: list[Source], only: Sequence[str] | None) -> list[Source]:
    """The sources named by `--source`, or all; an unknown name is a `ConfigError`."""
    if not only:
        return sources
    names = {s.name for s in sources}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ConfigError(
            f"unknown source {', '.join(map(repr, unknown))}: "
            f"the sources file has {', '.join(sorted(names))}"
        )
    return [s for s in sources if s.name in only]


def _closest(key: str) -> str | None:
    from difflib import get_close_matches

    found = get_close_matches(key, list(_TYPES), n=1, cutoff=0.6)
    return found[0] if found else None


class _SourceLines:
    """Maps (source index, key) to a 1-based line number of the raw file."""

    _HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]")
    _TABLE = re.compile(r"^\s*\[")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")

    def __init__(self, raw: str) -> None:
        self.lines = raw.splitlines()
        self.headers = [n for n, line in enumerate(self.lines, 1) if self._HEADER.match(line)]

    def header(self, i: int) -> int:
        return self.headers[i] if i < len(self.headers) else 1

    def key(self, i: int, key: str | None) -> int:
        start = self.header(i)
        for n in range(start + 1, len(self.lines) + 1):
            line = self.lines[n - 1]
            if self._HEADER.match(line):
                break
            m = self._KEY.match(line)
            if m and m.group(1).strip('"') == key:
                return n
            if self._TABLE.match(line) and f".{key}]" in line.replace(" ", ""):
                return n
        return start

    def top_key(self, key: str) -> int:
        for n, line in enumerate(self.lines, 1):
            if self.headers and n >= self.headers[0]:
                break
            m = self._KEY.match(line)
            if (m and m.group(1) == key) or line.strip() in (f"[{key}]", f"[[{key}]]"):
                return n
        for n, line in enumerate(self.lines, 1):
            if line.strip() in (f"[{key}]", f"[[{key}]]"):
                return n
        return 1
