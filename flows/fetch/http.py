"""The polite, conditional, bounded fetcher (design.md, "Fetching API").

`Fetcher.fetch` never raises for a bad URL, the network or an HTTP status: every outcome is a
`FetchResult` whose `kind` says what the caller may do with it. Politeness state that must be
shared by every thread and source that talks to one host (delays, Retry-After, robots.txt,
concurrency) lives in `HostGate`; give one gate to all fetchers of a run.

Policies chosen here, for the record:
- robots.txt follows RFC 9309: 2xx is parsed; 4xx (except 429) means "no robots.txt", crawl all;
  429, 5xx, timeouts and connection failures (after the normal retries) mean "assume complete
  disallow" for the rest of the run. A page skipped that way is a failure, never a removal,
  so the store keeps what it had. Its redirects keep to the scope of the page that needs it,
  like the page's own (a site's robots.txt must not send the crawler elsewhere).
- No request reaches a loopback, private or link-local address unless the source's own URL
  names it (`flows.fetch.addresses`: checked on the resolved address, before connecting).
- Retries only for timeouts, broken connections and 429/500/502/503/504, with exponential
  backoff and equal jitter; Retry-After (429/503) is a floor on the wait. A Retry-After above
  `retry_after_max` is not waited for: the URL fails and the host is skipped until then.
- After `host_failure_limit` consecutive transient failures a host is skipped for the run, so a
  dead server costs a handful of timeouts, not max_pages x retries of them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from urllib3 import PoolManager
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from extractors.html import decode_bytes
from extractors.urls import WEB_SCHEMES, host_of, in_scope, normalise_url, site_of
from flows.errors import FetchError, TerminalFetchError, TransientFetchError, one_line
from flows.fetch.addresses import (
    NOTHING_INTERNAL,
    AddressRefused,
    Allowance,
    GuardedHTTPConnection,
    GuardedHTTPSConnection,
    allowing,
    named_by,
)
from flows.fetch.politeness import HostGate, RobotsRules, parse_retry_after, request_sent
from flows.fetch.transport import (
    FEED_TYPES,
    HTML_TYPES,
    SNIFF_TYPES,
    read_body,
    request_error,
    sniff_type,
)

__all__ = [
    "FEED_TYPES",
    "HTML_TYPES",
    "FetchPolicy",
    "FetchResult",
    "FetchStats",
    "Fetcher",
    "HostGate",
    "RobotsRules",
    "parse_retry_after",
    "sniff_type",
]

log = logging.getLogger(__name__)

Kind = Literal["html", "not_html", "error", "not_modified"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How one source is fetched. Sizes in bytes, times in seconds."""

    user_agent: str = "agencywatch/0.1"
    contact_url: str = ""  # shown in the User-Agent so site owners can reach the operator
    delay: float = 0.0  # the source's delay (sources.toml); robots.txt Crawl-delay wins if larger
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # per socket read
    total_timeout: float = 120.0  # whole body; stops a server trickling one byte at a time
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    per_host_concurrency: int = 2  # used when the Fetcher makes its own HostGate
    host_failure_limit: int = 5  # 0: never give up on a host
    allowed_hosts: frozenset[str] = frozenset()  # redirect scope; empty: the fetched URL's site
    allow_offsite_redirects: bool = False
    obey_robots: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_hosts", frozenset(self.allowed_hosts))
        numbers = (self.delay, self.connect_timeout, self.read_timeout, self.total_timeout)
        if min(numbers) < 0 or self.max_bytes <= 0 or self.per_host_concurrency < 1:
            raise ValueError(f"FetchPolicy: negative or zero limit in {self!r}")

    @property
    def user_agent_header(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})" if self.contact_url else self.user_agent

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against (`agencywatch`)."""
        return self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else "*"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One fetch. `kind`: 'html' (body accepted for parsing: HTML, or XML when the caller asked
    for feed types), 'not_html' (answered, wrong type, no body), 'not_modified' (304),
    'error' (`error` says why, one line naming the URL)."""

    url: str
    final_url: str
    kind: Kind
    status: int | None = None
    content_type: str | None = None
    encoding: str | None = None
    body: bytes | None = None
    text: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    transient: bool = False  # the error may go away by itself (timeouts, 5xx, 429)
    content_hash: str | None = None  # sha256 hex of body
    bytes_downloaded: int = 0  # on the wire (compressed), every request of this fetch
    elapsed_s: float = 0.0
    started_at: str = ""  # ISO 8601 UTC
    redirects: list[str] = field(default_factory=list)  # each hop's URL, in order
    attempts: int = 0
    retry_after_s: float | None = None  # the last Retry-After the server sent
    request_times: list[float] = field(default_factory=list)  # monotonic, every request sent

    @property
    def ok(self) -> bool:
        return self.kind == "html"

    def raise_for_error(self) -> None:
        """Raise the matching FetchError for an 'error' or 'not_html' result."""
        if self.error is None:
            return
        reason = self.error.split(": ", 1)[-1]
        cls = TransientFetchError if self.transient else TerminalFetchError
        raise cls(self.url, reason, status=self.status)


@dataclass(eq=False)
class FetchStats:
    """Counters for a run report. Thread-safe; `merge` adds another batch's counters."""

    requests: int = 0  # HTTP requests sent: retries, redirect hops and robots.txt included
    fetched: int = 0  # pages answered 2xx with a body of the accepted type
    not_modified: int = 0  # 304s
    not_html: int = 0
    failed: int = 0  # fetches that ended in an error (robots-disallowed included)
    disallowed: int = 0
    retries: int = 0
    bytes_downloaded: int = 0
    bytes_saved: int = 0  # stored body sizes of the 304s (when the caller knew them)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}

    @classmethod
    def from_dict(cls, counts: dict[str, int]) -> FetchStats:
        stats = cls()
        stats.merge(counts)
        return stats

    def merge(self, other: FetchStats | dict[str, int]) -> FetchStats:
        counts = other.as_dict() if isinstance(other, FetchStats) else other
        with self._lock:
            for name, value in counts.items():
                if not name.startswith("_") and hasattr(self, name):
                    setattr(self, name, getattr(self, name) + int(value))
        return self

    def record(self, result: FetchResult, known_size: int | None = None) -> None:
        name = {"html": "fetched", "not_html": "not_html", "not_modified": "not_modified"}
        self.add(name.get(result.kind, "failed"))
        if result.kind == "not_modified" and known_size:
            self.add("bytes_saved", known_size)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FetchStats) and self.as_dict() == other.as_dict()

    def __getstate__(self) -> dict[str, int]:  # picklable for Prefect results
        return self.as_dict()

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(**state)  # type: ignore[misc]


@dataclass
class _Trace:
    """What one fetch has seen so far, kept across attempts for the result."""

    request_times: list[float] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    attempts: int = 0
    retry_after: float | None = None
    bytes: int = 0
    disallowed: bool = False


@dataclass(frozen=True, slots=True)
class _Mode:
    accept: frozenset[str] | None  # None: any type
    max_bytes: int
    delay: float = 0.0  # the source's delay between requests to a host
    scope: frozenset[str] = frozenset()  # sites a redirect may go to; empty: the URL's site
    reach: Allowance = NOTHING_INTERNAL  # the non-public addresses the source's URL names
    truncate: bool = False  # robots.txt: keep the first max_bytes instead of failing
    robots: bool = True  # check robots.txt before each request
    conditional: bool = False  # validators were sent: a 304 is expected
    decode: bool = True  # decode the body to `text` here (the crawl decodes where it extracts)


def _trace_fields(trace: _Trace) -> dict[str, Any]:
    return {
        "bytes_downloaded": trace.bytes,
        "redirects": list(trace.redirects),
        "attempts": trace.attempts,
        "retry_after_s": trace.retry_after,
        "request_times": list(trace.request_times),
    }


def _header(resp: requests.Response, name: str) -> str | None:
    value = resp.headers.get(name)
    return one_line(value) if value else None


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _read_environment_once(session: requests.Session) -> None:
    """Stop requests from re-reading the environment on every request.

    With `trust_env` on, every request scans all environment variables twice looking for
    proxies (measured: 0.7 ms of a 1.9 ms loopback fetch). When no proxy is configured there
    is nothing to find, so the session reads the CA bundle variables once and stops looking;
    with a proxy configured, requests keeps its per-request handling of `no_proxy`.
    """
    names = {name.lower() for name in os.environ}
    if any(var in names for var in PROXY_VARIABLES):
        return
    bundle = next((os.environ[v] for v in CA_VARIABLES if os.environ.get(v)), None)
    session.trust_env = False  # also skips ~/.netrc: a crawler sends no stored credentials
    if bundle:
        session.verify = bundle


def _get(
    session: requests.Session, url: str, headers: dict[str, str], timeout: tuple[float, float]
) -> requests.Response:
    """session.get(url, stream=True, allow_redirects=False), most of the time without
    requests' per-request preparation (see _prepared_get)."""
    prepared = _prepared_get(session, url, headers)
    if prepared is None:
        return session.get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        )
    return session.send(prepared, timeout=timeout, stream=True, allow_redirects=False)


# URL parts requests rewrites on its way out, which normalise_url keeps: userinfo (sent as an
# Authorization header), dot segments (removed), percent-escapes (re-cased or decoded)
_REWRITTEN_BY_REQUESTS = ("@", "/.", "%")


def _prepared_get(
    session: requests.Session, url: str, headers: dict[str, str]
) -> requests.PreparedRequest | None:
    """The GET `session.prepare_request` would build, built directly; None when it may differ.

    Preparing a request (merging the session's cookies, headers, auth and hooks, then parsing,
    IDNA-checking and re-quoting the URL) was a third of a loopback fetch's CPU, spent on the
    crawl's one busy core (measured: a fetch 1.94 -> 1.23 ms of CPU without it). A canonical
    ASCII URL (normalise_url's output) with none of the parts requests rewrites, sent by a
    session with no cookies, auth, params or hooks that does not read the environment,
    prepares to itself plus the session's headers. Anything else (a cookie the site set, a
    proxy from the environment) takes requests' full path. session.send still sends it and
    keeps the cookies a response sets.
    """
    if (
        session.cookies
        or session.trust_env
        or session.auth is not None
        or session.params
        or any(session.hooks.values())
        or not url.isascii()
        or any(mark in url for mark in _REWRITTEN_BY_REQUESTS)
    ):
        return None
    prepared = requests.PreparedRequest()
    prepared.method = "GET"
    prepared.url = url
    prepared.prepare_headers({**session.headers, **headers})
    # no cookie to send: the jar prepare_cookies would keep, without asking it for a header
    prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]  # redirects copy it
    return prepared


_DRAIN_LIMIT = 64 * 1024  # the most of an unread body read to keep its connection
# Hosts whose kept-alive connections the fetcher keeps (urllib3 closes the least recently used
# pool beyond): requests' default of 10 made a crawl of hundreds of hosts open a connection
# per request. About one open file per host (the crawl scheduler raises the process's limit).
HOST_POOLS = 1024


def _keep_alive(resp: requests.Response) -> None:
    """Hand the connection back to the pool when the body left unread is known to be small
    (a 304, a redirect, an error page). requests closes the connection of a response whose
    body was not consumed, so every 304 of a re-crawl opened a new one (measured: 58 new
    connections for 59 conditional requests). A body of unknown or large size still closes
    it: draining it could cost more than a new connection."""
    raw = resp.raw
    left = getattr(raw, "length_remaining", None)
    if left is None or left > _DRAIN_LIMIT or getattr(raw, "connection", None) is None:
        return
    raw.drain_conn()
    raw.release_conn()


class _SentClockHTTPConnection(GuardedHTTPConnection):
    """Reports each request to the host gate the moment it has been written to the socket:
    the host's delay runs from then, as the server sees it (see flows/fetch/politeness.py)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        request_sent()


class _SentClockHTTPSConnection(GuardedHTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        request_sent()


class _SentClockHTTPPool(HTTPConnectionPool):
    ConnectionCls = _SentClockHTTPConnection


class _SentClockHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _SentClockHTTPSConnection


def _clock_and_guard(manager: PoolManager) -> PoolManager:
    """Every connection `manager` opens checks its addresses (flows.fetch.addresses, before a byte
    is sent) and reports its requests' send times to the host gate."""
    manager.pool_classes_by_scheme = {"http": _SentClockHTTPPool, "https": _SentClockHTTPSPool}
    return manager


class _PoolKeyCachingAdapter(HTTPAdapter):
    """An HTTPAdapter that works out each host's connection-pool settings once.

    With a CA bundle path as `verify` (REQUESTS_CA_BUNDLE is set on most Linux images),
    requests calls `os.path.isdir(bundle)` on every request, http:// ones included, to pick
    urllib3's `ca_certs` or `ca_cert_dir`. Measured on this machine, where system calls are
    slow: 18% of a loopback fetch. The answer depends only on the scheme, host, port and the
    TLS settings, so it is kept per adapter (one adapter per session).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool_keys: dict[tuple[Any, ...], Any] = {}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _clock_and_guard(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _clock_and_guard(super().proxy_manager_for(proxy, **proxy_kwargs))

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> Any:  # requests' (host_params, pool_kwargs) typed dicts
        parts = urlsplit(request.url or "")
        key = (parts.scheme, parts.netloc, verify, cert if not isinstance(cert, list) else None)
        cached = self._pool_keys.get(key)
        if cached is None:
            cached = super().build_connection_pool_key_attributes(request, verify, cert)
            if len(self._pool_keys) < 1024:  # a crawl talks to a few hosts; stay bounded
                self._pool_keys[key] = cached
        host_params, pool_kwargs = cached
        return host_params.copy(), pool_kwargs.copy()  # callers may change them


class Fetcher:
    """Fetches URLs for one source (its FetchPolicy) through a run-wide HostGate.

    Thread-safe: each request borrows a requests.Session of its own. Counters go to `stats`.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        gate: HostGate | None = None,
        stats: FetchStats | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.gate = gate or HostGate(self.policy.per_host_concurrency)
        self.stats = stats if stats is not None else FetchStats()
        self._timeouts = (self.policy.connect_timeout, self.policy.read_timeout)
        self._sessions: list[requests.Session] = []  # every session made, closed by close()
        self._idle: list[requests.Session] = []  # sessions not in use by a request now
        self._adapter: _PoolKeyCachingAdapter | None = None  # every session's connections
        self._lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions, self._idle = self._sessions, [], []
            self._adapter = None
        for session in sessions:
            session.close()

    @contextmanager
    def _session(self) -> Iterator[requests.Session]:
        """A session of its own for one request, returned for reuse afterwards.

        Borrowed per request, not per thread: a crawl's batches ran on short-lived threads, and
        per-thread sessions piled up, two per batch with their open sockets (measured: file
        descriptors growing by 2 every batch). Now there are as many sessions as requests in
        flight at once. Their connections are not theirs: every session of the fetcher sends
        through one adapter, whose pools keep a connection per host whichever session asks
        (with a pool per session, a crawl of 200 hosts at a request a second each opened a new
        connection for most requests: the session at hand had seldom talked to that host).
        """
        with self._lock:
            session = self._idle.pop() if self._idle else None
        if session is None:
            session = self._new_session()
        try:
            yield session
        finally:
            with self._lock:
                if session in self._sessions:  # not closed by close() meanwhile
                    self._idle.append(session)

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {
                "User-Agent": self.policy.user_agent_header,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            }
        )
        with self._lock:
            if self._adapter is None:  # urllib3's pools are thread-safe: one for all sessions
                self._adapter = _PoolKeyCachingAdapter(
                    pool_connections=HOST_POOLS,
                    pool_maxsize=max(2, self.policy.per_host_concurrency),
                )
            adapter = self._adapter
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _read_environment_once(session)
        with self._lock:
            self._sessions.append(session)
        return session

    # -- the public call ------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        known_size: int | None = None,
        accept: Collection[str] | None = HTML_TYPES,
        delay: float | None = None,
        scope: Collection[str] | None = None,
        home: str | None = None,
        decode: bool = True,
    ) -> FetchResult:
        """Fetch `url` politely. `etag`/`last_modified`: what the store remembers (sent as
        If-None-Match / If-Modified-Since); `known_size`: the stored body's size, counted as
        bytes saved on a 304; `accept`: content types returned for parsing (None: any).
        `delay` and `scope` override the policy's for this call, so one fetcher (one HostGate)
        can serve every source of a run. `home` is the source's own URL: the non-public
        addresses it names (none for a public host) are the only ones this fetch may reach;
        by default, those `url` names. `decode=False` leaves `text` and `encoding` unset:
        the crawl decodes in its extraction processes, off the fetching process's one core."""
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        t0 = time.monotonic()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        mode = _Mode(
            accept=None if accept is None else frozenset(accept),
            max_bytes=self.policy.max_bytes,
            delay=self.policy.delay if delay is None else delay,
            scope=frozenset(self.policy.allowed_hosts if scope is None else scope),
            reach=named_by(url if home is None else home),
            robots=self.policy.obey_robots,
            conditional=bool(headers),
            decode=decode,
        )
        trace = _Trace()
        result = self._fetch(url, headers, mode, trace)
        if result.kind == "not_modified":  # the 304 may omit validators: keep the stored ones
            result = replace(
                result,
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
            )
        elapsed = time.monotonic() - t0
        result = replace(result, elapsed_s=elapsed, started_at=started_at, **_trace_fields(trace))
        self.stats.record(result, known_size)
        if trace.disallowed:
            self.stats.add("disallowed")
        self.gate.note_outcome(host_of(url), transient_failure=result.transient)
        return result

    def load_robots(
        self, url: str, *, scope: Collection[str] | None = None, home: str | None = None
    ) -> RobotsRules:
        """The robots.txt rules of `url`'s origin, fetched now when this run has not read them
        yet (a request of its own: the crawl scheduler sends it before a host's first page, so
        no thread sleeps through the host's delay between the two). `scope` and `home` as for
        `fetch`: the page that needs the rules bounds where their request may go. Never
        raises."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        page = _Mode(
            accept=None,
            max_bytes=ROBOTS_MAX_BYTES,
            scope=frozenset(self.policy.allowed_hosts if scope is None else scope),
            reach=named_by(url if home is None else home),
        )
        try:
            return self.gate.robots(origin, lambda: self._load_robots(origin, page))
        except Exception:  # a bug or a library surprise: the page's own fetch tries again
            log.exception("unexpected error reading the robots.txt of %s", origin)
            return RobotsRules()

    def _fetch(self, url: str, headers: dict[str, str], mode: _Mode, trace: _Trace) -> FetchResult:
        try:
            start = self._check_url(url)
            return self._with_retries(url, start, headers, mode, trace)
        except FetchError as exc:
            return self._error(url, exc, trace)
        except Exception as exc:  # a bug or a library surprise must not end the whole run
            log.exception("unexpected error fetching %s", url)
            return self._error(url, TerminalFetchError(url, f"unexpected {exc!r}"), trace)

    def _check_url(self, url: str) -> str:
        try:
            start = normalise_url(url)
        except ValueError as exc:
            raise TerminalFetchError(url, f"invalid URL ({exc})") from exc
        scheme = urlsplit(start).scheme
        if scheme not in WEB_SCHEMES or not host_of(start):
            raise TerminalFetchError(url, f"unsupported URL (scheme {scheme or 'missing'}:)")
        limit = self.policy.host_failure_limit
        if limit and self.gate.failures(host_of(start)) >= limit:
            raise TransientFetchError(
                url, f"host {host_of(start)} skipped after {limit} failed fetches in a row"
            )
        return start

    def _error(self, url: str, exc: FetchError, trace: _Trace) -> FetchResult:
        reason = exc.reason
        if exc.url not in (url, normalise_url_safe(url)):
            reason = f"{reason} (at {exc.url})"
        if trace.attempts > 1:
            reason = f"{reason} ({trace.attempts} attempts)"
        return FetchResult(
            url=url,
            final_url=exc.url,
            kind="error",
            status=exc.status,
            error=f"{url}: {reason}",
            transient=isinstance(exc, TransientFetchError),
        )

    # -- retries and redirects ------------------------------------------------------------

    def _with_retries(
        self, url: str, start: str, headers: dict[str, str], mode: _Mode, trace: _Trace
    ) -> FetchResult:
        while True:
            trace.attempts += 1
            trace.redirects.clear()
            try:
                return self._follow(url, start, headers, mode, trace)
            except TransientFetchError as exc:
                wait = self._retry_wait(exc, trace)
                self.stats.add("retries")
                # the whole host waits, not only this URL: it is struggling
                self.gate.defer(host_of(exc.url), wait)

    def _retry_wait(self, exc: TransientFetchError, trace: _Trace) -> float:
        """Seconds before the next attempt; re-raises when no attempt is left."""
        policy = self.policy
        if exc.retry_after is not None:
            trace.retry_after = exc.retry_after
            if exc.retry_after > policy.retry_after_max:
                self.gate.defer(host_of(exc.url), exc.retry_after)  # later fetches fail fast
                raise TransientFetchError(
                    exc.url,
                    f"{exc.reason} with Retry-After {exc.retry_after:.0f} s, over the "
                    f"{policy.retry_after_max:g} s limit; not retried",
                    status=exc.status,
                    retry_after=exc.retry_after,
                ) from exc
        if trace.attempts > policy.retries:
            raise exc
        backoff = min(policy.backoff_max, policy.backoff_base * 2.0 ** (trace.attempts - 1))
        backoff = backoff / 2 + random.uniform(0, backoff / 2)  # jitter: threads spread out
        return max(backoff, exc.retry_after or 0.0)

    def _follow(
        self, url: str, start: str, headers: dict[str, str], mode: _Mode, trace: _Trace
    ) -> FetchResult:
        current = start
        while True:
            if mode.robots:
                self._check_robots(current, mode, trace)
            outcome = self._exchange(url, current, headers, mode, trace)
            if isinstance(outcome, FetchResult):
                return outcome
            if len(trace.redirects) >= self.policy.max_redirects:
                raise TerminalFetchError(
                    url, f"too many redirects (more than {self.policy.max_redirects})"
                )
            if outcome in trace.redirects or outcome == start:
                loop = " -> ".join([start, *trace.redirects, outcome])
                raise TerminalFetchError(url, f"redirect loop: {loop}")
            trace.redirects.append(outcome)
            current = outcome

    def _redirect_target(self, url: str, current: str, resp: requests.Response, mode: _Mode) -> str:
        location = _header(resp, "Location")
        if not location:
            raise TerminalFetchError(
                current,
                f"HTTP {resp.status_code} redirect without a Location",
                status=resp.status_code,
            )
        try:
            target = normalise_url(location, current)
        except ValueError as exc:
            raise TerminalFetchError(url, f"redirect to an invalid URL ({location[:100]})") from exc
        scheme = urlsplit(target).scheme
        if scheme not in WEB_SCHEMES:
            raise TerminalFetchError(
                url, f"redirect to unsupported scheme {scheme or 'missing'}: ({location[:100]})"
            )
        scope = mode.scope or {site_of(url)}
        if not self.policy.allow_offsite_redirects and not in_scope(target, scope):
            raise TerminalFetchError(
                url, f"redirect to off-scope host {host_of(target)} ({target})"
            )
        return target

    # -- one request ----------------------------------------------------------------------

    def _exchange(
        self, url: str, current: str, headers: dict[str, str], mode: _Mode, trace: _Trace
    ) -> FetchResult | str:
        """One request to `current`: a FetchResult, or the URL a redirect points to."""
        policy = self.policy
        self.gate.set_delay(host_of(current), mode.delay)
        # the session is taken before the slot: the slot's start time is the request's
        with (
            self._session() as session,
            self.gate.slot(host_of(current), url=current, max_wait=policy.retry_after_max),
        ):
            trace.request_times.append(time.monotonic())
            self.stats.add("requests")
            try:
                with allowing(mode.reach):
                    resp = _get(session, current, headers, self._timeouts)
            except AddressRefused as exc:
                raise TerminalFetchError(current, exc.reason) from exc
            except requests.RequestException as exc:
                raise request_error(current, exc, self._timeouts) from exc
            try:
                return self._handle(url, current, resp, mode)
            finally:
                wire = resp.raw.tell() if hasattr(resp.raw, "tell") else 0
                trace.bytes += wire
                self.stats.add("bytes_downloaded", wire)
                _keep_alive(resp)
                resp.close()

    def _handle(
        self, url: str, current: str, resp: requests.Response, mode: _Mode
    ) -> FetchResult | str:
        status = resp.status_code
        if status in REDIRECT_STATUSES:
            return self._redirect_target(url, current, resp, mode)
        if status in RETRY_STATUSES:
            wait = None
            if status in RETRY_AFTER_STATUSES:
                wait = parse_retry_after(_header(resp, "Retry-After"))
            reason = f"HTTP {status} {resp.reason or ''}".strip()
            raise TransientFetchError(current, reason, status=status, retry_after=wait)
        common: dict[str, Any] = {
            "url": url,
            "final_url": current,
            "status": status,
            "content_type": _header(resp, "Content-Type"),
            "etag": _header(resp, "ETag"),
            "last_modified": _header(resp, "Last-Modified"),
        }
        if status == 304 and mode.conditional:
            return FetchResult(kind="not_modified", not_modified=True, **common)
        if not 200 <= status < 300:
            raise TerminalFetchError(
                current, f"HTTP {status} {resp.reason or ''}".strip(), status=status
            )
        return self._body_result(url, resp, mode, common)

    def _body_result(
        self, url: str, resp: requests.Response, mode: _Mode, common: dict[str, Any]
    ) -> FetchResult:
        mime = (common["content_type"] or "").split(";")[0].strip().lower()
        if mode.accept is not None and mime not in SNIFF_TYPES and mime not in mode.accept:
            return self._wrong_type(url, mode, mime, common)  # body never read
        body = read_body(
            resp,
            common["final_url"],
            limit=mode.max_bytes,
            truncate=mode.truncate,
            total_timeout=self.policy.total_timeout,
            timeouts=self._timeouts,
        )
        if mode.accept is not None and mime in SNIFF_TYPES:
            sniffed = sniff_type(body[:2048])
            if sniffed not in mode.accept:
                return self._wrong_type(url, mode, f"{sniffed}, sniffed", common)
        encoding, text = decode_bytes(body, common["content_type"]) if mode.decode else (None, None)
        return FetchResult(
            kind="html",
            encoding=encoding,
            body=body,
            text=text,
            content_hash=hashlib.sha256(body).hexdigest(),
            **common,
        )

    @staticmethod
    def _wrong_type(url: str, mode: _Mode, mime: str, common: dict[str, Any]) -> FetchResult:
        label = "not HTML" if mode.accept == HTML_TYPES else "unexpected content type"
        return FetchResult(kind="not_html", error=f"{url}: {label} ({mime})", **common)

    # -- robots.txt -----------------------------------------------------------------------

    def _check_robots(self, url: str, mode: _Mode, trace: _Trace) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = self.gate.robots(origin, lambda: self._load_robots(origin, mode))
        if rules.deny_reason is not None:
            raise TerminalFetchError(url, rules.deny_reason)
        if not rules.allows(url, self.policy.robots_token):
            trace.disallowed = True
            raise TerminalFetchError(url, "disallowed by robots.txt")

    def _load_robots(self, origin: str, page: _Mode) -> RobotsRules:
        """The rules of `origin`, fetched within the scope and reach of the page that needs them:
        RFC 9309 lets robots.txt redirect, but a redirect off the source's sites is a request
        the site chose for us, so it ends the fetch ("no rules", as an unreachable file)."""
        mode = _Mode(
            accept=None,
            max_bytes=ROBOTS_MAX_BYTES,
            truncate=True,
            robots=False,
            scope=page.scope or frozenset({site_of(origin)}),
            reach=page.reach,
        )
        result = self._fetch(f"{origin}/robots.txt", {}, mode, _Trace())
        if result.kind == "html" and result.body is not None:
            text = result.body.decode("utf-8", "replace").lstrip("\ufeff")
            rules = RobotsRules(parser=Protego.parse(text))
            self.gate.set_crawl_delay(host_of(origin), rules.delay(self.policy.robots_token))
            return rules
        status = result.status or 0
        if result.transient or status >= 500 or status == 429:
            why = result.error.split(": ", 1)[-1] if result.error else f"HTTP {status}"
            log.warning("robots.txt of %s unavailable (%s): not crawling it this run", origin, why)
            return RobotsRules(
                deny_reason=f"robots.txt unavailable ({why}); host not crawled this run"
            )
        return RobotsRules()  # 4xx, bad redirects: RFC 9309 says there are no rules


def normalise_url_safe(url: str) -> str:
    try:
        return normalise_url(url)
    except ValueError:
        return url
