"""Where a fetch may go (issue 20, items 1, 2 and 11): robots.txt redirects keep to the source's
scope, no request reaches a loopback, private or link-local address the source's own URL does
not name (checked on the address connected to), scope is scheme + host + port, and credentials
a page writes into a URL are neither sent nor stored.

Real servers on 127.0.0.1 and 127.0.0.2: the second stands for a service on the crawler's own
network (a metadata endpoint, a database's HTTP port)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractors.links import find_follow_links
from extractors.urls import in_scope, normalise_url
from flows.config import Source, parse_sources
from flows.fetch.http import Fetcher, FetchPolicy
from flows.run import extract_pool
from flows.run.loop import run_crawl_once
from tests.hostile_server import HostileServer

PAGE = "<!doctype html><html><head><title>Home</title></head><body><p>Hello.</p></body></html>"


@pytest.fixture()
def site() -> Iterator[HostileServer]:
    with HostileServer("127.0.0.1") as server:
        server.route("/", PAGE)
        yield server


@pytest.fixture()
def internal() -> Iterator[HostileServer]:
    """A service the crawler must never reach: anything it answers is a leak."""
    with HostileServer("127.0.0.2") as server:
        server.route(
            "/latest/meta-data/", "ami-id\ninstance-id\n", headers={"Content-Type": "text/plain"}
        )
        server.route(
            "/robots.txt", "User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"}
        )
        yield server


def _fetcher() -> Fetcher:
    return Fetcher(FetchPolicy(user_agent="agencywatch-test", retries=0))


def _crawl(db: Path, sources_toml: str) -> None:
    with _fetcher() as fetcher:
        run_crawl_once(str(db), parse_sources(sources_toml), fetcher)


# -- item 1: SSRF through robots.txt and redirects ---------------------------------------------


def test_robots_redirect_to_another_host_is_not_followed(site, internal):
    site.route("/robots.txt", status=302, headers={"Location": internal.url("/latest/meta-data/")})
    with _fetcher() as fetcher:
        result = fetcher.fetch(site.url("/"), scope={f"127.0.0.1:{site.port}"})
    assert internal.requests == []
    assert result.ok  # a robots.txt that cannot be read within scope is "no rules" (RFC 9309)


def test_robots_redirect_is_not_followed_in_a_crawl(tmp_path, site, internal, monkeypatch):
    monkeypatch.setenv(extract_pool.ENV, "0")
    site.route("/robots.txt", status=301, headers={"Location": internal.url("/latest/meta-data/")})
    _crawl(tmp_path / "s.db", f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n')
    assert internal.requests == []
    assert site.paths() == ["/robots.txt", "/"]


def test_extract_url_does_not_follow_robots_off_site(site, internal, capsys):
    from flows.cli.main import main

    site.route("/robots.txt", status=302, headers={"Location": internal.url("/robots.txt")})
    assert main(["extract", site.url("/")]) == 0
    assert internal.requests == []
    assert '"title": "Home"' in capsys.readouterr().out


def test_no_fetch_reaches_an_internal_address_the_source_does_not_name(internal):
    """The source names 127.0.0.2; a page of it redirects to `localhost`, in scope by `hosts`,
    which resolves to 127.0.0.1: refused on the address, not the name."""
    with HostileServer("127.0.0.1") as other:
        other.route("/admin", "secret")
        internal.route(
            "/", status=302, headers={"Location": f"http://localhost:{other.port}/admin"}
        )
        with _fetcher() as fetcher:
            result = fetcher.fetch(
                internal.url("/"),
                scope={f"127.0.0.2:{internal.port}", f"localhost:{other.port}"},
            )
        assert other.requests == []
    assert result.kind == "error"
    assert result.error is not None and "127.0.0.1" in result.error
    assert "loopback" in result.error


def test_a_page_link_to_an_internal_address_is_refused_in_a_crawl(
    tmp_path, site, internal, monkeypatch
):
    """`hosts` may widen the scope to another host, but not to an internal address that the
    source's own URL does not name."""
    monkeypatch.setenv(extract_pool.ENV, "0")
    site.route(
        "/feed.xml",
        (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>"
            f"<item><title>x</title><link>{internal.url('/latest/meta-data/')}</link></item>"
            "</channel></rss>"
        ),
        headers={"Content-Type": "application/rss+xml"},
    )
    _crawl(
        tmp_path / "s.db",
        (
            f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\n'
            f'hosts = ["127.0.0.2:{internal.port}"]\nfeeds = ["{site.url("/feed.xml")}"]\n'
        ),
    )
    assert internal.requests == []
    conn = sqlite3.connect(tmp_path / "s.db")
    errors = [r[0] for r in conn.execute("SELECT error FROM fetches WHERE error IS NOT NULL")]
    conn.close()
    assert len(errors) == 1 and "127.0.0.2" in errors[0] and "loopback" in errors[0]


def test_the_source_own_internal_address_still_works(site):
    with _fetcher() as fetcher:
        result = fetcher.fetch(site.url("/"), scope={f"127.0.0.1:{site.port}"})
    assert result.ok and result.body is not None and b"Hello" in result.body


# -- item 2: scope is scheme + host + port -----------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.klaster.lt/en/news", True),
        ("http://www.klaster.lt/en/news", True),  # the same site, upgraded or not
        ("https://klaster.lt/en/news", True),
        ("http://www.klaster.lt:6379/", False),
        ("http://www.klaster.lt:22/", False),
        ("https://www.klaster.lt:8443/", False),
        ("https://www.klaster.lt:443/x", True),
    ],
)
def test_scope_of_a_url_without_a_port_is_its_default_port(url, expected):
    source = Source(name="k", url="https://www.klaster.lt/en/")
    assert in_scope(normalise_url(url), source.scope()) is expected


def test_a_page_cannot_send_the_crawler_to_other_ports_of_its_host():
    page = (
        "<html><body><a rel='next' href='http://www.klaster.lt:6379/?page=2'>Next</a>"
        "<ul class='pager'><li><a href='http://www.klaster.lt:22/?page=3'>3</a></li></ul>"
        "</body></html>"
    )
    found = find_follow_links(page, "https://www.klaster.lt/en/news")
    assert found.next_pages == []
    source = Source(name="k", url="https://www.klaster.lt/en/news")
    assert find_follow_links(page, source.url, source.scope()).next_pages == []


def test_hosts_can_widen_scope_to_a_named_port():
    source = Source(name="k", url="https://www.klaster.lt/en/", hosts=("www.klaster.lt:8443",))
    assert in_scope("https://www.klaster.lt:8443/x", source.scope())
    assert not in_scope("https://www.klaster.lt:8444/x", source.scope())


# -- item 11: credentials in URLs --------------------------------------------------------------


def test_credentials_a_page_writes_are_not_sent_or_stored(tmp_path, site, monkeypatch):
    monkeypatch.setenv(extract_pool.ENV, "0")
    origin = f"127.0.0.1:{site.port}"
    site.route(
        "/feed.xml",
        (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>"
            f"<item><title>a</title><link>http://alice:s3cret@{origin}/a</link></item>"
            f"<item><title>b</title><link>http://{origin}/b</link></item>"
            "</channel></rss>"
        ),
        headers={"Content-Type": "application/rss+xml"},
    )
    site.route("/a", PAGE)
    site.route("/b", status=302, headers={"Location": f"http://bob:hunter2@{origin}/b2"})
    site.route("/b2", PAGE)
    _crawl(
        tmp_path / "s.db",
        (f'[[source]]\nname = "a"\nurl = "{site.url("/")}"\nfeeds = ["{site.url("/feed.xml")}"]\n'),
    )
    assert {"/a", "/b", "/b2"} <= set(site.paths())
    assert all("Authorization" not in r.headers for r in site.requests)
    dump = "\n".join(sqlite3.connect(tmp_path / "s.db").iterdump())
    for secret in ("s3cret", "hunter2", "alice", "bob"):
        assert secret not in dump


def test_normalised_urls_carry_no_credentials():
    assert normalise_url("http://u:p@a.lt/x") == "http://a.lt/x"
    assert normalise_url("https://u@a.lt:8443/x?q=1") == "https://a.lt:8443/x?q=1"
    assert normalise_url("//u:p@b.lt/y", "https://a.lt/") == "https://b.lt/y"
