"""Real-model tier: loads the packaged all-MiniLM-L6-v2 offline."""

import numpy as np
import pytest

from kb.embed import make_embedder

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder():
    return make_embedder("all-MiniLM-L6-v2")


def test_packaged_model_loads_offline_with_its_id_and_dimension(embedder):
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder.dim == 384


def test_vectors_are_normalised_and_order_preserved(embedder):
    texts = ["a much longer sentence about gradient boosted decision trees on tabular data", "short", ""]
    vecs = embedder.encode(texts, batch_size=2)
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs[:2], axis=1), 1.0, atol=1e-4)
    alone = embedder.encode([texts[1]])
    assert np.allclose(alone[0], vecs[1], atol=1e-4)


def test_semantic_similarity_makes_sense(embedder):
    q, near, far = embedder.encode([
        "segmenting buildings in satellite imagery",
        "a U-Net that outlines roofs on aerial photos",
        "forecasting weekly retail sales with boosted trees",
    ])
    assert float(q @ near) > float(q @ far) + 0.1
