"""A small agency site whose pages tests change between crawls, served on 127.0.0.1 (or any
loopback address: one host per address).

The site is data (`Site.items`, `Site.per_page`, `Site.faults`); the HTML is rendered on each
request, so a test edits the data and crawls again.
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Item:
    slug: str
    title: str
    date: str  # as written on the page, e.g. "July 18 d., 2017"
    teaser: str
    body: str  # detail page text (figures go here)


@dataclass
class Site:
    items: list[Item]
    per_page: int = 3
    layout: str = "articles"  # "articles", "articles-v2" (markup-only edit), "broken"
    link_suffix: str = ""  # e.g. "?utm_source=newsletter"
    # path -> a status code, (status, headers), "timeout" (answers after 3 s) or "hang" (answers
    # when the server closes); "/robots.txt" too
    faults: dict[str, Any] = field(default_factory=dict)
    robots: str = "User-agent: *\nAllow: /\n"
    gone: set[str] = field(default_factory=set)  # paths answering 404
    extra: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (type, body)

    def page(self, path: str) -> tuple[int, str]:
        if path in self.gone:
            return 404, "<h1>Not found</h1>"
        if path == "/news" or path.startswith("/news?page="):
            number = int(path.split("=")[1]) if "=" in path else 1
            return 200, self.listing(number)
        for item in self.items:
            if path == f"/news/{item.slug}":
                return 200, self.detail(item)
        return 404, "<h1>Not found</h1>"

    def listing(self, number: int) -> str:
        start = (number - 1) * self.per_page
        chunk = self.items[start : start + self.per_page]
        blocks = "\n".join(self._block(i) for i in chunk)
        more = len(self.items) > start + self.per_page
        pager = f'<a rel="next" href="/news?page={number + 1}">Next ›</a>' if more else ""
        return _frame("News", f"<h1>News</h1>\n{blocks}\n<nav class='pager'>{pager}</nav>")

    def _block(self, item: Item) -> str:
        href = f"/news/{item.slug}{self.link_suffix}"
        title, date, teaser = (html.escape(v) for v in (item.title, item.date, item.teaser))
        if self.layout == "broken":  # a redesign the extractors cannot read as a list
            return f"<p>{title} {date} {teaser}</p>"
        if self.layout == "articles-v2":  # same content, other markup and whitespace
            return (
                f'<div class="teaser teaser--news"><article class="node">\n'
                f'  <h2 class="node__title"><a href="{href}">  {title} </a></h2>\n'
                f'  <div class="meta"><span class="date">{date}</span></div>\n'
                f'  <div class="summary"><p>{teaser}</p></div>\n'
                f'  <a class="more" href="{href}">Read more</a></article></div>'
            )
        return (
            f'<article class="news-item"><h2><a href="{href}">{title}</a></h2>'
            f'<p class="date">{date}</p><p>{teaser}</p>'
            f'<a href="{href}">Read more</a></article>'
        )

    def detail(self, item: Item) -> str:
        body = f"<h1>{html.escape(item.title)}</h1><p class='date'>{html.escape(item.date)}</p>"
        return _frame(item.title, body + f"<p>{html.escape(item.body)}</p>")


def _frame(title: str, main: str) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | Agency</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/about">About us</a></li></ul></nav></header>
<main>{main}</main>
<footer><p>Agency, Gedimino pr. 38, LT-01104 Vilnius, tel. +370 5 264 4700</p></footer>
</body></html>"""


class SiteServer:
    """Serves `site` on `address` (any of 127.0.0.0/8: one host per address), and records when
    each request arrived and was answered (`requests`: arrival, end, path; monotonic)."""

    def __init__(self, site: Site, address: str = "127.0.0.1") -> None:
        self.site = site
        self.address = address
        self.requests: list[tuple[float, float, str]] = []
        self.release = threading.Event()  # set on close: hanging answers end
        handler = _handler(self)
        self.httpd = ThreadingHTTPServer((address, 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.address}:{self.httpd.server_address[1]}"

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            arrived = time.monotonic()
            try:
                self._answer()
            finally:
                server.requests.append((arrived, time.monotonic(), self.path))

        def _answer(self) -> None:
            path = self.path.split("?utm_")[0].split("&utm_")[0]
            fault = server.site.faults.get(path)
            if fault == "hang":
                server.release.wait(60)
                return self._send(503, "<p>closing</p>")
            if path == "/robots.txt" and fault is None:
                return self._send(200, server.site.robots, "text/plain")
            if path in server.site.extra:
                ctype, body = server.site.extra[path]
                return self._send(200, body, ctype)
            if fault == "timeout":
                time.sleep(3)
                return self._send(200, "<p>late</p>")
            if isinstance(fault, int):
                return self._send(fault, "<h1>Server error</h1>")
            if isinstance(fault, tuple):
                return self._send(fault[0], "<h1>Server error</h1>", headers=fault[1])
            status, text = server.site.page(path)
            self._send(status, text)

        def _send(self, status: int, text: str, ctype: str = "text/html",
                  headers: dict[str, str] | None = None) -> None:
            data = text.encode()
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


_SERVE_APART = """
import json, sys
from tests.scenario_site import Item, Site, SiteServer
servers = []
for spec in json.loads(sys.argv[1]):
    site = Site(items=[Item(**i) for i in spec["items"]], per_page=spec["per_page"],
                robots=spec["robots"])
    servers.append(SiteServer(site, address=spec["address"]).__enter__())
print(json.dumps([s.base for s in servers]), flush=True)
sys.stdin.read()  # until the test is done with them
print(json.dumps([s.requests for s in servers]), flush=True)
"""


class SitesApart:
    """Sites served by another process, one per loopback address: their clocks are not slowed
    by the crawl under test (in the same process, a server's thread waits for the interpreter
    lock before it can note when a request arrived). `stop()` returns each site's requests
    (arrival, end, path; monotonic, which all processes of the machine share)."""

    def __init__(self, sites: list[tuple[Site, str]]) -> None:
        import json
        import subprocess
        import sys
        from dataclasses import asdict
        from pathlib import Path

        specs = [{"items": [asdict(i) for i in site.items], "per_page": site.per_page,
                  "robots": site.robots, "address": address} for site, address in sites]
        root = str(Path(__file__).resolve().parents[1])
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE_APART, json.dumps(specs)], cwd=root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        self.bases: list[str] = json.loads(self._proc.stdout.readline())

    def stop(self) -> list[list[tuple[float, float, str]]]:
        import json

        out, _ = self._proc.communicate(input="", timeout=30)
        return [[tuple(r) for r in requests] for requests in json.loads(out)]  # type: ignore[misc]
