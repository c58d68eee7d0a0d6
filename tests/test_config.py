"""sources.toml validation: every problem named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.config import load_sources, parse_sources
from flows.errors import ConfigError

GOOD = """\
[[source]]
name = "klaster-front"
url = "https://www.klaster.lt/en/"
kind = "auto"
follow = true
max_pages = 50
delay = 2.0

[[source]]
name = "mita-innovation-networks"
url = "https://mita.lrv.lt/en/innovation-networks"
selectors = { item = ".views-row", title = "h3 a" }
"""


def test_good_file_parses():
    sources = parse_sources(GOOD)
    assert [s.name for s in sources] == ["klaster-front", "mita-innovation-networks"]
    assert sources[0].follow is True and sources[0].max_pages == 50 and sources[0].delay == 2.0
    assert sources[1].kind == "auto" and sources[1].selectors["item"] == ".views-row"
    assert sources[0].scope() == {"www.klaster.lt"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("max_pages = 50", "max_page = 50"),
            "sources.toml:6: unknown key 'max_page' (did you mean 'max_pages'?)",
        ),
        (
            GOOD.replace('url = "https://www.klaster.lt/en/"', 'url = "ftp://www.klaster.lt/en/"'),
            "sources.toml:3: url 'ftp://www.klaster.lt/en/' must be an http:// or https:// address",
        ),
        (
            GOOD.replace('name = "mita-innovation-networks"', 'name = "klaster-front"'),
            "sources.toml:10: duplicate source name 'klaster-front' (first at line 2)",
        ),
        (GOOD.replace("follow = true", "follow = yes"), "sources.toml:5: not valid TOML"),
        (GOOD.replace('kind = "auto"', 'kind = "blog"'), "sources.toml:4: kind 'blog' is not one"),
        (GOOD.replace("delay = 2.0", 'delay = "2"'), "sources.toml:7: 'delay' must be a number"),
        (
            GOOD.replace('name = "klaster-front"', 'name = "Klaster Front"'),
            "sources.toml:2: name 'Klaster Front' may hold only",
        ),
        ('[[source]]\nurl = "https://x.lt/"\n', "sources.toml:1: source #1 has no 'name'"),
        ("title = 'x'\n" + GOOD, "sources.toml:1: unknown key 'title'"),
        ("", "sources.toml:1: no [[source]] entries"),
    ],
)
def test_bad_files_name_the_line(text, message):
    with pytest.raises(ConfigError) as err:
        parse_sources(text)
    assert message in str(err.value)


def test_all_problems_reported_at_once():
    text = GOOD.replace("max_pages = 50", "max_page = 50").replace(
        'url = "https://mita.lrv.lt/en/innovation-networks"', 'url = "mailto:x@y.lt"'
    )
    with pytest.raises(ConfigError) as err:
        parse_sources(text)
    assert len(str(err.value).splitlines()) == 2


def test_missing_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such sources file"):
        load_sources(tmp_path / "nope.toml")


def test_repo_sources_files_are_valid():
    root = Path(__file__).resolve().parents[1]
    assert load_sources(root / "sources.toml")
    # the fixture file is a template: its `{port}` is filled in by the demo and the tests
    from flows.cli.fixture_site import fixture_sources_text

    assert parse_sources(fixture_sources_text("http://127.0.0.1:8000/"))
