"""The package's shape: imports flow one way, no cycles, small modules and functions,
no global state outside the places meant for it. Read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

#: Numba kernels are exempt from the function-size rule (they are specialised for speed).
KERNEL_MODULES = {"sim.graph._ch", "sim.graph._dijkstra", "sim.graph._heap", "sim.graph._phast"}

#: Stages from the bottom up; a module may import its own stage and those listed before it.
STAGES = ("base", "graph", "readers", "region", "scenario", "model", "output", "sweep", "app",
          "cli", "__main__")
BASE = {"sim", "sim.vocab", "sim._fs", "sim._log", "sim.settings", "sim.errors",
        "sim.domain", "sim.params"}


def _modules() -> dict[str, tuple[ast.Module, int]]:
    """Every module of the package: its syntax tree and its number of lines."""
    out = {}
    for path in sorted(SIM.rglob("*.py")):
        name = ".".join(path.relative_to(SIM.parent).with_suffix("").parts)
        text = path.read_text(encoding="utf-8")
        out[name.removesuffix(".__init__")] = (ast.parse(text), len(text.splitlines()))
    return out


MODULES = {name: tree for name, (tree, _) in _modules().items()}
LINES = {name: n for name, (_, n) in _modules().items()}


def _imports(tree: ast.Module) -> set[str]:
    """Every ``sim`` module a module imports, function-level imports included."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sim":
                found |= {f"sim.{a.name}" for a in node.names}
            elif node.module.startswith("sim."):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sim")}
    return {m for m in found if m in MODULES}


def _stage(module: str) -> int:
    if module in BASE:
        return 0
    return STAGES.index(module.split(".")[1])


def test_no_import_cycle() -> None:
    graph = {m: _imports(t) - {m} for m, t in MODULES.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(d):], d]))
            if d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_imports_flow_one_way() -> None:
    upward = [f"{m} -> {d}" for m, t in MODULES.items() for d in _imports(t)
              if m != "sim" and _stage(d) > _stage(m)]
    assert not upward, upward


def test_small_modules_and_functions() -> None:
    big = [f"{m} ({n} lines)" for m, n in LINES.items() if n > 600]
    assert not big, big
    long = [f"{m}.{n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for m, tree in MODULES.items() if m not in KERNEL_MODULES
            for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and (n.end_lineno or 0) - n.lineno + 1 > 80]
    assert not long, long


def _names(tree: ast.Module) -> set[str]:
    return {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def test_global_state_only_where_meant() -> None:
    env = sorted(m for m, t in MODULES.items() if "os.environ" in ast.unparse(t))
    assert env == ["sim.settings"]
    backend = sorted(m for m, t in MODULES.items() if "matplotlib.use" in _names(t))
    assert backend == ["sim.output.style"]
    settings = sorted(m for m, t in MODULES.items()
                      if any(n.startswith("ox.settings.") for n in _names(t)
                             if "useful_tags_way" in n))
    assert settings == ["sim.readers.osm"]  # read there, set only in osmnx_settings()
