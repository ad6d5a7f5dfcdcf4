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
from collections import Counter, defaultdict
from collections.abc import Collection
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
    prominence,
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
        allowed = document_ids(kb.conn, Filters.from_kwargs(exclude_competition=exclude_competition, **filters))
        chunk_doc = kb._chunk_documents([cid for cid, _ in scored])
    excluded = set(exclude_documents)
    docs = {d: info for d, info in data.docs.items() if (allowed is None or d in allowed) and d not in excluded}
    if not docs:
        return Recommendation(query=query)
    if year is None:
        year = max((p[3] for p in data.comp_profile.values() if p[3]), default=None)
    helped = {d: {t: prominence(info.mentions.get(t, 1)) for t in info.helped} for d, info in docs.items()}
    not_helped = {d: info.not_helped for d, info in docs.items()}

    # 1. retrieved passages → documents in order of their best passage
    passage_docs: dict[int, float] = {}
    passage_chunk: dict[int, int] = {}
    for cid, _ in scored:
        d = chunk_doc.get(cid)
        if d in docs and d not in passage_docs and len(passage_docs) < weights.passage_documents:
            passage_docs[d] = passage_weight(len(passage_docs) + 1, k=10.0) * rank_weight(docs[d].best_rank)
            passage_chunk[d] = cid
    # 2. similar competitions by catalog description
    comp_sims = _similar_competitions(kb, data, query, docs, exclude_competition)
    neighbour_docs: dict[int, float] = {}
    for slug, sim in comp_sims[:weights.neighbours]:
        for d in data.comp_docs.get(slug, ()):
            if d in docs:
                neighbour_docs[d] = max(neighbour_docs.get(d, 0.0), max(sim, 0.0))
    # 3. profile prior over every allowed write-up
    qprof = _query_profile(query)
    prior_docs = {d: max((profile_similarity(qprof, year, data.comp_profile.get(s, (None, None, None, None)))
                          for s in info.competitions), default=0.0) for d, info in docs.items()}

    ranked = combine([
        (weights.similar_competitions, vote(neighbour_docs, helped)),
        (weights.profile, vote(prior_docs, helped)),
        (weights.passages, vote(passage_docs, helped, not_helped)),
    ])[:k]
    order = _evidence_order(passage_docs, neighbour_docs, prior_docs)
    evidence = _evidence(kb, [t for t, _ in ranked], order, passage_chunk, evidence_per_technique)
    vocab = kb.vocabulary
    names = {name for name, _ in ranked}
    helped_n: Counter[str] = Counter()
    not_helped_n: Counter[str] = Counter()
    for info in docs.values():  # one pass, not one per technique
        helped_n.update(info.helped & names)
        not_helped_n.update(info.not_helped & names)
    techniques = []
    for name, score in ranked:
        tech = vocab.by_name(name) if name in vocab else None
        techniques.append(TechniqueScore(
            name=name, category=tech.category if tech else "other", aliases=tuple(tech.aliases) if tech else (),
            description=tech.description if tech else "", score=score, documents=helped_n[name],
            helped=helped_n[name], not_helped=not_helped_n[name], evidence=evidence.get(name, ())))
    return Recommendation(query=query, techniques=techniques,
                          competitions=_similar_list(data, comp_sims, passage_docs, docs, competitions))


def _similar_competitions(kb, data: CorpusData, query: str, docs: dict, exclude: str | None  # noqa: ANN001
                          ) -> list[tuple[str, float]]:
    if data.comp_vectors is None or not len(data.comp_slugs):
        return []
    sims = data.comp_vectors @ kb._encode(query)
    out = []
    for i in np.argsort(-sims):
        slug = data.comp_slugs[int(i)]
        if slug == exclude or not any(d in docs for d in data.comp_docs.get(slug, ())):
            continue
        out.append((slug, float(sims[int(i)])))
    return out


def _evidence_order(*weights: dict[int, float]) -> list[int]:
    """Documents to quote from: those matching the query first, then similar competitions, then the prior."""
    seen: dict[int, None] = {}
    for w in weights:
        for d, _ in sorted(w.items(), key=lambda kv: -kv[1]):
            seen.setdefault(d, None)
    return list(seen)


def _evidence(kb, names: list[str], order: list[int], passage_chunk: dict[int, int],  # noqa: ANN001
              per_technique: int) -> dict[str, tuple[Evidence, ...]]:
    if not names:
        return {}
    position = {d: i for i, d in enumerate(order)}
    marks = ",".join("?" * len(names))
    with kb._lock:
        rows = kb.conn.execute(
            "SELECT ct.technique, ct.chunk_id, ct.snippet, c.document_id, d.url, d.title, d.date"
            f" FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d ON d.id = c.document_id"
            f" WHERE ct.helped = 1 AND ct.technique IN ({marks})", names).fetchall()
        links = _links(kb.conn, sorted({r["document_id"] for r in rows if r["document_id"] in position}))
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
                  docs: dict, limit: int) -> list[SimilarCompetition]:
    from_passages: dict[str, float] = defaultdict(float)
    for d, w in passage_docs.items():
        for slug in docs[d].competitions:
            from_passages[slug] = max(from_passages[slug], w)
    total = combine([(1.0, dict(comp_sims[:50])), (0.5, dict(from_passages))])
    out = []
    for slug, score in total:
        if slug not in data.comp_info or not any(d in docs for d in data.comp_docs.get(slug, ())):
            continue
        info = data.comp_info[slug]
        out.append(SimilarCompetition(
            slug=slug, title=info["title"], year=info["year"], score=score, metric=info["metric"],
            modality=info["modality"], url=info["url"],
            documents=tuple(sorted(docs[d].url for d in data.comp_docs.get(slug, ()) if d in docs))))
        if len(out) == limit:
            break
    return out

