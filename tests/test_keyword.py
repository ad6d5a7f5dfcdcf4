import sqlite3

import pytest

from kb.search.keyword import fts_query, prune_terms, search
from kb.search.terms import query_terms


def test_query_terms_drop_stopwords_and_dedupe():
    terms = query_terms("What is the best U-Net for the satellite images?")
    assert terms == ["best", "u", "net", "satellite", "images"]
    assert query_terms("the and of") == ["the", "and", "of"]  # only stop-words: keep them
    assert query_terms("!!! ???") == []


@pytest.mark.parametrize("text", ['NOT boosting', 'a OR b', '"unbalanced quote', 'prefix*', 'col:umn', 'x AND (y',
                                  "NEAR(a b)", "^start", "-minus +plus"])
def test_fts_syntax_in_user_input_never_breaks_a_query(text):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(title, heading, text, tokenize='porter unicode61')")
    conn.execute("INSERT INTO chunks_fts (rowid, title, heading, text)"
                 " VALUES (1, 't', 'h', 'not boosting prefix column')")
    assert isinstance(search(conn, text), list)


def test_search_ranks_matching_chunk_first_and_respects_allowed():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(title, heading, text, tokenize='porter unicode61')")
    rows = [(1, "A", "", "we used pseudo labels on the test set"), (2, "B", "", "gradient boosting with lag features"),
            (3, "C", "", "pseudo labeling and pseudo labels again helped")]
    conn.executemany("INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (?, ?, ?, ?)", rows)
    hits = search(conn, "pseudo labeling")
    assert [h[0] for h in hits][:2] == [3, 1]
    assert hits[0][1] > hits[1][1]
    assert search(conn, "pseudo labeling", allowed={1, 2}) == [(1, pytest.approx(hits[1][1]))]
    assert search(conn, "pseudo", allowed=set()) == []


def test_fts_query_quotes_terms():
    assert fts_query('say "hi" NOT') == '"say" OR "hi"'


def test_prune_terms_keeps_rare_words_within_the_budget():
    freq = {"satellite": 10, "unet": 5, "features": 900, "model": 800}
    terms = ["unet", "features", "satellite", "model"]
    assert prune_terms(terms, freq, budget=2000) == terms  # under budget: unchanged
    assert prune_terms(terms, freq, budget=100) == ["unet", "satellite"]
    assert prune_terms(["a", "b"], {"a": 500, "b": 700}, budget=100) == ["a"]  # the rarest always stays


def test_search_drops_common_words_past_the_budget():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(title, heading, text, tokenize='porter unicode61')")
    rows = [(i, "", "", "common words everywhere") for i in range(1, 50)] + [(50, "", "", "common rare gem")]
    conn.executemany("INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (?, ?, ?, ?)", rows)
    assert [r[0] for r in search(conn, "rare common", budget=10)] == [50]
    assert len(search(conn, "rare common", budget=1000)) == 50
