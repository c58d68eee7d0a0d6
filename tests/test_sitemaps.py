"""Sitemaps (issue 20, item 12): a sitemap index's child sitemaps are followed (one level deep,
a bounded number of them), and a sitemap is read only as far as the run can use it: a
million-URL sitemap under `max_pages = 50` is neither parsed nor stored whole."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.config import parse_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run import extract_pool
from flows.run.loop import run_crawl_once
from tests.hostile_server import HostileServer

PAGE = (
    "<html><head><title>{0}</title></head><body><article><h1>{0}</h1><p>Text of {0}.</p>"
    "</article></body></html>"
)
XML = {"Content-Type": "application/xml"}


def _urlset(urls: list[str]) -> str:
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'


def _index(urls: list[str]) -> str:
    locs = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'


@pytest.fixture()
def site() -> Iterator[HostileServer]:
    with HostileServer() as server:
        server.route("/", PAGE.format("Home"))
        yield server


def _crawl(db: Path, toml: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(extract_pool.ENV, "0")
    with Fetcher(FetchPolicy(user_agent="agencywatch-test", retries=0)) as fetcher:
        run_crawl_once(str(db), parse_sources(toml), fetcher)


def test_a_sitemap_index_is_followed(tmp_path, site, monkeypatch):
    for i in range(4):
        site.route(f"/p{i}", PAGE.format(f"Page {i}"))
    site.route("/a.xml", _urlset([site.url("/p0"), site.url("/p1")]), headers=XML)
    site.route(
        "/b.xml.gz",
        gzip.compress(_urlset([site.url("/p2"), site.url("/p3")]).encode()),
        headers={"Content-Type": "application/gzip"},
    )
    site.route("/index.xml", _index([site.url("/a.xml"), site.url("/b.xml.gz")]), headers=XML)
    _crawl(
        tmp_path / "s.db",
        f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n'
        f'sitemaps = ["{site.url("/index.xml")}"]\ndelay = 0\n',
        monkeypatch,
    )
    assert {"/a.xml", "/b.xml.gz", "/p0", "/p1", "/p2", "/p3"} <= set(site.paths())


def test_a_nested_index_is_not_followed_further(tmp_path, site, monkeypatch):
    """The protocol has one level of index; a chain of them is a trap, not a site map."""
    site.route("/index.xml", _index([site.url("/deeper.xml")]), headers=XML)
    site.route("/deeper.xml", _index([site.url("/deepest.xml")]), headers=XML)
    site.route("/deepest.xml", _urlset([site.url("/p0")]), headers=XML)
    _crawl(
        tmp_path / "s.db",
        f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n'
        f'sitemaps = ["{site.url("/index.xml")}"]\ndelay = 0\n',
        monkeypatch,
    )
    assert "/deeper.xml" in site.paths() and "/deepest.xml" not in site.paths()


def test_an_index_hands_on_a_bounded_number_of_sitemaps():
    from flows.fetch.discovery import read_sitemap

    base = "http://127.0.0.1:8000/"
    data = _index([f"{base}s{i}.xml" for i in range(500)]).encode()
    read = read_sitemap(data, base, limit=10_000)
    assert read.sitemaps == [f"{base}s{i}.xml" for i in range(50)]
    assert read.pages == []


def test_a_sitemap_is_read_no_further_than_its_limit():
    """What lies past the limit is never read: here, broken XML after the 100th URL."""
    from flows.fetch.discovery import read_sitemap

    base = "http://127.0.0.1:8000/"
    good = "".join(f"<url><loc>{base}p{i}</loc></url>" for i in range(100))
    data = f'<?xml version="1.0"?><urlset>{good}<url><loc>{base}x</loc></url' + "<<<" * 1000
    read = read_sitemap(data.encode(), base, limit=10)
    assert read.pages == [f"{base}p{i}" for i in range(10)]
    read = read_sitemap(gzip.compress(data.encode()), base, limit=10)
    assert read.pages == [f"{base}p{i}" for i in range(10)]
    keep_odd = read_sitemap(data.encode(), base, limit=3, keep=lambda u: u[-1] in "13579")
    assert keep_odd.pages == [f"{base}p1", f"{base}p3", f"{base}p5"]


def test_a_huge_sitemap_is_read_only_as_far_as_the_run_can_use(tmp_path, site, monkeypatch):
    urls = [site.url(f"/p/{i}") for i in range(500_000)]
    site.route(
        "/big.xml.gz",
        gzip.compress(_urlset(urls).encode(), compresslevel=1),
        headers={"Content-Type": "application/gzip"},
    )
    _crawl(
        tmp_path / "s.db",
        f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n'
        f'sitemaps = ["{site.url("/big.xml.gz")}"]\nmax_pages = 50\ndelay = 0\n',
        monkeypatch,
    )
    conn = sqlite3.connect(tmp_path / "s.db")
    links = json.loads(
        conn.execute("SELECT links FROM pages WHERE url LIKE '%/big.xml.gz'").fetchone()[0]
    )
    fetched = conn.execute("SELECT count(*) FROM fetches").fetchone()[0]
    conn.close()
    assert len(links) <= 50
    assert fetched == 50
