"""The fields of one meeting, from its own lines only: title, time and place (`meetings.py`
finds the meetings), and the time and place a page states once for all its meetings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from extractors.dates import find_date_matches
from extractors.fields import labelled_fields
from extractors.html import norm
from extractors.meeting_lines import (
    MEETING_WORD,
    YEAR,
    Dated,
    Line,
    posted_before,
    token_kind,
)
from extractors.times import TimeMatch, find_times

# a field's label alone is no title
_LABEL_ONLY = re.compile(r"^(?:(?:full|additional|event|meeting)\s+)?(?:start|starts|end|ends|"
                         r"when|date|dates|time|times|location|where|place|venue|details|"
                         r"description|information|info)\W*$", re.I)
# a line, or what is left of one, that names a document of a meeting, not the meeting
# a meeting's documents in French, German, Dutch, Spanish, Italian, Lithuanian
_FOREIGN_DOCS = (r"ordre du jour|procès-verbal|compte[- ]rendu|tagesordnung|protokoll|"
                 r"niederschrift|agenda|notulen|verslag|orden del día|acta|verbale|darbotvarkė|"
                 r"protokol(?:as|ai)|sprendim(?:as|ai)")
_DOC_WORDS = re.compile(
    r"^(?:download|view|watch|listen|click|open|print|subscribe|register)\b.*$|"
    r"^(?:(?:regular|special|open|closed|full|board|meeting|public|final|draft|revised|"
    r"amended|approved|official|annual|session|committee|the|event|more|view|see|read)\s+)*"
    r"(?:agendas?|minutes|video|audio|notices?|pdf|presentations?|packets?|summary|transcripts?|"
    r"recordings?|view|download|click here|here|documents?|materials?|attachments?|"
    r"(?:watch|listen)(?: live)?|live ?stream|report|details|more|read more|info|information|"
    r"(?:view|see) (?:the )?(?:minutes|agenda|video|notice)|forthcoming|tbd|tba|" + _FOREIGN_DOCS
    + r")(?:\s*(?:[-–—|/&,+]|and)\s*.*)?$", re.I)
_TRAILING_DOC = re.compile(
    r"(?:\s*[-–—|:,]?\s*(?:agendas?|minutes|video|audio|notices?|public notice|packets?|"
    r"presentations?|transcripts?|recordings?|summary|documents?|materials?|" + _FOREIGN_DOCS
    + r"))+$", re.I)
# a line of document links only, separated by spaces ("Tagesordnung Protokoll", "Agenda Minutes")
_ONLY_DOCS = re.compile(
    r"^(?:(?:agendas?|minutes|video|audio|notices?|packets?|presentations?|transcripts?|"
    r"recordings?|summary|documents?|materials?|pdf|" + _FOREIGN_DOCS + r")\W*)+$", re.I)
# what is left of a list of dates between two of them ("..., November 21, and December 19")
_FUNCTION_WORDS = re.compile(r"(?:\W*\b(?:and|or|the|to|of|on|at|in|for|und|et|ir)\b)+\W*",
                             re.I)
# a schedule's label, not a meeting's name ("Regular meeting dates for 2019", "2018 meetings")
_SCHEDULE_LABEL = re.compile(
    r"^(?:[\w'’-]+\s+){0,3}(?:meeting\s+)?(?:dates|schedule|calendar)\b(?:\s+(?:for|of)\b)?"
    r"[\s\d:,-]*$|^(?:19|20)\d\d\s+meetings\W*$", re.I)
# a post's stamp and byline ("Posted on August 15, 2023 by ...", "Posted in Minutes"): no title
_BYLINE = re.compile(
    r"^(?:(?:posted|published|updated|amended|modified|filed|written|submitted)\b|by\s)", re.I)
_STATUS = re.compile(r"\(?\b(?:cancell?ed|postponed|rescheduled|tentative|revised)\b\)?", re.I)
# house number, optional direction, a capitalised street name, and a street word or a
# direction ("121 N. LaSalle St.", "1950 W. Polk", "4250 North St. Louis Avenue")
_STREET_WORDS = (r"st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|pl|place|ct|court|"
                 r"pkwy|parkway|way|ln|lane|hwy|highway|plaza|sq|square|ter|terrace|cir|circle|"
                 r"broadway|row|pike|trail|loop")
_ADDRESS = re.compile(
    r"(?<![\w#/.-])\d{1,6}[A-Za-z]?\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+"
    r"[A-Z0-9][\w'.-]*|(?<!(?:19|20)\d\d\s)(?:[A-Z0-9][\w'.-]*\s+){1,4}?(?i:" + _STREET_WORDS
    + r")\b)|"
    # the number first, then the street's kind: "12 rue de la République", "5 via Roma"
    r"(?<![\w#/.-])\d{1,4}(?:\s?(?:bis|ter|[a-z]))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|"
    r"place|chemin|allée|quai|impasse|cours|route|via|viale|piazza|calle|avenida|paseo|rua)"
    r"\s+\w|"
    # the street's name, then its number: "Hauptstraße 12", "Gedimino pr. 38", "Keizersgracht 1"
    r"\b[A-ZÄÖÜĄČĘĖĮŠŲŪŽ][\w'’.-]*(?:\s+[A-ZĄČĘĖĮŠŲŪŽ]?[\w'’.-]+)?(?:straße|strasse|str\.|"
    r"weg|platz|allee|gasse|laan|straat|plein|gracht|\s(?i:g\.|gatvė|pr\.|prospektas|al\.|"
    r"alėja|aikštė|ul\.|ulica))\s*\d{1,4}[a-z]?\b")
# "Chicago, IL 60602", "Naperville, IL", "Springfield, Illinois 62701",
# "Suite 165", "Room 1103", "2nd Floor"
_PLACE_TAIL = re.compile(
    r"^(?:[A-Z][A-Za-z .'-]{1,30},\s*(?:[A-Z]{2}\.?|[A-Z][a-z]{3,14}(?=\s+\d{5}))"
    r"(?:\s+\d{5}(?:-\d{4})?)?,?|"
    r"(?:suite|ste\.?|room|rm\.?|floor|unit|building|bldg\.?)\s*[\w#.-]{1,8}.*|"
    r"\d{1,2}(?:st|nd|rd|th)\s+floor.*|[A-Z][\w .'-]{1,30}\s+\d{5}(?:-\d{4})?)$", re.I)
_PLACE_WORDS = re.compile(
    r"\b(?:hall|center|centre|building|office|offices|room|boardroom|library|school|chamber|"
    r"headquarters|fieldhouse|auditorium|campus|college|university|church|station|theater|"
    r"theatre|hotel|court ?house|suite|floor|plaza|park district|community center|city hall|"
    r"village hall|town hall|siège|salle|mairie|hôtel de ville|rathaus|saal|sitzungssaal|"
    r"raum|salė|sala|aula)\b", re.I)
_LOCATION_LABEL = re.compile(
    r"^(?:(?:meeting|hearing|event)\s+)?(?:location|place|venue|where|address)\s*[:\-–]?\s+"
    r"(?P<value>\S.*)$", re.I)
# "Meetings are held at X", "will initially occur monthly at X", "meets ... in X"
_DEFAULT_VERB = re.compile(
    r"\b(?:held|hosted|take place|takes place|occur|occurs|meets?|convenes?|located|"
    r"scheduled|begins?|starts?|starting|lieu|tiennent|tient|réunit|réunissent|finden|findet|"
    r"tagt|tagen|vyksta|vyks)\b", re.I)
_LABEL_ALONE = re.compile(
    r"^(?:(?:meeting|hearing|event)\s+)?(?:location|place|venue|where|address)\s*:?$", re.I)
_AT_PLACE = re.compile(r"\b(?:at|in)\s+(?=(?:the\s+)?[A-Z0-9])|"
                       r"(?<!\w)(?:(?:au|à la|à|dans la|dans le|im|in der|in den)\s+|"
                       r"à l['’])(?=\w)")
_PLACE_END = re.compile(
    r",?\s+(?:unless|until|except|beginning|starting|and will|on the|on (?:mon|tue|wed|thu|fri|"
    r"sat|sun)|from \d|every|statt)\b|;|"
    # "at 10 a.m.", "@ 6:30pm" (not "located at 69 W. Washington St.")
    r"\s+(?:at|@)\s*\d{1,2}(?:[:.]\d\d)?\s*(?:[ap]\.?m\b|noon)|\s+@\s*\d|:$|,\s*to$|"
    # "..., Chicago, Illinois, to consider the following:": the meeting's business
    r"(?:,\s*|\s+)(?:in order\s+)?to\s+(?:consider|discuss|review|hear|act|conduct|address|vote|"
    r"receive|approve|take)\b", re.I)
# a line of office hours or contacts: its times are not a meeting's
_HOURS = re.compile(r"\b(?:office hours|opening hours|business hours|hours\s*:|open (?:from|daily|"
                    r"mon|tue|wed|thu|fri|sat|sun|\d)|phone|fax|call us)", re.I)
_NOT_TITLE_COLUMNS = frozenset({"location", "docs", "other", "time", "date"})
_COLUMN_WORDS = (
    ("location", re.compile(r"\b(?:location|place|where|venue|address|room|site)\b", re.I)),
    ("date", re.compile(r"\b(?:date|when|day)\b", re.I)),
    ("time", re.compile(r"\b(?:time|hours?)\b", re.I)),
    ("docs", re.compile(r"\b(?:agendas?|minutes|documents?|attachments?|files?|materials?|"
                        r"video|audio|media|notices?|packets?|downloads?|links?)\b", re.I)),
    ("other", re.compile(r"\b(?:type|category|categories|status|comments?|notes?)\b", re.I)),
    ("title", re.compile(r"\b(?:meeting|name|title|event|committee|board|body|description|"
                         r"subject|topic)\b", re.I)),
)


@dataclass(slots=True)
class MeetingItem:
    dated: Dated
    lines: list[int]  # the item's lines, in order
    piece: str  # the dated line's own text for this date (up to the line's next date)
    lead: str  # the dated line's text before the date
    title: str | None = None
    time: TimeMatch | None = None
    location: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    until: Dated | None = None  # an "End" date given apart from the meeting's date
    also: list[Dated] = field(default_factory=list)  # the same day again in the item


def document_title(text: str) -> bool:
    """Whether a title only names a meeting's document ("Minutes", "Agenda | Video",
    "Darbotvarkė"): a link to a meeting's papers, not an item of its own."""
    text = norm(text)
    return bool(text) and (_ONLY_DOCS.match(text) is not None or (
        len(text) <= 40 and _DOC_WORDS.match(text) is not None))


def clean_title(text: str) -> str | None:
    """A title from a line: its dates, times, status words and document words taken out."""
    for m in reversed(find_date_matches(text)):
        text = text[:m.start] + " " + text[m.end:]
    for t in reversed(find_times(text)):
        text = text[:t.start] + " " + text[t.end:]
    text = _STATUS.sub(" ", text)
    text = re.sub(r"^\s*\d{1,2}(?:st|nd|rd|th)?\s*[-–—:|]\s*", "", text)  # "9 – " under "January"
    text = re.sub(r"\.(?:pdf|docx?|html?)\b", " ", text, flags=re.I)
    text = norm(text).strip(" -–—|:,;@()[]/•·")
    text = re.sub(r"\s+(?:on|at|for|of|du|de la|de l'|des|de|le|la|vom|am|des|der|del|di)$",
                  "", text, flags=re.I)
    text = re.sub(r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun)"
                  r"\b\.?,?\s*", "", text, flags=re.I).strip(" -–—|:,;@")
    if re.match(r"(?:at|@)\b", text, re.I):
        return None  # "February 6 at 3 pm at the Chamber, 1210 W. Rosedale": a time and a place
    bare = _TRAILING_DOC.sub("", text).strip(" -–—|:,;@()[]/•·")
    if bare != text and MEETING_WORD.search(bare):
        text = bare  # "Board Meeting Agenda" names the meeting of its agenda
    if (sum(c.isalpha() for c in text) < 3 or _DOC_WORDS.match(text) or YEAR.fullmatch(text)
            or _ONLY_DOCS.match(text) or _FUNCTION_WORDS.fullmatch(text)
            or _SCHEDULE_LABEL.match(text)
            or _LABEL_ONLY.match(text) or _BYLINE.match(text) or token_kind(text) is not None):
        return None
    return text


def _address_lines(lines: list[Line], idx: list[int], dated_line: int, title: str | None
                   ) -> str | None:
    """The place lines of an item: the address line, the name line before it (unless it is
    the heading that titles the item) and the city, suite or room lines after it."""
    for n, j in enumerate(idx):
        text = lines[j].text
        if j == dated_line or not _ADDRESS.search(text) or len(text) > 200:
            continue
        if len(text) > 60 and _DEFAULT_VERB.search(text):
            # a sentence ("The committee meets at 10:00 am in the County Building located at
            # 69 W. Washington St."): the place it names, not the sentence
            said = _default_place(text)
            if said:
                return said
        parts = [text]
        if n > 0 and idx[n - 1] != dated_line:
            before = lines[idx[n - 1]].text
            if _name_line(before) and not (lines[idx[n - 1]].heading
                                           and clean_title(before) == title):
                parts.insert(0, before)
        for k in idx[n + 1:n + 4]:
            after = lines[k].text
            if not _PLACE_TAIL.match(after) and not (_PLACE_WORDS.search(after) and
                                                     _name_line(after)):
                break
            parts.append(after)
        return ", ".join(p.strip(" ,") for p in parts)
    return None


def _with_address(value: str, texts: list[str]) -> str:
    """A labelled place that names a building, with the street address and city lines right
    under it ("Location" / "Clark High School" / "5101 W. Harrison St." / "Contact: ...")."""
    at = next((n for n, text in enumerate(texts) if norm(text).strip(" ,;").endswith(value)),
              None)
    if at is None or at + 1 >= len(texts):
        return value
    address = texts[at + 1]
    if (len(address) > 200 or not _ADDRESS.search(address) or find_times(address)
            or find_date_matches(address)):
        return value
    parts = [value, address]
    for text in texts[at + 2:at + 4]:
        if not _PLACE_TAIL.match(text):
            break
        parts.append(text)
    return ", ".join(p.strip(" ,") for p in parts)


def _name_line(text: str) -> bool:
    return (len(text) <= 80 and not find_date_matches(text) and not find_times(text)
            and not _DOC_WORDS.match(text) and any(c.isupper() for c in text))


def _place_after(piece: str, date_end: int) -> str | None:
    """The place a dated line names after its date and time: "... at 3:pm at Edgewater
    Chamber of Commerce 1210 W. Rosedale", "on Thursday, February 7, 2019 at Harold
    Washington College, 30 East Lake Street"."""
    times = [t for t in find_times(piece) if t.start >= date_end]
    rest = piece[times[0].end:] if times else piece[date_end:]
    m = re.match(r"^\W{0,3}(?:at|in|@|-|–)\s+(?P<loc>.+)$", rest.strip(), re.I)
    if m is None:
        return None
    loc = m.group("loc")
    cut = _PLACE_END.search(loc)
    loc = (loc[:cut.start()] if cut else loc).strip(" .,;")
    return loc if _ADDRESS.search(loc) or _PLACE_WORDS.search(loc) else None


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def _extends(short: str, long: str) -> bool:
    """Whether `long` is `short` written out further: a teaser cut short ("... located at
    69 W.") and the full text of the same description after it."""
    a, b = _letters(short), _letters(long)
    return len(b) > len(a) >= 3 and b.startswith(a)


def same_place(a: str, b: str) -> bool:
    """One place written twice: the same words whatever the punctuation and quotes
    ("Room 'C'", "Room ‘C’"), or one of them cut short."""
    return _letters(a) == _letters(b) or _extends(a, b) or _extends(b, a)


def fuller_place(a: str | None, b: str | None) -> str | None:
    """Of two sightings of one meeting's place, the one written out further."""
    if a and b and _extends(a, b):
        return b
    return a or b


def read_fields(item: MeetingItem, lines: list[Line], columns: dict[int, str]) -> None:
    """Title, time and place from the item's own lines (and its table columns, by header)."""
    idx = item.lines
    texts = [lines[j].text for j in idx]
    own_title = None
    for j in idx:
        if lines[j].heading or columns.get(j) == "title":
            own_title = clean_title(lines[j].text)
            if own_title:
                break
    if own_title is None and item.lead:
        own_title = clean_title(item.lead)
    if own_title is None:
        for j in idx:
            text = lines[j].text
            column = columns.get(j)
            if j == item.dated.line or (column in _NOT_TITLE_COLUMNS and not (
                    column == "docs" and MEETING_WORD.search(text))):
                continue  # an "Agenda" column's link may name its meeting, not a document
            split = _around_time(text)
            if split is not None and split[0] and not _ADDRESS.search(split[0]):
                text = split[0]  # "Regular Meeting, 6:00 PM, Room 101": what the time follows
            if (clean_title(text) and not _ADDRESS.search(text) and not _PLACE_TAIL.match(text)
                    and not _LOCATION_LABEL.match(text) and len(text) <= 150):
                own_title = clean_title(text)
                break
    if own_title is None and not item.dated.tile:
        own_title = clean_title(item.piece)
    if own_title is not None and len(own_title) > 80:  # a sentence: the meeting it names
        own_title = _prose_title(own_title) or own_title
    item.title = own_title
    # time: the date's own, else the first after the date on its line, else in the item
    if item.dated.time is not None:  # "October 17, 2023, 7:00 PM - 9:00 PM": its end
        item.time = next((t for t in find_times(item.piece)
                          if t.time == item.dated.time and t.end_time), None)
    else:
        item.time = _meeting_time(item.piece)
        if item.time is None:
            for j, text in zip(idx, texts, strict=True):
                if j == item.dated.line or _HOURS.search(text):
                    continue
                item.time = _meeting_time(text)
                if item.time is not None:
                    break
    # place: a labelled line, else an address, else the dated line's "at <place>"
    labelled = labelled_fields(texts).fields.get("location")
    if labelled is not None and not _ADDRESS.search(labelled):
        labelled = _with_address(labelled, texts)
    if labelled is None:
        for n, text in enumerate(texts):
            m = _LOCATION_LABEL.match(text)
            if m:
                labelled = m.group("value")
                if not _ADDRESS.search(labelled) and n + 1 < len(texts) and \
                        _ADDRESS.search(texts[n + 1]):
                    labelled = f"{labelled}, {texts[n + 1]}"
                break
    column = ", ".join(lines[j].text.strip(" ,") for j in idx if columns.get(j) == "location")
    place = (labelled or (column if 3 <= len(column) <= 300 else None)
             or _after_time(item, lines)
             or _address_lines(lines, idx, item.dated.line, item.title)
             or _sentence_place(item, lines)
             or _name_only_place(item, lines))
    item.location = _tidy_place(place) if place else None


def _tidy_place(place: str) -> str | None:
    """A place without the words that lead into it: "@ City Hall" is "City Hall"; so is
    "[held in] the City Hall" ("the Board Room, 175 W. Jackson" is "Board Room, ...")."""
    return _LEADING_THE.sub("", place.lstrip("@ ")) or None


_LEADING_THE = re.compile(r"^the\s+(?=[A-Z])")
# what follows a time in a line of fields: a separator, then a name or a number
_FIELD_BREAK = re.compile(r"\s*[,;|–—-]\s*[A-Z0-9]")


def _around_time(text: str) -> tuple[str, str] | None:
    """A line of fields around its one clock time, "Budget Hearing, 5:30 PM, Room 101": the
    text before the time and after it, separators stripped; None without exactly one time."""
    if len(text) > 200:
        return None
    times = find_times(text)
    if len(times) != 1:
        return None
    t = times[0]
    before, after = text[:t.start], text[t.end:]
    if (after.strip() and not _FIELD_BREAK.match(after)) or len(before) > 80:
        return None  # a sentence goes on after its time ("at 10 am in the ..."): no fields
    return before.strip(" ,;|–—-"), after.strip(" ,;|–—-")


def _after_time(item: MeetingItem, lines: list[Line]) -> str | None:
    """The place a line of fields names after its time ("..., 6:00 PM, Administration
    Building, 541 N. Fairbanks Ct."), from the item's own lines or the date's piece."""
    texts = [item.piece] + [lines[j].text for j in item.lines if j != item.dated.line]
    for text in texts:
        split = _around_time(text)
        if split is None or not split[1] or len(split[1]) > 150:
            continue
        after = split[1]
        if find_date_matches(after):
            continue
        if _ADDRESS.search(after) or _PLACE_TAIL.match(after) or (
                _PLACE_WORDS.search(after) and _name_line(after)):
            return after
    return None


# a place's name alone on a line: a few capitalised words, one of them a place word
_NAME_WORDS = re.compile(r"^(?:(?:[A-Z0-9][\w'’.&-]*|of|the|and|de|du|la)\s*){1,6}$")


def _name_only_place(item: MeetingItem, lines: list[Line]) -> str | None:
    """A line of the item that only names a place ("Administration Building", "Room 101"):
    not its title's line, without a date or a time."""
    for j in item.lines:
        text = lines[j].text.strip(" ,;")
        if j == item.dated.line or len(text) > 60 or not _NAME_WORDS.match(text):
            continue
        if not (_PLACE_WORDS.search(text) or _PLACE_TAIL.match(text)):
            continue
        if (item.title and clean_title(text) == item.title) or find_times(text) or \
                find_date_matches(text):
            continue
        return text
    return None


# the meeting a sentence announces: "a special meeting of the Board of Trustees will be held",
# "The Finance Committee will meet"
_PROSE_MEETING = re.compile(
    r"\b(?:a|an|the)\s+((?:[\w'&-]+\s+){0,4}?(?:meeting|session|hearing)"
    r"(?:\s+of\s+the\s+(?:[A-Z][\w'&-]*\s*(?:of\s+|and\s+|&\s+)?){1,6})?)\s*"
    r"(?:will|shall|is|has been|to be)\b|"
    r"\b(?:the\s+)?((?:[A-Z][\w'&-]*\s+){0,5}(?:Board|Committee|Commission|Council)"
    r"(?:\s+of\s+[A-Z][\w'&-]*(?:\s+[A-Z][\w'&-]*){0,3})?)\s+(?:will|shall)\s+"
    r"(?:meet|hold|convene)\b")


def _prose_title(text: str) -> str | None:
    """The meeting a paragraph announces, as a title; None when it names none."""
    m = _PROSE_MEETING.search(text)
    if m is None:
        return None
    name = re.sub(r"^the\s+", "", norm(m.group(1) or m.group(2)), flags=re.I)
    return name[:1].upper() + name[1:] if 3 <= len(name) <= 100 else None


def _meeting_time(text: str) -> TimeMatch | None:
    """The first clock time of a text that is not when a document was posted or amended
    ("Oct 19, 2023 — Posted Oct 13, 2023 4:01 PM": no time for the meeting)."""
    for t in find_times(text):
        if not posted_before(text[max(0, t.start - 60):t.start]):
            return t
    return None


def _sentence_place(item: MeetingItem, lines: list[Line]) -> str | None:
    """The place the dated line names after its date ("... at 3 pm at the Chamber"), else
    the one a repeat of the same day in the item names; a repeat that writes the first one
    out further (a teaser, then the full description) wins."""
    place = _place_after(item.piece, item.dated.end - item.dated.start)
    for x in item.also:
        other = _place_after(lines[x.line].text[x.start:], x.end - x.start)
        if other and (place is None or _extends(place, other)):
            place = other
    return place


def _column_kind(label: str) -> str | None:
    """What a table column holds, by its header ("Meeting Date" -> date, "Meeting name" ->
    title, "Principal Location" -> location, "Attachments" -> docs)."""
    if len(label) > 40:
        return None
    return next((kind for kind, words in _COLUMN_WORDS if words.search(label)), None)


def columns_of(lines: list[Line], item: MeetingItem, headers: dict[HtmlElement, list[str | None]]
             ) -> dict[int, str]:
    """The column kind of each of an item's lines that sits in a table cell with a header."""
    out: dict[int, str] = {}
    for j in item.lines:
        cell = next((a for a in (lines[j].owner, *lines[j].owner.iterancestors())
                     if a.tag in ("td", "th", "table")), None)
        if cell is None or cell.tag == "table":
            continue
        row = cell.getparent()
        table = next((a for a in row.iterancestors() if a.tag == "table"), None) \
            if row is not None else None
        if row is None or table is None:
            continue
        if table not in headers:
            headers[table] = _header(table)
        kinds = headers[table]
        cells = [c for c in row if c.tag in ("td", "th")]
        at = next((n for n, c in enumerate(cells) if c is cell), None)
        if at is not None and at < len(kinds) and kinds[at] is not None:
            out[j] = kinds[at]  # type: ignore[assignment]
    return out


def _header(table: HtmlElement) -> list[str | None]:
    """The kinds of a table's columns, from its first row when that row is a header: `<th>`
    cells, or plain cells that each name a column and hold no digit ("<td><strong>Date</strong>
    </td><td><strong>Place</strong></td>", as many CMS tables write a header)."""
    first = next(table.iter("tr"), None)
    if first is None:
        return []
    labels = [norm(c.text_content()).lower().strip(" :") for c in first if c.tag in ("td", "th")]
    kinds = [_column_kind(label) for label in labels]
    if first.find("th") is None and (len(labels) < 2 or None in kinds
                                     or any(ch.isdigit() for label in labels for ch in label)):
        return []
    return kinds


def page_defaults(lines: list[Line], used: set[int], first_item: int, single: bool
              ) -> tuple[TimeMatch | None, str | None]:
    """A time and a place the page states once for all its meetings, outside any item: in a
    sentence about its meetings, or as a labelled place before the first meeting (anywhere
    on a page of one meeting)."""
    times: list[TimeMatch] = []
    places: list[str] = []
    for i, line in enumerate(lines):
        if i in used or len(line.text) > 600:
            continue
        text = line.text
        label = _LOCATION_LABEL.match(text)
        value = label.group("value") if label else None
        if value is None and _LABEL_ALONE.match(text) and i + 1 < len(lines) and \
                i + 1 not in used:
            value = lines[i + 1].text  # "Location" above "Pace Headquarters"
        if value and (i < first_item or single) and (_ADDRESS.search(value)
                                                      or _PLACE_WORDS.search(value)):
            places.append(value)
            continue
        if not (MEETING_WORD.search(text) and _DEFAULT_VERB.search(text)):
            continue
        if not _HOURS.search(text):
            found = [t for t in find_times(text) if t.end_time is None]
            if len(found) == 1:
                times.append(found[0])
        place = _default_place(text)
        if place:
            places.append(place)
    distinct = {t.time for t in times}
    return (times[0] if len(distinct) == 1 else None), (places[0] if places else None)


def _default_place(text: str) -> str | None:
    verb = _DEFAULT_VERB.search(text)
    if verb is None:
        return None
    rest = text[verb.end():]
    cut = _PLACE_END.search(rest)
    right_after = rest[:cut.start()] if cut else rest
    if not _AT_PLACE.search(right_after) and len(right_after) <= 120 and \
            _ADDRESS.search(right_after):
        # no preposition, as languages with a locative case write it: "Posėdžiai vyksta
        # Agentūros posėdžių salėje, Gedimino pr. 38, Vilnius."
        return right_after.strip(" .,;:")
    for m in _AT_PLACE.finditer(rest):
        loc = rest[m.end():]
        if re.match(r"(?:the\s+)?\d{1,2}(?::\d\d)?\s*[ap]\.?m|\d{1,2}:\d\d", loc, re.I):
            continue  # "at 10 a.m."
        cut = _PLACE_END.search(loc)
        loc = loc[:cut.start()] if cut else loc
        loc = loc.strip(" .,;:")
        if 3 <= len(loc) <= 200 and (_ADDRESS.search(loc) or _PLACE_WORDS.search(loc)):
            return _tidy_place(loc)
    return None
