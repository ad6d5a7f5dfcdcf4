"""What recommendations aggregate over, read once from SQLite (``corpus_data`` caches it in the knowledge base).

Per document: the techniques it reports as helping / not helping (with how many of its sentences
report each one as helping), its competitions and solution rank. Per catalog competition: its
catalog fields and profile, a vector of its catalog description, and — when kb holds write-ups of
it — the centroid of its write-ups' passage vectors (what its write-ups say about the problem).
Both vectors are stored in the ``embeddings`` table keyed by a hash of what they were computed from,
so they are computed once per content.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kb.docfacts import load_facts
from kb.recommend.scoring import TechniqueMatrix, prominence
from kb.store.db import transaction
from kb.store.read import has_facts
from kb.store.write import sha256

if TYPE_CHECKING:
    from kb.api import KnowledgeBase


@dataclass(frozen=True)
class DocInfo:
    url: str
    competitions: tuple[str, ...]
    best_rank: int | None


@dataclass
class CorpusData:
    docs: dict[int, DocInfo]
    comp_docs: dict[str, set[int]]
    comp_profile: dict[str, tuple[str | None, str | None, str | None, int | None]]
    comp_info: dict[str, sqlite3.Row]
    # every catalog competition, in a fixed order: competition i is comp_slugs[i]
    comp_slugs: list[str] = field(default_factory=list)
    comp_index: dict[str, int] = field(default_factory=dict)
    comp_vectors: np.ndarray | None = None  # catalog description vectors, one row per competition
    comp_centroids: np.ndarray | None = None  # write-up centroids; a zero row when kb has no write-up
    # the same documents as arrays, for whole-corpus votes: document row i is doc_ids[i]
    doc_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row: dict[int, int] = field(default_factory=dict)
    helped: TechniqueMatrix | None = None  # strength = prominence(sentences reporting it as helping)
    not_helped: TechniqueMatrix | None = None
    # document-competition links: document row link_rows[i] belongs to competition comp_slugs[link_comps[i]]
    link_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    link_comps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # (competition, technique, document row) for every helped mention of a linked document: a
    # competition credits a technique when one of its allowed write-ups does
    credit_comps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    credit_techs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    credit_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _credit_all: np.ndarray | None = None

    @property
    def link_slugs(self) -> list[str]:
        return self.comp_slugs

    @property
    def technique_names(self) -> tuple[str, ...]:
        """Every technique some write-up reports, in the column order of the matrices."""
        return self.helped.names if self.helped is not None else ()

    def mask(self, allowed: Collection[int] | None = None, excluded: Iterable[int] = ()) -> np.ndarray:
        """Boolean row mask: documents in ``allowed`` (all when None) and not in ``excluded``."""
        if allowed is None:
            out = np.ones(len(self.doc_ids), dtype=bool)
        else:
            out = np.zeros(len(self.doc_ids), dtype=bool)
            out[[self.row[d] for d in allowed if d in self.row]] = True
        out[[self.row[d] for d in excluded if d in self.row]] = False
        return out

    def credited(self, mask: np.ndarray) -> np.ndarray:
        """Competition × technique booleans: a competition credits a technique when one of its write-ups
        in ``mask`` reports it as helping."""
        whole = bool(mask.all())
        if whole and self._credit_all is not None:
            return self._credit_all
        names = self.helped.names if self.helped is not None else ()
        out = np.zeros((len(self.comp_slugs), len(names)), dtype=bool)
        keep = mask[self.credit_rows]
        out[self.credit_comps[keep], self.credit_techs[keep]] = True
        if whole:
            self._credit_all = out
        return out

    def competitions_with_writeups(self, mask: np.ndarray) -> np.ndarray:
        """Per competition: does it have a write-up in ``mask``?"""
        out = np.zeros(len(self.comp_slugs), dtype=bool)
        out[self.link_comps[mask[self.link_rows]]] = True
        return out


def competition_text(row: sqlite3.Row | dict) -> str:
    """The catalog description of a competition as a user would paste it (title, description, metric)."""
    parts = [row["title"] or row["slug"]]
    if row["description"]:
        parts.append(row["description"])
    if row["metric"] and row["metric"] != "-":
        parts.append(f"Evaluation metric: {row['metric']}")
    return ". ".join(str(p).strip().rstrip(".") for p in parts) + "."


def _facts(conn: sqlite3.Connection) -> tuple[set[int], dict[int, str], dict[int, int]]:
    """From :mod:`kb.docfacts`: documents that are not solution write-ups (they stay out of votes),
    write-ups whose text names another competition than the linked ones (they vote for the named
    one), and ranks read from the text of write-ups the catalog gives none."""
    if not has_facts(conn):
        return set(), {}, {}
    not_writeups: set[int] = set()
    named: dict[int, str] = {}
    ranks: dict[int, int] = {}
    for doc_id, facts in load_facts(conn).items():
        if not facts.is_writeup:
            not_writeups.add(doc_id)
        elif facts.named_competition:
            named[doc_id] = facts.named_competition
        if facts.rank is not None:
            ranks[doc_id] = facts.rank
    return not_writeups, named, ranks


def load_corpus_data(conn: sqlite3.Connection) -> CorpusData:
    helped: dict[int, Counter[str]] = defaultdict(Counter)
    not_helped: dict[int, set[str]] = defaultdict(set)
    for doc_id, tech, ok, n in conn.execute(
            "SELECT c.document_id, ct.technique, ct.helped, count(*) FROM chunk_techniques ct"
            " JOIN chunks c ON c.id = ct.chunk_id GROUP BY 1, 2, 3"):
        if ok:
            helped[doc_id][tech] = n
        else:
            not_helped[doc_id].add(tech)
    not_writeups, named, parsed_ranks = _facts(conn)
    comps: dict[int, list[str]] = defaultdict(list)
    ranks: dict[int, list[int]] = defaultdict(list)
    comp_docs: dict[str, set[int]] = defaultdict(set)
    links = conn.execute("SELECT dc.document_id, co.slug, dc.rank FROM document_competitions dc"
                         " JOIN competitions co ON co.id = dc.competition_id").fetchall()
    linked = {d for d, _, _ in links}
    for doc_id, slug, rank in [*((d, s, r) for d, s, r in links if d not in named),
                               *((d, s, None) for d, s in named.items() if d in linked)]:
        if doc_id in not_writeups:
            continue
        if slug not in comps[doc_id]:
            comps[doc_id].append(slug)
        comp_docs[slug].add(doc_id)
        if rank is not None:
            ranks[doc_id].append(rank)
    for doc_id, rank in parsed_ranks.items():
        if doc_id in comps and not ranks.get(doc_id):
            ranks[doc_id].append(rank)
    docs = {doc_id: DocInfo(url, tuple(comps.get(doc_id, ())), min(ranks[doc_id]) if ranks.get(doc_id) else None)
            for doc_id, url in conn.execute("SELECT id, url FROM documents")}
    for doc_id, techs in not_helped.items():  # a technique reported both ways in one write-up counts as helped
        techs -= helped.get(doc_id, Counter()).keys()
    rows = conn.execute("SELECT slug, title, description, metric, year, url, modality, task_type, metric_family,"
                        " kind FROM competitions ORDER BY slug").fetchall()
    doc_ids = sorted(docs)
    row = {d: i for i, d in enumerate(doc_ids)}
    names = sorted({t for techs in (*helped.values(), *not_helped.values()) for t in techs})
    tech_index = {t: i for i, t in enumerate(names)}
    comp_slugs = [r["slug"] for r in rows]
    comp_index = {slug: i for i, slug in enumerate(comp_slugs)}
    pairs = [(row[d], comp_index[slug]) for d in doc_ids for slug in docs[d].competitions if slug in comp_index]
    credit = [(c, tech_index[t], r) for r, c in pairs for t in helped.get(int(doc_ids[r]), ())]
    return CorpusData(
        docs=docs, comp_docs=dict(comp_docs),
        comp_profile={r["slug"]: (r["modality"], r["task_type"], r["metric_family"], r["year"]) for r in rows},
        comp_info={r["slug"]: r for r in rows}, comp_slugs=comp_slugs, comp_index=comp_index,
        doc_ids=np.asarray(doc_ids, dtype=np.int64), row=row,
        helped=TechniqueMatrix.build(
            [{t: prominence(n) for t, n in helped.get(d, {}).items()} for d in doc_ids], names),
        not_helped=TechniqueMatrix.build([not_helped.get(d, ()) for d in doc_ids], names),
        link_rows=np.asarray([r for r, _ in pairs], dtype=np.int64),
        link_comps=np.asarray([c for _, c in pairs], dtype=np.int64),
        credit_comps=np.asarray([c for c, _, _ in credit], dtype=np.int64),
        credit_techs=np.asarray([t for _, t, _ in credit], dtype=np.int64),
        credit_rows=np.asarray([r for _, _, r in credit], dtype=np.int64),
    )


def _stored(conn: sqlite3.Connection, model_id: str, hashes: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for start in range(0, len(hashes), 500):
        part = hashes[start:start + 500]
        found.update(conn.execute(
            f"SELECT sha256, vector FROM embeddings WHERE model = ? AND sha256 IN ({','.join('?' * len(part))})",
            (model_id, *part)).fetchall())
    return found


def _store(conn: sqlite3.Connection, model_id: str, vectors: dict[str, bytes]) -> None:
    if vectors:
        with transaction(conn):
            conn.executemany("INSERT OR REPLACE INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                             [(model_id, h, v) for h, v in vectors.items()])


def competition_vectors(conn: sqlite3.Connection, data: CorpusData, embedder, *,  # noqa: ANN001
                        store: bool) -> None:
    """Fill ``data.comp_vectors`` for every catalog competition (reusing stored vectors by hash)."""
    texts = [competition_text(data.comp_info[s]) for s in data.comp_slugs]
    hashes = [sha256("competition\n" + t) for t in texts]
    found = _stored(conn, embedder.model_id, hashes)
    missing = [i for i, h in enumerate(hashes) if h not in found]
    new: dict[str, bytes] = {}
    if missing:
        vecs = embedder.encode([texts[i] for i in missing])
        for i, v in zip(missing, vecs, strict=True):
            new[hashes[i]] = np.asarray(v, dtype=np.float32).tobytes()
        found.update(new)
        if store:
            _store(conn, embedder.model_id, new)
    data.comp_vectors = (np.stack([np.frombuffer(found[h], dtype=np.float32) for h in hashes])
                         if hashes else np.zeros((0, 1), dtype=np.float32))


def competition_centroids(conn: sqlite3.Connection, data: CorpusData, model_id: str, *, store: bool) -> None:
    """Fill ``data.comp_centroids``: per competition, the normalised mean of its write-ups' passage
    vectors (a zero row when it has none, or none is embedded yet). Stored under a hash of the passage
    hashes, so a competition is recomputed only when its write-ups change."""
    dim = data.comp_vectors.shape[1] if data.comp_vectors is not None and data.comp_vectors.size else 0
    chunk_shas: dict[int, list[str]] = defaultdict(list)
    for doc_id, sha in conn.execute("SELECT document_id, sha256 FROM chunks ORDER BY document_id, position"):
        chunk_shas[doc_id].append(sha)
    keys: dict[str, str] = {}
    for slug, docs in data.comp_docs.items():
        shas = sorted(s for d in docs for s in chunk_shas.get(d, ()))
        if shas:
            keys[slug] = hashlib.sha256(("centroid\n" + model_id + "\n" + "\n".join(shas)).encode()).hexdigest()
    found = _stored(conn, model_id, sorted(set(keys.values())))
    todo = {slug: key for slug, key in keys.items() if key not in found}
    new = _compute_centroids(conn, data, todo, chunk_shas, model_id) if todo else {}
    found.update(new)
    if store:
        _store(conn, model_id, new)
    if not dim:
        dim = next((len(v) // 4 for v in found.values()), 1)
    out = np.zeros((len(data.comp_slugs), dim), dtype=np.float32)
    for slug, key in keys.items():
        if key in found:
            out[data.comp_index[slug]] = np.frombuffer(found[key], dtype=np.float32)
    data.comp_centroids = out


def _compute_centroids(conn: sqlite3.Connection, data: CorpusData, todo: dict[str, str],
                       chunk_shas: dict[int, list[str]], model_id: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for slug, key in todo.items():
        shas = sorted({s for d in data.comp_docs[slug] for s in chunk_shas.get(d, ())})
        vecs = _stored(conn, model_id, shas)
        if not vecs:
            continue  # not embedded yet: computed on a later call
        total = np.sum([np.frombuffer(v, dtype=np.float32) for v in vecs.values()], axis=0)
        norm = float(np.linalg.norm(total))
        if norm > 0:
            out[key] = (total / norm).astype(np.float32).tobytes()
    return out


def corpus_data(kb: KnowledgeBase) -> CorpusData:
    """What recommendations aggregate over, kept by the knowledge base until its database changes (the
    vectors it stores for competitions on the way do not count as a change)."""
    return kb.cached("recommend.corpus", lambda: _load_corpus(kb))


def _load_corpus(kb: KnowledgeBase) -> CorpusData:
    data = kb.read(load_corpus_data)
    competition_vectors(kb.conn, data, kb.embedder, store=not kb.readonly)
    competition_centroids(kb.conn, data, kb.model_id, store=not kb.readonly)
    return data
