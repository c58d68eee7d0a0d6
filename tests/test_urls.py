"""One spelling per page: normalisation and scope."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.urls import _canonical, in_scope, is_tracking_param, normalise_url
from flows.run.frontier import Frontier


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.ORG:80/a/b?id=3#frag", "http://example.org/a/b?id=3"),
        ("https://mita.lrv.lt:443", "https://mita.lrv.lt/"),
        ("https://a.lt:8443/x", "https://a.lt:8443/x"),
        ("https://a.lt/?utm_source=nl&utm_medium=email", "https://a.lt/"),
        ("https://a.lt/n?fbclid=1&id=7&gclid=2&mc_cid=3&mc_eid=4&_ga=5", "https://a.lt/n?id=7"),
        ("https://a.lt/n?b=2&a=1", "https://a.lt/n?b=2&a=1"),  # order kept
        ("https://a.lt/n?ref=home", "https://a.lt/n?ref=home"),  # ref may matter: kept
        ("https://a.lt/naujienos/šiandien", "https://a.lt/naujienos/%C5%A1iandien"),
        ("https://ŽINIOS.lt/", "https://xn--inios-tib.lt/"),
        ("  https://a.lt/a\n/b  ", "https://a.lt/a/b"),
        ("https://a.lt/%7Euser/%2F", "https://a.lt/%7Euser/%2F"),
        ("http://[::1]:8080/p#x", "http://[::1]:8080/p"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_relative_urls_resolve_against_base() -> None:
    base = "https://Base.lt/dir/page.html?x=1"
    assert normalise_url("../up?utm_campaign=z#c", base) == "https://base.lt/up"
    assert normalise_url("?page=2", base) == "https://base.lt/dir/page.html?page=2"
    assert normalise_url("//other.lt/x", base) == "https://other.lt/x"
    assert normalise_url("#top", base) == "https://base.lt/dir/page.html?x=1"


def test_other_schemes_pass_through_for_filtering() -> None:
    assert normalise_url("MAILTO:info@a.lt#x") == "mailto:info@a.lt"
    assert normalise_url("javascript:void(0)") == "javascript:void(0)"
    assert not in_scope(normalise_url("javascript:void(0)"), {"a.lt"})


def test_bad_port_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalise_url("http://a.lt:99999/")


def test_tracking_params() -> None:
    assert is_tracking_param("utm_source") and is_tracking_param("UTM_Term")
    assert is_tracking_param("fbclid") and not is_tracking_param("id")


@pytest.mark.parametrize(
    ("url", "hosts", "expected"),
    [
        ("https://mita.lrv.lt/x", {"mita.lrv.lt"}, True),
        ("https://www.mita.lrv.lt/x", {"mita.lrv.lt"}, True),
        ("https://mita.lrv.lt/x", {"www.mita.lrv.lt"}, True),
        ("https://MITA.lrv.lt/x", {"Mita.LRV.lt"}, True),
        ("https://lrv.lt/x", {"mita.lrv.lt"}, False),
        ("https://evil-mita.lrv.lt/x", {"mita.lrv.lt"}, False),
        ("https://a.mita.lt/x", {".mita.lt"}, True),
        ("https://mita.lt/x", {"*.mita.lt"}, True),
        ("https://evilmita.lt/x", {".mita.lt"}, False),
        ("http://127.0.0.1:8000/x", {"127.0.0.1:8000"}, True),
        ("http://127.0.0.1:8001/x", {"127.0.0.1:8000"}, False),
        ("http://127.0.0.1:8001/x", {"127.0.0.1"}, False),  # a bare host: its default ports
        ("http://127.0.0.1/x", {"127.0.0.1"}, True),
        ("https://a.lt:8443/x", {"https://a.lt:8443/"}, True),
        ("http://[::1]:8080/x", {"[::1]:8080"}, True),
        ("http://[::1]:8081/x", {"[::1]:8080"}, False),
        ("https://a.lt/x", {"a.lt:443"}, True),
        ("https://a.lt/x", {"https://a.lt/"}, True),
        ("ftp://a.lt/x", {"a.lt"}, False),
        ("mailto:x@a.lt", {"a.lt"}, False),
        ("https://a.lt/x", set(), False),
        ("http://a.lt:bad/", {"a.lt"}, False),
    ],
)
def test_in_scope(url: str, hosts: set[str], expected: bool) -> None:
    assert in_scope(url, hosts) is expected


_segment = st.text(alphabet="abcząčęėįšųūž-_.~%20 ", min_size=0, max_size=8)
_param = st.sampled_from(["id", "page", "utm_source", "fbclid", "q", "ref"])


@given(
    host=st.sampled_from(["a.lt", "WWW.Example.org", "127.0.0.1:8080", "ŽINIOS.lt"]),
    path=st.lists(_segment, max_size=4),
    params=st.lists(st.tuples(_param, _segment), max_size=4),
    fragment=st.text(max_size=5),
)
def test_normalise_is_idempotent_and_drops_tracking(
    host: str, path: list[str], params: list[tuple[str, str]], fragment: str
) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"https://{host}/{'/'.join(path)}?{query}#{fragment}"
    once = normalise_url(url)
    assert normalise_url(once) == once
    assert "#" not in once and "utm_source=" not in once and "fbclid=" not in once
    assert in_scope(once, {host})


def test_frontier_dedupes_scopes_and_bounds() -> None:
    frontier = Frontier(max_pages=3, hosts={"a.lt"})
    assert frontier.add("https://a.lt/list", "listing")
    assert not frontier.add("https://A.lt/list?utm_source=x#top")  # same page
    assert not frontier.add("https://b.lt/x")  # off scope
    assert not frontier.add("mailto:x@a.lt")
    assert frontier.add("item/1", base="https://a.lt/list")
    frontier.mark_seen("https://a.lt/moved")
    assert not frontier.add("https://a.lt/moved") and frontier.seen("https://a.lt/moved")
    assert frontier.add("https://a.lt/item/2")
    assert not frontier.truncated
    assert not frontier.add("https://a.lt/item/3") and frontier.truncated
    assert len(frontier) == 3
    assert frontier.pop() == ("https://a.lt/list", "listing")
    assert frontier.pop() == ("https://a.lt/item/1", "detail")
    assert frontier.pop() == ("https://a.lt/item/2", "detail")
    assert frontier.pop() is None


_url_text = st.text(alphabet="aZ09-_.~%2fF/;?#@:!$&'()*+,= \\ąš", max_size=14)
_origins = st.sampled_from(
    ["http://a.lt", "HTTPS://WWW.Example.org:443", "http://127.0.0.1:8080", "https://a.lt:x",
     "http://u:p@a.lt", "http://[::1]:81", "https://ŽINIOS.lt", "mailto:", "ftp://a.lt"]
)


@given(origin=_origins, rest=_url_text, base_path=_url_text)
def test_the_short_paths_spell_urls_as_the_full_one(origin: str, rest: str, base_path: str) -> None:
    # normalise_url spells plain paths on plain origins without urljoin and w3lib; the
    # spelling must be the one resolving and canonicalising give, whatever the URL
    def full(url: str) -> str | type[ValueError]:
        try:
            return _canonical(url)
        except ValueError:
            return ValueError

    def short(url: str, base: str | None = None) -> str | type[ValueError]:
        try:
            return normalise_url(url, base)
        except ValueError:
            return ValueError

    url = origin + rest
    assert short(url) == full(url.strip())
    base = f"{origin}/{base_path}"
    for link in (rest, "/" + rest, url):
        assert short(link, base) == full(urljoin(base.strip(), link.strip()))
