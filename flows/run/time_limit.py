"""A time limit on one piece of CPU-bound work in the current thread: extracting one page.

Extraction is linear in a page's size, but a hostile page costs ~5-9 s per MB (a million
`€3.5 million` figures, a table of 12,000 rows, lists nested 20,000 deep), so a 10 MB page held
a worker for a minute. Python cannot stop a thread from outside, except by raising an exception
in it at its next bytecode (`PyThreadState_SetAsyncExc`), which is what one watchdog thread per
process does when a limit passes: the work unwinds through its own `finally` blocks, and the
caller gets `TimeLimitExceeded`. C code running at that moment (one lxml parse, one regular
expression) finishes first; every heuristic loop around them is Python.

`TimeLimitExceeded` derives from BaseException so that the many `except Exception` of
extraction code, there to survive odd markup, do not swallow it.

    with time_limit(20.0):
        extract(...)          # raises TimeLimitExceeded after 20 s
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "AGENCYWATCH_PAGE_TIME_LIMIT"
DEFAULT_S = 20.0  # ordinary pages take milliseconds; a 2 MB listing a few seconds


class TimeLimitExceeded(BaseException):  # raised into a thread, as KeyboardInterrupt is
    """The work in a `time_limit` block ran past its limit."""


def configured_limit() -> float:
    """Seconds one page may take: $AGENCYWATCH_PAGE_TIME_LIMIT (0: no limit), else 20."""
    raw = os.environ.get(ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_S
    except ValueError:
        return DEFAULT_S
    return value if value >= 0 and value == value and value != float("inf") else DEFAULT_S


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


class _Watchdog:
    """One thread per process raising TimeLimitExceeded into threads whose limit passed."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a child has no watchdog thread

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[object, tuple[float, int]] = {}  # token -> (deadline, thread id)
        self._fired: set[object] = set()
        self._running = False
        # when the thread wakes next (None: only when notified); a limit ending later needs no
        # wake-up, so a process extracting page after page wakes its watchdog about once per
        # limit instead of once per page (a wake-up per page cost ~3% of extraction's CPU)
        self._wake_at: float | None = None

    def arm(self, seconds: float) -> object:
        token = object()
        with self._cond:
            if not self._running:
                self._running = True
                name = "agencywatch-time-limit"
                threading.Thread(target=self._run, name=name, daemon=True).start()
            deadline = time.monotonic() + seconds
            self._armed[token] = (deadline, threading.get_ident())
            if self._wake_at is None or deadline < self._wake_at:
                self._cond.notify()
        return token

    def disarm(self, token: object) -> bool:
        """Stop watching; True when the limit had passed. An exception raised but not yet
        delivered is withdrawn: it must not surface later, outside the block."""
        with self._cond:
            self._armed.pop(token, None)
            if token not in self._fired:
                return False
            self._fired.discard(token)
            _raise_in(threading.get_ident(), None)
            return True

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for token, (deadline, thread_id) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        self._fired.add(token)
                        _raise_in(thread_id, TimeLimitExceeded)
                soonest = min((d for d, _ in self._armed.values()), default=None)
                self._wake_at = soonest
                self._cond.wait(None if soonest is None else max(0.0, soonest - now))


_watchdog = _Watchdog()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in this thread once `seconds` have passed inside the block
    (None or 0: no limit)."""
    if not seconds:
        yield
        return
    token = _watchdog.arm(seconds)
    try:
        yield
    except BaseException:
        _watchdog.disarm(token)  # whatever ended the block, nothing may fire after it
        raise
    if _watchdog.disarm(token):  # it passed while the block was ending: the block was late
        raise TimeLimitExceeded
