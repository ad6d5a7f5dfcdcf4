from __future__ import annotations

from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.embed import FakeEmbedder
from tests.fixtures.mini_mirror import write_mirror

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DESCRIPTIONS = CORPUS.parent / "descriptions"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Every test gets its own KB_HOME and never sees the developer's settings."""
    for var in ("KB_MIRROR", "KB_MODEL", "KB_DEVICE", "KB_BATCH_SIZE", "KB_TECHNIQUES", "KB_ABSTAIN_BELOW",
                "KB_DESCRIPTIONS", "GITHUB_TOKEN", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "kbhome"))


@pytest.fixture
def mirror(tmp_path) -> Path:
    return write_mirror(tmp_path / "mirror")


@pytest.fixture
def kb(tmp_path) -> KnowledgeBase:
    # the hashed bag-of-words embedder's similarities are lower than a real model's: no abstention floor
    base = KnowledgeBase.open(tmp_path / "kbhome", embedder=FakeEmbedder(), model="fake", abstain_below=0.0)
    yield base
    base.close()


@pytest.fixture
def built_kb(kb, mirror) -> KnowledgeBase:
    from ingest.mirror import ingest_mirror

    ingest_mirror(kb, mirror)
    return kb


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory):
    """The real snapshot ingested with the real model, shared by the corpus tier (built once)."""
    if not (CORPUS / "manifest.jsonl").exists():
        pytest.skip("../shared/corpus is not available")
    from ingest.mirror import ingest_mirror

    home = tmp_path_factory.mktemp("real-kb")
    base = KnowledgeBase.open(home, model="all-MiniLM-L6-v2")
    summary = ingest_mirror(base, CORPUS)
    base.first_summary = summary
    yield base
    base.close()
