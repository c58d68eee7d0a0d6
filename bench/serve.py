"""Serving the synthetic site on 127.0.0.1: nginx when it is installed, else a Python fallback.

nginx runs in the foreground (`daemon off`) from a generated nginx.conf in a temporary folder,
on a free port, ETag on, access log off; no root is needed to run it. The fallback is a
threaded `http.server` that answers the same URLs with nginx-style ETags (mtime-size) and
304s, so conditional re-crawls behave the same, only slower.
"""

from __future__ import annotations

import email.utils
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx",
                    "/usr/local/nginx/sbin/nginx")


def find_nginx() -> str | None:
    for c in NGINX_CANDIDATES:
        found = shutil.which(c)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


NGINX_CONF = """\
{user}worker_processes {workers};
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; text/plain txt; application/json json; }}
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    etag on;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        index index.html;
        location / {{ try_files $uri $uri.html $uri/ =404; }}
    }}
}}
"""


class Server:
    """Context manager; `.start()` returns the base URL (no trailing slash)."""

    kind: str = "none"
    base: str = ""

    def __init__(self, root: Path, *, prefer: str = "nginx", workers: int = 1) -> None:
        self.root = Path(root).resolve()
        self.prefer = prefer
        self.workers = workers
        self.note = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: str | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> str:
        if self.prefer == "nginx":
            nginx = find_nginx()
            if nginx:
                try:
                    return self._start_nginx(nginx)
                except RuntimeError as exc:
                    self.note = f"nginx failed to start ({exc}); using the Python fallback server"
            else:
                self.note = "nginx is not installed; using the Python fallback server"
        return self._start_python()

    def _start_nginx(self, nginx: str) -> str:
        self._tmp = tempfile.mkdtemp(prefix="agencywatch-bench-nginx-")
        last = ""
        for _attempt in range(5):
            port = free_port()
            conf = Path(self._tmp) / "nginx.conf"
            user = "user root;\n" if os.geteuid() == 0 else ""
            conf.write_text(NGINX_CONF.format(user=user, workers=self.workers, tmp=self._tmp,
                                              port=port, root=self.root), encoding="utf-8")
            log = open(Path(self._tmp) / "stderr.log", "wb")  # noqa: SIM115
            self._proc = subprocess.Popen(
                [nginx, "-c", str(conf), "-p", self._tmp, "-e", f"{self._tmp}/error.log"],
                stdout=log, stderr=log, start_new_session=True,
            )
            log.close()
            if _wait_port(port, 10, self._proc):
                self.kind, self.base = "nginx", f"http://127.0.0.1:{port}"
                self.conf_path = str(conf)
                return self.base
            last = (Path(self._tmp) / "error.log").read_text(errors="replace")[-300:]
            self._kill_nginx()
        raise RuntimeError(last.strip().splitlines()[-1] if last.strip() else "no answer")

    def _start_python(self) -> str:
        root = self.root

        class Handler(FallbackHandler):
            site_root = root

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.kind = "python"
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        return self.base

    def pids(self) -> list[int]:
        return [self._proc.pid] if self._proc else []

    def cpu_share(self) -> float:
        """nginx's CPU use since the last call, in cores (0 without psutil or nginx)."""
        try:
            import psutil
        except ImportError:
            return 0.0
        if not self._proc:
            return 0.0
        try:
            master = psutil.Process(self._proc.pid)
            procs = [master, *master.children(recursive=True)]
            cpu = sum(sum(p.cpu_times()[:2]) for p in procs)
        except psutil.Error:
            return 0.0
        now = time.monotonic()
        last = getattr(self, "_cpu_mark", None)
        self._cpu_mark = (now, cpu)
        if last is None or now <= last[0]:
            return 0.0
        return float(max(0.0, (cpu - last[1]) / (now - last[0])))

    def _kill_nginx(self) -> None:
        if self._proc and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGQUIT)  # graceful; our own process group only
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(5)
        self._proc = None

    def stop(self) -> None:
        self._kill_nginx()
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def resolve(root: Path, path: str) -> Path | None:
    """URL path -> file, as the nginx config does: $uri, $uri.html, $uri/index.html."""
    rel = path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
    if ".." in rel.split("/"):
        return None
    base = root / rel
    for cand in (base, Path(str(base) + ".html"), base / "index.html"):
        if cand.is_file():
            return cand
    return None


class FallbackHandler(BaseHTTPRequestHandler):
    """GET/HEAD with nginx-style ETag and Last-Modified, 304 on a match, keep-alive."""

    site_root: Path = Path(".")
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server_version = "bench-fallback"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        f = resolve(self.site_root, self.path)
        if f is None:
            data = b"<html><body><h1>404 Not Found</h1></body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)
            return
        st = f.stat()
        etag = f'"{int(st.st_mtime):x}-{st.st_size:x}"'
        modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm and etag in [t.strip() for t in inm.split(",")]) or (not inm and ims == modified):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            return
        data = f.read_bytes()
        ctype = ("text/html; charset=utf-8" if f.suffix == ".html"
                 else "text/plain; charset=utf-8" if f.suffix == ".txt"
                 else "application/octet-stream")
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.end_headers()
        if body:
            self.wfile.write(data)


# -- many sites, each on its own loopback address -------------------------------------------------

SITES_CONF = """\
{user}worker_processes {workers};
worker_rlimit_nofile {files};
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    types {{ text/html html; text/plain txt; application/json json; }}
    default_type application/octet-stream;
    charset utf-8;
    # when each request arrived is $msec - $request_time (the log line is written as it ends);
    # $connection numbers the connections
    log_format polite '$server_addr $msec $request_time $connection $status "$request" '
                      '"$http_user_agent"';
    access_log {log} polite;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    etag on;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{servers}
}}
"""
SITE_SERVER = """\
    server {{
        listen {address}:{port};
        root {root};
        index index.html;
        location / {{ try_files $uri $uri.html $uri/ =404; }}
    }}
"""


def memory_dir() -> str | None:
    """A folder in memory (tmpfs) when the machine has one, else the default temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def loopback_addresses(n: int) -> list[str]:
    """`n` loopback addresses from 127.0.0.2 up (127.0.0.0/8 is all this machine's), skipping
    the .0 and .255 of each /24."""
    out: list[str] = []
    k = 2
    while len(out) < n:
        if k % 256 not in (0, 255):
            out.append(f"127.0.{k // 256}.{k % 256}")
        k += 1
    return out


class SitesServer:
    """One nginx serving each site folder on its own loopback address (the same port on all),
    logging every request with the time it ended and how long it took."""

    def __init__(self, roots: list[Path], workers: int = 2) -> None:
        # two workers: every site asks for the same delay, so their requests come in bursts
        # of one per site; one worker answering a burst of 200 noted the last arrivals late
        self.workers = workers
        self.roots = [Path(r).resolve() for r in roots]
        self.addresses = loopback_addresses(len(self.roots))
        self.port = 0
        # nginx's log in memory: a write to a disk file can block its one worker for a while
        # when other programs sync theirs, and every request's log line waits for the last
        self.tmp = Path(tempfile.mkdtemp(prefix="agencywatch-bench-sites-", dir=memory_dir()))
        self.log = self.tmp / "access.log"
        self.note = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SitesServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def bases(self) -> list[str]:
        return [f"http://{a}:{self.port}" for a in self.addresses]

    def start(self) -> list[str]:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed (make bench installs nginx-light)")
        for _attempt in range(5):
            self.port = free_port()
            servers = "".join(SITE_SERVER.format(address=a, port=self.port, root=r)
                              for a, r in zip(self.addresses, self.roots, strict=True))
            connections = max(1024, 8 * len(self.roots))
            conf = self.tmp / "nginx.conf"
            conf.write_text(SITES_CONF.format(
                user="user root;\n" if os.geteuid() == 0 else "", tmp=self.tmp, log=self.log,
                workers=self.workers,
                servers=servers, connections=connections, files=2 * connections + 64),
                encoding="utf-8")
            out = open(self.tmp / "stderr.log", "wb")  # noqa: SIM115
            self._proc = subprocess.Popen(
                [nginx, "-c", str(conf), "-p", str(self.tmp), "-e", f"{self.tmp}/error.log"],
                stdout=out, stderr=out, start_new_session=True)
            out.close()
            if all(_wait_address(a, self.port, 10, self._proc) for a in
                   (self.addresses[0], self.addresses[-1])):
                self._prioritise()
                return self.bases()
            self._kill()
        error = (self.tmp / "error.log").read_text(errors="replace").strip().splitlines()
        raise RuntimeError(error[-1] if error else "nginx did not answer")

    def _prioritise(self) -> None:
        """nginx stands for servers on other machines, whose clocks a busy crawler does not
        slow: on two shared cores, nginx at normal priority read requests up to ~0.14 s after
        they arrived (measured against the crawler's own send times), and its log showed
        gaps that were not there. Given the CPU first (root only), it lags by ~0.03 s."""
        if self._proc is None or os.geteuid() != 0:
            self.note = "nginx at normal CPU priority (not root): busy cores delay its clock"
            return
        try:
            os.setpriority(os.PRIO_PGRP, self._proc.pid, -10)
            self.note = "nginx at CPU priority -10"
        except OSError as exc:
            self.note = f"nginx at normal CPU priority ({exc})"

    def clear_log(self) -> None:
        """Empty the access log (nginx appends to it), for the next run's requests alone."""
        self.log.write_bytes(b"")

    def pids(self) -> list[int]:
        return [self._proc.pid] if self._proc else []

    def _kill(self) -> None:
        if self._proc and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGQUIT)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(5)
        self._proc = None

    def stop(self) -> None:
        self._kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _wait_address(address: str, port: int, timeout: float,
                  proc: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((address, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False
