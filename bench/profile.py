"""Where a crawl's time goes: py-spy samples of a separate, profiled crawl, sorted into stages.

py-spy samples every thread of the crawler (and Prefect's server subprocess) from outside, at
100 Hz, without pausing it (`--nonblocking`), counting only threads that are running (not
waiting on a socket or a lock). Each sample is put in one stage by its stack:

- parse: lxml building a tree (`fromstring`, `document_fromstring`, ...), by caller module;
- fetch: flows/fetch/http.py, flows/fetch/politeness.py and what they call (requests,
  urllib3, decoding);
- extract: extractors/ and what it calls (trafilatura, htmldate, dateparser, lxml XPath);
- discovery: flows/fetch/discovery.py, flows/run/frontier.py, extractors/urls.py;
- store: store/writer.py, db.py, runs.py (SQL of pages, fetches, blobs; zlib);
- diff: store/history.py, identity.py, changes.py (item history, change detection);
- report: store/report.py; prefect: Prefect, pydantic, anyio, asyncio machinery;
- imports: module imports (start-up); other: the rest.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("imports", "prefect", "fetch", "parse", "extract", "discovery", "store", "diff",
          "report", "crawl loop", "other")

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_PARSE_FUNCS = frozenset({"fromstring", "document_fromstring", "fragment_fromstring",
                          "fragments_fromstring", "HTML", "XML", "parse", "fromstringlist",
                          "html_fromstring", "_parse_html", "load_html"})
_OURS = (
    ("extractors/", "extract"),
    ("flows/fetch/http.py", "fetch"),
    ("flows/fetch/politeness.py", "fetch"),
    ("flows/fetch/discovery.py", "discovery"),
    ("flows/run/frontier.py", "discovery"),
    ("extractors/urls.py", "discovery"),
    ("store/history.py", "diff"),
    ("store/identity.py", "diff"),
    ("store/changes.py", "diff"),
    ("store/report.py", "report"),
    ("store/", "store"),
    ("flows/run/page.py", "crawl loop"),
)
_LIBS = (
    ("/trafilatura/", "trafilatura"),
    ("/htmldate/", "htmldate"),
    ("/dateparser/", "dateparser"),
    ("/courlan/", "courlan"),
    ("/justext/", "justext"),
    ("/extruct/", "extruct"),
    ("/bs4/", "BeautifulSoup"),
    ("/lxml/", "lxml"),
    ("/regex/", "regex"),
    ("/sqlite_utils/", "sqlite-utils"),
    ("/requests/", "requests"),
    ("/urllib3/", "urllib3"),
    ("/w3lib/", "w3lib"),
    ("/protego", "protego"),
    ("/difflib.py", "difflib"),
    ("/json/", "json"),
    ("/re/", "re"),
    ("/_strptime.py", "strptime"),
)


@dataclass
class Profile:
    rate: int
    total: int = 0  # samples of the crawler process and its extraction processes
    workers: int = 0  # of which in the extraction processes
    server: int = 0  # samples of Prefect's API server subprocess
    stages: Counter[str] = field(default_factory=Counter)
    detail: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    self_time: Counter[str] = field(default_factory=Counter)  # innermost frame
    ours_cum: Counter[str] = field(default_factory=Counter)  # agencywatch functions, cumulative

    def seconds(self, n: int) -> float:
        return n / self.rate


def _frames(stack: str) -> tuple[int, list[tuple[str, str]]]:
    """(process depth, [(func, file)]) outermost first; depth 1 = the crawler itself, and its
    extraction processes (forkserver workers) count as the crawler; -1 = Prefect's server."""
    depth = 0
    frames: list[tuple[str, str]] = []
    for part in stack.split(";"):
        if part.startswith("process "):
            depth += 1
            if "prefect.server" in part or "uvicorn" in part:
                return -1, []
            continue
        if part.startswith("thread "):
            continue
        m = _FRAME.match(part)
        if m:
            frames.append((m.group("func"), m.group("file")))
    return depth, frames


def _ours(file: str) -> str | None:
    f = file.replace("\\", "/")
    if "site-packages" in f:
        return None
    for pattern, stage in _OURS:
        if pattern in f:
            return stage
    return None


def _lib(file: str) -> str | None:
    for pattern, name in _LIBS:
        if pattern in file:
            return name
    return None


def _module(file: str) -> str:
    f = file.replace("\\", "/")
    for top in ("extractors/", "flows/", "store/"):
        i = f.rfind(top)
        if i >= 0 and "site-packages" not in f:
            return f[i:]
    return Path(f).name


def classify(frames: list[tuple[str, str]]) -> tuple[str, str]:
    """(stage, detail) of one stack, outermost first."""
    # the outermost frame is the script's own <module>; any other <module> is an import
    if any("importlib" in file for _f, file in frames) or any(
        func == "<module>" for func, _file in frames[1:]
    ):
        return "imports", ""
    if not frames:
        return "other", "no Python frame (native code, GIL hand-over)"
    inner_lib: str | None = None
    for i in range(len(frames) - 1, -1, -1):
        func, file = frames[i]
        if ("/lxml/" in file and func in _PARSE_FUNCS) or (func == "_parse_html" and _ours(file)):
            caller = next((_module(f) for _fn, f in reversed(frames[:i]) if _ours(f)), "?")
            return "parse", f"called from {caller}"
        stage = _ours(file)
        if stage:
            detail = inner_lib or _module(file)
            if stage == "fetch" and func in ("decode_html", "_guess_encoding"):
                detail = "decode_html"
            return stage, detail
        inner_lib = inner_lib or _lib(file)
    files = " ".join(file for _f, file in frames)
    if any(p in files for p in ("/prefect/", "/pydantic", "/anyio/", "/asyncio/", "/httpx/",
                                "/httpcore/", "/uvicorn/", "/starlette/", "/sqlalchemy/",
                                "/fastapi/", "/websockets/")):
        return "prefect", inner_lib or ""
    return "other", inner_lib or ""


def parse_raw(path: str | Path, rate: int) -> Profile:
    prof = Profile(rate=rate)
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not stack or not count_s.isdigit():
            continue
        n = int(count_s)
        depth, frames = _frames(stack)
        if depth < 0:
            prof.server += n
            continue
        if depth > 1:
            prof.workers += n
        prof.total += n
        stage, detail = classify(frames)
        prof.stages[stage] += n
        prof.detail[stage][detail] += n
        if frames:
            func, file = frames[-1]
            prof.self_time[f"{func} ({_module(file)})"] += n
        seen: set[str] = set()
        for func, file in frames:
            if _ours(file) or ("/flows/" in file and "site-packages" not in file):
                key = f"{func} ({_module(file)})"
                if key not in seen:
                    seen.add(key)
                    prof.ours_cum[key] += n
    return prof


def summary_md(prof: Profile, top: int = 12) -> str:
    lines = [f"py-spy, {prof.rate} Hz, running threads only: {prof.seconds(prof.total):.1f} s "
             f"of CPU-active samples in the crawler ({prof.seconds(prof.workers):.1f} s of them "
             f"in its extraction processes), {prof.seconds(prof.server):.1f} s in "
             "Prefect's server subprocess.", "",
             "| stage | active s | share | biggest parts |", "| --- | ---: | ---: | --- |"]
    for stage in STAGES:
        n = prof.stages.get(stage, 0)
        if not n:
            continue
        parts = ", ".join(f"{d or '-'} {prof.seconds(c):.1f} s"
                          for d, c in prof.detail[stage].most_common(4))
        lines.append(f"| {stage} | {prof.seconds(n):.1f} | {100 * n / max(1, prof.total):.0f}% "
                     f"| {parts} |")
    lines += ["", "Top functions by own time (innermost frame):", "",
              "| function | s | share |", "| --- | ---: | ---: |"]
    for key, n in prof.self_time.most_common(top):
        lines.append(f"| `{key}` | {prof.seconds(n):.1f} | {100 * n / max(1, prof.total):.0f}% |")
    lines += ["", "agencywatch functions, cumulative:", "",
              "| function | s | share |", "| --- | ---: | ---: |"]
    for key, n in prof.ours_cum.most_common(top + 6):
        lines.append(f"| `{key}` | {prof.seconds(n):.1f} | {100 * n / max(1, prof.total):.0f}% |")
    return "\n".join(lines) + "\n"
