"""The per-run frontier of one source: URLs to fetch, each once, at most `max_pages` of them.

Order is first in, first out (breadth first from the start page): `max_pages` admits pages in
the order they are found, which keeps a listing's items next to the listing when the budget is
tight. URLs are normalised on the way in, so `/a?utm_source=x#top` and `/a` are one page; a
redirect's final URL can be marked seen too. One owner at a time (the crawl scheduler's thread).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection

from extractors.urls import in_scope, normalise_url


class Frontier:
    def __init__(self, max_pages: int, hosts: Collection[str] = ()) -> None:
        self.max_pages = max_pages
        self.hosts = frozenset(hosts)  # empty: any http(s) host
        self.truncated = False  # a URL was refused because max_pages was reached
        self.accepted = 0
        self._queue: deque[tuple[str, str]] = deque()
        self._seen: set[str] = set()

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
        if key is None or key in self._seen:
            return False
        if self.accepted >= self.max_pages:
            self.truncated = True
            return False
        self._seen.add(key)
        self.accepted += 1
        self._queue.append((key, role))
        return True

    def mark_seen(self, url: str) -> None:
        """Record a URL reached another way (a redirect target) so it is not queued again."""
        key = self._key(url, None)
        if key is not None:
            self._seen.add(key)

    def seen(self, url: str) -> bool:
        key = self._key(url, None)
        return key is not None and key in self._seen

    def pop(self) -> tuple[str, str] | None:
        """The next (url, role), or None when the frontier is empty."""
        return self._queue.popleft() if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)
