"""Incremental vector-index updates through KnowledgeBase (goes with /tmp/kbperf/index_update.patch)."""

from ingest.mirror import ingest_mirror
from kb.search import dense
from kb.store import vectors


def indexed(kb) -> list[tuple[int, int]]:
    return sorted(map(tuple, dense.read_table(kb.settings.index_dir).tolist()))


def wanted(kb) -> list[tuple[int, int]]:
    ids, keys = vectors.vector_keys(kb.conn, kb.model_id)
    return sorted(zip(ids.tolist(), keys.tolist(), strict=True))


def test_a_changed_document_updates_the_index_without_a_rebuild(kb, mirror, monkeypatch):
    ingest_mirror(kb, mirror)
    assert indexed(kb) == wanted(kb)
    rebuilds = []
    monkeypatch.setattr(dense, "write_index", lambda *a, **k: rebuilds.append(a))
    path = mirror / "snapshots/github/alice/galaxy-shapes/README.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## Postscript\n\nA closing section about eight flips"
                    " at test time that we added later.\n", encoding="utf-8")
    ingest_mirror(kb, mirror)
    assert rebuilds == []
    assert indexed(kb) == wanted(kb)
    assert kb.search("eight flips test time", k=1)[0].url.endswith("galaxy-shapes/blob/main/README.md")


def test_update_index_rebuilds_when_there_is_no_index(kb, mirror):
    ingest_mirror(kb, mirror)
    for name in (dense.INDEX_FILE, dense.IDS_FILE, dense.META_FILE):
        (kb.settings.index_dir / name).unlink()
    meta = kb.update_index()
    assert meta.count == len(wanted(kb)) and indexed(kb) == wanted(kb)
