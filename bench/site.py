"""A synthetic, deterministic agency site: N articles behind paginated news lists.

Layout (served from the site folder's root):

    /robots.txt
    /news/                      list page 1 (20 items, newest first)
    /news/page/K/               list page K, linked by rel=next / rel=prev
    /news/YYYY/<slug>.html      article i

Pages are ~20-25 KB, most of it realistic boilerplate (a big mega-menu, a cookie banner, a
footer with addresses and phone numbers, inline scripts and JSON config), so a crawler pays for
parsing the same noise a real agency site makes it parse. Dates come in the forms the watched
sites use (`July 18 d., 2017`, `2017 m. rugpjūčio 23 d.`, `23-01-2017`); article bodies hold
figures (`€73.3 million`, `22%`, `550 000 inhabitants`, ...).

Everything is derived from (seed, article index), so article i is the same page whatever N is.
`apply_changes` rewrites a fraction of the articles (one figure or the date changed; a changed
date also changes the article's list page) and touches no other file, so nginx's ETags of the
untouched pages stay valid for conditional re-crawls.

    python -m bench.site --out bench-out/site --articles 20000
    python -m bench.site --out bench-out/site --change-fraction 0.01
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PER_PAGE = 20
MANIFEST = "manifest.json"
CHANGES = "changes.json"
BASE_DATE = date(2024, 6, 28)
HOURS_PER_ARTICLE = 8  # article i is dated BASE_DATE - i * 8 h (three a day)

EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
LT_MONTHS_GEN = ("sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos",
                 "rugpjūčio", "rugsėjo", "spalio", "lapkričio", "gruodžio")
DATE_FORMS = ("en_d", "lt", "dmy")

ADJ = ("Regional", "Smart", "Green", "Digital", "Cross-border", "Innovative", "Sustainable",
       "Circular", "Inclusive", "Baltic", "Northern", "Coastal", "Rural", "Urban", "Creative")
NOUN = ("clusters", "SMEs", "start-ups", "universities", "municipalities", "innovation hubs",
        "research centres", "networks", "partners", "regions", "schools", "hospitals")
VERB = ("join forces on", "launch a call for", "present results of", "sign an agreement on",
        "discuss the future of", "share good practices in", "open a new centre for",
        "receive funding for", "report progress on", "test pilots in")
TOPIC = ("energy efficiency", "hydrogen valleys", "blue economy", "food processing",
         "laser technologies", "life sciences", "e-health", "wood construction",
         "public procurement", "skills for industry 5.0", "tourism data", "water management",
         "mobility as a service", "textile recycling", "space applications")
PLACE = ("Vilnius", "Kaunas", "Klaipėda", "Riga", "Tartu", "Gdańsk", "Turku", "Lund",
         "Rostock", "Šiauliai", "Panevėžys", "Aarhus", "Kiel", "Tallinn", "Liepāja")
WORDS = (  # noqa: SIM905 - prose reads better than a list of words
    "the project partners agreed to develop a joint action plan that links research and "
    "regional business support with practical training for companies and public bodies while "
    "the steering group reviewed indicators of progress and discussed how the results can be "
    "transferred to other regions of the programme area where similar challenges remain open "
    "for policy makers managing authorities and cluster organisations working on innovation "
    "strategies for smart specialisation and the green and digital transition of industry"
).split()


@dataclass(frozen=True, slots=True)
class Article:
    index: int
    url: str  # site-absolute path
    title: str
    date_text: str
    iso_date: str
    lang: str
    summary: str
    figures: tuple[str, ...]  # figure texts as written, in order
    html: str


def article_date(i: int, shift_days: int = 0) -> date:
    return BASE_DATE - timedelta(days=i * HOURS_PER_ARTICLE // 24) + timedelta(days=shift_days)


def format_date(d: date, form: str) -> str:
    if form == "en_d":
        return f"{EN_MONTHS[d.month - 1]} {d.day} d., {d.year}"
    if form == "lt":
        return f"{d.year} m. {LT_MONTHS_GEN[d.month - 1]} {d.day} d."
    return f"{d.day:02d}-{d.month:02d}-{d.year}"


def _space_thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _sentence(rng: random.Random, lo: int = 14, hi: int = 26) -> str:
    n = rng.randint(lo, hi)
    start = rng.randrange(len(WORDS))
    words = [WORDS[(start + k * 7) % len(WORDS)] for k in range(n)]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _figure_sentences(rng: random.Random, lang: str, bump: int) -> list[tuple[str, str]]:
    """[(sentence, figure text of the first figure in it)]; bump changes the first money value."""
    m = round(rng.uniform(1.5, 180.0) + bump * 1.7, 1)
    p = rng.randint(3, 85)
    inh = rng.randint(12, 990) * 1000
    smes = rng.randint(20, 900)
    inst = rng.randint(3, 60)
    area = rng.randint(40, 9000)
    p2 = rng.randint(2, 40)
    bn = round(rng.uniform(1.1, 9.9), 1)
    projects = rng.randint(5, 120)
    k = rng.randint(20, 500)
    money = f"€{m} million"
    if lang == "lt":
        money = f"{m} mln. eurų"
        return [
            (f"Projekto vertė – {money}, iš jų {p} proc. skiria Europos regioninės plėtros "
             "fondas.", money),
            (f"The region is home to {_space_thousands(inh)} inhabitants and {smes} SMEs.",
             f"{_space_thousands(inh)} inhabitants"),
            (f"Around {inst} research institutes joined the network, covering {area} sq. km.",
             f"{inst} research institutes"),
            (f"Eksportas išaugo {p2} proc. ir pasiekė {bn} mlrd. eurų.", f"{p2} proc."),
        ]
    return [
        (f"The programme has a total budget of {money}, of which {p}% comes from the European "
         "Regional Development Fund.", money),
        (f"The region is home to {_space_thousands(inh)} inhabitants and {smes} SMEs.",
         f"{_space_thousands(inh)} inhabitants"),
        (f"Around {inst} research institutes joined the network, covering an area of {area} "
         "sq. km.", f"{inst} research institutes"),
        (f"Exports grew by {p2}% last year, reaching EUR {bn} billion.", f"{p2}%"),
        (f"The call will fund up to {projects} projects with grants of up to €{k} thousand "
         "each.", f"€{k} thousand"),
    ]


def _title(rng: random.Random) -> str:
    return (f"{rng.choice(ADJ)} {rng.choice(NOUN)} {rng.choice(VERB)} {rng.choice(TOPIC)} "
            f"in {rng.choice(PLACE)}")


def _title_url(seed: int, i: int) -> tuple[str, str]:
    title = _title(random.Random(f"{seed}:{i}"))
    return article_path(i, article_date(i), title), title


def article_path(i: int, d: date, title: str) -> str:
    slug = "-".join(title.lower().replace("š", "s").replace("ė", "e").replace("ą", "a")
                    .replace("ā", "a").replace("ń", "n").split()[:6])
    slug = "".join(c for c in slug if c.isalnum() or c == "-")
    return f"/news/{d.year}/{slug}-{i:06d}.html"


def make_article(seed: int, i: int, override: dict[str, int] | None = None) -> Article:
    override = override or {}
    rng = random.Random(f"{seed}:{i}")
    form = DATE_FORMS[i % 3]
    lang = "lt" if form == "lt" else "en"
    title = _title(rng)
    url = article_path(i, article_date(i), title)  # the URL keeps the original date's year
    d = article_date(i, override.get("date_shift", 0))
    date_text = format_date(d, form)
    lead = _paragraph(rng, 2)
    summary = lead.split(". ")[0].rstrip(".") + "."
    figs = _figure_sentences(rng, lang, override.get("figure_bump", 0))
    paras = [lead]
    for sentence, _fig in figs:
        paras.append(_paragraph(rng, rng.randint(2, 3)) + " " + sentence + " "
                     + _paragraph(rng, 1))
    paras.append(_paragraph(rng, 3))
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    related = "".join(  # the newer neighbours: article i stays the same whatever N is
        f'<li><a href="{u}">{t}</a></li>' for u, t in (_title_url(seed, j) for j in
                                                       range(max(0, i - 3), i))
    )
    main = (
        f'<main id="main" class="site-main">\n<nav class="breadcrumbs" aria-label="Breadcrumb">'
        f'<a href="/">Home</a> › <a href="/news/">News</a> › <span>{title}</span></nav>\n'
        f'<article class="news-article">\n<h1 class="entry-title">{title}</h1>\n'
        f'<div class="entry-meta"><span class="date">{date_text}</span> · '
        f'<span class="author">Communication team</span></div>\n'
        f'<div class="entry-content">\n{body}\n</div>\n'
        f'<div class="share">Share: <a href="#fb">Facebook</a> <a href="#tw">X</a> '
        f'<a href="#li">LinkedIn</a></div>\n</article>\n'
        f'<aside class="related"><h2>Related news</h2><ul>{related}</ul></aside>\n</main>'
    )
    page = _page(lang, f"{title} | Baltic Innovation Agency", main, extra_head="")
    return Article(i, url, title, date_text, d.isoformat(), lang, summary,
                   tuple(f for _s, f in figs), page)


def make_list_page(k: int, pages: int, articles: list[Article]) -> str:
    items = []
    for a in articles:
        items.append(
            f'<article class="news-item">\n<h2 class="news-title"><a href="{a.url}">{a.title}'
            f'</a></h2>\n<span class="date">{a.date_text}</span>\n'
            f'<p class="summary">{a.summary}</p>\n'
            f'<a class="more" href="{a.url}">Read more</a>\n</article>'
        )
    pager = []
    if k > 1:
        pager.append(f'<a rel="prev" href="{list_url(k - 1)}">‹ Previous</a>')
    for n in range(max(1, k - 3), min(pages, k + 3) + 1):
        pager.append(f"<span class='current'>{n}</span>" if n == k
                     else f'<a href="{list_url(n)}">{n}</a>')
    if k < pages:
        pager.append(f'<a rel="next" href="{list_url(k + 1)}">Next ›</a>')
    head = ""
    if k < pages:
        head += f'<link rel="next" href="{list_url(k + 1)}">\n'
    if k > 1:
        head += f'<link rel="prev" href="{list_url(k - 1)}">\n'
    main = (
        '<main id="main" class="site-main">\n<h1 class="page-title">News</h1>\n'
        '<div class="news-list">\n' + "\n".join(items) + "\n</div>\n"
        '<nav class="pagination" aria-label="Pages">' + " ".join(pager) + "</nav>\n</main>"
    )
    return _page("en", f"News – page {k} | Baltic Innovation Agency", main, extra_head=head)


def list_url(k: int) -> str:
    return "/news/" if k == 1 else f"/news/page/{k}/"


def url_to_file(site: Path, url: str) -> Path:
    rel = url.lstrip("/")
    return site / (rel + "index.html" if rel.endswith("/") or not rel else rel)


# --- boilerplate ------------------------------------------------------------------------------

def _menu() -> str:
    sections = ("About us", "Programmes", "Funding", "Projects", "Clusters", "Events", "News",
                "Publications", "Good practices", "Contacts")
    subs = ("Overview", "Strategy 2021–2027", "Calls for proposals", "Results", "Partners",
            "Regional offices", "Documents", "Open data", "Careers")
    out = ['<nav class="mega-menu" aria-label="Main">\n<ul class="menu-level-1">']
    for s_i, s in enumerate(sections):
        out.append(f'<li class="menu-item has-children"><a href="/section-{s_i}/">{s}</a>'
                   '<div class="mega-panel"><ul class="menu-level-2">')
        for u_i, u in enumerate(subs):
            out.append(f'<li class="menu-item"><a href="/section-{s_i}/{u_i}/" '
                       f'title="{s}: {u}">{u}</a></li>')
        out.append(f'</ul><p class="panel-teaser">{s}: everything about our work.</p></div>'
                   "</li>")
    out.append("</ul>\n</nav>")
    return "\n".join(out)


def _footer() -> str:
    return (
        '<footer class="site-footer">\n<div class="footer-columns">\n'
        '<div class="col"><h3>Baltic Innovation Agency</h3><address>Gedimino pr. 38, '
        'LT-01103 Vilnius, Lithuania<br>Phone +370 5 264 9521<br>Fax +370 5 264 9522<br>'
        'E-mail info@example.org</address><p>Company code 302589120. VAT LT100005826211.</p>'
        '</div>\n<div class="col"><h3>Regional offices</h3><ul>'
        + "".join(f"<li>{p} office, {p} g. {n}, LT-{44000 + n * 17} {p}, +370 37 {200000 + n}"
                  "</li>" for n, p in enumerate(PLACE[:8]))
        + '</ul></div>\n<div class="col"><h3>Newsletter</h3><form action="/subscribe" '
        'method="post"><label>E-mail <input type="email" name="email"></label><label>'
        '<input type="checkbox" name="consent"> I agree to receive 12 newsletters a year'
        '</label><button>Subscribe</button></form></div>\n<div class="col"><h3>Follow us'
        '</h3><ul class="social"><li><a href="https://facebook.com/x">Facebook</a></li>'
        '<li><a href="https://linkedin.com/x">LinkedIn</a></li><li><a href="https://youtube.'
        'com/x">YouTube</a></li></ul></div>\n</div>\n<p class="copyright">© 2010–2024 Baltic '
        'Innovation Agency. Co-funded by the European Union (ERDF, 2014–2020 and 2021–2027).'
        " Visitors this year: 1 254 302.</p>\n</footer>"
    )


_INLINE_CONFIG = json.dumps({
    "site": "baltic-innovation-agency", "lang": ["en", "lt"],
    "analytics": {"id": "G-XXXXXXXX", "anonymize_ip": True, "consent_mode": "basic"},
    "menu": {"breakpoints": [480, 768, 1024, 1280], "animation_ms": 250},
    "search": {"endpoint": "/search/api", "min_chars": 3, "facets": list(ADJ)},
    "translations": {w: w.upper() for w in WORDS[:60]},
})

_HEAD_SCRIPT = (
    "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    "gtag('js',new Date());gtag('config','G-XXXXXXXX',{anonymize_ip:true});"
    "(function(w,d,s){var f=d.getElementsByTagName(s)[0],j=d.createElement(s);j.async=true;"
    "j.src='/static/js/vendor.min.js?v=20240628';f.parentNode.insertBefore(j,f);})"
    "(window,document,'script');" * 3
)

_TAIL_SCRIPT = (
    "document.addEventListener('DOMContentLoaded',function(){var b=document.querySelector("
    "'.cookie-banner');if(localStorage.getItem('cookies-ok')){b.remove();}document."
    "querySelectorAll('.menu-item.has-children > a').forEach(function(a){a.addEventListener("
    "'click',function(e){if(window.innerWidth<1024){e.preventDefault();a.parentNode.classList."
    "toggle('open');}});});});" * 4
)

_COOKIES = (
    '<div class="cookie-banner" role="dialog"><p>We use cookies to measure how the site is used.'
    " Analytics cookies are kept for 365 days and 95% of visitors accept them. "
    '<a href="/privacy/">Privacy policy</a></p><button>Accept all</button>'
    "<button>Only necessary</button></div>"
)


def _page(lang: str, title: str, main: str, extra_head: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f'<meta name="description" content="{title}">\n'
        f'<meta property="og:title" content="{title}">\n'
        + "".join(f'<link rel="stylesheet" href="/static/css/{n}.css?v=20240628">\n'
                  for n in ("reset", "grid", "theme", "menu", "print"))
        + extra_head
        + f"<script>{_HEAD_SCRIPT}</script>\n"
        f'<script type="application/json" id="site-config">{_INLINE_CONFIG}</script>\n'
        "</head>\n<body class=\"page\">\n"
        '<a class="skip-link" href="#main">Skip to content</a>\n'
        f"{_COOKIES}\n"
        '<header class="site-header"><a class="logo" href="/"><img src="/static/logo.svg" '
        'alt="Baltic Innovation Agency"></a><form class="search" action="/search">'
        '<input name="q" placeholder="Search"></form><ul class="lang"><li><a href="/lt/">LT'
        '</a></li><li><a href="/">EN</a></li></ul>\n'
        f"{_MENU}\n</header>\n{main}\n{_FOOTER}\n<script>{_TAIL_SCRIPT}</script>\n"
        "</body>\n</html>\n"
    )


_MENU = _menu()
_FOOTER = _footer()


# --- the site -----------------------------------------------------------------------------------

def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _overrides(manifest: dict[str, Any]) -> dict[int, dict[str, int]]:
    return {int(k): v for k, v in manifest.get("overrides", {}).items()}


def generate(out: Path, articles: int, seed: int = 6) -> dict[str, Any]:
    """Write the whole site into `out` (emptied first); returns the manifest."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    _write(out / "robots.txt", "User-agent: *\nAllow: /\n")
    pages = max(1, -(-articles // PER_PAGE))
    manifest: dict[str, Any] = {"articles": articles, "seed": seed, "list_pages": pages,
                                "revision": 0, "overrides": {}}
    for k in range(1, pages + 1):
        batch = [make_article(seed, i) for i in range((k - 1) * PER_PAGE,
                                                      min(articles, k * PER_PAGE))]
        for a in batch:
            _write(url_to_file(out, a.url), a.html)
        _write(url_to_file(out, list_url(k)), make_list_page(k, pages, batch))
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return manifest


def load_manifest(site: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    return data


def article_urls(site: Path) -> list[str]:
    m = load_manifest(site)
    ov = _overrides(m)
    return [make_article(m["seed"], i, ov.get(i)).url for i in range(m["articles"])]


def list_urls(site: Path) -> list[str]:
    return [list_url(k) for k in range(1, load_manifest(site)["list_pages"] + 1)]


def apply_changes(site: Path, fraction: float) -> list[dict[str, Any]]:
    """Rewrite `fraction` of the articles (a figure or the date changed); returns what changed.

    Half of the chosen articles get a new money figure, half a new date; a new date is shown on
    the list page too, so that list page is rewritten. No other file is touched.
    """
    m = load_manifest(site)
    n, seed = m["articles"], m["seed"]
    m["revision"] += 1
    rng = random.Random(f"{seed}:changes:{m['revision']}")
    count = max(1, round(n * fraction)) if fraction > 0 else 0
    chosen = sorted(rng.sample(range(n), min(n, count)))
    overrides = _overrides(m)
    changed: list[dict[str, Any]] = []
    lists_to_rewrite: set[int] = set()
    for j, i in enumerate(chosen):
        before = make_article(seed, i, overrides.get(i))
        ov = dict(overrides.get(i, {}))
        what = "figure" if j % 2 == 0 else "date"
        if what == "figure":
            ov["figure_bump"] = ov.get("figure_bump", 0) + 1
        else:
            ov["date_shift"] = ov.get("date_shift", 0) + 1 + (i % 5)
            lists_to_rewrite.add(i // PER_PAGE + 1)
        overrides[i] = ov
        after = make_article(seed, i, ov)
        _write(url_to_file(site, after.url), after.html)
        old, new = ((before.figures[0], after.figures[0]) if what == "figure"
                    else (before.date_text, after.date_text))
        changed.append({"index": i, "url": after.url, "what": what, "old": old, "new": new,
                        "list_page": list_url(i // PER_PAGE + 1)})
    m["overrides"] = {str(k): v for k, v in overrides.items()}
    for k in sorted(lists_to_rewrite):
        batch = [make_article(seed, i, overrides.get(i))
                 for i in range((k - 1) * PER_PAGE, min(n, k * PER_PAGE))]
        _write(url_to_file(site, list_url(k)), make_list_page(k, m["list_pages"], batch))
    (site / MANIFEST).write_text(json.dumps(m), encoding="utf-8")
    (site / CHANGES).write_text(json.dumps(changed, ensure_ascii=False, indent=1),
                                encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.site", description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench-out/site", help="site folder")
    ap.add_argument("--articles", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--change-fraction", type=float,
                    help="rewrite this fraction of the articles of an existing site")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.change_fraction is not None:
        changed = apply_changes(out, args.change_fraction)
        print(f"{out}: rewrote {len(changed)} articles (listed in {out / CHANGES})")
        return 0
    m = generate(out, args.articles, args.seed)
    print(f"{out}: {m['articles']} articles, {m['list_pages']} list pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
