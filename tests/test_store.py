import sqlite3

import pytest

from kb.records import Competition, CompetitionLink
from kb.store import db, write
from kb.store.db import transaction
from kb.store.schema import MIGRATIONS
from kb.text.chunking import Chunk


@pytest.fixture
def conn(tmp_path):
    c = db.connect(tmp_path / "kb.sqlite")
    db.migrate(c, MIGRATIONS)
    yield c
    c.close()


def test_migrations_are_recorded_and_idempotent(tmp_path):
    c = db.connect(tmp_path / "kb.sqlite")
    ran = db.migrate(c, MIGRATIONS)
    assert ran == [n for n, _, _ in MIGRATIONS]
    assert db.migrate(c, MIGRATIONS) == []
    assert db.applied_migrations(c) == ran
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"competitions", "documents", "document_competitions", "chunks", "embeddings", "chunks_fts"} <= tables


def test_failed_migration_rolls_back(tmp_path):
    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    c = db.connect(tmp_path / "kb.sqlite")
    with pytest.raises(RuntimeError):
        db.migrate(c, [*MIGRATIONS, db.Migration(999, "broken", broken)])
    assert 999 not in db.applied_migrations(c)
    assert c.execute("SELECT count(*) FROM sqlite_master WHERE name='half_done'").fetchone()[0] == 0


def test_two_migrations_with_one_number_are_refused(tmp_path):
    c = db.connect(tmp_path / "kb.sqlite")
    with pytest.raises(RuntimeError, match="duplicate migration numbers"):
        db.migrate(c, [*MIGRATIONS, db.Migration(MIGRATIONS[-1].number, "again", lambda conn: None)])
    assert db.applied_migrations(c) == []


def test_upsert_competition_keeps_known_fields(conn):
    with transaction(conn):
        cid = write.upsert_competition(conn, Competition("galaxy", title="Galaxy", year=2014, metric="RMSE"))
        again = write.upsert_competition(conn, Competition("galaxy", title="Galaxy Zoo"))
    assert cid == again
    row = conn.execute("SELECT title, year, metric FROM competitions WHERE id = ?", (cid,)).fetchone()
    assert tuple(row) == ("Galaxy Zoo", 2014, "RMSE")


def _row(url="https://x.example/a", text="some text", raw="r1"):
    return write.DocumentRow(url=url, source="blog", title="T", author=None, date=None, content_type="text/plain",
                             raw_sha256=write.sha256(raw), text=text, language="en", license=None, site=None,
                             fetched_url=None)


def test_save_document_replaces_chunks_and_fts(conn):
    chunks = [Chunk(0, "A", "alpha beta"), Chunk(1, "A > B", "gamma delta")]
    with transaction(conn):
        doc_id, new = write.save_document(conn, _row(), chunks)
    assert new
    assert conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'gamma'").fetchone()[0] == 1
    with transaction(conn):
        doc_id2, new2 = write.save_document(conn, _row(text="new text", raw="r2"), [Chunk(0, "", "epsilon")])
    assert (doc_id2, new2) == (doc_id, False)
    assert conn.execute("SELECT count(*) FROM chunks").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'gamma'").fetchone()[0] == 0
    assert write.rebuild_fts(conn) == 1


def test_links_are_idempotent_and_allow_several_ranks(conn):
    with transaction(conn):
        doc_id, _ = write.save_document(conn, _row(), [Chunk(0, "", "x")])
        links = [CompetitionLink("comp-a", 1), CompetitionLink("comp-a", 3), CompetitionLink("comp-b", None)]
        assert write.link_document(conn, doc_id, links) == 3
        assert write.link_document(conn, doc_id, links) == 0
    assert conn.execute("SELECT count(*) FROM competitions").fetchone()[0] == 2


def test_transaction_rolls_back_on_error(conn):
    with pytest.raises(sqlite3.IntegrityError), transaction(conn):
        write.save_document(conn, _row(), [Chunk(0, "", "x")])
        conn.execute("INSERT INTO documents (url) VALUES (NULL)")
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
