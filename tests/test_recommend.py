"""Recommendation: the pure scoring functions on hand-written inputs, and the API on the mini mirror."""

import json
import math

import numpy as np
import pytest

from kb.metrics import bootstrap_ci, ndcg_at_k, recall_at_k, reciprocal_rank
from kb.recommend.scoring import (
    TechniqueMatrix,
    modality_rates,
    not_evidence,
    pick_evidence,
    profile_factor,
    prominence,
    quote_quality,
    rank_techniques,
    rank_weight,
    shares,
    table_stakes,
    text_similarity,
    weak_quote,
    year_factor,
)
from kb.recommend.similar import reason, similarity
from kb.recommend.types import Evidence

NAMES = ["Ensemble", "U-Net", "Lovasz Loss", "LightGBM", "Spectrograms"]
# five competitions × five techniques: 0-2 image segmentation, 3 tabular, 4 audio
CREDITED = np.array([
    [1, 1, 1, 0, 0],
    [1, 1, 0, 0, 0],
    [1, 0, 1, 0, 0],
    [1, 0, 0, 1, 0],
    [1, 0, 0, 0, 1],
], dtype=bool)
MODALITIES = ["image", "image", "image", "tabular", "audio"]


def test_rank_weight_decays_with_the_solution_rank():
    assert rank_weight(1) == 1.0
    assert rank_weight(1) > rank_weight(10) > rank_weight(1000) > 0
    assert rank_weight(None) == rank_weight(0) == 0.6


def test_profile_and_year_factors():
    q = ("image", "segmentation", "iou/dice")
    assert profile_factor(q, ("image", "segmentation", "iou/dice")) == 1.0
    assert 1.0 > profile_factor(q, ("image", "classification", "iou/dice")) > profile_factor(
        q, ("tabular", "classification", "auc"))
    assert profile_factor((None, None, None), ("image", None, None)) < 1.0  # unknown never counts as shared
    assert year_factor(2020, 2020) == 1.0 and year_factor(None, 2010) == 1.0
    assert year_factor(2020, 2015) == pytest.approx(math.exp(-1)) and year_factor(2020, 2025) == year_factor(2020, 2015)


def test_text_similarity_uses_the_write_up_centroid_only_where_there_is_one():
    catalog = np.array([0.2, 0.6])
    centroid = np.array([0.8, 0.0])
    got = text_similarity(catalog, centroid, np.array([True, False]), centroid_weight=1.0)
    assert got.tolist() == pytest.approx([0.5, 0.6])


def test_modality_rates_are_smoothed_towards_the_global_rate():
    active = np.ones(5, dtype=bool)
    rate, base = modality_rates(CREDITED, MODALITIES, active, "image", prior=0.0)
    assert rate.tolist() == pytest.approx([1.0, 2 / 3, 2 / 3, 0.0, 0.0])
    assert base.tolist() == pytest.approx([1.0, 0.4, 0.4, 0.2, 0.2])
    smoothed, _ = modality_rates(CREDITED, MODALITIES, active, "audio", prior=5.0)
    assert smoothed[4] == pytest.approx((1 + 5 * 0.2) / 6)  # one audio competition leans on the global rate
    active[0] = False  # a held-out competition does not count
    assert modality_rates(CREDITED, MODALITIES, active, "image", prior=0.0)[0][2] == pytest.approx(0.5)


def test_table_stakes_are_what_a_third_of_the_modality_credits():
    rate, _ = modality_rates(CREDITED, MODALITIES, np.ones(5, dtype=bool), "image", prior=0.0)
    assert table_stakes(rate, NAMES, threshold=0.7) == ["Ensemble"]
    assert table_stakes(rate, NAMES, threshold=0.5) == ["Ensemble", "U-Net", "Lovasz Loss"]
    counts = CREDITED.sum(axis=0)  # Ensemble 5, U-Net 2, Lovasz 2: a tiny corpus has no table stakes but Ensemble
    assert table_stakes(rate, NAMES, counts, threshold=0.5, min_count=3) == ["Ensemble"]


def test_rank_techniques_only_lists_what_neighbours_credit_and_prefers_distinctive_ones():
    prior = np.array([1.0, 0.5, 0.5, 0.1, 0.1])
    base = np.array([1.0, 0.4, 0.4, 0.2, 0.2])
    votes = rank_techniques(CREDITED, [(1, 0.9), (2, 0.8)], NAMES, prior, base, slugs=list("abcde"),
                            exclude=["Ensemble"], prior_weight=1.0, lift_power=0.5)
    assert [v.name for v in votes] == ["U-Net", "Lovasz Loss"]  # no LightGBM: no neighbour credits it
    assert votes[0].support == 1 and votes[0].slugs == ("b",)
    assert votes[0].score > votes[1].score  # the more similar neighbour counts more
    # lift: a technique all winners use ranks below one only similar competitions use, at equal share
    with_ensemble = rank_techniques(CREDITED, [(0, 1.0)], NAMES, np.zeros(5), base, prior_weight=0.0,
                                    lift_power=1.0)
    assert [v.name for v in with_ensemble][-1] == "Ensemble"
    assert rank_techniques(CREDITED, [], NAMES, prior, base) == []


def test_did_not_help_counts_against_a_technique():
    prior = np.zeros(5)
    base = np.full(5, 0.5)
    not_helped = np.zeros_like(CREDITED)
    not_helped[2, 1] = True  # competition 2's write-up says U-Net did not help
    plain = rank_techniques(CREDITED, [(1, 1.0), (2, 1.0)], NAMES, prior, base, prior_weight=0.0)
    penalised = rank_techniques(CREDITED, [(1, 1.0), (2, 1.0)], NAMES, prior, base, prior_weight=0.0,
                                not_helped=not_helped)
    score = {v.name: v.score for v in plain}
    assert {v.name: v.score for v in penalised}["U-Net"] < score["U-Net"]


def test_shares_mix_neighbour_votes_with_the_prior():
    prior = np.array([1.0, 0.0, 0.0, 0.5, 0.0])
    got = shares(CREDITED, [(1, 1.0), (2, 1.0)], prior, prior_weight=2.0)
    assert got.tolist() == pytest.approx([1.0, 0.25, 0.25, 0.25, 0.0])
    assert shares(CREDITED, [], prior).tolist() == prior.tolist()


def test_prominence_grows_slower_than_the_mention_count():
    assert prominence(1) == 1.0 and prominence(0) == 1.0
    assert prominence(4) == 2.0
    assert prominence(1) < prominence(2) < prominence(9) < 9


def test_technique_matrix_tally_and_count():
    names = ["A", "B", "C"]
    helped = TechniqueMatrix.build([{"A": 2.0, "B": 1.0}, ["A"], ["C"]], names)
    assert helped.tally(np.array([1.0, 0.5, 0.0])).tolist() == [2.5, 1.0, 0.0]
    assert helped.count(np.array([True, True, False])).tolist() == [2.0, 1.0, 0.0]


def test_similarity_scores_every_competition_and_explains_it():
    q = np.array([1.0, 0.0])
    catalog = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]])
    centroids = np.zeros((3, 2))
    profiles = [("image", "segmentation", "iou/dice", 2020), ("image", "segmentation", "iou/dice", 2020),
                ("tabular", "classification", "auc", 2010)]
    sim = similarity(q, catalog, centroids, profiles, ("image", "segmentation", "iou/dice"), 2020)
    assert sim.text.tolist() == pytest.approx([1.0, 0.0, 0.8])
    assert sim.score[0] == pytest.approx(1.0) and sim.score[2] < 0.8 * 0.5
    why = reason(("image", "segmentation", "iou/dice"), profiles[0], 0.72, 2022, ["U-Net", "Lovasz Loss"])
    assert why == ("same modality (image), task (segmentation), metric (iou/dice); very similar description "
                   "(0.72); 2020, 2 years apart; winners credit U-Net, Lovasz Loss")
    assert "no write-up in kb yet" in reason(("image", None, None), profiles[2], 0.3, None, has_writeups=False)
    assert "other modality (tabular)" in reason(("image", None, None), profiles[2], 0.3, None)


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    values = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    low, high = bootstrap_ci(values, samples=500, seed=1)
    assert low < sum(values) / len(values) < high
    assert bootstrap_ci(values, samples=500, seed=1) == (low, high)
    assert bootstrap_ci([0.2] * 5) == (0.2, 0.2)
    assert bootstrap_ci([]) == (0.0, 0.0)
    narrow = bootstrap_ci(values * 20, samples=500, seed=1)
    assert narrow[1] - narrow[0] < high - low


def _ev(doc, snippet="We used it and it improved the score a lot.", helped=True, weight=1.0, competition=None):
    return Evidence(url=f"https://x.example/{doc}", title="t", competition=competition, competition_title=None,
                    rank=None, year=None, snippet=snippet, helped=helped, document_id=doc, chunk_id=doc * 10,
                    weight=weight)


def test_pick_evidence_one_per_document_no_duplicates_other_competitions_first():
    candidates = [_ev(1, weight=0.1, competition="a"), _ev(1, weight=0.9, competition="a"),
                  _ev(2, helped=False, weight=5.0, competition="b"),
                  _ev(3, "Our second model with this trick gained 0.01 on the public board.", 0.8, competition="d"),
                  _ev(4, "A completely different first-hand sentence about what we did here.", 0.5,
                      competition="c"),
                  _ev(5, weight=3.0, competition="d")]  # the same sentence as document 1: a duplicate
    picked = pick_evidence(candidates, limit=3)
    assert [e.document_id for e in picked] == [5, 4, 3]  # 1 repeats 5's text; c before a second "d"
    assert all(e.helped for e in pick_evidence(candidates, limit=10))


def test_what_is_never_evidence_and_what_is_weak():
    for line in ("conda create --name env python=3.7 && pip install xgboost lightgbm",
                 "Run blend_models.py to average the outputs of the three submissions.",
                 "I promise to do a future blog post about the augmentation pipeline.",
                 "The detailed solution will be posted here soon.",
                 "https://example.org/solution",
                 "Did you try a larger batch size?",
                 "│ ├── mix.py # cutmix and mixup",
                 "Model | Backbone | Input | UNet | EfficientNet-B7 | 320",
                 "- `ngram.py`: construct n-gram features",
                 "# x: (bs, cnn_features)"):
        assert not_evidence(line), line
        assert quote_quality(line) == 0.0
    assert weak_quote("Other teams used a GRU on the raw signal, we heard.")
    assert weak_quote("Inference could be ported to a faster runtime later on.")
    assert weak_quote("Blending")
    for citation in ('Xie et al. "Self-training with Noisy Student improves ImageNet classification" CVPR 2020',
                     'Reference code for our CLEF working note, "A Sound-Event-Detection Pipeline for Birds".',
                     "The augmentation follows the SpecAugment paper (arXiv:1904.08779) closely enough."):
        assert weak_quote(citation), citation
    assert not weak_quote("We trained the SED model with SpecAugment [1], which gave +0.01 on the public board.")
    assert not weak_quote("We blended five LightGBM models with weights tuned on out-of-fold predictions.")
    assert quote_quality("We blended five LightGBM models, which improved the score by 0.004.") > quote_quality(
        "LightGBM models were blended with weights tuned on out-of-fold predictions.") > quote_quality(
        "Other teams blended LightGBM models with weights.")


def test_first_hand_quotes_come_before_second_hand_ones():
    picked = pick_evidence([_ev(1, "Other teams used a GRU on the raw signal, we heard.", weight=5.0),
                            _ev(2, "Our GRU over the raw signal gave the best single model.", weight=1.0),
                            _ev(3, "GRU over raw signal", weight=9.0)], limit=3)
    assert [e.document_id for e in picked] == [2]  # weak quotes are not shown next to a first-hand one
    only_weak = pick_evidence([_ev(1, "Other teams used a GRU on the raw signal, we heard.", weight=5.0),
                               _ev(3, "GRU over raw signal", weight=9.0)], limit=3)
    assert [e.document_id for e in only_weak] == [3]  # the best of them, alone


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
    listed = {c.slug for c in rec.competitions}
    for t in rec.techniques:
        assert t.evidence and all(e.url.startswith("https://") and e.helped for e in t.evidence)
        assert t.category and t.support >= 1 and set(t.competitions) <= listed
        assert all(e.competition in listed for e in t.evidence)  # quotes come from listed similar competitions
    names = [t.name for t in rec.techniques]
    assert "Pseudo-Labeling" not in names  # the galaxy write-up says it did not help
    assert rec.competitions[0].slug == "galaxy-shapes" and rec.competitions[0].reason
    assert rec.profile.modality == "image" and rec.profile.inferred == ("modality", "task_type", "metric_family")
    data = json.loads(json.dumps(rec.to_json()))
    # the contract of earlier versions, grown without breaking
    assert {"query", "techniques", "competitions"} <= set(data)
    assert {"abstained", "profile", "table_stakes"} <= set(data) and data["abstained"] is False
    assert {"modality", "task_type", "metric_family", "confidence"} <= set(data["profile"])
    assert {"name", "category", "aliases", "score", "evidence", "support"} <= set(data["techniques"][0])
    assert {"url", "title", "competition", "rank", "snippet", "helped"} <= set(data["techniques"][0]["evidence"][0])
    assert {"slug", "title", "year", "score", "reason", "has_writeups"} <= set(data["competitions"][0])


def test_competitions_without_write_ups_are_listed_with_the_fetch_command(built_kb):
    rec = built_kb.recommend("Detect seizures from intracranial EEG recordings; scored with AUC", k=5)
    by_slug = {c.slug: c for c in rec.competitions}
    assert by_slug["brainwave-seizure"].has_writeups  # the seizure blog post is linked to it
    built_kb.conn.execute("INSERT INTO competitions (slug, title, description, metric, year, modality)"
                          " VALUES ('eeg-new', 'EEG Seizure Forecast', 'Forecast seizures from EEG recordings',"
                          " 'AUC', 2016, 'signal/time series')")
    rec = built_kb.recommend("Detect seizures from intracranial EEG recordings; scored with AUC", k=5)
    new = next(c for c in rec.competitions if c.slug == "eeg-new")
    assert not new.has_writeups and new.fetch_command == "kb ingest catalog --competition eeg-new"
    assert "no write-up in kb yet" in new.reason
    assert new.to_json()["has_writeups"] is False


def test_the_profile_can_be_corrected(built_kb):
    rec = built_kb.recommend("Classify photos of galaxies by shape", k=5, modality="tabular", task_type="regression")
    assert (rec.profile.modality, rec.profile.task_type) == ("tabular", "regression")
    assert rec.profile.inferred == ("metric_family",)
    from kb.errors import BadInputError

    with pytest.raises(BadInputError, match="unknown modality 'pictures'.*tabular, image"):
        built_kb.recommend("galaxies", modality="pictures")


def test_unrelated_text_gets_no_close_match(tmp_path, mirror):
    from ingest.mirror import ingest_mirror
    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder

    with KnowledgeBase.open(tmp_path / "strict", embedder=FakeEmbedder(), model="fake", abstain_below=0.2) as kb:
        ingest_mirror(kb, mirror)
        rec = kb.recommend("zqxv wkjh plmo rtyu", k=5)
        assert rec.abstained and rec.techniques == [] and "No close match" in rec.message
        assert rec.to_json()["abstained"] is True
        assert not kb.recommend("Predict daily sales for a chain of shops; metric RMSLE", k=5).abstained


def test_a_whole_page_is_read_for_its_task(built_kb):
    page = PAGE_TEMPLATE.format(body="Your challenge is to classify telescope images of galaxies by their shape.")
    rec = built_kb.recommend(page, k=5)
    assert rec.profile.modality == "image" and rec.profile.metric == "root mean squared error"
    assert rec.profile.year == 2014 and "code competition" in rec.profile.constraints
    assert "Prizes" in rec.dropped_sections and "Timeline" in rec.dropped_sections
    assert rec.competitions[0].slug == "galaxy-shapes"


PAGE_TEMPLATE = """# Overview

## Description

{body} Astronomers have collected many pictures and need help sorting them.

## Evaluation

Submissions are evaluated on the root mean squared error between the predicted and the actual values.

$$\\textrm{{RMSE}} = \\sqrt{{\\frac{{1}}{{n}} \\sum (y - \\hat{{y}})^2}}$$

## Timeline

- March 1, 2014 - Start Date
- June 30, 2014 - Final submission deadline

## Prizes

- 1st Place - $10,000 for the best notebook prize winner

## Code Requirements

This is a Code Competition. CPU Notebook <= 9 hours run-time. Internet access disabled.

## Citation

Someone. Galaxy prize paper. Kaggle, 2014.
"""


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
        mine, base = p["recommend_specific_recall@10"], p["modality_popularity_specific_recall@10"]
        assert 0.0 <= mine <= 1.0 and 0.0 <= base <= 1.0
        assert p["gain"] == pytest.approx(mine - base, abs=1e-3)
    assert "| 50% |" in format_learning_curve(report)
    with pytest.raises(ValueError, match="fraction"):
        learning_curve(built_kb, fractions=(0.0,))


def test_evaluation_on_the_mini_mirror(built_kb, tmp_path):
    from kb.evaluation import format_table, run_evaluation

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "Galaxy-Shapes.md").write_text(
        PAGE_TEMPLATE.format(body="Your challenge is to classify telescope images of galaxies by their shape."))
    report = run_evaluation(built_kb, pages=pages)
    assert report["competitions"] == 3 and report["page"]["competitions"] == 1
    for part in ("one_liner", "page", "one_liner_on_page_competitions"):
        for method in ("kb", "modality_popularity", "global_popularity"):
            assert {"recall@10", "ndcg@10"} <= set(report[part][method])
    assert report["abstention"]["texts"] == 10
    table = format_table(report)
    assert "Real competition pages" in table and "modality popularity" in table


def test_recommend_filters_and_k(built_kb):
    rec = built_kb.recommend("sales forecasting with lag features", k=2, source="github")
    assert len(rec.techniques) <= 2
    assert all(e.url.startswith("https://github.com/") for t in rec.techniques for e in t.evidence)
    with pytest.raises(Exception, match="k must be at least 1"):
        built_kb.recommend("x y", k=0)


def test_corpus_data_is_cached_until_any_connection_writes(built_kb):
    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder
    from kb.recommend.corpus import corpus_data
    from kb.store.db import transaction

    first = corpus_data(built_kb)
    assert corpus_data(built_kb) is first
    other = KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(), model="fake")
    with transaction(other.conn):
        other.conn.execute("UPDATE documents SET title = 'changed elsewhere' WHERE id = 1")
    other.close()
    second = corpus_data(built_kb)
    assert second is not first
    with transaction(built_kb.conn):
        built_kb.conn.execute("UPDATE documents SET title = 'changed here' WHERE id = 1")
    assert corpus_data(built_kb) is not second


def test_readable_metric_names():
    from kb.metric_names import readable_metric

    assert readable_metric("IntersectionOverUnionObjectSegmentation") == "Intersection over Union (object segmentation)"
    assert readable_metric("CVPRAutoDrivingAveragePrecision") == "CVPR autonomous-driving Average Precision"
    assert readable_metric("WeightedMeanQuadraticWeightedKappa") == "Weighted Mean Quadratic Weighted Kappa"
    assert readable_metric("MicroF1") == "Micro F1" and readable_metric("JPXSharpe") == "JPX Sharpe"
    assert readable_metric("llm_20_questions") == "LLM 20 Questions"
    assert readable_metric("Root Mean Squared Error") == "Root Mean Squared Error"  # already readable
    assert readable_metric("-") is None and readable_metric(None) is None


def test_a_recommendation_as_markdown_for_notes(built_kb):
    from kb.recommend.markdown import to_markdown

    rec = built_kb.recommend("Classify photos of galaxies by shape with deep learning [click](javascript:x)", k=3)
    md = to_markdown(rec)
    assert md.startswith("# What won competitions like this one\n")
    assert "**Read as:** image" in md and "## Distinctive techniques" in md and "## Similar past competitions" in md
    first = rec.techniques[0]
    assert f"**{first.name}**" in md and f"[write-up]({first.evidence[0].url})" in md
    assert "\\[click\\](javascript:x)" in md and "](javascript:" not in md.replace("\\](javascript:", "")


def test_ingest_leaves_the_competition_vectors_ready_for_readers(built_kb, monkeypatch):
    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder
    from kb.recommend import corpus as corpus_module
    from kb.recommend.corpus import corpus_data

    def not_again(*args, **kwargs):
        raise AssertionError("a reader had to compute what ingestion should have stored")

    monkeypatch.setattr(corpus_module, "_compute_centroids", not_again)
    with KnowledgeBase.open(built_kb.settings.home, embedder=FakeEmbedder(), model="fake", readonly=True) as reader:
        data = corpus_data(reader)
        with_docs = [data.comp_index[s] for s in data.comp_docs]
        assert (np.linalg.norm(data.comp_centroids[with_docs], axis=1) > 0.99).all()
