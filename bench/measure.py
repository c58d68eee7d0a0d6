"""Running one measured child process: wall time, CPU time, peak RSS, timestamped output.

CPU time is the user+sys delta of `resource.getrusage(RUSAGE_CHILDREN)` around the child, so
it counts the child and every descendant it waited for (Prefect's API server subprocess). Peak
RSS is polled with psutil (else /proc) every 50 ms: the child alone (the crawler) and the
child's whole process tree (crawler + Prefect server). The CPU time of each descendant is
polled too (every 0.25 s), so a crawl's CPU splits into the crawler, its extraction processes
and Prefect's API server. Every output line is stamped with the time it arrived, so log lines
serve as wall-clock markers between stages.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

try:
    import psutil
except ImportError:  # the bench extra is not installed: read /proc instead (Linux)
    psutil = None


@dataclass
class ChildRun:
    cmd: list[str]
    returncode: int
    wall_s: float
    cpu_user_s: float
    cpu_sys_s: float
    peak_rss_main: int  # bytes, the child process itself
    peak_rss_tree: int  # bytes, the child and its descendants, summed at each poll
    # (seconds since start, 'out' or 'err', line)
    lines: list[tuple[float, str, str]] = field(default_factory=list)
    rss_samples: list[tuple[float, int]] = field(default_factory=list)  # (t, main rss)
    # CPU used meanwhile by processes other than the child's tree and this one, in cores: the
    # benchmark's noise (2 cores: anything above ~0.2 means the figures are disturbed)
    other_cores: float | None = None
    # CPU seconds (user+sys) per kind of process in the child's tree (`process_role`); they add
    # up to cpu_s, the child itself taking what the polls of its descendants did not see
    cpu_by_role: dict[str, float] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s

    def output(self, stream: str | None = None) -> str:
        return "\n".join(text for _t, s, text in self.lines if stream in (None, s))

    def first_line(self, needle: str) -> float | None:
        for t, _s, text in self.lines:
            if needle in text:
                return t
        return None

    def last_line(self, needle: str) -> float | None:
        found = None
        for t, _s, text in self.lines:
            if needle in text:
                found = t
        return found


def run_child(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float | None = None,
    poll_s: float = 0.05,
    echo: IO[str] | None = None,
) -> ChildRun:
    """Run `cmd` to completion and measure it. `echo`: copy each output line there as it comes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, self0 = busy_cpu_s(), time.process_time()
    t0 = time.monotonic()
    proc = subprocess.Popen(
        list(cmd), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="replace", bufsize=1,
    )
    lines: list[tuple[float, str, str]] = []
    lock = threading.Lock()

    def pump(stream: IO[str], name: str) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            with lock:
                lines.append((time.monotonic() - t0, name, line))
            if echo is not None:
                echo.write(f"    | {line}\n")
                echo.flush()

    readers = [threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True)]
    for r in readers:
        r.start()
    peak_main = peak_tree = 0
    samples: list[tuple[float, int]] = []
    last_sample = last_cpu = -1.0
    descendants: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds when last seen)
    while proc.poll() is None:
        main, tree = _rss(proc.pid)
        if main:
            peak_main, peak_tree = max(peak_main, main), max(peak_tree, tree)
            now = time.monotonic() - t0
            if now - last_sample >= 1.0:
                samples.append((round(now, 2), main))
                last_sample = now
            if now - last_cpu >= CPU_POLL_S:
                _poll_descendants(proc.pid, descendants)
                last_cpu = now
        if timeout is not None and time.monotonic() - t0 > timeout:
            proc.kill()
            break
        time.sleep(poll_s)
    proc.wait()
    wall = time.monotonic() - t0
    for r in readers:
        r.join(5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    by_role: dict[str, float] = {}
    for role, cpu in descendants.values():
        by_role[role] = by_role.get(role, 0.0) + cpu
    if by_role:
        by_role[ROLE_MAIN] = max(0.0, child_cpu - sum(by_role.values()))
    other = None
    if busy0 is not None:
        busy1 = busy_cpu_s()
        if busy1 is not None and wall > 0:
            own = time.process_time() - self0
            other = max(0.0, (busy1 - busy0 - child_cpu - own) / wall)
    return ChildRun(
        cmd=list(cmd),
        returncode=proc.returncode,
        wall_s=wall,
        cpu_user_s=after.ru_utime - before.ru_utime,
        cpu_sys_s=after.ru_stime - before.ru_stime,
        peak_rss_main=peak_main,
        peak_rss_tree=peak_tree,
        lines=lines,
        rss_samples=samples,
        other_cores=other,
        cpu_by_role=by_role,
    )


CPU_POLL_S = 0.25
ROLE_MAIN = "crawler"
ROLE_EXTRACT = "extraction processes"
ROLE_SERVER = "Prefect API server"
ROLE_OTHER = "other descendants"


def process_role(cmdline: Sequence[str]) -> str:
    """What a descendant of the measured crawl is, from its command line: a multiprocessing
    fork server or one of its workers (the extraction pool), the ephemeral Prefect API server
    (uvicorn serving Prefect's app), or anything else."""
    text = " ".join(cmdline)
    if "multiprocessing" in text:
        return ROLE_EXTRACT
    if "prefect" in text and ("uvicorn" in text or " server" in text):
        return ROLE_SERVER
    return ROLE_OTHER


def _poll_descendants(pid: int, seen: dict[int, tuple[str, float]]) -> None:
    """Note the CPU time of each live descendant of `pid`. A process's last moments before it
    exits (at most one poll interval) are not seen: they are counted with the child's own."""
    if psutil is None:
        return
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        try:
            known = seen.get(child.pid)
            role = known[0] if known else process_role(child.cmdline())
            t = child.cpu_times()
            seen[child.pid] = (role, t.user + t.system)
        except psutil.Error:
            continue


def busy_cpu_s() -> float | None:
    """Seconds of CPU the whole machine has spent busy since boot (/proc/stat), else None."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / os.sysconf("SC_CLK_TCK")


class Background:
    """Measures other processes' CPU use around an in-process measurement (the floors)."""

    def __enter__(self) -> Background:
        self.busy0, self.self0, self.t0 = busy_cpu_s(), time.process_time(), time.monotonic()
        self.children0 = _children_cpu()
        self.other_cores: float | None = None
        return self

    def __exit__(self, *exc: object) -> None:
        busy1, wall = busy_cpu_s(), time.monotonic() - self.t0
        if self.busy0 is None or busy1 is None or wall <= 0:
            return
        own = (time.process_time() - self.self0) + (_children_cpu() - self.children0)
        self.other_cores = max(0.0, (busy1 - self.busy0 - own) / wall)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _rss(pid: int) -> tuple[int, int]:
    """(rss of pid, rss of pid and all its descendants) in bytes; (0, 0) when it is gone."""
    if psutil is not None:
        try:
            ps = psutil.Process(pid)
            main = ps.memory_info().rss
            tree = main
            for child in ps.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    tree += child.memory_info().rss
            return main, tree
        except psutil.Error:
            return 0, 0
    return _proc_rss(pid)


def _proc_rss(pid: int) -> tuple[int, int]:
    page = os.sysconf("SC_PAGE_SIZE")
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    if pid not in rss:
        return 0, 0
    tree, todo = 0, [pid]
    while todo:
        p = todo.pop()
        tree += rss.get(p, 0)
        todo += [c for c, parent in parents.items() if parent == p]
    return rss[pid], tree


def db_size(path: str | Path) -> int:
    """Size of the SQLite file after a WAL checkpoint (main file only, WAL folded in)."""
    import sqlite3

    p = Path(path)
    if not p.exists():
        return 0
    conn = sqlite3.connect(str(p))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    size = p.stat().st_size
    wal = Path(f"{p}-wal")
    return size + (wal.stat().st_size if wal.exists() else 0)


def mb(n: int | float) -> float:
    return n / (1024 * 1024)


def env_with(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
