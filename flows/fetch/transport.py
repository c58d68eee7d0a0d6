"""The byte level of a fetch: reading a body within a size and time limit, telling its type
from its first bytes, and naming the network failure behind an exception. (Its charset is
decoded by the one decoder of pages, `extractors.html.decode_bytes`.)
"""

from __future__ import annotations

import re
import socket
import time

import requests
import urllib3

from extractors.urls import host_of
from flows.errors import FetchError, TerminalFetchError, TransientFetchError, one_line

HTML_TYPES: frozenset[str] = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES: frozenset[str] = frozenset(
    {
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "text/plain",  # text sitemaps
        "application/gzip",  # sitemap.xml.gz
        "application/x-gzip",
    }
)
# types that say nothing: the body's first bytes decide
SNIFF_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


def sniff_type(head: bytes) -> str:
    """A content type from a body's first bytes, for servers that send none."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<?xml") and b"<html" not in start[:1024]:
        return "text/xml"
    if b"<" in start[:1024]:
        return "text/html"
    return "application/octet-stream"


def exception_chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps (requests -> urllib3 -> socket), outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        nested = [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif nested:
            current = nested[-1]
        else:
            current = current.__cause__ or current.__context__
    return chain


def describe_cause(exc: BaseException) -> str:
    """The innermost readable message, without urllib3's `HTTPConnection(host=..):` prefix."""
    inner = exception_chain(exc)[-1]
    text = re.sub(r"^\w+\(host=[^)]*\):\s*", "", str(inner)) or type(inner).__name__
    return one_line(text)[:200]


def request_error(url: str, exc: Exception, timeouts: tuple[float, float]) -> FetchError:
    """The FetchError a requests/urllib3/socket exception stands for: transient (retry) or
    terminal, with a short reason."""
    chain = exception_chain(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientFetchError(url, f"connect timed out after {timeouts[0]:g} s")
    if isinstance(exc, requests.exceptions.Timeout | urllib3.exceptions.ReadTimeoutError):
        return TransientFetchError(url, f"read timed out after {timeouts[1]:g} s")
    if isinstance(exc, requests.exceptions.SSLError):
        return TerminalFetchError(url, f"TLS error: {describe_cause(exc)}")
    if any(isinstance(e, urllib3.exceptions.NameResolutionError | socket.gaierror) for e in chain):
        return TerminalFetchError(url, f"cannot resolve host {host_of(url)}")
    if isinstance(exc, urllib3.exceptions.DecodeError | requests.exceptions.ContentDecodingError):
        return TerminalFetchError(url, f"cannot decode the compressed body: {describe_cause(exc)}")
    if isinstance(
        exc, requests.exceptions.ConnectionError | urllib3.exceptions.HTTPError | OSError
    ):
        return TransientFetchError(url, f"connection failed: {describe_cause(exc)}")
    return TerminalFetchError(url, f"invalid request: {describe_cause(exc)}")


_CHUNK = 64 * 1024


def read_body(
    resp: requests.Response,
    url: str,
    *,
    limit: int,
    truncate: bool,
    total_timeout: float,
    timeouts: tuple[float, float],
) -> bytes:
    """The decoded body, streamed so a huge page or a gzip bomb stops at `limit` bytes
    (TerminalFetchError "too large", or the first `limit` bytes when `truncate`)."""
    declared = resp.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit and not truncate:
        raise TerminalFetchError(
            url,
            f"too large (Content-Length {declared} bytes, limit {limit})",
            status=resp.status_code,
        )
    deadline = time.monotonic() + total_timeout
    buf = bytearray()
    try:
        # read1 returns what has arrived, so the deadline is checked however slow the
        # server; urllib3 >= 2.6 also caps what one call may inflate (gzip bombs)
        while chunk := resp.raw.read1(_CHUNK, decode_content=True):
            if len(buf) + len(chunk) > limit:
                if truncate:
                    buf += chunk[: limit - len(buf)]
                    break
                raise TerminalFetchError(
                    url, f"too large (more than {limit} bytes)", status=resp.status_code
                )
            buf += chunk
            if time.monotonic() > deadline:
                raise TerminalFetchError(
                    url,
                    f"body not complete after {total_timeout:g} s (too slow)",
                    status=resp.status_code,
                )
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise request_error(url, exc, timeouts) from exc
    return bytes(buf)
