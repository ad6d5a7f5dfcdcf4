"""``KnowledgeBase.recommend``: the distinctive techniques that won competitions like the query, the
table stakes apart, the similar competitions with their reasons, and quotes from the write-ups that
cast each vote. The scoring is in :mod:`kb.recommend.scoring`; this module reads the query and the
corpus and puts the answer together.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from kb.profile import infer_profile, modality_confidence, modality_scores
from kb.recommend import scoring
from kb.recommend.corpus import CorpusData, corpus_data
from kb.recommend.coverage import Coverage, coverage_of, query_years
from kb.recommend.page import Page, ml_cues, read_page
from kb.recommend.scoring import (
    TechniqueVote,
    modality_rates,
    pick_evidence,
    quote_quality,
    rank_techniques,
    rank_weight,
    shares,
    table_stakes,
)
from kb.recommend.similar import Similarity, reason, similarity
from kb.recommend.types import DocumentRef, Evidence, QueryProfile, Recommendation, SimilarCompetition, TechniqueScore
from kb.search.filters import Filters, document_ids
from kb.store import read

if TYPE_CHECKING:
    from kb.api import KnowledgeBase
from kb.records import year_of

WINDOW_WORDS = 150  # the model reads ~256 word pieces: a long page is encoded in windows and averaged
MAX_WINDOWS = 8
PASSAGES = 200  # passages retrieved for the query: a quote from one of them is preferred
SHARES = 30  # techniques whose share among similar winners the answer reports
NO_WRITEUPS = "No winning write-up matches these filters."


def read_query(description: str, *, modality: str | None = None, task_type: str | None = None,
               metric_family: str | None = None, year: int | None = None) -> tuple[Page, QueryProfile, str]:
    """The page reduced to what describes the problem, its profile (user values win over inferred
    ones), and the text to embed."""
    page = read_page(description)
    title = page.title or ""
    metric = page.metric or (page.sections.get("metric", "")[:300] if page.is_page else page.text)
    inferred = infer_profile(title, page.text, metric, task_text=page.goal)
    confidence = modality_confidence(modality_scores(title, page.text, metric), inferred.modality)
    given = {"modality": modality, "task_type": task_type, "metric_family": metric_family}
    profile = QueryProfile(
        modality=modality or inferred.modality, task_type=task_type or inferred.task_type,
        metric_family=metric_family or inferred.metric_family,
        confidence=1.0 if modality else confidence, metric=page.metric, year=year or page.year,
        constraints=page.constraints, inferred=tuple(k for k, v in given.items() if not v))
    focus = f"{title}. {page.text}" if title else page.text
    return page, profile, focus


def query_vector(kb: KnowledgeBase, text: str) -> np.ndarray:
    """The mean of the query's window vectors, earlier windows (the description) counting more."""
    words = text.split()
    windows = [" ".join(words[i:i + WINDOW_WORDS]) for i in range(0, len(words), WINDOW_WORDS)][:MAX_WINDOWS]
    vecs = np.stack([kb.encode_query(w) for w in windows or [text]])
    weights = np.array([1.0 / (1.0 + 0.3 * i) for i in range(len(vecs))])
    v = (vecs * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def recommend(kb: KnowledgeBase, description: str, k: int = 10, *, exclude_competition: str | None = None,
              mode: str = "hybrid", year: int | None = None, evidence_per_technique: int = 3,
              competitions: int = 10, exclude_documents: Collection[int] = (), modality: str | None = None,
              task_type: str | None = None, metric_family: str | None = None,
              filters: Filters | None = None) -> Recommendation:
    page, profile, focus = read_query(description, modality=modality, task_type=task_type,
                                      metric_family=metric_family, year=year)
    query = " ".join(str(description).split())
    filters = filters or Filters()
    data = corpus_data(kb)
    if profile.year is None:
        newest = max((p[3] for p in data.comp_profile.values() if p[3]), default=None)
        profile = replace(profile, year=newest, year_assumed=True)
    answer = partial(Recommendation, query=query, profile=profile, kept_sections=page.kept,
                     dropped_sections=page.dropped)
    qv = query_vector(kb, focus)
    allowed = kb.read(document_ids, filters)
    excluded = set(exclude_documents)
    if exclude_competition:
        excluded |= data.comp_docs.get(exclude_competition, set())
    mask = data.mask(allowed, excluded)
    answer = partial(answer, coverage=_coverage(data, mask, profile, filters))
    if data.helped is None or data.comp_vectors is None or data.comp_centroids is None or not len(data.comp_slugs):
        return answer(abstained=True, message="The knowledge base holds no competitions yet.")
    if not mask.any():
        return answer(abstained=True, message=NO_WRITEUPS)
    credited = data.credited(mask)
    voters = np.asarray(credited.any(axis=1))
    with_writeups = data.competitions_with_writeups(mask)
    skip = data.comp_index.get(exclude_competition) if exclude_competition else None
    if skip is not None:
        voters[skip] = with_writeups[skip] = False
    profiles = [data.comp_profile[s] for s in data.comp_slugs]
    qprof = (profile.modality, profile.task_type, profile.metric_family)
    stretch = scoring.ASSUMED_YEAR_STRETCH if profile.year_assumed else 1.0
    sim = similarity(qv, data.comp_vectors, data.comp_centroids, profiles, qprof, profile.year,
                     scoring.YEAR_SCALE * stretch)
    listable = np.ones(len(data.comp_slugs), dtype=bool)
    if skip is not None:
        listable[skip] = False
    closest = float(sim.text[listable].max()) if listable.any() else 0.0
    floor = kb.settings.abstain_below
    needed = floor if ml_cues(focus) else floor + scoring.NO_CUES_MARGIN
    if closest < needed:
        return answer(abstained=True, message=(
            "No close match: no competition in the knowledge base is close to this description "
            f"(closest text similarity {closest:.2f}, needs {needed:.2f}). Describe the data, what to predict "
            "and the metric."))
    order = np.argsort(-sim.score, kind="stable")
    neighbours = [(int(i), float(sim.score[i])) for i in order if voters[i]][:scoring.NEIGHBOURS]
    names = data.helped.names
    modalities = [p[0] for p in profiles]
    prior, base = modality_rates(credited, modalities, voters, profile.modality)
    stakes = table_stakes(prior, names, credited[voters].sum(axis=0))
    not_helped = _not_helped(data, mask, [c for c, _ in neighbours], len(names))
    votes = rank_techniques(credited, neighbours, names, prior, base, slugs=data.comp_slugs, exclude=stakes,
                            not_helped=not_helped)
    passages = {cid for cid, _ in kb.passages(
        focus[:4000], limit=PASSAGES, mode=mode,
        filters=replace(filters, exclude_competition=exclude_competition))} if votes else set()
    picked = _with_evidence(kb, data, votes, neighbours, mask, passages, k, evidence_per_technique)
    counts = _document_counts(data, mask, neighbours, names)
    techniques = [_technique_score(kb, vote, ev, counts) for vote, ev in picked]
    similar = _similar_list(kb, data, sim, order, listable, with_writeups, credited, names, qprof, profile.year,
                            [t.name for t in techniques], mask, competitions, [c for c, _ in neighbours], floor)
    if not neighbours:
        return answer(competitions=similar, table_stakes=stakes, abstained=True, message=(
            "No close match among competitions with write-ups: kb holds no write-up of a similar competition "
            "(under these filters). The similar catalog competitions are listed with the command that fetches "
            "their write-ups."))
    share = shares(credited, neighbours, prior)
    top_shares = [(names[i], float(share[i])) for i in np.argsort(-share, kind="stable")[:SHARES] if share[i] > 0]
    return answer(techniques=techniques, competitions=similar, table_stakes=stakes,
                          shares=top_shares)


def _coverage(data: CorpusData, mask: np.ndarray, profile: QueryProfile, filters: Filters) -> Coverage:
    """How many write-ups the answer may draw on of the query's modality and years."""
    docs = {slug: {d for d in ids if d in data.row and mask[data.row[d]]} for slug, ids in data.comp_docs.items()}
    profiles = {slug: (p[0], p[3]) for slug, p in data.comp_profile.items()}
    years = query_years(profile.year, profile.year_assumed, filters.year_min, filters.year_max)
    return coverage_of(profiles, docs, profile.modality, years)


def _neighbour_rows(data: CorpusData, mask: np.ndarray, comps: Sequence[int]) -> dict[int, list[int]]:
    """Per competition: the rows of its allowed write-ups."""
    out: dict[int, list[int]] = {}
    for c in comps:
        rows = (data.row.get(d) for d in data.comp_docs.get(data.comp_slugs[c], ()))
        out[c] = sorted(r for r in rows if r is not None and mask[r])
    return out


def _not_helped(data: CorpusData, mask: np.ndarray, comps: Sequence[int], n: int) -> np.ndarray:
    """Competition × technique: one of the competition's allowed write-ups says the technique did not help."""
    out = np.zeros((len(data.comp_slugs), n), dtype=bool)
    if data.not_helped is None:
        return out
    for c, rows in _neighbour_rows(data, mask, comps).items():
        hit = np.isin(data.not_helped.rows, rows)
        out[c, data.not_helped.techniques[hit]] = True
    return out


def _with_evidence(kb: KnowledgeBase, data: CorpusData, votes: list[TechniqueVote], neighbours: list[tuple[int, float]],
                   mask: np.ndarray, passages: set[int], k: int,
                   per_technique: int) -> list[tuple[TechniqueVote, tuple[Evidence, ...]]]:
    """The first ``k`` techniques that a write-up of a crediting neighbour can quote first-hand."""
    out: list[tuple[TechniqueVote, tuple[Evidence, ...]]] = []
    closeness = {c: s for c, s in neighbours}
    top = max(closeness.values(), default=1.0) or 1.0
    for start in range(0, len(votes), max(k, 10)):
        batch = votes[start:start + max(k, 10)]
        found = _evidence(kb, data, batch, closeness, top, mask, passages)
        for vote in batch:
            ev = pick_evidence(found.get(vote.name, []), per_technique)
            if ev:
                out.append((vote, ev))
            if len(out) == k:
                return out
    return out


def _evidence(kb: KnowledgeBase, data: CorpusData, votes: list[TechniqueVote], closeness: dict[int, float], top: float,
              mask: np.ndarray, passages: set[int]) -> dict[str, list[Evidence]]:
    """Candidate quotes: helped mentions in the allowed write-ups of the neighbours that credit each technique."""
    doc_comp: dict[int, int] = {}
    wanted: dict[str, set[int]] = {}
    for vote in votes:
        docs: set[int] = set()
        for c in vote.competitions:
            for d in data.comp_docs.get(data.comp_slugs[c], ()):
                row = data.row.get(d)
                if row is not None and mask[row]:
                    docs.add(d)
                    if d not in doc_comp or closeness.get(c, 0) > closeness.get(doc_comp[d], 0):
                        doc_comp[d] = c
        wanted[vote.name] = docs
    all_docs = sorted({d for docs in wanted.values() for d in docs})
    if not all_docs:
        return {}
    mentions, links = kb.read(_mentions_and_links, sorted(wanted), all_docs)
    found: dict[str, list[Evidence]] = defaultdict(list)
    for m in mentions:
        d = m.document_id
        if d not in wanted.get(m.technique, ()):
            continue
        quality = quote_quality(m.snippet)
        if quality <= 0:
            continue
        c = doc_comp[d]
        slug = data.comp_slugs[c]
        rank = links[(d, slug)] if (d, slug) in links else data.docs[d].best_rank
        weight = quality * (0.5 + closeness.get(c, 0.0) / top) * rank_weight(rank)
        if m.chunk_id in passages:
            weight *= 1.5  # the passage also matches the query
        info = data.comp_info.get(slug)
        found[m.technique].append(Evidence(
            url=m.url, title=m.title or m.url, competition=slug,
            competition_title=info["title"] if info else None, rank=rank,
            year=(info["year"] if info else None) or year_of(m.date), snippet=m.snippet, helped=True,
            document_id=d, chunk_id=m.chunk_id, weight=weight, source=m.source))
    return found


def _mentions_and_links(conn: sqlite3.Connection, techniques: list[str], doc_ids: list[int]
                        ) -> tuple[list[read.HelpedMention], dict[tuple[int, str], int | None]]:
    """The helped mentions of ``techniques`` in ``doc_ids`` and those documents' link ranks, in one snapshot."""
    return read.helped_mentions(conn, techniques, doc_ids), read.link_ranks(conn, doc_ids)


def _technique_score(kb: KnowledgeBase, vote: TechniqueVote, evidence: tuple[Evidence, ...],
                     counts: dict[str, tuple[int, int]]) -> TechniqueScore:
    vocab = kb.vocabulary
    tech = vocab.by_name(vote.name) if vote.name in vocab else None
    helped, not_helped = counts.get(vote.name, (0, 0))
    return TechniqueScore(
        name=vote.name, category=tech.category if tech else "other", aliases=tuple(tech.aliases) if tech else (),
        description=tech.description if tech else "", score=vote.score, documents=helped, helped=helped,
        not_helped=not_helped, evidence=evidence, support=vote.support, lift=vote.lift,
        competitions=vote.slugs)


def _document_counts(data: CorpusData, mask: np.ndarray, neighbours: list[tuple[int, float]],
                     names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per technique: how many of the neighbours' allowed write-ups report it as helping / not helping."""
    rows = sorted({r for rs in _neighbour_rows(data, mask, [c for c, _ in neighbours]).values() for r in rs})
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for j, matrix in enumerate((data.helped, data.not_helped)):
        if matrix is None:
            continue
        hit = np.isin(matrix.rows, rows)
        for t, n in zip(*np.unique(matrix.techniques[hit], return_counts=True), strict=True):
            out[names[int(t)]][j] = int(n)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _similar_list(kb: KnowledgeBase, data: CorpusData, sim: Similarity, order: np.ndarray, listable: np.ndarray,
                  with_writeups: np.ndarray, credited: np.ndarray, names: Sequence[str],
                  qprof: tuple[str | None, str | None, str | None], year: int | None, ranked: list[str],
                  mask: np.ndarray, limit: int, voters: list[int], floor: float) -> list[SimilarCompetition]:
    """The ``limit`` most similar competitions (kb may hold no write-up of some: they are marked), plus
    any whose write-ups voted and did not make the cut, so each quote comes from a listed one; best first."""
    out: list[SimilarCompetition] = []
    in_list = set(ranked)
    top = [int(i) for i in order if listable[i] and sim.text[i] >= floor][:limit]
    chosen = sorted({*voters, *top}, key=lambda i: -sim.score[i])
    doc_ids = sorted({d for i in chosen for d in data.comp_docs.get(data.comp_slugs[i], ())
                      if d in data.row and mask[data.row[d]]})
    titles = kb.read(read.document_titles, doc_ids)
    for i in chosen:
        slug = data.comp_slugs[i]
        info = data.comp_info[slug]
        credits = [names[int(t)] for t in np.flatnonzero(credited[i])]
        shared = [t for t in ranked if t in credits]
        others = [t for t in credits if t not in in_list]
        docs = sorted(d for d in data.comp_docs.get(slug, ()) if d in data.row and mask[data.row[d]])
        refs = tuple(DocumentRef(d, data.docs[d].url, titles.get(d) or data.docs[d].url) for d in docs)
        out.append(SimilarCompetition(
            slug=slug, title=info["title"], year=info["year"], score=float(sim.score[i]), metric=info["metric"],
            modality=info["modality"], url=info["url"], documents=tuple(sorted(r.url for r in refs)),
            task_type=info["task_type"], metric_family=info["metric_family"],
            reason=reason(qprof, data.comp_profile[slug], float(sim.text[i]), year, shared,
                          has_writeups=bool(with_writeups[i])),
            has_writeups=bool(with_writeups[i]), techniques=tuple(shared + others), document_refs=refs))
    return out
