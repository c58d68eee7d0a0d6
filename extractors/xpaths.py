"""The heuristics' data: tag sets, class/id tokens, labels and phrases, in one place.

Code elsewhere says how these are used; this module says what they are and why each exists.
Labels are matched case-insensitively on whitespace-normalised text. Languages: English and
Lithuanian first (the sites we watch), then common EU languages so that other agencies' pages
do not break.
"""

from __future__ import annotations

import re

import lxml.etree as etree

# Magic numbers of files that are never HTML: PDF, PNG, GIF, JPEG, ZIP/OOXML, gzip, 7z, OLE.
BINARY_MAGIC: tuple[bytes, ...] = (
    b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf",
    b"\xd0\xcf\x11\xe0", b"RIFF", b"\x00\x00\x01\x00",
)

# Subtrees whose text is never visible page text.
SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "canvas", "object", "embed", "iframe",
    "head", "select", "option", "button", "textarea",
})

# Elements that start a new line of text when a block is read as lines.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "caption", "body", "html",
    "center", "legend", "menu",
})
LINE_BREAK_TAGS = frozenset({"br"})
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# Elements that are page furniture by their tag alone. Not <form>: ASP.NET and SharePoint
# pages (common on government sites) wrap the whole page in one. <header> only outside
# <article>/<main> (an item's own header holds its title and date).
BOILERPLATE_TAGS = frozenset({"nav", "footer", "aside", "header", "menu", "dialog"})
CONTENT_TAGS = frozenset({"article", "main"})

# class / id names of page furniture, matched at the head of a class name only: "sidebar",
# "sidebar-second", "nav__list" and "cookie-consent" are furniture, but "right-sidebar",
# "content-sidebar-wrap" or "with-navigation" are modifiers of a content wrapper (measured on the
# trafilatura benchmark: matching anywhere in the name dropped recall from 0.94 to 0.82).
# "header" is not listed: "entry-header" holds an item's title and date.
BOILERPLATE_TOKEN_RE = re.compile(
    r"^(?:nav|navbar|navigation|menu|mainmenu|submenu|megamenu|footer|site-footer|"
    r"site-header|masthead|topbar|sidebar|breadcrumbs?|breadcrumb|cookies?|cookie-?banner|"
    r"cookie-consent|consent|gdpr|pagination|pager|paging|share|sharing|social|skip|skip-link|"
    r"toolbar|newsletter|subscribe|login|searchform|search-form|modal|popup|sliding-popup|"
    r"language-switcher|lang-switcher|languages|tagcloud|copyright)(?:$|[_-])",
    re.I,
)
# Furniture whose text trafilatura lets through on short pages: removed from its output.
STRAY_FURNITURE_RE = re.compile(
    r"cookie|consent|gdpr|newsletter|subscribe|copyright|popup", re.I)
SIDEBAR_RE = re.compile(r"(?:^|\s)sidebar(?:$|[\s_-])", re.I)

# Furniture is small: an element holding this share of the page's text is its content, whatever
# its class says (themes call the whole page wrapper "sidebar_right" or "off-canvas").
FURNITURE_MAX_SHARE = 0.4

# Comment threads: repeated blocks with an author link and a date, never news or events.
# Whole class names only ("comments", "commentlist", "comment-body"), not modifiers such as
# "has-comments" or "comments-open" that themes put on the content wrapper.
COMMENTS_RE = re.compile(
    r"(?:^|\s)(?:comments?|commentlist|comment-list|kommentare?|komentarai|replies|respond|"
    r"disqus\w*)(?:$|\s|[_-](?!open|closed))", re.I)

# Link texts that point at an item but are not its title (teaser lists end in them).
READ_MORE = frozenset({
    "read more", "more", "more...", "more…", "read more...", "read more »", "more »", "»", "›",
    "more about event", "more about the event", "learn more", "continue reading", "details",
    "more details", "more info", "more information", "find out more", "view more", "view",
    "see more", "full story", "read the full story", "read full article", "event details",
    "skaityti daugiau", "skaityti", "daugiau", "plačiau", "plačiau...", "daugiau...",
    "skaitykite daugiau", "daugiau apie renginį", "sužinoti daugiau",
    "weiterlesen", "mehr", "mehr lesen", "mehr erfahren", "zum artikel", "details anzeigen",
    "lire la suite", "en savoir plus", "lire plus", "suite", "plus", "voir plus",
    "leer más", "ver más", "más información", "leggi tutto", "leggi di più", "continua",
    "czytaj więcej", "więcej", "lasīt vairāk", "vairāk", "loe edasi", "loe lähemalt",
    "lue lisää", "läs mer", "les mer", "læs mere", "lees meer", "meer", "lees verder",
    "číst dále", "více", "čítať ďalej", "több", "tovább", "citește mai mult", "citeste mai mult",
    "прочети повече", "подробнее", "читать далее", "ler mais", "saiba mais", "περισσότερα",
    "opširnije", "više", "preberi več", "več",
})

# Event field labels as pages print them ("Organizator" is klaster.lt's spelling).
ORGANISER_LABELS = (
    "organizer", "organiser", "organizers", "organisers", "organizator", "organizatorius",
    "organizatoriai", "organised by", "organized by", "host", "hosted by", "hosts",
    "veranstalter", "organisateur", "organisateurs", "organizzatore", "organizador",
    "organizatorzy", "organizators", "korraldaja", "järjestäjä", "arrangör", "arrangør",
    "organisator", "pořadatel", "organizátor",
)
LOCATION_LABELS = (
    "location", "venue", "place", "where", "address", "vieta", "renginio vieta", "adresas",
    "ort", "veranstaltungsort", "lieu", "adresse", "luogo", "sede", "lugar", "miejsce",
    "norises vieta", "vieta", "toimumiskoht", "koht", "paikka", "plats", "sted", "locatie",
    "místo", "miesto", "helyszín", "locație", "locatie",
)
DATE_LABELS = (
    "date", "dates", "when", "time", "date and time", "date & time", "event date", "start date",
    "data", "laikas", "data ir laikas", "renginio data", "datum", "termin", "zeit", "wann",
    "date du début", "quand", "fecha", "cuándo", "quando", "kiedy", "datums", "kuupäev",
    "päivämäärä", "aika", "tid", "wanneer", "dátum",
)
END_DATE_LABELS = ("end date", "date de fin", "pabaigos data", "enddatum", "ends")

# <meta> names of the page's own date (Open Graph, Dublin Core, schema.org, plain "date"):
# the year a list's year-less dates ("02/23(金)") belong to
META_DATE_RE = re.compile(
    r"^(?:article:(?:published|modified)_time|og:updated_time|date|pubdate|publishdate|"
    r"dc\.date|dcterms\.(?:date|modified|issued|created)|datepublished|datemodified|"
    r"last-modified)$", re.I)

# class / id tokens that name a field inside a list item (a date span, a venue paragraph).
DATE_CLASS_RE = re.compile(r"date|time|when|datum|data|published|posted|day|calendar", re.I)
# a date element that says when the page was edited, not first published
MODIFIED_RE = re.compile(r"modif|updat|edited|changed|atnaujint|aktualisiert", re.I)
LOCATION_CLASS_RE = re.compile(r"location|venue|place|address|where|vieta|\bort\b|city|lieu", re.I)
ORGANISER_CLASS_RE = re.compile(r"organi[sz]|host|veranstalter", re.I)
# not "body" / "content": Drupal calls every field wrapper "field-content"
SUMMARY_CLASS_RE = re.compile(r"summary|teaser|excerpt|intro|lead|abstract|desc", re.I)
TITLE_CLASS_RE = re.compile(r"title|headline|heading", re.I)  # not "name": venue-name, author-name

# Headings above a block that make its items events (not news).
EVENT_HEADING_RE = re.compile(
    r"\b(?:events?|upcoming|calendar|agenda|renginiai|renginių|renginys|kalendorius|"
    r"veranstaltungen|termine|événements|evenements|manifestations|agenda|eventi|eventos|"
    r"wydarzenia|pasākumi|üritused|tapahtumat|evenemang|arrangementer|evenementen|akce|"
    r"rendezvények|evenimente|concerts?|gigs?|tour dates|conferences?|seminars?|workshops?)\b",
    re.I,
)
# class / id of a block that holds events ("event-listings", "views-view-events").
EVENT_CLASS_RE = re.compile(r"event|calendar|rengin|veranstaltung|agenda|concert", re.I)

# class / id of a container that holds items, where a single dated item is still a list
LIST_HINT_RE = re.compile(
    r"event|news|listing|view-content|teaser|posts|articles|naujien|rengin|agenda|calendar|"
    r"aktuell|actualit|termine|veranstaltung", re.I)

# Good-practice side panel labels (Interreg Europe and lookalikes).
GP_INSTITUTION_LABELS = ("main institution", "institution", "organisation", "organization",
                         "pagrindinė institucija", "lead partner")
GP_COUNTRY_LABELS = ("country", "location", "šalis", "land", "pays")
GP_START_LABELS = ("start date", "start", "pradžios data", "beginning")
GP_END_LABELS = ("end date", "end", "pabaigos data")
GP_KNOWN_SECTIONS = ("resources needed", "evidence of success",
                     "potential for learning or transfer")
# Panel or page furniture headings that are not sections of the practice itself.
GP_NOT_SECTIONS = frozenset({
    "main institution", "good practices being followed by", "contact", "contacts",
    "share", "share this", "related", "related good practices", "expert opinion",
    "comments", "tags", "keywords", "documents", "downloads", "see also",
})
GP_ONGOING = frozenset({"ongoing", "on-going", "tęstinis", "vykdoma", "laufend", "en cours",
                        "in corso", "en curso", "-", "–", "n/a"})

# Countries by the English name Interreg-style panels print after the native one
# ("Lietuva, Lithuania (Lietuva)"); the panel is read by finding one of these.
COUNTRIES = (
    "Albania", "Andorra", "Austria", "Belarus", "Belgium", "Bosnia and Herzegovina", "Bulgaria",
    "Croatia", "Cyprus", "Czech Republic", "Czechia", "Denmark", "Estonia", "Finland", "France",
    "Germany", "Greece", "Hungary", "Iceland", "Ireland", "Italy", "Kosovo", "Latvia",
    "Liechtenstein", "Lithuania", "Luxembourg", "Malta", "Moldova", "Monaco", "Montenegro",
    "Netherlands", "North Macedonia", "Norway", "Poland", "Portugal", "Romania", "Russia",
    "San Marino", "Serbia", "Slovakia", "Slovenia", "Spain", "Sweden", "Switzerland", "Turkey",
    "Ukraine", "United Kingdom", "Georgia", "Armenia", "Azerbaijan", "Israel", "Canada",
    "United States", "China", "Japan", "Brazil", "India", "Australia",
)

# Title suffix separators ("Article title | Site name").
TITLE_SEPARATORS = re.compile(r"\s+[|–—·•»:]\s+|\s+-\s+|\s+::\s+")

# Raw-HTML markers that a page carries schema.org data; extruct runs only when one is present
# because it costs more than all other extraction together.
STRUCTURED_MARKERS = ("application/ld+json", "itemtype", "typeof=", "vocab=")


# ---------------------------------------------------------------------------------------------
# Compiled XPath: first cuts done in C, before the (case-insensitive) regexes above run on the
# few elements left. Class names are lower case in practice; the regexes make the final call.


def _class_contains(*words: str, attrs: tuple[str, ...] = ("@class",)) -> str:
    return " or ".join(f"contains({a}, '{w}')" for a in attrs for w in words)


# Blocks inside an element: its text needs line breaks (html.text_of), not lxml's text_content.
# One name lookup per element (in "|address|article|...|"): forty `self::x` tests cost 7 times
# as much.
HAS_BLOCK = etree.XPath(
    "boolean(descendant::*[contains('|" + "|".join(sorted(BLOCK_TAGS | SKIP_TAGS | {"br"}))
    + "|', concat('|', local-name(), '|'))])")
TITLE_CLASSED = etree.XPath(
    f"descendant-or-self::*[{_class_contains('title', 'Title', 'headline', 'heading')}]")
# Case-sensitive words in the class of a list item's date and teaser candidates; items.py
# tests them in Python over the item's classed elements (an XPath call per item cost more).
DATE_CLASS_CUT = re.compile(
    "date|Date|time|when|datum|data|published|posted|day|calendar")
SUMMARY_CLASS_CUT = re.compile("summary|teaser|excerpt|intro|lead|abstract|desc")
EVENT_CLASSED = etree.XPath(f"descendant-or-self::*[{_class_contains('event', 'Event')}]")
# Candidates for the furniture lines removed from trafilatura's text (furniture.py): <nav>,
# <footer>, these roles, and class or id names holding one of these words (case-sensitive,
# the first letter left out for "Cookie"); STRAY_FURNITURE_RE and SIDEBAR_RE decide.
FURNITURE_NAME_RE = re.compile("ookie|onsent|gdpr|ewsletter|ubscribe|opyright|opup|idebar")
FURNITURE_ROLES = frozenset({"dialog", "navigation"})
# Text runs of sentence length: the prose of a page (lists.py tells articles from lists).
LONG_TEXT = etree.XPath(
    "//body//text()[string-length(normalize-space(.)) >= 60]"
    "[not(ancestor::script)][not(ancestor::style)][not(ancestor::noscript)]")
