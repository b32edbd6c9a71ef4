"""The import graph of `models/`, read from the code with `ast` (nothing is imported).

Run it to see the structure: `.venv/bin/python -m tests.models.import_graph`
(`--root DIR` reads another checkout, such as an older commit's worktree)
prints each module with its layer and what it imports, the imports made inside
functions, the import cycles (strongly connected components) and every import of a
module from a layer above. `test_models_layers.py` asserts that there are none.

The layers, lowest first. A module imports only modules of its own layer or of a
layer below; within a layer the imports have no cycle. The package fronts
(`models/__init__.py` and the sub-packages' `__init__.py`) only gather names for
callers outside `models/`: no module inside imports them.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "models"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Plain values, error types and the database connection: no model class.
    (
        "base",
        (
            "area_env",
            "backends",
            "db",
            "demo",
            "enums",
            "errors",
            "file_area",
            "mapping",
            "normalize",
            "opening",
            "prepared",
            "processes.errors",
            "setting_defs",
        ),
    ),
    # The Peewee models and their query scopes.
    ("entities", ("entities", "processes.models")),
    # The rules the services apply: settings, audit, locks, validation, duplicate
    # detection, permissions, and the reads those rules make.
    (
        "rules",
        (
            "audit",
            "csvfile",
            "duplicates",
            "locks",
            "permissions",
            "processes.reading",
            "processes.validation",
            "roles",
            "settings",
            "validation",
        ),
    ),
    # The services: each a transaction that decides with the rules and writes.
    (
        "services",
        (
            "importing",
            "leads",
            "merge",
            "notes",
            "opportunities",
            "processes.admin",
            "processes.assignment",
            "processes.demo",
            "qualify",
            "records",
            "seeding",
            "users",
        ),
    ),
    # What screens and commands read: lists, views, forms, exports.
    ("reads", ("exporting", "forms", "listing", "lookup", "record_listing", "views")),
)
FRONTS = ("", "processes")  # models/__init__.py, models/processes/__init__.py
LAYER_OF = {module: n for n, (_, modules) in enumerate(LAYERS) for module in modules}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, relative to the package ("processes.admin")
    target: str  # the imported module, relative to the package ("" for the front)
    line: int
    in_function: bool  # made inside a function body (at call time)
    type_checking: bool  # under `if TYPE_CHECKING:` (never at run time)
    parent: bool = False  # the package of the module named, which Python runs first


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root / PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package but its migrations (loaded from files by the
    migration runner, not imported)."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "migrations" not in path.relative_to(root / PACKAGE).parts:
            found[module_name(path, root)] = path
    return found


def _absolute(source: str, is_package: bool, node: ast.ImportFrom) -> str | None:
    """The imported module as a dotted name under the package, or None if outside."""
    if node.level == 0:
        name = node.module or ""
        if name == PACKAGE:
            return ""
        if name.startswith(PACKAGE + "."):
            return name[len(PACKAGE) + 1 :]
        return None
    here = source.split(".") if source else []
    if not is_package:
        here = here[:-1]
    if node.level > 1:
        here = here[: len(here) - (node.level - 1)]
    return ".".join([*here, *([node.module] if node.module else [])])


def imports_of(source: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """The imports of modules of the package made by one of them."""
    found: list[Import] = []
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            checking = type_checking or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            targets: list[str] = []
            if isinstance(child, ast.ImportFrom):
                base = _absolute(source, is_package, child)
                if base is not None:
                    for alias in child.names:
                        sub = f"{base}.{alias.name}" if base else alias.name
                        targets.append(sub if sub in known else base)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    name = alias.name
                    if name == PACKAGE or name.startswith(PACKAGE + "."):
                        targets.append(name[len(PACKAGE) + 1 :])
            for target in dict.fromkeys(targets):
                # Importing `processes.reading` runs `processes/__init__.py` first.
                parts = target.split(".")
                for n in range(1, len(parts) + 1):
                    name = ".".join(parts[:n])
                    inside = source.startswith(name + ".")  # a package's own module
                    if name != source and name in known and not inside:
                        parent = name != target
                        found.append(Import(source, name, child.lineno, function, checking, parent))
            visit(child, function, checking)

    visit(ast.parse(path.read_text(encoding="utf-8")), False, False)
    return found


def imports(known: dict[str, Path]) -> list[Import]:
    """Every import of one module of the package by another."""
    return [found for source, path in known.items() for found in imports_of(source, path, known)]


def cycles(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's)."""
    graph: dict[str, set[str]] = {node: set() for node in nodes}
    for a, b in edges:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


@dataclass(frozen=True)
class Report:
    modules: dict[str, Path]
    imports: list[Import]

    @property
    def inner(self) -> list[Import]:
        """The imports between modules inside the package (not made by a front)."""
        return [i for i in self.imports if i.source not in FRONTS]

    def cycles(self) -> list[list[str]]:
        """Import cycles, the fronts included (a front imports what it gathers)."""
        return cycles(self.modules, ((i.source, i.target) for i in self.imports))

    def function_imports(self) -> list[Import]:
        return [i for i in self.inner if i.in_function]

    def front_imports(self) -> list[Import]:
        """Modules inside the package that import a front (`models`, `models.processes`)."""
        return [i for i in self.inner if i.target in FRONTS and not i.parent]

    def unplaced(self) -> list[str]:
        return [m for m in self.modules if m not in FRONTS and m not in LAYER_OF]

    def upward(self) -> list[Import]:
        """Imports of a module from a layer above the importer's."""
        return [
            i
            for i in self.inner
            if i.source in LAYER_OF
            and i.target in LAYER_OF
            and LAYER_OF[i.target] > LAYER_OF[i.source]
        ]


def report(root: Path = ROOT) -> Report:
    known = modules(root)
    return Report(known, imports(known))


def describe(found: Import) -> str:
    how = " (inside a function)" if found.in_function else ""
    how += " (type checking only)" if found.type_checking else ""
    return f"models/{found.source or '__init__'} line {found.line} imports {found.target}{how}"


def main(argv: list[str]) -> int:
    """`--root DIR`: the checkout to read (another worktree, an older commit)."""
    root = Path(argv[argv.index("--root") + 1]) if "--root" in argv else ROOT
    r = report(root)
    inner = [m for m in r.modules if m not in FRONTS]
    edges = {(i.source, i.target) for i in r.inner}
    print(f"{len(inner)} modules, {len(edges)} imports between them")
    for n, (layer, members) in enumerate(LAYERS):
        print(f"\n{n} {layer}")
        for module in members:
            if module in r.modules:
                targets = sorted({i.target for i in r.inner if i.source == module})
                print(f"  {module:<22} -> {' '.join(targets) or '-'}")
    for title, items in (
        ("not in a layer", r.unplaced()),
        ("imports inside functions", [describe(i) for i in r.function_imports()]),
        ("imports of a package front", [describe(i) for i in r.front_imports()]),
        ("imports from a layer above", [describe(i) for i in r.upward()]),
    ):
        print(f"\n{title}: {len(items)}")
        for item in items:
            print(f"  {item}")
    found = r.cycles()
    print(f"\nimport cycles: {len(found)}")
    for component in found:
        print(f"  {len(component)} modules: {' '.join(component)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
