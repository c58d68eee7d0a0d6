"""The error tree of agencywatch. Each package owns its branch; the root lives here because
`extractors` is the bottom layer every other package may import.

    AgencywatchError
     +-- ExtractionError        extractors/: input that cannot be read as a page
     +-- StoreError             store/: a database that cannot be opened or written
     |    +-- RunLockedError    another crawl holds the database
     +-- ConfigError           flows/config.py: a bad sources file or setting (exit 2)
     +-- FetchError            flows/fetch/http.py: one URL failed (recorded, the run goes on)
          +-- TransientFetchError   worth a retry (timeouts, resets, 5xx, 429)
          +-- TerminalFetchError    not worth one (4xx, bad scheme, too large, wrong type)

Messages are one line and name the URL, file or line they are about.
"""

from __future__ import annotations


class AgencywatchError(Exception):
    """Root of every error agencywatch raises on purpose."""


class ExtractionError(AgencywatchError):
    """A page could not be read at all (binary data, undecodable bytes)."""
