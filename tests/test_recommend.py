"""Recommendation: the pure scoring functions on hand-written inputs, and the API on the mini mirror."""

import json
import math

import numpy as np
import pytest

from kb.metrics import bootstrap_ci, ndcg_at_k, recall_at_k, reciprocal_rank
from kb.recommend import (
    Evidence,
    TechniqueMatrix,
    combine,
    normalise,
    passage_weight,
    pick_evidence,
    profile_similarity,
    prominence,
    rank_weight,
    vote,
    weak_quote,
)


def test_passage_and_rank_weights_decay():
    assert passage_weight(1) > passage_weight(2) > passage_weight(50) > 0
    assert rank_weight(1) == 1.0
    assert rank_weight(1) > rank_weight(10) > rank_weight(1000) > 0
    assert rank_weight(None) == rank_weight(0) == 0.6


def test_profile_similarity_prefers_same_modality_then_recent():
    q = ("image", "segmentation", "iou/dice")
    same = profile_similarity(q, 2020, ("image", "segmentation", "iou/dice", 2020))
    older = profile_similarity(q, 2020, ("image", "segmentation", "iou/dice", 2014))
    other_task = profile_similarity(q, 2020, ("image", "classification", "logloss", 2020))
    tabular = profile_similarity(q, 2020, ("tabular", "segmentation", "iou/dice", 2020))
    assert same == 1.0
    assert same > other_task > tabular
    assert older == pytest.approx(math.exp(-2))
    assert profile_similarity((None, None, None), None, ("image", None, None, None)) == pytest.approx(0.03 * 0.49)


def test_vote_counts_helped_and_subtracts_not_helped():
    names = ["A", "B", "C"]
    helped = TechniqueMatrix.build([["A", "B"], ["A"], ["C"]], names)
    not_helped = TechniqueMatrix.build([[], ["B"], []], names)
    scores = vote(np.array([1.0, 0.5, 0.0]), helped, not_helped, penalty=0.5)
    assert scores == {"A": 1.5, "B": 0.75}  # C's only document has weight 0: no vote at all
    assert helped.count(np.array([True, True, False])).tolist() == [2.0, 1.0, 0.0]


def test_prominence_grows_slower_than_the_mention_count():
    assert prominence(1) == 1.0 and prominence(0) == 1.0
    assert prominence(4) == 2.0
    assert prominence(1) < prominence(2) < prominence(9) < 9


def test_vote_weighs_each_technique_by_its_strength_in_the_document():
    names = ["A", "B"]
    helped = TechniqueMatrix.build([{"A": 2.0, "B": 1.0}, {"A": 1.0}], names)
    scores = vote(np.array([1.0, 0.5]), helped, TechniqueMatrix.build([[], ["B"]], names))
    assert scores == {"A": 2.5, "B": 0.75}
    # a main technique (many sentences) outvotes a passing mention in another write-up of equal weight
    main = vote(np.ones(2), TechniqueMatrix.build([{"A": prominence(9)}, {"B": prominence(1)}], names))
    assert main["A"] > main["B"]


def test_whole_corpus_vote_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    names = [f"t{i}" for i in range(12)]
    per_doc = [{t: float(rng.integers(1, 5)) for t in rng.choice(names, size=rng.integers(0, 6), replace=False)}
               for _ in range(200)]
    weights = rng.random(200) * (rng.random(200) > 0.3)
    expected: dict[str, float] = {}
    for w, techs in zip(weights, per_doc, strict=True):
        for t, v in techs.items():
            expected[t] = expected.get(t, 0.0) + w * v
    got = vote(weights, TechniqueMatrix.build(per_doc, names))
    assert got.keys() == {t for t, v in expected.items() if v} and all(
        got[t] == pytest.approx(expected[t]) for t in got)


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    values = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    low, high = bootstrap_ci(values, samples=500, seed=1)
    assert low < sum(values) / len(values) < high
    assert bootstrap_ci(values, samples=500, seed=1) == (low, high)
    assert bootstrap_ci([0.2] * 5) == (0.2, 0.2)
    assert bootstrap_ci([]) == (0.0, 0.0)
    narrow = bootstrap_ci(values * 20, samples=500, seed=1)
    assert narrow[1] - narrow[0] < high - low


def test_normalise_and_combine():
    assert normalise({}) == {}
    assert normalise({"a": 2.0, "b": 1.0}) == {"a": 1.0, "b": 0.5}
    assert normalise({"a": -1.0}) == {}
    ranked = combine([(1.0, {"a": 4.0, "b": 2.0}), (0.5, {"b": 10.0, "c": 5.0}), (1.0, {"d": -3.0})])
    assert ranked == [("a", 1.0), ("b", 1.0), ("c", 0.25)] or ranked == [("b", 1.0), ("a", 1.0), ("c", 0.25)]
    assert [t for t, _ in ranked][-1] == "c" and "d" not in dict(ranked)


def _ev(doc, helped=True, weight=1.0):
    return Evidence(url=f"https://x.example/{doc}", title="t", competition=None, competition_title=None, rank=None,
                    year=None, snippet="s", helped=helped, document_id=doc, chunk_id=doc * 10, weight=weight)


def test_pick_evidence_one_per_document_helped_first():
    candidates = [_ev(1, weight=0.1), _ev(1, weight=0.9), _ev(2, helped=False, weight=5.0), _ev(3, weight=0.5)]
    picked = pick_evidence(candidates, limit=3)
    assert [(e.document_id, e.weight) for e in picked] == [(1, 0.9), (3, 0.5), (2, 5.0)]


def test_first_hand_quotes_come_before_second_hand_ones():
    def quote(doc, snippet, weight):
        return Evidence(url=f"https://x.example/{doc}", title="t", competition=None, competition_title=None,
                        rank=None, year=None, snippet=snippet, helped=True, document_id=doc, chunk_id=doc,
                        weight=weight)

    assert weak_quote("Other teams used a GRU on the raw signal, we heard.")
    assert weak_quote("Inference could be ported to a faster runtime later on.")
    assert weak_quote("See the ensembling guide at https://example.org/guide for details.")
    assert weak_quote("Blending")
    assert weak_quote("Run blend_models.py to average the outputs of the three submissions.")
    assert weak_quote("conda create --name env python=3.7 && pip install xgboost lightgbm")
    assert not weak_quote("We blended five LightGBM models with weights tuned on out-of-fold predictions.")
    picked = pick_evidence([quote(1, "Other teams used a GRU on the raw signal, we heard.", 5.0),
                            quote(2, "Our GRU over the raw signal gave the best single model.", 1.0),
                            quote(3, "GRU", 9.0)], limit=3)
    assert [e.document_id for e in picked] == [2, 3, 1]


def test_metrics_on_hand_made_rankings():
    assert recall_at_k(["a", "b", "c"], {"a", "c", "z"}, k=2) == 0.5
    assert recall_at_k(list("abcdefghijkl"), set("abcdefghijkl"), k=10) == 1.0
    assert recall_at_k(["a"], set()) == 0.0
    assert ndcg_at_k(["a", "b"], {"a"}) == 1.0
    assert ndcg_at_k(["b", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], {"a"}) == 0.0


# -- the API on the mini mirror (fake embedder) -------------------------------------------------

def test_recommend_returns_techniques_with_evidence_links(built_kb):
    rec = built_kb.recommend("Classify photos of galaxies by shape with deep learning", k=5)
    assert rec.techniques, "expected techniques"
    for t in rec.techniques:
        assert t.evidence and all(e.url.startswith("https://") and e.helped for e in t.evidence)
        assert t.category
    names = [t.name for t in rec.techniques]
    assert "Pseudo-Labeling" not in names  # the galaxy write-up says it did not help
    slugs = {"galaxy-shapes", "brainwave-seizure", "store-sales-forecast"}
    assert rec.competitions and rec.competitions[0].slug in slugs
    data = json.loads(json.dumps(rec.to_json()))
    assert set(data) == {"query", "techniques", "competitions"}
    assert set(data["techniques"][0]) == {"name", "category", "aliases", "score", "evidence"}
    assert set(data["techniques"][0]["evidence"][0]) == {"url", "title", "competition", "rank", "snippet", "helped"}
    assert set(data["competitions"][0]) == {"slug", "title", "year", "score"}


def test_exclude_competition_removes_all_its_documents(built_kb):
    rec = built_kb.recommend("galaxy images rotations flips convolutional networks", k=20,
                             exclude_competition="galaxy-shapes")
    urls = {e.url for t in rec.techniques for e in t.evidence}
    assert not any("galaxy-shapes" in u for u in urls)
    # the seizure blog post is also linked to galaxy-shapes, so it is excluded too
    assert "https://carol.example/2014/seizure-detection/" not in urls
    assert all(c.slug != "galaxy-shapes" for c in rec.competitions)


def test_exclude_documents_hides_those_write_ups(built_kb):
    query = "galaxy images rotations flips convolutional networks"
    before = built_kb.recommend(query, k=20)
    shown = {e.document_id for t in before.techniques for e in t.evidence}
    assert shown
    after = built_kb.recommend(query, k=20, exclude_documents=shown)
    assert not {e.document_id for t in after.techniques for e in t.evidence} & shown
    everything = [r[0] for r in built_kb.conn.execute("SELECT id FROM documents")]
    assert built_kb.recommend(query, k=20, exclude_documents=everything).techniques == []


def test_learning_curve_on_the_mini_mirror(built_kb):
    from kb.evaluation import format_learning_curve, learning_curve

    report = learning_curve(built_kb, fractions=(0.5, 1.0), seeds=2)
    assert [p["fraction"] for p in report["points"]] == [0.5, 1.0]
    assert [p["draws"] for p in report["points"]] == [2, 1]
    for p in report["points"]:
        assert 0.0 <= p["recommend_recall@10"] <= 1.0 and 0.0 <= p["popularity_recall@10"] <= 1.0
        assert p["gain"] == pytest.approx(p["recommend_recall@10"] - p["popularity_recall@10"], abs=1e-3)
    assert "| 50% |" in format_learning_curve(report)
    with pytest.raises(ValueError, match="fraction"):
        learning_curve(built_kb, fractions=(0.0,))


def test_recommend_filters_and_k(built_kb):
    rec = built_kb.recommend("sales forecasting with lag features", k=2, source="github")
    assert len(rec.techniques) <= 2
    assert all(e.url.startswith("https://github.com/") for t in rec.techniques for e in t.evidence)
    with pytest.raises(Exception, match="k must be at least 1"):
        built_kb.recommend("x y", k=0)


def test_corpus_data_is_cached_until_any_connection_writes(built_kb):
    from kb import store
    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder
    from kb.recommender import corpus_data

    first = corpus_data(built_kb)
    assert corpus_data(built_kb) is first
    other = KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(), model="fake")
    with store.transaction(other.conn):
        other.conn.execute("UPDATE documents SET title = 'changed elsewhere' WHERE id = 1")
    other.close()
    second = corpus_data(built_kb)
    assert second is not first
    with store.transaction(built_kb.conn):
        built_kb.conn.execute("UPDATE documents SET title = 'changed here' WHERE id = 1")
    assert corpus_data(built_kb) is not second
