"""Synthetic passage vectors with the structure real embeddings have: areas → topics → documents → passages.

Every vector is unit length (like the model's output). Topics sit around a few broad areas
(cosine ≈ 0.5), a document mixes two topics of one area, a passage sits at cosine ≈ 0.75 from its
document's centre and a document at ≈ 0.6 from its topics' mix. So two passages of one document are
≈ 0.55 alike, of one topic ≈ 0.2–0.3, of one area ≈ 0.1 and unrelated ones ≈ 0: a continuum rather
than separate clusters. Queries are fresh passages of existing documents: their true neighbours are
that document's passages, then a long flat tail spread over neighbouring topics, which is what makes
approximate search hard in practice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIM = 384
PASSAGE_COS = 0.75
DOCUMENT_COS = 0.6
PASSAGES_PER_DOC = 5
DOCS_PER_TOPIC = 100
TOPICS_PER_AREA = 50
TOPIC_COS = 0.5


def _unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _around(centres: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors at about ``cos`` from each row of ``centres`` (noise of norm ≈ tan(arccos cos))."""
    spread = np.sqrt(1.0 / cos**2 - 1.0) / np.sqrt(centres.shape[1])
    noise = rng.standard_normal(centres.shape, dtype=np.float32)
    noise *= np.float32(spread)
    noise += centres
    return _unit(noise)


@dataclass(frozen=True)
class Corpus:
    """``vectors[i]`` belongs to document ``doc_of[i]``; documents ``[0, n_docs)`` have topic ``topic_of``."""

    vectors: np.ndarray
    doc_of: np.ndarray
    doc_centres: np.ndarray
    topic_of: np.ndarray


def document_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Passages per document (1 or more, mean ``PASSAGES_PER_DOC``) summing to exactly ``n``."""
    sizes = rng.geometric(1.0 / PASSAGES_PER_DOC, size=2 * (n // PASSAGES_PER_DOC) + 10)
    cum = np.cumsum(sizes)
    cut = int(np.searchsorted(cum, n))
    sizes = sizes[:cut + 1].copy()
    sizes[-1] -= int(cum[cut] - n)
    if sizes[-1] <= 0:
        sizes = sizes[:-1]
    return sizes


def make_corpus(n: int, *, dim: int = DIM, seed: int = 0, chunk: int = 100_000) -> Corpus:
    """``n`` passage vectors (float32, unit length) built in slices to keep memory at ~n × dim × 4 bytes."""
    rng = np.random.default_rng(seed)
    sizes = document_sizes(n, rng)
    n_docs = len(sizes)
    n_topics = max(2, n_docs // DOCS_PER_TOPIC)
    n_areas = max(1, n_topics // TOPICS_PER_AREA)
    areas = _unit(rng.standard_normal((n_areas, dim), dtype=np.float32))
    area_of = rng.integers(0, n_areas, size=n_topics)
    topics = _around(areas[area_of], TOPIC_COS, rng)
    by_area = [np.flatnonzero(area_of == a) for a in range(n_areas)]
    topic_of = rng.integers(0, n_topics, size=n_docs)
    second = np.array([rng.choice(by_area[area_of[t]]) if len(by_area[area_of[t]]) else t for t in topic_of])
    mix = _unit(0.8 * topics[topic_of] + 0.6 * topics[second])
    docs = _around(mix, DOCUMENT_COS, rng)
    doc_of = np.repeat(np.arange(n_docs), sizes)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        out[start:stop] = _around(docs[doc_of[start:stop]], PASSAGE_COS, rng)
    return Corpus(vectors=out, doc_of=doc_of, doc_centres=docs, topic_of=topic_of)


def make_queries(corpus: Corpus, n: int, *, seed: int = 1) -> np.ndarray:
    """``n`` new passages of randomly chosen documents (not in the corpus)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(corpus.doc_centres), size=n)
    return _around(corpus.doc_centres[picks], PASSAGE_COS, rng)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row positions of the ``k`` highest inner products per query (ground truth for recall)."""
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index.search(queries, k)[1]
