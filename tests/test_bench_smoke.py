"""Smoke test of the benchmark harness (bench/): the pieces, quickly, without nginx or Scrapy.

The full run (`make bench`) takes minutes; this checks in a few seconds that the generator, the
fallback server, the baseline's parsing, the measuring of a child, the floors, the change check
and the table still fit together. Set AGENCYWATCH_BENCH_E2E=1 to also run the whole harness on
a 40-article site (Prefect and, when installed, Scrapy included; about a minute).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench import floors, run, site  # noqa: E402
from bench.measure import run_child  # noqa: E402
from bench.scrapy_spider import find_figures, parse_date  # noqa: E402
from bench.serve import Server, resolve  # noqa: E402

ARTICLES = 40


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "site"
    site.generate(out, ARTICLES, seed=6)
    return out


def test_generator_is_deterministic_and_realistic(site_dir: Path, tmp_path: Path) -> None:
    manifest = site.load_manifest(site_dir)
    assert manifest["articles"] == ARTICLES and manifest["list_pages"] == 2
    htmls = sorted(site_dir.rglob("*.html"))
    assert len(htmls) == ARTICLES + 2
    sizes = [f.stat().st_size for f in htmls]
    assert 18_000 < sum(sizes) / len(sizes) < 30_000  # ~20-25 KB pages, boilerplate included
    again = tmp_path / "again"
    site.generate(again, ARTICLES, seed=6)
    for f in htmls:
        assert (again / f.relative_to(site_dir)).read_bytes() == f.read_bytes()
    # article i is the same page whatever N is
    a5 = site.make_article(6, 5)
    assert site.url_to_file(site_dir, a5.url).read_text(encoding="utf-8") == a5.html
    first = site.url_to_file(site_dir, "/news/").read_text(encoding="utf-8")
    assert first.count('class="news-item"') == 20
    assert '<link rel="next" href="/news/page/2/">' in first
    assert '<a rel="next" href="/news/page/2/">' in first
    last = site.url_to_file(site_dir, "/news/page/2/").read_text(encoding="utf-8")
    assert 'rel="next"' not in last and 'rel="prev"' in last
    text = "".join(site.make_article(6, i).html for i in range(3))
    assert re.search(r"[A-Z][a-z]+ \d{1,2} d\., \d{4}", text)  # July 18 d., 2017
    assert re.search(r"\d{4} m\. [a-zėįšųūž]+ \d{1,2} d\.", text)  # 2017 m. rugpjūčio 23 d.
    assert re.search(r"\b\d{2}-\d{2}-\d{4}\b", text)  # 23-01-2017
    assert "€" in text and "%" in text and re.search(r"\d{3} 000 inhabitants", text)


def test_baseline_parsing_matches_the_site() -> None:
    assert parse_date("July 18 d., 2017") == "2017-07-18"
    assert parse_date("2017 m. rugpjūčio 23 d.") == "2017-08-23"
    assert parse_date("23-01-2017") == "2017-01-23"
    figs = find_figures(["The programme has a total budget of €73.3 million, of which 22% "
                         "comes from the fund. The region is home to 550 000 inhabitants."])
    got = {(f["text"], f["value"], f["unit"]) for f in figs}
    assert ("€73.3 million", 73_300_000, "EUR") in got
    assert ("22%", 22, "%") in got
    assert ("550 000 inhabitants", 550_000, "inhabitants") in got
    assert figs[0]["context"].startswith("The programme has")


def test_fallback_server_serves_like_nginx(site_dir: Path) -> None:
    assert resolve(site_dir, "/news/") == site_dir / "news" / "index.html"
    assert resolve(site_dir, "/../etc/passwd") is None
    with Server(site_dir, prefer="python") as server:
        base = server.start()
        assert server.kind == "python"
        with requests.Session() as s:
            r = s.get(base + "/news/page/2/", timeout=5)
            assert r.status_code == 200 and "news-item" in r.text
            etag = r.headers["ETag"]
            r304 = s.get(base + "/news/page/2/", headers={"If-None-Match": etag}, timeout=5)
            assert r304.status_code == 304
            assert s.get(base + "/robots.txt", timeout=5).text.startswith("User-agent")
            assert s.get(base + "/missing/", timeout=5).status_code == 404


def test_changes_rewrite_only_the_changed_articles(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.generate(out, ARTICLES, seed=6)
    before = {f: (f.stat().st_mtime_ns, f.read_bytes()) for f in out.rglob("*.html")}
    time.sleep(0.01)
    changed = site.apply_changes(out, 0.05)
    assert len(changed) == 2 and {c["what"] for c in changed} == {"figure", "date"}
    touched = {f for f, (_m, body) in before.items() if f.read_bytes() != body}
    expected = {site.url_to_file(out, c["url"]) for c in changed}
    expected |= {site.url_to_file(out, c["list_page"]) for c in changed if c["what"] == "date"}
    assert touched == expected
    for c in changed:
        page = site.url_to_file(out, c["url"]).read_text(encoding="utf-8")
        assert c["new"] in page and c["old"] not in page
    assert json.loads((out / site.CHANGES).read_text(encoding="utf-8")) == changed
    # the change check: exact when every changed article is reported and nothing else
    base = "http://127.0.0.1:1"
    report = {"changes": [{"change": "updated", "entity": "figure", "url": base + c["url"]}
                          for c in changed]}
    assert run.check_changes(report, changed, base)["exact"]
    report["changes"].append({"change": "updated", "entity": "news", "url": base + "/x.html"})
    check = run.check_changes(report, changed, base)
    assert not check["exact"] and check["extra_count"] == 1


def test_measured_child_and_floors(site_dir: Path) -> None:
    child = run_child([sys.executable, "-c",
                       "import sys; b = bytearray(30_000_000); print('ready'); "
                       "print('done', file=sys.stderr)"])
    assert child.returncode == 0 and child.wall_s > 0
    assert child.first_line("ready") is not None and child.first_line("done") is not None
    files = sorted(site_dir.rglob("*.html"))
    parse = floors.lxml_parse_rate(files, 20)
    assert parse.pages == 20 and parse.pages_s > 0
    with Server(site_dir, prefer="python") as server:
        base = server.start()
        urls = [base + u for u in site.list_urls(site_dir) + site.article_urls(site_dir)]
        seq = floors.fetch_rate(urls, 1, 20)
        par = floors.fetch_rate(urls, 8, 30)
    assert (seq.pages, seq.errors, par.pages, par.errors) == (20, 0, 30, 0)


def test_process_roles() -> None:
    from bench.measure import ROLE_EXTRACT, ROLE_OTHER, ROLE_SERVER, process_role

    forkserver = ["/v/bin/python", "-B", "-c",
                  "from multiprocessing.forkserver import main; main(3, 5, ['extractors.core'])"]
    uvicorn = ["/v/bin/python", "-m", "uvicorn", "--app-dir", "/v/site-packages", "--factory",
               "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", "4200"]
    assert process_role(forkserver) == ROLE_EXTRACT
    assert process_role(uvicorn) == ROLE_SERVER
    assert process_role(["/v/bin/prefect", "server", "start"]) == ROLE_SERVER
    assert process_role(["nginx", "-c", "/tmp/x.conf"]) == ROLE_OTHER


def test_the_crawl_cpu_splits_by_process() -> None:
    """A child that burns CPU itself and in a grandchild shaped like an extraction worker."""
    from bench.measure import ROLE_EXTRACT, ROLE_MAIN

    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"
    worker = "# multiprocessing worker\n" + burn.format(s=1.2)
    child = run_child([sys.executable, "-c",
                       "import subprocess, sys\n"
                       f"p = subprocess.Popen([sys.executable, '-c', {worker!r}])\n"
                       + burn.format(s=0.6) + "p.wait()\n"])
    assert child.returncode == 0
    roles = child.cpu_by_role
    assert set(roles) == {ROLE_MAIN, ROLE_EXTRACT}
    # polls every 0.25 s: the worker's last moments are counted with the child
    assert 0.8 <= roles[ROLE_EXTRACT] <= 1.5
    assert roles[ROLE_MAIN] >= 0.5
    assert sum(roles.values()) == pytest.approx(child.cpu_s, abs=1e-6)


def test_table_has_every_row() -> None:
    res = run.Results(command="python -m bench.run --articles 40", articles=ARTICLES,
                      pages=ARTICLES + 2, server="python on http://127.0.0.1:1", server_note="")
    names = ["Scrapy (16 concurrent)", "agencywatch first crawl",
             "agencywatch unchanged re-crawl", "agencywatch 1%-changed re-crawl",
             "floor: lxml.html.fromstring (1 core)", "floor: requests.Session GET (sequential)",
             "floor: requests.Session GET (8 threads)",
             "extraction alone, stored pages (2 processes)"]
    for i, name in enumerate(names):
        crawl = name.startswith("agencywatch")
        res.rows.append(run.Row(name, 42, 1.0 + i, 0.5, 100.0 if crawl else None,
                                150.0 if crawl else None, 1.0 if crawl else None,
                                10.0 if crawl else None))
    res.checks = {"unchanged re-crawl changes": 0,
                  "changed re-crawl": {"expected": 1, "reported": 1, "missing_count": 0,
                                       "extra_count": 0, "exact": True}}
    prefect_lines = [  # what Prefect and the flow log at INFO: the stage markers
        "Flow run 'x' - Beginning flow run 'x' for flow 'agencywatch-crawl'",
        "Task run 'crawl-batch-1' - Finished in state Completed()",
        "Flow run 'x' - run 1 completed: pages fetched 42, not modified 0, failed 0",
        "Flow run 'x' - Finished in state Completed()",
    ]
    child = run_child([sys.executable, "-c",
                       f"import time\nfor line in {prefect_lines!r}:\n"
                       "    print(line, flush=True); time.sleep(0.01)"])
    res.stages = run.stage_table(child, {"fetch_ms": 1}, None)
    res.targets = run.targets(res, {})
    table = run.render(res)
    for name in names:
        assert f"| {name} |" in table
    assert "Prefect start-up" in table and "crawl phase" in table and "## Targets" in table
    assert "first crawl >= 1.5x Scrapy pages/s" in table
    assert "python -m bench.run --articles 40" in table


@pytest.mark.skipif(os.environ.get("AGENCYWATCH_BENCH_E2E") != "1",
                    reason="the whole harness takes about a minute: AGENCYWATCH_BENCH_E2E=1")
def test_whole_harness(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "bench.run", "--articles", str(ARTICLES), "--server", "python",
           "--out", str(tmp_path / "out"), "--skip", "profile", "--change-fraction", "0.05"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = (tmp_path / "out" / "results.md").read_text(encoding="utf-8")
    for name in ("agencywatch first crawl", "agencywatch unchanged re-crawl",
                 "agencywatch 1%-changed re-crawl", "floor: lxml.html.fromstring (1 core)"):
        assert name in table


def test_the_polite_workload_and_what_nginx_saw(tmp_path: Path) -> None:
    from bench import polite

    assert [polite.articles_for(n) for n in (2, 5, 15, 21, 22, 23)] == [1, 4, 14, 20, 20, 21]
    folders, spacing, counts = polite.build_sites(tmp_path, 4, 5, 1.0, every=2)
    assert counts == [5, 2, 5, 2] and spacing == [1.0, 2.0, 1.0, 2.0]
    assert (folders[1] / "robots.txt").read_text() == "User-agent: *\nAllow: /\nCrawl-delay: 2\n"
    assert "Crawl-delay" not in (folders[0] / "robots.txt").read_text()
    # nginx's lines: address, $msec (when the request ended), $request_time, $connection,
    # status, request, user agent
    log = tmp_path / "access.log"
    log.write_text(
        '127.0.0.2 100.500 0.000 1 200 "GET /robots.txt HTTP/1.1" "ua"\n'
        '127.0.0.2 101.600 0.100 1 200 "GET /news/ HTTP/1.1" "ua"\n'  # arrived at 101.5
        '127.0.0.2 102.400 0.000 1 200 "GET /news/a.html HTTP/1.1" "ua"\n'  # 0.9 s later
        '127.0.0.3 100.000 2.000 2 200 "GET /robots.txt HTTP/1.1" "ua"\n'  # 98.0 to 100.0
        '127.0.0.3 100.500 1.000 3 200 "GET /news/ HTTP/1.1" "ua"\n'  # 99.5: beside it
    )
    seen = polite.politeness(polite.read_log(log), {"127.0.0.2": 1.0, "127.0.0.3": 2.0},
                             {"127.0.0.3"})
    assert seen.requests == 5 and seen.hosts == 2 and seen.connections == 3
    assert seen.smallest_gap_ratio == pytest.approx(0.75)  # 1.5 s where 2 were asked
    assert seen.hosts_too_close == 2 and seen.crawl_delay_ratio == pytest.approx(0.75)
    assert seen.most_in_flight == 2
