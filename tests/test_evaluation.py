"""Quality gate: the in-repo evaluation on the real snapshot, with pinned floors (fails on regression).

The numbers it checks are the ones in EVALUATION.md (`kb eval`); raise the floors when quality improves.
"""

import pytest

from kb.evaluation import run_evaluation

pytestmark = [pytest.mark.corpus, pytest.mark.model]

FLOORS = {
    "recall_hybrid": 0.44,
    "ndcg_hybrid": 0.41,
    "gain_over_popularity": 0.05,
    "mrr_hybrid": 0.88,
}


@pytest.fixture(scope="module")
def report(real_kb):
    return run_evaluation(real_kb)


def test_enough_competitions_are_evaluated(report):
    assert report["competitions"] >= 150


def test_recommend_beats_popularity(report):
    rec = report["recommend"]
    assert rec["hybrid"]["recall@10"] >= FLOORS["recall_hybrid"], report
    assert rec["hybrid"]["ndcg@10"] >= FLOORS["ndcg_hybrid"], report
    assert rec["hybrid"]["recall@10"] - rec["popularity"]["recall@10"] >= FLOORS["gain_over_popularity"], report


def test_hybrid_search_beats_dense_and_keyword(report):
    mrr = report["known_item_mrr"]
    assert mrr["hybrid"] >= FLOORS["mrr_hybrid"], report
    assert mrr["hybrid"] > mrr["dense"] and mrr["hybrid"] > mrr["keyword"], report
