"""Config that validates but cannot run (issue 20, item 8): every key's type and range is
checked by `sources validate` (one line per problem, naming the line), and a crawl that fetched
nothing exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.config import parse_sources
from flows.errors import ConfigError
from flows.run import extract_pool
from tests.hostile_server import HostileServer

HEAD = '[[source]]\nname = "a"\n'
URL = 'url = "https://www.klaster.lt/en/"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (URL + "hosts = [1, 2]\n", "sources.toml:4: hosts entry 1 must be a host name"),
        (URL + 'hosts = ["a b.lt"]\n', "sources.toml:4: hosts entry 'a b.lt' is not a host name"),
        (URL + 'hosts = [""]\n', "sources.toml:4: hosts entry '' is not a host name"),
        (
            URL + 'hosts = ["a.lt:99999"]\n',
            "sources.toml:4: hosts entry 'a.lt:99999' has a port that is not",
        ),
        (
            URL + "ignore_text = [5]\n",
            "sources.toml:4: ignore_text entry 5 must be a regular expression (a string)",
        ),
        (
            URL + "ignore = [5]\n",
            "sources.toml:4: ignore entry 5 must be a CSS selector (a string)",
        ),
        (URL + 'ignore = ["div[["]\n', "sources.toml:4: ignore entry 'div[[' is not a CSS"),
        (URL + 'selectors = { item = "a >> b" }\n', "sources.toml:4: selectors.item 'a >> b' is"),
        (URL + "selectors = { item = 5 }\n", "sources.toml:4: selectors.item must be a string"),
        ('url = "http://[::1/"\n', "sources.toml:3: url 'http://[::1/' is not a valid URL"),
        (
            'url = "http://a.lt:99999/"\n',
            "sources.toml:3: url 'http://a.lt:99999/' has a port that is not",
        ),
        ('url = "http://:80/"\n', "sources.toml:3: url 'http://:80/' has no host"),
        ('url = "http://a b.lt/"\n', "sources.toml:3: url 'http://a b.lt/' has a host that is"),
        ('url = "http://u:p@a.lt/"\n', "sources.toml:3: url 'http://u:p@a.lt/' holds credentials"),
        (URL + 'feeds = ["http://u:p@a.lt/rss"]\n', "sources.toml:4: feeds entry"),
        (URL + 'sitemaps = ["http://a.lt:0/s.xml"]\n', "sources.toml:4: sitemaps entry"),
        (URL + "delay = inf\n", "sources.toml:4: delay must be a finite number of seconds"),
        (URL + "delay = nan\n", "sources.toml:4: delay must be a finite number of seconds"),
        (URL + "delay = 100000\n", "sources.toml:4: delay must be at most 3600 seconds"),
        (URL + "max_pages = 10000000000000\n", "sources.toml:4: max_pages must be at most"),
        (URL + 'schedule = "61 * * * *"\n', "sources.toml:4: schedule '61 * * * *' is not a"),
        (URL + 'schedule = "every day"\n', "sources.toml:4: schedule 'every day' is not a cron"),
    ],
)
def test_values_that_cannot_run_are_named_by_line(body, message):
    with pytest.raises(ConfigError) as err:
        parse_sources(HEAD + body)
    assert message in str(err.value)
    assert all(line.startswith("sources.toml:") for line in str(err.value).splitlines())


def test_a_name_ending_in_a_newline_is_refused():
    with pytest.raises(ConfigError, match=r"sources.toml:2: name 'a\\n' may hold only"):
        parse_sources('[[source]]\nname = "a\\n"\n' + URL)


def test_the_cli_says_one_line_per_problem_and_exits_2(tmp_path: Path, capsys):
    from flows.cli.main import main

    sources = tmp_path / "sources.toml"
    sources.write_text(HEAD + 'url = "http://[::1/"\nhosts = [1]\nignore_text = [5]\n')
    assert main(["sources", "validate", "--sources", str(sources)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.splitlines()) == 3, err


def test_valid_values_still_pass():
    sources = parse_sources(
        HEAD + 'url = "http://127.0.0.1:8080/news"\n'
        'hosts = ["klaster.lt", ".klaster.lt", "*.mita.lt", "127.0.0.1:8081", "[::1]:80",'
        ' "https://www.klaster.lt/"]\n'
        'ignore = [".counter", "#generated-at", "div > p:nth-child(2)"]\n'
        'ignore_text = ["Page views: \\\\d+"]\n'
        'selectors = { item = ".views-row", title = "h3 a" }\n'
        "delay = 0\nmax_pages = 100000\n"
        'schedule = "0 6 * * 1-5"\n'
        'feeds = ["https://www.klaster.lt/en/rss.xml"]\n'
    )
    assert sources[0].delay == 0.0 and sources[0].hosts[3] == "127.0.0.1:8081"


def test_a_crawl_that_fetched_nothing_exits_1(tmp_path: Path, capsys, monkeypatch):
    """The start page answers a PDF: nothing fetched, nothing failed either."""
    from flows.cli.main import main

    monkeypatch.setenv(extract_pool.ENV, "0")
    with HostileServer() as site:
        site.route("/", b"%PDF-1.4 not a page", headers={"Content-Type": "application/pdf"})
        sources = tmp_path / "sources.toml"
        sources.write_text(f'{HEAD}url = "{site.url("/")}"\ndelay = 0\n')
        code = main(
            [
                "crawl",
                "--local",
                "--progress",
                "off",
                "--sources",
                str(sources),
                "--db",
                str(tmp_path / "s.db"),
            ]
        )
    out = capsys.readouterr().out
    assert "pages fetched 0, not modified 0" in out
    assert code == 1
