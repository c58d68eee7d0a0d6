"""The fetcher against real faults on a local server: each fetch completes, the failure is one
line naming the URL, retries happen only where they should, and the timing rules hold."""

from __future__ import annotations

import hashlib
import itertools
import pickle
import socket
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from extractors.urls import normalise_url
from flows.errors import FetchError, TerminalFetchError, TransientFetchError
from flows.fetch.http import (
    FEED_TYPES,
    Fetcher,
    FetchPolicy,
    FetchResult,
    FetchStats,
    HostGate,
    _prepared_get,
    parse_retry_after,
    sniff_type,
)
from tests.faultserver import LT_LETTERS, FaultServer

FAST = FetchPolicy(
    user_agent="agencywatch-test/1.0",
    contact_url="https://example.org/contact",
    connect_timeout=1.0,
    read_timeout=0.5,
    total_timeout=1.5,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    retry_after_max=3.0,
    max_bytes=1_000_000,
    host_failure_limit=0,
)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def fetcher(**changes: object) -> Fetcher:
    return Fetcher(replace(FAST, **changes))  # type: ignore[arg-type]


def assert_failed(result: FetchResult, url: str, *words: str) -> None:
    assert result.error is not None
    assert result.error.startswith(f"{url}: "), result.error
    assert "\n" not in result.error
    for word in words:
        assert word in result.error, result.error
    assert result.body is None and result.text is None


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


# -- success, headers, counters -----------------------------------------------------------------


def test_page_is_fetched_with_identifying_user_agent(server: FaultServer) -> None:
    url = server.url("/page/a")
    with fetcher() as f:
        result = f.fetch(url)
        f.fetch(server.url("/page/b"))
    assert result.kind == "html" and result.ok and result.status == 200 and result.error is None
    assert result.body is not None and result.text is not None and "/page/a" in result.text
    assert result.content_hash == hashlib.sha256(result.body).hexdigest()
    assert result.final_url == url and result.redirects == [] and result.attempts == 1
    assert result.encoding == "utf-8" and result.started_at.endswith("+00:00")
    assert result.bytes_downloaded == len(result.body) and result.elapsed_s > 0
    assert len(result.request_times) == 1
    ua = server.hits_for("/page/a")[0].headers["User-Agent"]
    assert ua == "agencywatch-test/1.0 (+https://example.org/contact)"
    assert len(server.hits_for("/robots.txt")) == 1  # once per host per run
    assert f.stats.requests == 3 and f.stats.fetched == 2 and f.stats.failed == 0


def test_gzip_body_is_decoded_and_wire_bytes_counted(server: FaultServer) -> None:
    result = fetcher().fetch(server.url("/gzip-page"))
    assert result.ok and result.body is not None and b"zzzz" in result.body
    assert 0 < result.bytes_downloaded < len(result.body)


def test_fetch_never_raises_for_bad_urls() -> None:
    f = fetcher()
    for url in ["ftp://example.org/x", "mailto:a@b.lt", "not a url", "http://[::1", ""]:
        result = f.fetch(url)
        assert result.kind == "error" and result.error and result.error.startswith(f"{url}: ")
    assert f.stats.requests == 0 and f.stats.failed == 5


def test_stats_merge_pickle_and_dict() -> None:
    a = FetchStats(requests=3, fetched=2, bytes_saved=10)
    b = FetchStats.from_dict({"requests": 1, "not_modified": 1, "unknown": 5})
    a.merge(b)
    assert a.as_dict()["requests"] == 4 and a.not_modified == 1 and a.bytes_saved == 10
    assert pickle.loads(pickle.dumps(a)) == a


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504, 429])
def test_transient_statuses_are_retried_then_recorded(server: FaultServer, code: int) -> None:
    url = server.url(f"/status/{code}")
    f = fetcher()
    result = f.fetch(url)
    assert_failed(result, url, f"HTTP {code}", "(3 attempts)")
    assert result.kind == "error" and result.status == code and result.transient
    assert len(server.hits_for(f"/status/{code}")) == 3 and result.attempts == 3
    assert f.stats.retries == 2 and f.stats.failed == 1
    with pytest.raises(TransientFetchError):
        result.raise_for_error()


@pytest.mark.parametrize("code", [400, 403, 404, 410, 501])
def test_terminal_statuses_are_not_retried(server: FaultServer, code: int) -> None:
    url = server.url(f"/status/{code}")
    result = fetcher().fetch(url)
    assert_failed(result, url, f"HTTP {code}")
    assert result.status == code and not result.transient and result.attempts == 1
    assert len(server.hits_for(f"/status/{code}")) == 1
    with pytest.raises(TerminalFetchError):
        result.raise_for_error()


def test_backoff_grows_between_retries(server: FaultServer) -> None:
    fetcher(retries=3, backoff_base=0.1, backoff_max=1.0).fetch(server.url("/status/500"))
    waits = gaps(server.times("/status/500"))
    # equal jitter: attempt n waits between half and all of base * 2**(n-1)
    assert [w >= low * 0.9 for w, low in zip(waits, [0.05, 0.1, 0.2], strict=True)] == [True] * 3


def test_flaky_server_recovers(server: FaultServer) -> None:
    result = fetcher().fetch(server.url("/flaky/503/2/x"))
    assert result.ok and result.attempts == 3 and result.error is None


@pytest.mark.parametrize("code", [503, 429])
def test_retry_after_seconds_is_honoured(server: FaultServer, code: int) -> None:
    path = f"/flaky/{code}/1/ra"
    result = fetcher().fetch(server.url(path) + "?retry_after=1")
    assert result.ok and result.retry_after_s == 1.0
    (wait,) = gaps(server.times(path))
    assert wait >= 0.9


def test_retry_after_http_date_is_honoured(server: FaultServer) -> None:
    path = "/flaky/503/1/date"
    result = fetcher().fetch(server.url(path) + "?retry_after=date:2")
    assert result.ok and result.retry_after_s is not None
    (wait,) = gaps(server.times(path))
    assert wait >= 0.9  # the date has whole seconds: 2 s ahead is at least 1 s


def test_retry_after_too_long_is_not_waited_and_pauses_the_host(server: FaultServer) -> None:
    url = server.url("/status/503")
    f = fetcher()
    t0 = time.monotonic()
    result = f.fetch(url + "?retry_after=3600")
    assert_failed(result, url + "?retry_after=3600", "HTTP 503", "Retry-After 3600", "not retried")
    other = f.fetch(server.url("/page/later"))
    assert time.monotonic() - t0 < 1.0
    assert_failed(other, server.url("/page/later"), "pause")
    assert len(server.hits_for("/status/503")) == 1 and server.hits_for("/page/later") == []


def test_connection_reset_is_retried(server: FaultServer) -> None:
    url = server.url("/reset")
    result = fetcher().fetch(url)
    assert_failed(result, url, "connection failed", "(3 attempts)")
    assert result.transient and len(server.hits_for("/reset")) == 3
    assert fetcher().fetch(server.url("/flaky-reset/1/x")).ok


def test_truncated_body_is_retried_and_not_returned(server: FaultServer) -> None:
    url = server.url("/truncated")
    result = fetcher().fetch(url)
    assert_failed(result, url, "connection failed")
    assert result.transient and len(server.hits_for("/truncated")) == 3


def test_read_timeout_on_slow_headers(server: FaultServer) -> None:
    url = server.url("/slow-headers?sleep=1")
    result = fetcher(retries=1).fetch(url)
    assert_failed(result, url, "read timed out after 0.5 s", "(2 attempts)")
    assert len(server.hits_for("/slow-headers")) == 2


def test_read_timeout_in_the_middle_of_the_body(server: FaultServer) -> None:
    url = server.url("/slow-body?sleep=1")
    result = fetcher(retries=1).fetch(url)
    assert_failed(result, url, "read timed out")
    assert result.transient and len(server.hits_for("/slow-body")) == 2


def test_trickling_body_is_cut_by_the_total_timeout(server: FaultServer) -> None:
    url = server.url("/trickle")
    t0 = time.monotonic()
    result = fetcher(total_timeout=0.5).fetch(url)
    assert_failed(result, url, "too slow")
    assert time.monotonic() - t0 < 2.0 and len(server.hits_for("/trickle")) == 1


def test_connection_refused_is_transient_and_host_given_up() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    f = fetcher(host_failure_limit=2, obey_robots=False)
    first = f.fetch(url)
    assert_failed(first, url, "connection failed", "(3 attempts)")
    f.fetch(url)
    third = f.fetch(url)
    assert_failed(third, url, "skipped after 2 failed fetches")
    assert third.attempts == 0 and f.stats.requests == 6


# -- redirects ---------------------------------------------------------------------------------


def test_redirects_are_followed_and_listed(server: FaultServer) -> None:
    result = fetcher().fetch(server.url("/redirect/3"))
    assert result.ok and result.final_url == server.url("/redirect/0")
    assert result.redirects == [server.url(f"/redirect/{n}") for n in (2, 1, 0)]
    assert len(result.request_times) == 4


def test_too_many_redirects(server: FaultServer) -> None:
    url = server.url("/redirect/6")
    result = fetcher().fetch(url)
    assert_failed(result, url, "too many redirects (more than 5)")
    assert len(server.hits) - 1 == 6  # robots.txt + the start and 5 hops; no 7th request


def test_redirect_loop(server: FaultServer) -> None:
    url = server.url("/loop/a")
    result = fetcher().fetch(url)
    assert_failed(result, url, "redirect loop")
    assert not result.transient and len(server.hits_for("/loop/a")) == 1


@pytest.mark.parametrize(
    "location", ["ftp://example.org/file", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_redirect_to_other_schemes_is_refused(server: FaultServer, location: str) -> None:
    url = server.url(f"/redirect-to?location={location}")
    result = fetcher().fetch(url)
    assert_failed(result, url, "unsupported scheme", location.split(":")[0])
    assert len(server.hits) == 2  # robots.txt and the redirect; nothing else


def test_redirect_to_other_host_needs_scope_or_permission(server: FaultServer) -> None:
    url = server.url("/redirect-to?location=http://other.invalid/page")
    result = fetcher().fetch(url)
    assert_failed(result, url, "off-scope host other.invalid")
    elsewhere = server.url("/page/there", host="localhost")
    url = server.url(f"/redirect-to?location={elsewhere}")
    assert not fetcher().fetch(url).ok
    assert fetcher(allow_offsite_redirects=True).fetch(url).ok
    sites = {f"127.0.0.1:{server.port}", f"localhost:{server.port}"}
    assert not fetcher().fetch(url, scope={"127.0.0.1", "localhost"}).ok  # other ports
    assert fetcher().fetch(url, scope=sites).ok
    assert fetcher(allowed_hosts=frozenset(sites)).fetch(url).ok


def test_redirect_without_location(server: FaultServer) -> None:
    url = server.url("/redirect-nolocation")
    assert_failed(fetcher().fetch(url), url, "without a Location")


# -- content: type, size, charset --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/pdf", "not HTML (application/pdf)"),
        ("/image", "not HTML (image/png)"),
        ("/pdf-untyped", "not HTML (application/pdf, sniffed)"),
    ],
)
def test_wrong_content_type_is_recorded_not_parsed(
    server: FaultServer, path: str, label: str
) -> None:
    url = server.url(path)
    f = fetcher()
    result = f.fetch(url)
    assert result.kind == "not_html" and result.status == 200 and not result.transient
    assert_failed(result, url, label)
    assert f.stats.not_html == 1 and len(server.hits_for(path)) == 1


def test_octet_stream_html_is_sniffed_as_html(server: FaultServer) -> None:
    assert fetcher().fetch(server.url("/octet-html")).ok


def test_accept_other_types_for_feeds(server: FaultServer) -> None:
    assert fetcher().fetch(server.url("/pdf"), accept=None).ok
    result = fetcher().fetch(server.url("/page/x"), accept=FEED_TYPES)
    assert result.kind == "not_html" and "unexpected content type (text/html)" in str(result.error)


def test_gzip_bomb_is_cut_off_without_taking_memory(server: FaultServer) -> None:
    url = server.url("/bomb?mb=30")
    f = fetcher(max_bytes=2_000_000)
    tracemalloc.start()
    try:
        result = f.fetch(url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_failed(result, url, "too large (more than 2000000 bytes)")
    assert not result.transient and len(server.hits_for("/bomb")) == 1
    assert peak < 8_000_000, peak  # the 30 MB never existed in memory
    assert result.bytes_downloaded < 100_000  # a few KB of gzip on the wire


def test_huge_page_is_cut_off_at_the_default_limit(server: FaultServer) -> None:
    url = server.url("/huge?mb=50")
    result = Fetcher(replace(FAST, max_bytes=FetchPolicy().max_bytes)).fetch(url)
    assert_failed(result, url, f"too large (more than {10 * 1024 * 1024} bytes)")
    assert result.status == 200 and result.bytes_downloaded < 12 * 1024 * 1024


def test_huge_declared_length_is_refused_before_reading(server: FaultServer) -> None:
    url = server.url("/huge?mb=50&cl=1")
    result = fetcher().fetch(url)
    assert_failed(result, url, "too large (Content-Length 52428800 bytes")
    assert result.bytes_downloaded < 100_000


@pytest.mark.parametrize(
    ("variant", "encoding"),
    [
        ("header", "cp1257"),
        ("meta", "cp1257"),
        ("http-equiv", "cp1257"),
        ("none", "cp1257"),
        ("iso13", "iso8859-13"),
        ("bom", "utf-8"),
        ("bom-beats-header", "utf-8"),
    ],
)
def test_lithuanian_pages_decode_right(server: FaultServer, variant: str, encoding: str) -> None:
    result = fetcher().fetch(server.url(f"/lt/{variant}"))
    assert result.ok and result.text is not None
    assert LT_LETTERS in result.text and "\ufeff" not in result.text
    assert result.encoding is not None
    assert result.encoding.replace("_", "-") == encoding.replace("_", "-")


# -- conditional GET ---------------------------------------------------------------------------


def test_conditional_get_reports_not_modified_and_bytes_saved(server: FaultServer) -> None:
    url = server.url("/cond")
    f = fetcher()
    first = f.fetch(url)
    assert first.ok and first.etag == '"v1"' and first.last_modified
    assert first.body is not None
    again = f.fetch(url, etag=first.etag, last_modified=first.last_modified, known_size=1234)
    assert again.kind == "not_modified" and again.not_modified and again.status == 304
    assert again.body is None and again.error is None and again.etag == '"v1"'
    hit = server.hits_for("/cond")[-1]
    assert hit.headers["If-None-Match"] == '"v1"'
    assert hit.headers["If-Modified-Since"] == first.last_modified
    by_date = f.fetch(url, last_modified=first.last_modified)
    assert by_date.not_modified and by_date.etag == '"v1"'
    assert f.stats.not_modified == 2 and f.stats.bytes_saved == 1234 and f.stats.fetched == 1


def test_connections_are_kept_alive_across_304s_redirects_and_error_pages(
    server: FaultServer,
) -> None:
    # requests closes a connection whose body was not read: each 304 of a re-crawl used to
    # open a new one (each a TCP, on https a TLS, handshake)
    f = fetcher()
    first = f.fetch(server.url("/cond"))
    for _ in range(5):
        assert f.fetch(server.url("/cond"), etag=first.etag).not_modified
    assert f.fetch(server.url("/redirect/2")).ok
    assert f.fetch(server.url("/status/404")).status == 404
    assert f.fetch(server.url("/page/after")).ok
    ports = {hit.client_port for hit in server.hits if hit.path != "/robots.txt"}
    assert len(server.hits) >= 10 and len(ports) == 1


@pytest.mark.parametrize(
    ("url", "built_directly"),
    [
        ("http://127.0.0.1:8080", True),
        ("https://example.org/news/2024/a-b_c~d.html", True),
        ("https://Example.org:443/search?q=a b&page=2&utm_source=x#top", False),  # any escape
        ("https://example.org/a;p=1/b/c/?x=y&z=/w", True),
        ("https://ki\u0161kis.lt/naujienos/", True),
        ("https://example.org/%7euser/\u0105?x=%2f", False),  # requests re-cases escapes
        ("https://example.org/a/./b/../c", False),  # requests removes dot segments
        ("http://user:pw@example.org/a", True),  # normalise_url drops the credentials
    ],
)
def test_a_get_built_directly_is_the_one_requests_prepares(
    url: str, built_directly: bool
) -> None:
    session = requests.Session()
    session.trust_env = False
    session.headers.update({"User-Agent": "agencywatch-test/1.0", "Accept": "text/html"})
    url, extra = normalise_url(url), {"If-None-Match": '"v1"', "If-Modified-Since": "x"}
    direct = _prepared_get(session, url, extra)
    assert (direct is not None) == built_directly
    if direct is None:  # the fetch takes requests' own path
        return
    full = session.prepare_request(requests.Request("GET", url, headers=extra))
    assert (direct.method, direct.url, direct.body) == (full.method, full.url, full.body)
    assert list(direct.headers.items()) == list(full.headers.items())


def test_requests_prepares_what_the_direct_get_may_not_know() -> None:
    def session(**changes: object) -> requests.Session:
        made = requests.Session()
        made.trust_env = False
        for name, value in changes.items():
            setattr(made, name, value)
        return made

    url = "https://example.org/a"
    assert _prepared_get(session(), url, {}) is not None
    with_cookie = session()
    with_cookie.cookies.set("consent", "yes")
    assert _prepared_get(with_cookie, url, {}) is None
    assert _prepared_get(session(trust_env=True), url, {}) is None  # proxies, .netrc
    assert _prepared_get(session(auth=("a", "b")), url, {}) is None
    assert _prepared_get(session(params={"a": "1"}), url, {}) is None
    assert _prepared_get(session(hooks={"response": [print]}), url, {}) is None
    assert _prepared_get(session(), "https://user:pw@example.org/a", {}) is None


def test_cookies_a_site_sets_are_sent_back(server: FaultServer) -> None:
    with fetcher() as f:
        assert f.fetch(server.url("/page/before")).ok
        assert f.fetch(server.url("/set-cookie/consent=yes")).ok
        assert f.fetch(server.url("/page/after")).ok
    assert "Cookie" not in server.hits_for("/page/before")[0].headers
    assert server.hits_for("/page/after")[0].headers["Cookie"] == "consent=yes"


def test_changed_etag_gets_the_body(server: FaultServer) -> None:
    result = fetcher().fetch(server.url("/cond"), etag='"v0"')
    assert result.ok and not result.not_modified and result.etag == '"v1"'


# -- robots.txt and politeness -----------------------------------------------------------------


def test_robots_disallow_is_obeyed(server: FaultServer) -> None:
    server.set_robots("User-agent: *\nDisallow: /page/private\n")
    url = server.url("/page/private")
    f = fetcher()
    result = f.fetch(url)
    assert_failed(result, url, "disallowed by robots.txt")
    assert server.hits_for("/page/private") == [] and f.stats.disallowed == 1
    assert f.fetch(server.url("/page/public")).ok
    assert fetcher(obey_robots=False).fetch(url).ok


def test_robots_group_for_our_token_wins(server: FaultServer) -> None:
    server.set_robots("User-agent: *\nDisallow: /\n\nUser-agent: agencywatch-test\nAllow: /\n")
    assert fetcher().fetch(server.url("/page/a")).ok


def test_crawl_delay_spaces_requests(server: FaultServer) -> None:
    server.set_robots("User-agent: *\nCrawl-delay: 1\n")
    f = fetcher()
    for name in ("a", "b"):
        assert f.fetch(server.url(f"/page/{name}")).ok
    all_times = [h.at for h in server.hits]  # robots.txt, a, b
    assert len(all_times) == 3 and min(gaps(all_times)) >= 0.9


def test_larger_of_source_delay_and_crawl_delay_wins(server: FaultServer) -> None:
    server.set_robots("User-agent: *\nCrawl-delay: 0.1\n")
    f = fetcher(delay=0.4)
    for name in ("a", "b", "c"):
        f.fetch(server.url(f"/page/{name}"))
    assert min(gaps(server.times())) >= 0.35
    assert f.gate.delay("127.0.0.1") == 0.4


def test_robots_server_error_disallows_the_host_for_the_run(server: FaultServer) -> None:
    server.set_robots("", status=503)
    url = server.url("/page/a")
    f = fetcher()
    result = f.fetch(url)
    assert_failed(result, url, "robots.txt unavailable", "HTTP 503")
    assert len(server.hits_for("/robots.txt")) == 3  # robots.txt itself is retried
    assert server.hits_for("/page/a") == []
    f.fetch(server.url("/page/b"))
    assert len(server.hits_for("/robots.txt")) == 3  # decided once per run


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_robots_client_error_allows_all(server: FaultServer, status: int) -> None:
    server.set_robots("User-agent: *\nDisallow: /\n", status=status)
    assert fetcher().fetch(server.url("/page/a")).ok


def test_per_host_concurrency_limit(server: FaultServer) -> None:
    f = fetcher(per_host_concurrency=2)
    urls = [server.url(f"/page/{i}?sleep=0.2") for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(f.fetch, urls))
    assert all(r.ok for r in results)
    assert server.max_inflight == 2


def test_threads_share_the_host_delay(server: FaultServer) -> None:
    f = fetcher(delay=0.3)
    urls = [server.url(f"/page/{i}") for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(r.ok for r in pool.map(f.fetch, urls))
    assert min(gaps(sorted(server.times()))) >= 0.25


def test_a_shared_gate_spans_fetchers(server: FaultServer) -> None:
    gate = HostGate()
    one, two = Fetcher(replace(FAST, delay=0.3), gate=gate), Fetcher(FAST, gate=gate)
    one.fetch(server.url("/page/a"))
    two.fetch(server.url("/page/b"))
    assert len(server.hits_for("/robots.txt")) == 1
    assert min(gaps(server.times())) >= 0.27


# -- small parts -------------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(later, now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_sniff_type() -> None:
    assert sniff_type(b"%PDF-1.7") == "application/pdf"
    assert sniff_type(b"\xef\xbb\xbf  <!DOCTYPE html>") == "text/html"
    assert sniff_type(b'<?xml version="1.0"?><rss>') == "text/xml"
    assert sniff_type(b"\x00\x01") == "application/octet-stream"


def test_fetch_errors_are_one_line_and_name_the_url() -> None:
    exc = FetchError("https://a.lt/x", "boom\n  at line 2")
    assert str(exc) == "https://a.lt/x: boom at line 2" and exc.url == "https://a.lt/x"
    assert FetchError("https://a.lt/x: HTTP 404 Not Found").reason == "HTTP 404 Not Found"
