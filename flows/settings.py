"""Every default in one place, each with its environment override.

Prefect reads its settings when it is imported, so `prepare_prefect()` must run before any
`import prefect` (the CLI imports the flow module only after calling it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True, slots=True)
class Settings:
    sources: str = field(default_factory=lambda: _env("AGENCYWATCH_SOURCES", "sources.toml"))
    """sources file read by `crawl` and `sources validate`."""
    db: str = field(default_factory=lambda: _env("AGENCYWATCH_DB", "agencywatch.db"))
    """SQLite store."""
    contact: str = field(
        default_factory=lambda: _env("AGENCYWATCH_CONTACT", "https://github.com/agencywatch")
    )
    """URL or e-mail sent in the User-Agent, so site owners can reach whoever runs the crawl."""
    prefect_home: str = field(
        default_factory=lambda: _env("AGENCYWATCH_PREFECT_HOME", str(Path.cwd() / ".prefect"))
    )
    """PREFECT_HOME used when none is set: the ephemeral API server keeps its database there."""
    lock_wait_s: float = 5.0
    """How long a second crawl waits for the first before saying one is running."""

    @property
    def user_agent(self) -> str:
        from extractors import __version__

        return f"agencywatch/{__version__} (+{self.contact})"


def prepare_prefect(settings: Settings) -> None:
    """Offline-friendly Prefect defaults; an explicit PREFECT_* variable always wins."""
    os.environ.setdefault("PREFECT_HOME", settings.prefect_home)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the ephemeral API server takes ~8 s to start here (~14 s when it migrates its database)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
