"""The per-run frontier of one source: URLs to fetch, each once, at most `max_pages` of them.

Order is first in, first out (breadth first from the start page), which keeps a listing's
items next to the listing under a tight `max_pages`. URLs are normalised on the way in, so
`/a?utm_source=x#top` and `/a` are one page; a redirect's final URL can be marked seen too.

Listing pages can also be taken apart from the rest (`pop_listings`), for a batch that walks
the pager (see `flows.crawl.Walk`): the pages such a walk fetches beyond its start are paid
from budget reserved when it starts (`reserve`), recorded when it returns (`claim`), and what
it did not use goes back (`release`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Collection

from extractors.urls import in_scope, normalise_url


class Frontier:
    def __init__(self, max_pages: int, hosts: Collection[str] = ()) -> None:
        self.max_pages = max_pages
        self.hosts = frozenset(hosts)  # empty: any http(s) host
        self.truncated = False  # a URL was refused because max_pages was reached
        self.accepted = 0
        # two queues, one global order: `pop` takes the older head of the two
        self._queue: deque[tuple[int, str, str]] = deque()
        self._listings: deque[tuple[int, str, str]] = deque()
        self._order = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def _key(self, url: str, base: str | None) -> str | None:
        try:
            key = normalise_url(url, base)
        except ValueError:
            return None
        if self.hosts and not in_scope(key, self.hosts):
            return None
        return key if key.startswith(("http://", "https://")) else None

    def add(self, url: str, role: str = "detail", *, base: str | None = None) -> bool:
        """Queue `url` (resolved against `base`) unless seen, out of scope or over budget."""
        key = self._key(url, base)
        if key is None:
            return False
        with self._lock:
            if key in self._seen:
                return False
            if self.accepted >= self.max_pages:
                self.truncated = True
                return False
            self._seen.add(key)
            self.accepted += 1
            self._order += 1
            queue = self._listings if role == "listing" else self._queue
            queue.append((self._order, key, role))
            return True

    def mark_seen(self, url: str) -> None:
        """Record a URL reached another way (a redirect target) so it is not queued again."""
        key = self._key(url, None)
        if key is not None:
            with self._lock:
                self._seen.add(key)

    def seen(self, url: str) -> bool:
        key = self._key(url, None)
        with self._lock:
            return key is not None and key in self._seen

    def pop(self) -> tuple[str, str] | None:
        """The next (url, role), or None when the frontier is empty."""
        with self._lock:
            if self._listings and (not self._queue or self._listings[0] < self._queue[0]):
                _, url, role = self._listings.popleft()
            elif self._queue:
                _, url, role = self._queue.popleft()
            else:
                return None
            return url, role

    def pop_others(self, n: int) -> list[tuple[str, str]]:
        """Up to `n` queued pages that are not listings, oldest first."""
        return self._pop_from(self._queue, n)

    def pop_listings(self, n: int) -> list[tuple[str, str]]:
        """Up to `n` queued listing pages, oldest first."""
        return self._pop_from(self._listings, n)

    def _pop_from(self, queue: deque[tuple[int, str, str]], n: int) -> list[tuple[str, str]]:
        with self._lock:
            return [queue.popleft()[1:] for _ in range(min(n, len(queue)))]

    @property
    def listings_queued(self) -> int:
        with self._lock:
            return len(self._listings)

    @property
    def others_queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def reserve(self, n: int) -> int:
        """Set aside up to `n` pages of the budget (for pages found and fetched elsewhere,
        recorded later with `claim`); returns how many were granted."""
        with self._lock:
            granted = max(0, min(n, self.max_pages - self.accepted))
            self.accepted += granted
            return granted

    def release(self, n: int) -> None:
        """Give back `n` reserved pages that were not used."""
        with self._lock:
            self.accepted -= max(0, n)

    def claim(self, url: str) -> bool:
        """Record a page fetched from reserved budget: seen from now on, never queued.
        False when it was already seen (its reserved page was spent twice)."""
        key = self._key(url, None) or url
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue) + len(self._listings)
