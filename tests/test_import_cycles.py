"""No import cycle inside any app: a module that needs a deferred import to dodge a cycle holds
two subjects and should be split (see /work/shared/STYLE.md). Imports are read from the source
with ``ast``, at module level and inside functions and classes alike, so a deferred import
counts as much as one at the top of the file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(
    path.parent.name
    for path in ROOT.glob("*/apps.py")
    if (path.parent / "__init__.py").exists()
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _app_modules(app: str) -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    }


def _imported(tree: ast.AST, *, module: str, modules: set[str]) -> set[str]:
    """Modules of ``modules`` that the code imports, anywhere in the file."""
    package = module if module in modules and (ROOT / module.replace(".", "/") / "__init__.py").exists() else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from app import services` imports the submodule app.services.
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            # Importing a submodule runs its package's __init__, which is not an edge of interest.
            if name and name != module and not (ROOT / name.replace(".", "/") / "__init__.py").exists():
                found.add(name)
    return found


# No allowlist: a module that queues a task calling back into it names the task instead of
# importing it (config.tasks.task_named), so every edge is in the graph.


def import_graph(app: str) -> dict[str, set[str]]:
    modules = _app_modules(app)
    names = set(modules)
    return {
        name: {
            target
            for target in _imported(ast.parse(path.read_text(), filename=str(path)), module=name, modules=names)
        }
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checker_finds_cycles_at_module_and_function_level():
    module_level = ast.parse("from app import b\n")
    deferred = ast.parse("def f():\n    from app.a import thing\n")
    modules = {"app.a", "app.b"}
    graph = {
        "app.a": _imported(module_level, module="app.a", modules=modules),
        "app.b": _imported(deferred, module="app.b", modules=modules),
    }
    assert graph == {"app.a": {"app.b"}, "app.b": {"app.a"}}
    assert find_cycle(graph) == ["app.a", "app.b", "app.a"]
    assert find_cycle({"app.a": {"app.b"}, "app.b": set()}) is None


def test_every_app_is_checked():
    assert {"accounts", "community", "kudos", "escalation", "notifications", "reports"} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_inside_the_app(app):
    assert find_cycle(import_graph(app)) is None
