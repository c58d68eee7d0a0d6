"""The bundled fixture site: a small static HTTP server for the demo and the tests.

Layout (see docs/design.md, "Fixture site"):

- `fixtures/site/<host>/<path>`: snapshot 1 (the 2017 state of the seed pages);
- `fixtures/site-2/<host>/<path>`: snapshot 2, an overlay holding only the files that changed
  or were added; `fixtures/site-2/REMOVED` lists `<host>/<path>` lines that answer 404 there.

Pages are served at `http://127.0.0.1:PORT/<host>/<path>`. URL -> file: `/<host>/a/b/` ->
`a/b/index.html`; `/<host>/a/b` -> `a/b`, `a/b.html`, then `a/b/index.html`. In served HTML
the absolute links to every fixture host (`https://<host>/`, `http://<host>/`, `//<host>/`)
and the root-relative links (`href="/`, `src="/`, `action="/`) are rewritten to stay on the
local site. `*.expected.json` files are never served. Every response carries a
Content-Type with charset, an ETag (hash of the served bytes) and a Last-Modified fixed per
snapshot, and a matching `If-None-Match` (or, without one, `If-Modified-Since`) gets a 304.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import sys
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SNAPSHOTS = (1, 2)
EXPECTED_SUFFIX = ".expected.json"
# Last-Modified of a file by the snapshot folder it comes from: an overlay file is newer, so a
# client that only sends If-Modified-Since still sees a page that changed in snapshot 2.
LAST_MODIFIED = {
    1: datetime(2017, 8, 22, 8, 0, tzinfo=UTC),
    2: datetime(2020, 9, 9, 12, 0, tzinfo=UTC),
}
ROOT_ROBOTS = b"User-agent: *\nDisallow:\n"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
_ROOT_RELATIVE = re.compile(r"""(\b(?:href|src|action)\s*=\s*["'])/(?!/)""", re.I)


class FixtureSite:
    """Serves `root` (default `<repo>/fixtures`) on 127.0.0.1 at a free port.

    >>> with FixtureSite() as site:           # doctest: +SKIP
    ...     base = site.start()                # 'http://127.0.0.1:PORT'
    ...     site.set_snapshot(2)               # the 2020 overlay from now on
    """

    def __init__(self, root: Path = FIXTURES) -> None:
        self.root = Path(root)
        self._snapshot = 1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving (idempotent); returns the base URL `http://127.0.0.1:PORT`."""
        if self._server is not None:
            return self.base_url
        server = _Server(("127.0.0.1", 0), _Handler)
        server.site = self
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fixture-site",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FixtureSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- snapshots ---------------------------------------------------------------------------
    @property
    def snapshot(self) -> int:
        return self._snapshot

    @snapshot.setter
    def snapshot(self, value: int) -> None:
        if value not in SNAPSHOTS:
            raise ValueError(f"snapshot must be 1 or 2, not {value!r}")
        self._snapshot = value

    def set_snapshot(self, value: int) -> None:
        self.snapshot = value

    def url(self, host_path: str) -> str:
        """The local URL of `<host>/<path>` (the server must be started)."""
        return f"{self.base_url}/{host_path.lstrip('/')}"

    # -- URL -> file -------------------------------------------------------------------------
    def hosts(self) -> list[str]:
        """Every host of the fixture site (folders of snapshot 1 and the overlay)."""
        found = {p.name for d, _ in self._layers() for p in d.iterdir() if p.is_dir()}
        return sorted(found)

    def removed(self) -> frozenset[str]:
        """`<host>/<path>` entries that answer 404 in snapshot 2."""
        listing = self.root / "site-2" / "REMOVED"
        if not listing.is_file():
            return frozenset()
        lines = listing.read_text(encoding="utf-8").splitlines()
        return frozenset(
            line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")
        )

    def resolve(self, path: str) -> tuple[Path, int] | None:
        """The file serving the URL path `/<host>/<path>` now, with its snapshot, or None."""
        url_path = urlsplit(path).path
        parts = [unquote(p) for p in url_path.split("/") if p]
        if not parts or any(p in (".", "..") or "\\" in p for p in parts):
            return None
        host, rest = parts[0], parts[1:]
        if self._snapshot == 2 and "/".join(parts) in self.removed():
            return None
        candidates = _candidates(rest, url_path.endswith("/"))
        for layer, number in reversed(self._layers()):
            if number > self._snapshot:
                continue
            for rel in candidates:
                file = layer / host / rel
                if file.is_file() and not file.name.endswith(EXPECTED_SUFFIX):
                    return file, number
        return None

    def _layers(self) -> list[tuple[Path, int]]:
        """The snapshot folders that exist, oldest first, with their snapshot number."""
        folders = ((self.root / "site", 1), (self.root / "site-2", 2))
        return [(d, n) for d, n in folders if d.is_dir()]

    # -- rewriting ---------------------------------------------------------------------------
    def rewrite(self, html: str, host: str) -> str:
        """Keep the links of a served page on the local site."""
        for fixture_host in self.hosts():
            pattern = re.compile(
                r"(?:https?:)?//" + re.escape(fixture_host) + r"(?=[/\"'?#\s<]|$)", re.I
            )
            html = pattern.sub(f"{self.base_url}/{fixture_host}", html)
        return _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}/{host}/", html)


def _candidates(rest: list[str], trailing_slash: bool) -> list[str]:
    rel = "/".join(rest)
    if not rel:
        return ["index.html"]
    if trailing_slash:
        return [f"{rel}/index.html"]
    return [rel, f"{rel}.html", f"{rel}/index.html"]


def fixture_sources_text(base_url: str, root: Path = FIXTURES) -> str:
    """`fixtures/sources.toml` with its `http://127.0.0.1:{port}` pointing at `base_url`."""
    text = (Path(root) / "sources.toml").read_text(encoding="utf-8")
    base = base_url.rstrip("/")
    text = text.replace("http://127.0.0.1:{port}", base)
    port = urlsplit(base).port
    return text.replace("{port}", str(port)) if port is not None else text


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: FixtureSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up early (a crawler's timeout) is no error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "agencywatch-fixture/1.0"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line on stderr per request."""

    def _answer(self, *, send_body: bool) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        if path == "/robots.txt":
            self._send(200, ROOT_ROBOTS, "text/plain; charset=utf-8", 1, send_body)
            return
        if path == "/":
            self._send(200, _host_index(site), "text/html; charset=utf-8", None, send_body)
            return
        found = site.resolve(self.path)
        if found is None:
            body = b"<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>\n"
            self._send(404, body, "text/html; charset=utf-8", None, send_body)
            return
        file, number = found
        body = file.read_bytes()
        content_type = _content_type(file, body)
        if content_type.startswith("text/html"):
            charset = content_type.rsplit("=", 1)[-1]
            host = path.strip("/").split("/", 1)[0]
            body = site.rewrite(body.decode(charset, "replace"), host).encode(charset, "replace")
        self._send(200, body, content_type, number, send_body)

    def _send(
        self, status: int, body: bytes, content_type: str, snapshot: int | None, send_body: bool
    ) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        modified = LAST_MODIFIED[snapshot] if snapshot else None
        if status == 200 and self._not_modified(etag, modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 200:
            self.send_header("ETag", etag)
            if modified:
                self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_modified(self, etag: str, modified: datetime | None) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # RFC 9110: it wins over If-Modified-Since
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is None or modified is None:
            return False
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False


def _content_type(file: Path, body: bytes) -> str:
    if file.suffix in (".html", ".htm") or (not file.suffix and body.lstrip()[:1] == b"<"):
        match = _META_CHARSET.search(body[:2048])
        charset = match.group(1).decode("ascii").lower() if match else "utf-8"
        return f"text/html; charset={charset}"
    guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _host_index(site: FixtureSite) -> bytes:
    links = "".join(f'<li><a href="/{h}/">{h}</a></li>' for h in site.hosts())
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>agencywatch fixture site'
        f"</title></head><body><h1>Fixture site, snapshot {site.snapshot}</h1><ul>{links}</ul>"
        "</body></html>\n"
    )
    return page.encode("utf-8")
