"""extractors.figures (and the sentence rule of extractors.text) by design.md's figure rules."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import figures
from extractors.figures import find_figures, parse_figure
from extractors.records import Figure
from extractors.text import (
    SentenceIndex,
    digit_run_starts,
    matches_at,
    normalise_ws,
    split_sentences,
)

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def triples(text):
    return [(f.value, f.unit, f.text) for f in find_figures(text)]


# (text, value, unit, matched text)
FORMS = [
    # money: symbol or code before or after, magnitude words, European and English separators
    ("was €73.3 million.", 73_300_000, "EUR", "€73.3 million"),
    ("invested over €80 million", 80_000_000, "EUR", "€80 million"),
    ("in 2013 was 1,4 billion Eur.", 1_400_000_000, "EUR", "1,4 billion Eur"),
    ("accumulated 2.815 billion € in", 2_815_000_000, "EUR", "2.815 billion €"),
    ("204 M Euro private investments", 204_000_000, "EUR", "204 M Euro"),
    ("678 M Eur", 678_000_000, "EUR", "678 M Eur"),
    ("Budget: MEUR 2.6", 2_600_000, "EUR", "MEUR 2.6"),
    ("2.6 MEUR", 2_600_000, "EUR", "2.6 MEUR"),
    ("1 403 744,26 EUR", 1_403_744.26, "EUR", "1 403 744,26 EUR"),
    ("1.403.744,26 EUR", 1_403_744.26, "EUR", "1.403.744,26 EUR"),
    ("1,403,744.26 EUR", 1_403_744.26, "EUR", "1,403,744.26 EUR"),
    ("About EUR 44.8 million was", 44_800_000, "EUR", "EUR 44.8 million"),
    ("(EUR 13.7 million ERDF funding)", 13_700_000, "EUR", "EUR 13.7 million"),
    ("more than 107,8 million EUR", 107_800_000, "EUR", "107,8 million EUR"),
    ("11,61 million euros", 11_610_000, "EUR", "11,61 million euros"),
    ("73,35 mln. eurų", 73_350_000, "EUR", "73,35 mln. eurų"),
    ("30 mln. eurų", 30_000_000, "EUR", "30 mln. eurų"),
    ("20 tūkst. eurų", 20_000, "EUR", "20 tūkst. eurų"),
    ("1,2 mlrd. eurų", 1_200_000_000, "EUR", "1,2 mlrd. eurų"),
    ("approximately LTL 186 million will", 186_000_000, "LTL", "LTL 186 million"),
    ("5 000 Lt", 5_000, "LTL", "5 000 Lt"),
    ("100 litų", 100, "LTL", "100 litų"),
    ("$5 million", 5_000_000, "USD", "$5 million"),
    ("150 USD", 150, "USD", "150 USD"),
    ("£3.5 million", 3_500_000, "GBP", "£3.5 million"),
    ("SEK 12 million", 12_000_000, "SEK", "SEK 12 million"),
    ("€5bn", 5_000_000_000, "EUR", "€5bn"),
    ("€2.6M", 2_600_000, "EUR", "€2.6M"),
    ("1,500 EUR", 1_500, "EUR", "1,500 EUR"),  # one separator + 3 digits: thousands
    ("2000 EUR", 2_000, "EUR", "2000 EUR"),  # a year-like amount is money when it says so
    # percentages
    ("22% annual growth", 22, "%", "22%"),
    ("22 % annual growth", 22, "%", "22 %"),
    ("63 percent of all", 63, "%", "63 percent"),
    ("63 per cent of all", 63, "%", "63 per cent"),
    ("0,15 proc.", 0.15, "%", "0,15 proc."),
    ("0,197 procento", 0.197, "%", "0,197 procento"),
    ("12,5 procentų", 12.5, "%", "12,5 procentų"),
    ("10-15% growth", 15, "%", "15%"),
    # areas
    ("The territory of Vilnius is 394 sq. km.", 394, "km2", "394 sq. km"),
    ("394 km²", 394, "km2", "394 km²"),
    ("394 km2", 394, "km2", "394 km2"),
    ("5 ha of land", 5, "ha", "5 ha"),
    ("120 hectares", 120, "ha", "120 hectares"),
    # counts
    ("home to about 550 000 inhabitants.", 550_000, "inhabitants", "550 000 inhabitants"),
    ("more than 67 000 students studying", 67_000, "students", "67 000 students"),
    ("there are 23 million SMEs in Europe", 23_000_000, "SMEs", "23 million SMEs"),
    ("4 research institutes with", 4, "research institutes", "4 research institutes"),
    ("27 scientific research institutions", 27, "scientific research institutions",
     "27 scientific research institutions"),
    ("800 work places related", 800, "work places", "800 work places"),
    ("6 business associations", 6, "business associations", "6 business associations"),
    ("30 IT companies", 30, "IT companies", "30 IT companies"),
    ("1,400 students", 1_400, "students", "1,400 students"),
    ("200 klasterių veikla", 200, "klasterių", "200 klasterių"),
    ("4124 dienos", 4124, "dienos", "4124 dienos"),
    ("5 projektai", 5, "projektai", "5 projektai"),
    ("2.5 years", 2.5, "years", "2.5 years"),
]


@pytest.mark.parametrize(("text", "value", "unit", "matched"), FORMS, ids=[f[0] for f in FORMS])
def test_forms(text, value, unit, matched):
    fig = parse_figure(text)
    assert fig is not None
    assert (fig.value, fig.unit, fig.text) == (pytest.approx(value, rel=1e-12), unit, matched)


def test_two_counts_in_one_phrase():
    assert triples("over 130 clusters from 26 countries") == [
        (130, "clusters", "130 clusters"),
        (26, "countries", "26 countries"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "In 2013 the valley grew.",
        "The 2007–2013 EU structural support",
        "During the 2014-2020 EU funding period",
        "Since 1993, a Science and Technology Park",
        "In 2013 companies grew",  # a year, not 2013 companies
        "Last updated: 23-01-2017",
        "on 9 October 2007",
        "the concept of 12 October",
        "From 13 - 15 June, the City hosted",
        "2017 m. rugsėjo 21-22 d.",
        "at 13:44 there were",
        "Tel. +370 5 264 4700",
        "+370 5 264 4700, faks. (8 5) 264 4701",
        "LT-01103 Vilnius",
        "10117 Berlin",
        "Savanorių pr. 178F, Vilnius",
        "Gedimino pr. 38 rooms",
        "the 5th Cluster Matchmaking Conference",
        "the 2nd largest city",
        "On August 23 rd",
        "BaltMet Inno WP 3 meetings",
        "EU 27 countries",
        "Nr. 5 projects",
        "5 Integrated Science, Studies and Business Centres",
        "6 Science and Technology Parks",
        "exceed the country average by 1.2 times.",
        "3 kartus daugiau",
        "version 1.2.3 files",
        "COVID19 cases",
        "5 is the number",
        "5 business",
        "sums 1,4 billion Europe",
    ],
)
def test_not_figures(text):
    assert find_figures(text) == []


def test_in_2013_eur_is_not_money_for_the_year():
    assert triples("in 2013 EUR 44.8 million") == [(44_800_000, "EUR", "EUR 44.8 million")]


def test_context_is_the_sentence():
    text = (
        "Valley stakeholders: 2 universities. Public investments needed was €73.3 million.\n"
        "The territory of Vilnius is 394 sq. km. It grows."
    )
    assert [(f.text, f.context) for f in find_figures(text)] == [
        ("2 universities", "Valley stakeholders: 2 universities."),
        ("€73.3 million", "Public investments needed was €73.3 million."),
        ("394 sq. km", "The territory of Vilnius is 394 sq. km."),
    ]


def test_identical_text_and_context_kept_once():
    text = "There are 99% of firms.\nThere are 99% of firms.\nOnly 99% of firms here."
    assert [(f.text, f.context) for f in find_figures(text)] == [
        ("99%", "There are 99% of firms."),
        ("99%", "Only 99% of firms here."),
    ]


# --- the seed pages ---------------------------------------------------------------------------

SEED_EXPECTED = {
    "000_00fb3d7758a2edd7.txt": [
        (2, "universities", "2 universities"),
        (4, "research institutes", "4 research institutes"),
        (2, "university hospitals", "2 university hospitals"),
        (30, "companies", "30 companies"),
        (6, "business associations", "6 business associations"),
        (73_300_000, "EUR", "€73.3 million"),
        (80_000_000, "EUR", "€80 million"),
        (1_400_000_000, "EUR", "1,4 billion Eur"),
        (22, "%", "22%"),
        (90, "%", "90%"),
        (204_000_000, "EUR", "204 M Euro"),
        (800, "work places", "800 work places"),
    ],
    "001_e529b502b25bc77c.txt": [
        (186_000_000, "LTL", "LTL 186 million"),
        (23_000_000, "SMEs", "23 million SMEs"),
        (99, "%", "99%"),
        (57, "%", "57%"),
        (80, "%", "80%"),
    ],
    "002_ee74f13bd71e9bc8.txt": [
        (44_800_000, "EUR", "EUR 44.8 million"),
        (5, "members", "5 members"),
        (4, "levels", "4 levels"),
        (23_000_000, "SMEs", "23 million SMEs"),
        (99, "%", "99%"),
        (57, "%", "57%"),
        (80, "%", "80%"),
    ],
    "003_a267f077640f6b32.txt": [(7, "clusters", "7 clusters")],
    "004_f4fb7013f7e27898.txt": [
        (550_000, "inhabitants", "550 000 inhabitants"),
        (394, "km2", "394 sq. km"),
        (40, "%", "40 percent"),
        (2_815_000_000, "EUR", "2.815 billion €"),
        (63, "%", "63 percent"),
        (70, "%", "70 percent"),
        (27, "scientific research institutions", "27 scientific research institutions"),
        (10, "universities", "10 universities"),
        (67_000, "students", "67 000 students"),
        (7, "private colleges", "7 private colleges"),
        (16_000, "students", "16 000 students"),
    ],
}


@pytest.mark.parametrize("name", sorted(SEED_EXPECTED))
def test_seed_pages(name):
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    assert triples(path.read_text(encoding="utf-8")) == SEED_EXPECTED[name]


def test_seed_contexts():
    path = SEEDS / "000_00fb3d7758a2edd7.txt"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    by_text = {f.text: f.context for f in find_figures(path.read_text(encoding="utf-8"))}
    assert by_text["€73.3 million"] == (
        "Public investments needed to set up and develop Santara Valley’s R&D infrastructure "
        "was €73.3 million."
    )
    assert by_text["90%"] == "Around 90% of the production is being exported."
    # "Valley. 204 M Euro": a digit after the full stop does not start a sentence (design.md)
    assert by_text["204 M Euro"].startswith("The success of biotech industry starts")


# --- sentences (extractors.text) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two! Three? four.", ["One.", "Two!", "Three? four."]),
        ("It is 394 sq. km. The city.", ["It is 394 sq. km.", "The city."]),
        ("Worth 30 mln. Eurų bonds. Next.", ["Worth 30 mln. Eurų bonds.", "Next."]),
        ("See e.g. The Book. Then i.e. This.", ["See e.g. The Book.", "Then i.e. This."]),
        ("Dr. Juras spoke. No. 5 won.", ["Dr. Juras spoke.", "No. 5 won."]),
        ("Firms, etc. Then more.", ["Firms, etc. Then more."]),
        ("2017 m. Rugsėjo 21 d. Vilniuje.", ["2017 m. Rugsėjo 21 d. Vilniuje."]),
        (
            'He said. "Quoted" text. „Kabutės“ čia.',
            ["He said.", '"Quoted" text.', "„Kabutės“ čia."],
        ),
        ("Lithuania.The valleys", ["Lithuania.The valleys"]),
        ("Line one\nLine  two\n\n", ["Line one", "Line two"]),
    ],
)
def test_sentences(text, sentences):
    assert split_sentences(text) == sentences


def test_sentence_index_and_normalise():
    text = "First  one.  Second\tone.\nThird."
    index = SentenceIndex(text)
    assert index.sentence_at(0) == "First one."
    assert index.sentence_at(text.index("Second")) == "Second one."
    assert index.sentence_at(text.index("Third")) == "Third."
    assert normalise_ws("  a \n\t b  ") == "a b"


# --- properties -------------------------------------------------------------------------------

MAGNITUDES = [("", 0), ("thousand", 3), ("million", 6), ("mln.", 6), ("billion", 9), ("M", 6)]
CURRENCIES = [("€", "EUR"), ("EUR", "EUR"), ("Eur", "EUR"), ("USD", "USD"), ("LTL", "LTL")]


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def _format(amount: Decimal, style: str) -> str:
    """`amount` in an English (1,234.5) or European (1 234,5 / 1.234,5) style."""
    whole, _, frac = f"{amount:f}".partition(".")
    frac = frac.rstrip("0")
    thousands, decimal = {"en": (",", "."), "eu-space": (" ", ","), "eu-dot": (".", ",")}[style]
    text = _group(whole, thousands)
    return f"{text}{decimal}{frac}" if frac else text


@given(
    whole=st.integers(min_value=1, max_value=999_999_999),
    cents=st.integers(min_value=0, max_value=99),
    style=st.sampled_from(["en", "eu-space", "eu-dot"]),
    currency=st.sampled_from(CURRENCIES),
    before=st.booleans(),
)
def test_round_trip_money(whole, cents, style, currency, before):
    amount = Decimal(whole) + Decimal(cents).scaleb(-2)
    number = _format(amount, style)
    symbol, iso = currency
    text = f"{symbol} {number}" if before else f"{number} {symbol}"
    fig = parse_figure(f"Funding of {text} was granted.")
    assert fig is not None and fig.unit == iso
    assert fig.value == pytest.approx(float(amount), rel=1e-12)
    assert fig.text == text


@given(
    whole=st.integers(min_value=1, max_value=999),
    decimals=st.integers(min_value=0, max_value=999),
    places=st.integers(min_value=1, max_value=3),
    style=st.sampled_from([".", ","]),
    magnitude=st.sampled_from(MAGNITUDES[1:]),
    currency=st.sampled_from(CURRENCIES),
    before=st.booleans(),
)
def test_round_trip_money_with_magnitude(whole, decimals, places, style, magnitude, currency,
                                         before):
    frac = str(decimals % 10**places).zfill(places)
    amount = Decimal(f"{whole}.{frac}")
    number = f"{whole}{style}{frac}"
    word, power = magnitude
    symbol, iso = currency
    text = f"{symbol} {number} {word}" if before else f"{number} {word} {symbol}"
    fig = parse_figure(f"In total {text} went to clusters.")
    assert fig is not None and fig.unit == iso and fig.text == text
    assert fig.value == pytest.approx(float(amount.scaleb(power)), rel=1e-12)


@given(
    value=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
    form=st.sampled_from(["{}%", "{} %", "{} percent", "{} proc.", "{} procentų"]),
    comma=st.booleans(),
)
def test_round_trip_percent(value, form, comma):
    number = f"{value:f}".rstrip("0").rstrip(".") or "0"
    if comma:
        number = number.replace(".", ",")
    fig = parse_figure("Growth was " + form.format(number) + " last year.")
    assert fig is not None and fig.unit == "%"
    assert fig.value == pytest.approx(float(value), abs=1e-9)


@given(st.text(max_size=400))
@settings(max_examples=300)
def test_never_raises_and_is_bounded(text):
    figures = find_figures(text)
    assert len(figures) <= len(re.findall(r"\d+", text))
    for f in figures:
        assert isinstance(f, Figure) and f.text and f.text in normalise_ws(text)


TOKENS = st.sampled_from(
    [
        "12", "1 403 744,26", "2.815", "73,35", "2007", "2007–2013", "23-01-2017", "€", "EUR",
        "MEUR", "million", "mln.", "M", "billion", "%", "percent", "proc.", "sq. km", "students",
        "research", "institutes", "SMEs", "Vilnius", "The", "of", "d.", "m.", "rugsėjo",
        "June", "13:44", "+370", "LT-01103", "178F", "5th", ".", ",", "(", ")", "\n", "<p>",
        "</p>", "<li>", "&nbsp;", "\u00a0",
    ]
)  # fmt: skip


@given(st.lists(TOKENS, max_size=60), st.sampled_from([" ", "", "  "]))
@settings(max_examples=300)
def test_never_raises_on_markup_like_text(tokens, joiner):
    text = joiner.join(tokens)
    for f in find_figures(text):
        assert f.value >= 0 and f.unit and f.context
        assert not f.text[0].isspace() and not f.text[-1].isspace()


def test_linear_time_on_a_megabyte():
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    page = "\n".join(seeds) or "\n".join(f for f, *_ in FORMS)
    big = (page * (1_000_000 // len(page) + 1))[:1_000_000]
    pathological = [
        "1 " * 100_000,
        "1" * 200_000,
        "€5 " * 60_000,
        "5 apples " * 25_000,
        "1.2." * 50_000,
        "A. " * 60_000,
    ]
    t0 = time.perf_counter()
    assert find_figures(big)
    for text in pathological:
        find_figures(text)
    assert time.perf_counter() - t0 < 30  # generous: ~2 s on a quiet machine


# find_figures tries _NUMBER only where a digit run starts, and skips the phone scan when no
# "+" or phone label is there; these pin both to the plain scans.

PHONE_ALPHABET = st.sampled_from([
    *"0123456789 \u00a0+().-:\n", "tel", "Tel.", "TEL", "phone", "Telefonas", "fax", "FAKSAS",
    "fakſas", "mob", "Mobile", "GSM", "gſm", "nr.", "No", "€", "EUR", "million", "%", "x", "ha",
])


@given(st.lists(PHONE_ALPHABET, max_size=40).map("".join))
@settings(max_examples=500)
def test_phone_hint_never_misses_a_phone(text):
    if figures._PHONE.search(text):
        assert figures._may_hold_phone(text)


@given(st.lists(PHONE_ALPHABET, max_size=40).map("".join))
@settings(max_examples=500)
def test_numbers_tried_at_digit_runs_equal_a_full_scan(text):
    tried = matches_at(figures._NUMBER, text, digit_run_starts(text))
    assert [m.span() for m in tried] == [m.span() for m in figures._NUMBER.finditer(text)]
