"""Figures in plain text: money, percentages, areas and counts, by design.md's figure rules.

    find_figures("Public investments ... was €73.3 million.")
      -> [Figure(73300000.0, "EUR", "€73.3 million", "Public investments ... was €73.3 million.")]

How: one regex finds every number; each is then read in its neighbourhood (a currency before
it, a magnitude word, currency, `%`, area unit or noun phrase after it), so the work is linear
in the length of the text. Date expressions, phone numbers, times, codes, years and ordinals are
never figures.

Separators, European and English. Spaces always group thousands (`1 403 744,26`); when both
`.` and `,` appear, the last one is the decimal mark (`1,234.56`, `1.234,56`); a separator
that repeats groups thousands (`1.403.744`). The ambiguous case is one separator followed by
exactly three digits (`1,400`, `2.815`): it groups thousands, except when
  - a magnitude word follows (`2.815 billion €` is 2.815e9: nobody writes 2815 billion), or
  - the integer part is 0 (`0,197 procento`: thousands never start with 0), or
  - it is a percentage (`12,500 %` of thousands is not a thing these sites say).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from decimal import Decimal, InvalidOperation

from extractors.dates import date_spans
from extractors.records import Figure
from extractors.text import SentenceIndex, digit_run_starts, matches_at, normalise_ws

_S = "[ \u00a0\u202f]"  # the one space allowed inside a figure ("22 %", "204 M Euro")
_NOT_LETTER_AFTER = r"(?![^\W\d_])"

# A number: space-grouped, comma-grouped, dot-grouped or plain. Not glued to a word, code or
# another number before it ("WP3", "LT-01103", "v1.2", "13:44").
_NUMBER = re.compile(
    r"(?<![\w.,/:#№§])(?<![^\W\d_]-)"
    r"(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?"
    r"|\d+(?:[.,]\d+)?)"
    r"(?!\d|[.,:/]\d)"
)

# Magnitude words. `M`, `k` and `bn` only count next to a currency (`204 M Euro`, `€5bn`).
_MAG_WORDS = (
    r"(?i:thousands?|tūkst\.?|tūkstančių|tūkstančiai|millions?|mln\.?|milijon(?:ų|ai|as|o)"
    r"|billions?|mlrd\.?|milijard(?:ų|ai|as|o)|trillions?)"
)
_MAG_MONEY = rf"(?:{_MAG_WORDS}|M|k|K|bn|bln\.?|MM)"
# Power of ten by the start of the (lower-cased) magnitude word; "M", "MM", "k", "K" exact.
_SCALE_PREFIXES = (
    ("thousand", 3), ("tūkst", 3), ("million", 6), ("mln", 6), ("milijon", 6),
    ("billion", 9), ("bln", 9), ("mlrd", 9), ("milijard", 9), ("trillion", 12),
)  # fmt: skip
_SCALE_EXACT = {"M": 6, "MM": 6, "k": 3, "K": 3, "bn": 9}

# Currencies: symbol or code before or after the number; words after it.
_CUR_CODES = (
    r"MEUR|kEUR|TEUR|EUR|USD|GBP|LTL|SEK|NOK|DKK|PLN|CHF|CZK|HUF|RON|BGN|JPY|CNY|RUB|UAH|ISK"
)
_CUR_BEFORE = re.compile(
    rf"(?:(?<![\w])(?P<code>{_CUR_CODES}|Eur|Euro|Lt)|(?P<sym>US\$|€|\$|£)){_S}?\Z"
)  # \Z, not $: `$` also matches before a final newline, and a block's last word is no unit
_CUR_AFTER = (
    rf"(?P<cur>{_CUR_CODES}|€|US\$|\$|£|zł|Lt|Eur(?:o|os)?|(?i:eur(?:o|os|ų|ai|as|ą|us|ams|ais)?)"
    rf"|(?i:lit(?:ų|ai|as|us|ais))|(?i:(?:US{_S})?dollars?)){_NOT_LETTER_AFTER}"
)
_MONEY_AFTER = re.compile(rf"{_S}?(?:(?P<mag>{_MAG_MONEY}){_NOT_LETTER_AFTER}{_S}?)?{_CUR_AFTER}")
_MAG_AFTER = re.compile(rf"{_S}?(?P<mag>{_MAG_MONEY}){_NOT_LETTER_AFTER}")
_PERCENT_AFTER = re.compile(
    rf"{_S}?%|{_S}(?i:proc\.|(?:percent|per{_S}cent|procent(?:ai|ų|o|as|us)?|pct|proc)"
    rf"{_NOT_LETTER_AFTER})"
)
_AREA_AFTER = re.compile(
    rf"{_S}?(?:(?P<km2>km²|km2|(?:sq\.?|kv\.){_S}?km{_NOT_LETTER_AFTER}"
    rf"|(?i:square{_S}kilomet(?:re|er)s))|(?P<m2>m²|m2|(?:sq\.?|kv\.){_S}?m{_NOT_LETTER_AFTER}"
    rf"|(?i:square{_S}met(?:re|er)s))|(?P<ha>ha|(?i:hectares?|hektar(?:ų|ai|as|us))))"
    rf"(?![\w])"
)
# Every unit, currency and counted noun starts with a letter or one of these symbols.
_UNIT_HINT = re.compile(rf"{_S}?(?:[^\W\d_]|[%€$£²])")
_NEXT_NUMBER = re.compile(rf"{_S}?\d")
_COUNT_MAG = re.compile(rf"{_S}(?P<mag>{_MAG_WORDS}){_NOT_LETTER_AFTER}")
_WORD = re.compile(rf"{_S}(?P<w>[^\W\d_]+(?:[-&][^\W\d_]+)*)(?![\w'’])")

# Words before a number that make it a name or an address, not a count ("WP 3", "pr. 178").
_LABEL_BEFORE = re.compile(
    r"(?:(?<![\w.])(?:No|Nr|nr|no|Art|p|pp|pr|g|al|str|St|Str|tel|Tel|fax|Fax)\."
    r"|(?<![\w])[A-Z]{2,}\d*|(?<![\w])(?:Article|Section|Chapter|Milestone|Phase|Priority"
    r"|Measure|Objective|Action|Task|Step|Level|Room|Page|Table|Figure|Annex|Axis|Package"
    r"|Round|Stage|Tier|Version|Part|Point|Lot))[ \u00a0]?\Z"
)
# Phone numbers: international form, or anything number-like after a phone label.
_PHONE = re.compile(
    r"\+[ \u00a0]?\d{1,3}(?:[ \u00a0.\-()]{1,2}\d{1,5}){1,6}"
    r"|(?i:tel|phone|telefonas|fax|faksas|mob|mobile|gsm)\.?(?:[ \u00a0]?(?:no|nr)\.?)?"
    r"[ \u00a0]?:?[ \u00a0]?[+\d(][\d \u00a0().\-]{5,20}"
)
# Every label of `_PHONE`, or the start of one ("telefonas", "mobile").
_PHONE_LABELS = (b"tel", b"phone", b"fax", b"faksas", b"mob", b"gsm")

_STOPWORD_TEXT = """
a an the of in on at to from by for with and or but nor is are was were be been being has
have had as than that this these those it its per into over under up down out more less about
between among while which who whom whose when where if so such not no yes thus also only each
every all some any other will would can could may might should must do does did across plus
minus versus via within without since until upon after before during both either neither
ir iš ar su į nei kad yra buvo bei o tai nuo iki prie apie po dėl už
"""
# Words that cannot be part of a counted noun phrase: a count never runs through them.
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_NOT_COUNTS = frozenset({"times", "kartų", "kartus", "kartai", "kartą", "kart"})
_LITHUANIAN_LETTERS = frozenset("ąčęėįšųūžĄČĘĖĮŠŲŪŽ")
_MAX_WORDS = 3


def _may_hold_phone(text: str) -> bool:
    """False only when `_PHONE` cannot match: no "+" and no label, however cased.

    The labels are looked for among the text's ASCII characters alone (lower-casing the whole
    text costs more than the rest of this test): dropping the others can join a label, never
    break one. Two other letters match a label's ignoring case, "ſ" (s) and the Kelvin sign
    (k): a text with one is searched; "ı" and "İ" (i) only ever follow "mob".
    """
    if "+" in text or "ſ" in text or "\u212a" in text:
        return True
    low = text.encode("ascii", "ignore").lower()
    return any(label in low for label in _PHONE_LABELS)


def _scale_of(mag: str | None) -> int:
    if not mag:
        return 0
    key = mag.rstrip(".")
    if key in _SCALE_EXACT:
        return _SCALE_EXACT[key]
    key = key.lower()
    return next((power for stem, power in _SCALE_PREFIXES if key.startswith(stem)), 0)


def _number_value(raw: str, *, decimal_hint: bool) -> Decimal | None:
    """The number `raw` says, by the separator rules in the module docstring."""
    s = raw.replace("\u00a0", " ").replace("\u202f", " ")
    spaced = " " in s
    s = s.replace(" ", "")
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif commas + dots > 1:
        s = s.replace(",", "").replace(".", "")
    elif commas + dots == 1:
        head, tail = re.split(r"[.,]", s)
        thousands = len(tail) == 3 and head != "0" and not spaced and not decimal_hint
        s = head + tail if thousands else f"{head}.{tail}"
    if sum(c.isdigit() for c in s) > MAX_DIGITS:
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


# More digits than any amount has (10^21, a thousand billion billion): a code, an identifier or
# a run of digits. Past ~308 digits a float is infinite, and JSON has no infinity.
MAX_DIGITS = 21


class _Reader:
    """Reads the figures of one text; holds the masks and the sentence index.

    Both are built when a number first reads as a figure: a text whose numbers are all
    dates, codes and years never builds them.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.masks: tuple[list[int], list[int]] | None = None  # (starts, ends), sorted
        self.sentences = SentenceIndex(text)

    def masked(self, pos: int) -> bool:
        if self.masks is None:
            self.masks = _masks(self.text)
        starts, ends = self.masks
        i = bisect_right(starts, pos) - 1
        # Masks may nest; a short backwards scan covers the (rare) overlapping ones.
        return any(ends[j] > pos for j in range(i, max(-1, i - 4), -1))

    def figure(self, value: Decimal, unit: str, start: int, end: int) -> Figure:
        text = normalise_ws(self.text[start:end])
        return Figure(float(value), unit, text, self.sentences.sentence_at(start))

    def read(self, m: re.Match[str]) -> list[Figure]:
        text, start, end = self.text, m.start(), m.end()
        raw = m.group(0)
        glued = end < len(text) and (text[end].isalpha() or text[end] == "²")
        before = _CUR_BEFORE.search(text, max(0, start - 8), start)
        if before is not None:
            return self.money_before(raw, before, start, end)
        if not _UNIT_HINT.match(text, end):
            return []  # nothing after the number can make it a figure: the common, cheap exit
        if glued and not _glued_unit_ok(text, end):
            return []  # "178F", "5th", "3D"
        found = self.money_after(raw, start, end) or self.percent(raw, start, end)
        found = found or self.area(raw, start, end)
        if found:
            return found
        if _is_year(raw) or _LABEL_BEFORE.search(text, max(0, start - 12), start):
            return []
        return self.count(raw, start, end)

    def money_before(self, raw: str, before: re.Match[str], start: int, end: int) -> list[Figure]:
        code = before.group("code") or before.group("sym")
        mag = _MAG_AFTER.match(self.text, end)
        value = _number_value(raw, decimal_hint=mag is not None)
        if value is None:
            return []
        iso, power = _currency(code)
        power += _scale_of(mag.group("mag")) if mag else 0
        stop = mag.end() if mag else end
        return [self.figure(value.scaleb(power), iso, before.start(), stop)]

    def money_after(self, raw: str, start: int, end: int) -> list[Figure]:
        m = _MONEY_AFTER.match(self.text, end)
        if m is None or _NEXT_NUMBER.match(self.text, m.end()):
            return []  # "in 2013 EUR 44.8 million": the code belongs to the next number
        value = _number_value(raw, decimal_hint=m.group("mag") is not None)
        if value is None:
            return []
        iso, power = _currency(m.group("cur"))
        power += _scale_of(m.group("mag"))
        return [self.figure(value.scaleb(power), iso, start, m.end())]

    def percent(self, raw: str, start: int, end: int) -> list[Figure]:
        m = _PERCENT_AFTER.match(self.text, end)
        value = _number_value(raw, decimal_hint=True) if m else None
        if m is None or value is None:
            return []
        return [self.figure(value, "%", start, m.end())]

    def area(self, raw: str, start: int, end: int) -> list[Figure]:
        m = _AREA_AFTER.match(self.text, end)
        value = _number_value(raw, decimal_hint=False) if m else None
        if m is None or value is None:
            return []
        unit = "km2" if m.group("km2") else "m2" if m.group("m2") else "ha"
        return [self.figure(value, unit, start, m.end())]

    def count(self, raw: str, start: int, end: int) -> list[Figure]:
        mag = _COUNT_MAG.match(self.text, end)
        pos = mag.end() if mag else end
        phrase = _noun_phrase(self.text, pos)
        if phrase is None:
            return []
        unit, stop = phrase
        value = _number_value(raw, decimal_hint=mag is not None)
        if value is None:
            return []
        power = _scale_of(mag.group("mag")) if mag else 0
        return [self.figure(value.scaleb(power), unit, start, stop)]


def _masks(text: str) -> tuple[list[int], list[int]]:
    """Starts and ends of the dates and phone numbers in `text`: numbers there are no figures."""
    phones = _PHONE.finditer(text) if _may_hold_phone(text) else ()
    masks = date_spans(text) + [m.span() for m in phones]
    masks.sort()
    return [a for a, _ in masks], [b for _, b in masks]


def _currency(code: str) -> tuple[str, int]:
    """ISO code and power of ten a currency token carries ("MEUR" is millions of euros)."""
    low = code.lower()
    if code in ("MEUR", "kEUR", "TEUR"):
        return "EUR", 6 if code == "MEUR" else 3
    if code == "€" or low.startswith("eur"):
        return "EUR", 0
    if code == "Lt" or low.startswith("lit"):
        return "LTL", 0
    if code in ("$", "US$") or "dollar" in low:
        return "USD", 0
    if code == "£":
        return "GBP", 0
    if code == "zł":
        return "PLN", 0
    return code, 0


def _glued_unit_ok(text: str, end: int) -> bool:
    # Units that may touch the number: "394km2", "394km²", "5ha"; money magnitudes need a
    # currency and were handled before this is asked.
    return bool(_AREA_AFTER.match(text, end)) or bool(_MONEY_AFTER.match(text, end))


def _is_year(raw: str) -> bool:
    return raw.isdigit() and len(raw) == 4 and 1800 <= int(raw) <= 2199


def _is_lithuanian(word: str) -> bool:
    return any(ch in _LITHUANIAN_LETTERS for ch in word) or word.endswith("ai")


def _is_english_plural(word: str) -> bool:
    if word.isupper() or word[:-1].isupper():  # acronyms: "SMEs" yes, "IT" no
        return len(word) > 2 and word.endswith("s") and word[:-1].isupper()
    return len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is"))


def _noun_phrase(text: str, pos: int) -> tuple[str, int] | None:
    """The counted noun phrase starting at `pos`: (phrase as written, end offset) or None.

    Up to three words, each lower-case or an acronym, ending at the first plural-looking word;
    a Lithuanian phrase is its first word. A capitalised word or a stop word ends the search.
    """
    words: list[str] = []
    start = pos
    for _ in range(_MAX_WORDS):
        m = _WORD.match(text, pos)
        if m is None:
            return None
        word = m.group("w")
        acronym = word.rstrip("s").isupper() and len(word.rstrip("s")) >= 2
        if not (word.islower() or acronym) or (word.islower() and word in _STOPWORDS):
            return None
        words.append(word)
        pos = m.end()
        if len(words) == 1 and _is_lithuanian(word):
            return None if word.lower() in _NOT_COUNTS else (word, pos)
        if _is_english_plural(word):
            if word.lower() in _NOT_COUNTS:
                return None
            return normalise_ws(text[start:pos]), pos
    return None


def find_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in document order, an identical (text, context) pair once.

    Never raises: a text that cannot be read gives the figures read so far.
    """
    figures: list[Figure] = []
    seen: set[tuple[str, str]] = set()
    try:
        reader = _Reader(text)
        # a number starts a run of digits (nothing word-like before it)
        for m in matches_at(_NUMBER, text, digit_run_starts(text)):
            # reading first: most numbers are no figure, and the masks cost a scan of the text
            found = reader.read(m)
            if not found or reader.masked(m.start()):
                continue
            for fig in found:
                if (fig.text, fig.context) not in seen:
                    seen.add((fig.text, fig.context))
                    figures.append(fig)
    except Exception:  # a figure we cannot read is skipped, never a crash of the page
        return figures
    return figures


def parse_figure(text: str) -> Figure | None:
    """The first figure in a short string ("About EUR 44.8 million" -> 44800000 EUR)."""
    found = find_figures(text[:1000])
    return found[0] if found else None
