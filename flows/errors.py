"""The flows/ branch of the error tree (the root lives in extractors/errors.py).

    ConfigError            a bad sources file or setting (the CLI exits 2)
    FetchError             one URL failed; recorded, the run goes on
     +-- TransientFetchError   worth a retry: timeouts, resets, 429, 500/502/503/504
     +-- TerminalFetchError    not worth one: 4xx, bad scheme, too large, robots, off-scope

Every message is one line and names the URL (or file and line) it is about, because it ends up
verbatim in run reports and logs that people grep.
"""

from __future__ import annotations

from extractors.errors import AgencywatchError


def one_line(text: str) -> str:
    """Collapse whitespace so an exception text from a library cannot break a report line."""
    return " ".join(text.split())


class ConfigError(AgencywatchError):
    """A sources file or setting that cannot be used (the CLI exits 2).

    The message is kept as given: config validation lists one `file:line: why` per line.
    With `path` (and `line`) the message is prefixed `path:line: `.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if path is not None and line is not None else path
        super().__init__(f"{where}: {message}" if where else message)


class FetchError(AgencywatchError):
    """One URL could not be fetched. `str(exc)` is `<url>: <reason>`.

    `FetchError(url, reason)`, or `FetchError(message)` with a message that already reads
    `<url>: <reason>` (such as `FetchResult.error`).
    """

    def __init__(self, url: str, reason: str | None = None, *, status: int | None = None) -> None:
        if reason is None:
            url, _, reason = one_line(url).partition(": ")
        self.url = url
        self.reason = one_line(reason)
        self.status = status
        super().__init__(f"{url}: {self.reason}" if self.reason else url)


class TransientFetchError(FetchError):
    """A failure that may go away: the fetcher retries it, and a later run may succeed."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(url, reason, status=status)
        # seconds the server asked us to wait (Retry-After), already parsed
        self.retry_after = retry_after


class ExtractionTimeLimit(AgencywatchError):
    """A page whose extraction ran past the per-page time limit (recorded as failed: it removes
    nothing, and is tried again next run)."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(
            f"{url}: extraction stopped after {seconds:g} s, the time limit per page "
            "(AGENCYWATCH_PAGE_TIME_LIMIT); nothing removed, tried again next run"
        )
        self.url, self.seconds = url, seconds

    def __reduce__(self) -> tuple[type[ExtractionTimeLimit], tuple[str, float]]:
        return (type(self), (self.url, self.seconds))  # it comes back from a pool process


class TerminalFetchError(FetchError):
    """A failure a retry will not fix (404, a PDF, a page too large, robots.txt says no)."""
