"""Document facts in the knowledge base: migration 4, the enrich step, and where a user sees them."""

from __future__ import annotations

import json

import pytest

from ingest.mirror import ingest_mirror
from kb.api import KnowledgeBase
from kb.docfacts import load_facts
from kb.embed import FakeEmbedder
from kb.enrich import document_facts, facts_version, stale_facts
from tests.fixtures.mini_mirror import write_mirror
from tests.test_cli import run_main

COLUMNS = ["document_id", "version", "text_sha256", "rank", "rank_source", "is_writeup", "not_writeup_reason",
           "named_competition"]

# three more documents, in our own words: one about another competition than the one it is linked to,
# one that states its rank only in its text, one that is not a write-up at all
EXTRA_FILES = {
    "snapshots/github/erin/plinko-notes/README.md": (
        "# Galaxy Shapes Challenge: rotated crops\n\nOur entry to the Galaxy Shapes Challenge trained a small "
        "convolutional network on rotated crops of each image, averaged over eight flips.\n"),
    "snapshots/blogs/frank.example/brainwave.md": (
        "---\ntitle: Notes from the zorbwave challenge\n---\n\nWe finished 3rd out of 504 teams. Each EEG clip "
        "was cut into windows; zorbwave band powers fed a random forest per patient.\n"),
    "snapshots/blogs/frank.example/career.md": (
        "---\ntitle: How I found my first data science job\n---\n\nAfter two years of competitions a recruiter "
        "wrote to me. I trained models at night and kept notes on every feature I tried.\n"),
}
EXTRA_ROWS = [
    {"url": "https://github.com/erin/plinko-notes/blob/main/README.md",
     "raw_url": "https://raw.githubusercontent.com/erin/plinko-notes/main/README.md",
     "path": "snapshots/github/erin/plinko-notes/README.md", "content_type": "text/markdown", "source": "github",
     "title": None, "competition_slug": "store-sales-forecast", "competition_title": "Store Sales Forecast",
     "rank": None, "license": None},
    {"url": "https://frank.example/zorbwave/", "path": "snapshots/blogs/frank.example/brainwave.md",
     "content_type": "text/markdown", "source": "blog", "title": "Notes from the zorbwave challenge",
     "date": "2015-01-10", "author": "Frank", "site": "frank.example", "competition_slug": "brainwave-seizure",
     "rank": None},
    {"url": "https://frank.example/career/", "path": "snapshots/blogs/frank.example/career.md",
     "content_type": "text/markdown", "source": "blog", "title": "How I found my first data science job",
     "date": "2016-03-01", "author": "Frank", "site": "frank.example", "competition_slug": "store-sales-forecast",
     "rank": None},
]
FLAGGED = "https://github.com/erin/plinko-notes/blob/main/README.md"


@pytest.fixture
def facts_kb(kb, tmp_path) -> KnowledgeBase:
    root = write_mirror(tmp_path / "facts-mirror", extra_rows=EXTRA_ROWS)
    for rel, text in EXTRA_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    summary = ingest_mirror(kb, root)
    assert not summary.failures
    return kb


def doc_id(kb: KnowledgeBase, url: str) -> int:
    return kb.conn.execute("SELECT id FROM documents WHERE url = ?", (url,)).fetchone()[0]


def test_migration_4_creates_the_table(kb):
    assert (4, "document_facts") in [tuple(r) for r in kb.conn.execute("SELECT number, name FROM _migrations")]
    assert [r[1] for r in kb.conn.execute("PRAGMA table_info(document_facts)")] == COLUMNS


def test_ingest_reads_the_facts_of_every_document(built_kb):
    facts = load_facts(built_kb.conn)
    docs = built_kb.conn.execute("SELECT id, url, text_sha256 FROM documents").fetchall()
    assert set(facts) == {d["id"] for d in docs}
    for d in docs:
        f = facts[d["id"]]
        links = [r[0] for r in built_kb.conn.execute(
            "SELECT co.slug FROM document_competitions dc JOIN competitions co ON co.id = dc.competition_id"
            " WHERE dc.document_id = ?", (d["id"],))]
        assert (f.text_sha256, f.version) == (d["text_sha256"], facts_version(links))
        assert f.is_writeup and f.not_writeup_reason is None and f.named_competition is None, d["url"]
    galaxy = facts[doc_id(built_kb, "https://github.com/alice/galaxy-shapes/blob/main/README.md")]
    assert (galaxy.rank, galaxy.rank_source) == (1, "title")


def test_facts_are_read_again_only_when_text_links_or_rules_change(built_kb, monkeypatch):
    conn = built_kb.conn
    assert document_facts(conn) == 0 and stale_facts(conn) == []
    sales = doc_id(built_kb, "https://github.com/bob/store-sales/blob/main/docs/solution%20notes.rst")
    conn.execute("UPDATE documents SET text = ?, text_sha256 = 'changed' WHERE id = ?",
                 ("Store sales\n\nWe finished 7th out of 812 teams with lag features and a boosted model.", sales))
    assert stale_facts(conn) == [sales]
    assert document_facts(conn) == 1
    assert (load_facts(conn)[sales].rank, load_facts(conn)[sales].rank_source) == (7, "text")
    latin = doc_id(built_kb, "https://github.com/dave/old-comp/blob/master/README.txt")
    conn.execute("INSERT INTO document_competitions (document_id, competition_id)"
                 " SELECT ?, id FROM competitions WHERE slug = 'galaxy-shapes'", (latin,))
    assert document_facts(conn) == 1 and document_facts(conn) == 0
    monkeypatch.setattr("kb.enrich.RULES_VERSION", "next")
    assert document_facts(conn) == built_kb.counts()["documents"]
    conn.execute("DELETE FROM documents WHERE id = ?", (latin,))
    assert latin not in load_facts(conn)


def test_extra_documents_get_their_facts(facts_kb):
    facts = load_facts(facts_kb.conn)
    flagged = facts[doc_id(facts_kb, FLAGGED)]
    assert flagged.named_competition == "galaxy-shapes" and flagged.is_writeup
    ranked = facts[doc_id(facts_kb, "https://frank.example/zorbwave/")]
    assert (ranked.rank, ranked.rank_source, ranked.is_writeup) == (3, "text", True)
    career = facts[doc_id(facts_kb, "https://frank.example/career/")]
    assert (career.is_writeup, career.not_writeup_reason) == (False, "career story")


def test_search_shows_the_parsed_rank_when_the_catalog_has_none(facts_kb):
    [result] = facts_kb.search("zorbwave band powers", k=1, mode="keyword")
    assert (result.url, result.competition, result.rank) == ("https://frank.example/zorbwave/", "brainwave-seizure", 3)
    # a catalog rank wins; a flagged link keeps its empty rank
    assert facts_kb.best_link(doc_id(facts_kb, "https://carol.example/2014/seizure-detection/")).rank == 5
    assert facts_kb.best_link(doc_id(facts_kb, FLAGGED)).rank is None


def test_check_warns_and_still_passes(facts_kb, monkeypatch, capsys):
    monkeypatch.setenv("KB_MODEL", "fake")
    code, out, _ = run_main(monkeypatch, capsys, "check")
    assert code == 0 and out.splitlines()[-1] == "Everything is consistent."
    assert (f"warn linked competition: {FLAGGED} is linked to store-sales-forecast but its text names galaxy-shapes"
            in out.splitlines())
    assert ("warn not a write-up: https://frank.example/career/ (linked to store-sales-forecast) is not a solution"
            " write-up: career story" in out.splitlines())
    code, out, _ = run_main(monkeypatch, capsys, "check", "--json")
    rows = json.loads(out)
    assert code == 0 and all(r["ok"] for r in rows)
    warnings = [r for r in rows if r.get("warning")]
    assert [(r["name"], r["url"], r["linked"], r["named"]) for r in warnings] == [
        ("linked competition", FLAGGED, "store-sales-forecast", "galaxy-shapes"),
        ("not a write-up", "https://frank.example/career/", "store-sales-forecast", None),
    ]


def test_check_repair_reads_missing_facts(facts_kb, monkeypatch, capsys):
    monkeypatch.setenv("KB_MODEL", "fake")
    facts_kb.conn.execute("DELETE FROM document_facts")
    code, out, _ = run_main(monkeypatch, capsys, "check")
    assert code == 0 and "warn document facts: 7 documents have not been read for rank, kind and named" \
        " competition yet\n     fix: kb check --repair" in out
    code, out, _ = run_main(monkeypatch, capsys, "check", "--repair")
    assert code == 0 and out.startswith("repaired: read the facts of 7 documents\n")
    assert "warn document facts" not in out and "warn linked competition" in out


def test_stats_count_the_facts(facts_kb, monkeypatch, capsys):
    monkeypatch.setenv("KB_MODEL", "fake")
    code, out, _ = run_main(monkeypatch, capsys, "stats", "--json")
    stats = json.loads(out)
    assert code == 0 and (stats["not_writeups"], stats["flagged_links"], stats["parsed_ranks"]) == (1, 1, 1)
    code, out, _ = run_main(monkeypatch, capsys, "stats")
    assert code == 0 and "not_writeups: 1" in out


def test_a_read_only_database_from_before_the_facts_still_answers(built_kb):
    built_kb.conn.execute("DROP TABLE document_facts")
    reader = KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(), model="fake", readonly=True)
    try:
        assert load_facts(reader.conn) == {}
        assert reader.search("lag features", k=1, mode="keyword")[0].rank == 2
        stats = reader.stats()
        assert (stats.not_writeups, stats.flagged_links, stats.parsed_ranks) == (0, 0, 0)
    finally:
        reader.close()
