"""The technique vocabulary: the packaged file, extension files, and validation messages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.config import load_settings
from kb.embed import FakeEmbedder
from kb.errors import KBError
from kb.techniques.vocab import (
    CATEGORIES,
    PACKAGED,
    VocabularyError,
    default_paths,
    load_vocabulary,
    settings_paths,
)


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- packaged vocabulary
def test_packaged_vocabulary_is_large_and_valid():
    vocab = load_vocabulary()
    assert len(vocab) >= 150
    assert {t.category for t in vocab} <= set(CATEGORIES)
    assert set(vocab.categories) == set(CATEGORIES)  # every category is used
    names = [t.name.casefold() for t in vocab]
    assert len(names) == len(set(names))
    assert all(t.description for t in vocab)
    assert all(t.aliases or t.case_sensitive_aliases or t.patterns for t in vocab)


def test_packaged_vocabulary_covers_the_classics():
    vocab = load_vocabulary()
    for name in ("LightGBM", "XGBoost", "CatBoost", "Stacking", "Pseudo-Labeling", "Test-Time Augmentation",
                 "Target Encoding", "Adversarial Validation", "Group K-Fold", "Mixup", "U-Net", "DeBERTa",
                 "LoRA Fine-Tuning", "Weighted Boxes Fusion", "External Data", "Leaderboard Probing"):
        assert name in vocab, name


def test_packaged_vocabulary_knows_specific_winning_tricks():
    vocab = load_vocabulary()
    expected = {
        "Mosaic Reconstruction": "tricks", "Noisy-then-Clean Staged Training": "training",
        "DCT-Domain Inputs": "features", "Metadata Input Branch": "models", "Head+Tail Truncation": "data",
        "Cyclic Learning Rate": "training", "Hypercolumns": "models", "scSE / Squeeze-Excitation": "models",
        "Empty-Mask Classifier": "post-processing", "LightGBM DART / GOSS": "models",
        "Original Data (Playground)": "data", "Numerical Features as Categorical": "features",
        "Covariance / Riemannian Features": "features", "Multiple Instance Learning": "models",
        "Span Extraction Head": "models", "Semi-Supervised Learning": "training", "Manual Annotation": "data",
    }
    assert {name: vocab.by_name(name).category for name in expected} == expected


def test_acronym_aliases_of_new_entries_are_case_sensitive():
    vocab = load_vocabulary()
    for name, acronym in (("LightGBM DART / GOSS", "DART"), ("Multiple Instance Learning", "MIL"),
                          ("Cyclic Learning Rate", "CLR"), ("DCT-Domain Inputs", "DCT")):
        technique = vocab.by_name(name)
        assert acronym in technique.case_sensitive_aliases
        assert acronym.lower() not in technique.aliases


def test_by_name_is_case_insensitive_and_unknown_names_raise_keyerror():
    vocab = load_vocabulary()
    assert vocab.by_name("lightgbm").name == "LightGBM"
    assert vocab.by_name("LightGBM").category == "models"
    with pytest.raises(KeyError, match="no such thing"):
        vocab.by_name("no such thing")


def test_vocabulary_is_immutable_and_iterable():
    vocab = load_vocabulary()
    assert isinstance(vocab.techniques, tuple)
    assert list(vocab)[0] is vocab.techniques[0]
    with pytest.raises(AttributeError):
        vocab.techniques = ()  # type: ignore[misc]


def test_matcher_is_built_once_per_vocabulary():
    vocab = load_vocabulary()
    assert vocab.matcher() is vocab.matcher()


# --------------------------------------------------------------------------- extension files
EXTRA = """
- name: Ghost Features
  category: features
  aliases: [ghost features, spectral ghosts]
  description: A made-up technique used only in tests.
- name: lightgbm
  aliases: [gradient forest of leaves]
"""


def test_extra_file_adds_entries_and_overrides_fields_of_existing_ones(tmp_path):
    vocab = load_vocabulary([PACKAGED, write(tmp_path, "extra.yml", EXTRA)])
    base = load_vocabulary([PACKAGED])
    assert len(vocab) == len(base) + 1
    ghost = vocab.by_name("Ghost Features")
    assert ghost.category == "features"
    assert ghost.aliases == ("ghost features", "spectral ghosts")
    lgbm = vocab.by_name("LightGBM")
    assert lgbm.name == "LightGBM"  # keeps the original spelling
    assert lgbm.aliases == ("gradient forest of leaves",)  # replaced
    assert lgbm.category == "models" and lgbm.description == base.by_name("LightGBM").description  # kept


def test_env_var_and_kb_home_files_extend_the_default(tmp_path, monkeypatch):
    one = write(tmp_path, "one.yml", "- {name: Alpha Trick, category: tricks, aliases: [alpha trick]}\n")
    two = write(tmp_path, "two.yml", "- {name: Beta Trick, category: tricks, aliases: [beta trick]}\n")
    home = tmp_path / "home"
    home.mkdir()
    write(home, "techniques.yml", "- {name: Gamma Trick, category: tricks, aliases: [gamma trick]}\n")
    monkeypatch.setenv("KB_TECHNIQUES", os.pathsep.join([str(one), str(two)]))
    monkeypatch.setenv("KB_HOME", str(home))
    assert settings_paths(load_settings()) == [PACKAGED, one, two, home / "techniques.yml"]
    vocab = load_vocabulary()
    assert {"Alpha Trick", "Beta Trick", "Gamma Trick"} <= {t.name for t in vocab}
    with KnowledgeBase.open(embedder=FakeEmbedder(), model="fake") as kb:  # what a knowledge base reads
        assert {"Alpha Trick", "Beta Trick", "Gamma Trick"} <= {t.name for t in kb.vocabulary}


def test_missing_kb_home_file_is_simply_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_HOME", str(tmp_path / "empty-home"))
    assert settings_paths(load_settings()) == [PACKAGED]
    assert default_paths() == [PACKAGED]


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(("body", "message"), [
    ("- {category: models, aliases: [x]}\n", r"entry 1: missing 'name'"),
    ("- {name: New Thing, aliases: [new thing]}\n", r"entry 1 \('New Thing'\): missing 'category'"),
    ("- {name: Odd, category: magic, aliases: [odd]}\n", r"entry 1 \('Odd'\): unknown category 'magic'"),
    ("- {name: Twice, category: tricks, aliases: [a1]}\n- {name: twice, category: tricks, aliases: [a2]}\n",
     r"entry 2 \('twice'\): duplicate name"),
    ("- {name: Broken, category: tricks, patterns: ['(unclosed']}\n", r"entry 1 \('Broken'\): bad regex"),
    ("- {name: Grouped, category: tricks, patterns: ['(a|b)c']}\n", r"must not use capturing groups"),
    ("- {name: Empty, category: tricks, patterns: ['x*']}\n", r"matches the empty string"),
    ("- {name: Shouty, category: tricks, patterns: ['\\bLGB\\d']}\n", r"write its letters in lower case"),
    ("- {name: Bare, category: tricks}\n", r"entry 1 \('Bare'\): needs at least one alias or pattern"),
    ("- {name: Typo, category: tricks, alias: [typo]}\n", r"unknown field\(s\) alias"),
    ("- {name: Clash, category: tricks, aliases: [light gbm]}\n", r"alias 'lightgbm' is also an alias of 'LightGBM'"),
    ("- name: [unclosed\n", r"malformed YAML"),
    ("name: not a list\n", r"expected a list of technique entries"),
])
def test_validation_errors_name_the_file_and_the_entry(tmp_path, body, message):
    path = write(tmp_path, "bad.yml", body)
    with pytest.raises(VocabularyError, match=message) as info:
        load_vocabulary([PACKAGED, path])
    assert str(path) in str(info.value)
    assert isinstance(info.value, KBError) and info.value.exit_code == 2


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(VocabularyError, match=re.escape(str(tmp_path / "nope.yml")) + ": vocabulary file not found"):
        load_vocabulary([tmp_path / "nope.yml"])
