"""What a run tells whoever watches it: the run loop's side of the progress interface.

The run loop (`flows.run.loop`) calls an observer as pages are written and sources end; it never
imports a view, and a view never reads the store: everything it shows arrives here
(`flows.cli.progress.CrawlWatcher` is the terminal's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from store.batches import SourceBatch


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """What is known of a source before its crawl starts."""

    name: str
    url: str
    max_pages: int
    follow: bool
    known: int = 0  # pages the store already holds for the source


class RunObserver(Protocol):
    def plan(self, plans: Sequence[SourcePlan]) -> None:
        """The run's sources, before any page of theirs is written."""

    def pages(self, batch: SourceBatch, planned: int | None) -> None:
        """A batch of the source's pages was written; `planned`: pages the run has admitted
        for it so far (found and within max_pages), when the supply knows."""

    def ended(self, name: str, cut_short: Sequence[str]) -> None:
        """The source is done; `cut_short` names the hosts the run gave up on, and why."""

    def close(self) -> None:
        """The run is over."""
