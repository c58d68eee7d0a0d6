"""Lists of news items and events: repeated blocks with a linked title and (usually) a date.

How a list is found, whatever the markup:
1. Every element's children are grouped by signature (tag + first class token, digits
   dropped: "views-row-3" and "views-row-4" are one signature, "post-12"/"post-13" too).
2. A group of two or more is read either as *wrapped* items (each member is one item: `<li>`,
   `<article>`, `<tr>`, `<div class=event>`, a card that is one `<a>`) or as *flat* items
   (the members are the titles, `<h3>`/`<dt>`, and each item runs from its title, plus a date
   just before it when the first title has one too, up to the next one). When neither reads
   as a list, an item may stand over two or three rows (`rows.py`: a title row and its
   subtext row, a date row and its content row).
3. A group is a list when most blocks have a linked title with distinct links and either most
   carry a date, most carry a teaser ("Success stories": title, teaser, Read more), or nearly
   all show a year-less date or a clock time ("02/23(金) 19:18", "11時00分").
4. Lists are taken innermost first: a block that holds a whole list is a column, not an item.
   Lists under navigation, headers, footers, sidebars or cookie banners are never read.
5. With "auto", a page with prose of its own is an article and its lists are related-news
   boxes, unless a list of many day-dated items outweighs that prose (a release table under
   an introduction).
The fields of one block (title, link, date, teaser, labels) are read by `items.read_block`;
once the page is read, numeric dates are settled in the page's order and year-less ones in
the page's year (`item_dates.py`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise

from lxml.html import HtmlElement

from extractors.dates import numeric_order
from extractors.fields import table_columns
from extractors.html import in_boilerplate, iter_elements, lines, norm, text_of
from extractors.item_dates import page_lang, reference_date, settle_date
from extractors.items import Block, Item, mostly_date, read_block
from extractors.records import Event, NewsItem
from extractors.registry import Found, Page, extractor
from extractors.rows import alternating, opens_item, periodic, signature
from extractors.structured import structured
from extractors.trace import active, note
from extractors.xpaths import (
    COMMENTS_RE,
    EVENT_CLASS_RE,
    EVENT_HEADING_RE,
    HEADING_TAGS,
    LIST_HINT_RE,
    LONG_TEXT,
    SKIP_TAGS,
)

_NOT_ITEMS = SKIP_TAGS | {"br", "hr", "img", "input", "label", "link", "meta"}
_FLAT_TITLES = frozenset({"h2", "h3", "h4", "h5", "h6", "dt"})
PROBE = 3  # blocks read before a group whose blocks are all plain links is given up
MIN_ITEMS = 2  # one block is not a repetition; a one-item list is read as an article
ENTRIES_MIN = 3  # entries shown whole (see _entries)
_HEADER_CLASS = re.compile(r"(?:^|[\s_-])(?:header|heading|headline|title)(?:$|[\s_-])", re.I)
TITLED_SHARE = 0.7  # blocks with a linked title, of all blocks (a header row may have none)
DATED_SHARE = 0.5  # dated blocks for a dated list
TEASER_SHARE = 0.7  # blocks with a teaser for an undated list
# A list whose blocks show only year-less dates, clock times ("02/23(金) 19:18", "11時00分")
# or dates in bylines: nearly every block must show one, and there must be a few (a post's
# "Posted at 12:11 PM" or "1.12.2022 | Source: ..." beside a share link is not a list)
STAMPED_SHARE = 0.8
STAMPED_MIN = 3
TEASER_MIN = 40  # characters of teaser that make a block more than a link (a menu entry)
TEASER_MAX = 1500  # a longer "teaser" is a page section or a column, not a list item
PROSE_MIN = 600  # characters of prose outside the lists that make a page an article
LISTING_ITEMS = 10  # items of one list that, with LISTING_WEIGHT, make a page a listing
LISTING_WEIGHT = 3  # times the prose's characters the lists' text must reach for that
TEASER_LINK_SHARE = 0.5  # a teaser is prose; a block whose "teaser" is links is a menu
MAX_LINKS = 12  # links per block; more is a menu, a column or a whole page region


@dataclass(frozen=True, slots=True)
class Group:
    """Blocks found as one list, with what decides news vs events for all of them."""

    items: tuple[Item, ...]
    container: HtmlElement
    heading: str | None = None
    event_like: bool = False
    order: int = 0
    blocks: tuple[Block, ...] = field(default=(), compare=False)
    # entries shown whole: the members whose headers the blocks are (lists inside them are
    # their bodies' lists, not items)
    entries: tuple[HtmlElement, ...] = field(default=(), compare=False)


def list_records(page: Page) -> Found:
    """News and events of the page's lists, schema.org items first (memoised per page)."""
    return page.memo("list_records", _records)


@extractor("news_list")
def news_list(page: Page) -> Found:
    return Found(news=list_records(page).news)


def _records(page: Page) -> Found:
    data = structured(page)
    news: list[NewsItem] = list(data.news)
    events: list[Event] = list(data.events)
    # schema.org wins: the page's own markup of an item it also describes is not a second one
    described = {(e.title.lower(), (e.start_date or "")[:10]): i for i, e in enumerate(events)}
    groups = find_groups(page)
    order = numeric_order([it.date_text for g in groups for it in g.items if it.date_text],
                          page_lang(page))

    def reference() -> str | None:
        return reference_date(page, (it.date for g in groups for it in g.items))

    for group in groups:
        as_events = page.kind == "events" or (page.kind != "news_list" and group.event_like)
        for item in group.items:
            if item.date_text is not None and (order is not None or item.date is None):
                settled = settle_date(item.date, item.date_text, order, reference)
                item = item if settled == item.date else replace(item, date=settled)
            if not as_events:
                news.append(item.as_news())
            # an event without a date is a link, not an event
            elif item.date:
                at = described.get((item.title.lower(), item.date.start[:10]))
                if at is None:
                    events.append(item.as_event())
                elif len(item.date.start) > 10 and item.date.start[:16] != (
                        events[at].start_date or "")[:16]:
                    # the time the page shows its readers wins over a schema.org value
                    # that disagrees (a UTC time, a wrong offset)
                    events[at] = replace(events[at], start_date=item.date.start)
    return Found(news=tuple(_unique_news(news, page.url)), events=tuple(_unique_events(events)))


def find_groups(page: Page) -> list[Group]:
    """The page's lists in document order (memoised: news and events share the work)."""
    return page.memo("groups", _find_groups)


def _find_groups(page: Page) -> list[Group]:
    root = page.tree.find("body")
    root = page.tree if root is None else root
    if page.selectors and page.selectors.get("item"):
        return _selected_groups(root, page.url, page.selectors)
    kept = _scan(root, page, single=False)
    if not kept and page.kind in ("news_list", "events"):
        # the source says this is a list: the last page of one may hold a single item
        kept = _scan(root, page, single=True)
    if page.kind == "auto" and kept and _article_like(page, kept):
        # an article's teaser boxes are not news; an events list beside prose stays events
        note("lists", "", "rejected", "the page has prose of its own outside its lists: an "
             "article, whose lists of news are related-news boxes (kind news_list reads them)")
        kept = [g for g in kept if g.event_like]
    return sorted(kept, key=lambda g: g.order)


def _scan(root: HtmlElement, page: Page, single: bool) -> list[Group]:
    """Every list under root, innermost first; `single` admits one-item lists anywhere."""
    parents = list(_parents(root, page, single))  # document order, furniture skipped
    order = {el: i for i, el in enumerate(parents)}
    holds_list: set[HtmlElement] = set()
    kept: list[Group] = []
    for parent in reversed(parents):  # innermost first
        for group in _groups_in(parent, page, holds_list, single):
            if group.entries:
                inside = set(group.entries)
                kept = [g for g in kept
                        if not any(a in inside for a in g.container.iterancestors())]
            kept.append(replace(group, order=order[parent]))
            _mark_ancestors(parent, holds_list)
    return kept


def _comments(el: HtmlElement) -> bool:
    """Comment threads repeat like lists (author, date, text) but hold no items."""
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(names.strip()) and COMMENTS_RE.search(names) is not None


def _article_like(page: Page, groups: list[Group]) -> bool:
    """An article with "related news" lists: it has prose of its own outside the lists.

    Prose is text runs of sentence length (in <p> or not: many articles have none) outside
    the lists' blocks and outside page furniture. A list page has at most an intro line; an
    article's related-teaser boxes may well hold more text than the article itself, so the
    two are not compared.
    """
    blocks = {part for g in groups for b in g.blocks for part in b.parts}
    blocks.update(entry for g in groups for entry in g.entries)  # an entry's body is its own
    prose = 0
    for run in LONG_TEXT(page.tree):
        parent = run.getparent()
        if parent is None or any(a in blocks for a in (parent, *parent.iterancestors())):
            continue
        if not in_boilerplate(parent, page.furniture):
            prose += len(norm(run))
    return prose >= PROSE_MIN and not _listing(groups, prose)


def _listing(groups: list[Group], prose: int) -> bool:
    """A listing with an introduction (a security-release table under a few paragraphs on
    how updates are announced): a list of many items, most dated to the day, whose text
    outweighs the prose several times. An article's related-news box has a handful of items;
    its comments and its references (years) are not dated to the day."""
    big = [g for g in groups if len(g.items) >= LISTING_ITEMS and sum(
        1 for it in g.items if it.date and len(it.date.start) >= 10) >= DATED_SHARE * len(g.items)]
    listed = sum(len(it.title) + len(it.summary or "") for g in big for it in g.items)
    return bool(big) and listed >= LISTING_WEIGHT * prose


def list_text(page: Page) -> str:
    """The text of a list page: every line of the region holding its lists, furniture left out.

    Not trafilatura: on a list page it keeps the teasers but drops the item titles (short,
    link-dense lines), and titles are text too ("7 clusters from Lithuania will ...").
    """
    groups = find_groups(page)
    if not groups:
        return ""
    region = _common_ancestor([g.container for g in groups])
    furniture = {el for el in iter_elements(region) if el is not region and page.furniture(el)}
    return "\n".join(lines(region, exclude=furniture))


def _common_ancestor(elements: list[HtmlElement]) -> HtmlElement:
    first = [elements[0], *elements[0].iterancestors()]
    for el in elements[1:]:
        mine = {el, *el.iterancestors()}
        first = [a for a in first if a in mine]
    return first[0]


def _parents(root: HtmlElement, page: Page, single: bool = False) -> Iterator[HtmlElement]:
    """Elements that may hold a list, in document order; page furniture and comment threads
    are not entered (their lists are never items, and skipping them is most of the saving)."""
    stack = [root]
    while stack:
        el = stack.pop()
        if el is not root and (page.furniture(el) or _comments(el)):
            continue
        if len(el) >= MIN_ITEMS or (len(el) == 1 and (single or _list_hint(el))):
            yield el
        stack.extend(reversed([c for c in el if isinstance(c.tag, str)
                               and c.tag not in _NOT_ITEMS and len(c)]))


def _list_hint(el: HtmlElement) -> bool:
    """A list element whose class says it holds items (`<ul class="event-listings">`).

    Only list elements: an item's own <div class="news-item"> says "news" too, and its
    single heading is not a one-item list.
    """
    if el.tag not in ("ul", "ol", "tbody", "dl"):
        return False
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(names.strip()) and LIST_HINT_RE.search(names) is not None


def _mark_ancestors(el: HtmlElement | None, marked: set[HtmlElement]) -> None:
    while el is not None and el not in marked:
        marked.add(el)
        el = el.getparent()


def _groups_in(parent: HtmlElement, page: Page, holds_list: set[HtmlElement],
               single: bool = False) -> Iterator[Group]:
    base, selectors = page.url, page.selectors
    children = [c for c in parent if isinstance(c.tag, str) and c.tag not in _NOT_ITEMS]
    by_sig: dict[str, list[int]] = defaultdict(list)
    for i, child in enumerate(children):
        by_sig[signature(child)].append(i)
    least = 1 if single or _list_hint(parent) else MIN_ITEMS
    found: list[Group] = []
    paired: set[HtmlElement] = set()  # rows that a multi-row item took
    multi: set[int] = set()  # the groups of multi-row items
    taken: set[HtmlElement] = set()  # every part of every block found so far
    for positions in by_sig.values():
        if len(positions) < least:
            continue
        positions = [i for i in positions if not page.furniture(children[i])]
        if len(positions) < least:
            continue  # a sidebar beside the content column is not the content's sibling item
        members = [children[i] for i in positions]
        if any(m in holds_list for m in members):
            entries = _entries(parent, members, page)
            if entries is not None:
                found.append(entries)
                taken.update(members)
                continue
            # a member holds a list: these are columns, not items
            note("lists", parent, "skipped", f"{len(members)} blocks that hold lists of their "
                 "own: columns, not items", {"blocks": len(members)}, members[0])
            continue
        group = None
        if _flat(children, positions, members):
            # titles with their text in between: each item runs to the next title
            group = _judge(parent, _segments(children, positions), base, selectors)
        if group is None:
            blocks = [Block((m,), _before(children, positions, n)) for n, m in enumerate(members)]
            if not any(_is_lead(el) for el in blocks[0].before):
                # no date heads the first item: a date between two items ends the one before
                blocks = [Block((m,)) for m in members]
            group = _judge(parent, blocks, base, selectors, least)
        if group is None and not taken.intersection(members):
            # one item over two or three rows: each row alone is no item
            rows = periodic(children, positions) or alternating(members) or []
            group = _judge(parent, rows, base, selectors) if rows and opens_item(rows[0]) else None
            if group is not None:
                paired.update(part for block in rows for part in block.parts)
                multi.add(id(group))
        if group is not None:
            found.append(group)
            taken.update(part for block in group.blocks for part in block.parts)
    for group in found:
        # the subtext rows of a title row / subtext row table, once paired, are not items
        if id(group) in multi or not any(b.parts[0] in paired for b in group.blocks):
            yield group


def _entries(parent: HtmlElement, members: list[HtmlElement], page: Page) -> Group | None:
    """Entries shown whole (a blog's posts in full, release notes): each member holds its own
    lists and links in its body, under a header that holds its linked title and its
    machine-readable date. Read by their headers; most must be dated, and three or more (a
    row of columns holds lists too, but its headers are not dated entries)."""
    if len(members) < ENTRIES_MIN:
        return None
    blocks = [Block(parts) for parts in map(_entry_header, members) if parts is not None]
    if len(blocks) < max(ENTRIES_MIN, _required(len(members), 1)):
        return None
    group = _judge(parent, blocks, page.url, page.selectors)
    if group is None or sum(1 for it in group.items if it.date is not None) < (
            DATED_SHARE * len(members)):
        return None
    return replace(group, entries=tuple(members))


def _entry_header(member: HtmlElement) -> tuple[HtmlElement, ...] | None:
    """An entry's title link (the first text link of its first header: `<header>`, a heading,
    a `release-header` or `entry-title` class) and its `datetime` element, when the two share
    a container below the entry itself (else the date may be anyone's in the body)."""
    link = None
    for el in member.iterdescendants():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("header", "h1", "h2", "h3", "h4") or _HEADER_CLASS.search(
                el.get("class") or ""):
            link = next((a for a in el.iter("a") if text_of(a)), None)
            if link is not None:
                break
    stamp = next((el for el in member.iterdescendants()
                  if isinstance(el.tag, str) and el.get("datetime")), None)
    if link is None or stamp is None:
        return None
    around = set(stamp.iterancestors())
    shared = next((a for a in link.iterancestors() if a in around), None)
    if shared is None or shared is member or member not in set(shared.iterancestors()):
        return None
    return (link,) if stamp in set(link.iterdescendants()) else (link, stamp)


def _flat(children: list[HtmlElement], positions: list[int], members: list[HtmlElement]
          ) -> bool:
    """Members that are bare titles (headings, <dt>, a lone link) with siblings between them."""
    if len(members) < MIN_ITEMS or positions[-1] - positions[0] + 1 == len(positions):
        return False
    return members[0].tag in _FLAT_TITLES or _link_only(members)


def _judge(parent: HtmlElement, blocks: list[Block], base: str,
           selectors: Mapping[str, str] | None, least: int = MIN_ITEMS) -> Group | None:
    """The group as a list, or None when it does not look like one.

    `least` is 1 in a container that says it is a list ("event-listings", a <ul>): an
    "Upcoming concerts (1)" list has one item, which must then be dated.
    """
    if not _cheap_check(blocks, least):
        return _rejected(parent, blocks, f"fewer than {TITLED_SHARE:.0%} of the blocks hold a "
                         f"link, or one holds more than {MAX_LINKS} (a menu, a column)")
    columns = table_columns(parent) if parent.tag in ("tbody", "table", "thead") else None
    titled = _read_blocks(blocks, base, columns, selectors)
    if titled is None or len(titled) < least or (len(titled) == 1 and titled[0].date is None):
        return _rejected(parent, blocks, "too few blocks with a linked title, or most are "
                         "neither dated nor with a teaser (a menu, a run of links)")
    urls = {it.url for it in titled}
    if len(urls) < TITLED_SHARE * len(titled):
        # the same link everywhere: a widget, not a list of items
        return _rejected(parent, blocks, "the same link in most blocks (a widget)")
    dated = sum(1 for it in titled if it.date is not None and not it.stamp)
    stamped = sum(1 for it in titled if it.date is not None or it.stamp)
    teasers = sum(1 for it in titled if _teaser(it))
    if (dated < DATED_SHARE * len(titled) and teasers < TEASER_SHARE * len(titled)
            and (stamped < STAMPED_SHARE * len(titled) or len(titled) < STAMPED_MIN)):
        return _rejected(parent, blocks, f"{dated} of {len(titled)} titled blocks dated and "
                         f"{teasers} with a teaser: neither most dated nor most with teasers")
    heading = _heading_above(parent, blocks[0].parts[0])
    group = Group(tuple(titled), parent, heading, _event_like(parent, heading, titled),
                  blocks=tuple(blocks))
    if active():
        note("lists", parent, "kept", f"a list of {len(titled)} items, read as "
             f"{'events' if group.event_like else 'news'}"
             + (f" (heading {heading!r})" if heading else ""),
             {"blocks": len(blocks), "titled": len(titled), "dated": dated, "teasers": teasers},
             blocks[0].parts[0])
    return group


def _rejected(parent: HtmlElement, blocks: list[Block], reason: str) -> Group | None:
    """No list (None), noted for `extract --explain`: what the blocks looked like, and why."""
    if active():
        linked = sum(1 for b in blocks if any(p.tag == "a" or p.find(".//a") is not None
                                              for p in b.parts))
        note("lists", parent, "rejected", reason, {"blocks": len(blocks), "linked": linked},
             blocks[0].parts[0] if blocks else None)
    return None


def _read_blocks(blocks: list[Block], base: str, columns: list[str | None] | None,
                 selectors: Mapping[str, str] | None) -> list[Item] | None:
    """The titled items of the blocks; None as soon as the group cannot be a list any more.

    Most repeated groups on a page are not lists (menus, paragraphs, form rows); stopping at
    the first blocks that show it keeps list detection linear and cheap.
    """
    untitled_max = len(blocks) - _required(len(blocks), 1)
    untitled = weak = 0
    items: list[Item] = []
    for block in blocks:
        item = read_block(block, base, columns, selectors)
        if item is None or not item.url:
            untitled += 1
            if untitled > untitled_max:
                return None
            continue
        items.append(item)
        weak += item.date is None and not item.stamp and not _teaser(item)
        if weak > len(blocks) * (1 - DATED_SHARE) or weak == len(items) == PROBE:
            return None  # neither dated nor teasers: a menu or a run of links
    return items


def _teaser(item: Item) -> bool:
    return bool(item.linked and item.summary and TEASER_MIN <= len(item.summary) <= TEASER_MAX
                and item.link_chars < TEASER_LINK_SHARE * len(item.summary))


def _cheap_check(blocks: list[Block], least: int = MIN_ITEMS) -> bool:
    """Two or more blocks with a link, few links each: skips most groups before text is read."""
    linked = 0
    for block in blocks:
        count = sum(1 if p.tag == "a" else len(p.findall(".//a")) for p in block.parts)
        if count > MAX_LINKS:
            return False
        linked += count > 0
    return linked >= _required(len(blocks), least)


def _required(n: int, least: int) -> int:
    """Blocks of n that must carry a link: most, one odd one allowed from three on (a header
    row, an item cut off by a truncated page)."""
    share = math.ceil(TITLED_SHARE * n)
    return max(least, min(share, n - 1) if n >= 3 else share)


def _link_only(members: list[HtmlElement]) -> bool:
    """Members that are nothing but a link (`<p><a>Title</a></p>`): titles of flat items."""
    for m in members[:3]:
        links = m.findall(".//a")
        if len(links) != 1 or text_of(links[0]) != text_of(m) or not text_of(m):
            return False
    return True


def _before(children: list[HtmlElement], positions: list[int], n: int
            ) -> tuple[HtmlElement, ...]:
    """Up to three siblings between a block and the previous one (a date heading may be there)."""
    stop = positions[n - 1] + 1 if n else 0
    return tuple(children[max(stop, positions[n] - 3): positions[n]])


def _segments(children: list[HtmlElement], positions: list[int]) -> list[Block]:
    """Flat items: from each title (and the date or picture just before it) to the next."""
    starts: list[int] = []
    prev = -1
    # a date (or picture) before the first title leads every item; without one, what stands
    # before a title ends the item before it ("Title, date, teaser" items)
    leads = positions[0] > 0 and _is_lead(children[positions[0] - 1])
    for pos in positions:
        start = pos
        while leads and start - 1 > prev and _is_lead(children[start - 1]):
            start -= 1
        starts.append(start)
        prev = pos
    longest = max((b - a for a, b in pairwise(starts)), default=1)
    ends = [*starts[1:], min(len(children), starts[-1] + longest)]
    return [Block(tuple(children[a:b])) for a, b in zip(starts, ends, strict=True) if b > a]


def _is_lead(el: HtmlElement) -> bool:
    text = text_of(el)
    if not text:
        return el.find(".//img") is not None or el.tag == "img"
    return mostly_date(text)


def _heading_above(parent: HtmlElement, first: HtmlElement) -> str | None:
    """The nearest heading before the list: in its container, or just before an ancestor."""
    nearest = None
    for child in parent:
        if child is first:
            break
        if child.tag in HEADING_TAGS:
            nearest = child
    if nearest is not None:
        return text_of(nearest)
    node: HtmlElement | None = parent
    for _ in range(4):
        if node is None:
            break
        sib = node.getprevious()
        for _ in range(3):
            if sib is None:
                break
            if isinstance(sib.tag, str):
                heading = sib if sib.tag in HEADING_TAGS else sib.find(".//h2")
                if heading is not None:
                    return text_of(heading)
            sib = sib.getprevious()
        node = node.getparent()
    return None


def _event_like(parent: HtmlElement, heading: str | None, items: list[Item]) -> bool:
    """Events, not news: event labels in the blocks, an events heading, or an events class."""
    if sum(1 for it in items if it.event_signal) * 2 >= len(items):
        return True
    if heading and EVENT_HEADING_RE.search(heading):
        return True
    node: HtmlElement | None = parent
    for _ in range(3):
        if node is None:
            break
        attrs = f"{node.get('class') or ''} {node.get('id') or ''}"
        if EVENT_CLASS_RE.search(attrs):
            return True
        node = node.getparent()
    return False


def _selected_groups(root: HtmlElement, base: str, selectors: Mapping[str, str]) -> list[Group]:
    """A source's own CSS selectors: every `item` match is a block, read with the field ones."""
    try:
        matches = root.cssselect(selectors["item"])
    except Exception:  # a bad selector from sources.toml reads as "no items", not a crash
        return []
    items = [read_block(Block((m,)), base, None, selectors) for m in matches]
    kept = tuple(it for it in items if it is not None)
    if not kept:
        return []
    parent = matches[0].getparent()
    container = parent if parent is not None else root
    heading = _heading_above(container, matches[0])
    return [Group(kept, container, heading, _event_like(container, heading, list(kept)))]


def _unique_news(items: list[NewsItem], page_url: str) -> Iterator[NewsItem]:
    """Each item once: by URL when it has one (schema.org's `ItemList` and the page's own list
    name one article in two wordings; the first, schema.org's, wins and takes a date or
    teaser only the other has), else by title. Items that link to the listing itself
    (expandable teasers) are told apart by title."""
    own = _url_key(page_url)
    kept: dict[tuple[str, str | None], NewsItem] = {}
    for item in items:
        url = _url_key(item.url) if item.url else None
        key = ("", url) if url and url != own else (item.title.lower(), url)
        first = kept.get(key)
        if first is None:
            kept[key] = item
        elif first.date is None or first.summary is None:
            kept[key] = replace(first, date=first.date or item.date,
                                summary=first.summary or item.summary)
    yield from kept.values()


def _url_key(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


def _unique_events(items: list[Event]) -> Iterator[Event]:
    """Each event once: by URL when it has one (two festivals of one name and day are two
    events), else by title and start day."""
    seen: set[tuple[str, str]] = set()
    for item in items:
        key = (item.url, "") if item.url else (item.title.lower(), (item.start_date or "")[:10])
        if key not in seen:
            seen.add(key)
            yield item
