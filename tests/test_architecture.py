"""The layout keeps its promises: data flows one way between the layers, the model core's
modules stay small enough to read, and the conductor only wires parts (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"
LAYERS = ["scenario", "core", "experiments", "optimisation", "analysis", "fitting", "cli"]
"""Left to right: a layer may import from layers to its left, never to its right."""


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "sim" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def layer_of_path(path: Path, root: Path = SIM) -> str | None:
    return layer_of("sim." + path.relative_to(root).parts[0].removesuffix(".py"))


def imports_of(path: Path, root: Path = SIM) -> set[str]:
    """The sim modules ``path`` imports (relative imports resolved)."""
    package = ["sim", *path.relative_to(root).with_suffix("").parts][:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("sim")}


MODULES = sorted(
    p
    for p in SIM.rglob("*.py")
    if layer_of("sim." + p.relative_to(SIM).parts[0].removesuffix(".py"))
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SIM)))
def test_no_layer_imports_from_a_layer_to_its_right(path: Path) -> None:
    own = LAYERS.index(layer_of_path(path))
    for target in imports_of(path):
        layer = layer_of(target)
        if layer is not None:
            assert LAYERS.index(layer) <= own, f"{path.relative_to(SIM)} imports {target}"


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    """Relative imports are resolved to their layer, so a backward one would be caught."""
    module = tmp_path / "core" / "part.py"
    module.parent.mkdir()
    module.write_text("from ..experiments.runner import run\nfrom .clock import call_at\n")
    found = imports_of(module, root=tmp_path)
    assert "sim.experiments.runner" in found and "sim.core.clock" in found
    assert layer_of("sim.experiments.runner") == "experiments"
    assert LAYERS.index("experiments") > LAYERS.index(layer_of_path(module, root=tmp_path))


@pytest.mark.parametrize("path", sorted((SIM / "core").glob("*.py")), ids=lambda p: p.name)
def test_model_core_modules_are_small_enough_to_read(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 450, f"sim/core/{path.name} has {lines} lines: split it by concept"


def test_the_conductor_only_wires_parts() -> None:
    tree = ast.parse((SIM / "core" / "model.py").read_text(encoding="utf-8"))
    model = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CaseloadModel")
    length = model.end_lineno - model.lineno + 1
    assert length <= 250, f"CaseloadModel is {length} lines: a mechanism belongs in a part"


def test_importing_sim_does_not_load_the_plotting_stack() -> None:
    import subprocess
    import sys

    code = "import sys, sim; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
