"""Technique extraction: what counts as a mention, and whether the author says it helped.

All passages here are written for these tests.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from kb.techniques.extract import Mention, extract, summarize
from kb.techniques.vocab import load_vocabulary

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


def found(text: str, vocab, heading: str = "") -> dict[str, bool]:
    """technique -> helped, for passages where each technique appears in one sentence."""
    out: dict[str, bool] = {}
    for m in extract(text, vocab, heading):
        assert m.technique not in out, f"{m.technique} found twice"
        out[m.technique] = m.helped
    return out


# --------------------------------------------------------------------------- what matches
def test_aliases_match_case_insensitively_with_separators_and_plurals(vocab):
    text = ("Our light-GBM and lgbm runs beat the XGBoost baseline. We also fitted random forests, "
            "two GBDTs and a K-fold scheme with pseudo labels.")
    names = {m.technique for m in extract(text, vocab)}
    assert {"LightGBM", "XGBoost", "Random Forest", "Gradient Boosted Trees", "K-Fold Cross-Validation",
            "Pseudo-Labeling"} <= names


def test_version_suffixes_and_model_identifiers_still_count(vocab):
    text = "Backbones:\n- ResNet50\n- efficientnet_b3\n- tf_efficientnet_b7_ns\n- YOLOv5s\n- deberta_v3_large"
    got = [(m.technique, text[m.start:m.end]) for m in extract(text, vocab)]
    assert ("ResNet", "ResNet50") in got
    assert ("EfficientNet", "efficientnet_b3") in got
    assert ("EfficientNet", "tf_efficientnet_b7_ns") in got
    assert ("YOLO", "YOLOv5s") in got
    assert ("DeBERTa", "deberta_v3_large") in got


def test_short_acronyms_only_match_in_the_declared_case(vocab):
    assert "GRU" in found("A two-layer GRU on top of the embeddings.", vocab)
    assert "GRU" not in found("The gru of the project said so.", vocab)
    assert "Retrieval-Augmented Generation" in found("We added RAG with a small index.", vocab)
    assert "Retrieval-Augmented Generation" not in found("Cleaned the screen with a rag.", vocab)


def test_no_match_inside_longer_words_identifiers_or_urls(vocab):
    text = ("See https://github.com/microsoft/LightGBM and [the docs](https://xgboost.readthedocs.io/en/). "
            "The file lgb_model.py calls model.lgb and preresnet; mail catboost@example.com. "
            "Our oneshotmixupx idea is not a technique.")
    assert extract(text, vocab) == []


def test_common_words_are_not_techniques(vocab):
    text = ("We stacked the layers, boosted our morale, used a stack of papers and blended coffee, "
            "then clipped the hedge and took a quick rest.")
    names = {m.technique for m in extract(text, vocab)}
    assert not names & {"Stacking", "Gradient Boosted Trees", "XGBoost", "Prediction Clipping"}


def test_offsets_point_at_the_match_and_snippet_is_the_sentence(vocab):
    text = "Intro line.\n\nThe final   blend used\n   CatBoost with seeds. Next sentence here."
    (m,) = [m for m in extract(text, vocab) if m.technique == "CatBoost"]
    assert text[m.start:m.end] == "CatBoost"
    assert m.category == "models"
    assert m.snippet == "The final blend used CatBoost with seeds."


def test_long_sentences_get_a_window_around_the_match(vocab):
    filler = " ".join(f"word{i}" for i in range(120))
    text = f"{filler} then LightGBM was trained {filler}."
    (m,) = extract(text, vocab)
    assert len(m.snippet) <= 310
    assert "LightGBM" in m.snippet
    assert m.snippet.startswith("…") and m.snippet.endswith("…")


def test_one_mention_per_technique_per_sentence(vocab):
    text = "LightGBM first, then LightGBM again with dart. LightGBM a third time."
    mentions = [m for m in extract(text, vocab) if m.technique == "LightGBM"]
    assert len(mentions) == 2
    assert text[mentions[0].start:mentions[0].end] == "LightGBM" and mentions[0].start == 0


def test_patterns_extend_aliases(vocab):
    assert "K-Fold Cross-Validation" in found("Models were trained with 5-fold splits.", vocab)
    assert "K-Fold Cross-Validation" not in found("It gave a 3-fold increase in speed.", vocab)
    assert "Seed Averaging" in found("Each model was averaged over 5 seeds.", vocab)


def test_custom_patterns_fold_case_unless_marked_exact(tmp_path):
    path = tmp_path / "tiny.yml"
    path.write_text("- {name: Blob Trick, category: tricks, patterns: ['blob\\d+']}\n"
                    "- {name: Exact Trick, category: tricks, patterns: ['(?-i)XT\\d']}\n", encoding="utf-8")
    tiny = load_vocabulary([path])
    assert found("We used BLOB42 and XT5.", tiny) == {"Blob Trick": True, "Exact Trick": True}
    assert found("Only xt6 and myblob7 here.", tiny) == {}


# --------------------------------------------------------------------------- helped or not
def test_plain_statements_count_as_helped(vocab):
    got = found("Our final model is a LightGBM trained on target encoding features. TTA gave a boost.", vocab)
    assert got == {"LightGBM": True, "Target Encoding": True, "Test-Time Augmentation": True}


@pytest.mark.parametrize("heading", [
    "Solution > What didn't work", "Things that did not work", "Failed experiments", "Negative results",
    "Ideas with no improvement", "Unsuccessful attempts", "What did not help", "Future work",
])
def test_negative_sections_mark_every_mention(vocab, heading):
    got = found("- Mixup\n- SWA with a cyclic schedule\n- Focal loss", vocab, heading)
    assert got == {"Mixup": False, "SWA": False, "Focal Loss": False}


def test_mixed_heading_does_not_flip_everything(vocab):
    got = found("Mixup was part of the final pipeline.", vocab, "What worked and what didn't")
    assert got == {"Mixup": True}


def test_inline_headings_set_the_section_for_the_lines_below(vocab):
    text = ("## What worked\nCutMix on all folds.\n\n## What didn't work\nLabel smoothing.\n\n"
            "### Details\nSWA as well.\n\n## Final submission\nRank averaging of five models.")
    got = found(text, vocab, "Solution")
    assert got == {"CutMix": True, "Label Smoothing": False, "SWA": False, "Rank Averaging": True}


def test_bold_and_colon_pseudo_headings(vocab):
    text = ("**Did not work**\n\nMixup on the tabular data.\n\n**Worked**\n\nOptuna for the trees.\n\n"
            "Things that gave no gain:\n- SpecAugment\n- pitch shift\n\nAfterwards we added mosaic augmentation.")
    got = found(text, vocab)
    assert got == {"Mixup": False, "Optuna": True, "SpecAugment": False, "Audio Augmentation": False,
                   "Mosaic Augmentation": True}


@pytest.mark.parametrize("sentence", [
    "Mixup didn't help at all.",
    "Mixup did not improve the CV.",
    "We saw no improvement from mixup.",
    "Mixup gave no gain on the public board.",
    "Mixup made the score worse.",
    "Mixup hurt the validation score.",
    "Mixup was useless here.",
    "Mixup failed to beat the baseline.",
    "Mixup doesn't work for this data.",
    "We tried mixup without success.",
    "Mixup was not helpful.",
    "Adding mixup degraded the results.",
    "In the end we abandoned mixup.",
    "Mixup did not seem to help.",
    "We did not use mixup in the end.",
    "My final model did not leverage mixup.",
    "We didn't apply mixup at all.",
])
def test_sentence_cues_mark_the_mention(vocab, sentence):
    assert found(sentence, vocab) == {"Mixup": False}


def test_contrast_clauses_scope_the_cue(vocab):
    got = found("Mixup didn't help, but CutMix gave +0.01 on CV.", vocab)
    assert got == {"Mixup": False, "CutMix": True}
    got = found("Label smoothing was great; focal loss hurt the score.", vocab)
    assert got == {"Label Smoothing": True, "Focal Loss": False}
    got = found("SWA improved CV whereas EMA made it worse.", vocab)
    assert got == {"SWA": True, "EMA": False}


def test_tried_x_but(vocab):
    assert found("We tried pseudo-labeling but it didn't help.", vocab) == {"Pseudo-Labeling": False}
    assert found("I also tried TabNet, but the trees were better.", vocab) == {"TabNet": False}
    assert found("We tried TabNet but it actually improved our CV.", vocab) == {"TabNet": True}


def test_an_aside_after_tried_shares_its_verdict(vocab):
    got = found("I tried two bigger models (TabNet and a GRU), but none outperformed the trees.", vocab)
    assert got == {"TabNet": False, "GRU": False}
    got = found("I tried two bigger models (TabNet and a GRU), but it helped only a little.", vocab)
    assert got == {"TabNet": True, "GRU": True}


def test_ambiguous_brand_names_are_not_techniques(vocab):
    assert "Mask R-CNN" not in found("Photos came from an HTC phone and a Sony camera.", vocab)
    assert "Mask R-CNN" in found("A hybrid task cascade detector gave the best masks.", vocab)


def test_a_following_sentence_can_refer_back(vocab):
    assert found("Next we added Gaussian noise to the inputs. This didn't help.", vocab) == {
        "Noise Injection": False}
    assert found("We added Gaussian noise to the inputs. This problem is even worse for small data.",
                 vocab) == {"Noise Injection": True}
    assert found("- Gaussian noise on inputs (worse LB)", vocab) == {"Noise Injection": False}


def test_comparatives_are_directional(vocab):
    assert found("LightGBM performed worse than CatBoost.", vocab) == {"LightGBM": False, "CatBoost": True}
    assert found("CatBoost outperformed XGBoost by a wide margin.", vocab) == {"CatBoost": True, "XGBoost": False}
    assert found("We used quantile regression instead of a GRU.", vocab) == {"Quantile Loss": True, "GRU": False}


def test_without_and_no(vocab):
    assert found("The score was clearly worse without TTA.", vocab) == {"Test-Time Augmentation": True}
    assert found("Final predictions use no TTA.", vocab) == {"Test-Time Augmentation": False}


def test_conditions_are_not_results(vocab):
    got = found("Early stopping when there is no improvement for 100 rounds.", vocab)
    assert got == {"Early Stopping": True}
    got = found("Stratified K-fold kept us from overfitting the public leaderboard.", vocab)
    assert got["Stratified K-Fold"] is True


def test_mixed_readings_within_a_sentence(vocab):
    (m,) = extract("Without TTA we got 0.80; with TTA we got 0.81.", vocab)
    assert m.technique == "Test-Time Augmentation" and m.helped is True


# --------------------------------------------------------------------------- summarize
def mention(name: str, helped: bool) -> Mention:
    return Mention(technique=name, category="tricks", start=0, end=1, snippet="s", helped=helped)


def test_summarize_needs_a_majority_of_helped_mentions():
    got = summarize([mention("A", True), mention("A", True), mention("A", False),
                     mention("B", True), mention("B", False), mention("C", False), mention("D", True)])
    assert got == {"A": True, "B": False, "C": False, "D": True}
    assert summarize([]) == {}


def test_summarize_on_a_real_passage(vocab):
    text = ("The final blend used LightGBM and mixup-augmented CNNs. We tried mixup on the trees too, "
            "but it didn't help. Mixup with a low alpha was the most useful change overall.")
    got = summarize(extract(text, vocab))
    assert got["LightGBM"] is True
    assert got["Mixup"] is True  # two helped readings against one


# --------------------------------------------------------------------------- robustness
def test_empty_and_pathological_inputs_are_fast(vocab):
    assert extract("", vocab) == []
    nasty = ("k " * 4000) + ("-" * 5000) + ("a_" * 3000) + ("(" * 2000) + ("didn't " * 2000) + " LightGBM"
    start = time.perf_counter()
    got = extract(nasty, vocab)
    assert time.perf_counter() - start < 2.0
    assert [m.technique for m in got] == ["LightGBM"]


def test_many_passages_take_seconds_not_minutes(vocab):
    passage = ("## Approach\nWe trained LightGBM and CatBoost on 5-fold stratified CV with target encoding. "
               "Mixup didn't help, but TTA with flips gave a small boost. We tried pseudo-labeling but the "
               "LB got worse. The final blend was a weighted average tuned with Optuna. ") * 3
    passages = [passage.replace("Mixup", f"Mixup{i % 7}") for i in range(1000)]
    start = time.perf_counter()
    total = sum(len(extract(p, vocab, "Solution")) for p in passages)
    assert total > 5000
    assert time.perf_counter() - start < 15.0  # typically about one second


# --------------------------------------------------------------------------- the real snapshot
def _read(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8", "gb18030", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "<html" in text[:3000].lower() or "<p>" in text[:3000].lower():
        text = re.sub(r"<[^>]+>", " ", text)
    return text


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "manifest.jsonl").exists(), reason="needs ../shared/corpus")
def test_most_snapshot_documents_mention_a_technique(vocab):
    paths = {json.loads(line)["path"] for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line}
    with_technique = 0
    for rel in sorted(paths):
        mentions = extract(_read(CORPUS / rel), vocab)
        assert all(isinstance(m.helped, bool) for m in mentions)
        with_technique += bool(mentions)
    assert len(paths) > 250
    assert with_technique / len(paths) >= 0.8


# --------------------------------------------------------------------------- winning tricks (Recommend v3)
@pytest.mark.parametrize(("sentence", "technique"), [
    # entries added for tricks winners credit
    ("We stitched the tiles into mosaics so each prediction saw its neighbours.", "Mosaic Reconstruction"),
    ("Solving the 3D jigsaw of the slices gave the biggest jump.", "Mosaic Reconstruction"),
    ("Predictions were smoothed across neighbouring tiles.", "Mosaic Reconstruction"),
    ("We pretrained on the noisy subset and then fine-tuned on the curated one.", "Noisy-then-Clean Staged Training"),
    ("The second stage was fine-tuned on curated data only.", "Noisy-then-Clean Staged Training"),
    ("A second network read the DCT coefficients straight from the file.", "DCT-Domain Inputs"),
    ("The angle went in as an auxiliary input next to the image.", "Metadata Input Branch"),
    ("Our CNN had a metadata branch for age and sex.", "Metadata Input Branch"),
    ("For long essays we kept the first 256 and last 256 tokens.", "Head+Tail Truncation"),
    ("Keeping both head and tail of each answer worked best.", "Head+Tail Truncation"),
    ("We switched to a cyclic learning rate after epoch ten.", "Cyclic Learning Rate"),
    ("The decoder concatenates hypercolumns from four depths.", "Hypercolumns"),
    ("Every decoder block ends with an scSE module.", "scSE / Squeeze-Excitation"),
    ("An empty mask classifier runs before the segmentation model.", "Empty-Mask Classifier"),
    # entries mined from the corpus
    ("Treating all columns as categorical let the trees split on every value.", "Numerical Features as Categorical"),
    ("Each lesion score was ranked within each patient.", "Within-Group Relative Features"),
    ("We projected the covariance matrices into the tangent space.", "Covariance / Riemannian Features"),
    ("Three of the boosters used DART instead of plain boosting.", "LightGBM DART / GOSS"),
    ("We trained LightGBM with goss sampling.", "LightGBM DART / GOSS"),
    ("Slides were classified by a multiple instance learning head over tile embeddings.",
     "Multiple Instance Learning"),
    ("Cyclic pooling over four rotated copies shares all the filters.", "Rotation-Invariant Networks"),
    ("The model predicts start and end logits for the selected span.", "Span Extraction Head"),
    ("A quadratic discriminant analysis per cluster was nearly perfect.", "Discriminant Analysis"),
    ("Semi-supervised training on the test clips added a little.", "Semi-Supervised Learning"),
    ("Swapping ReLU for Mish gave a small but steady gain.", "Mish / Swish / GELU Activations"),
    ("We ended up validating four times per epoch and keeping the best step.", "Frequent Validation"),
    ("The sales model used a tweedie objective.", "Tweedie / Poisson Objective"),
    ("We spent a weekend hand labeling two hundred extra scans.", "Manual Annotation"),
    ("Appending the original dataset three times lifted the CV.", "Original Data (Playground)"),
    ("We added special tokens for the speaker turns.", "Tokenizer Customisation"),
    # aliases added to existing entries
    ("Model selection used nested CV.", "K-Fold Cross-Validation"),
    ("Taking first differences of the price series helped.", "Lag Features"),
    ("PCEN frontends replaced the log scaling.", "Spectrograms"),
    ("Input normalization was essential for the network.", "Feature Scaling"),
    ("Pairwise combinations of the categorical columns were target encoded.", "Interaction Features"),
    ("NGBoost gave calibrated intervals.", "Gradient Boosted Trees"),
    ("A PaiNN variant handled the molecules.", "GNN"),
    ("The agent learned to imitate the top bots from match replays.", "Imitation Learning"),
    ("Ships were matched to targets as an assignment problem.", "Integer / Linear Programming"),
    ("Secondary labels were given a weight of 0.3.", "Soft Labels"),
    ("A Pearson loss matched the metric better than MSE.", "Custom Loss"),
    ("We switched the optimizer to Adafactor.", "Ranger / Lookahead"),
    ("DropBlock regularised the encoder.", "Dropout"),
    ("Gradually unfreezing the encoder stabilised training.", "Layer Freezing"),
    ("Sampling semi-hard triplets made the embedding sharper.", "Hard Example Mining"),
    ("We kept boosting hard examples in later epochs.", "Hard Example Mining"),
    ("FMix replaced the square patches.", "CutMix"),
    ("Histogram equalization normalised the scans.", "Color Jitter"),
    ("Mixing in pink noise made the clips harder.", "Noise Injection"),
    ("We rounded the predictions to whole numbers.", "Optimised Rounding"),
    ("A noise robust loss down-weighted doubtful clips.", "Label Noise Handling"),
    ("The pipeline trains on face crops from every tenth frame.", "ROI Cropping"),
    ("Text normalization of slang was the main cleaning step.", "Text Preprocessing"),
    ("The judge model was loaded in 4-bit.", "Inference Optimisation"),
    ("Prompt design mattered for long chats.", "Prompt Engineering"),
    ("Five consecutive slices were stacked as channels.", "2.5D Inputs"),
    ("We fine-tuned the 7B model with unsloth.", "LoRA Fine-Tuning"),
    ("A few handcraft rules fixed the borders.", "Rule-Based Heuristics"),
    # found with kb techniques --candidates
    ("Frame features were pooled with NetVLAD.", "NetVLAD / Context Gating"),
    ("We picked new scans to label by active learning.", "Active Learning"),
    ("An extra self-supervision loss covered the missing labels.", "Self-Supervised Pretraining"),
    ("Refitting on the whole set beat fold averaging.", "Retrain on Full Data"),
    ("RankLib trained the NDCG models.", "Learning to Rank"),
    ("The glmnet fit was the linear baseline.", "Linear Regression"),
    ("Carry-over Elo from last season was the strongest feature.", "Rating Systems"),
    ("Photometric augmentations made the model robust to lighting.", "Color Jitter"),
    ("A final calibration step corrected the volumes.", "Calibration"),
    ("The categorical transformation of the numeric columns paid off.", "Numerical Features as Categorical"),
])
def test_winning_tricks_are_tagged(vocab, sentence, technique):
    assert technique in found(sentence, vocab)


@pytest.mark.parametrize(("sentence", "technique"), [
    ("Each player threw a dart at the board.", "LightGBM DART / GOSS"),
    ("Four training images are combined into a mosaic.", "Mosaic Reconstruction"),
    ("The jigsaw toxic comment data had six labels.", "Mosaic Reconstruction"),
    ("He called heads and tails on a coin.", "Head+Tail Truncation"),
    ("The head and tail classes of a long-tailed set behave differently.", "Head+Tail Truncation"),
    ("We kept the original data distribution intact.", "Original Data (Playground)"),
    ("Pseudo labels were added to the original training data.", "Original Data (Playground)"),
    ("The model still struggles on hard examples.", "Hard Example Mining"),
    ("A sea lion population was counted from aerial photos.", "Ranger / Lookahead"),
    ("Tested on 64-bit Windows with 16 GB of memory.", "Inference Optimisation"),
    ("Due to time limitation we skipped the last stage.", "Imitation Learning"),
    ("The file has 5 mil rows.", "Multiple Instance Learning"),
    ("Most masks were empty, so the metric rewarded caution.", "Empty-Mask Classifier"),
    ("We read the metadata file first.", "Metadata Input Branch"),
    ("The sales are poisson distributed.", "Tweedie / Poisson Objective"),
])
def test_winning_tricks_do_not_fire_on_ordinary_text(vocab, sentence, technique):
    assert technique not in found(sentence, vocab)


def test_mosaic_augmentation_and_mosaic_reconstruction_are_told_apart(vocab):
    assert found("We added mosaic augmentation to the detector.", vocab) == {"Mosaic Augmentation": True}
    got = found("Assembling the tiles into mosaics let us fix the masks on the borders.", vocab)
    assert got.get("Mosaic Reconstruction") is True and "Mosaic Augmentation" not in got
