"""``kb check``: each kind of damage is found, named, given its fix, and repaired by that fix."""

from __future__ import annotations

import inspect
import json

import faiss
import numpy as np
import pytest

from kb.api import KnowledgeBase
from kb.check import REBUILD, REPAIR, index_ids, repair, run_checks
from kb.embed import FakeEmbedder
from kb.errors import BadInputError
from kb.search import dense
from kb.store import vectors
from tests.test_cli import run_main

NAMES = ["database", "orphan rows", "keyword index", "vectors", "vector index"]


def failing(kb: KnowledgeBase) -> dict[str, tuple[str, str]]:
    return {p.name: (p.message, p.fix) for p in run_checks(kb) if not p.ok}


def test_a_fresh_knowledge_base_passes_every_check(built_kb):
    problems = run_checks(built_kb)
    assert [p.name for p in problems] == NAMES and all(p.ok for p in problems)
    assert problems[-1].message == f"{built_kb.counts()['chunks']} passages indexed with model 'fake-hash-256'"


def test_an_empty_knowledge_base_is_consistent(kb):
    problems = run_checks(kb)
    assert all(p.ok for p in problems) and problems[-1].message == "nothing to index yet"


def test_passages_without_vectors(built_kb):
    built_kb.conn.execute("DELETE FROM embeddings WHERE sha256 IN (SELECT sha256 FROM chunks ORDER BY id LIMIT 2)")
    bad = failing(built_kb)
    assert bad["vectors"] == ("2 passages have no vector under model 'fake-hash-256'", REBUILD)
    assert "(0 not indexed, 2 indexed but gone)" in bad["vector index"][0]
    assert repair(built_kb) == ["embedded 2 passages"]  # same vectors again: the index needs no rebuild
    assert failing(built_kb) == {}


def test_keyword_index_out_of_step(built_kb):
    conn = built_kb.conn
    conn.execute("DELETE FROM chunks_fts WHERE rowid = (SELECT min(id) FROM chunks)")
    conn.execute("INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (99999, 't', 'h', 'stray row')")
    assert failing(built_kb) == {"keyword index": (
        "1 passages are missing from the keyword index and 1 indexed rows have no passage", REBUILD)}
    assert repair(built_kb)[0].startswith("rebuilt the keyword index")
    assert failing(built_kb) == {}


def test_damaged_keyword_index(built_kb):
    built_kb.conn.execute("DELETE FROM chunks_fts_data WHERE id > 10")
    message, fix = failing(built_kb)["keyword index"]
    assert message.startswith("the keyword index is damaged") and fix == REBUILD
    repair(built_kb)
    assert failing(built_kb) == {}


def test_orphan_rows_are_found_and_deleted(built_kb):
    conn = built_kb.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO chunks (document_id, position, heading_path, text, sha256) VALUES (999, 0, '', 'x', 'y')")
    conn.execute("INSERT INTO document_competitions (document_id, competition_id, rank) VALUES (1, 999, 3)")
    conn.execute("PRAGMA foreign_keys = ON")
    bad = failing(built_kb)
    assert bad["orphan rows"] == ("2 rows point at rows that are gone: 1 in chunks (missing documents),"
                                  " 1 in document_competitions (missing competitions)", REPAIR)
    assert "keyword index" in bad  # the orphan chunk was never given a keyword row
    assert repair(built_kb) == ["deleted 2 orphan rows"]
    assert failing(built_kb) == {}


def test_index_built_with_another_model(built_kb, tmp_path):
    other = KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(dim=64), model="fake:64")
    bad = failing(other)
    assert bad["vectors"][0].endswith("have no vector under model 'fake-hash-64'")
    assert bad["vector index"] == ("the vector index was built with model 'fake-hash-256' but 'fake-hash-64' is"
                                   " configured", REBUILD)
    repair(other)
    assert failing(other) == {}
    other.close()


def _write(kb: KnowledgeBase, ids: np.ndarray, vecs: np.ndarray) -> None:
    dense.write_index(kb.settings.index_dir, ids, vecs, kb.model_id, "2024-01-01T00:00:00Z")


def test_index_missing_a_passage(built_kb):
    ids, vecs = vectors.load_vectors(built_kb.conn, built_kb.model_id)
    _write(built_kb, ids[:-1], vecs[:-1])
    assert failing(built_kb)["vector index"] == (
        f"the vector index holds {len(ids) - 1} passages but the database has {len(ids)} embedded"
        " (1 not indexed, 0 indexed but gone)", REBUILD)


def test_index_with_the_right_ids_but_old_vectors(built_kb):
    ids, vecs = vectors.load_vectors(built_kb.conn, built_kb.model_id)
    _write(built_kb, ids, np.roll(vecs, 1, axis=0))
    assert failing(built_kb)["vector index"] == (f"{len(ids)} sampled passages are indexed with an outdated vector",
                                                 REBUILD)
    repair(built_kb)
    assert failing(built_kb) == {}


def test_an_approximate_index_is_checked_the_same_way(kb, tmp_path):
    if "exact_max" not in inspect.signature(dense.write_index).parameters:
        pytest.skip("dense.write_index no longer takes exact_max")
    from ingest.mirror import ingest_mirror
    from tests.test_crash import write_big_mirror

    ingest_mirror(kb, write_big_mirror(tmp_path / "mirror", n=30))
    ids, vecs = vectors.load_vectors(kb.conn, kb.model_id)
    meta = dense.write_index(kb.settings.index_dir, ids, vecs, kb.model_id, "now", exact_max=10)
    assert not meta.exact and failing(kb) == {}
    dense.write_index(kb.settings.index_dir, ids, np.roll(vecs, 1, axis=0), kb.model_id, "now", exact_max=10)
    assert failing(kb)["vector index"][0].endswith("sampled passages are indexed with an outdated vector")


def test_truncated_index_file(built_kb):
    path = built_kb.settings.index_dir / dense.INDEX_FILE
    path.write_bytes(path.read_bytes()[:100])
    message, fix = failing(built_kb)["vector index"]
    assert message.startswith("the vector index cannot be used:") and "truncated" in message and fix == REBUILD


def test_index_ids_of_every_index_kind():
    rng = np.random.default_rng(1)
    data = rng.standard_normal((500, 8)).astype(np.float32)
    ids = rng.choice(10_000, 500, replace=False).astype(np.int64)
    mapped = faiss.IndexIDMap2(faiss.IndexFlatIP(8))
    mapped.add_with_ids(data, ids)
    ivf = faiss.index_factory(8, "IVF8,SQ8", faiss.METRIC_INNER_PRODUCT)
    ivf.train(data)
    ivf.add_with_ids(data, ids)
    bare = faiss.IndexFlatIP(8)
    bare.add(data[:5])
    assert np.array_equal(index_ids(mapped), np.sort(ids))
    assert np.array_equal(index_ids(ivf), np.sort(ids))
    assert np.array_equal(index_ids(bare), np.arange(5))


def test_a_damaged_database_file(built_kb):
    path = built_kb.settings.db_path
    built_kb.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = built_kb.conn.execute("PRAGMA page_size").fetchone()[0]
    root = built_kb.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'chunks_sha'").fetchone()[0]
    built_kb.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page)
        fh.write(b"\xff\x13" * (page // 2))
    kb = KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(), model="fake", readonly=True)
    first = run_checks(kb)[0]
    kb.close()
    assert (first.name, first.ok) == ("database", False)
    assert first.fix == f"move {path} aside, then rebuild with `kb ingest mirror DIR`"


# -- the command -------------------------------------------------------------------------------

@pytest.fixture
def home(built_kb, monkeypatch):
    monkeypatch.setenv("KB_MODEL", "fake")
    return built_kb.settings.home


def test_check_command_text_json_and_exit_codes(home, built_kb, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "check")
    assert code == 0 and out.splitlines()[0] == "ok   database: integrity check passed"
    assert out.splitlines()[-1] == "Everything is consistent."
    built_kb.conn.execute("DELETE FROM embeddings WHERE sha256 IN (SELECT sha256 FROM chunks ORDER BY id LIMIT 1)")
    code, out, _ = run_main(monkeypatch, capsys, "check")
    assert code == 1
    assert "FAIL vectors: 1 passages have no vector under model 'fake-hash-256'\n     fix: kb index rebuild" in out
    assert out.splitlines()[-1] == "2 problem(s) found."
    code, out, _ = run_main(monkeypatch, capsys, "check", "--json")
    rows = json.loads(out)
    assert code == 1 and [r["name"] for r in rows] == NAMES
    assert {r["name"]: r["ok"] for r in rows}["vectors"] is False and set(rows[0]) == {"name", "ok", "message", "fix"}


def test_the_printed_fix_repairs_it(home, built_kb, monkeypatch, capsys):
    built_kb.conn.execute("DELETE FROM chunks_fts WHERE rowid = (SELECT min(id) FROM chunks)")
    built_kb.conn.execute("DELETE FROM embeddings WHERE sha256 IN (SELECT sha256 FROM chunks ORDER BY id LIMIT 1)")
    assert run_main(monkeypatch, capsys, "check")[0] == 1
    assert run_main(monkeypatch, capsys, "index", "rebuild")[0] == 0
    assert run_main(monkeypatch, capsys, "check")[0] == 0


def test_repair_flag(home, built_kb, monkeypatch, capsys):
    built_kb.conn.execute("PRAGMA foreign_keys = OFF")
    built_kb.conn.execute("INSERT INTO chunk_techniques (chunk_id, technique, category, helped, start, end, snippet)"
                          " VALUES (424242, 'stacking', 'ensembling', 1, 0, 8, 'stacking')")
    code, out, _ = run_main(monkeypatch, capsys, "check", "--repair")
    assert code == 0 and out.startswith("repaired: deleted 1 orphan rows\n")
    assert out.splitlines()[-1] == "Everything is consistent."


# -- the vector table: what its rows are, and none left behind -----------------------------------------------

def _rows_under(kb: KnowledgeBase) -> set[str]:
    return {r[0] for r in kb.conn.execute("SELECT sha256 FROM embeddings WHERE model = ?", (kb.model_id,))}


def test_stats_say_what_the_vector_counts_count(built_kb, home, monkeypatch, capsys):
    stats = built_kb.stats()
    conn = built_kb.conn
    assert stats.embeddings == stats.chunks  # passages with a vector, not rows of the vector table
    distinct = conn.execute("SELECT count(DISTINCT sha256) FROM chunks").fetchone()[0]
    total = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert stats.vectors == {"passages": distinct, "competitions": total - distinct, "other_models": 0}
    assert stats.vectors["competitions"] >= stats.competitions  # a description vector each, and centroids
    conn.execute("INSERT INTO embeddings (model, sha256, vector) VALUES ('another-model', 'abc', x'00000000')")
    assert built_kb.stats().vectors["other_models"] == 1 and failing(built_kb) == {}  # kept for switching back
    code, out, _ = run_main(monkeypatch, capsys, "stats")
    lines = {line.split(":")[0].strip(): line for line in out.splitlines()}
    assert code == 0 and f"embeddings: {stats.chunks}  (passages with a vector under the configured model" in out
    assert lines["vectors"].split(": ", 1)[1].startswith(
        f"passages={distinct}, competitions={total - distinct}, other_models=1  (rows of the vector table")
    assert json.loads(run_main(monkeypatch, capsys, "stats", "--json")[1])["vectors"]["other_models"] == 1


def test_a_changed_document_leaves_no_vector_behind(built_kb, mirror):
    from ingest.mirror import ingest_mirror

    old = {r[0] for r in built_kb.conn.execute("SELECT sha256 FROM chunks")}
    path = mirror / "snapshots/github/alice/galaxy-shapes/README.md"
    path.write_text(path.read_text(encoding="utf-8").replace("dropout", "batch normalisation"), encoding="utf-8")
    ingest_mirror(built_kb, mirror)
    new = {r[0] for r in built_kb.conn.execute("SELECT sha256 FROM chunks")}
    assert old - new and not (old - new) & _rows_under(built_kb)  # the old passages' vectors are gone
    assert built_kb.prune_vectors(dry_run=True) == 0 and failing(built_kb) == {}
    stats = built_kb.stats()
    assert stats.embeddings == stats.chunks and stats.vectors["passages"] == len(new)


def test_vectors_nothing_uses_fail_the_check_and_repair_deletes_them(built_kb, home, monkeypatch, capsys):
    vec = np.ones(256, dtype=np.float32).tobytes()
    built_kb.conn.executemany("INSERT INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                              [(built_kb.model_id, f"{i:064x}", vec) for i in range(3)])
    assert failing(built_kb) == {"vectors": ("3 stored vectors belong to no current passage or competition (left by"
                                             " passages or descriptions that changed or went away)", REPAIR)}
    code, out, _ = run_main(monkeypatch, capsys, "check")
    assert code == 1 and "fix: kb check --repair" in out
    code, out, _ = run_main(monkeypatch, capsys, "check", "--repair")
    assert code == 0 and out.startswith("repaired: deleted 3 unused vectors\n")
    assert failing(built_kb) == {} and not {f"{i:064x}" for i in range(3)} & _rows_under(built_kb)


def test_pruning_keeps_every_vector_recommend_reads(built_kb):
    """After pruning, a read-only recommend finds every competition vector stored: it encodes only the query."""
    built_kb.conn.execute("INSERT INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                          (built_kb.model_id, "f" * 64, np.ones(256, dtype=np.float32).tobytes()))
    assert built_kb.prune_vectors() == 1 and built_kb.prune_vectors() == 0

    class Counting(FakeEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def encode(self, texts, **kwargs):  # noqa: ANN001, ANN003, ANN201
            self.seen += list(texts)
            return super().encode(texts, **kwargs)

    counting = Counting()
    query = "Forecast daily sales of shops from past sales"
    with KnowledgeBase.open(built_kb.settings.home, embedder=counting, model="fake", readonly=True,
                            abstain_below=0.0) as reader:
        rec = reader.recommend(query)
    assert rec.techniques and counting.seen and all(t in query for t in counting.seen)


def test_a_read_only_knowledge_base_only_counts_what_it_would_prune(built_kb):
    built_kb.conn.execute("INSERT INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                          (built_kb.model_id, "e" * 64, np.ones(256, dtype=np.float32).tobytes()))
    with KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(), model="fake", readonly=True) as reader:
        assert reader.prune_vectors(dry_run=True) == 1
        with pytest.raises(BadInputError, match="read-only"):
            reader.prune_vectors()
