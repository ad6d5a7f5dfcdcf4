"""End to end on the mini mirror with the fake embedder: ingest, re-ingest, search, filters."""

import pytest

from ingest.mirror import ingest_mirror
from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder
from kb.errors import EmptyQueryError, IndexMismatchError, NotBuiltError


def test_ingest_stores_documents_competitions_and_links(kb, mirror):
    summary = ingest_mirror(kb, mirror).to_dict()
    assert (summary["new"], summary["changed"], summary["unchanged"], summary["failed"]) == (4, 0, 0, 0)
    assert summary["competitions"] == 3 and summary["embedded_chunks"] > 0
    counts = kb.counts()
    assert counts["documents"] == 4 and counts["competitions"] == 3
    doc = kb.document("https://carol.example/2014/seizure-detection/")
    assert doc.title == "Seizure detection with spectral features"
    assert "tracking" not in doc.text and "Copyright" not in doc.text
    assert sorted((c.slug, c.rank) for c in doc.competitions) == [("brainwave-seizure", None),
                                                                         ("galaxy-shapes", 5)]
    latin = kb.document("https://github.com/dave/old-comp/blob/master/README.txt")
    assert "Résumé" in latin.text and "café" in latin.text


def test_reingest_unchanged_embeds_nothing(kb, mirror):
    ingest_mirror(kb, mirror)
    again = ingest_mirror(kb, mirror).to_dict()
    assert (again["new"], again["changed"], again["unchanged"], again["embedded_chunks"]) == (0, 0, 4, 0)


def test_changed_document_is_reembedded_only_where_text_changed(kb, mirror):
    ingest_mirror(kb, mirror)
    path = mirror / "snapshots/github/alice/galaxy-shapes/README.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n## Postscript\n\nA new closing section about test time"
                    " augmentation with eight flips that we added later.\n", encoding="utf-8")
    again = ingest_mirror(kb, mirror).to_dict()
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 1, 3)
    assert 0 < again["embedded_chunks"] <= 2
    assert kb.search("eight flips test time augmentation", k=1)[0].url.endswith("galaxy-shapes/blob/main/README.md")


def test_an_improved_cleaning_reaches_documents_whose_bytes_did_not_change(kb, mirror):
    from kb.text.clean import CLEAN_VERSION

    ingest_mirror(kb, mirror)
    rows = kb.conn.execute("SELECT url, clean_version FROM documents ORDER BY id").fetchall()
    assert {r["clean_version"] for r in rows} == {CLEAN_VERSION}
    galaxy = "https://github.com/alice/galaxy-shapes/blob/main/README.md"
    chunk_ids = [c.id for c in kb.document(galaxy).chunks]
    text = kb.document(galaxy).text
    # as an older cleaning left them: one document with the same text, one whose text came out differently
    kb.conn.execute("UPDATE documents SET clean_version = NULL")
    kb.conn.execute("UPDATE documents SET text = 'older cleaning', text_sha256 = 'x' WHERE url != ?", (galaxy,))
    again = ingest_mirror(kb, mirror).to_dict()
    assert (again["new"], again["changed"], again["unchanged"], again["embedded_chunks"]) == (0, 3, 1, 0)
    assert kb.document(galaxy).text == text and [c.id for c in kb.document(galaxy).chunks] == chunk_ids
    assert "older cleaning" not in {d.text for d in map(kb.document, [r["url"] for r in rows])}
    assert {r[0] for r in kb.conn.execute("SELECT clean_version FROM documents")} == {CLEAN_VERSION}
    last = ingest_mirror(kb, mirror).to_dict()
    assert (last["changed"], last["unchanged"]) == (0, 4)


def test_search_returns_one_result_per_document_with_competition(built_kb):
    results = built_kb.search("lag features rolling means LightGBM", k=10)
    assert results[0].url == "https://github.com/bob/store-sales/blob/main/docs/solution%20notes.rst"
    assert results[0].competition == "store-sales-forecast" and results[0].rank == 2
    assert results[0].competition_title == "Store Sales Forecast"
    assert len({r.url for r in results}) == len(results)
    assert all(results[i].score >= results[i + 1].score for i in range(len(results) - 1))
    assert "lag" in results[0].snippet.lower()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_each_mode_finds_the_eeg_writeup(built_kb, mode):
    results = built_kb.search("EEG seizure FFT band power", k=3, mode=mode)
    assert results[0].url == "https://carol.example/2014/seizure-detection/"


def test_filters(built_kb):
    q = "features models validation"
    assert {r.source for r in built_kb.search(q, source="blog")} == {"blog"}
    assert {r.competition for r in built_kb.search(q, competition="galaxy-shapes")} == {"galaxy-shapes"}
    assert all(r.rank is not None and r.rank <= 2 for r in built_kb.search(q, max_rank=2))
    assert {r.year for r in built_kb.search(q, year_min=2020)} == {2021}
    no_galaxy = built_kb.search(q, exclude_competition="galaxy-shapes")
    assert all(r.competition != "galaxy-shapes" for r in no_galaxy)
    assert "https://carol.example/2014/seizure-detection/" not in {r.url for r in no_galaxy}
    assert built_kb.search(q, source="nowhere") == []


@pytest.mark.parametrize("query", ["", "   ", "?!", None])
def test_empty_queries_are_a_clear_error(built_kb, query):
    with pytest.raises(EmptyQueryError):
        built_kb.search(query)


def test_search_on_empty_kb_says_how_to_build(kb):
    with pytest.raises(NotBuiltError, match="kb ingest mirror"):
        kb.search("anything")


def test_index_built_with_other_model_is_detected(built_kb, tmp_path):
    other = KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(dim=64), model="fake:64")
    with pytest.raises(IndexMismatchError, match="kb index rebuild"):
        other.search("seizure", mode="dense")
    other.embed_pending()
    other.rebuild_index()
    assert other.search("seizure", mode="dense")
    other.close()


def test_index_rebuild_from_sqlite_gives_same_results(built_kb):
    before = [r.url for r in built_kb.search("galaxy rotation augmentation")]
    (built_kb.settings.index_dir / "dense.faiss").unlink()
    with pytest.raises(NotBuiltError):
        built_kb.search("galaxy", mode="dense")
    built_kb.rebuild_index(keyword_too=True)
    assert [r.url for r in built_kb.search("galaxy rotation augmentation")] == before
