"""The package's structure: its layers, the one-way arrows between them, and no import cycles.

Every import counts, wherever it stands (in a function, under ``TYPE_CHECKING``): a lazy import
that goes the wrong way is still a wrong-way dependency. The table below is the plan of the
house (README, "How it is built"); a wrong-way import fails with its file and line.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "claude_fakes"
ROOT = PACKAGE.parent

LAYERS: dict[str, tuple[str, ...]] = {
    # layer: (its modules or folders under claude_fakes, dotted)
    "wire": ("wire",),
    "core": ("core",),
    "engine": ("engine",),
    "executors": ("executors",),
    "activation": ("activation",),
    "explore": ("explore",),
    "record": ("record",),
    "surface": ("fake", "faults", "replies", "latency", "gateways", "script", "strategies", "server", "clock"),
    "shell": ("plugin", "cli", "command", "__main__", "_builders", ""),
}
"""Which layer each part of the package is in ("" is the package's own ``__init__``)."""

MAY_IMPORT: dict[str, frozenset[str]] = {
    "wire": frozenset({"wire"}),
    "core": frozenset({"core", "wire"}),
    "engine": frozenset({"engine", "core", "wire"}),
    "executors": frozenset({"executors", "engine", "core", "wire"}),
    "activation": frozenset({"activation", "executors", "engine", "core", "wire"}),
    "explore": frozenset({"explore", "engine", "core", "wire"}),
    "record": frozenset({"record", "engine", "core", "wire"}),
    "surface": frozenset({"surface", "explore", "record", "activation", "executors", "engine", "core", "wire"}),
    "shell": frozenset(LAYERS),
}
"""The arrows: what each layer may import. Executors and the explorer never see activation
(it hands them what they need); ``core`` and ``wire`` see nothing above them."""

EXECUTORS_SHARED = frozenset({"claude_fakes.executors.http1", "claude_fakes.executors.forward"})
"""The pieces executors share (a plan as HTTP/1.1 bytes; a request forwarded to be recorded); otherwise
they know nothing of each other."""

PUBLIC = frozenset({
    "claude_fakes", "claude_fakes.faults", "claude_fakes.replies", "claude_fakes.latency", "claude_fakes.gateways",
    "claude_fakes.script", "claude_fakes.server", "claude_fakes.server.client", "claude_fakes.explore",
    "claude_fakes.strategies", "claude_fakes.clock",
})
"""The modules a user's test may import; everything else is internal."""


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    path: Path
    line: int


def imports(path: Path, modules: set[str], package: Path = PACKAGE) -> list[Import]:
    """The package modules ``path`` imports, wherever the import statement is, with their lines."""
    name = module_name(path, package)
    parent_package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: list[Import] = []

    def add(target: str, line: int) -> None:
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        if target in modules and target != name:
            found.append(Import(name, target, path, line))

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = parent_package.rsplit(".", node.level - 1)[0] if node.level > 1 else parent_package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                target = f"{base}.{alias.name}"
                add(target if target in modules else base, node.lineno)
    return found


def layer_of(module: str) -> str:
    inner = module.removeprefix("claude_fakes").removeprefix(".")
    best = None
    for layer, parts in LAYERS.items():
        for part in parts:
            if inner == part or (part and inner.startswith(part + ".")):
                if best is None or len(part) > len(best[1]):
                    best = (layer, part)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_structure.py")
    return best[0]


def _executor(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "executors" else None


def wrong_way(package: Path = PACKAGE) -> list[str]:
    """Every import that breaks the layer table, as ``file:line: what``."""
    paths = {module_name(path, package): path for path in package.rglob("*.py")}
    problems = []
    for name, path in sorted(paths.items()):
        source_layer = layer_of(name)
        for found in imports(path, set(paths), package):
            target_layer = layer_of(found.target)
            where = f"{path.relative_to(package.parent)}:{found.line}"
            if target_layer not in MAY_IMPORT[source_layer]:
                problems.append(f"{where}: {name} ({source_layer}) imports {found.target} ({target_layer}); "
                                f"{source_layer} may import {', '.join(sorted(MAY_IMPORT[source_layer]))}")
            elif (source_layer == target_layer == "executors" and _executor(name) != _executor(found.target)
                  and found.target not in EXECUTORS_SHARED):
                problems.append(f"{where}: {name} imports {found.target}: executors know nothing of each other "
                                f"(they share only {', '.join(sorted(EXECUTORS_SHARED))})")
    return problems


def test_every_import_goes_down_the_layers() -> None:
    assert wrong_way() == []


def test_a_planted_wrong_way_import_is_named_by_file_and_line(tmp_path: Path) -> None:
    copy = tmp_path / "claude_fakes"
    shutil.copytree(PACKAGE, copy, symlinks=True)
    plan = copy / "core" / "plan.py"
    lines = plan.read_text().splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("from __future__")) + 1
    lines.insert(at, "from ..engine.engine import Engine  # planted")
    plan.write_text("\n".join(lines) + "\n")
    executor = copy / "executors" / "aiohttp_connection.py"
    executor.write_text(executor.read_text() + "\n\ndef _planted() -> None:\n    from .httpx_transport import handle\n")

    problems = wrong_way(copy)

    assert len(problems) == 2, problems
    core, executors = sorted(problems, key=lambda problem: "executors" in problem.split(":")[0])
    assert core == (f"claude_fakes/core/plan.py:{at + 1}: claude_fakes.core.plan (core) imports "
                    "claude_fakes.engine.engine (engine); core may import core, wire")
    assert re.match(r"claude_fakes/executors/aiohttp_connection.py:\d+: .* executors know nothing of each other",
                    executors)


def test_no_import_cycles() -> None:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: {found.target for found in imports(path, set(paths))} for name, path in paths.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            # A package's __init__ re-exports its modules; a module importing a sibling does not import the package.
            if paths[target].name == "__init__.py" and node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target):], target] if target in trail else [node, target])
            elif state.get(target) is None:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if state.get(name) is None:
            visit(name, [name])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def _user_imports(path: Path) -> list[tuple[int, str]]:
    text = path.read_text()
    if path.suffix == ".md":
        blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
        text = "\n".join(blocks)
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("claude_fakes"):
            found.append((node.lineno, node.module or ""))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("claude_fakes")]
    return found


COOKBOOK = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("source", ["README.md", *COOKBOOK])
def test_the_cookbook_and_readme_import_only_the_public_surface(source: str) -> None:
    internal = [f"{source}:{line}: {module}" for line, module in _user_imports(ROOT / source) if module not in PUBLIC]
    assert internal == [], "a user's test imports only public modules:\n" + "\n".join(internal)


def test_every_folder_says_whether_it_is_public() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        name = module_name(init)
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert (name in PUBLIC) != doc.startswith("Internal."), (
            f"{init.relative_to(ROOT)}: an internal folder's docstring starts with 'Internal.', a public one's does not"
        )


MIRRORED = ("core", "wire", "engine")
"""The layers whose every module has its unit tests at the mirrored path."""


def missing_unit_tests(package: Path = PACKAGE, tests: Path = ROOT / "tests") -> list[str]:
    """The mirrored test files that do not exist, one per module without one."""
    expected = (tests / layer / f"test_{module.stem}.py"
                for layer in MIRRORED for module in sorted((package / layer).glob("*.py"))
                if not module.name.startswith("_"))
    return [str(path.relative_to(tests.parent)) for path in expected if not path.is_file()]


def test_every_core_wire_and_engine_module_has_its_unit_tests_at_the_mirrored_path() -> None:
    missing = missing_unit_tests()
    assert missing == [], "modules without unit tests; add:\n  " + "\n  ".join(missing)


def test_a_module_without_its_mirrored_test_is_named(tmp_path: Path) -> None:
    package, tests = tmp_path / "claude_fakes", tmp_path / "tests"
    for layer in MIRRORED:
        (package / layer).mkdir(parents=True)
        (tests / layer).mkdir(parents=True)
        (package / layer / "__init__.py").touch()
    (package / "core" / "_private.py").touch()
    (package / "core" / "plan.py").touch()
    (package / "wire" / "http.py").touch()
    (tests / "core" / "test_plan.py").touch()

    assert missing_unit_tests(package, tests) == ["tests/wire/test_http.py"]
