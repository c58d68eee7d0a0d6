"""Input that is not a nice page: no crash, no hang, a clear error only for non-HTML.

Time bounds are generous on purpose (CI machines vary); they catch hangs and quadratic
blow-ups, not small slowdowns.
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.core import extract
from extractors.errors import ExtractionError

URL = "https://agency.example.eu/page"


def timed(html: bytes | str, kind: str = "auto"):
    start = time.perf_counter()
    result = extract(html, URL, kind=kind)
    return result, time.perf_counter() - start


@pytest.mark.parametrize("html", [b"", "", "   \n\t ", b"\xef\xbb\xbf", "<!-- only -->"])
def test_empty_input_gives_empty_records(html):
    result = extract(html, URL)
    assert (result.news, result.events, result.good_practices, result.figures) == ((),) * 4
    assert result.kind == "article" and result.url == URL


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>",
    b"PK\x03\x04" + os.urandom(2000),
    b"\x1f\x8b\x08\x00" + os.urandom(2000),
    bytes(range(32)) * 100,
])
def test_binary_input_raises_extraction_error_naming_the_url(data):
    with pytest.raises(ExtractionError, match=r"agency\.example\.eu/page.*binary"):
        extract(data, URL)


@pytest.mark.parametrize("html", [
    "<html><body><div class='news'><div class='item'><h3><a href='/a'>One",
    "<html><body><table><tr><td><a href='/a'>x</a><td>1 May 2020",
    "<html><head><title>T</title></head><body><p>Unclosed <b>bold <i>italic",
    "<div><div><div></span></p></div>",
    "<<<>>><a href=>",
    "<html><body><script>unterminated(",
])
def test_truncated_or_broken_html_does_not_crash(html):
    result, _ = timed(html)
    assert result.url == URL


def test_truncated_list_keeps_the_complete_items():
    html = ("<html><body><div class='news'>"
            "<div class='item'><span class='date'>1 May 2020</span><h3><a href='/a'>First "
            "news</a></h3></div><div class='item'><span class='date'>2 May 2020</span><h3>"
            "<a href='/b'>Second news</a></h3></div><div class='item'><span class='da")
    result, _ = timed(html)
    assert [n.title for n in result.news][:2] == ["First news", "Second news"]


@pytest.mark.parametrize("kind", ["auto", "article", "events"])
def test_100k_nested_divs_in_bounded_time(kind):
    html = "<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000 + "</body>"
    _, seconds = timed(html, kind)
    assert seconds < 60


def test_100k_unclosed_tags_in_bounded_time():
    _, seconds = timed("<html><body>" + "<div><p><b>x" * 100_000)
    assert seconds < 60


def test_5000_table_rows_in_bounded_time():
    rows = "".join(f"<tr><td>{i % 28 + 1:02d}.{i % 12 + 1:02d}.2020</td><td><a href='/n/{i}'>"
                   f"Press release number {i} of the year</a></td></tr>" for i in range(5000))
    result, seconds = timed(f"<html><body><table>{rows}</table></body></html>")
    assert seconds < 60
    assert len(result.news) == 5000
    assert result.news[4999].date == "2020-08-16" and result.news[4999].url.endswith("/n/4999")


def test_5000_rows_of_bare_links_are_no_flood_of_items():
    rows = "".join(f"<tr><td><a href='/n/{i}'>Link {i}</a></td><td>x</td></tr>"
                   for i in range(5000))
    result, seconds = timed(f"<html><body><table>{rows}</table></body></html>")
    assert seconds < 60
    assert result.news == () and result.events == ()


def test_5000_alternating_date_and_content_rows_never_mix_two_items():
    rows = "".join(f"<tr><td>{i % 28 + 1} May 2020</td></tr><tr><td><a href='/n/{i}'>Item {i} "
                   f"of the long list</a></td></tr>" for i in range(2500))
    result, seconds = timed(f"<html><body><table>{rows}</table></body></html>")
    assert seconds < 60
    assert [(n.title, n.date) for n in result.news] == [
        (f"Item {i} of the long list", f"2020-05-{i % 28 + 1:02d}") for i in range(2500)]


def test_every_item_with_the_same_date_is_still_one_item_each():
    items = "".join(f"<li><a href='/n/{i}'>Story {i} of the day</a> <span class='date'>1 May "
                    f"2020</span></li>" for i in range(3000))
    result, seconds = timed(f"<html><body><ul>{items}</ul></body></html>")
    assert seconds < 60
    assert [(n.title, n.date, n.url) for n in result.news] == [
        (f"Story {i} of the day", "2020-05-01", f"https://agency.example.eu/n/{i}")
        for i in range(3000)]


@pytest.mark.parametrize("kind", ["auto", "news_list"])
def test_deeply_nested_lists_in_bounded_time_without_a_flood(kind):
    # every item holds the next list: only the innermost list is a list, its items are few
    level = "<ul>" + "".join(f"<li><a href='/n/{{d}}-{i}'>Item {{d}} {i} of the list</a> "
                             f"2020-01-0{i + 1}" for i in range(2))
    html = "".join(level.format(d=d) for d in range(400)) + "</li></ul>" * 400
    result, seconds = timed(f"<html><body>{html}</body></html>", kind)
    assert seconds < 60
    assert len(result.news) <= 2


@pytest.mark.slow
def test_10mb_page_in_bounded_time():
    item = ("<div class='item'><span class='date'>{d} March 2020</span><h3><a href='/n/{i}'>"
            "News item {i} on clusters</a></h3><p>Teaser {i}: the agency supports cluster "
            "number {i} in the region.</p></div>\n")
    items = "".join(item.format(i=i, d=i % 28 + 1) for i in range(3000))
    prose = "".join(f"<p>Paragraph {i} tells how cluster {i} grew and what it exported in "
                    f"its region.</p>\n" for i in range(110_000))
    html = f"<html><body><div class='news'>{items}</div><article>{prose}</article></body></html>"
    assert len(html) > 10_000_000
    result, seconds = timed(html.encode())
    assert seconds < 180
    assert result.url == URL


def test_cp1257_bytes_without_declaration_decode_as_baltic():
    html = "<html><body><p>Agentūra skyrė lėšų Ūkio ministerijos klasteriams.</p></body></html>"
    result = extract(html.encode("cp1257"), URL, kind="article")
    assert "Agentūra skyrė lėšų Ūkio ministerijos" in result.text


def test_declared_charset_wins():
    html = ('<html><head><meta charset="windows-1251"></head><body><p>Агентство поддерживает '
            'кластеры в регионе уже много лет подряд.</p></body></html>')
    result = extract(html.encode("cp1251"), URL, kind="article")
    assert "Агентство поддерживает кластеры" in result.text


def test_declared_utf8_with_a_stray_byte_is_still_utf8():
    body = ("<html><head><meta charset='utf-8'></head><body><p>Agentūra skyrė lėšų "
            "klasteriams.</p></body></html>").encode() + b"\xff"
    result = extract(body, URL, kind="article")
    assert "Agentūra skyrė lėšų" in result.text


def test_utf16_with_bom_and_xml_declaration():
    html = '<?xml version="1.0" encoding="utf-16"?><html><body><p>Vieta: Vilnius</p></body></html>'
    result = extract(html.encode("utf-16"), URL, kind="article")
    assert result.url == URL


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abcdivpah1l&;#0123456789\n")),
               max_size=400))
def test_random_markup_never_crashes(html):
    result = extract(html, URL)
    assert isinstance(result.text, str)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_either_parse_or_raise_extraction_error(data):
    try:
        extract(data, URL)
    except ExtractionError as exc:
        assert URL in str(exc)


def test_a_sidebar_of_thousands_of_event_boxes_is_read_in_bounded_time_and_size():
    # the sidebar's events widgets are read after the content: a hostile sidebar of 20,000
    # boxes named "event", flat or nested, yields a handful of widgets, not a flood
    flat = "".join(f"<div class='event-{i}'><ul><li>March {i % 28 + 1}, 2023</li>"
                   f"<li>6 pm</li></ul></div>" for i in range(20_000))
    nested = "".join(f"<div class='event-box'><p>March {i % 28 + 1}, 2023 at 6 pm</p>"
                     for i in range(3_000)) + "</div>" * 3_000
    for side in (flat, nested):
        html = (f"<html><body><main><h1>Board meetings</h1><p>Board meeting March 3, 2023</p>"
                f"</main><aside>{side}</aside></body></html>")
        result, seconds = timed(html, "events")
        assert seconds < 30
        assert 1 <= len(result.events) <= 40
