"""The package's layout: no import cycles between its modules.

The graph is read from the source with :mod:`ast`: every import of a storyline module,
at module level and inside functions alike (a deferred import still ties the two modules
together), except those under ``if TYPE_CHECKING:`` (never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import storyline

PACKAGE = Path(storyline.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["storyline", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, modules: set[str], name: str | None = None) -> set[str]:
    """The storyline modules that ``path`` (the module ``name``) imports, run-time imports only."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> None:
        # `from .a import b` may import the module a.b or the name b of a: take the longest module
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    resolve(alias.name)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    origin = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    origin = child.module or ""
                if origin.split(".")[0] == "storyline":
                    for alias in child.names:
                        resolve(f"{origin}.{alias.name}")
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the storyline modules it imports, for every module of the package."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := walk(start)):
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "storyline.pipeline" in graph and "storyline.readers.sources" in graph["storyline.pipeline"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from .b import x\n", {"storyline.b"}),
        ("def f():\n    from . import b\n", {"storyline.b"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import x\n", set()),
        ("import storyline.b\n", {"storyline.b"}),
    ],
)
def test_the_graph_reads_every_kind_of_import(tmp_path: Path, source: str, expected: set[str]) -> None:
    # the reader itself, on a made-up module a of a package holding a and b
    path = tmp_path / "a.py"
    path.write_text(source, encoding="utf-8")
    assert _imports(path, {"storyline", "storyline.a", "storyline.b"}, "storyline.a") == expected


def test_a_cycle_is_found() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None


def test_the_readers_public_names_stay_importable_from_sources() -> None:
    """sources.py was split by what it does (paths, text, jsonl): what callers imported from it
    is still there, and is the very object of the module that now holds it."""
    from storyline.readers import jsonl, paths, records, sources, text

    homes = {
        "FIELD_NAMES": jsonl,
        "TOO_DEEP": jsonl,
        "record_to_article": jsonl,
        "STORE_SIDECARS": paths,
        "iter_sources": paths,
        "store_files": paths,
        "BINARY_SAMPLE_CHARS": text,
        "Record": records,
        "article_id": records,
        "decode_text": records,
        "make_article": records,
        "normalize_date": records,
    }
    for name, home in homes.items():
        assert getattr(sources, name) is getattr(home, name), name
    for name in ("read_paths", "read_source", "read_stream", "detect_format", "REPORT_MARKER", "GZIP_HEADER"):
        assert callable(getattr(sources, name)) or isinstance(getattr(sources, name), bytes), name
