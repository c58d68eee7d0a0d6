"""Events: the events of a list page, or the event a detail page is about.

A list page's events are its lists' blocks read as events (`lists.py`); an event page is a
title plus labelled fields (`fields.py`) with a date and a place or an organiser, or one block
classed as an event.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extractors.article import page_title
from extractors.fields import event_from_fields, labelled_fields
from extractors.html import absolute_url, lines, norm
from extractors.items import Block, Item, read_block
from extractors.links import SKIP_EXTENSIONS
from extractors.lists import find_groups, list_records
from extractors.meeting_lines import MEETING_WORD
from extractors.meetings import Schedule, meeting_schedule, mentions_meetings
from extractors.records import Event
from extractors.registry import Found, Page, extractor
from extractors.trace import note
from extractors.xpaths import EVENT_CLASS_RE, EVENT_CLASSED

TEASER = 80  # characters of an item's summary that make it a news teaser

@extractor("events")
def events(page: Page) -> Found:
    """Events of a list page (repeated blocks) or, failing that, the page's own event."""
    listed = list_records(page).events
    found = _choose(page, listed)
    if len(found) == 1 and not listed:
        # one meeting and no list: a detail page, whose labelled fields say more; in `auto`
        # a lone date is a meeting only with a time and a title that names one (an article
        # names the day of a meeting, and shows when it was posted)
        own = page_event(page)
        if own is not None:
            return Found(events=(own,))
        if page.kind == "auto" and (len(found[0].start_date or "") <= 10
                                    or not MEETING_WORD.search(found[0].title)):
            return Found()
    if found:
        return Found(events=found)
    own = page_event(page)
    return Found(events=(own,)) if own else Found()


def _choose(page: Page, listed: tuple[Event, ...]) -> tuple[Event, ...]:
    """The list reader's events or the meeting schedule's, never a mix of the two.

    The list reader knows linked titles (a concert listing, an agency's event teasers); the
    schedule reader knows dated lines (a board's meeting dates, agenda rows, `<br>` lines).
    Dated lines inside a list the list reader took for news are news, unless they name a
    meeting. Of the two, the one that has clearly more of the page's days wins; with about
    the same days, the one that says more about each (time, place, organiser, link).
    """
    if page.kind == "auto" and not mentions_meetings(page):
        note("events", "", "skipped", "auto: the page names no meetings, agendas, minutes, "
             "boards or committees, so no meeting schedule is read")
        return listed
    schedule = meeting_schedule(page)
    meetings = _not_news(page, schedule)
    facts = {"list events": len(listed), "schedule meetings": len(meetings)}
    if not meetings or (page.kind == "auto" and not schedule.meeting_words):
        note("events", "", "chose", "the lists' events: " + (
            "auto takes a schedule only where the page calls its dated items meetings"
            if meetings else "the page shows no meeting schedule"), facts)
        return listed
    if not listed:
        note("events", "", "chose", "the meeting schedule: no list of events", facts)
        return meetings
    listed_days, meeting_days = _days(listed), _days(meetings)
    if schedule.meeting_words and len(meeting_days - listed_days) * 5 > len(meeting_days):
        note("events", "", "chose", "the meeting schedule: it has days the lists miss", facts)
        return meetings  # the schedule has days the lists miss
    if len(listed_days - meeting_days) * 5 > len(listed_days):
        note("events", "", "chose", "the lists' events: they have days the schedule misses",
             facts)
        return listed
    mine, theirs = _detail(meetings), _detail(listed)
    chosen = meetings if mine > theirs or (mine == theirs and schedule.meeting_words) else listed
    note("events", "", "chose", f"{'the meeting schedule' if chosen is meetings else 'the lists'}"
         f": about the same days, and it says more of each (time, place, organiser, own page: "
         f"{max(mine, theirs):.1f} against {min(mine, theirs):.1f} per event)", facts)
    return chosen


def _not_news(page: Page, schedule: Schedule) -> tuple[Event, ...]:
    """The schedule's events less the news: a dated line inside a list the list reader took
    for news, titled as that list's item, is the item's posting date, not a meeting (a
    meeting's row or document link carries its own title and date)."""
    news = [g for g in find_groups(page) if not g.event_like and _teasers(g.items)]
    if not news:
        return schedule.events
    parts = {part for g in news for block in g.blocks for part in block.parts}
    titles = {item.title.lower() for g in news for item in g.items}
    kept = []
    for event, where in zip(schedule.events, schedule.where, strict=True):
        inside = any(a in parts for a in (where, *where.iterancestors()))
        if not (inside and event.title.lower() in titles):
            kept.append(event)
    return tuple(kept)


def _teasers(items: tuple[Item, ...]) -> bool:
    """A list of news has teasers (prose); a table of meetings and their documents has not."""
    return sum(1 for it in items if it.summary and len(it.summary) >= TEASER) * 2 >= len(items)


def _days(events: tuple[Event, ...]) -> set[str]:
    return {e.start_date[:10] for e in events if e.start_date and len(e.start_date) >= 10}


def _detail(events: tuple[Event, ...]) -> float:
    """Fields per event beyond the title and the day: a time, a place, an organiser, a link to
    a page of its own (a link to a file, the agenda's or the notice's PDF, is a document the
    meeting has, not what the reader knows of it)."""
    filled = sum(bool(e.start_date and len(e.start_date) > 10) + bool(e.location)
                 + bool(e.organiser) + bool(e.url and not _is_file(e.url)) for e in events)
    return filled / max(1, len(events))


def _is_file(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(tuple(SKIP_EXTENSIONS))


def page_event(page: Page) -> Event | None:
    """An event detail page: a title plus labelled fields with a date and a place or organiser,
    else one block classed as an event ("event-wrapper") with a date and a place."""
    main = _main_block(page.tree)
    if main is None:
        return None
    text_lines = lines(main)
    found = labelled_fields(text_lines).fields
    if "date" not in found or not ("location" in found or "organiser" in found):
        return _event_block(page, main)
    title = _heading(main) or page_title(page)
    if not title:
        return None
    return event_from_fields(title, found, absolute_url(page.url, page.url))


def _event_block(page: Page, main: HtmlElement) -> Event | None:
    for el in EVENT_CLASSED(main):
        if not EVENT_CLASS_RE.search(el.get("class") or "") or page.furniture(el):
            continue
        item = read_block(Block((el,)), page.url, None, page.selectors)
        if item is not None and item.date is not None and (item.location or item.organiser):
            event = item.as_event()
            return event if event.url else replace(event, url=absolute_url(page.url, page.url))
    return None


def _main_block(tree: HtmlElement) -> HtmlElement | None:
    for path in ("//main", "//article", "//*[@role='main']", "//body"):
        found = tree.xpath(path)
        if found:
            first: HtmlElement = found[0]
            return first
    return None


def _heading(el: HtmlElement) -> str | None:
    """The event's name: the content's <h1> (an <h2> may be a hidden "Search form" label)."""
    for h in el.iter("h1"):
        text = norm(h.text_content())
        if text:
            return text
    return None
