"""sources.toml: parsing and validation with errors that name the file, the line and the reason.

Every problem in a file is reported, not just the first, so a team fixes a file in one pass.
Every key is checked for its type and its range, so a file that validates can run: URLs parse,
name a host and a port that exist and hold no credentials; hosts are host names; selectors are
CSS that lxml compiles; patterns are regular expressions; delays are finite; cron expressions
are cron.
"""

from __future__ import annotations

import ipaddress
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extractors.core import ReadOptions
from extractors.kinds import PAGE_KINDS
from extractors.urls import site_of
from flows.errors import ConfigError

KINDS = PAGE_KINDS  # auto, each record kind's page kind, article (`extractors.kinds`)
NAME_RE = re.compile(r"[a-z0-9-]+")  # fullmatch: `$` would let a final newline through
MAX_DELAY_S = 3600.0  # an hour between two requests: beyond that a source never finishes
MAX_PAGES = 10_000_000
# a host name as a URL may carry it: labels of letters (any script: IDNA), digits, `-`, `_`
_HOST_NAME = re.compile(r"[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.?")
SELECTOR_KEYS = ("item", "title", "date", "summary", "link", "organiser", "location", "content")


@dataclass(frozen=True, slots=True)
class Source:
    """One `[[source]]` entry. Contract keys first; the rest are additive options."""

    name: str  # unique, [a-z0-9-]
    url: str  # http or https start page
    kind: str = "auto"  # one of KINDS
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

    def read_options(self, role: str = "listing") -> ReadOptions:
        """How this source's pages are read: a listing (the start page and its pager's pages)
        as the source's `kind`, with its pager followed when the source follows links; any
        other page (a detail page) as an article. Selectors and volatile parts apply to all."""
        listing = role == "listing"
        return ReadOptions(
            kind=self.kind if listing else "article",
            selectors=self.selectors or None,
            ignore=self.ignore,
            ignore_text=self.ignore_text,
            pager_hosts=self.scope() if listing and self.follow else None,
        )

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
    if not NAME_RE.fullmatch(name):
        err("name", f"name {name!r} may hold only a-z, 0-9 and '-'")
    problem = url_problem(url)
    if problem:
        err("url", f"url {url!r} {problem}")
    if entry.get("kind", "auto") not in KINDS:
        err("kind", f"kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    for key, message in _range_problems(entry):
        err(key, message)
    for key, message in _list_problems(entry):
        err(key, message)
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


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a source's, feed's or sitemap's address (None when it can)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            return "has a port that is not a number from 1 to 65535"
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an http:// or https:// address"
    if parts.username is not None or parts.password is not None:
        return "holds credentials (user:password@); a crawler never sends them"
    if port == 0:
        return "has a port that is not a number from 1 to 65535"
    if not parts.hostname:
        return "has no host"
    if not _is_host(parts.hostname):
        return f"has a host that is not a host name ({parts.hostname!r})"
    return None


def _is_host(host: str) -> bool:
    if _HOST_NAME.fullmatch(host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_problem(entry: str) -> str | None:
    """Why `entry` cannot be a `hosts` entry: `host`, `host:port`, `.host` or `*.host` (with
    subdomains), `[::1]:80`, or a whole http(s) URL."""
    if "://" in entry:
        return url_problem(entry)
    host, port = entry.strip(), None
    if host.startswith("["):  # [IPv6]:port
        inside, _, rest = host[1:].partition("]")
        host, port = inside, (rest[1:] if rest.startswith(":") else None if not rest else "x")
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
    if port is not None and (not port.isdigit() or not 1 <= int(port) <= 65535):
        return "has a port that is not a number from 1 to 65535"
    if not _is_host(host.removeprefix("*.").removeprefix(".")):
        return "is not a host name"
    return None


def _range_problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for the numbers and strings out of range."""
    out: list[tuple[str, str]] = []
    pages = entry.get("max_pages", 1)
    if pages < 1:
        out.append(("max_pages", "max_pages must be at least 1"))
    elif pages > MAX_PAGES:
        out.append(("max_pages", f"max_pages must be at most {MAX_PAGES}"))
    delay = entry.get("delay", 0)
    if not math.isfinite(delay):
        out.append(("delay", "delay must be a finite number of seconds"))
    elif delay < 0:
        out.append(("delay", "delay must not be negative"))
    elif delay > MAX_DELAY_S:
        out.append(("delay", f"delay must be at most {MAX_DELAY_S:g} seconds"))
    cron = entry.get("schedule")
    problem = cron_problem(cron) if cron is not None else None
    if problem:
        out.append(("schedule", f"schedule {cron!r} {problem}"))
    return out


def _list_problems(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for each bad entry of the list and table keys."""
    out: list[tuple[str, str]] = []
    for key, value in entry.get("selectors", {}).items():
        if key not in SELECTOR_KEYS:
            out.append(("selectors", f"unknown selector {key!r} (use {', '.join(SELECTOR_KEYS)})"))
        elif not isinstance(value, str):
            out.append(("selectors", f"selectors.{key} must be a string, not {value!r}"))
        elif (problem := css_problem(value)) is not None:
            out.append(("selectors", f"selectors.{key} {value!r} is not a CSS selector: {problem}"))
    checks = {
        "hosts": ("a host name", host_problem),
        "feeds": ("a feed URL", url_problem),
        "sitemaps": ("a sitemap URL", url_problem),
        "ignore": (
            "a CSS selector",
            lambda v: css_problem(v) and f"is not a CSS selector: {css_problem(v)}",
        ),
        "ignore_text": ("a regular expression", regex_problem),
    }
    for key, (what, check) in checks.items():
        for item in entry.get(key, []):
            if not isinstance(item, str):
                out.append((key, f"{key} entry {item!r} must be {what} (a string)"))
            elif (problem := check(item)) is not None:
                out.append((key, f"{key} entry {item!r} {problem}"))
    return out


def css_problem(selector: str) -> str | None:
    """Why lxml cannot use `selector` as CSS (None when it can)."""
    from cssselect import SelectorError
    from lxml.cssselect import CSSSelector

    try:
        CSSSelector(selector, translator="html")
    except SelectorError as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    return None


def cron_problem(cron: str) -> str | None:
    """None for a cron expression Prefect accepts, else why not (five fields, no R/H)."""
    fields = cron.split()
    if len(fields) != 5:
        return f"is not a cron expression: it has {len(fields)} fields, not 5 (m h dom mon dow)"
    if any(f.casefold() in ("r", "h") for f in fields):
        return "uses random/hashed fields (R, H), which Prefect does not support"
    try:
        from cronsim import CronSim, CronSimError
    except ImportError:  # pragma: no cover - cronsim comes with prefect
        return None
    from datetime import UTC, datetime

    try:
        next(CronSim(cron, datetime.now(UTC)))
    except (CronSimError, StopIteration) as exc:
        return f"is not a valid cron expression: {exc}"
    return None


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
