"""The baseline: what a team's hand-written Scrapy project does for the same site.

Follows the news list pages (rel=next) and the article links, yields the news items of every
list page (title, ISO date, summary, absolute URL) and the figures of every article (money,
percentages, counts, areas, with their sentence), with parsel selectors and regexes equivalent
to what agencywatch extracts. Items go to JSON lines via FEEDS; the spider's own counters and
Scrapy's stats are written to `stats_path` at the end.

    scrapy runspider bench/scrapy_spider.py -a start_url=http://127.0.0.1:PORT/news/ \
        -a stats_path=bench-out/scrapy-stats.json -O bench-out/scrapy-items.jsonl

Many sites (bench/polite.py): `-a start_urls_file=FILE` (one start URL a line), with the
politeness settings on the command line (`-s DOWNLOAD_DELAY=1 -s CONCURRENT_REQUESTS_PER_DOMAIN=1
...`, which win over `SETTINGS`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

try:
    import scrapy
except ImportError:  # the parsing helpers below are usable (and tested) without Scrapy
    scrapy = None  # type: ignore[assignment]

SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,  # the default (8) would cap one host below 16
    "DOWNLOAD_DELAY": 0,
    "RANDOMIZE_DOWNLOAD_DELAY": False,
    "ROBOTSTXT_OBEY": True,  # what `scrapy startproject` writes
    "COOKIES_ENABLED": False,  # nothing to keep; also keeps tldextract from any lookup
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "LOGSTATS_INTERVAL": 3600,
    "HTTPCACHE_ENABLED": False,
    "USER_AGENT": "bench-scrapy (+https://github.com/agencywatch)",
    "FEED_EXPORT_ENCODING": "utf-8",
}

EN_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), 1)}
LT_MONTHS = {m: i for i, m in enumerate(
    ("sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos", "rugpjūčio",
     "rugsėjo", "spalio", "lapkričio", "gruodžio"), 1)}

DATE_EN_D = re.compile(r"\b([A-Z][a-z]+) (\d{1,2}) d\., (\d{4})\b")
DATE_LT = re.compile(r"\b(\d{4}) m\. ([a-zščęėįšųūž]+) (\d{1,2}) d\.")
DATE_DMY = re.compile(r"\b(\d{1,2})-(\d{1,2})-(\d{4})\b")


def parse_date(text: str) -> str | None:
    text = " ".join(text.split())
    m = DATE_EN_D.search(text)
    if m and m.group(1).lower() in EN_MONTHS:
        return f"{m.group(3)}-{EN_MONTHS[m.group(1).lower()]:02d}-{int(m.group(2)):02d}"
    m = DATE_LT.search(text)
    if m and m.group(2) in LT_MONTHS:
        return f"{m.group(1)}-{LT_MONTHS[m.group(2)]:02d}-{int(m.group(3)):02d}"
    m = DATE_DMY.search(text)
    if m:
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return None


NUM = r"\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
MAG = {"thousand": 1e3, "tūkst.": 1e3, "million": 1e6, "mln.": 1e6, "billion": 1e9,
       "bn": 1e9, "mlrd.": 1e9}
MAG_RE = r"(?:\s(?P<mag>thousand|million|billion|bn|mln\.|mlrd\.|tūkst\.))?"
FIGURE = re.compile(
    rf"(?P<money1>(?:€|EUR\s?)(?P<n1>{NUM}){MAG_RE})"
    rf"|(?P<money2>(?P<n2>{NUM}){MAG_RE.replace('mag', 'mag2')}\s(?:eurų|EUR|euros?))"
    rf"|(?P<pct>(?P<n3>{NUM})\s?(?:%|proc\.|percent))"
    rf"|(?P<area>(?P<n4>{NUM})\s(?:sq\.\s?km|km²|km2))"
    rf"|(?P<count>(?P<n5>{NUM})\s(?P<noun>(?:[a-zščęėįšųūž]+\s){{0,2}}?"
    r"(?:[a-zščęėįšųūž]+s|[A-Z]{2,}s|gyventojų)))\b"
)
SENTENCE_END = re.compile(r"(?<!\bsq)(?<!\bmln)(?<!\bproc)(?<!\bd)(?<!\bm)(?<!mlrd)(?<!tūkst)"
                          r"[.!?]\s+(?=[A-ZĄČĘĖĮŠŲŪŽ\"“])")
YEAR = re.compile(r"^(19|20)\d{2}$")


def _number(text: str) -> float:
    return float(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))


def find_figures(paragraphs: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for para in paragraphs:
        para = " ".join(para.split())
        start = 0
        sentences = []
        for m in SENTENCE_END.finditer(para):
            sentences.append(para[start:m.start() + 1])
            start = m.end()
        sentences.append(para[start:])
        for sentence in sentences:
            for m in FIGURE.finditer(sentence):
                g = m.groupdict()
                if g["money1"] or g["money2"]:
                    n = g["n1"] or g["n2"]
                    mag = g["mag"] or g["mag2"]
                    value, unit = _number(n) * MAG.get(mag or "", 1), "EUR"
                elif g["pct"]:
                    value, unit = _number(g["n3"]), "%"
                elif g["area"]:
                    value, unit = _number(g["n4"]), "km2"
                else:
                    if YEAR.match(g["n5"]) or g["noun"].split()[-1] == "times":
                        continue
                    value, unit = _number(g["n5"]), g["noun"]
                text = m.group(0)
                if (text, sentence) in seen:
                    continue
                seen.add((text, sentence))
                out.append({"value": value, "unit": unit, "text": text, "context": sentence})
    return out


class _Base:
    pass


class AgencySpider(scrapy.Spider if scrapy is not None else _Base):  # type: ignore[misc]
    name = "agency"
    custom_settings = SETTINGS

    def __init__(self, start_url: str = "", stats_path: str = "", start_urls_file: str = "",
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.start_urls = [start_url] if start_url else []
        if start_urls_file:
            with open(start_urls_file, encoding="utf-8") as f:
                self.start_urls += [line.strip() for line in f if line.strip()]
        self.stats_path = stats_path
        self.list_pages = 0
        self.article_pages = 0
        self.news_items = 0
        self.figures = 0
        self.t0 = time.monotonic()

    def parse(self, response: scrapy.http.Response) -> Iterator[Any]:
        """A news list page: its items, then the articles and the next list page."""
        self.list_pages += 1
        for item in response.css(".news-list .news-item"):
            href = item.css("h2 a::attr(href)").get()
            url = response.urljoin(href) if href else None
            self.news_items += 1
            yield {
                "type": "news",
                "page": response.url,
                "title": " ".join(" ".join(item.css("h2 a ::text").getall()).split()),
                "date": parse_date(item.css(".date::text").get("")),
                "summary": " ".join(" ".join(item.css(".summary ::text").getall()).split())
                or None,
                "url": url,
            }
            if url:
                yield scrapy.Request(url, callback=self.parse_article)
        nxt = response.css("a[rel=next]::attr(href), link[rel=next]::attr(href)").get()
        if nxt:
            yield response.follow(nxt, callback=self.parse)

    def parse_article(self, response: scrapy.http.Response) -> Iterator[Any]:
        self.article_pages += 1
        content = response.css("main article .entry-content")
        paragraphs = [" ".join(p.css("::text").getall()) for p in content.css("p")]
        figures = find_figures(paragraphs)
        self.figures += len(figures)
        yield {
            "type": "article",
            "url": response.url,
            "title": " ".join(" ".join(response.css("h1 ::text").getall()).split()),
            "date": parse_date(response.css(".entry-meta .date::text").get("")),
            "figures": figures,
        }

    def closed(self, reason: str) -> None:
        if not self.stats_path:
            return
        assert self.crawler.stats is not None
        stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                 for k, v in self.crawler.stats.get_stats().items()}
        data = {
            "reason": reason,
            "list_pages": self.list_pages,
            "article_pages": self.article_pages,
            "pages": self.list_pages + self.article_pages,
            "news_items": self.news_items,
            "figures": self.figures,
            "spider_seconds": time.monotonic() - self.t0,
            "stats": stats,
        }
        with open(self.stats_path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, default=str)
