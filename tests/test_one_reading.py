"""One reading of a page: the same bytes and content type give the same records through the
crawl, `reprocess` and `extract`, including a windows-1252 page whose charset only the HTTP
header names, and a source's `ignore` / `ignore_text` apply the same way in all three."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from extractors.core import ReadOptions, read_page
from flows.cli.main import main
from flows.config import load_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run.loop import run_crawl_once
from flows.run.reprocess import reprocess
from store.db import open_db

# a listing of three dated news items with French and German letters, in windows-1252, with no
# <meta> charset: only the HTTP header says how to read it; the counter is volatile
PAGE = """<html><head><title>Actualités</title></head><body><main>
<h1>Actualités du réseau</h1>
<ul class="news-list">
<li><h3><a href="/news/deja-vu">Déjà vu: l'été des clusters</a></h3>
<span class="date">2024-06-01</span>
<p>Les pôles de compétitivité présentent leurs résultats.</p></li>
<li><h3><a href="/news/grune">Grüne Förderung für Häfen</a></h3>
<span class="date">2024-05-20</span><p>Le programme finance des ports plus propres en été.</p></li>
<li><h3><a href="/news/noel">Noël à Bruxelles: appel ouvert</a></h3>
<span class="date">2024-05-02</span>
<p>Un appel à projets de €2,5 millions est ouvert à tous.</p></li>
</ul>
<div class="visits">Visites: 4711</div>
<p>Mis à jour à 10:04:17</p>
</main></body></html>""".encode("cp1252")
CONTENT_TYPE = "text/html; charset=windows-1252"
TITLES = ["Déjà vu: l'été des clusters", "Grüne Förderung für Häfen",
          "Noël à Bruxelles: appel ouvert"]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _sources(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        f"""[[source]]
name = "reseau"
url = "{base}/actualites"
kind = "news_list"
delay = 0
ignore = [".visits"]
ignore_text = ["Mis à jour à [0-9:]+"]
""",
        encoding="utf-8",
    )
    return path


def test_the_same_bytes_give_the_same_records_in_crawl_reprocess_and_extract(
    tmp_path, site, capsys
):
    sources_path = _sources(tmp_path, site)
    source = load_sources(sources_path)[0]
    db_path = tmp_path / "store.db"
    with Fetcher(FetchPolicy(user_agent="agencywatch-test")) as fetcher:
        crawl = run_crawl_once(str(db_path), [source], fetcher)
    assert crawl.report["run"]["pages"]["fetched"] == 1

    db = open_db(db_path)
    stored = [r[0] for r in db.execute("SELECT title FROM news_items ORDER BY date DESC")]
    page = db.execute("SELECT text, content_type FROM pages").fetchone()
    db.close()
    assert stored == TITLES
    assert page[1] == CONTENT_TYPE
    assert "Visites" not in page[0] and "Mis à jour" not in page[0] and "été" in page[0]

    again = reprocess(str(sources_path), str(db_path))
    assert again["report"]["changes"] == [] and again["report"]["failures"] == []

    assert main(["extract", f"{site}/actualites", "--source", "reseau",
                 "--sources", str(sources_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [n["title"] for n in printed["news"]] == TITLES
    assert printed["text"] == page[0]

    saved = tmp_path / "page.html"
    saved.write_bytes(PAGE)
    assert main(["extract", str(saved), "--url", f"{site}/actualites", "--source", "reseau",
                 "--sources", str(sources_path), "--content-type", CONTENT_TYPE]) == 0
    assert json.loads(capsys.readouterr().out) == printed


def test_without_the_header_the_bytes_read_otherwise():
    """The header is what makes the page read right: the store keeps it for that reason."""
    options = ReadOptions(kind="news_list")
    right = read_page(PAGE, "http://x.test/a", CONTENT_TYPE, options).extraction
    guessed = read_page(PAGE, "http://x.test/a", None, options).extraction
    assert [n.title for n in right.news] == TITLES
    assert [n.title for n in guessed.news] != TITLES


def test_ignore_prunes_before_extraction_and_the_pager_reads_the_same_tree():
    html = (b"<html><body><main><ul class='news'>"
            + b"".join(b"<li><h3><a href='/n/%d'>News item number %d here</a></h3>"
                       b"<span class='date'>2024-01-%02d</span></li>" % (i, i, i)
                       for i in range(1, 4))
            + b"</ul><div class='pager'><a href='/list?page=2'>Next</a></div>"
            b"<div class='counter'>Visits: 12345</div></main></body></html>")
    options = ReadOptions(kind="news_list", ignore=(".counter",), pager_hosts={"x.test"})
    reading = read_page(html, "http://x.test/list", None, options)
    assert "Visits" not in reading.extraction.text
    assert len(reading.extraction.news) == 3
    assert reading.next_pages == ("http://x.test/list?page=2",)
    pruned_pager = ReadOptions(kind="news_list", ignore=(".pager",), pager_hosts={"x.test"})
    assert read_page(html, "http://x.test/list", None, pruned_pager).next_pages == ()
