"""A fault-injecting HTTP server for the fetcher's tests: real sockets on 127.0.0.1, port 0,
served from a thread. Every request is recorded with its monotonic arrival time, so tests can
assert retries (count requests) and politeness (time between them).

Routes (query parameters in brackets):
  /robots.txt                 `robots` text with `robots_status` (None: 404)
  /page/<any>[?sleep=s]       a small utf-8 HTML page (after `sleep` seconds)
  /status/<code>[?retry_after=v]       that status, every time
  /flaky/<code>/<n>/<id>[?retry_after=v]  `code` for the first n hits, then a page;
                              v = seconds, or `date:<s>` for an HTTP-date s seconds ahead
  /reset, /flaky-reset/<n>/<id>          TCP reset instead of an answer
  /truncated                  Content-Length 1000, 100 bytes sent, connection closed
  /slow-body[?sleep=s], /slow-headers[?sleep=s], /trickle (1 byte every 0.1 s)
  /redirect/<n>               n hops of 302, then a page;   /loop/a <-> /loop/b
  /redirect-to?location=...   302 to anything;  /redirect-nolocation
  /pdf /image /pdf-untyped /octet-html     content-type cases
  /bomb[?mb=20]               gzip of `mb` MB of zeros (a few KB on the wire)
  /huge[?mb=50&cl=1]          `mb` MB streamed, with or without Content-Length
  /gzip-page                  an ordinary gzip-encoded page
  /lt/<variant>               windows-1257 / ISO-8859-13 Lithuanian page: header, meta,
                              http-equiv, bom, none, iso13, bom-beats-header
  /cond                       ETag "v1" / Last-Modified; answers 304 to matching validators
  /set-cookie/<name=value>    a page that sets that cookie for the whole site
"""

from __future__ import annotations

import email.utils
import gzip
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LT_LETTERS = "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ"
LT_TEXT = f"Lietuvos inovacijų agentūra kviečia į renginį: {LT_LETTERS}."
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


@dataclass(frozen=True)
class Hit:
    path: str  # path without the query
    query: str
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    client_port: int = 0  # the client's end of the connection: one port, one connection


def page(title: str, body: str = "", charset: str = "utf-8", head: str = "") -> bytes:
    html = f"<!doctype html><html><head>{head}<title>{title}</title></head>"
    html += f"<body><h1>{title}</h1><p>{body}</p></body></html>"
    return html.encode(charset)


def _bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    # -- helpers -------------------------------------------------------------------------

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            if value:
                self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: a "connection reset by peer" on the client
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def stream(self, total: int, chunk: bytes, delay: float = 0.0) -> None:
        sent = 0
        try:
            while sent < total:
                piece = chunk[: total - sent]
                self.wfile.write(piece)
                sent += len(piece)
                if delay:
                    time.sleep(delay)
        except OSError:  # the client hung up at its size limit: expected
            pass
        self.close_connection = True

    def retry_after(self, query: dict[str, list[str]]) -> dict[str, str]:
        value = query.get("retry_after", [""])[0]
        if value.startswith("date:"):
            when = time.time() + float(value[5:])
            value = email.utils.formatdate(when, usegmt=True)
        return {"Retry-After": value} if value else {}

    # -- dispatch ------------------------------------------------------------------------

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        hit = Hit(
            parts.path, parts.query, dict(self.headers.items()), time.monotonic(),
            self.client_address[1],
        )
        srv = self.server
        with srv.lock:
            srv.hits.append(hit)
            count = sum(1 for h in srv.hits if h.path == parts.path)
            srv.inflight += 1
            srv.max_inflight = max(srv.max_inflight, srv.inflight)
        try:
            self.route(parts.path, parse_qs(parts.query), count)
        except OSError:
            self.close_connection = True
        finally:
            with srv.lock:
                srv.inflight -= 1

    def route(self, path: str, query: dict[str, list[str]], count: int) -> None:
        segs = path.strip("/").split("/")
        head, arg = segs[0], segs[1:]
        sleep = float(query.get("sleep", ["0"])[0])
        if path == "/robots.txt":
            if self.server.robots_status is None:
                return self.send(404, b"no robots")
            body = self.server.robots.encode()
            return self.send(self.server.robots_status, body, {"Content-Type": "text/plain"})
        if head == "page":
            time.sleep(sleep)
            return self.send(200, page(path))
        if head == "status":
            return self.send(int(arg[0]), page(f"status {arg[0]}"), self.retry_after(query))
        if head == "flaky":
            if count <= int(arg[1]):
                return self.send(int(arg[0]), b"busy", self.retry_after(query))
            return self.send(200, page("recovered"))
        if head == "reset":
            return self.reset()
        if head == "flaky-reset":
            return self.reset() if count <= int(arg[0]) else self.send(200, page("recovered"))
        if head == "truncated":
            self.send(200, b"x" * 100, {"Content-Length": "1000"})
            self.close_connection = True
            return None
        if head == "slow-headers":
            time.sleep(sleep or 2)
            return self.send(200, page("late"))
        if head == "slow-body":
            self.send(200, b"<html><body>" + b"x" * 88, {"Content-Length": "200"})
            time.sleep(sleep or 2)
            return self.stream(100, b"y" * 100)
        if head == "trickle":
            self.send(200, b"<", {"Content-Length": "100000"})
            return self.stream(100000, b"x", delay=0.1)
        if head == "redirect":
            n = int(arg[0])
            if n == 0:
                return self.send(200, page("arrived"))
            return self.send(302, b"", {"Location": f"/redirect/{n - 1}"})
        if head == "loop":
            target = "/loop/b" if arg[0] == "a" else "/loop/a"
            return self.send(302, b"", {"Location": target})
        if head == "redirect-to":
            return self.send(302, b"", {"Location": query["location"][0]})
        if head == "redirect-nolocation":
            return self.send(302, b"")
        return self.route_content(head, arg, query)

    def route_content(self, head: str, arg: list[str], query: dict[str, list[str]]) -> None:
        if head == "pdf":
            return self.send(200, b"%PDF-1.4 fake", {"Content-Type": "application/pdf"})
        if head == "image":
            return self.send(200, b"\x89PNG\r\n\x1a\n", {"Content-Type": "image/png"})
        if head == "pdf-untyped":
            return self.send(200, b"%PDF-1.4 fake", {"Content-Type": ""})
        if head == "octet-html":
            return self.send(200, page("octet"), {"Content-Type": "application/octet-stream"})
        if head == "bomb":
            mb = int(query.get("mb", ["20"])[0])
            body = self.server.bombs.setdefault(mb, _bomb(mb))
            return self.send(200, body, {"Content-Encoding": "gzip"})
        if head == "huge":
            total = int(query.get("mb", ["50"])[0]) * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            if query.get("cl"):
                self.send_header("Content-Length", str(total))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            return self.stream(total, b"<p>" + b"x" * (64 * 1024 - 3))
        if head == "gzip-page":
            body = gzip.compress(page("compressed", "z" * 5000))
            return self.send(200, body, {"Content-Encoding": "gzip"})
        if head == "lt":
            return self.lithuanian(arg[0])
        if head == "cond":
            return self.conditional()
        if head == "set-cookie":
            return self.send(200, page("cookie"), {"Set-Cookie": f"{arg[0]}; Path=/"})
        return self.send(404, page("not found"))

    def lithuanian(self, variant: str) -> None:
        cp = "windows-1257"
        meta = f'<meta charset="{cp}">'
        equiv = f'<meta http-equiv="Content-Type" content="text/html; charset={cp}">'
        cases: dict[str, tuple[bytes, str]] = {
            "header": (page("Naujienos", LT_TEXT, "cp1257"), f"text/html; charset={cp}"),
            "meta": (page("Naujienos", LT_TEXT, "cp1257", meta), "text/html"),
            "http-equiv": (page("Naujienos", LT_TEXT, "cp1257", equiv), "text/html"),
            "none": (page("Naujienos", LT_TEXT, "cp1257"), "text/html"),
            "iso13": (page("Naujienos", LT_TEXT, "iso8859-13"), "text/html; charset=ISO-8859-13"),
            "bom": (b"\xef\xbb\xbf" + page("Naujienos", LT_TEXT, "utf-8", meta), "text/html"),
            "bom-beats-header": (
                b"\xef\xbb\xbf" + page("Naujienos", LT_TEXT),
                f"text/html; charset={cp}",
            ),
        }
        body, ctype = cases[variant]
        return self.send(200, body, {"Content-Type": ctype})

    def conditional(self) -> None:
        validators = {"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}
        if self.headers.get("If-None-Match") == '"v1"' or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
            and not self.headers.get("If-None-Match")
        ):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return None
        return self.send(200, page("versioned", "v" * 1000), validators)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        self.inflight = 0
        self.max_inflight = 0
        self.robots = ""
        self.robots_status: int | None = None
        self.bombs: dict[int, bytes] = {}

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and hang-ups are the point here


class FaultServer:
    """`with FaultServer() as srv: srv.url("/page/a")`."""

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def set_robots(self, text: str | None, status: int = 200) -> None:
        self._server.robots = text or ""
        self._server.robots_status = None if text is None and status == 200 else status

    @property
    def hits(self) -> list[Hit]:
        with self._server.lock:
            return list(self._server.hits)

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def times(self, path: str | None = None) -> list[float]:
        """Arrival times of the requests for `path` (all but robots.txt when None)."""
        return [h.at for h in self.hits if (h.path == path if path else h.path != "/robots.txt")]

    @property
    def max_inflight(self) -> int:
        return self._server.max_inflight
