"""Finding pages to follow: pagination, item detail links, sitemaps and feeds."""

from __future__ import annotations

import gzip
import time

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.links import FollowLinks, find_follow_links
from flows.fetch.discovery import (
    FeedEntry,
    parse_feed,
    parse_sitemap,
    parse_sitemap_index,
)

PAGE = "https://www.agency.lt/en/news?utm_source=x"
HOSTS = {"www.agency.lt"}

NEWS_LIST = """<!doctype html><html><head><title>News</title>
<link rel="next" href="/en/news?page=1"></head><body>
<div class="eu-cookie-compliance-banner"><a href="/en/privacy-policy">Read more</a>
  <a href="/en/cookies" class="agree">I agree</a></div>
<header class="site-header"><nav><ul class="menu">
  <li><a href="/en/about">About the agency</a></li><li><a href="/en/news">News</a></li>
  <li><a href="/en/events">Upcoming events</a></li></ul></nav></header>
<ol class="breadcrumb"><li><a href="/en">Home page here</a></li>
  <li><a href="/en/x">Section x</a></li></ol>
<main>
<div class="view-content">
  <div class="views-row views-row-1 views-row-odd">
    <h2 class="title"><a href="/en/news/first-call-opens#main">First call opens</a></h2>
    <span class="date">2024-01-05</span>
    <p>Apply <a href="https://other.example.org/form">on the portal</a> or read
       <a href="/sites/default/files/guide.PDF">the guide</a>.</p>
    <a href="/en/news/first-call-opens" class="more">Read more</a>
  </div>
  <div class="views-row views-row-2 views-row-even">
    <h2 class="title"><a href="/en/news/second">Second news item</a></h2>
    <p>Ask <a href="mailto:info@agency.lt">us</a> or call <a href="tel:+3705">us</a>,
       <a href="javascript:void(0)">share</a>, <a href="/en/topics/innovation">innovation</a>.</p>
    <a href="/en/news/second?utm_medium=list">Read more ›</a>
  </div>
  <div class="views-row views-row-3"><article class="node">
    <header><h2><a href="/en/news/third">Third, with its own header</a></h2></header>
    <footer><a href="/en/news/third" class="readmore">Skaityti daugiau</a></footer>
  </article></div>
</div>
<nav class="pager" role="navigation" aria-label="Pagination"><ul class="pager__items">
  <li class="pager__item is-active"><a href="/en/news">1</a></li>
  <li class="pager__item"><a href="/en/news?page=1">2</a></li>
  <li class="pager__item"><a href="/en/news?page=2">3</a></li>
  <li class="pager__item pager__item--next"><a href="/en/news?page=1" rel="next">Next ›</a></li>
  <li class="pager__item pager__item--last"><a href="/en/news?page=9">Last »</a></li>
</ul></nav>
</main>
<aside><ul><li><a href="/en/news/popular">A popular news item</a></li>
  <li><a href="/en/news/popular-2">Another popular item</a></li></ul></aside>
<footer><ul><li><a href="/en/contacts">Contacts of the agency</a></li>
  <li><a href="/en/sitemap">Site map page</a></li></ul></footer>
</body></html>"""


def url(path: str) -> str:
    return f"https://www.agency.lt{path}"


def test_news_listing_detail_links_and_pages() -> None:
    links = find_follow_links(NEWS_LIST.encode(), PAGE, HOSTS)
    assert links.detail_links == [
        url("/en/news/first-call-opens"),
        url("/en/news/second"),
        url("/en/news/third"),
    ]
    assert links.next_pages == [url("/en/news?page=1"), url("/en/news?page=2")]


def test_accepts_a_parsed_tree_and_str() -> None:
    tree = lxml.html.document_fromstring(NEWS_LIST)
    by_tree = find_follow_links(tree, PAGE, HOSTS)
    by_str = find_follow_links(NEWS_LIST, PAGE, HOSTS)
    assert by_tree == by_str == find_follow_links(NEWS_LIST.encode(), PAGE, HOSTS)


def test_scope_defaults_to_the_page_host() -> None:
    assert find_follow_links(NEWS_LIST, PAGE).detail_links[0] == url("/en/news/first-call-opens")
    assert find_follow_links(NEWS_LIST, PAGE, {"elsewhere.lt"}) == FollowLinks()


EVENTS_LT = """<html><body><main>
<div class="events">
  <article class="event"><h3><a href="renginiai/inovaciju-diena">Inovacijų diena</a></h3>
    <p>2024 m. gegužės 5 d.</p><a href="renginiai/inovaciju-diena">More about event</a></article>
  <article class="event"><h3><a href="renginiai/forumas">Forumas</a></h3>
    <a href="/media/forumas.jpg">photo</a> <a href="/failai/programa.docx">programa</a></article>
  <a class="card" href="renginiai/seminaras"><h3>Seminaras</h3><p>Kaunas</p></a>
  <a class="card" href="renginiai/dirbtuves"><h3>Dirbtuvės</h3></a>
</div>
<p>See also <a href="renginiai/archyvas">the archive</a> and
  <a href="renginiai/kiti">others</a>.</p>
<div class="paging"><a href="?psl=2">Kitas</a> <a href="?psl=3">»</a>
  <a href="?psl=0">‹ Ankstesnis</a></div>
</main></body></html>"""


def test_lithuanian_events_cards_and_pager_words() -> None:
    page = "https://renginiai.lt/lt/"
    links = find_follow_links(EVENTS_LT.encode("utf-8"), page, {"renginiai.lt"})
    assert links.detail_links == [
        "https://renginiai.lt/lt/renginiai/inovaciju-diena",
        "https://renginiai.lt/lt/renginiai/forumas",
        "https://renginiai.lt/lt/renginiai/seminaras",
        "https://renginiai.lt/lt/renginiai/dirbtuves",
    ]
    assert links.next_pages == ["https://renginiai.lt/lt/?psl=2", "https://renginiai.lt/lt/?psl=3"]


def test_plain_list_of_links_and_base_href() -> None:
    html = """<html><head><base href="https://a.lt/naujienos/"></head><body><ul>
      <li><a href="pirma-naujiena">Pirma naujiena apie kvietimą</a> 2024-01-02</li>
      <li><a href="antra">Antra naujiena</a> 2024-01-03</li>
      <li><a href="x">Short</a></li></ul>
      <p><a href="2" class="page-numbers">2</a> <a href="?page=3">3</a> <a href="/x/7">7</a></p>
      </body></html>"""
    links = find_follow_links(html, "https://a.lt/naujienos/sarasas", {"a.lt"})
    assert links.detail_links == [
        "https://a.lt/naujienos/pirma-naujiena",
        "https://a.lt/naujienos/antra",
    ]
    assert links.next_pages == ["https://a.lt/naujienos/?page=3"]


PAGER_SAMPLES = [
    (NEWS_LIST, PAGE, HOSTS),
    (EVENTS_LT, "https://renginiai.lt/lt/renginiai", {"renginiai.lt"}),
    (
        '<html><head><base href="https://a.lt/n/"></head><body><ul><li><a href="a">A long'
        ' title</a></li><li><a href="b">B long title</a></li></ul><a href="2" class="page-'
        'numbers">2</a> <a href="?page=3">3</a> <a rel="next" href="?page=2">›</a>'
        ' <a href="?page=0" rel="prev">1</a><header><a href="/s">Next</a></header></body></html>',
        "https://a.lt/n/list",
        {"a.lt"},
    ),
]


def test_pagination_alone_finds_the_same_pages() -> None:
    # the crawl asks for the pager only (its detail links come from the extracted items)
    for html, page, hosts in PAGER_SAMPLES:
        full = find_follow_links(html, page, hosts)
        alone = find_follow_links(html, page, hosts, details=False)
        assert full.next_pages, page
        assert alone == FollowLinks(full.next_pages, [])


def test_single_article_page_has_no_detail_links() -> None:
    html = """<html><body><article><h1><a href="/self">Title</a></h1>
      <p>Text with <a href="/en/other">a link</a> and <a href="/en/more">another one</a>.</p>
      <h2><a href="/en/section">A heading link</a></h2></article></body></html>"""
    assert find_follow_links(html, "https://a.lt/self", {"a.lt"}).detail_links == []


def test_empty_and_garbage_input() -> None:
    assert find_follow_links(b"", "https://a.lt/", {"a.lt"}) == FollowLinks()
    assert find_follow_links(b"\x00\xff\xfe", "https://a.lt/", {"a.lt"}) == FollowLinks()
    xml_decl = '<?xml version="1.0" encoding="utf-8"?><html><body><a rel="next" href="/2">x</a>'
    assert find_follow_links(xml_decl, "https://a.lt/", {"a.lt"}).next_pages == ["https://a.lt/2"]


def test_big_listing_is_fast() -> None:
    rows = "".join(
        f'<div class="views-row"><h2><a href="/n/{i}">News {i}</a></h2><p>{"text " * 50}</p>'
        f'<a href="/n/{i}">Read more</a></div>'
        for i in range(2000)
    )
    html = f"<html><body><main><div class='view'>{rows}</div></main></body></html>".encode()
    t0 = time.perf_counter()
    links = find_follow_links(html, "https://a.lt/n", {"a.lt"})
    assert len(links.detail_links) == 2000
    assert time.perf_counter() - t0 < 3.0


# -- sitemaps and feeds -----------------------------------------------------------------------

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://a.lt/en/news/1</loc><lastmod>2024-01-01</lastmod></url>
  <url><loc> https://a.lt/en/news/2?utm_source=sm </loc></url>
  <url><loc>/relative</loc></url>
  <url><loc>ftp://a.lt/file</loc></url>
  <url><loc>https://a.lt/en/news/1</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://a.lt/sitemap-1.xml</loc></sitemap>
<sitemap><loc>https://a.lt/sitemap-2.xml.gz</loc></sitemap></sitemapindex>"""


def test_parse_sitemap() -> None:
    expected = ["https://a.lt/en/news/1", "https://a.lt/en/news/2", "https://a.lt/relative"]
    assert parse_sitemap(SITEMAP, "https://a.lt/sitemap.xml") == expected
    assert parse_sitemap(gzip.compress(SITEMAP), "https://a.lt/sitemap.xml.gz") == expected
    assert parse_sitemap_index(SITEMAP, "https://a.lt/") == []


def test_parse_sitemap_index() -> None:
    assert parse_sitemap_index(INDEX, "https://a.lt/") == [
        "https://a.lt/sitemap-1.xml",
        "https://a.lt/sitemap-2.xml.gz",
    ]
    assert parse_sitemap(INDEX, "https://a.lt/") == []


def test_text_sitemap_and_garbage() -> None:
    text = b"https://a.lt/a\nhttps://a.lt/b\n\n"
    assert parse_sitemap(text, "https://a.lt/") == ["https://a.lt/a", "https://a.lt/b"]
    assert parse_sitemap(b"<urlset><url><loc>broken", "https://a.lt/") == []
    assert parse_feed(b"not xml at all", "https://a.lt/") == []


def test_xml_bombs_and_external_entities_are_refused() -> None:
    laughs = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
      <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
      <urlset><url><loc>https://a.lt/&lol2;</loc></url></urlset>"""
    xxe = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
      <rss><channel><item><link>https://a.lt/&x;</link></item></channel></rss>"""
    assert parse_sitemap(laughs, "https://a.lt/") == []
    assert parse_feed(xxe, "https://a.lt/") == []
    bomb = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024) + b"</urlset>")
    assert parse_sitemap(bomb, "https://a.lt/") == []


RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>Naujienos</title><link>https://a.lt/</link>
<item><title>Kvietimas teikti paraiškas</title><link>https://a.lt/n/1?utm_source=rss</link>
  <pubDate>Tue, 05 Mar 2024 10:00:00 +0200</pubDate></item>
<item><title>Be nuorodos</title><guid isPermaLink="true">https://a.lt/n/2</guid></item>
<item><title>Neteisinga</title><guid isPermaLink="false">id-3</guid></item>
<item><title>Sąlyginė data</title><link>/n/4</link><pubDate>sometime</pubDate></item>
</channel></rss>""".encode()

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Events</title>
<entry><title>Forum</title><link rel="alternate" href="https://a.lt/e/forum"/>
  <link rel="enclosure" href="https://a.lt/e/forum.pdf"/><updated>2024-05-01T09:00:00Z</updated></entry>
<entry><title>Seminar</title><link href="e/seminar"/><published>2024-06-01</published></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://a.lt/"><title>x</title></channel>
<item rdf:about="https://a.lt/r/1"><title>One</title><link>https://a.lt/r/1</link>
  <dc:date>2024-02-03</dc:date></item></rdf:RDF>"""


def test_parse_rss() -> None:
    assert parse_feed(RSS, "https://a.lt/feed") == [
        FeedEntry("https://a.lt/n/1", "Kvietimas teikti paraiškas", "2024-03-05T10:00:00+02:00"),
        FeedEntry("https://a.lt/n/2", "Be nuorodos", None),
        FeedEntry("https://a.lt/n/4", "Sąlyginė data", "sometime"),
    ]


def test_parse_atom_and_rdf() -> None:
    assert parse_feed(ATOM, "https://a.lt/feed.atom") == [
        FeedEntry("https://a.lt/e/forum", "Forum", "2024-05-01T09:00:00Z"),
        FeedEntry("https://a.lt/e/seminar", "Seminar", "2024-06-01"),
    ]
    assert parse_feed(RDF, "https://a.lt/") == [FeedEntry("https://a.lt/r/1", "One", "2024-02-03")]


# -- the pager test's short cuts ------------------------------------------------------------------
# `_text` reads a link's text without text_content() when it has no child elements, the scan
# reads it once for all the pager tests, and `_is_next` looks for "next" in names and labels
# before splitting them: each answer must be the one the plain reading gives.


def _plain_tokens(el: lxml.html.HtmlElement) -> set[str]:
    import re

    text = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return {t for t in re.split(r"[\s_-]+", text) if t}


def _plainly_may_paginate(a: lxml.html.HtmlElement) -> bool:
    import re

    text = " ".join(a.text_content().split()).lower()
    if text.isdigit() and len(text) <= 4:
        return True
    if "next" in (a.get("rel") or "").lower().split():
        return True
    arrows = "›»→>≫⟩"
    bare = " ".join(text.strip(arrows + " ").split())
    words = {"next", "next page", "kitas", "kitas puslapis", "toliau", "sekantis",
             "sekantis puslapis"}  # fmt: skip
    if bare in words or (text and not text.strip(arrows + " ")):
        return not text.startswith("last") and "«" not in text
    label = f"{a.get('aria-label') or ''} {a.get('title') or ''}".lower()
    if re.search(r"\bnext\b|kitas", label):
        return True
    parent = a.getparent()
    return "next" in _plain_tokens(a) or (parent is not None and "next" in _plain_tokens(parent))


_WORDS = ["", "2", "17", "12345", "Next", "NEXT page", "kitas", "Kitas puslapis", "»", "› ›",
          "Last »", "« Prev", "next-ish", "Read more", "Nextcloud", " 3 ", "²",
          "K\u212aS"]  # fmt: skip
_NAMES = ["", "next", "pager__item--next", "nextpage", "pager next", "menu", "Next_link",
          "item-nexting", "NEXT"]  # fmt: skip


@given(
    text=st.sampled_from(_WORDS),
    inner=st.sampled_from(["", "<span>{}</span>", "<b>x</b>{}", "{}<!-- c -->", "<i></i>"]),
    cls=st.sampled_from(_NAMES),
    ident=st.sampled_from(_NAMES),
    parent_cls=st.sampled_from(_NAMES),
    rel=st.sampled_from(["", "next", "prev", "Next nofollow"]),
    label=st.sampled_from(["", "Next page", "nextgen", "Kitas", "Go to page 3", "the next"]),
    title=st.sampled_from(["", "Kitas puslapis", "Previous", "NEXT"]),
)
@settings(max_examples=400, deadline=None)
def test_the_pager_test_reads_links_as_written(
    text: str, inner: str, cls: str, ident: str, parent_cls: str, rel: str, label: str,
    title: str,
) -> None:
    from html import escape

    from extractors.links import _may_paginate, _text

    content = inner.format(escape(text)) if "{}" in inner else escape(text) + inner
    attrs = "".join(
        f' {name}="{escape(value)}"'
        for name, value in (("class", cls), ("id", ident), ("rel", rel), ("aria-label", label),
                            ("title", title))
        if value
    )
    html = f'<html><body><div class="{parent_cls}"><a href="/x"{attrs}>{content}</a></div>'
    a = next(lxml.html.document_fromstring(html).iter("a"))
    assert _may_paginate(a, _text(a)) == _plainly_may_paginate(a), html
