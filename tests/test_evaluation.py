"""Quality gate: the in-repo evaluation on the real snapshot, with pinned floors (fails on regression).

The numbers it checks are the ones in EVALUATION.md (`kb eval`); raise the floors when quality improves.
Every comparison is against modality popularity (the most credited techniques among competitions of the
held-out competition's own modality): the bar a generic list cannot clear on the specific metric.
"""

import pytest

from kb.evaluation import learning_curve, run_evaluation

pytestmark = [pytest.mark.corpus, pytest.mark.model]

FLOORS = {
    "one_liner": {"specific": 0.32, "specific_gain": 0.04, "all": 0.48, "all_gain": 0.03, "similar": 0.80},
    "page": {"specific": 0.35, "specific_gain": 0.03, "all": 0.51, "all_gain": 0.04, "similar": 0.80},
    "mrr_hybrid": 0.90,
}


@pytest.fixture(scope="module")
def report(real_kb):
    return run_evaluation(real_kb)


def test_enough_competitions_and_pages_are_evaluated(report):
    assert report["competitions"] >= 240
    assert report["page"]["competitions"] == 22


@pytest.mark.parametrize("kind", ["one_liner", "page"])
def test_recommend_beats_modality_popularity(report, kind):
    part, floor = report[kind], FLOORS[kind]
    mine, base = part["kb"], part["modality_popularity"]
    assert mine["specific_recall@10"] >= floor["specific"], part
    assert mine["specific_recall@10"] - base["specific_recall@10"] >= floor["specific_gain"], part
    assert mine["recall@10"] >= floor["all"], part
    assert mine["recall@10"] - base["recall@10"] >= floor["all_gain"], part
    assert base["specific_recall@10"] > part["global_popularity"]["specific_recall@10"], part  # the bar is higher
    assert part["similar_top5_same_modality"] >= floor["similar"], part
    assert part["abstained"] <= 0.02 * part["competitions"], part


def test_a_whole_page_does_at_least_as_well_as_its_one_liner(report):
    page, line = report["page"]["kb"], report["one_liner_on_page_competitions"]["kb"]
    assert page["specific_recall@10"] >= line["specific_recall@10"] - 0.01, (page, line)
    assert page["recall@10"] >= line["recall@10"] - 0.01, (page, line)


def test_unrelated_text_gets_no_close_match(report):
    a = report["abstention"]
    assert a["abstained"] == a["texts"], a["answered"]


def test_hybrid_search_beats_dense_and_keyword(report):
    mrr = report["known_item_mrr"]
    assert mrr["hybrid"] >= FLOORS["mrr_hybrid"], report
    assert mrr["hybrid"] > mrr["dense"] and mrr["hybrid"] > mrr["keyword"], report


def test_recommend_gains_more_over_modality_popularity_with_more_write_ups(real_kb):
    points = learning_curve(real_kb, fractions=(0.25, 1.0), seeds=2)["points"]
    quarter, full = points
    assert full["recommend_specific_recall@10"] > quarter["recommend_specific_recall@10"], points
    assert full["gain"] > quarter["gain"], points
