"""Document facts in the knowledge base: migration 4, the enrich step, and where a user sees them."""

from __future__ import annotations

from kb.api import KnowledgeBase
from kb.docfacts import load_facts
from kb.enrich import document_facts, facts_version, stale_facts

COLUMNS = ["document_id", "version", "text_sha256", "rank", "rank_source", "is_writeup", "not_writeup_reason",
           "named_competition"]

def doc_id(kb: KnowledgeBase, url: str) -> int:
    return kb.conn.execute("SELECT id FROM documents WHERE url = ?", (url,)).fetchone()[0]


def test_migration_4_creates_the_table(kb):
    assert [tuple(r) for r in kb.conn.execute("SELECT number, name FROM _migrations ORDER BY number")][3:] == \
        [(4, "document_facts")]
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
