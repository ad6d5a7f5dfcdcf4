"""``kb export``: documents, competitions and technique mentions as JSON Lines or Parquet, with provenance."""

from __future__ import annotations

import json

import pytest

from kb import BadInputError, ExportedTable
from kb.enrich import vocabulary_version
from kb.export import TABLES
from tests.test_cli import run_main

pq = pytest.importorskip("pyarrow.parquet")


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_holds_every_document_competition_and_mention(built_kb, tmp_path):
    written = built_kb.export(tmp_path / "out")
    assert [(w.table, w.path.name) for w in written] == [
        ("documents", "documents.jsonl"), ("competitions", "competitions.jsonl"),
        ("technique_mentions", "technique_mentions.jsonl")]
    assert all(isinstance(w, ExportedTable) for w in written)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(w.path.name for w in written)
    docs, comps, mentions = (read_jsonl(w.path) for w in written)
    assert [w.rows for w in written] == [len(docs), len(comps), len(mentions)]
    counts = built_kb.counts()
    assert (len(docs), len(comps)) == (counts["documents"], counts["competitions"])
    for table, rows in zip(TABLES.values(), (docs, comps, mentions), strict=True):
        assert all(list(r) == [c.name for c in table.columns] for r in rows)

    galaxy = next(d for d in docs if d["url"] == "https://github.com/alice/galaxy-shapes/blob/main/README.md")
    stored = built_kb.document(galaxy["url"])
    assert galaxy["text"] == stored.text and galaxy["title"] == stored.title and galaxy["source"] == "github"
    assert galaxy["competitions"] == [{"slug": "galaxy-shapes", "rank": 1, "link_kind": None}]
    carol = next(d for d in docs if d["url"] == "https://carol.example/2014/seizure-detection/")
    assert [(c["slug"], c["rank"]) for c in carol["competitions"]] == [("galaxy-shapes", 5),
                                                                        ("brainwave-seizure", None)]
    assert galaxy["passages"] == len(stored.chunks) and galaxy["is_writeup"] is True
    assert {c["slug"]: (c["year"], c["documents"]) for c in comps} == {
        "galaxy-shapes": (2014, 2), "store-sales-forecast": (2021, 1), "brainwave-seizure": (2014, 1)}
    galaxy_comp = next(c for c in comps if c["slug"] == "galaxy-shapes")
    assert (galaxy_comp["kind"], galaxy_comp["modality"]) == ("Featured", "image")

    total = built_kb.conn.execute("SELECT count(*) FROM chunk_techniques").fetchone()[0]
    assert len(mentions) == total > 0
    version = vocabulary_version(built_kb.vocabulary)
    for m in mentions:
        chunk = next(c for c in built_kb.document(m["document_url"]).chunks if c.id == m["chunk_id"])
        assert m["mention"] == chunk.text[m["start"]:m["end"]] and m["heading_path"] == chunk.heading_path
        assert m["passage"] == chunk.position and m["vocabulary"] == version and isinstance(m["helped"], bool)
        assert m["mention"].lower().replace("-", " ")[:3] in m["sentence"].lower().replace("-", " ")
    seeds = next(m for m in mentions if m["document_url"] == galaxy["url"] and m["technique"] == "Seed Averaging")
    assert seeds["competitions"] == galaxy["competitions"] and seeds["helped"] is True
    assert seeds["sentence"].startswith("We averaged twelve models trained with different seeds")
    assert (seeds["mention"], seeds["heading_path"]) == ("different seeds", "Galaxy Shapes: first place")
    dropped = next(m for m in mentions if m["technique"] == "Pseudo-Labeling")
    assert dropped["helped"] is False
    assert dropped["sentence"] == "Pseudo labeling the test set did not help and we dropped it."


def test_parquet_has_the_same_rows_with_a_typed_schema(built_kb, tmp_path, monkeypatch):
    monkeypatch.setattr("kb.export.BATCH_ROWS", 2)  # written batch by batch, as a large corpus would be
    as_jsonl = {w.table: read_jsonl(w.path) for w in built_kb.export(tmp_path / "j")}
    written = built_kb.export(tmp_path / "p", format="parquet")
    for w in written:
        assert w.path.suffix == ".parquet"
        parquet = pq.ParquetFile(w.path)
        assert parquet.metadata.num_rows == w.rows == len(as_jsonl[w.table])
        assert parquet.metadata.num_row_groups == max(1, -(-w.rows // 2))
        assert parquet.read().to_pylist() == as_jsonl[w.table]
        schema = parquet.schema_arrow
        assert schema.names == [c.name for c in TABLES[w.table].columns]
        assert schema.metadata[b"table"] == w.table.encode()
    docs = pq.read_table(tmp_path / "p" / "documents.parquet").schema
    assert str(docs.field("competitions").type) == "list<element: struct<slug: string, rank: int64, link_kind: string>>"
    assert str(docs.field("is_writeup").type) == "bool"
    assert str(docs.field("other_urls").type) == "list<element: string>"


def test_one_table_and_an_empty_table(built_kb, tmp_path):
    from kb import KnowledgeBase
    from kb.embed import FakeEmbedder

    [only] = built_kb.export(tmp_path / "one", tables=["competitions"])
    assert only.table == "competitions" and [p.name for p in (tmp_path / "one").iterdir()] == ["competitions.jsonl"]
    with KnowledgeBase.open(tmp_path / "empty", embedder=FakeEmbedder(), model="fake") as empty:
        [w] = empty.export(tmp_path / "none", format="parquet", tables=["technique_mentions"])
    assert w.rows == 0 and pq.read_table(w.path).num_rows == 0
    assert pq.read_table(w.path).schema.names == [c.name for c in TABLES["technique_mentions"].columns]


def test_bad_requests_are_bad_input(built_kb, tmp_path):
    with pytest.raises(BadInputError, match="unknown export format 'xlsx': choose from jsonl, parquet"):
        built_kb.export(tmp_path, format="xlsx")
    with pytest.raises(BadInputError, match="unknown table.*passages: choose from documents, competitions"):
        built_kb.export(tmp_path, tables=["passages"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInputError, match="cannot create the output folder"):
        built_kb.export(tmp_path / "file" / "out")
    assert not list(tmp_path.glob("*.jsonl"))


def test_export_command(mirror, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_MODEL", "fake")
    out_dir = tmp_path / "exported"
    code, _, err = run_main(monkeypatch, capsys, "export", "--out", str(out_dir))
    assert code == 3 and "kb ingest mirror" in err  # nothing to export yet
    assert run_main(monkeypatch, capsys, "ingest", "mirror", str(mirror))[0] == 0
    code, out, _ = run_main(monkeypatch, capsys, "export", "--out", str(out_dir), "--format", "parquet", "--json")
    listed = json.loads(out)
    assert code == 0 and [r["table"] for r in listed] == list(TABLES)
    assert all(pq.read_table(r["path"]).num_rows == r["rows"] for r in listed)
    code, out, _ = run_main(monkeypatch, capsys, "export", "--out", str(out_dir), "--table", "documents")
    assert code == 0 and out.strip().endswith(str(out_dir / "documents.jsonl")) and len(out.splitlines()) == 1
    code, _, err = run_main(monkeypatch, capsys, "export", "--out", str(out_dir), "--table", "chunks")
    assert code == 2 and "'chunks' is not one of 'documents', 'competitions', 'technique_mentions'" in err
