"""Events: the events of a list page, or the event a detail page is about.

A list page's events are its lists' blocks read as events (`lists.py`); an event page is a
title plus labelled fields (`fields.py`) with a date and a place or an organiser, or one block
classed as an event.
"""

from __future__ import annotations

from dataclasses import replace

from lxml.html import HtmlElement

from extractors.article import page_title
from extractors.fields import event_from_fields, labelled_fields
from extractors.html import absolute_url, lines, norm
from extractors.items import Block, read_block
from extractors.lists import list_records
from extractors.meetings import meeting_schedule
from extractors.records import Event
from extractors.registry import Found, Page, extractor
from extractors.xpaths import EVENT_CLASS_RE, EVENT_CLASSED


@extractor("events")
def events(page: Page) -> Found:
    """Events of a list page (repeated blocks) or, failing that, the page's own event."""
    found = _choose(page, list_records(page).events)
    if found:
        return Found(events=found)
    own = page_event(page)
    return Found(events=(own,)) if own else Found()


def _choose(page: Page, listed: tuple[Event, ...]) -> tuple[Event, ...]:
    """The list reader's events or the meeting schedule's, never a mix of both."""
    schedule = meeting_schedule(page)
    import os
    if os.environ.get("MEETINGS_ONLY"):
        return schedule.events
    return listed


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
