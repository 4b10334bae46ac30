"""The fast loop (``pytest -m "not slow"``) covers every module under sim/.

Every module of the package must be imported by code of the fast loop: by a test module's
tests, fixtures or helpers that are not marked slow, directly or through the imports of other
sim modules (a package's ``__init__`` with its submodules; ``python -m sim`` run as a
subprocess or with runpy counts for ``sim.__main__``). Read statically with ``ast``, so it
costs nothing to run:

* marks are read from decorators (``@pytest.mark.slow`` on a test or class) and from a module's
  or class's ``pytestmark``; a test module whose tests are all slow imports nothing here;
* an import inside a function counts unless the function is marked slow; an import at the top
  of a test module counts if a name it binds is used outside slow tests;
* sim's own imports count if they run when the module is imported: an import inside a
  function of sim (``cmd_bench``'s ``from sim.engines import bench``) counts for nothing, as
  the function may never run in the fast loop.

A new module under sim/ needs a cheap test in the fast loop, or this test fails and names it.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"
TESTS = Path(__file__).resolve().parent


def sim_modules() -> dict[str, Path]:
    """Dotted name -> file of every module under sim/ (packages by their __init__)."""
    out = {}
    for path in sorted(SIM.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_slow(expr: ast.expr) -> bool:
    """``pytest.mark.slow`` (or ``mark.slow``), alone or in a list or tuple."""
    if isinstance(expr, ast.List | ast.Tuple):
        return any(_is_slow(e) for e in expr.elts)
    if isinstance(expr, ast.Call):  # @pytest.mark.slow(reason=...)
        expr = expr.func
    return isinstance(expr, ast.Attribute) and expr.attr == "slow" and (
        (isinstance(expr.value, ast.Attribute) and expr.value.attr == "mark")
        or (isinstance(expr.value, ast.Name) and expr.value.id == "mark"))


def _pytestmark_is_slow(body: list[ast.stmt]) -> bool:
    return any(isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in s.targets)
               and _is_slow(s.value) for s in body)


def _resolve(module: str | None, level: int, names: list[str], here: str, is_package: bool,
             known: dict[str, Path]) -> set[str]:
    """The sim modules an import statement loads (with the packages above them)."""
    if level:
        base = here.split(".") if is_package else here.split(".")[:-1]
        base = base[:len(base) - (level - 1)]
        module = ".".join(base + ([module] if module else []))
    if not module or not (module == "sim" or module.startswith("sim.")):
        return set()
    found = {module} | {f"{module}.{n}" for n in names if f"{module}.{n}" in known}
    parents = {".".join(m.split(".")[:k]) for m in found for k in range(1, m.count(".") + 1)}
    return {m for m in found | parents if m in known}


def _runs_sim_main(node: ast.AST) -> bool:
    """``[..., "-m", "sim", ...]`` (a subprocess) or ``runpy.run_module("sim", ...)``."""
    if isinstance(node, ast.List | ast.Tuple):
        values = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
        return any(a == "-m" and b == "sim" for a, b in itertools.pairwise(values))
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return name == "run_module" and node.args[0].value == "sim"
    return False


def fast_imports(source: str, known: dict[str, Path]) -> set[str]:
    """The sim modules a test module imports for its tests that are not marked slow."""
    tree = ast.parse(source)
    if _pytestmark_is_slow(tree.body):
        return set()
    top_level: list[tuple[set[str], set[str]]] = []  # (modules, names bound)
    used: set[str] = set()
    found: set[str] = set()
    fast_tests = 0

    def visit(node: ast.AST, in_function: bool) -> None:
        nonlocal fast_tests
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if any(_is_slow(d) for d in node.decorator_list):
                return
            if isinstance(node, ast.ClassDef) and _pytestmark_is_slow(node.body):
                return
            if node.name.startswith(("test_", "Test")):
                fast_tests += 1
            for child in ast.iter_child_nodes(node):
                visit(child, in_function or not isinstance(node, ast.ClassDef))
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.Import):
                mods = set().union(*(_resolve(a.name, 0, [], "", False, known) for a in node.names))
                bound = {a.asname or a.name.split(".")[0] for a in node.names}
            else:
                mods = _resolve(node.module, node.level, [a.name for a in node.names], "tests", False, known)
                bound = {a.asname or a.name for a in node.names}
            if in_function:
                found.update(mods)
            else:
                top_level.append((mods, bound))
            return
        if _runs_sim_main(node) and "sim.__main__" in known:
            found.update({"sim", "sim.__main__"})
        if isinstance(node, ast.Name):
            used.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, in_function)

    for stmt in tree.body:
        visit(stmt, False)
    if not fast_tests:
        return set()
    for mods, bound in top_level:
        if bound & used:
            found.update(mods)
    return found


def _outside_functions(node: ast.AST):
    """The nodes of a module that run when it is imported (not those inside a function)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _outside_functions(child)


def sim_imports(known: dict[str, Path]) -> dict[str, set[str]]:
    """Each sim module's imports of other sim modules that run when it is imported (not those
    inside a function, which may never run)."""
    graph = {}
    for name, path in known.items():
        deps = set()
        is_package = path.name == "__init__.py"
        for node in _outside_functions(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    deps |= _resolve(a.name, 0, [], name, is_package, known)
            elif isinstance(node, ast.ImportFrom):
                deps |= _resolve(node.module, node.level, [a.name for a in node.names], name, is_package, known)
        graph[name] = deps - {name}
    return graph


def covered_by_fast_tests() -> tuple[set[str], dict[str, set[str]]]:
    known = sim_modules()
    direct = {p.name: fast_imports(p.read_text(encoding="utf-8"), known)
              for p in sorted(TESTS.glob("*.py")) if p.name.startswith("test_") or p.name == "conftest.py"}
    graph = sim_imports(known)
    reached = set().union(*direct.values())
    todo = list(reached)
    while todo:
        for dep in graph[todo.pop()]:
            if dep not in reached:
                reached.add(dep)
                todo.append(dep)
    return reached, direct


def test_every_sim_module_is_imported_by_the_fast_loop():
    known = sim_modules()
    assert len(known) > 40 and "sim.engines.fast.batch" in known and "sim.__main__" in known
    reached, direct = covered_by_fast_tests()
    assert direct["test_directions.py"] == set(), "a module marked slow as a whole counts for nothing"
    missing = sorted(set(known) - reached)
    assert not missing, (f"modules under sim/ that no test of the fast loop (pytest -m 'not slow') imports: "
                         f"{missing}; add a cheap test that is not marked slow")


KNOWN = {m: Path() for m in ("sim", "sim.a", "sim.a.b", "sim.a.c", "sim.d", "sim.e", "sim.__main__")}


def test_the_check_reads_slow_marks_and_names_in_use():
    """The reading above on small sources: slow tests, slow classes and slow modules import
    nothing for the fast loop; a top-level import counts only if a fast test uses it."""
    source = '''
import pytest
from sim.a import b
from sim.a import c as C
import sim.d as D

def test_fast():
    from sim import e
    assert b

@pytest.mark.slow
def test_slow():
    assert C and D
'''
    assert fast_imports(source, KNOWN) == {"sim", "sim.a", "sim.a.b", "sim.e"}
    slow_class = "import pytest\nfrom sim.a import c\n@pytest.mark.slow\nclass TestX:\n    def test_x(self):\n        c\n"
    assert fast_imports(slow_class, KNOWN) == set()
    slow_module = "import pytest\nfrom sim.a import c\npytestmark = [pytest.mark.slow]\ndef test_x():\n    c\n"
    assert fast_imports(slow_module, KNOWN) == set()
    no_tests = "from sim.a import c\ndef helper():\n    c\n"
    assert fast_imports(no_tests, KNOWN) == set()
    subprocess = 'import sys\ndef test_x():\n    run([sys.executable, "-m", "sim", "list"])\n'
    assert fast_imports(subprocess, KNOWN) == {"sim", "sim.__main__"}
    relative = _resolve("c", 1, ["x"], "sim.a.b", False, KNOWN)
    assert relative == {"sim", "sim.a", "sim.a.c"}
