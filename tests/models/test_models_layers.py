"""models/ is laid out in layers (tests/models/import_graph.py lists them): no import
cycle, no module importing one from a layer above, no import made inside a function
to put off a cycle, and no module inside importing a package front. Run
`.venv/bin/python -m tests.models.import_graph` to see the graph."""

from __future__ import annotations

from pathlib import Path

from .import_graph import LAYERS, Import, cycles, describe, imports_of, report


def test_every_module_has_a_layer() -> None:
    assert report().unplaced() == [], "add the module to LAYERS in tests/models/import_graph.py"


def test_models_has_no_import_cycle() -> None:
    assert report().cycles() == []


def test_no_module_imports_from_a_layer_above() -> None:
    assert [describe(i) for i in report().upward()] == []


def test_no_import_inside_a_function() -> None:
    """Imports inside functions are how the old cycle was held together; with the
    layers none is needed (lazy third-party imports, such as phonenumbers, are not
    counted: they are not modules of the package)."""
    assert [describe(i) for i in report().function_imports()] == []


def test_no_module_inside_imports_a_front() -> None:
    assert [describe(i) for i in report().front_imports()] == []


def test_the_layers_name_each_module_once() -> None:
    named = [module for _, members in LAYERS for module in members]
    assert len(named) == len(set(named))


# The checker itself finds what it is for.
def test_the_checker_sees_cycles_function_imports_and_type_checking_imports(
    tmp_path: Path,
) -> None:
    package = tmp_path / "models"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .a import x\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import y\nx = 1\n"
    )
    (package / "b.py").write_text("def f():\n    from . import a\n    from .sub import c\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("from ..a import x\nfrom models.b import f\n")
    known = {"": package / "__init__.py", "a": package / "a.py", "b": package / "b.py"}
    known |= {"sub": package / "sub" / "__init__.py", "sub.c": package / "sub" / "c.py"}
    found = [i for source, path in known.items() for i in imports_of(source, path, known)]
    assert set(found) == {
        Import("", "a", 1, False, False),
        Import("a", "b", 3, False, True),
        Import("b", "a", 2, True, False),
        Import("b", "sub", 3, True, False, parent=True),
        Import("b", "sub.c", 3, True, False),
        Import("sub.c", "a", 1, False, False),
        Import("sub.c", "b", 2, False, False),
    }
    assert cycles(known, ((i.source, i.target) for i in found)) == [["a", "b", "sub.c"]]


def test_the_checker_reads_every_module_of_models() -> None:
    files = [p for p in Path("models").rglob("*.py") if "migrations" not in p.parts]
    assert len(report().modules) == len(files) > 30
