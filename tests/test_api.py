"""The public API: ``KnowledgeBase`` is documented and typed, what it returns is exported from ``kb``, and
the app and the command line use nothing else."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import types
import typing
from pathlib import Path

import pytest

import kb
from kb import KnowledgeBase
from kb.records import FetchedDocument

ROOT = Path(__file__).resolve().parents[1]
# __all__ before the API was widened: these names must stay
EXPORTED_BEFORE = {"ConfigError", "EmptyQueryError", "IndexCorruptError", "IndexMismatchError", "KBError",
                   "KnowledgeBase", "NotBuiltError", "SearchResult", "Settings", "load_settings"}


def public_members() -> dict[str, object]:
    return {name: member for name, member in vars(KnowledgeBase).items()
            if not name.startswith("_") and (callable(member) or isinstance(member, property | classmethod))}


def _function(member: object) -> types.FunctionType:
    if isinstance(member, property):
        return member.fget  # type: ignore[return-value]
    if isinstance(member, classmethod):
        return member.__func__  # type: ignore[return-value]
    return member  # type: ignore[return-value]


def test_every_public_method_is_documented_and_typed():
    members = public_members()
    assert {"search", "recommend", "document", "filter_options", "corpus_stats", "sync", "stats"} <= set(members)
    undocumented = [name for name, m in members.items() if not (_function(m).__doc__ or "").strip()]
    assert undocumented == []
    untyped = []
    for name, member in members.items():
        fn = _function(member)
        sig = inspect.signature(fn)
        missing = [p for p in list(sig.parameters)[1:] if sig.parameters[p].annotation is inspect.Parameter.empty]
        if missing or sig.return_annotation is inspect.Signature.empty:
            untyped.append(f"{name}: {missing or 'return'}")
    assert untyped == []


def _our_classes(annotation: object) -> set[type]:
    """The kb/ingest classes an annotation names (inside unions, containers and callables too)."""
    out: set[type] = set()
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and a.__module__.split(".")[0] in ("kb", "ingest"):
            out.add(a)
        stack += list(typing.get_args(a))
    return out


def test_what_the_api_takes_and_returns_is_exported():
    exported = {getattr(kb, name) for name in kb.__all__}
    names = {name: getattr(kb, name) for name in kb.__all__}  # a signature names them as kb exports them
    seen: set[type] = set()
    todo: list[type] = []
    for member in public_members().values():
        hints = typing.get_type_hints(_function(member), localns=names)
        for annotation in hints.values():
            todo += _our_classes(annotation)
    while todo:  # and the types of the fields of those records
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        if dataclasses.is_dataclass(cls):
            todo += [c for hint in typing.get_type_hints(cls).values() for c in _our_classes(hint)]
    assert {"Recommendation", "Evidence", "Document", "FilterOptions", "CorpusStats"} <= {c.__name__ for c in seen}
    assert sorted(c.__qualname__ for c in seen - exported) == []


def test_the_exports_only_grow():
    assert EXPORTED_BEFORE <= set(kb.__all__)
    assert all(hasattr(kb, name) for name in kb.__all__)


# -- the app and the command line use only the public API ---------------------------------------------

FRONT_ENDS = ["app.py", *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "kb").rglob("*.py"))
                          if p.name.startswith(("app", "cli")) or {"app", "cli"} & set(p.relative_to(ROOT).parts))]
# library entry points a front end may call besides the facade: `kb check` runs the checks over a KnowledgeBase
ALLOWED = {"kb.api", "kb.check"}


def _runs_sql(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.Attribute) and n.attr in ("execute", "executemany", "executescript")
               for n in ast.walk(tree))


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sql_modules() -> set[str]:
    return {_module(p) for p in (ROOT / "kb").rglob("*.py") if _runs_sql(p)} - ALLOWED


def front_end_violations(path: Path, forbidden: set[str]) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("conn", "execute", "executemany"):
            out.append(f"{node.lineno}: .{node.attr}")
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        out += [f"{node.lineno}: imports {n}" for n in names if n in forbidden]
    return out


def test_the_app_and_the_cli_use_only_the_public_api():
    forbidden = sql_modules()
    assert {"kb.store.read", "kb.store.db"} <= forbidden  # the walk finds the modules that run SQL
    assert "kb/app/ui.py" in FRONT_ENDS and "app.py" in FRONT_ENDS
    found = {f: v for f in FRONT_ENDS if (v := front_end_violations(ROOT / f, forbidden))}
    assert found == {}


def test_a_front_end_that_runs_sql_is_caught(tmp_path):
    view = tmp_path / "view.py"
    view.write_text("from kb.store.read import counts\nfrom kb.store import read\n\ndef f(kb):\n"
                    "    return kb.conn.execute('SELECT 1')\n", encoding="utf-8")
    assert front_end_violations(view, {"kb.store.read"}) == ["1: imports kb.store.read", "2: imports kb.store.read",
                                                             "5: .execute", "5: .conn"]


# -- what the widened API answers ---------------------------------------------------------------------------

SECTIONS = ("Validation", "Features", "Models", "Ensembling")


def long_writeup(url: str, title: str = "Our solution") -> FetchedDocument:
    """A write-up long enough for several passages, each section about one thing (written for this test)."""
    words = {"Validation": "grouped folds by store kept the validation honest across weeks",
             "Features": "lag features and rolling means of daily sales carried most of the signal",
             "Models": "gradient boosted trees with lag features beat every neural network we tried",
             "Ensembling": "averaging five seeds of the boosted trees gave a small steady gain"}
    text = "\n\n".join(f"## {name}\n\n" + " ".join([words[name]] * 30) for name in SECTIONS)
    return FetchedDocument(url=url, source="blog", raw=f"# {title}\n\n{text}\n".encode(),
                           content_type="text/markdown")


@pytest.fixture
def long_kb(built_kb):
    built_kb.add_document(long_writeup("https://writer.example/long-solution/"))
    built_kb.sync()
    return built_kb


def test_search_returns_several_passages_per_document(long_kb):
    hits = long_kb.search("lag features boosted trees", k=3, passages=3, source="blog")
    top = hits[0]
    assert top.url == "https://writer.example/long-solution/" and len(top.passages) == 3
    assert len({p.chunk_id for p in top.passages}) == 3
    assert (top.passages[0].chunk_id, top.passages[0].snippet, top.passages[0].score) == (
        top.chunk_id, top.snippet, top.score)
    assert {p.heading_path.split(" > ")[-1] for p in top.passages} <= set(SECTIONS)
    assert "passages" not in top.to_json()  # the JSON contract is unchanged
    with pytest.raises(kb.BadInputError):
        long_kb.search("lag features", passages=0)


def test_document_is_a_typed_record(long_kb):
    doc = long_kb.document("https://writer.example/long-solution/")
    assert isinstance(doc, kb.Document) and doc.title == "Our solution" and len(doc.chunks) >= 4
    assert [c.position for c in doc.chunks] == sorted(c.position for c in doc.chunks)
    assert any(t.technique.lower() in ("lag features", "gradient boosted trees") for t in doc.techniques)
    assert long_kb.document(doc.id) == doc
    assert long_kb.document("https://writer.example/nothing-here/") is None


def test_filters_are_one_object_or_keywords(long_kb):
    as_object = long_kb.search("lag features", filters=kb.Filters(source="blog"))
    as_keywords = long_kb.search("lag features", source="blog")
    assert [r.url for r in as_object] == [r.url for r in as_keywords] and {r.source for r in as_object} == {"blog"}
    both = long_kb.search("lag features", filters=kb.Filters(source="github"), source="blog")
    assert {r.source for r in both} == {"blog"}  # the keywords win
    with pytest.raises(kb.BadInputError, match="unknown filter"):
        long_kb.search("lag features", colour="blue")


def test_reads_are_typed_and_cached_until_the_data_changes(long_kb):
    stats = long_kb.stats()
    assert isinstance(stats, kb.Stats) and stats.documents == 5 and stats.to_json()["documents"] == 5
    corpus = long_kb.corpus_stats()
    assert corpus is long_kb.corpus_stats() and corpus.documents_per_source["blog"] == 2
    counts = long_kb.technique_counts()
    assert counts == sorted(counts, key=lambda t: (-t.helped, t.name)) and counts[0].helped >= 1
    info = long_kb.competition("store-sales-forecast")
    assert isinstance(info, kb.CompetitionInfo) and info.year == 2021 and long_kb.competition("nope") is None
    long_kb.add_document(long_writeup("https://writer.example/another/", "Another solution"))
    assert long_kb.corpus_stats() is not corpus and long_kb.corpus_stats().documents_per_source["blog"] == 3


def test_sync_reports_what_it_did(built_kb):
    assert built_kb.sync() == kb.SyncReport(0, 0, 0, 0, None)  # nothing changed since the ingest
    built_kb.add_document(long_writeup("https://writer.example/long-solution/"))
    report = built_kb.sync()
    assert report.tagged_chunks >= 4 and report.embedded_chunks >= 4 and report.document_facts == 1
    assert report.index is not None and report.index.count == built_kb.counts()["chunks"]
