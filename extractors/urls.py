"""URL normalisation and scope: one spelling per page, so a run never fetches a page twice.

`normalise_url` is deliberately conservative: it removes what never changes the page (the
fragment, tracking parameters, a default port, letter case in scheme and host) and keeps the
rest as written. Query parameters are not sorted and `ref` is not stripped: a wrongly merged URL
silently loses a page, a missed merge only costs one extra request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

WEB_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# parameters that only tell the site where a visitor came from
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
TRACKING_PREFIXES = ("utm_",)

# WHATWG URL parsing drops these anywhere in a URL; HTML attributes often carry them
_INVISIBLE = str.maketrans("", "", "\t\n\r")
# A root-relative path that resolving and canonicalising leave as written: characters that
# safe_url_string never quotes, and no query, fragment, parameters (";"), dot segments ("/.")
# or authority ("//"). Most links of a page are of this form.
_PLAIN_PATH = re.compile(r"/(?![/.])(?:[A-Za-z0-9\-_~!$&'()*+,=:@%]|\.|/(?!\.))*")
# scheme://netloc at the start of an absolute URL, as urlsplit divides it
_WRITTEN_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
# a host and port whose canonical spelling the origin cache may hold (no userinfo, no IPv6)
_PLAIN_NETLOC = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]{1,5})?")


def is_tracking_param(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    # split by hand so the kept parameters stay byte-for-byte as the site wrote them
    kept = [p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    return "&".join(kept)


def _netloc(scheme: str, url: str) -> str:
    """host[:port], lowercased, default port dropped. Credentials (`user:pass@`) are dropped:
    a page that writes them into a link or a redirect must not make the crawler send them (as
    an Authorization header) or store them."""
    parts = urlsplit(url)
    host = parts.hostname or ""  # urlsplit lowercases it and drops IPv6 brackets
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # ValueError for a port that is not a number in range
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        return f"{host}:{port}"
    return host


def normalise_url(url: str, base: str | None = None) -> str:
    """The canonical spelling of `url` (resolved against `base` when given).

    http(s) URLs: scheme and host lowercased, IDNA host, unsafe characters percent-encoded,
    default port and credentials dropped, empty path made `/`, fragment and tracking
    parameters removed.
    Other schemes (mailto:, javascript:) come back resolved, with the scheme lowercased and no
    fragment; `in_scope` rejects them. Raises ValueError for a URL that cannot be parsed
    (a bad port, broken IPv6 brackets).
    """
    url = url.strip()
    if "\t" in url or "\n" in url or "\r" in url:  # rare; translate() costs more than the tests
        url = url.translate(_INVISIBLE)
    if base:
        base = base.strip()
        plain = _plain_path(url, base)
        if plain is not None:
            return plain
        url = urljoin(base, url)
    else:  # every fetch checks its URL: most are already a plain path on a plain origin
        origin = _WRITTEN_ORIGIN.match(url)
        plain = _plain_path(url, origin.group() + "/") if origin else None
        if plain is not None:
            return plain
    return _canonical(url)


def _plain_path(url: str, base: str) -> str | None:
    """normalise_url of a link to a plain path on the base's own site, without urljoin and
    w3lib: the base's canonical origin plus the path as written. None for any other link.

    The two give the same: urljoin keeps such a path and takes the base's scheme and host;
    safe_url_string quotes none of its characters; the host and port are spelled by the
    origin, which depends on them alone. A page's links are mostly of this form, and the
    full spelling costs ~20 us each.
    """
    origin, raw = _origin(base)
    if not origin:
        return None
    if url[:1] != "/":  # an absolute link to the base's own origin, as written there
        if not url.startswith(raw):
            return None
        url = url[len(raw):]
    return origin + url if _PLAIN_PATH.fullmatch(url) else None


@lru_cache(maxsize=256)
def _origin(base: str) -> tuple[str, str]:
    """(canonical origin, origin as written: scheme://host:port) of an http(s) base URL with a
    plain host, else ("", "")."""
    try:
        parts = urlsplit(base)
        scheme = parts.scheme.lower()
        if scheme not in WEB_SCHEMES or not _PLAIN_NETLOC.fullmatch(parts.netloc):
            return "", ""
        origin = _canonical(f"{scheme}://{parts.netloc}/")
    except ValueError:  # a bad port: the full path raises it for every link
        return "", ""
    return origin[:-1], f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8192)
def _canonical(url: str) -> str:
    """normalise_url after resolving. Cached: a site repeats its menu, footer and pager links
    on every page, and spelling one URL costs ~0.1 ms (most of a listing's link scan)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in WEB_SCHEMES:
        parts = urlsplit(url)
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    url = safe_url_string(url)
    parts = urlsplit(url)
    return urlunsplit(
        (scheme, _netloc(scheme, url), parts.path or "/", _clean_query(parts.query), "")
    )


def host_of(url: str) -> str:
    """Lowercased host name of `url` (no port), '' when there is none."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _ascii_host(host: str) -> str:
    """IDNA form of a host (`žinios.lt` -> `xn--inios-tib.lt`), the way normalise_url spells it."""
    if host.isascii():
        return host.lower()
    try:
        return urlsplit(safe_url_string(f"http://{host}/")).netloc.lower()
    except (ValueError, UnicodeError):
        return host.lower()


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def site_of(url: str) -> str:
    """The scope entry naming `url`'s own site: its host, with the port when it is not the
    scheme's default ('' for a URL without a host)."""
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port
    except ValueError:
        return ""
    host = _ascii_host(parts.hostname or "")
    if not host:
        return ""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None or port == DEFAULT_PORTS.get(scheme) else f"{shown}:{port}"


@lru_cache(maxsize=1024)
def _parse_entry(entry: str) -> tuple[str, bool, int | None]:
    """(ASCII host, subdomains too, port or None) of a scope entry: `a.lt`, `a.lt:8080`,
    `.a.lt` or `*.a.lt`, `[::1]:8080`, or a whole URL given where a host was meant."""
    entry = entry.strip().lower()
    port: int | None = None
    if "://" in entry:
        try:
            parts = urlsplit(entry)
            written = parts.port
        except ValueError:
            return "", False, None
        entry = (parts.hostname or "").strip()
        port = None if written == DEFAULT_PORTS.get(parts.scheme) else written
    else:
        head, sep, tail = entry.rpartition(":")
        if sep and tail.isdigit() and (not head.startswith("[") or head.endswith("]")):
            entry, port = head, int(tail)
    wildcard = entry.startswith(("*.", "."))  # explicit subdomain wildcard
    return _ascii_host(entry.lstrip("*.").strip("[]")), wildcard, port


def _entry_matches(entry: str, host: str, port: int, default_port: bool) -> bool:
    pattern, wildcard, entry_port = _parse_entry(entry)
    # An entry without a port names the site on the web's default ports (http on 80, https on
    # 443: the same site upgraded or not); any other port of the host is another service on
    # it (a database, SSH), reached only when an entry names that port.
    if (not default_port) if entry_port is None else entry_port != port:
        return False
    if wildcard:
        return host == pattern or host.endswith(f".{pattern}")
    # www.example.org and example.org are the same site on every agency site we know
    return _strip_www(host) == _strip_www(pattern)


def in_scope(url: str, hosts: Iterable[str]) -> bool:
    """True when `url` is http(s) and its site is one of `hosts`.

    An entry matches its host with or without a leading `www.`; `.example.org` or
    `*.example.org` also matches subdomains. An entry without a port matches the host on the
    scheme's default port only; `host:port` matches only that port.
    An empty `hosts` matches nothing.
    """
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = _ascii_host(parts.hostname or "")
        written = parts.port
    except ValueError:
        return False
    if scheme not in WEB_SCHEMES or not host:
        return False
    port = written or DEFAULT_PORTS[scheme]
    default_port = port == DEFAULT_PORTS[scheme]
    return any(_entry_matches(entry, host, port, default_port) for entry in hosts)
