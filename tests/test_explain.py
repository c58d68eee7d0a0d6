"""`agencywatch extract --explain`: which regions were considered, what each looked like, why
each was kept or rejected, and what to put in `selectors`."""

from __future__ import annotations

from extractors.core import ReadOptions, read_page
from extractors.explain import explain
from extractors.trace import active, note
from flows.cli.main import main

NEWS = "".join(
    f'<li class="news-item"><h3><a href="/news/{i}">News item number {i} of the agency</a></h3>'
    f'<span class="date">2024-0{i}-10</span></li>'
    for i in range(1, 5)
)
MENU = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(1, 7))
PAGE = (f'<html><body><nav><ul class="menu">{MENU}</ul></nav><main>'
        f'<ul id="news">{NEWS}</ul>'
        '<div class="links"><p><a href="/a">A</a></p><p><a href="/b">B</a></p>'
        '<p><a href="/c">C</a></p></div></main></body></html>')
# the same list with nothing that dates it or tells its items apart from a run of links
UNDATED = ('<html><body><main><div class="results">'
           + "".join(f'<div class="result"><a href="/r/{i}">Result {i}</a></div>' for i in range(6))
           + "</div></main></body></html>")


def test_kept_and_rejected_regions_with_their_reasons() -> None:
    text = explain(PAGE, "https://agency.example/news", options=ReadOptions(kind="news_list"))
    assert "records: 4 news" in text
    assert "kept     ul#news" in text and "a list of 4 items, read as news" in text
    assert "rejected" in text and "div.links" in text
    assert 'selectors = { item = "ul#news > li.news-item" }' in text


def test_a_page_that_gives_nothing_is_told_what_to_try() -> None:
    text = explain(UNDATED, "https://agency.example/search", options=ReadOptions(kind="auto"))
    assert "records: none" in text
    assert "no region read as a list" in text
    assert 'selectors = { item = "body > main > div.results > div.result" }' in text
    assert "neither dated nor with a teaser" in text


def test_explain_reads_as_extract_does_and_traces_nothing_otherwise() -> None:
    options = ReadOptions(kind="news_list")
    assert not active()
    note("lists", "x", "kept", "outside a trace: nothing recorded")
    plain = read_page(PAGE, "https://agency.example/news", None, options).extraction
    assert len(plain.news) == 4
    assert explain(PAGE, "https://agency.example/news", options=options).count("kept") >= 1


def test_the_cli_prints_the_explanation_escaped(tmp_path, capsys) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE.replace("News item number 1", "News item \x1b]0;owned\x07 number 1"),
                    encoding="utf-8")
    assert main(["extract", str(page), "--url", "https://agency.example/news", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "candidate regions" in out and "\x1b" not in out and "\x07" not in out
