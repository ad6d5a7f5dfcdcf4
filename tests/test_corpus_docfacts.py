"""Corpus tier: document facts read from the real snapshot (ranks, non-write-ups, a mislinked write-up)."""

from __future__ import annotations

import pytest

from kb.docfacts import load_facts

pytestmark = [pytest.mark.corpus, pytest.mark.model]

CARVANA = "https://github.com/smg478/Kaggle-CarvanaImageMaskingChallenge/blob/master/README.md"


@pytest.fixture(scope="module")
def facts_by_url(real_kb):
    facts = load_facts(real_kb.conn)
    urls = dict(real_kb.conn.execute("SELECT id, url FROM documents").fetchall())
    assert set(facts) == set(urls)
    return {urls[i]: f for i, f in facts.items()}


def test_the_carvana_write_up_linked_to_the_cervical_cancer_competition_is_flagged(facts_by_url):
    assert facts_by_url[CARVANA].named_competition == "carvana-image-masking-challenge"
    flagged = {url for url, f in facts_by_url.items() if f.named_competition}
    assert flagged == {CARVANA}


@pytest.mark.parametrize("url, rank, source", [
    ("https://khavo.ai/kaggle/2020/09/15/halite.html", 8, "title"),
    ("https://khavo.ai/kaggle/2021/11/30/googlebrain.html", 1, "title"),
    ("https://ryaniswong.com/post/kaggle-dfdc/", 15, "title"),
    ("http://juliandewit.github.io/kaggle-ndsb/", 3, "title"),
    ("http://irakorshunova.github.io/blog/heart", 2, "text"),
    ("http://irakorshunova.github.io/blog/seizures", 10, "text"),
    ("http://juliandewit.github.io/kaggle-criteo/", 4, "text"),
    ("https://sander.ai/2014/04/05/galaxy-zoo.html", 1, "text"),
    ("https://eliasvansteenkiste.github.io/machine%20learning/lung-cancer-pred/", 9, "text"),
])
def test_ranks_the_catalog_does_not_have(real_kb, facts_by_url, url, rank, source):
    f = facts_by_url[url]
    assert (f.rank, f.rank_source) == (rank, source)
    doc_id = real_kb.conn.execute("SELECT id FROM documents WHERE url = ?", (url,)).fetchone()[0]
    assert real_kb.best_link(doc_id).rank == rank


def test_parsed_ranks_agree_with_the_catalog(real_kb, facts_by_url):
    """Where the catalog has a rank, the parsed one (when there is one) agrees almost always."""
    ranked = real_kb.conn.execute(
        "SELECT d.url, dc.rank FROM document_competitions dc JOIN documents d ON d.id = dc.document_id"
        " WHERE dc.rank IS NOT NULL").fetchall()
    catalog: dict[str, set[int]] = {}
    for url, rank in ranked:
        catalog.setdefault(url, set()).add(rank)
    parsed = {url: facts_by_url[url].rank for url in catalog if facts_by_url[url].rank is not None}
    disagree = [url for url, rank in parsed.items() if rank not in catalog[url]]
    assert len(parsed) >= 280 and len(disagree) <= 6, disagree


@pytest.mark.parametrize("url, reason", [
    ("https://github.com/udacity/P1_Facial_Keypoints/blob/master/README.md", "course assignment"),
    ("https://ternaus.blog/career/2020/01/08/How-I-Found-my-current-job.html", "career story"),
    ("https://christofhenkel.github.io/dieters-blog/kaggle/2022/07/05/chapter-1.html", "career story"),
    ("https://ternaus.blog/interview/2018/08/30/ama.html", "interview"),
    ("https://kaggler.com/2020/02/19/kaggler-pipeline.html", "not about one competition"),
    ("https://github.com/ttvand/Facebook-V/blob/master/README.md", "no method described"),
])
def test_documents_that_are_not_write_ups(facts_by_url, url, reason):
    f = facts_by_url[url]
    assert not f.is_writeup and f.not_writeup_reason.startswith(reason)


def test_few_documents_are_not_write_ups_and_ranked_write_ups_are_kept(facts_by_url):
    not_writeups = {url for url, f in facts_by_url.items() if not f.is_writeup}
    assert 20 <= len(not_writeups) <= 45
    for url in ("https://github.com/EdwardTyantov/ultrasound-nerve-segmentation/blob/master/README.md",
                "https://github.com/saif-daoud/IMC-2025-14th-place-solution/blob/main/README.md",
                "https://github.com/jocicmarko/ultrasound-nerve-segmentation/blob/master/README.md",
                "https://github.com/HouJP/kaggle-quora-question-pairs/blob/master/README.md"):
        assert facts_by_url[url].is_writeup, url
