"""The package's import graph runs one way: models -> services -> routes / tasks / cli.

Two checks: every module imports on its own in a fresh interpreter (a cycle that only works
in one import order fails here), and the graph of imports has no cycle at all, counting
imports inside functions too (they only hide a cycle). Imports under ``TYPE_CHECKING`` are
for annotations and are left out."""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dealerhub

PACKAGE = Path(dealerhub.__file__).parent


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue  # Alembic loads these itself, inside its own environment
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        names.append(".".join(parts))
    return names


MODULES = _modules()


def _path(module: str) -> Path:
    base = PACKAGE.parent.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """The dealerhub modules ``module`` imports, wherever the import statement is (an import
    inside a function still ties the two modules together), and their parent packages."""
    tree = ast.parse(_path(module).read_text())
    found: set[str] = set()
    is_package = _path(module).name == "__init__.py"

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                visit_list(child.orelse)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = module.split(".")
                    base = parts[: len(parts) - child.level + is_package]
                    prefix = ".".join([*base, child.module] if child.module else base)
                else:
                    prefix = child.module or ""
                found.add(prefix)
                found.update(f"{prefix}.{a.name}" for a in child.names)
            visit(child)

    def visit_list(nodes: list[ast.stmt]) -> None:
        for n in nodes:
            visit(ast.Module(body=[n], type_ignores=[]))

    visit(tree)
    known = set(MODULES)
    out = set()
    for name in found:
        parts = name.split(".")
        # "from dealerhub.x import y" names module x.y, or attribute y of x; parents count too.
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if candidate in known and candidate != module:
                out.add(candidate)
    return out


def _cycles() -> list[list[str]]:
    graph = {m: _imports(m) for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for m in MODULES:
        if m not in index:
            strong(m)
    return cycles


def test_module_imports_form_no_cycle() -> None:
    assert _cycles() == []


def _import_alone(module: str) -> str | None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return None if done.returncode == 0 else f"{module}: {done.stderr[-1500:]}"


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    # ``dealerhub.__main__`` runs the CLI when imported, which is its job.
    modules = [m for m in MODULES if not m.endswith("__main__")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f for f in pool.map(_import_alone, modules) if f]
    assert failures == []


def test_the_request_path_and_the_worker_never_import_a_simulator() -> None:
    # Gateway simulators are for rehearsals and tests; the app and the worker must not load them.
    code = (
        "import sys, dealerhub.wsgi, dealerhub.worker\n"
        "print(sorted(m for m in sys.modules if m.startswith('dealerhub.simulators')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
