"""Small text helpers the extractors share: whitespace normalisation and sentence spans.

The sentence rule is the one design.md fixes for a figure's `context`: a sentence ends at `.`,
`!` or `?` followed by whitespace and then an upper-case letter or an opening quote, except
after the abbreviations listed in `ABBREVIATIONS`. A newline always ends a sentence, because
the plain text the extractors see has one block (paragraph, list item, cell) per line.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

# design.md's list, plus the two other magnitude abbreviations of the money rule (`tūkst.`,
# `mlrd.`) which, like `mln.`, sit inside a figure and are never a sentence end.
ABBREVIATIONS = frozenset(
    {"mln", "sq", "d", "m", "proc", "e.g", "i.e", "dr", "no", "etc", "tūkst", "mlrd"}
)
_ABBREVIATIONS = tuple(ABBREVIATIONS)  # for str.endswith
_LONGEST_ABBREVIATION = max(map(len, ABBREVIATIONS))

# Opening quotes that may start a sentence: straight, curly, Lithuanian low-9, guillemets.
_OPENING_QUOTES = "\"'“‘„«‚"

# A candidate sentence end: terminal punctuation, whitespace, then the next sentence's first
# character. The whitespace run is bounded by the text itself; no nested quantifiers.
_END = re.compile(r"[.!?][ \t\u00a0\u2009\u202f]+(?=\S)")
# The word just before a full stop, dots inside it kept ("e.g", "i.e"), read backwards.
_WORD_BEFORE_DOT = re.compile(r"(?:[^\W\d_]+\.)*[^\W\d_]+$")


def normalise_ws(text: str) -> str:
    """Runs of whitespace become one space; the ends are stripped.

    str.split() knows the same whitespace as the regex `\\s` (str.isspace) and costs a
    fraction of a regex substitution on the short sentences and figures this is called for.
    Most texts (a paragraph, a sentence, a title) are normal already and come back as they
    are: the test costs a third of splitting one into words and joining them again.
    """
    # every whitespace character but the space is unprintable: a printable text's only
    # whitespace is its spaces, and only doubled or end spaces would change
    if text.isprintable() and text[:1] != " " and text[-1:] != " " and "  " not in text:
        return text
    return " ".join(text.split())


def _is_abbreviation(text: str, dot: int) -> bool:
    # Most words before a full stop are no abbreviation, and need no regex: one that is ends
    # the few characters before the dot (lower-cased), or before a newline there (`$`).
    stop = dot - 1 if dot and text[dot - 1] == "\n" else dot
    if not text[max(0, stop - _LONGEST_ABBREVIATION) : stop].lower().endswith(_ABBREVIATIONS):
        return False
    # Look back a short, bounded window: abbreviations are short words.
    window = text[max(0, dot - 12) : dot]
    found = _WORD_BEFORE_DOT.search(window)
    if found is None:
        return False
    word = found.group(0).lower()
    return word in ABBREVIATIONS


def _ends_sentence(text: str, end: re.Match[str]) -> bool:
    """Whether a candidate end (an `_END` match) ends its sentence: an upper-case letter or an
    opening quote follows, and the punctuation is not the full stop of an abbreviation."""
    nxt = text[end.end()]
    if not (nxt.isupper() or nxt in _OPENING_QUOTES):
        return False
    return text[end.start()] != "." or not _is_abbreviation(text, end.start())


def _line_sentences(text: str, start: int, stop: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    begin = start
    for end in _END.finditer(text, start, stop):
        if _ends_sentence(text, end):
            spans.append((begin, end.start() + 1))
            begin = end.end()
    spans.append((begin, stop))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every sentence of `text`, in order, newlines always ending one.

    Spans may include surrounding spaces; callers normalise the slice. Blank lines give no span.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    length = len(text)
    while pos <= length:
        newline = text.find("\n", pos)
        stop = length if newline < 0 else newline
        if text[pos:stop].strip():
            spans.extend(_line_sentences(text, pos, stop))
        pos = stop + 1
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each whitespace-normalised, empty ones dropped."""
    out = (normalise_ws(text[a:b]) for a, b in sentence_spans(text))
    return [s for s in out if s]


class SentenceIndex:
    """Finds the sentence holding an offset, for many lookups on one text.

    Only the lines holding an offset asked for are split, each once: figures sit in a few
    lines of a long text. The answer is the one `sentence_spans` gives.
    """

    __slots__ = ("_lines", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        # line start -> its sentences' starts and ends, and their texts once asked for
        self._lines: dict[int, tuple[list[int], list[int], list[str | None]]] = {}

    def sentence_at(self, offset: int) -> str:
        """The whitespace-normalised sentence containing `offset` ("" when none does)."""
        text = self._text
        if not 0 <= offset < len(text):
            return ""
        line = text.rfind("\n", 0, offset) + 1
        spans = self._lines.get(line)
        if spans is None:
            spans = self._lines[line] = self._split(line)
        starts, ends, sentences = spans
        i = bisect_right(starts, offset) - 1  # the line's first sentence starts at the line
        if offset >= ends[i]:
            return ""  # in the space after a sentence, or the newline itself
        sentence = sentences[i]
        if sentence is None:
            # many figures share a sentence; normalising it once keeps a long one linear
            sentence = sentences[i] = normalise_ws(text[starts[i] : ends[i]])
        return sentence

    def _split(self, line: int) -> tuple[list[int], list[int], list[str | None]]:
        text = self._text
        newline = text.find("\n", line)
        spans = _line_sentences(text, line, len(text) if newline < 0 else newline)
        return [a for a, _ in spans], [b for _, b in spans], [None] * len(spans)


def find_all(text: str, char: str, start: int = 0, stop: int | None = None) -> Iterator[int]:
    """Every offset of `char` in text[start:stop], by str.find: where the character is rare,
    far cheaper than a regex scan, which tests every character of the text."""
    stop = len(text) if stop is None else stop
    at = text.find(char, start, stop)
    while at >= 0:
        yield at
        at = text.find(char, at + 1, stop)


DIGIT_RUN = re.compile(r"\d+")
# The last text's digit runs: the figure reader and the date finder it calls both ask for the
# runs of the same text, and each ask would scan all of it.
_last_runs: tuple[str, list[int]] = ("", [])


def digit_run_starts(text: str) -> list[int]:
    """Offsets where a run of digits begins: where a number, day or year can start."""
    global _last_runs
    last, starts = _last_runs
    if text is not last:
        starts = _ascii_run_starts(text) if _no_other_digits(text) else [
            m.start() for m in DIGIT_RUN.finditer(text)]
        _last_runs = (text, starts)
    return list(starts)  # a copy: a caller may change its list


def _no_other_digits(text: str) -> bool:
    """Whether every decimal digit (`\\d`) in `text` is one of 0-9.

    Only the non-ASCII characters can be other digits; their UTF-8 bytes, the ASCII bytes
    deleted, are few and quick to search.
    """
    if text.isascii():
        return True
    others = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    return DIGIT_RUN.search(others.decode("utf-8", "surrogatepass")) is None


_ASCII_BYTES = bytes(range(128))


def _ascii_run_starts(text: str) -> list[int]:
    """Where runs of 0-9 begin, found by str.find per digit: the regex engine tests every
    character of a long text (~30 ns each), find skips to the few digits there are."""
    found = sorted(at for digit in "0123456789" for at in find_all(text, digit))
    return [at for i, at in enumerate(found) if i == 0 or found[i - 1] != at - 1]


def matches_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> list[re.Match[str]]:
    """What `pattern.finditer(text)` finds, trying only the offsets in `starts` (ascending).

    Exact when `starts` holds every offset where a match can begin (more do no harm) and the
    pattern never matches the empty string. A pattern that opens with a lookbehind is tried at
    every character by `finditer`; most of the text is words where it cannot start.
    """
    out: list[re.Match[str]] = []
    end = 0
    for start in starts:
        if start >= end:
            m = pattern.match(text, start)
            if m is not None:
                out.append(m)
                end = m.end()
    return out


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of `words`, as one alternation per shared prefix ("ju(?:ne|ly)").

    The regex engine then rejects a position after one character instead of trying a hundred
    words in turn; the longest word wins where one is the prefix of another ("sept", "sep").
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a word

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:  # the shorter word is also a name: the longer branch is optional, tried first
            body = "(?:" + body + ")?" if len(branches) == 1 else body[:-1] + ")?"
        return body

    return emit(trie) if trie else "(?!)"  # no words: a regex that never matches
