"""Funding calls (calls for proposals): their title, programme, opening, deadline, budget, who
may apply and whether they are open, in the forms agencies and EU programmes publish them.

Three shapes, tried in this order on a page:
1. a table of calls: a header row names the columns (`Call`, `Programme`, `Opening date`,
   `Deadline`, `Budget`, `Status`; Lithuanian `Kvietimo pavadinimas`, `Priemonė`,
   `Paraiškų pateikimo terminas`, `Kvietimo biudžetas, Eur`, `Būsena`), one call a row;
2. a list of calls: the page's repeated blocks (`lists.find_groups`) whose blocks carry call
   labels (`Deadline: 30 June 2024, 17:00 CET`, `Budget: €5 million`) or a status badge;
3. a call's own page: its heading, labelled fields (`Label: value`, `<dl>`, two-column
   tables) and headed sections (`Who can apply`, `Budget`, `Timeline`), when it states a
   deadline and at least one other call field, so that a news article that mentions "the
   deadline" is not a call.

Field rules: dates as precise as the page (`2021-03-15T16:00`, local time as written); an
`Application period` range fills the opening and the deadline; the budget is the first money
figure of its field (`{"value": 20000000, "unit": "EUR"}`; a bare number in a column headed
`..., Eur` takes that currency); the status is only what the page says, read as `open`,
`closed` or `upcoming` (`Vykdomas` is open, `Baigtas` closed, `Forthcoming` upcoming): it is
never worked out from today's date, which would make the same page read differently each day
(the store's `open_calls` view does that, in SQL, when asked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from lxml.html import HtmlElement

from extractors.dates import parse_date
from extractors.fields import date_range
from extractors.figures import parse_figure
from extractors.html import absolute_url, in_boilerplate, lines, norm, text_of
from extractors.items import read_block
from extractors.kinds import Call
from extractors.lists import find_groups
from extractors.registry import Found, Page, extractor
from extractors.trace import note

# Labels by field, lower-case, as pages write them (the colon is optional).
LABELS: dict[str, tuple[str, ...]] = {
    "title": ("call", "call title", "call name", "title", "name of the call", "topic",
              "kvietimas", "kvietimo pavadinimas", "pavadinimas"),
    "programme": ("programme", "program", "funding programme", "funding program",
                  "programme name", "fund", "instrument", "measure", "programa",
                  "priemonė", "priemonės pavadinimas", "veiksmų programa", "fondas"),
    "opens": ("opening date", "opening", "opens", "call opens", "open from",
              "submission opens", "applications open", "opening of the call",
              "planned opening date", "paraiškų priėmimo pradžia", "kvietimo pradžia",
              "paraiškų teikimo pradžia", "paskelbimo data", "kvietimo paskelbimo data"),
    "deadline": ("deadline", "deadline date", "deadlines", "closing date", "closes",
                 "call closes", "submission deadline", "application deadline",
                 "deadline for applications", "deadline for submission", "applications close",
                 "cut-off date", "cut-off", "due date",
                 "paraiškų pateikimo terminas", "paraiškų priėmimo pabaiga",
                 "paraiškų teikimo terminas", "paraiškų teikimo pabaiga", "kvietimo pabaiga",
                 "terminas", "galutinis terminas"),
    "period": ("application period", "submission period", "call period", "call dates",
               "paraiškų priėmimo laikotarpis", "paraiškų teikimo laikotarpis",
               "kvietimo laikotarpis"),
    "budget": ("budget", "total budget", "call budget", "budget of the call",
               "indicative budget", "available budget", "available funding", "funding",
               "total funding", "amount", "kvietimo biudžetas", "biudžetas",
               "skiriama suma", "finansavimo suma", "kvietimui skirta suma"),
    "status": ("status", "call status", "būsena", "kvietimo būsena", "statusas"),
    "who_can_apply": ("who can apply", "eligible applicants", "eligibility",
                      "eligible organisations", "eligible organizations", "target group",
                      "applicants", "who may apply", "galimi pareiškėjai", "pareiškėjai",
                      "kas gali teikti paraiškas", "tinkami pareiškėjai"),
}
# Section headings that hold one field each, or (timeline) labelled dates.
SECTIONS: dict[str, tuple[str, ...]] = {
    "who_can_apply": LABELS["who_can_apply"],
    "budget": ("budget", "funding", "call budget", "financing", "biudžetas", "finansavimas"),
    "timeline": ("timeline", "key dates", "important dates", "dates", "deadlines",
                 "schedule", "terminai", "svarbios datos", "kvietimo terminai"),
    "programme": ("programme", "program", "programa"),
}
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "open": ("open", "opened", "ongoing", "active", "currently open", "open for submission",
             "open for applications", "accepting applications", "vykdomas", "aktyvus",
             "atviras", "atidarytas", "vyksta", "priimamos paraiškos"),
    "closed": ("closed", "finished", "completed", "expired", "ended", "archived", "baigtas",
               "uždarytas", "pasibaigęs", "nebevykdomas", "užbaigtas"),
    "upcoming": ("forthcoming", "upcoming", "planned", "coming soon", "opening soon",
                 "not yet open", "planuojamas", "būsimas", "netrukus"),
}
_BY_STATUS = {w: status for status, words in STATUS_WORDS.items() for w in words}
_BY_LABEL = {label: name for name, labels in LABELS.items() for label in labels}
_ALT = "|".join(re.escape(label) for label in sorted(_BY_LABEL, key=len, reverse=True))
# a label of a call's date, budget or status: the cheap test a list must pass to be read
_FIELD_WORDS = re.compile(
    "|".join(re.escape(w) for w in sorted(
        {w for f in ("opens", "deadline", "period", "budget", "status") for w in LABELS[f]},
        key=len, reverse=True)),
    re.I)
_INLINE = re.compile(rf"^(?P<label>{_ALT})\s*[:：]\s*(?P<value>\S.*)$", re.I)
_ALONE = re.compile(rf"^(?P<label>{_ALT})\s*[:：]?$", re.I)
# a call's own page says what it is somewhere: in its title or its labels and sections
_CALL_WORDS = re.compile(r"\b(calls?|proposals?|grants?|funding|tenders?|applications?|apply|"
                         r"kvietim\w*|paraišk\w*|finansavim\w*)\b", re.I)
_CURRENCY = re.compile(r"\b(eur|euro|eurų|usd|gbp|sek|dkk|nok|pln|chf)\b|€|\$|£", re.I)
# a card's programme, named by its class ("call-card__programme", "field-programme")
_PROGRAMME_CLASS = re.compile(r"(?:^|[-_\s])(programme|program|funding-programme)(?:$|[-_\s])",
                              re.I)
_STATUS_CLASS = re.compile(r"(?:^|[-_\s])(status|state|badge|label|tag)(?:$|[-_\s])", re.I)
MAX_VALUE = 300  # a longer "value" is a paragraph that starts with a label word
MAX_APPLY = 500  # characters of "who can apply" kept: the gist, not the whole section
MIN_TABLE_ROWS = 1
CALL_FIELDS = ("opens", "deadline", "budget", "status", "programme", "who_can_apply")


@extractor("calls")
def calls(page: Page) -> Found:
    """The page's funding calls: a table of calls, a list of calls, or the call it is about."""
    found = _table_calls(page) or _listed_calls(page)
    if not found:
        own = page_call(page)
        found = [own] if own else []
    return Found(calls=tuple(_unique(found)))


# --- labelled fields ---------------------------------------------------------------------------


def labelled(text_lines: Sequence[str]) -> dict[str, str]:
    """Call fields from label lines (`Deadline: 15 March 2021`, or `Deadline` then its value);
    the first of each wins."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(text_lines):
        line = text_lines[i]
        inline = _INLINE.match(line)
        alone = None if inline else _ALONE.match(line)
        if inline and len(inline.group("value")) <= MAX_VALUE:
            _keep(fields, inline.group("label"), inline.group("value"))
        elif alone and i + 1 < len(text_lines) and len(text_lines[i + 1]) <= MAX_VALUE:
            nxt = text_lines[i + 1]
            if not (_INLINE.match(nxt) or _ALONE.match(nxt)):
                _keep(fields, alone.group("label"), nxt)
                i += 1
        i += 1
    return fields


def _keep(fields: dict[str, str], label: str, value: str) -> None:
    name = _BY_LABEL[norm(label).lower()]
    value = norm(value).strip(" ,;")
    if value and name not in fields:
        fields[name] = value


def status_of(text: str | None) -> str | None:
    """`open`, `closed` or `upcoming` when the text says so ("Open for submission",
    "Vykdomas"), else None."""
    if not text:
        return None
    low = norm(text).lower().strip(" .!:")
    if low in _BY_STATUS:
        return _BY_STATUS[low]
    for word, status in sorted(_BY_STATUS.items(), key=lambda kv: -len(kv[0])):
        if re.match(rf"{re.escape(word)}\b", low):
            return status
    return None


def budget_of(text: str | None, currency_hint: str = "") -> dict[str, float | str] | None:
    """The first money figure of a budget field, as {"value", "unit"}; a bare number takes the
    currency the column or label names."""
    if not text:
        return None
    figure = parse_figure(text)
    if (figure is None or not _is_money(figure.unit)) and currency_hint:
        figure = parse_figure(f"{text} {currency_hint}")
    if figure is None or not _is_money(figure.unit):
        return None
    value = figure.value
    return {"value": int(value) if float(value).is_integer() else value, "unit": figure.unit}


def _is_money(unit: str) -> bool:
    return len(unit) == 3 and unit.isupper() and unit.isalpha()


def _currency(label: str) -> str:
    match = _CURRENCY.search(label)
    if not match:
        return ""
    word = match.group(0).lower()
    return {"€": "EUR", "$": "USD", "£": "GBP", "euro": "EUR", "eurų": "EUR"}.get(
        word, word.upper())


def _date(text: str | None) -> str | None:
    span = parse_date(text) if text else None
    return span.start if span else None


def _call(title: str, fields: dict[str, str], url: str | None,
          currency_hint: str = "") -> Call | None:
    title = norm(title)
    if not title:
        return None
    opens, deadline = _date(fields.get("opens")), _date(fields.get("deadline"))
    period = date_range(fields["period"]) if "period" in fields else None
    if period is not None:
        opens = opens or period.start
        deadline = deadline or (period.end if period.end else None)
    return Call(
        title=title,
        programme=fields.get("programme"),
        opens=opens,
        deadline=deadline,
        budget=budget_of(fields.get("budget"), currency_hint),
        status=status_of(fields.get("status")),
        url=url,
        who_can_apply=_shorten(fields.get("who_can_apply")),
    )


def _shorten(text: str | None) -> str | None:
    if not text:
        return None
    text = norm(text)
    return text if len(text) <= MAX_APPLY else text[: MAX_APPLY - 1].rsplit(" ", 1)[0] + "…"


def _is_call(call: Call | None) -> bool:
    return call is not None and sum(
        1 for name in CALL_FIELDS if getattr(call, name) is not None) >= 1


# --- 1. tables of calls ------------------------------------------------------------------------


def _table_calls(page: Page) -> list[Call]:
    out: list[Call] = []
    for table in page.tree.iter("table"):
        if in_boilerplate(table, page.furniture):
            continue
        out += _rows(table, page.url)
    return out


def _rows(table: HtmlElement, base: str) -> list[Call]:
    rows = [r for r in table.iter("tr") if _owner(r) is table]
    if len(rows) < 1 + MIN_TABLE_ROWS:
        return []
    header = [norm(c.text_content()) for c in rows[0] if c.tag in ("th", "td")]
    columns = [_column(label) for label in header]
    named = set(columns) - {None}
    if "title" not in named or not named & {"deadline", "opens", "period", "status", "budget"}:
        if named:
            names = ", ".join(sorted(str(n) for n in named))
            note("calls", table, "rejected", f"a table whose header names the call fields "
                 f"{names}: a table of calls needs a title and a date, budget or status column")
        return []
    hints = {name: _currency(label) for name, label in zip(columns, header, strict=True) if name}
    out: list[Call] = []
    for row in rows[1:]:
        cells = [c for c in row if c.tag in ("th", "td")]
        if len(cells) != len(columns):
            continue  # a spanning sub-heading row, or a row of another shape: not a call
        fields: dict[str, str] = {}
        title_cell = None
        for name, cell in zip(columns, cells, strict=True):
            if name is None:
                continue
            if name == "title":
                title_cell = cell
            text = " ".join(lines(cell))
            if text:
                fields.setdefault(name, text)
        if title_cell is None:
            continue
        link = next((a for a in title_cell.iter("a") if a.get("href")), None)
        url = absolute_url(link.get("href"), base) if link is not None else None
        call = _call(fields.get("title", ""), fields, url, hints.get("budget", ""))
        if _is_call(call):
            assert call is not None
            out.append(call)
    note("calls", table, "kept" if out else "rejected",
         f"a table of calls: {len(out)} of {len(rows) - 1} rows read as calls",
         {"rows": len(rows) - 1, "columns": ", ".join(n or "-" for n in columns)})
    return out


def _owner(row: HtmlElement) -> HtmlElement | None:
    """The table a row belongs to (not a table nested in one of its cells)."""
    return next((a for a in row.iterancestors("table")), None)


def _column(label: str) -> str | None:
    """The call field a column header names: its label, or a label it starts with."""
    low = label.lower().strip(" :*")
    low = re.sub(r"[,(].*$", "", low).strip()  # "Kvietimo biudžetas, Eur", "Budget (EUR)"
    if low in _BY_LABEL:
        return _BY_LABEL[low]
    for lab in sorted(_BY_LABEL, key=len, reverse=True):
        if len(lab) >= 4 and low.startswith(lab):
            return _BY_LABEL[lab]
    return None


# --- 2. lists of calls -------------------------------------------------------------------------


def _listed_calls(page: Page) -> list[Call]:
    out: list[Call] = []
    for group in find_groups(page):
        if not _FIELD_WORDS.search(group.container.text_content()):
            continue  # no call date, budget or status label anywhere in the list
        found = []
        for block in group.blocks:
            item = read_block(block, page.url, None, page.selectors)
            if item is None:
                continue
            fields = labelled([ln for part in block.parts for ln in lines(part)])
            status = fields.get("status") or _badge(block.parts)
            if status:
                fields["status"] = status
            programme = fields.get("programme") or _classed(block.parts, _PROGRAMME_CLASS)
            if programme:
                fields["programme"] = programme
            call = _call(item.title, fields, item.url)
            if call is not None and (call.deadline or call.opens or call.status or call.budget):
                found.append(call)
        # most blocks of the list must be calls: a news list with one "deadline" is news
        if found and len(found) * 2 > len(group.blocks):
            out += found
        note("calls", group.container, "kept" if found and len(found) * 2 > len(group.blocks)
             else "rejected", f"{len(found)} of {len(group.blocks)} blocks of a list carry a "
             "call's date, budget or status (most must)")
    return out


def _classed(parts: Iterable[HtmlElement], pattern: re.Pattern[str]) -> str | None:
    """The text of the first short element whose class the pattern names."""
    for part in parts:
        for el in part.iter():
            if isinstance(el.tag, str) and pattern.search(el.get("class") or ""):
                text = text_of(el)
                if text and len(text) <= MAX_VALUE:
                    return text
    return None


def _badge(parts: Iterable[HtmlElement]) -> str | None:
    """A status badge: a short element classed as a status or label saying Open / Closed."""
    for part in parts:
        for el in part.iter():
            if not isinstance(el.tag, str):
                continue
            names = f"{el.get('class') or ''}"
            if names and _STATUS_CLASS.search(names):
                text = text_of(el)
                if text and len(text) <= 40 and status_of(text):
                    return text
    return None


# --- 3. a call's own page ----------------------------------------------------------------------


def page_call(page: Page) -> Call | None:
    """The call a detail page is about: labelled fields and headed sections of its content."""
    main = _main(page.tree)
    if main is None:
        return None
    text_lines = lines(main)
    fields = labelled(text_lines)
    for name, text in _sections(main).items():
        if name == "timeline":
            for key, value in labelled(text.split("\n")).items():
                fields.setdefault(key, value)
            continue
        fields.setdefault(name, text)
    others = [n for n in ("opens", "budget", "status", "programme", "who_can_apply")
              if n in fields]
    if not (("deadline" in fields or "period" in fields) and others):
        return None
    title = fields.get("title") or _heading(main) or _heading(page.tree)
    if not title or not _CALL_WORDS.search(" ".join([title, *text_lines[:200]])):
        return None
    hint = _currency(fields.get("budget", ""))
    call = _call(title, fields, absolute_url(page.url, page.url), hint)
    return call if call is not None and (call.deadline or call.opens) else None


def _main(tree: HtmlElement) -> HtmlElement | None:
    for path in ("//main", "//article", "//*[@role='main']", "//body"):
        found = tree.xpath(path)
        if found:
            first: HtmlElement = found[0]
            return first
    return None


def _heading(el: HtmlElement) -> str | None:
    for h in el.iter("h1"):
        text = norm(h.text_content())
        if text:
            return text
    return None


def _sections(main: HtmlElement) -> dict[str, str]:
    """Headed sections that hold one call field each: text from a heading to the next one of
    its level or higher."""
    out: dict[str, str] = {}
    headings = [h for h in main.iter("h2", "h3", "h4", "h5")]
    for h in headings:
        name = _section_name(norm(h.text_content()))
        if name is None or name in out:
            continue
        level = int(h.tag[1])
        body: list[str] = []
        for el in h.itersiblings():
            if not isinstance(el.tag, str):
                continue
            if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and int(el.tag[1]) <= level:
                break
            body += lines(el)
        if body:
            out[name] = "\n".join(body)
    return out


def _section_name(heading: str) -> str | None:
    low = heading.lower().strip(" :?")
    for name, words in SECTIONS.items():
        if low in words:
            return name
    return None


def _unique(found: Iterable[Call]) -> Iterator[Call]:
    seen: set[tuple[str, str | None, str | None]] = set()
    for call in found:
        key = (call.title.lower(), call.url, call.deadline)
        if key not in seen:
            seen.add(key)
            yield call

