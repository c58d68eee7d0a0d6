"""Article pages read cheaply: trafilatura on a copy of the content container, furniture lines
found from trafilatura's lines, the byline date found next to the <h1>. Each must give what
reading the whole page gives.
"""

from __future__ import annotations

import random
from itertools import islice
from pathlib import Path

import pytest

from extractors import article, container
from extractors.container import CLEANED_TAGS, content_container, narrowed_tree
from extractors.core import extract
from extractors.furniture import furniture_lines
from extractors.html import decode, iter_elements, lines, parse
from extractors.registry import Page

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted((REPO / "tests" / "pages").glob("*.html")) + sorted(
    (REPO / "fixtures").rglob("*.html"))

PARAGRAPH = ("The programme has a total budget of €8.6 million, of which 36% comes from the "
             "European Regional Development Fund, and it supports 713 SMEs in the region. ")
MENU = "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(60))
ARTICLE_PAGE = f"""<html><head><title>Clusters meet | Agency</title></head><body>
<div class="cookie-banner" role="dialog"><p>We use cookies <button>OK</button> to count
visits.</p></div>
<header><nav class="mega-menu"><ul>{MENU}</ul></nav></header>
<main class="site-main"><nav class="breadcrumbs"><a href="/">Home</a> Clusters meet</nav>
<article class="news-article"><h1>Clusters meet in Vilnius</h1>
<div class="entry-meta"><time datetime="2024-04-22">22 April 2024</time></div>
<div class="entry-content"><p>{PARAGRAPH * 4}</p><p>{PARAGRAPH * 3}</p>
<div class="newsletter-box"><p>Subscribe to our newsletter</p></div></div></article>
<aside class="related"><h2>Related</h2><ul><li><a href="/a">Another story</a></li></ul></aside>
</main>
<footer class="site-footer"><p>Agency address, Vilnius</p><form><select><option>EN</option>
</select></form><p class="copyright">© 2024 Agency</p></footer></body></html>"""


def _page(html: str, url: str = "https://agency.example.eu/news/a") -> Page:
    text = decode(html, url)
    tree = parse(text)
    assert tree is not None
    return Page(tree, url, text, "article")


def test_the_container_is_the_main_that_holds_the_article():
    page = _page(ARTICLE_PAGE)
    found = content_container(page.tree, page.html)
    assert found is not None and found.tag == "main"


def test_no_container_when_a_teaser_article_comes_first():
    teaser = '<article class="teaser"><h2>Older story</h2><p>Teaser text.</p></article>'
    html = ARTICLE_PAGE.replace("<header>", teaser + "<header>")
    page = _page(html)
    assert content_container(page.tree, page.html) is None


def test_no_container_on_a_page_without_a_headline_in_one():
    html = ARTICLE_PAGE.replace("<h1>Clusters meet in Vilnius</h1>", "")
    page = _page(html)
    assert content_container(page.tree, page.html) is None


def test_the_narrowed_tree_keeps_the_ancestors_without_their_other_children():
    page = _page(ARTICLE_PAGE)
    found = content_container(page.tree, page.html)
    assert found is not None
    narrowed = narrowed_tree(found)
    assert narrowed is not None
    assert [el.tag for el in narrowed.iter("html", "body", "main", "nav", "footer")] == [
        "html", "body", "main", "nav"]  # the breadcrumbs are the main's own
    assert narrowed.find(".//main").get("class") == "site-main"


def test_cleaned_tags_are_trafilaturas():
    from trafilatura.settings import MANUALLY_CLEANED

    assert set(MANUALLY_CLEANED) - {"form"} == CLEANED_TAGS


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_article_text_is_the_whole_page_reading(path, monkeypatch):
    url = "https://agency.example.eu/news/a"
    narrowed = extract(path.read_bytes(), url, kind="article")
    monkeypatch.setattr(article, "content_container", lambda tree, html: None)
    whole = extract(path.read_bytes(), url, kind="article")
    assert narrowed == whole


def test_article_text_of_a_menu_heavy_page_is_the_whole_page_reading(monkeypatch):
    url = "https://agency.example.eu/news/a"
    narrowed = extract(ARTICLE_PAGE, url, kind="article")
    monkeypatch.setattr(article, "content_container", lambda tree, html: None)
    assert narrowed == extract(ARTICLE_PAGE, url, kind="article")
    assert narrowed.text.startswith("The programme has a total budget")
    assert "Section 3" not in narrowed.text and "Subscribe to our newsletter" not in narrowed.text
    assert (narrowed.title, narrowed.date, len(narrowed.figures)) == (
        "Clusters meet in Vilnius", "2024-04-22", 3)


def _all_furniture_lines(page: Page) -> set[str]:
    return furniture_lines(page, set(lines(page.tree)) | {"x"}, None)


@pytest.mark.parametrize("html", [
    ARTICLE_PAGE,
    # a line of a block beside the container that the container repeats
    ARTICLE_PAGE.replace("Agency address, Vilnius", "Clusters meet in Vilnius"),
    # a line that a skipped <button> splits in the page text
    ARTICLE_PAGE.replace("<h1>Clusters meet in Vilnius</h1>",
                         "<h1>Clusters meet in Vilnius</h1><p>We use cookies to count visits.</p>"),
])
def test_furniture_lines_around_a_container_are_the_whole_pages(html):
    page = _page(html)
    wanted = set(lines(page.tree)) | {"x"}
    everything = furniture_lines(page, wanted, None)
    assert "Subscribe to our newsletter" in everything
    assert "We use cookies to count visits." in everything
    rng = random.Random(3)
    elements = list(iter_elements(page.tree))
    for near in [content_container(page.tree, page.html), *rng.sample(elements, 15)]:
        assert furniture_lines(_page(html), wanted, near) == everything


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_furniture_lines_around_any_element_are_the_whole_pages(path):
    page = _page(path.read_bytes().decode("utf-8", "replace"))
    everything = _all_furniture_lines(page)
    wanted = set(lines(page.tree)) | {"x"}
    rng = random.Random(path.name)
    elements = list(iter_elements(page.tree))
    for near in rng.sample(elements, min(8, len(elements))):
        assert furniture_lines(page, wanted, near) == everything


@pytest.mark.parametrize("path", [*PAGES[:6], None], ids=lambda p: p.name if p else "menu")
def test_date_windows_are_the_element_lists(path):
    html = path.read_bytes().decode("utf-8", "replace") if path else ARTICLE_PAGE
    page = _page(html)
    body = page.tree.find("body")
    base = body if body is not None else page.tree
    elements = list(iter_elements(base))
    for i, el in enumerate(elements):
        assert list(islice(article._following(el, base), 40)) == elements[i + 1: i + 41]
        assert list(islice(article._preceding(el, base), 12)) == elements[max(0, i - 12): i][::-1]


def test_container_share_rule_reads_trafilaturas_paragraphs():
    # paragraphs in the footer are not the page's: trafilatura drops them
    long_footer = _page(ARTICLE_PAGE.replace("Agency address, Vilnius", "Agency address " * 200))
    assert container._p_text(long_footer.tree) == container._p_text(_page(ARTICLE_PAGE).tree)
    assert content_container(long_footer.tree, long_footer.html) is not None
