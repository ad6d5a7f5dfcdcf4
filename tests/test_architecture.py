"""The architecture, enforced: ``ingest`` depends on ``kb`` and never the reverse, no import cycles, and
nothing outside the knowledge-base object touches its private members.

An ``ast`` walk over the source (no imports executed). Imports inside functions count: a lazy import is
still a dependency, and the cycles it hides are the ones that bite. Imports under ``if TYPE_CHECKING:``
count for the direction rule but not for cycles: a module may name the facade's type without needing it
at run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "ingest")
# code that uses a KnowledgeBase from outside: the packages, the app entry point, benchmarks and docs scripts
CLIENT_CODE = ("kb", "ingest", "app.py", "bench", "docs")
FACADE = ROOT / "kb" / "api.py"


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the deepest one of ours the statement names)
    line: int
    type_only: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*roots: str) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        path = ROOT / root
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return out


def our_modules() -> dict[str, Path]:
    return {module_name(p): p for p in source_files(*PACKAGES)}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The deepest module of ours that ``name`` (a dotted path) is or lies in."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(path: Path, modules: dict[str, Path]) -> list[Import]:
    source = module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        names: list[str] = []
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import sub` names the submodule when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != source:
                found.append(Import(source, target, line, type_only))
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def import_graph() -> list[Import]:
    modules = our_modules()
    return [imp for path in modules.values() for imp in imports_of(path, modules)]


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return sorted(out)


# -- the rules ---------------------------------------------------------------------------------------

def module_strings(path: Path, prefix: str) -> list[tuple[int, str]]:
    """String constants that name a module under ``prefix`` (``importlib.import_module("ingest.x")``)."""
    return [(n.lineno, n.value) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith(prefix + ".")
            and n.value.replace(".", "").replace("_", "").isalnum()]


def test_kb_never_imports_ingest():
    wrong = [f"{e.source}:{e.line} imports {e.target}" for e in import_graph()
             if e.source.split(".")[0] == "kb" and e.target.split(".")[0] == "ingest"]
    wrong += [f"{module_name(p)}:{line} names {text!r}" for p in source_files("kb")
              for line, text in module_strings(p, "ingest")]
    assert wrong == []


def test_no_import_cycles():
    assert cycles([e for e in import_graph() if not e.type_only]) == []


def _facade_private_names() -> set[str]:
    """Private attributes and methods of ``KnowledgeBase``: what it sets on ``self`` and the methods it defines."""
    tree = ast.parse(FACADE.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "KnowledgeBase")
    names = {n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    names |= {n.attr for n in ast.walk(cls) if isinstance(n, ast.Attribute)
              and isinstance(n.value, ast.Name) and n.value.id == "self"}
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_reach_ins(path: Path, facade_private: set[str]) -> list[str]:
    """``x._name`` where ``_name`` is private to the facade or ``x`` is a knowledge base (named ``kb``), plus
    ``getattr``/``setattr``/``__dict__`` on a knowledge base."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in ("self", "cls"):
                continue
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            if (private and (node.attr in facade_private or owner == "kb")) or (
                    owner == "kb" and node.attr == "__dict__"):
                out.append((node.lineno, f".{node.attr}"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2
              and isinstance(node.args[0], ast.Name) and node.args[0].id == "kb"
              and isinstance(node.args[1], ast.Constant) and str(node.args[1].value).startswith("_")):
            out.append((node.lineno, f"{node.func.id}(kb, {node.args[1].value!r})"))
    return [f"{path.relative_to(ROOT)}:{line} {what}" for line, what in sorted(out)]


def test_nothing_outside_the_facade_touches_its_private_members():
    private = _facade_private_names()
    assert {"_lock", "_encode"} <= private  # the walk sees the facade's internals
    found = [hit for path in source_files(*CLIENT_CODE) if path != FACADE for hit in private_reach_ins(path, private)]
    assert found == []


# -- the checks above can fail -------------------------------------------------------------------------

def test_the_walk_finds_lazy_relative_and_type_only_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "kb"
    (pkg / "sub").mkdir(parents=True)
    for name in ("__init__.py", "a.py", "b.py", "sub/__init__.py", "sub/c.py"):
        (pkg / name).write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kb import b\n"
                              "def f():\n    from .sub import c\n    import ingest.x\n", encoding="utf-8")
    (pkg / "sub" / "c.py").write_text("from .. import a\n", encoding="utf-8")
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "ingest" / "x.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    edges = {(e.source, e.target, e.type_only) for e in import_graph()}
    assert edges == {("kb.a", "kb.b", True), ("kb.a", "kb.sub.c", False), ("kb.a", "ingest.x", False),
                     ("kb.sub.c", "kb.a", False)}
    assert cycles([e for e in import_graph() if not e.type_only]) == [["kb.a", "kb.sub.c"]]


def test_reach_ins_are_found(tmp_path, monkeypatch):
    code = tmp_path / "client.py"
    code.write_text("def f(kb, other):\n    kb._lock\n    other._encode('x')\n    kb.__dict__\n"
                    "    getattr(kb, '_cache', None)\n    self._lock\n    other._mine\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    hits = [h.split(" ", 1)[1] for h in private_reach_ins(code, {"_lock", "_encode"})]
    assert hits == ["._lock", "._encode", ".__dict__", "getattr(kb, '_cache')"]
