"""docs/schema.md is the rendering of the declarations, and it is current."""

from __future__ import annotations

from pathlib import Path

from store.docs import render_schema_md
from store.schema import TABLES
from store.views import VIEWS
from tests.test_views import run_cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def test_committed_schema_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render_schema_md(), (
        "docs/schema.md is out of date: run agencywatch schema-docs --output docs/schema.md"
    )


def test_every_table_view_and_column_is_described():
    for t in TABLES:
        assert t.doc and all(c.doc for c in t.columns), t.name
    text = render_schema_md()  # raises on a column the migrations create but nobody described
    for name in [t.name for t in TABLES] + [v.name for v in VIEWS]:
        assert f"### `{name}`" in text
    assert "SELECT * FROM store_as_of WHERE valid_from_at <= :date" in text


def test_schema_docs_command_writes_and_checks(tmp_path, capsys):
    out = tmp_path / "schema.md"
    assert run_cli("schema-docs", "--output", str(out)) == 0
    assert out.read_text(encoding="utf-8") == render_schema_md()
    assert run_cli("schema-docs", "--output", str(out), "--check") == 0
    out.write_text("stale", encoding="utf-8")
    assert run_cli("schema-docs", "--output", str(out), "--check") == 1
    assert "out of date" in capsys.readouterr().err
