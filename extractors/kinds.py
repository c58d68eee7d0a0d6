"""Record kinds, each declared once: its record class and its spec, side by side.

A spec says everything the rest of agencywatch needs to know about a kind: the extractor module
that finds it and the page kind (`sources.toml` `kind`, `extract --kind`) that asks for it;
the JSON key of `agencywatch extract`; its typed table, every column with its description and
how its values compare; which changes matter most in a report; what full-text search indexes;
what analysts facet on; and the URL the crawl follows to the item's detail page. Extractors,
the store (tables, identity, history, views, search, report), Datasette and the CLI loop over
`KINDS` instead of keeping lists of kinds of their own.

Adding a kind: its record class and spec here, its extractor module, a migration in
`store/sql/` that creates its table and view (a test holds the migrated store against the
spec), and its fixtures. See README, "How to extend".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from extractors.frozen import pickled_by_fields

# How a field's values compare between two sightings (`store.identity`): text after whitespace
# and Unicode normalisation; a URL as the crawler spells it; a number by its value, not its
# formatting; a {heading: text} mapping; an amount {"value", "unit"}. None: not compared (it
# changes with the page around the record, not with the record).
Compare = Literal["text", "url", "number", "sections", "amount"] | None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # as in the record, the extract JSON and the typed table
    sql: str  # the column's type and constraints
    doc: str  # for docs/schema.md, Datasette and the views
    compare: Compare = "text"
    importance: int = 0  # an update of this field ranks the change at least this high
    fill: bool = False  # filled on (nearly) every item of a page: all empty at once means the
    # extractor lost its grip on the layout, not that the site blanked them
    search: bool = False  # in the kind's full-text index


@dataclass(frozen=True, slots=True)
class KindView:
    """A view of its own a kind brings besides `latest_*` (built by the kind's migration)."""

    name: str
    doc: str
    sql: str  # the SELECT
    columns: tuple[tuple[str, str, str], ...]  # (name, type, description) of every column


@dataclass(frozen=True, slots=True)
class KindQuestion:
    """A canned query a kind brings to Datasette: a question analysts ask of it."""

    name: str
    title: str
    description: str
    sql: str  # may use :parameters


@dataclass(frozen=True, slots=True)
class KindSpec:
    entity: str  # the record kind's name in the store (`items.entity`) and reports: "event"
    key: str  # its list in the extract JSON and in `PageExtraction`: "events"
    record: type[Any]
    table: str  # its typed table, one row per item: the latest version
    view: str  # its `latest_*` view
    doc: str
    fields: tuple[FieldSpec, ...]
    # the extractor that finds it (imported for its @extractor registration) and the page kind
    # that asks for it; None: found on every page (figures)
    module: str | None = None
    page_kind: str | None = None
    auto_rank: int | None = None  # `auto` tries the page kinds in this order
    exclusive: bool = False  # found by `auto`, no other kind is looked for on the page
    # a kind any dated, linked block fits (news): in `auto`, what another kind on the page
    # found (same URL, else same title) is that kind's, not also one of these
    generic: bool = False
    label: str = "title"  # what reports show for an item
    key_date: str | None = None  # an item without a URL of its own is keyed by title and this
    by_sentence: bool = False  # keyed by page and sentence (figures), not by URL or title
    follow: bool = True  # its `url` is a detail page the crawl follows
    listing: bool = False  # a page listing these reports item changes, not text changes
    watched: bool = True  # a page that had 2+ of these and now has none is a failed read
    added: int = 50  # report order of an added / removed item; higher comes first
    removed: int = 60
    updated: int = 20  # of an update that touches no field with an importance of its own
    expires: tuple[str, ...] = ()  # the fields of its last day, first given wins
    expired_reason: str = ""  # why a missing item whose last day has passed left
    with_changes: tuple[str, ...] = ()  # fields shown beside any change (a figure's text)
    indexes: tuple[tuple[str, ...], ...] = (("source_id",),)
    view_order: str = "t.item_id"
    view_fields: tuple[str, ...] = ()  # the `latest_*` view's field order, when not the table's
    views: tuple[KindView, ...] = ()
    questions: tuple[KindQuestion, ...] = ()
    facets: tuple[str, ...] = ("source", "state")

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def view_columns(self) -> tuple[FieldSpec, ...]:
        """The fields its `latest_*` view shows, in order."""
        return tuple(self.field(n) for n in self.view_fields) if self.view_fields else self.fields

    @property
    def compared(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.compare is not None)

    @property
    def fill_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.fill)

    @property
    def search_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.search)

    def importance(self, change: str, changed: Any = ()) -> int:
        """Where a change of this kind ranks in a report (higher first)."""
        if change == "updated":
            return max([self.updated, *(f.importance for f in self.fields if f.name in changed)])
        return self.removed if change == "removed" else self.added


F = FieldSpec
_URL = F("url", "TEXT", "Detail page URL.", compare="url", fill=True)


# --- news ------------------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NewsItem:
    title: str
    date: str | None = None  # ISO 8601 at the precision the page gives
    summary: str | None = None
    url: str | None = None  # absolute


NEWS = KindSpec(
    "news", "news", NewsItem, "news_items", "latest_news", "Latest version of each news item.",
    (
        F("title", "TEXT NOT NULL", "Headline.", search=True),
        F("date", "TEXT", "Publication date, ISO 8601 at the page's precision.", importance=60,
          fill=True),
        F("summary", "TEXT", "Teaser text.", fill=True, search=True),
        _URL,
    ),
    module="extractors.lists", page_kind="news_list", auto_rank=4, generic=True, key_date="date",
    listing=True, indexes=(("date",), ("source_id",)), view_order="s.name, t.date DESC, t.item_id",
)


# --- events ----------------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Event:
    title: str
    start_date: str | None = None
    end_date: str | None = None
    organiser: str | None = None
    location: str | None = None
    url: str | None = None


EVENTS = KindSpec(
    "event", "events", Event, "events", "latest_events", "Latest version of each event.",
    (
        F("title", "TEXT NOT NULL", "Event name.", search=True),
        F("start_date", "TEXT", "Start: ISO 8601 at the page's precision (a day, or a day and a "
          "local time: 2019-06-28T09:00).", importance=80, fill=True),
        F("end_date", "TEXT", "End of a range (a last day, or an end time), else null.",
          importance=80),
        F("organiser", "TEXT", "Organiser as the page gives it.", search=True),
        F("location", "TEXT", "Venue and place as the page gives it.", fill=True, search=True),
        _URL,
    ),
    module="extractors.events", page_kind="events", auto_rank=1, key_date="start_date",
    listing=True, added=90, removed=90, updated=45, expires=("end_date", "start_date"),
    expired_reason="event is past", indexes=(("start_date",), ("source_id",)),
    view_order="t.start_date DESC, t.item_id",
)


# --- good practices --------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class GoodPractice:
    title: str
    summary: str | None = None
    resources_needed: str | None = None
    evidence_of_success: str | None = None
    potential_for_learning: str | None = None
    main_institution: str | None = None
    country: str | None = None
    start_date: str | None = None
    end_date: str | None = None  # None for "Ongoing" or an empty field
    url: str | None = None
    # every headed section of the page, by its heading as written (the three above included)
    sections: dict[str, str] = field(default_factory=dict)


GOOD_PRACTICES = KindSpec(
    "good_practice", "good_practices", GoodPractice, "good_practices", "latest_good_practices",
    "Latest version of each good practice.",
    (
        F("title", "TEXT NOT NULL", "Title of the practice.", search=True),
        F("summary", "TEXT", "Text before the first section.", fill=True, search=True),
        F("resources_needed", "TEXT", "Section 'Resources needed'."),
        F("evidence_of_success", "TEXT", "Section 'Evidence of success'."),
        F("potential_for_learning", "TEXT", "Section 'Potential for learning or transfer'."),
        F("main_institution", "TEXT", "Side panel: main institution.", fill=True),
        F("country", "TEXT", "Side panel: country (English name)."),
        F("start_date", "TEXT", "Side panel: start date.", importance=60, fill=True),
        F("end_date", "TEXT", "Side panel: end date; null when ongoing or empty.", importance=60),
        F("sections", "TEXT NOT NULL DEFAULT '{}'", "JSON {heading: text} of every section.",
          compare="sections", search=True),
        F("url", "TEXT", "Page URL.", compare="url"),
    ),
    # a good practice page is not searched for lists: its panel and "followed by" blocks are
    # not news
    module="extractors.good_practice", page_kind="good_practice", auto_rank=2, exclusive=True,
    key_date="start_date", indexes=(("source_id",), ("country",)), view_order="s.name, t.title",
    view_fields=("title", "country", "main_institution", "start_date", "end_date", "summary",
                 "resources_needed", "evidence_of_success", "potential_for_learning", "sections",
                 "url"),
    facets=("source", "country"),
)


# --- figures ---------------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Figure:
    value: float  # scaled to units: "€73.3 million" -> 73300000
    unit: str  # ISO 4217 code, "%", "km2", or the counted noun as written ("inhabitants")
    text: str  # the matched text as it stands on the page
    context: str  # the sentence it came from, whitespace-normalised


FIGURES = KindSpec(
    "figure", "figures", Figure, "figures", "latest_figures",
    "Latest version of each figure (money, percentage, count, area) with its sentence.",
    (
        F("value", "REAL NOT NULL", "Value scaled to units (€73.3 million -> 73300000).",
          compare="number", importance=70),
        F("unit", "TEXT NOT NULL", "ISO 4217 code, '%', 'km2', or the counted noun.",
          importance=70),
        F("text", "TEXT NOT NULL", "The figure as written on the page.", compare=None),
        F("context", "TEXT NOT NULL", "The sentence it stands in.", compare=None),
    ),
    # an update of its sentence alone (the same figure, reworded around it) is wording
    label="text", by_sentence=True, follow=False, watched=False, added=30, removed=30,
    updated=25, expired_reason="", with_changes=("text",),
    indexes=(("page_url",), ("unit",), ("source_id",)), view_order="s.name, t.page_url, t.item_id",
    facets=("source", "unit", "state"),
)


# --- funding calls ---------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Call:
    title: str
    programme: str | None = None
    opens: str | None = None  # when applications open, ISO 8601 at the page's precision
    deadline: str | None = None  # when they close, with the time the page gives
    budget: dict[str, Any] | None = None  # {"value": 20000000, "unit": "EUR"}
    status: str | None = None  # "open" | "closed" | "upcoming", as the page says; else None
    url: str | None = None
    who_can_apply: str | None = None  # the page's eligibility text, shortened (additive key)


# open: the deadline, cut to the length of today's date it is compared with (a deadline "in
# March 2025" is still open on 2025-03-20), is today or later; or no deadline and "open"
_OPEN_CALLS_SQL = """
SELECT
  source, title, programme, opens, deadline,
  json_extract(budget, '$.value') AS budget_value,
  json_extract(budget, '$.unit') AS budget_unit,
  status, url, page_url, item_id
FROM latest_calls
WHERE state = 'active' AND coalesce(status, '') != 'closed'
  AND (substr(deadline, 1, 10) >= substr(date('now'), 1, length(substr(deadline, 1, 10)))
       OR (deadline IS NULL AND status = 'open'))
ORDER BY deadline, title
"""

CALLS = KindSpec(
    "call", "calls", Call, "calls", "latest_calls",
    "Latest version of each funding call (call for proposals).",
    (
        F("title", "TEXT NOT NULL", "Title of the call.", search=True),
        F("programme", "TEXT", "Programme or measure that funds it.", search=True),
        F("opens", "TEXT", "When applications open, ISO 8601 at the page's precision.",
          importance=60),
        F("deadline", "TEXT", "When applications close: ISO 8601, with the local time the page "
          "gives (2021-03-15T16:00).", importance=90, fill=True),
        F("budget", "TEXT", "JSON {value, unit}: the call's budget as a money figure.",
          compare="amount", importance=90),
        F("status", "TEXT CHECK (status IN ('open', 'closed', 'upcoming'))",
          "'open', 'closed' or 'upcoming' as the page says it; null when it "
          "does not.", importance=70),
        _URL,
        F("who_can_apply", "TEXT", "Who may apply, as the page says (shortened).", search=True),
    ),
    module="extractors.calls", page_kind="calls", auto_rank=3, listing=True, added=85,
    removed=80, updated=40, expires=("deadline",),
    expired_reason="the call closed (deadline passed)",
    indexes=(("deadline",), ("source_id",)), view_order="t.deadline, t.item_id",
    facets=("source", "status", "programme"),
    views=(
        KindView(
            "open_calls",
            "Active calls still open to applications, soonest deadline first: the deadline "
            "(at the page's precision) is today or later, or there is none and the page says "
            "the call is open. Calls the page says are closed are left out.",
            _OPEN_CALLS_SQL,
            (("source", "TEXT", "Source name (sources.name)."),
             ("title", "TEXT", "Title of the call."),
             ("programme", "TEXT", "Programme or measure that funds it."),
             ("opens", "TEXT", "When applications open."),
             ("deadline", "TEXT", "When applications close (with the time the page gives)."),
             ("budget_value", "REAL", "Budget, in its unit."),
             ("budget_unit", "TEXT", "ISO 4217 code of the budget."),
             ("status", "TEXT", "'open', 'upcoming', or null when the page does not say."),
             ("url", "TEXT", "Detail page URL."),
             ("page_url", "TEXT", "Page it was read from."),
             ("item_id", "INTEGER", "The item (items.id).")),
        ),
    ),
    questions=(
        KindQuestion(
            "calls_closing_in_30_days",
            "Calls closing in the next 30 days",
            "Open calls whose deadline falls between today and 30 days from now, soonest "
            "first.",
            "SELECT deadline, title, programme, budget_value, budget_unit, source, url\n"
            "FROM open_calls\n"
            "WHERE substr(deadline, 1, 10) <= date('now', '+30 days')\n"
            "ORDER BY deadline",
        ),
        KindQuestion(
            "call_deadlines_that_moved",
            "Call deadlines that moved",
            "Every change of a call's deadline the crawls found, newest first, with the old "
            "and the new deadline.",
            "SELECT r.started_at AS found_at, s.name AS source, c.title,\n"
            "  json_extract(c.fields, '$.deadline.old') AS old_deadline,\n"
            "  json_extract(c.fields, '$.deadline.new') AS new_deadline, c.url\n"
            "FROM changes c JOIN runs r ON r.id = c.run_id JOIN sources s ON s.id = c.source_id\n"
            "WHERE c.entity = 'call' AND c.change = 'updated'\n"
            "  AND json_extract(c.fields, '$.deadline') IS NOT NULL\n"
            "ORDER BY c.id DESC",
        ),
    ),
)


KINDS: tuple[KindSpec, ...] = (NEWS, EVENTS, GOOD_PRACTICES, FIGURES, CALLS)
BY_ENTITY: dict[str, KindSpec] = {k.entity: k for k in KINDS}
BY_KEY: dict[str, KindSpec] = {k.key: k for k in KINDS}
# what `auto` tries, in order; the kinds it finds are named in this order ("events+news_list")
AUTO_ORDER: tuple[str, ...] = tuple(
    k.page_kind for k in sorted(KINDS, key=lambda k: k.auto_rank or 0)
    if k.page_kind and k.auto_rank is not None
)
# `sources.toml` `kind` and `extract --kind`: auto, every kind's page kind, and article (a page
# read for its text, figures and date)
PAGE_KINDS: tuple[str, ...] = (
    "auto", *(k.page_kind for k in KINDS if k.page_kind), "article",
)
