"""One write-up, two URLs: Meta Kaggle's ``/c/<slug>/discussion/<topic>`` and the catalog's
``/writeups/<name>`` are stored once, with both URLs remembered."""

from __future__ import annotations

import json

from ingest.crawl import ingest_urls
from ingest.meta_kaggle import ingest_meta_kaggle
from ingest.sources.kaggle import API, SITE, WRITEUP_BY_SLUG
from kb.records import CompetitionLink, FetchedDocument
from kb.store import db, write
from kb.store.db import transaction
from kb.store.schema import MIGRATIONS
from tests.fixtures import kaggle_payloads as kp
from tests.fixtures.canned_http import canned_fetcher, ok
from tests.fixtures.meta_kaggle_dump import MESSAGES, write_dump

TOPIC_URL = "https://www.kaggle.com/c/shop-demand/discussion/5000"  # what Meta Kaggle stores (topic 5000)
WRITEUP_URL = "https://www.kaggle.com/competitions/shop-demand/writeups/alpha-lag-features"  # the catalog's link
ANN = kp.user("Ann Alpha", "annalpha")


def writeup_fetcher(markdown: str = MESSAGES[1][6]):
    answer = kp.writeup(5000, "alpha-lag-features", "1st place - lag features", ANN, markdown, slug="shop-demand")
    return canned_fetcher({f"{SITE}/": ok("<html></html>", **{"Set-Cookie": "XSRF-TOKEN=t; path=/"}),
                           API + WRITEUP_BY_SLUG: ok(json.dumps(answer), "application/json")})


def doc_row(kb, url: str):
    return kb.conn.execute("SELECT id, url, author FROM documents WHERE url = ?", (url,)).fetchone()


def test_a_catalog_writeup_already_imported_from_meta_kaggle_is_kept_once(kb, tmp_path):
    ingest_meta_kaggle(kb, write_dump(tmp_path / "meta"))
    before = kb.counts()["documents"]
    fetcher, _ = writeup_fetcher("A newer edit of the same post, fetched from the write-up page itself.")
    d = ingest_urls(kb, fetcher, [WRITEUP_URL]).to_dict()
    assert (d["new"], d["unchanged"], kb.counts()["documents"]) == (0, 1, before)
    stored = doc_row(kb, TOPIC_URL)
    assert write.document_urls(kb.conn, stored["id"]) == [TOPIC_URL, WRITEUP_URL]
    assert write.find_same_document(kb.conn, [WRITEUP_URL])["id"] == stored["id"]
    assert stored["author"] == "Ann Alpha"  # Meta Kaggle has no author name; the write-up filled it in
    assert "Lag features" in kb.document(TOPIC_URL).text  # the copy stored first is the one kept
    by_other_url = kb.document(WRITEUP_URL)  # opened from the catalog's link: the same document
    assert by_other_url is not None and by_other_url.url == TOPIC_URL and by_other_url.id == stored["id"]
    assert kb.document("https://www.kaggle.com/competitions/shop-demand/writeups/unknown") is None
    ranks = [(c.slug, c.rank) for c in kb.document(TOPIC_URL).competitions]
    assert ranks == [("shop-demand", 1)]


def test_meta_kaggle_recognises_a_writeup_stored_from_the_catalog_first(kb, tmp_path):
    fetcher, _ = writeup_fetcher("The post as the write-up page has it, which Meta Kaggle will have edited.")
    assert ingest_urls(kb, fetcher, [WRITEUP_URL]).to_dict()["new"] == 1
    d = ingest_meta_kaggle(kb, write_dump(tmp_path / "meta")).to_dict()
    assert (d["new"], d["unchanged"]) == (3, 1)
    stored = doc_row(kb, WRITEUP_URL)
    assert doc_row(kb, TOPIC_URL) is None and write.document_urls(kb.conn, stored["id"]) == [WRITEUP_URL, TOPIC_URL]
    again = ingest_meta_kaggle(kb, write_dump(tmp_path / "meta")).to_dict()
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 4)


def test_the_same_text_under_another_url_of_the_same_source_is_one_document(kb):
    text = b"# Our solution\n\nGradient boosting on lag features, then a blend with a small neural network.\n"
    first = FetchedDocument(url="https://www.kaggle.com/c/x/discussion/1", source="kaggle", raw=text,
                            content_type="text/markdown", links=(CompetitionLink("x", 2),))
    same = FetchedDocument(url="https://www.kaggle.com/c/x/writeups/team", source="kaggle", raw=text,
                           content_type="text/markdown", links=(CompetitionLink("x", 2, "writeup"),))
    other_source = FetchedDocument(url="https://github.com/a/b", source="github", raw=text,
                                   content_type="text/markdown")
    assert kb.add_document(first).status == "new"
    out = kb.add_document(same)
    assert (out.status, out.reason, out.document_id) == ("unchanged", "duplicate", kb.document(first.url).id)
    assert "the same document as https://www.kaggle.com/c/x/discussion/1" in out.detail
    assert kb.add_document(other_source).status == "new"  # a copy elsewhere is another document
    assert kb.counts()["documents"] == 2


def test_other_urls_go_with_their_document(kb):
    doc = FetchedDocument(url="https://www.kaggle.com/c/x/writeups/team", source="kaggle", content_type="text/markdown",
                          raw=b"# Team write-up\n\nTarget encoding and five seeds of a boosted model did it.\n",
                          same_as=("https://www.kaggle.com/c/x/discussion/7",))
    doc_id = kb.add_document(doc).document_id
    assert write.document_urls(kb.conn, doc_id) == [doc.url, "https://www.kaggle.com/c/x/discussion/7"]
    with transaction(kb.conn):
        kb.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
    assert kb.conn.execute("SELECT count(*) FROM document_urls").fetchone()[0] == 0


def test_another_documents_own_url_is_never_taken_as_an_alias(kb):
    a = FetchedDocument(url="https://a.example/1", source="blog", content_type="text/markdown",
                        raw=b"# One\n\nThe first post, about stacking out-of-fold predictions.\n")
    b = FetchedDocument(url="https://a.example/2", source="blog", content_type="text/markdown",
                        raw=b"# Two\n\nThe second post, about pseudo labelling the test set twice.\n")
    a_id, b_id = kb.add_document(a).document_id, kb.add_document(b).document_id
    assert write.remember_urls(kb.conn, a_id, ["https://a.example/2", "https://a.example/1?utm_source=x"]) == 1
    assert write.document_urls(kb.conn, b_id) == ["https://a.example/2"]


def test_the_migration_is_number_five(tmp_path):
    conn = db.connect(tmp_path / "kb.sqlite")
    db.migrate(conn, MIGRATIONS)
    assert (5, "document_urls") in [(n, name) for n, name, _ in MIGRATIONS]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'documents_text_sha'").fetchone()[0] == 1
