"""``KnowledgeBase.recommend``: which techniques won competitions like this one, with evidence.

Three signals vote for techniques through the write-ups that report them as helping:
1. *similar competitions*: competitions whose catalog description is closest to the query
   (embedding similarity), with their write-ups;
2. *profile prior*: write-ups of competitions with the same modality, task type and metric family
   as the query (inferred from its text), closer in time counting more;
3. *retrieved passages*: write-ups whose passages match the query (hybrid search), where
   "did not help" mentions count against a technique.
A write-up votes for each technique it reports as helping with :func:`kb.recommend.prominence`:
techniques it reports in many sentences (its main ones) count more than passing mentions.
Each signal is normalised and added with a weight; the weights were chosen on the in-repo
leave-one-competition-out evaluation (``kb eval``).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from kb.filters import Filters, document_ids
from kb.models import year_of
from kb.profile import infer_profile
from kb.recommend import (
    Evidence,
    Recommendation,
    SimilarCompetition,
    TechniqueScore,
    combine,
    passage_weight,
    pick_evidence,
    profile_similarity,
    rank_weight,
    vote,
)
from kb.recommend_data import CorpusData, competition_vectors, data_version, load_corpus_data


@dataclass(frozen=True)
class Weights:
    similar_competitions: float = 1.0
    profile: float = 1.0
    passages: float = 0.5
    neighbours: int = 15
    retrieve: int = 300
    passage_documents: int = 30


DEFAULT_WEIGHTS = Weights()


def corpus_data(kb) -> CorpusData:  # noqa: ANN001
    """Cached per KnowledgeBase; reloaded when the database changed."""
    with kb._lock:
        version = data_version(kb.conn)
        cached = getattr(kb, "_corpus_data", None)
        if cached is not None and cached.version == version:
            return cached
        data = load_corpus_data(kb.conn)
        before = kb.conn.total_changes
        competition_vectors(kb.conn, data, kb.embedder, store=not kb.readonly)
        if kb.conn.total_changes != before:  # our own vector writes do not make the data stale
            data.version = (data.version[0], kb.conn.total_changes)
        kb._corpus_data = data
        return data


def _query_profile(text: str) -> tuple[str | None, str | None, str | None]:
    lower = text.lower()
    metric = text[lower.index("metric:") + 7:] if "metric:" in lower else text
    p = infer_profile(text, "", metric)
    return p.modality, p.task_type, p.metric_family


def recommend(kb, description: str, k: int = 10, *, exclude_competition: str | None = None,  # noqa: ANN001
              mode: str = "hybrid", year: int | None = None, weights: Weights = DEFAULT_WEIGHTS,
              evidence_per_technique: int = 3, competitions: int = 10,
              exclude_documents: Collection[int] = (), **filters: object) -> Recommendation:
    scored = kb.passages(description, limit=weights.retrieve, mode=mode, exclude_competition=exclude_competition,
                         **filters)
    query = " ".join(str(description).split())
    data = corpus_data(kb)
    with kb._lock:
        allowed = document_ids(kb.conn, Filters.from_kwargs(**filters))
        chunk_doc = kb._chunk_documents([cid for cid, _ in scored])
    excluded = set(exclude_documents)
    if exclude_competition:
        excluded |= data.comp_docs.get(exclude_competition, set())
    mask = data.mask(allowed, excluded)
    if not mask.any() or data.helped is None:
        return Recommendation(query=query)
    if year is None:
        year = max((p[3] for p in data.comp_profile.values() if p[3]), default=None)

    def ok(d: int | None) -> bool:
        r = data.row.get(d) if d is not None else None
        return r is not None and bool(mask[r])

    # 1. retrieved passages → documents in order of their best passage
    passage_docs: dict[int, float] = {}
    passage_chunk: dict[int, int] = {}
    for cid, _ in scored:
        d = chunk_doc.get(cid)
        if ok(d) and d not in passage_docs and len(passage_docs) < weights.passage_documents:
            passage_docs[d] = passage_weight(len(passage_docs) + 1, k=10.0) * rank_weight(data.docs[d].best_rank)
            passage_chunk[d] = cid
    # 2. similar competitions by catalog description
    comp_sims = _similar_competitions(kb, data, query, ok, exclude_competition, limit=max(weights.neighbours, 50))
    neighbour_docs: dict[int, float] = {}
    for slug, sim in comp_sims[:weights.neighbours]:
        for d in data.comp_docs.get(slug, ()):
            if ok(d):
                neighbour_docs[d] = max(neighbour_docs.get(d, 0.0), max(sim, 0.0))
    # 3. profile prior over every allowed write-up: a write-up counts as its most similar competition
    qprof = _query_profile(query)
    comp_prior = np.array([profile_similarity(qprof, year, data.comp_profile.get(s, (None, None, None, None)))
                           for s in data.link_slugs], dtype=np.float64)
    prior = np.zeros(len(data.doc_ids))
    if len(data.link_rows):
        np.maximum.at(prior, data.link_rows, comp_prior[data.link_comps])
    prior *= mask

    ranked = combine([
        (weights.similar_competitions, vote(_weights(data, neighbour_docs), data.helped)),
        (weights.profile, vote(prior, data.helped)),
        (weights.passages, vote(_weights(data, passage_docs), data.helped, data.not_helped)),
    ])[:k]
    evidence = _evidence(kb, [t for t, _ in ranked], _evidence_rank(passage_docs, neighbour_docs, prior, data.row, ok),
                         passage_chunk, evidence_per_technique)
    vocab = kb.vocabulary
    helped_n = dict(zip(data.helped.names, data.helped.count(mask), strict=True))
    not_helped_n = dict(zip(data.not_helped.names, data.not_helped.count(mask), strict=True))
    techniques = []
    for name, score in ranked:
        tech = vocab.by_name(name) if name in vocab else None
        techniques.append(TechniqueScore(
            name=name, category=tech.category if tech else "other", aliases=tuple(tech.aliases) if tech else (),
            description=tech.description if tech else "", score=score, documents=int(helped_n.get(name, 0)),
            helped=int(helped_n.get(name, 0)), not_helped=int(not_helped_n.get(name, 0)),
            evidence=evidence.get(name, ())))
    return Recommendation(query=query, techniques=techniques,
                          competitions=_similar_list(data, comp_sims, passage_docs, ok, competitions))


def _weights(data: CorpusData, doc_weights: dict[int, float]) -> np.ndarray:
    out = np.zeros(len(data.doc_ids))
    for d, w in doc_weights.items():
        out[data.row[d]] = w
    return out


def _similar_competitions(kb, data: CorpusData, query: str, ok: Callable[[int], bool],  # noqa: ANN001
                          exclude: str | None, limit: int) -> list[tuple[str, float]]:
    """The ``limit`` competitions (with allowed write-ups) whose catalog description is closest to the query."""
    if data.comp_vectors is None or not len(data.comp_slugs):
        return []
    sims = data.comp_vectors @ kb._encode(query)
    out = []
    for i in np.argsort(-sims):
        slug = data.comp_slugs[int(i)]
        if slug == exclude or not any(ok(d) for d in data.comp_docs.get(slug, ())):
            continue
        out.append((slug, float(sims[int(i)])))
        if len(out) == limit:
            break
    return out


def _evidence_rank(passages: dict[int, float], neighbours: dict[int, float], prior: np.ndarray, row: dict[int, int],
                   ok: Callable[[int], bool]) -> Callable[[int], tuple[int, float]]:
    """Sort key of a document to quote from: those matching the query first, then similar competitions,
    then every other allowed write-up by its prior; tier 3 (filtered out) is never quoted."""
    def key(d: int) -> tuple[int, float]:
        if d in passages:
            return 0, -passages[d]
        if d in neighbours:
            return 1, -neighbours[d]
        return (2, -float(prior[row[d]])) if ok(d) else (3, 0.0)
    return key


def _evidence(kb, names: list[str], rank: Callable[[int], tuple[int, float]],  # noqa: ANN001
              passage_chunk: dict[int, int], per_technique: int) -> dict[str, tuple[Evidence, ...]]:
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    with kb._lock:
        rows = kb.conn.execute(
            "SELECT ct.technique, ct.chunk_id, ct.snippet, c.document_id, d.url, d.title, d.date"
            f" FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d ON d.id = c.document_id"
            f" WHERE ct.helped = 1 AND ct.technique IN ({marks})", names).fetchall()
        keys = {d: rank(d) for d in {r["document_id"] for r in rows}}
        quotable = sorted((d for d, key in keys.items() if key[0] < 3), key=lambda d: (keys[d], d))
        position = {d: i for i, d in enumerate(quotable)}
        links = _links(kb.conn, sorted(position))
    found: dict[str, list[Evidence]] = defaultdict(list)
    for r in rows:
        d = r["document_id"]
        if d not in position:
            continue
        link = links.get(d)
        # prefer the passage that matched the query, then earlier documents
        weight = (2.0 if passage_chunk.get(d) == r["chunk_id"] else 1.0) / (1 + position[d])
        found[r["technique"]].append(Evidence(
            url=r["url"], title=r["title"] or r["url"], competition=link["slug"] if link else None,
            competition_title=link["title"] if link else None, rank=link["rank"] if link else None,
            year=(link["year"] if link else None) or year_of(r["date"]), snippet=r["snippet"], helped=True,
            document_id=d, chunk_id=r["chunk_id"], weight=weight))
    return {t: pick_evidence(ev, per_technique) for t, ev in found.items()}


def _links(conn: sqlite3.Connection, doc_ids: list[int]) -> dict[int, sqlite3.Row]:
    out: dict[int, sqlite3.Row] = {}
    for start in range(0, len(doc_ids), 500):
        part = doc_ids[start:start + 500]
        marks = ",".join("?" * len(part))
        for r in conn.execute(
                "SELECT dc.document_id, dc.rank, co.slug, co.title, co.year FROM document_competitions dc"
                f" JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id IN ({marks})"
                " ORDER BY dc.rank IS NULL, dc.rank", part):
            out.setdefault(r["document_id"], r)
    return out


def _similar_list(data: CorpusData, comp_sims: list[tuple[str, float]], passage_docs: dict[int, float],
                  ok: Callable[[int], bool], limit: int) -> list[SimilarCompetition]:
    from_passages: dict[str, float] = defaultdict(float)
    for d, w in passage_docs.items():
        for slug in data.docs[d].competitions:
            from_passages[slug] = max(from_passages[slug], w)
    total = combine([(1.0, dict(comp_sims[:50])), (0.5, dict(from_passages))])
    out = []
    for slug, score in total:
        allowed = [d for d in data.comp_docs.get(slug, ()) if ok(d)]
        if slug not in data.comp_info or not allowed:
            continue
        info = data.comp_info[slug]
        out.append(SimilarCompetition(
            slug=slug, title=info["title"], year=info["year"], score=score, metric=info["metric"],
            modality=info["modality"], url=info["url"], documents=tuple(sorted(data.docs[d].url for d in allowed))))
        if len(out) == limit:
            break
    return out
