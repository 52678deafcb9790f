"""The module map holds: one direction of flow, wire formats in services/ only, small modules.

- No module outside ``services/`` and ``engine/`` names a wire field (a string literal that is
  a field of DocAI's or CapSolver's answers or requests, alone or in a path like
  ``data.fileId``); prose that mentions one (a docstring, a help text) is fine.
- The core (everything outside ``engine/``) never imports ``ocrframe.engine``: the embedded
  engine is found through ``ocrframe._embedded`` only.
- ``ocrframe._frames`` never imports the batch engine, and nothing in it imports it back in a
  cycle; the batch engine never imports the CLI or the widgets.
- No module of the client side is over about 500 lines, and neither is any module of the
  engine's invoice reader (``ocrframe.engine.invoice`` and every engine module it imports).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ocrframe"

WIRE_FIELDS = frozenset(
    {
        # DocAI
        "code", "data", "fieldList", "itemList", "taxList", "recognizeStatus", "fileId",
        "fileIdList", "modelId", "modelName", "pageNumber", "legalPageNumbers", "workspaceCode",
        "isAsynchronous", "encodeString", "returnOcrResult", "requestId", "result",
        # CapSolver
        "errorId", "errorCode", "errorDescription", "clientKey", "taskId", "solution", "answers",
        "websiteURL",
    }
)  # fmt: skip
# "code", "data" and "result" are also ordinary words: only a literal path naming a field
# next to them ("data.fileId") or a literal that is exactly a camel-case field counts.
_ORDINARY = frozenset({"code", "data", "result", "answers"})
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d*\])*$")
MAX_LINES = 560
# Known exceptions, each with its reason (to be resolved by the module's owner, not hidden):
# the e-invoice reader answers DocAI's result shape from an embedded XML without the engine's
# extra (issue 10); its place is beside the DocAI reader in services/.
EXCEPTIONS = {"ocrframe._einvoice": "an offline producer of DocAI answers (issue 10)"}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(rel.parts).removesuffix(".__init__"), path


def _client_side() -> Iterator[tuple[str, Path]]:
    for name, path in _modules():
        if not name.startswith("ocrframe.engine"):
            yield name, path


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def wire_fields_named(source: str) -> list[str]:
    """The wire fields a module's code names in string literals (docstrings aside)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in skip or not _PATH.match(node.value):
            continue
        parts = [p for p in re.split(r"[.\[\]]", node.value) if p and not p.isdigit()]
        named = [p for p in parts if p in WIRE_FIELDS]
        if any(p not in _ORDINARY for p in named) or (named and len(parts) > 1):
            found.append(node.value)
    return found


def imports_of(source: str) -> set[str]:
    """Every module a source imports (absolute names), at any depth, lazily or not."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_checker_sees_wire_fields_and_ignores_prose() -> None:
    assert wire_fields_named('x = a.get("fieldList")') == ["fieldList"]
    assert wire_fields_named('p = "data.result.itemList[0]"') == ["data.result.itemList[0]"]
    assert wire_fields_named('"""Reads fieldList."""\nhelp = "poll identifyResult."') == []
    assert wire_fields_named('error_code = "code"; key = "value"') == []


@pytest.mark.parametrize(("name", "path"), list(_client_side()), ids=lambda v: str(v))
def test_no_wire_field_outside_services(name: str, path: Path) -> None:
    if name.startswith("ocrframe.services") or name in EXCEPTIONS:
        return
    assert wire_fields_named(path.read_text()) == [], f"{name} names a wire field"


@pytest.mark.parametrize(("name", "path"), list(_client_side()), ids=lambda v: str(v))
def test_the_core_never_imports_the_engine(name: str, path: Path) -> None:
    source = path.read_text()
    engine = {m for m in imports_of(source) if m.startswith("ocrframe.engine")}
    assert engine == set(), f"{name} imports {sorted(engine)}"
    if name != "ocrframe._embedded":
        assert "ocrframe.engine" not in {
            n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)
        }, f"{name} names the engine's module: use ocrframe._embedded"


def test_one_direction_of_flow() -> None:
    for name, path in _client_side():
        imported = imports_of(path.read_text())
        if name.startswith("ocrframe._frames") or name.startswith("ocrframe.services"):
            assert not any(m.startswith("ocrframe._batch") for m in imported), name
        if name.startswith(("ocrframe._batch", "ocrframe._frames", "ocrframe.services")):
            assert not any(m in ("ocrframe.cli", "ocrframe.widgets") for m in imported), name


@pytest.mark.parametrize(("name", "path"), list(_client_side()), ids=lambda v: str(v))
def test_client_side_modules_are_small(name: str, path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def _reader_modules() -> list[tuple[str, Path]]:
    """``ocrframe.engine.invoice`` and the engine modules it imports, at any depth."""
    paths = dict(_modules())
    seen: dict[str, Path] = {}
    todo = ["ocrframe.engine.invoice"]
    while todo:
        name = todo.pop()
        if name in seen or name not in paths:
            continue
        seen[name] = paths[name]
        imported = imports_of(paths[name].read_text())
        todo.extend(m for m in imported if m.startswith("ocrframe.engine"))
    return sorted(seen.items())


def test_the_reader_modules_are_found() -> None:
    names = {name for name, _ in _reader_modules()}
    assert {"ocrframe.engine.invoice", "ocrframe.engine.labels", "ocrframe.engine.types"} <= names
    assert "ocrframe.engine.app" not in names


@pytest.mark.parametrize(("name", "path"), _reader_modules(), ids=lambda v: str(v))
def test_invoice_reader_modules_are_small(name: str, path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by concern"
