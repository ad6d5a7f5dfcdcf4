"""Competition profiles from catalog-like rows (written for these tests, in the catalog's style)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.profile import METRIC_FAMILIES, MODALITIES, TASK_TYPES, Profile, infer_profile, metric_family

CATALOG = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "catalog" / "competitions.yml"


@pytest.mark.parametrize(("title", "desc", "metric", "expected"), [
    ("Playground Series - Season 9, Episode 2", "Binary Prediction of Loan Repayment",
     "Roc Auc Score", ("tabular", "classification", "auc")),
    ("Acme Insurance Claims Challenge", "How costly will each claim be?",
     "Mean Absolute Error", ("tabular", "regression", "mae")),
    ("Chest X-ray Nodule Finder", "Locate nodules on chest radiographs with bounding boxes",
     "RSNAObjectDetectionAP", ("image", "detection", "map")),
    ("Seafloor Sediment Segmentation", "Segment sediment types in satellite images",
     "IntersectionOverUnionObjectSegmentation", ("image", "segmentation", "iou/dice")),
    ("Forum Post Toxicity", "Identify toxic comments in a discussion forum",
     "Mean Columnwise Area Under Receiver Operating Characteristic Curve", ("text", "classification", "auc")),
    ("Student Essay Grader", "Score essays written by students",
     "QuadraticWeightedKappa", ("text", "classification", "qwk")),
    ("Old Manuscript Translation", "Translate medieval letters to modern English",
     "BLEU", ("text", "generation", "bleu/levenshtein")),
    ("Frog Chorus Census", "Identify frog species from audio recordings of ponds",
     "Mean F-Score", ("audio", "classification", "f-score")),
    ("Warehouse Sales Forecasting", "Forecast daily unit sales for every store",
     "Root Mean Squared Logarithmic Error", ("signal/time series", "forecasting", "rmsle")),
    ("Sleep Stage Detection", "Classify sleep stages from wrist-worn accelerometer data",
     "Multiclass Loss", ("signal/time series", "classification", "logloss")),
    ("Dance Move Recognition", "Recognize dance moves in short video clips",
     "Categorization Accuracy", ("video", "classification", "accuracy")),
    ("Solubility of Small Molecules", "Predict the solubility of molecules from their structure",
     "Root Mean Squared Error", ("graph/molecule", "regression", "rmse")),
    ("Space Miners Arena", "Build agents that collect ore and beat their opponents",
     "space_miners_metric", ("simulation/game", "game/agent", "custom")),
    ("Santa 2099 - Sleigh Routing", "Plan the shortest route that visits every chimney",
     "Santa 2099 Metric", ("optimisation", "optimisation", "custom")),
    ("Shop Search Relevance", "Recommend products for each shopper session",
     "MAP@{K}", ("tabular", "ranking/retrieval", "map@k/ndcg")),
])
def test_catalog_like_rows(title, desc, metric, expected):
    assert infer_profile(title, desc, metric) == Profile(*expected)


@pytest.mark.parametrize(("metric", "family"), [
    ("Area Under Receiver Operating Characteristic Curve", "auc"),
    ("Normalized Gini Index", "auc"),
    ("Log Loss", "logloss"),
    ("Multiclass Loss (Deprecated)", "logloss"),
    ("Categorization Accuracy", "accuracy"),
    ("Macro F-Score", "f-score"),
    ("Matthews correlation coefficient", "f-score"),
    ("Root Mean Squared Error", "rmse"),
    ("Mean Absolute Error", "mae"),
    ("SMAPE", "mae"),
    ("Root Mean Squared Logarithmic Error", "rmsle"),
    ("Mean Columnwise Spearmans r", "correlation"),
    ("Mean Average Precision at K", "map@k/ndcg"),
    ("IntersectionOverUnionObjectSegmentation", "iou/dice"),
    ("OpenImagesObjectDetectionAP", "map"),
    ("Levenshtein Mean", "bleu/levenshtein"),
    ("Word Error Rate", "bleu/levenshtein"),
    ("Cohen Kappa Score", "qwk"),
    ("Halite", "custom"),
    ("-", None),
    ("", None),
    ("PostProcessorKernelDesc", None),
])
def test_metric_families(metric, family):
    assert metric_family(metric) == family
    assert family is None or family in METRIC_FAMILIES


def test_nothing_known_gives_an_empty_profile():
    assert infer_profile("Untitled", "", "") == Profile(None, None, None)


def test_typical_tabular_metric_is_enough_for_tabular():
    assert infer_profile("Mystery Challenge", "Can you beat the benchmark?", "Log Loss").modality == "tabular"


def test_writeup_text_can_decide_an_ambiguous_row_but_not_override_the_catalog():
    vague = ("Brainwave Challenge", "A spell on you if you cannot find errors", "Area Under Receiver Operating "
             "Characteristic Curve")
    assert infer_profile(*vague).modality == "tabular"
    sample = "We band-pass filtered each EEG channel and fed the signals to a 1D CNN. " * 3
    assert infer_profile(*vague, text=sample).modality == "signal/time series"
    images = ("Leaf Disease Photos", "Identify the disease shown in each leaf image", "Categorization Accuracy")
    chatty = "We read every text and tweet, used BERT on the text and more text. " * 20
    assert infer_profile(*images, text=chatty).modality == "image"


def test_word_boundaries_keep_prefixes_from_matching():
    # "trafficking" is not "traffic", "Santa Clara" is not a Santa optimisation contest
    assert infer_profile("Combat Trafficking", "Predict which ads are linked to trafficking", "Log Loss").modality \
        == "tabular"
    assert infer_profile("Data Festival", "Live from Santa Clara", "Area Under Receiver Operating "
                         "Characteristic Curve").modality == "tabular"


@pytest.mark.corpus
@pytest.mark.skipif(not CATALOG.exists(), reason="needs ../shared/corpus")
def test_whole_catalog_gets_profiles_from_the_allowed_values():
    rows = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["competitions"]
    profiles = [infer_profile(r.get("title") or "", r.get("desc") or "", r.get("metric") or "") for r in rows]
    assert len(profiles) > 700
    assert {p.modality for p in profiles} <= set(MODALITIES) | {None}
    assert {p.task_type for p in profiles} <= set(TASK_TYPES) | {None}
    assert {p.metric_family for p in profiles} <= set(METRIC_FAMILIES) | {None}
    assert sum(p.modality is not None for p in profiles) / len(profiles) >= 0.95
    assert len({p.modality for p in profiles}) == len(MODALITIES) + 1  # every modality occurs
