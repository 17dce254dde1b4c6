"""The library's modules import each other without cycles (imports inside functions included)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "codegen_study"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every library module `name` imports anywhere in its file (`if TYPE_CHECKING:` too)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known and m != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_relative_and_function_level_imports_are_edges(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from . import b\n    from .b import g\n")
    known = {"pkg", "pkg.a", "pkg.b"}
    assert _imports("pkg.a", pkg / "a.py", known) == {"pkg", "pkg.b"}


def test_library_has_no_import_cycle():
    modules = _modules()
    assert len(modules) > 20, modules
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_training_pieces_never_import_a_training_loop():
    """`train` and `cohort` import their pieces (state, checkpoints, run folder, environment record,
    configs, step, LoRA); no piece imports a loop back, not even through another module."""
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    loops = {f"{PACKAGE}.training.{name}" for name in ("train", "cohort", "cohort_batch", "cli")}
    pieces = [f"{PACKAGE}.training.{name}" for name in ("train_state", "checkpoints", "train_config", "train_step",
                                                         "lora", "run_folder", "memory_fit")]
    pieces.append(f"{PACKAGE}.core.provenance")
    for loop in ("train", "cohort"):  # both loops keep their run folders through the one protocol
        assert {f"{PACKAGE}.training.run_folder", f"{PACKAGE}.training.checkpoints"} <= graph[
            f"{PACKAGE}.training.{loop}"], loop
        assert f"{PACKAGE}.training.train_state" in _reachable(graph, f"{PACKAGE}.training.{loop}"), loop
    for piece in pieces:
        assert not _reachable(graph, piece) & loops, piece


#: the layers, innermost first: a module imports only its own layer's modules and inner layers'.
#: Stages of one layer may import earlier stages of the pipeline (evaluation scores, synth verifies in
#: the sandbox), never later ones: within the stages layer the order below is the allowed direction.
LAYERS = [["core"], ["store"], ["sandbox", "tasks"], ["models"], ["scoring", "synth", "training", "evaluation"],
          ["study"], ["cli", "__main__"]]


def _unit(module: str) -> str:
    """The package or top-level module a library module belongs to (`codegen_study.training.lora` ->
    `training`); the package's own `__init__` is its own unit."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_point_inward():
    """cli -> study -> stages -> models -> tasks/sandbox -> store -> core, never outward; the library
    never imports `analysis`."""
    modules = _modules()
    order = {unit: rank for rank, layer in enumerate(LAYERS) for unit in layer}
    position = {unit: i for i, unit in enumerate(u for layer in LAYERS for u in layer)}
    units = {_unit(name) for name in modules} - {"__init__"}
    assert units == set(order), f"a package or top-level module outside LAYERS: {sorted(units ^ set(order))}"
    bad = []
    for name, path in modules.items():
        here = _unit(name)
        if here == "__init__":
            continue
        for target in _imports(name, path, set(modules)):
            there = _unit(target)
            if there in ("__init__", here):
                continue
            if order[there] > order[here] or (order[there] == order[here] and position[there] > position[here]):
                bad.append(f"{name} -> {target}")
        text = path.read_text(encoding="utf-8")
        if "import analysis" in text or "from analysis" in text:
            bad.append(f"{name} -> analysis")
    assert not bad, "imports pointing outward: " + ", ".join(sorted(bad))


def test_layer_check_sees_an_outward_import(tmp_path):
    """The layer rule above is not vacuous: core importing a stage is caught."""
    order = {unit: rank for rank, layer in enumerate(LAYERS) for unit in layer}
    assert order[_unit(f"{PACKAGE}.training.lora")] > order[_unit(f"{PACKAGE}.core.errors")]
    assert _unit(f"{PACKAGE}.store") == "store" and _unit(PACKAGE) == "__init__"
