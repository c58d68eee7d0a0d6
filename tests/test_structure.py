"""The shape of the code: every record kind is declared once and complete (record, spec,
extractor, fixtures, view, documentation), and the packages import each other without circles,
`extractors/` importing nothing of `flows/` or `store/`."""

from __future__ import annotations

import ast
import dataclasses
import json
import sys
from pathlib import Path

import pytest

from extractors.kinds import KINDS, PAGE_KINDS
from extractors.registry import EXTRACTORS

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("extractors", "store", "flows", "evaluation")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.entity)
def test_every_kind_is_declared_whole(kind) -> None:
    import extractors.dispatch  # noqa: F401 - imports every kind's extractor module

    # the same fields (in the JSON's order and the table's, which may differ)
    record_fields = {f.name for f in dataclasses.fields(kind.record)}
    assert record_fields == {f.name for f in kind.fields}, "the record and its spec differ"
    assert all(f.doc for f in kind.fields)
    if kind.page_kind:
        assert kind.page_kind in PAGE_KINDS and kind.page_kind in EXTRACTORS
    expected = [json.loads(p.read_text(encoding="utf-8"))
                for p in (REPO / "fixtures").rglob("*.expected.json")]
    assert any(e.get(kind.key) for e in expected), f"no fixture page expects {kind.key}"
    schema_doc = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    assert f"### `{kind.table}`" in schema_doc and f"### `{kind.view}`" in schema_doc
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert kind.page_kind is None or f"`{kind.page_kind}`" in readme


def _imports(path: Path, package_of: str) -> set[str]:
    """The project modules a file imports, anywhere in it (function-local imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in out if m.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    modules = {
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
        for package in PACKAGES for p in (REPO / package).rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path, name):
            # `from flows.run import page` names the module flows.run.page; `from
            # flows.run.page import x` names flows.run.page
            if imported in modules:
                targets.add(imported)
            elif imported.rsplit(".", 1)[0] in modules:
                targets.add(imported.rsplit(".", 1)[0])
        graph[name] = targets - {name}
    return graph


def test_the_import_graph_has_no_circles() -> None:
    graph = _graph()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.split(".")[0] not in PACKAGES or nxt not in graph:
                continue
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert circles == []


def test_extractors_import_nothing_of_flows_or_store() -> None:
    for name, targets in _graph().items():
        if name.startswith("extractors"):
            assert not {t for t in targets if t.startswith(("flows", "store", "evaluation"))}, name


# flows/ by stage, each importing only the stages below it: the command line and its terminal
# UI drive the Prefect orchestration, which drives the crawl run, which fetches; sources,
# settings and errors are shared by all and import none of them
STAGES = ("flows.fetch", "flows.run", "flows.orchestration", "flows.cli")
SHARED = ("flows.config", "flows.settings", "flows.errors")


def _stage(module: str) -> int | None:
    for rank, stage in enumerate(STAGES):
        if module == stage or module.startswith(stage + "."):
            return rank
    return None


def test_flows_stages_import_only_the_stages_below_them() -> None:
    graph = _graph()
    for stage in STAGES:
        assert any(m.startswith(stage + ".") for m in graph), f"{stage} has no modules"
    upward = []
    for name, targets in graph.items():
        rank = _stage(name)
        for target in targets:
            theirs = _stage(target)
            if theirs is None:
                continue
            if name in SHARED or (rank is not None and theirs > rank):
                upward.append(f"{name} -> {target}")
    assert upward == []
    loose = sorted(
        n for n in graph
        if n.startswith("flows.") and _stage(n) is None
        and n not in {*SHARED, "flows.__main__", "flows.pipeline"}
    )
    assert loose == [], "a module of flows/ outside its stages"
