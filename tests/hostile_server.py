"""A small HTTP server whose answers a test writes: any status, reason phrase, headers and body
per path, on any loopback address (127.0.0.2 is loopback too, so one test can stand for "the
crawled site" and "a service on the crawler's own network"). Every request is recorded with its
headers.

    with HostileServer("127.0.0.1") as site:
        site.route("/", body=b"<a href='/x'>x</a>")
        site.route("/robots.txt", status=302, headers={"Location": "http://127.0.0.2:.../"})
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # the status line's reason phrase, as the server chooses


@dataclass(frozen=True)
class Request:
    path: str  # with the query
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(Request(self.path, dict(self.headers.items())))
            answer = self.server.routes.get(self.path.split("?")[0])
        if answer is None:
            answer = Answer(404, b"<html><body>not here</body></html>")
        self.send_response_only(answer.status, answer.reason)
        headers = {"Content-Type": "text/html; charset=utf-8", **answer.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.lock = threading.Lock()
        self.routes: dict[str, Answer] = {}
        self.requests: list[Request] = []


class HostileServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._server = _Server(host)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._server.lock:
            self._server.routes[path] = Answer(status, data, dict(headers or {}), reason)

    @property
    def requests(self) -> list[Request]:
        with self._server.lock:
            return list(self._server.requests)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]
