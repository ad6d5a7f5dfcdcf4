"""Quality gate: the in-repo evaluation on the real snapshot, with pinned floors (fails on regression).

The numbers it checks are the ones in EVALUATION.md (`kb eval`); raise the floors when quality improves.
"""

import pytest

from kb.evaluation import learning_curve, run_evaluation

pytestmark = [pytest.mark.corpus, pytest.mark.model]

FLOORS = {
    "recall_hybrid": 0.46,
    "ndcg_hybrid": 0.43,
    "gain_over_popularity": 0.07,
    "mrr_hybrid": 0.89,
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
    low, high = report["gain_over_popularity"]["ci95"]
    assert low <= report["gain_over_popularity"]["recall@10"] <= high, report


def test_hybrid_search_beats_dense_and_keyword(report):
    mrr = report["known_item_mrr"]
    assert mrr["hybrid"] >= FLOORS["mrr_hybrid"], report
    assert mrr["hybrid"] > mrr["dense"] and mrr["hybrid"] > mrr["keyword"], report
    rec = report["recommend"]
    assert rec["hybrid"]["recall@10"] > max(rec["dense"]["recall@10"], rec["keyword"]["recall@10"]), report


def test_recommend_gains_more_over_popularity_with_more_write_ups(real_kb):
    points = learning_curve(real_kb, fractions=(0.25, 1.0), seeds=3)["points"]
    quarter, full = points
    assert full["gain"] > quarter["gain"] + 0.02, points
    assert full["recommend_recall@10"] > quarter["recommend_recall@10"], points
