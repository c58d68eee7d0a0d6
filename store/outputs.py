"""Values on their way out: every string taken from a page or a server passes here before it is
shown, so a page cannot write markup, formulas or terminal commands into what we produce.

- `md_text`, `md_code`, `md_url`: Markdown (the `report --format md` and the Prefect artifact,
  which Prefect's UI renders as HTML): HTML special characters become entities, Markdown
  punctuation is backslash-escaped, so `<script>`, `<img onerror=...>` and
  `[x](javascript:...)` show as the text they are; only http(s) URLs become links.
- `terminal_text`, `terminal_json`: text printed to a terminal: control characters (C0 but
  newline and tab, DEL, C1) are written as `\\xNN`, so `ESC ] 0 ; ... BEL` cannot retitle the
  terminal, nor `ESC [` / CSI move its cursor or clear it.
- `csv_cell`: a spreadsheet evaluates a cell that starts with `=`, `+`, `-`, `@`, a tab or a
  carriage return; such a text cell gets a leading `'` (OWASP's CSV injection rule). Numbers
  stay numbers.

The HTML report escapes with `html.escape` where it builds its tags (store/report.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is CSI on its own)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_NEWLINES = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# characters Markdown (CommonMark and GitHub's) reads as markup inside a line: emphasis, code,
# links and images (`(`, `)` and `!` only count next to an escaped bracket), tables, strikes.
# Line-start markup (`#`, `>`, `-`) needs no escape: no value starts a line of the report.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# raw HTML and autolinks start with `<`; `&` is escaped so an entity shows as written
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML_SPECIAL = re.compile(r"[&<>]")
_URL = re.compile(r"https?://[^\s<>\"`\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape_control(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def terminal_text(text: str) -> str:
    """`text` with its control characters written out as `\\xNN` (newlines and tabs kept)."""
    return _CONTROLS.sub(_escape_control, text)


def terminal_json(value: Any, **dumps: Any) -> str:
    """JSON of `value` that is safe to print: json.dumps escapes C0 controls, not DEL or the
    C1 ones (which a terminal may read as CSI); those become `\\u00NN`, still the same JSON."""
    text = json.dumps(value, ensure_ascii=False, **dumps)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _one_line(value: Any) -> str:
    """A value as one line of text, control characters written out."""
    text = value if isinstance(value, str) else str(value)
    return _CONTROLS_AND_NEWLINES.sub(
        lambda m: " " if m.group() in "\r\n\t" else _escape_control(m), text
    )


def md_text(value: Any) -> str:
    """`value` as inline Markdown text that renders as exactly that text."""
    text = _HTML_SPECIAL.sub(lambda m: _HTML[m.group()], _one_line(value))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """`value` as a code span: nothing inside one is markup; a backtick cannot close it early
    (the fence is longer than any run of backticks inside)."""
    text = _one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_url(url: Any) -> str:
    """An http(s) URL as a Markdown autolink; anything else as text."""
    text = _one_line(url)
    if _URL.fullmatch(text):
        return f"<{text}>"
    return md_text(text)


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text a spreadsheet would run as a formula starts with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
