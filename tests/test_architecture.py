"""The package's folders are its architecture: imports run one way, and nothing grows too big.

Read from the source with ``ast`` (nothing is imported), so a violation names the module and
the import that breaks the rule. docs/architecture.md describes the same layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "complaintlog"

LAYERS = {
    "errors": 0,
    "data": 0,
    "policies": 0,
    "domain": 1,
    "persistence": 2,
    "application": 3,
    "projections": 4,
    "cli": 5,
    "report": 5,
    "importing": 5,
    "testing": 5,
    "http": 5,
    "relay": 5,
    "aio": 5,
    "evidence": 5,
    "returns": 5,
    "rules": 6,
    "audit": 6,
    "__init__": 6,
}
"""Each top-level part of the package and its layer: a module may import its own layer
and the layers below it. Interfaces (5) may use each other; the public face (6) is
``complaintlog/__init__.py`` with its re-export modules."""

LONGEST_MODULE = 700
MOST_LOOSE_MODULES = 6


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _is_type_checking_block(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def runtime_imports(path: Path) -> set[str]:
    """The complaintlog modules a module imports when it runs (not for type checking only)."""
    found: set[str] = set()
    current = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking_block(child):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("complaintlog"))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = current.split(".")[: -child.level]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.startswith("complaintlog"):
                    known = {name for name, _ in modules()}
                    for alias in child.names:
                        candidate = f"{base}.{alias.name}"
                        found.add(candidate if candidate in known else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_the_package_has_a_layer() -> None:
    unplaced = {part_of(name) for name, _ in modules()} - set(LAYERS)
    assert not unplaced, f"give these a layer in tests/test_architecture.py: {sorted(unplaced)}"


@pytest.mark.parametrize(("module", "path"), list(modules()), ids=[n for n, _ in modules()])
def test_imports_run_from_higher_layers_to_lower_ones(module: str, path: Path) -> None:
    own = LAYERS.get(part_of(module), 99)
    upward = sorted(
        imported
        for imported in runtime_imports(path)
        if LAYERS.get(part_of(imported), -1) > own
        and not (own == 5 and LAYERS[part_of(imported)] == 5)
    )
    assert not upward, f"{module} (layer {own}) imports a higher layer: {upward}"


def test_the_domain_imports_nothing_of_complaintlog_but_itself_and_errors() -> None:
    for module, path in modules():
        if part_of(module) != "domain":
            continue
        outside = {m for m in runtime_imports(path) if part_of(m) not in {"domain", "errors"}}
        assert not outside, f"{module} imports {sorted(outside)}"


def test_there_is_no_import_circle() -> None:
    graph = {module: runtime_imports(path) for module, path in modules()}
    # a package's __init__ re-exporting its own modules is no circle; only module-to-module
    edges = {
        module: {m for m in imported if m in graph and not module.startswith(m + ".")}
        for module, imported in graph.items()
    }
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                circles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                walk(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            walk(module)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_at_most_six_loose_modules_at_the_package_root() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= MOST_LOOSE_MODULES, loose


@pytest.mark.parametrize(("module", "path"), list(modules()), ids=[n for n, _ in modules()])
def test_no_module_is_longer_than_seven_hundred_lines(module: str, path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= LONGEST_MODULE, f"{module} has {lines} lines: split it along its seams"
