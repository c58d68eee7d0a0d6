"""News lists in the shapes real listing pages take (issue 19): card links, bylines, rows that
make one item together, numeric dates read the page's way, year-less dates, release tables,
schema.org ItemList, listings with an introduction, and never a record made of two items.

Every page is built here, small, one shape each.
"""

from __future__ import annotations

from extractors.core import extract
from extractors.records import NewsItem

URL = "https://agency.example.eu/news/"


def page(body: str, *, lang: str = "en", head: str = "", kind: str = "auto"):
    html = f'<html lang="{lang}"><head>{head}</head><body><main>{body}</main></body></html>'
    return extract(html, URL, kind=kind)


def news(body: str, **kw) -> list[tuple[str, str | None, str | None]]:
    return [(n.title, n.date, n.url) for n in page(body, **kw).news]


TEASERS = (
    "The harbour works start in June and will last for two years, the port said today.",
    "The council adopted the budget after a long debate on transport and schools.",
    "Schools will open a week earlier next autumn to make up for the lost days.",
)
TITLES = ("Harbour works start in the north port", "Council adopts the budget for next year",
          "Schools open a week earlier in autumn")


def test_undated_latest_news_box_of_headings_teasers_and_read_more():
    boxes = "".join(
        f'<div class="box"><h3><a href="/news/{i}">{t}</a></h3><p>{s}</p>'
        f'<a href="/news/{i}">Read more</a></div>'
        for i, (t, s) in enumerate(zip(TITLES, TEASERS, strict=True)))
    got = page(f'<h2>Latest news</h2><div class="latest">{boxes}</div>')
    assert got.kind == "news_list"
    assert [(n.title, n.date, n.summary, n.url) for n in got.news] == [
        (t, None, s, f"{URL}{i}") for i, (t, s) in enumerate(zip(TITLES, TEASERS, strict=True))]


def test_card_links_holding_picture_label_title_and_date():
    cards = "".join(
        f'<a class="card" href="/news/{i}"><img src="{i}.jpg" alt=""><span class="tag">Energy'
        f'</span><div class="card-text">{t}</div><div class="meta">{d} May 2022</div></a>'
        for i, (t, d) in enumerate(zip(TITLES, (12, 10, 2), strict=True)))
    assert news(f'<div class="grid">{cards}</div>') == [
        (TITLES[0], "2022-05-12", f"{URL}0"), (TITLES[1], "2022-05-10", f"{URL}1"),
        (TITLES[2], "2022-05-02", f"{URL}2")]


def test_card_link_title_attribute_names_the_item():
    cards = "".join(
        f'<li><a title="{t}" href="/news/{i}"><p class="fbd">{t}</p>'
        f'<p><span>Markets</span> <span>02/2{i}(金) 19:1{i}</span></p></a></li>'
        for i, t in enumerate(TITLES))
    got = page(f'<ul class="list-link">{cards}</ul>', lang="ja")
    # a year-less date and no date of the page's own: the year is not invented
    assert [(n.title, n.date) for n in got.news] == [(t, None) for t in TITLES]


def test_year_less_dates_take_the_year_nearest_the_page_date():
    items = "".join(
        f'<li><a href="/news/{i}">{t}</a><span class="stamp">{d}</span></li>'
        for i, (t, d) in enumerate(zip(TITLES, ("01/03(水) 09:00", "12/28(木) 18:30",
                                                "12/27(水) 08:15"), strict=True)))
    head = '<meta property="article:modified_time" content="2024-01-03T10:00:00+09:00">'
    assert news(f"<ul>{items}</ul>", lang="ja", head=head) == [
        (TITLES[0], "2024-01-03T09:00", f"{URL}0"), (TITLES[1], "2023-12-28T18:30", f"{URL}1"),
        (TITLES[2], "2023-12-27T08:15", f"{URL}2")]


def test_clock_times_alone_make_a_list_of_cards():
    cards = "".join(
        f'<a class="post_item" href="/news/{i}"><div class="item_thumb"><img src="x.png"></div>'
        f'<div class="item_ttl">{t}</div><div class="item_time">1{i}時0{i}分</div>'
        f'<div class="item_dist">Kyodo</div></a>' for i, t in enumerate(TITLES))
    assert news(f'<div class="post_items">{cards}</div>', lang="ja") == [
        (t, None, f"{URL}{i}") for i, t in enumerate(TITLES)]


def test_a_post_time_beside_share_links_is_no_list():
    body = ('<h1>Song lyrics</h1><p>' + "Verse line. " * 80 + '</p><div class="post-footer">'
            '<div><a href="https://share.example/t?u=1">Share to Twitter</a> Posted at '
            '<abbr class="published">12:11 PM</abbr></div>'
            '<div><a href="/label/pop">Pop music of the year</a> Labels: pop</div></div>')
    got = page(body)
    assert got.kind == "article"
    assert got.news == ()


def test_one_dated_byline_beside_share_links_is_no_list():
    body = ('<article class="post"><h1>Largest solar plant opens</h1>'
            '<div class="row"><figure><img src="plant.jpg"><figcaption><a href="https://maker'
            '.example/">Maker Group</a></figcaption></figure><p>1.12.2022 | Source: '
            'maker.example</p>' + "".join(f"<p>{s} {s}</p>" for s in TEASERS) * 2 + '</div>'
            '<div class="row"><a href="https://share.example/?u=1">Share on the network</a> '
            '<a href="mailto:x@example.org">E-mail</a></div></article>')
    got = page(body)
    assert got.kind == "article"
    assert got.news == ()


def test_schema_itemlist_of_the_page_own_parts_is_no_list_of_items():
    slides = ",".join(
        f'{{"@type":"ListItem","position":{i},"name":"Costume {i}","url":"{URL}costumes"}}'
        for i in range(1, 6))
    head = (f'<script type="application/ld+json">{{"@context":"https://schema.org",'
            f'"@type":"ItemList","itemListElement":[{slides}]}}</script>')
    got = extract(f"<html><head>{head}</head><body><p>Costume ideas.</p></body></html>",
                  f"{URL}costumes")
    assert got.kind == "article"
    assert got.news == ()


def test_numeric_dates_before_titles_read_month_first_when_one_date_says_so():
    items = "".join(
        f'<span class="date black">{d}</span><h2 class="title"><a href="/news/{i}">{t}</a></h2>'
        f'<p class="summary">{s} … {nxt}</p><hr>'
        for i, (t, s, d, nxt) in enumerate(zip(TITLES, TEASERS, ("05.19.15", "05.12.15",
                                                                 "05.08.15"),
                                               ("05.12.15", "05.08.15", "05.01.15"),
                                               strict=True)))
    got = page(f'<div id="press">{items}</div>')
    # 05.19.15 is valid month first only, so 05.12.15 is May 12th, not December 5th; each
    # item keeps its own date, never the next one's that stands before the next title
    assert [(n.title, n.date) for n in got.news] == [
        (TITLES[0], "2015-05-19"), (TITLES[1], "2015-05-12"), (TITLES[2], "2015-05-08")]


def test_numeric_dates_follow_the_page_language_when_all_are_ambiguous():
    items = "".join(f'<li><a href="/news/{i}">{t}</a> <span class="date">05.0{i + 1}.15</span>'
                    f'</li>' for i, t in enumerate(TITLES))
    assert [d for _, d, _ in news(f"<ul>{items}</ul>", lang="en-US")] == [
        "2015-05-01", "2015-05-02", "2015-05-03"]
    assert [d for _, d, _ in news(f"<ul>{items}</ul>", lang="en-GB")] == [
        "2015-01-05", "2015-02-05", "2015-03-05"]


def test_byline_with_a_date_among_other_words():
    items = "".join(
        f'<li><a href="doc.aspx?id={i}" class="headline">{t}</a><br>Posted in Press Releases on '
        f'April {17 - i}, 2015 | <a rel="preview">Preview</a><br>'
        + ('Tags: <a href="/news/?issue=3">Your Taxes</a>' if i else "") + "</li>"
        for i, t in enumerate(TITLES))
    got = page(f'<ul class="UnorderedNewsList">{items}</ul>')
    assert [(n.title, n.date) for n in got.news] == [
        (TITLES[0], "2015-04-17"), (TITLES[1], "2015-04-16"), (TITLES[2], "2015-04-15")]


def test_table_of_date_rows_and_content_rows():
    rows = "".join(
        f'<tr><td>March {9 - 3 * i}, 2021</td></tr><tr><td><a href="/news/{i}">{t}</a><br>{s}'
        f'</td></tr>' for i, (t, s) in enumerate(zip(TITLES, TEASERS, strict=True)))
    got = page(f"<table>{rows}</table>")
    assert [(n.title, n.date, n.summary) for n in got.news] == [
        (TITLES[0], "2021-03-09", TEASERS[0]), (TITLES[1], "2021-03-06", TEASERS[1]),
        (TITLES[2], "2021-03-03", TEASERS[2])]


def test_table_of_title_rows_and_subtext_rows():
    rows = "".join(
        f'<tr class="athing"><td class="rank">{i + 1}.</td><td class="title">'
        f'<a href="https://site{i}.example/story">{t}</a> <span>(site{i}.example)</span></td></tr>'
        f'<tr><td></td><td class="subtext">{90 - i} points by user{i} on 2021-03-0{3 - i} | '
        f'<a href="item?id={i}">{10 + i} comments</a></td></tr><tr class="spacer"></tr>'
        for i, t in enumerate(TITLES))
    # the subtext rows are no items of their own: the comments link is not a title
    assert news(f'<table id="list">{rows}</table>') == [
        (t, f"2021-03-0{3 - i}", f"https://site{i}.example/story")
        for i, t in enumerate(TITLES)]


def test_title_then_date_siblings_keep_each_date_with_its_title():
    body = "".join(f'<h3><a href="/news/{i}">{t}</a></h3><span class="date">{d} May 2015</span>'
                   for i, (t, d) in enumerate(zip(TITLES, (19, 12, 8), strict=True)))
    assert news(f'<div class="list">{body}</div>') == [
        (TITLES[0], "2015-05-19", f"{URL}0"), (TITLES[1], "2015-05-12", f"{URL}1"),
        (TITLES[2], "2015-05-08", f"{URL}2")]


def test_ranking_rows_pair_with_their_own_table_never_the_next_row():
    body = "".join(
        f'<p class="rank"><a href="/broker/{i}">Broker number {i} of the ranking</a></p>'
        f'<table class="w"><tr><th>Spread</th><td>0.{i} pips on the main currency pairs, '
        f'fixed in principle with exceptions</td></tr></table>' for i in range(3))
    got = page(f'<div class="ranking">{body}</div>')
    assert [(n.title, n.summary) for n in got.news] == [
        (f"Broker number {i} of the ranking",
         f"Spread 0.{i} pips on the main currency pairs, fixed in principle with exceptions")
        for i in range(3)]


def test_release_table_under_an_introduction_is_a_listing():
    intro = "".join(f"<p>{s} {s} {s}</p>" for s in TEASERS)  # ~700 characters of prose
    rows = "".join(
        f'<tr><td><a href="/kb/{i}">Security update {i} for the phone system</a></td>'
        f'<td>Phone models</td><td>{i % 28 + 1:02d} Jan 2025</td></tr>' for i in range(80))
    table = ("<table><tr><th>Name</th><th>Available for</th><th>Release date</th></tr>"
             f"{rows}</table>")
    assert page(f"<h1>Security releases</h1>{intro}{table}", kind="news_list").news
    got = page(f"<h1>Security releases</h1>{intro}{table}")
    assert got.kind == "news_list"
    assert len(got.news) == 80
    assert got.news[0] == NewsItem("Security update 0 for the phone system", "2025-01-01",
                                   "Phone models",
                                   "https://agency.example.eu/kb/0")


def test_an_article_with_a_related_box_stays_an_article():
    related = "".join(f'<li><a href="/news/{i}">{t}</a> <span>{i + 1} May 2022</span></li>'
                      for i, t in enumerate(TITLES))
    body = "<article><h1>Long read</h1>" + "".join(f"<p>{s} {s}</p>" for s in TEASERS) * 2 + \
        f'<h2>Related news</h2><ul class="related">{related}</ul></article>'
    got = page(body)
    assert got.kind == "article"
    assert got.news == ()


def test_schema_itemlist_and_the_page_list_name_one_article_once():
    data = ('{"@context":"https://schema.org","@type":"ItemList","itemListElement":['
            '{"@type":"ListItem","position":1,"item":{"@type":"NewsArticle","headline":'
            '"Port opens a ferry terminal","url":"https://agency.example.eu/news/ferry",'
            '"datePublished":"2023-04-02T09:00:00+02:00"}},{"@type":"ListItem","position":2,'
            '"item":{"@type":"NewsArticle","headline":"Museum night draws record crowds",'
            '"url":"https://agency.example.eu/news/museum"}}]}')
    head = f'<script type="application/ld+json">{data}</script>'
    body = ('<ul class="news"><li><a href="/news/ferry">Port opens a ferry terminal in the north'
            '</a> <time datetime="2023-04-02">2 April 2023</time></li><li><a href="/news/museum">'
            'Museum night draws record crowds</a> <time datetime="2023-03-28">28 March 2023</time>'
            '</li></ul>')
    assert news(body, head=head) == [
        ("Port opens a ferry terminal", "2023-04-02T09:00", f"{URL}ferry"),
        ("Museum night draws record crowds", "2023-03-28", f"{URL}museum")]


def test_utc_time_element_reads_at_the_clock_the_page_shows():
    items = "".join(f'<li><a href="/news/{i}">{t}</a> <time datetime="2024-01-19T2{i}:00:00.000Z">'
                    f'{5 + i}:00</time></li>' for i, t in enumerate(TITLES))
    assert [d for _, d, _ in news(f"<ul>{items}</ul>", lang="ja")] == [
        "2024-01-20T05:00", "2024-01-20T06:00", "2024-01-20T07:00"]


def test_items_that_link_to_the_page_itself_stay_apart_by_title():
    links = ["/news/a", "/news/", "/news/b", "/news/c", "/news/", "/news/d", "/news/e"]
    items = "".join(f'<li><a href="{href}">Story number {i} of the week</a> <span class="date">'
                    f'{i + 1} May 2022</span></li>' for i, href in enumerate(links))
    got = page(f'<ul class="news">{items}</ul>')
    assert [n.title for n in got.news] == [f"Story number {i} of the week" for i in range(7)]


def _post(i: int, title: str, when: str, body_links: int = 4) -> str:
    links = "".join(f'<li><p><a href="https://example.org/pull/{i}{k}">Change {i}{k}</a></p><p>The '
                    f'parser reads dates in release tables right again, fix number {k} of '
                    f'this release.</p></li>' for k in range(body_links))
    return (f'<article class="post"><header class="entry-header"><h2 class="entry-title">'
            f'<a href="/news/{i}">{title}</a></h2><div class="entry-meta">Posted on '
            f'<time datetime="{when}T09:00:00+00:00">{when}</time></div></header>'
            f'<div class="entry-content"><p>{TEASERS[i]} More follows below in this post, with '
            f'the documents the agency published.</p><ul>{links}</ul><p>{TEASERS[i]}</p>'
            f'</div></article>')


def test_posts_shown_whole_are_items_not_their_lists_of_links():
    """A blog's page of posts in full (or release notes): each post's body holds lists of
    links; the posts are the items, by their header's title and datetime."""
    posts = "".join(_post(i, t, d) for i, (t, d) in enumerate(
        zip(TITLES, ("2024-03-01", "2024-02-20", "2024-02-02"), strict=True)))
    got = page(f'<h1>News</h1><div class="posts">{posts}</div>')
    assert got.kind == "news_list"
    assert [(n.title, (n.date or "")[:10], n.url) for n in got.news] == [
        (TITLES[0], "2024-03-01", f"{URL}0"), (TITLES[1], "2024-02-20", f"{URL}1"),
        (TITLES[2], "2024-02-02", f"{URL}2")]


def test_columns_of_dated_lists_stay_columns():
    """Three columns, each a heading and a list of dated items: the lists are the items, not
    the columns (a column's heading and its first item's date share only the column)."""
    cols = "".join(
        f'<div class="col"><h2><a href="/{name}">{name.title()}</a></h2><ul>'
        + "".join(f'<li><a href="/{name}/{k}">{name.title()} story number {k} of the week</a> '
                  f'<time datetime="2024-03-0{k + 1}">{k + 1} March 2024</time></li>'
                  for k in range(3))
        + "</ul></div>" for name in ("energy", "transport", "health"))
    got = page(f'<div class="columns">{cols}</div>', kind="news_list")
    assert len(got.news) == 9
    assert {n.title for n in got.news} == {
        f"{name.title()} story number {k} of the week"
        for name in ("energy", "transport", "health") for k in range(3)}


def test_a_press_release_list_mentioning_a_hearing_is_news_not_meetings():
    row = ("<div class='views-row'><span class='date'>{d}</span><h3><a href='/pr/{n}'>{t}</a>"
           "</h3><p>{teaser}</p></div>")
    body = "".join(row.format(n=n, d=d, t=t, teaser=teaser) for n, (d, t, teaser) in enumerate((
        ("December 5, 2023", "Jones Votes to Protect Veterans", "Today Jones voted for it."),
        ("November 29, 2023", "Jones Announces Grant for Local Schools", "A federal grant."),
        ("November 17, 2023", "Jones Questions Officials on Border Security",
         "At a hearing of the Homeland Security Committee, Jones asked..."))))
    result = page(f"<h1>Press Releases</h1><div class='view-content'>{body}</div>")
    assert result.kind == "news_list" and result.events == ()
    assert [n.date for n in result.news] == ["2023-12-05", "2023-11-29", "2023-11-17"]
