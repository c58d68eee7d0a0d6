"""The fixture site: URL -> file mapping, snapshots, conditional requests, link rewriting, and
the completeness of the fixtures themselves (every page has its expected records)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
import requests

from extractors.kinds import KINDS as RECORD_KINDS
from extractors.kinds import PAGE_KINDS
from flows.cli.fixture_site import FIXTURES, FixtureSite, fixture_sources_text
from flows.config import parse_sources

KLASTER = "www.klaster.lt/en/"
MITA = "www.mita.lt/en/innovation-networks/"
REMOVED = "www.klaster.lt/en/search-partners-nordic-life-science-days"
NEW_ITEM = "www.klaster.lt/en/important-news-shared-meeting-cluster-forum"
CONTRACT_KEYS = {"url", "kind", "title", "news", "events", "good_practices", "figures", "text"}
PAGES = sorted(p for d in ("site", "site-2") for p in (FIXTURES / d).rglob("*.html"))


@pytest.fixture()
def site() -> Iterator[FixtureSite]:
    """A server of its own: these tests switch snapshots, the shared one stays on 1."""
    with FixtureSite() as s:
        s.start()
        yield s


def get(site: FixtureSite, host_path: str, **headers: str) -> requests.Response:
    return requests.get(site.url(host_path), headers=headers, timeout=10)


def test_start_returns_a_local_base_url_and_serves_pages(site: FixtureSite) -> None:
    assert site.base_url.startswith("http://127.0.0.1:")
    assert site.start() == site.base_url  # idempotent
    r = get(site, KLASTER)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Meeting of the Cluster Forum" in r.text


@pytest.mark.parametrize(
    ("host_path", "needle"),
    [
        ("www.klaster.lt/en/events/meeting-cluster-forum", "Organizator:"),  # a/b -> a/b.html
        ("www.klaster.lt/en", "More about event"),  # a/b -> a/b/index.html
        ("inno.baltmet.org/news/wp3-final-conference.html", "Cluster Development"),  # exact file
        ("inno.baltmet.org/partners/vilnius", "394 sq. km"),
        ("inno.baltmet.org", "latest news"),  # the host alone -> index.html
    ],
)
def test_url_to_file_mapping(site: FixtureSite, host_path: str, needle: str) -> None:
    r = get(site, host_path)
    assert r.status_code == 200
    assert needle in r.text


@pytest.mark.parametrize(
    "host_path",
    [
        "www.klaster.lt/en/no-such-page",
        "www.klaster.lt/en/index.expected.json",  # expectations are never served
        "no.such.host/",
        "www.klaster.lt/../../pyproject.toml",
        "www.klaster.lt/%2e%2e/%2e%2e/pyproject.toml",
    ],
)
def test_unknown_paths_and_expectations_answer_404(site: FixtureSite, host_path: str) -> None:
    r = requests.get(f"{site.base_url}/{host_path}", timeout=10)
    assert r.status_code == 404


def test_snapshot_two_overlays_changes_and_keeps_the_rest(site: FixtureSite) -> None:
    before = get(site, MITA).text
    assert "Last updated: 23-01-2017" in before
    assert get(site, NEW_ITEM).status_code == 404
    unchanged = get(site, "inno.baltmet.org/partners/vilnius").content

    site.set_snapshot(2)
    assert site.snapshot == 2
    assert "Last updated: 09-09-2020" in get(site, MITA).text  # same URL, new page
    front = get(site, KLASTER).text
    assert "Important news shared at the meeting of the Cluster Forum" in front  # added
    assert "Haus der Wirtschaft, Stuttgart, Germany" in front  # changed event
    assert "The Search for Partners for the Nordic Life Science Days" not in front  # dropped
    assert get(site, NEW_ITEM).status_code == 200
    assert get(site, "inno.baltmet.org/partners/vilnius").content == unchanged

    site.snapshot = 1
    assert get(site, MITA).text == before


def test_removed_pages_answer_404_only_in_snapshot_two(site: FixtureSite) -> None:
    assert REMOVED in site.removed()
    assert get(site, REMOVED).status_code == 200
    site.set_snapshot(2)
    assert get(site, REMOVED).status_code == 404


def test_snapshot_must_be_one_or_two(site: FixtureSite) -> None:
    with pytest.raises(ValueError, match="snapshot"):
        site.set_snapshot(3)


def test_if_none_match_gets_304_until_the_page_changes(site: FixtureSite) -> None:
    first = get(site, MITA)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"].endswith("GMT")
    again = get(site, MITA, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert get(site, MITA, **{"If-None-Match": '"other"'}).status_code == 200
    site.set_snapshot(2)
    changed = get(site, MITA, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_if_modified_since_alone_sees_the_overlay(site: FixtureSite) -> None:
    since = get(site, MITA).headers["Last-Modified"]
    assert get(site, MITA, **{"If-Modified-Since": since}).status_code == 304
    site.set_snapshot(2)
    assert get(site, MITA, **{"If-Modified-Since": since}).status_code == 200


def test_head_sends_headers_without_a_body(site: FixtureSite) -> None:
    r = requests.head(site.url(KLASTER), timeout=10)
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) > 1000
    assert r.content == b""


def test_links_are_rewritten_to_the_local_site(site: FixtureSite) -> None:
    html = get(site, KLASTER).text
    base = site.base_url
    assert f'href="{base}/www.klaster.lt/sites/all/themes/klaster/favicon.ico"' in html
    assert 'href="/www.klaster.lt/en/events/meeting-cluster-forum"' in html
    assert 'src="/www.klaster.lt/misc/drupal.js' in html
    assert "https://www.klaster.lt/" not in html
    assert 'href="/en/' not in html
    assert "https://www.facebook.com/klaster.lt" in html  # other hosts stay as they are
    # a link to another fixture host is kept on the local site too
    assert f'href="{base}/www.klaster.lt/en/"' in get(site, MITA).text


def test_followed_links_resolve_on_the_local_site(site: FixtureSite) -> None:
    html = get(site, KLASTER).text
    assert f"{site.base_url}/www.klaster.lt/en/" in html  # og:url and canonical
    detail = urljoin(site.url(KLASTER), "/www.klaster.lt/en/events/dld-innovation-festival-2017")
    assert requests.get(detail, timeout=10).status_code == 200
    # the 2007 site links relatively; those resolve without rewriting
    news = urljoin(site.url("inno.baltmet.org/"), "news/open-days-2007.html")
    assert requests.get(news, timeout=10).status_code == 200


def test_charset_comes_from_the_page(site: FixtureSite) -> None:
    r = get(site, "inno.baltmet.org/partners/vilnius")
    assert r.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    assert "2.815 billion &euro;" in r.text


def test_robots_txt_is_permissive(site: FixtureSite) -> None:
    root = requests.get(f"{site.base_url}/robots.txt", timeout=10)
    assert root.status_code == 200
    assert root.headers["Content-Type"].startswith("text/plain")
    assert "Disallow:\n" in root.text
    for host in site.hosts():
        r = get(site, f"{host}/robots.txt")
        assert r.status_code == 200, host
        assert "User-agent: *" in r.text


def test_fixture_sources_point_at_the_server(site: FixtureSite) -> None:
    text = fixture_sources_text(site.base_url)
    assert "{port}" not in text
    sources = parse_sources(text, "fixtures/sources.toml")
    assert {s.name for s in sources} >= {"klaster-lt", "mita-innovation-networks"}
    for source in sources:
        assert source.url.startswith(site.base_url + "/")
        assert source.delay == 0
        for snapshot in (1, 2):
            site.set_snapshot(snapshot)
            r = requests.get(source.url, timeout=10)
            assert r.status_code == 200, (snapshot, source.url)


def test_fixture_sources_use_the_same_names_as_the_real_ones() -> None:
    real = parse_sources((FIXTURES.parent / "sources.toml").read_text(encoding="utf-8"))
    local = parse_sources(fixture_sources_text("http://127.0.0.1:1"))
    assert [s.name for s in local] == [s.name for s in real]
    assert all(s.delay >= 1 for s in real)


def test_every_page_is_a_full_document() -> None:
    assert len(PAGES) >= 20
    for page in PAGES:
        head = page.read_bytes()[:200].lower()
        assert head.startswith(b"<!doctype html"), page


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_page_has_its_expected_records(page: Path) -> None:
    expected = page.with_name(page.name.removesuffix(".html") + ".expected.json")
    assert expected.is_file(), f"{expected} is missing"
    data = json.loads(expected.read_text(encoding="utf-8"))
    assert set(data) >= CONTRACT_KEYS
    assert all(part in PAGE_KINDS for part in data["kind"].split("+")), data["kind"]
    assert data["url"].startswith(("https://", "http://")) and "127.0.0.1" not in data["url"]
    assert data["text"] == ""  # the text is checked through these two lists
    assert data["text_must_include"] and data["text_must_exclude"]
    for kind in RECORD_KINDS:
        assert isinstance(data.get(kind.key, []), list), kind.key
    tree = lxml.html.document_fromstring(page.read_bytes())
    for junk in tree.xpath("//script|//style"):
        junk.drop_tree()
    [h1] = tree.xpath("//h1")
    assert data["title"] == _ws(h1.text_content())
    text = _ws(tree.text_content())
    for figure in data["figures"]:
        assert set(figure) == {"value", "unit", "text", "context"}
        assert figure["text"] in figure["context"]
        assert figure["context"] in text
    for item in (i for kind in RECORD_KINDS if kind.follow for i in data.get(kind.key, [])):
        assert item["url"].startswith(("https://", "http://"))
        assert item["title"] in text
    for sentence in [*data["text_must_include"], *data["text_must_exclude"]]:
        assert sentence in text, sentence


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_overlay_holds_only_changed_pages() -> None:
    for page in (FIXTURES / "site-2").rglob("*.html"):
        base = FIXTURES / "site" / page.relative_to(FIXTURES / "site-2")
        assert not base.is_file() or base.read_bytes() != page.read_bytes(), page
    for line in (FIXTURES / "site-2" / "REMOVED").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            with FixtureSite() as s:  # resolvable in snapshot 1, else the entry is stale
                assert s.resolve("/" + line.strip()) is not None, line


def test_sources_file_parses_as_toml() -> None:
    doc = tomllib.loads((FIXTURES / "sources.toml").read_text(encoding="utf-8"))
    assert all("{port}" in s["url"] for s in doc["source"])
