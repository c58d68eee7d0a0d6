"""The crawl scheduler: every source's pages, fetched as fast as politeness allows and no faster.

A data team watches hundreds of small sites, each at a request a second or slower; the floor
of such a crawl is politeness itself. So the only brake here is each host's own gate
(`flows.fetch.politeness.HostGate`: its delay, Crawl-delay, Retry-After, concurrency):

- every host has a queue of the pages it owes; a host with work has a request in flight or
  waits out its own delay, never another host's;
- one coordinator thread keeps a timer of the hosts' next due times and hands each due page to
  a shared pool of fetch threads (at most `FETCH_THREADS`: a thread holds a request, never a
  wait; a host's robots.txt is a request of its own, so no thread sleeps between it and the
  host's first page);
- a fetched page goes to the run's extraction processes and the host is free again at once;
  when its records come back, the coordinator follows its links (the source's frontier lives
  here, so a pager is walked as fast as its host allows) and puts the page in the outbox;
- the outbox is what the run loop collects (`collect`), in batches: a Prefect task is one
  collection, so tasks stay batches of pages, and Prefect never holds a thread per host.
  Pages not yet written are bounded (`MAX_UNWRITTEN`): when the writer falls behind, the
  coordinator stops sending requests until it catches up, so memory stays flat.

An engine serves one run in one process: `start_engine` registers it under the run's token,
and Prefect tasks of that run (in threads of the flow's process, or on a Dask worker that
crawls some of its hosts) find it with `engine_for`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from extractors.urls import host_of
from flows.config import Source
from flows.fetch.http import Fetcher, FetchPolicy
from flows.fetch.politeness import HostGate
from flows.run import extract_pool
from flows.run.frontier import Frontier
from flows.run.page import (
    DISCOVERY_ROLES,
    FRONTIER_ROLE,
    Extracted,
    extract_and_link,
    fetch_page,
    finish_page,
    source_info,
)
from flows.run.time_limit import configured_limit
from store.batches import FAILED, NOT_MODIFIED, PageRecord, PageState, SourceBatch, SourceInfo
from store.runs import utcnow

log = logging.getLogger("agencywatch.scheduler")

FETCH_THREADS_ENV = "AGENCYWATCH_FETCH_THREADS"
# Requests in flight at once across all hosts. Each holds a thread for the length of one
# exchange (loopback: milliseconds; a slow site: seconds; a host that never answers: its
# timeouts), never for a delay: 64 keep a thousand hosts at a request every 2 s busy with
# responses of up to ~0.1 s, and leave room for a few hosts stuck in their timeouts.
FETCH_THREADS = 64
# Pages sent for and not yet handed to the writer (in flight, being extracted, in the outbox).
# Bounds memory (~10-20 KB a page once extracted and packed) and lets a crawl run ahead of a
# writer that is not there yet: the first pages are fetched while Prefect's API server starts.
MAX_UNWRITTEN = 2000
# Of those, pages sent for and not back from extraction: each holds its raw body (~20 KB) in
# the extraction processes' queue. Enough for two hundred hosts' pages due at the same second;
# a single host without a delay is fetched only as fast as its pages are extracted.
MAX_UNEXTRACTED = 400
COLLECT_MAX_WAIT_S = 60.0  # a collection with nothing to hand back returns empty after this
# Pages of any host sent to extraction before the writer first collects, after which hosts
# without a delay wait for it (see _warm_allows): their start pages and a first look at what
# they link to.
WARM_PAGES = 100
# How early a page goes to its fetch thread, which waits the rest at the host's gate (under
# load the coordinator and a thread each take a few milliseconds to wake: 15 pages at 1 s
# took ~16 s; waiting in the gate, the thread sends within a millisecond of the due time).
LEAD_S = 0.05


@dataclass(frozen=True, slots=True)
class Assignment:
    """A source to crawl, with what the store remembers of its pages (validators for
    conditional requests, links of pages that answer 304)."""

    source: Source
    states: Mapping[str, PageState] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceEnd:
    """A source whose crawl is over: nothing queued, nothing in flight. `cut_short` names the
    hosts the run gave up on, each with the reason."""

    source: SourceInfo
    truncated: bool  # max_pages refused pages
    cut_short: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One collection from an engine: finished pages (a batch per source), the sources that
    ended (after their last pages), pages admitted so far per source (for progress), and
    `done` once every source the engine was given has ended and been handed back."""

    batches: tuple[SourceBatch, ...] = ()
    ended: tuple[SourceEnd, ...] = ()
    planned: Mapping[str, int] = field(default_factory=dict)
    done: bool = False

    @property
    def pages(self) -> int:
        return sum(len(b.pages) for b in self.batches)


# -- the scheduling core: which host may send what, when ------------------------------------


@dataclass(slots=True)
class _Job:
    crawl: _Crawl | None  # None: the robots.txt of `url`'s origin
    url: str
    role: str = ""
    source: Source | None = None  # robots.txt: whose scope and addresses its request keeps to


@dataclass(slots=True)
class _HostQueue:
    name: str
    jobs: deque[_Job] = field(default_factory=deque)
    inflight: int = 0
    wake: float = float("inf")  # its key in the timer (inf: not in it)
    not_before: float = float("-inf")  # our own last dispatch, before the gate hears of it
    origins: set[str] = field(default_factory=set)  # origins whose robots.txt is asked for


class Dispatcher:
    """Per-host queues and a timer of their due times; single-threaded (the coordinator's).

    `take` hands out every job that may start now: a host is due when it has work, fewer
    requests in flight than its concurrency, and its gate's delay and pauses are over (the
    gate's own estimate, and a delay after our last dispatch, which the gate hears of only
    when the fetch thread reaches it). A job is handed out `lead_s` before its host is due:
    its thread waits the rest in the gate, ready to send on time, so a busy machine's latency
    between due and sent does not add up over a host's pages. Hosts are taken in due order,
    so a host that waited longer goes first when sending is throttled.
    """

    def __init__(self, gate: HostGate, concurrency: int, *, lead_s: float = LEAD_S) -> None:
        self.gate = gate
        self.concurrency = max(1, concurrency)
        self.lead_s = lead_s
        self.hosts: dict[str, _HostQueue] = {}
        self.parked: set[str] = set()  # hosts `take` was told not to serve yet (see unpark)
        self._timer: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    def host(self, name: str) -> _HostQueue:
        queue_ = self.hosts.get(name)
        if queue_ is None:
            queue_ = self.hosts[name] = _HostQueue(name)
        return queue_

    def push(self, host: str, job: _Job) -> None:
        hq = self.host(host)
        hq.jobs.append(job)
        self._poke(hq)

    def finished(self, host: str) -> None:
        """One request to `host` is over (its thread is free)."""
        hq = self.hosts[host]
        hq.inflight -= 1
        self._poke(hq)

    def take(
        self, limit: int, allow: Callable[[str], bool] | None = None
    ) -> list[tuple[str, _Job]]:
        """Up to `limit` jobs whose hosts may send now (or within `lead_s`), in the order
        their hosts fell due; a host `allow` refuses is parked until `unpark`."""
        now = self.gate.clock()
        out: list[tuple[str, _Job]] = []
        while self._timer and self._timer[0][0] <= now and len(out) < limit:
            key, _, name = heapq.heappop(self._timer)
            hq = self.hosts[name]
            if hq.wake != key:  # a stale entry: the host was scheduled again since
                continue
            hq.wake = float("inf")
            if not hq.jobs or hq.inflight >= self.concurrency:
                continue  # push / finished put it back
            due = max(self.gate.ready_at(name), hq.not_before)
            if due - self.lead_s > now:
                self._schedule(hq, due)
                continue
            if allow is not None and not allow(name):
                self.parked.add(name)
                continue
            out.append((name, hq.jobs.popleft()))
            hq.inflight += 1
            hq.not_before = max(now, due) + self.gate.delay(name)
            self._poke(hq)
        return out

    def unpark(self) -> None:
        parked, self.parked = self.parked, set()
        for name in parked:
            self._poke(self.hosts[name])

    def next_wake(self) -> float | None:
        """When the timer next has a host to look at (None: none is waiting)."""
        while self._timer and self.hosts[self._timer[0][2]].wake != self._timer[0][0]:
            heapq.heappop(self._timer)  # drop stale entries
        return self._timer[0][0] if self._timer else None

    def _poke(self, hq: _HostQueue) -> None:
        if hq.jobs and hq.inflight < self.concurrency and hq.name not in self.parked:
            self._schedule(hq, hq.not_before)

    def _schedule(self, hq: _HostQueue, due: float) -> None:
        key = due - self.lead_s
        if key < hq.wake:
            hq.wake = key
            heapq.heappush(self._timer, (key, next(self._seq), hq.name))


# -- the engine: the core driven by threads ---------------------------------------------------


@dataclass(slots=True, eq=False)
class _Crawl:
    """One source in this run: its frontier, and the pages queued or in flight."""

    source: Source
    info: SourceInfo
    frontier: Frontier
    states: Mapping[str, PageState]
    hosts: set[str] = field(default_factory=set)
    pending: int = 0  # pages queued or in flight, not yet in the outbox
    ended: bool = False


Entry = tuple[_Crawl, PageRecord | SourceEnd]


class CrawlEngine:
    """Crawls the sources it is given, politely, and hands back finished pages (`collect`)."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        threads: int | None = None,
        max_unwritten: int = MAX_UNWRITTEN,
        token: str = "",
        owns_fetcher: bool = False,
    ) -> None:
        self.fetcher = fetcher
        # read here, not in a pool process, whose environment may be older
        self._time_limit = configured_limit()
        self.token = token
        self._owns_fetcher = owns_fetcher
        self.max_unwritten = max_unwritten
        self.dispatcher = Dispatcher(fetcher.gate, fetcher.policy.per_host_concurrency)
        self._crawls: dict[str, _Crawl] = {}
        # the dispatcher and the counts of pages in hand: the coordinator and fetch threads
        self._lock = threading.Lock()
        self._events: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._unfinished = 0  # pages handed to fetch threads and not back from extraction
        self._outbox: deque[Entry] = deque()
        self._outbox_pages = 0
        self._wanted = 0  # pages the waiting collector wants at most
        self._active = 0  # sources given and not yet ended
        self._cond = threading.Condition()
        self._last_collect = time.monotonic()
        self._warm_left: int | None = WARM_PAGES  # None once the writer first collects
        self._stopping = False
        self._pool = ThreadPoolExecutor(
            max_workers=threads or fetch_threads(), thread_name_prefix="fetch"
        )
        _allow_open_files()
        self._thread = threading.Thread(target=self._run, name="crawl-scheduler", daemon=True)
        self._thread.start()

    # -- what other threads call ------------------------------------------------------------

    def add(self, assignments: Iterable[Assignment]) -> None:
        """Start crawling these sources (a name already given is ignored)."""
        fresh = list(assignments)
        if not fresh:
            return
        with self._cond:
            self._active += len(fresh)
        self._post(partial(self._start, fresh))

    def collect(self, max_pages: int, interval_s: float) -> Delivery:
        """The next batch of finished pages: returns once `max_pages` are ready, or something
        is ready and `interval_s` has passed since the previous collection, or everything is
        (the last pages are handed back at once); empty after COLLECT_MAX_WAIT_S of nothing."""
        if self._warm_left is not None:
            self._post(self._warmed)
        with self._cond:
            self._wanted = max_pages
            give_up = time.monotonic() + COLLECT_MAX_WAIT_S
            while True:
                now = time.monotonic()
                ready = bool(self._outbox)
                finished = self._active == 0
                due = self._last_collect + interval_s
                if finished or self._outbox_pages >= max_pages or (ready and now >= due):
                    break
                if now >= give_up:
                    break
                wait = (due if ready else give_up) - now
                self._cond.wait(max(0.001, min(wait, give_up - now)))
            entries = self._take_entries(max_pages)
            self._last_collect = time.monotonic()
            done = self._active == 0 and not self._outbox
        self._post(_nothing)  # room in the outbox: the coordinator may send again
        return _delivery(entries, done)

    def close(self) -> None:
        """Stop sending requests; requests in flight end by themselves (their timeouts)."""
        if self._stopping:
            return
        self._stopping = True
        self._post(_nothing)
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._owns_fetcher:
            self.fetcher.close()
        _unregister(self)

    # -- the coordinator thread -------------------------------------------------------------

    def _post(self, event: Callable[[], None]) -> None:
        self._events.put(event)

    def _run(self) -> None:
        while not self._stopping:
            with self._lock:
                wake = self.dispatcher.next_wake()
                room = self._room()
            timeout = None
            if wake is not None and room > 0:
                timeout = max(0.0, wake - self.fetcher.gate.clock())
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                event = _nothing
            try:
                event()
                while True:  # everything that arrived meanwhile, then send
                    self._events.get_nowait()()
            except queue.Empty:
                pass
            except Exception:  # a bug here must not leave the run waiting forever
                log.exception("crawl scheduler: an event failed")
            if not self._stopping:
                self._dispatch()

    def _room(self) -> int:
        unwritten = self.max_unwritten - self._unfinished - self._outbox_pages
        return min(unwritten, MAX_UNEXTRACTED - self._unfinished)

    def _dispatch(self) -> None:
        for host, job in self._take(max(0, self._room())):
            self._pool.submit(self._work, host, job)

    def _take(self, limit: int) -> list[tuple[str, _Job]]:
        """Jobs that may start now, counted in hand."""
        with self._lock:  # the warm-up may end meanwhile (_warmed holds the lock)
            allow = None if self._warm_left is None else self._warm_allows
            jobs = self.dispatcher.take(limit, allow)
            self._unfinished += sum(1 for _, job in jobs if job.crawl is not None)
        return jobs

    def _next(self, host: str) -> tuple[str, _Job] | None:
        """In a fetch thread whose request to `host` is over: that, and the next job due now
        (its host's next page, typically), which the thread runs itself. Handing every page
        back to the coordinator cost a wake-up of each thread per page, and with the writer
        busy each wake-up waits for the interpreter lock: a site without a delay was crawled
        ~15% slower than by the batches before."""
        with self._lock:
            self.dispatcher.finished(host)
        if self._stopping:
            return None
        jobs = self._take(1 if self._room() > 0 else 0)
        if not jobs:  # the host is due later: the coordinator's timer must know
            self._post(_nothing)
        return jobs[0] if jobs else None

    def _warm_allows(self, host: str) -> bool:
        """Before the writer first collects (the flow's API server is still booting), a host
        with a delay runs ahead: every second it waits is lost for good. A host without one
        is bound by CPU, which the boot needs as much, once its pages need extracting:
        after WARM_PAGES pages sent to extraction in all, such hosts wait (measured: a
        5,000-article site crawled ahead stretched the server's boot from 6 to 20 s, and the
        crawl took 4 s longer). Pages that answer 304 cost little: a re-crawl goes on."""
        if self._warm_left is None or self.fetcher.gate.delay(host) > 0:
            return True
        return self._warm_left > 0

    def _extracting(self) -> None:
        """A page goes to extraction: one less for hosts without a delay to warm up with."""
        with self._lock:
            if self._warm_left is not None:
                self._warm_left -= 1

    def _warmed(self) -> None:
        with self._lock:
            self._warm_left = None
            self.dispatcher.unpark()

    def _start(self, assignments: list[Assignment]) -> None:
        with self._lock:
            self._start_locked(assignments)

    def _start_locked(self, assignments: list[Assignment]) -> None:
        for assignment in assignments:
            source = assignment.source
            if source.name in self._crawls:
                with self._cond:
                    self._active -= 1
                continue
            frontier = Frontier(source.max_pages, source.scope())
            crawl = _Crawl(source, source_info(source), frontier, assignment.states)
            self._crawls[source.name] = crawl
            frontier.add(source.url, "listing")
            for feed in source.feeds:
                frontier.add(feed, "feed")
            for sitemap in source.sitemaps:
                frontier.add(sitemap, "sitemap")
            self._route(crawl)
            if crawl.pending == 0:
                self._end(crawl)

    def _route(self, crawl: _Crawl) -> bool:
        """Queue what the source's frontier admitted, each page on its host's queue (after the
        host's robots.txt when this run has not asked for it yet); whether there was any."""
        routed = False
        while (item := crawl.frontier.pop()) is not None:
            routed = True
            url, role = item
            host = host_of(url)
            if host not in crawl.hosts:
                crawl.hosts.add(host)
                self.fetcher.gate.set_delay(host, crawl.source.delay)
            hq = self.dispatcher.host(host)
            origin = _origin(url)
            if self.fetcher.policy.obey_robots and origin not in hq.origins:
                hq.origins.add(origin)
                self.dispatcher.push(host, _Job(None, origin, source=crawl.source))
            crawl.pending += 1
            self.dispatcher.push(host, _Job(crawl, url, role))
        return routed

    def _finished(self, crawl: _Crawl, record: PageRecord) -> None:
        """A page is done (in the thread that finished it: a fetch thread, or the extraction
        pool's): follow its links, hand it to the outbox, end its source after its last page.
        All under the lock, so a source's end is in the outbox after every page of it."""
        with self._lock:
            self._unfinished -= 1
            crawl.pending -= 1
            routed = False
            try:
                if crawl.source.follow or record.role in DISCOVERY_ROLES:
                    for link in record.links:
                        role, _, url = link.partition(" ")
                        crawl.frontier.add(url, FRONTIER_ROLE.get(role, "detail"))
                    routed = self._route(crawl)
            except Exception:  # a bug must cost the page's links, not the source's end
                log.exception("crawl scheduler: following the links of %s failed", record.url)
            with self._cond:
                self._outbox.append((crawl, record))
                self._outbox_pages += 1
                # the collector waits for a first page, then for a full batch (or its
                # interval): woken for every page, it took the interpreter lock thousands of
                # times for nothing
                if self._outbox_pages in (1, self._wanted):
                    self._cond.notify_all()
            if crawl.pending == 0:
                self._end(crawl)
        if routed:  # new pages may be due now: the coordinator hands them out
            self._post(_nothing)

    def _end(self, crawl: _Crawl) -> None:
        crawl.ended = True
        limit = self.fetcher.policy.host_failure_limit
        gate = self.fetcher.gate
        cut = tuple(
            f"{host}: {why}" for host in sorted(crawl.hosts) if (why := gate.trouble(host, limit))
        )
        end = SourceEnd(crawl.info, crawl.frontier.truncated, cut)
        with self._cond:
            self._outbox.append((crawl, end))
            self._active -= 1
            self._cond.notify_all()

    def _take_entries(self, max_pages: int) -> list[Entry]:
        """Entries from the head of the outbox, at most `max_pages` pages (a source's end only
        after its last page). Under the condition's lock."""
        taken: list[Entry] = []
        pages = 0
        while self._outbox:
            item = self._outbox[0][1]
            if isinstance(item, PageRecord):
                if pages >= max_pages:
                    break
                pages += 1
            taken.append(self._outbox.popleft())
        self._outbox_pages -= pages
        return taken

    # -- the fetch threads ------------------------------------------------------------------

    def _work(self, host: str, job: _Job) -> None:
        """Fetch `job`, then the next job due, as long as there is one."""
        work: tuple[str, _Job] | None = (host, job)
        while work is not None:
            self._fetch(*work)
            work = self._next(work[0])

    def _fetch(self, host: str, job: _Job) -> None:
        if job.crawl is None:
            source = job.source
            scope = None if source is None else source.scope()
            self.fetcher.load_robots(
                job.url, scope=scope, home=None if source is None else source.url
            )
            return
        crawl = job.crawl
        try:
            record, extract = fetch_page(
                crawl.source, self.fetcher, job.url, job.role, crawl.states.get(job.url)
            )
        except Exception as exc:  # fetch never raises; a bug must cost one page, not the run
            log.exception("crawl scheduler: fetching %s failed", job.url)
            record, extract = _failed(job, f"{type(exc).__name__}: {exc}"), None
        if extract is None:
            self._finished(crawl, record)
            return
        self._extracting()
        extract_one = partial(extract_and_link, time_limit_s=self._time_limit)
        future = extract_pool.submit(extract_one, *extract)
        if future is None:  # no pool in this process (a Dask worker): extract here
            record = finish_page(record, partial(extract_one, *extract, pack_body=False))
            self._finished(crawl, record)
            return
        future.add_done_callback(partial(self._extracted, crawl, record))

    def _extracted(self, crawl: _Crawl, record: PageRecord, future: Future[Extracted]) -> None:
        """In the extraction pool's thread (finish_page never raises)."""
        self._finished(crawl, finish_page(record, partial(extract_pool.result, future)))


def _nothing() -> None:
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _failed(job: _Job, error: str) -> PageRecord:
    return PageRecord(
        url=job.url, outcome=FAILED, fetched_at=utcnow(), role=job.role, error=f"{job.url}: {error}"
    )


def _delivery(entries: list[Entry], done: bool) -> Delivery:
    pages: dict[str, list[PageRecord]] = {}
    crawls: dict[str, _Crawl] = {}
    ended: list[SourceEnd] = []
    for crawl, item in entries:
        crawls[crawl.info.name] = crawl
        if isinstance(item, PageRecord):
            pages.setdefault(crawl.info.name, []).append(item)
        else:
            ended.append(item)
    batches = tuple(
        SourceBatch(crawls[name].info, tuple(records), counts=_counts(records, crawls[name]))
        for name, records in pages.items()
    )
    planned = {name: crawl.frontier.accepted for name, crawl in crawls.items()}
    return Delivery(batches, tuple(ended), planned, done)


def _counts(pages: list[PageRecord], crawl: _Crawl) -> dict[str, int]:
    states = crawl.states
    saved = sum(
        (states[p.url].size or 0) for p in pages if p.outcome == NOT_MODIFIED and p.url in states
    )
    return {
        "requests": sum(p.attempts for p in pages),
        "bytes_downloaded": sum(p.bytes for p in pages),
        "bytes_saved": saved,
    }


def _allow_open_files(wanted: int = 8192) -> None:
    """A crawl keeps a connection open per host it talks to; a thousand hosts need more than
    the 1,024 open files some systems allow a process by default: raise the soft limit
    toward the hard one (never lower it)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError) as exc:
        log.debug("cannot raise the open-file limit: %s", exc)


def fetch_threads() -> int:
    raw = os.environ.get(FETCH_THREADS_ENV, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("%s=%r is not a number; using %d", FETCH_THREADS_ENV, raw, FETCH_THREADS)
    return FETCH_THREADS


# -- one engine per run per process -------------------------------------------------------------

_ENGINES: dict[str, CrawlEngine] = {}
_ENGINES_LOCK = threading.Lock()
engines_started = 0  # in this process (how a test sees that a Dask worker crawled)


def start_engine(
    token: str,
    policy: FetchPolicy,
    *,
    fetcher: Fetcher | None = None,
    max_unwritten: int = MAX_UNWRITTEN,
) -> CrawlEngine:
    """The engine of run `token` in this process, started now if it is not running (with its
    own fetcher for `policy` unless `fetcher` is given)."""
    global engines_started
    with _ENGINES_LOCK:
        engine = _ENGINES.get(token)
        if engine is None:
            engine = CrawlEngine(
                fetcher or Fetcher(policy),
                token=token,
                max_unwritten=max_unwritten,
                owns_fetcher=fetcher is None,
            )
            _ENGINES[token] = engine
            engines_started += 1
        return engine


def engine_for(token: str) -> CrawlEngine | None:
    with _ENGINES_LOCK:
        return _ENGINES.get(token)


def _unregister(engine: CrawlEngine) -> None:
    with _ENGINES_LOCK:
        if _ENGINES.get(engine.token) is engine:
            del _ENGINES[engine.token]
