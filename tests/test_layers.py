"""The package's layers: no module imports from a layer above its own.

Every module of ``sim`` is read with :mod:`ast` (nothing is imported), and each of its
imports, at the top or inside a function, is checked against :data:`LAYERS`.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sim"
# Lowest first. A module may import from its own layer and the layers before it. sim/data
# holds the data files the inputs read (no code).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("sim.io",),
    ("sim.inputs", "sim.data"),
    ("sim.model",),
    ("sim.figures",),
    ("sim.inference",),
    ("sim.experiments",),
    ("sim.views",),
    ("sim", "sim.api", "sim.cli", "sim.__main__"),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    """The index in :data:`LAYERS` of the layer that holds ``module``."""
    for index, members in enumerate(LAYERS):
        # "sim" holds only itself: its modules are in the layers above
        if module in members or any(module.startswith(member + ".") for member in members if member != "sim"):
            return index
    raise AssertionError(f"{module} is in no layer; place it in one of {LAYERS}")


def imported(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a casim module in ``path``, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
                else node.module
            # ``from sim.model import dynamics`` imports the module sim.model.dynamics
            found += [(node.lineno, f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
                      for alias in node.names]
    return [(line, name) for line, name in found if name == "sim" or name.startswith("sim.")]


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer(module)


def test_no_module_imports_from_a_higher_layer():
    upward = [f"{module} ({LAYERS[layer(module)][0]}), line {line}: {name} ({LAYERS[layer(name)][0]})"
              for module, path in MODULES.items() for line, name in imported(module, path)
              if layer(name) > layer(module)]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_figures_are_split_by_subject():
    assert not (PACKAGE / "figures.py").exists()
    assert (PACKAGE / "figures").is_dir()
