"""What recommendations aggregate over, read once from SQLite and cached until the data changes.

Per document: the techniques it reports as helping / not helping (with how many of its sentences
report each one as helping), its competitions' profiles and solution ranks. Per competition: a
vector of its catalog description, for competition-to-competition similarity (short description vs
short description compares like with like).
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np

from kb.recommend import TechniqueMatrix, prominence
from kb.store import sha256, transaction


@dataclass(frozen=True)
class DocInfo:
    url: str
    competitions: tuple[str, ...]
    best_rank: int | None


@dataclass
class CorpusData:
    version: tuple
    docs: dict[int, DocInfo]
    comp_docs: dict[str, set[int]]
    comp_profile: dict[str, tuple[str | None, str | None, str | None, int | None]]
    comp_info: dict[str, sqlite3.Row]
    comp_slugs: list[str] = field(default_factory=list)
    comp_vectors: np.ndarray | None = None
    # the same documents as arrays, for whole-corpus votes: document row i is doc_ids[i]
    doc_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row: dict[int, int] = field(default_factory=dict)
    helped: TechniqueMatrix | None = None  # strength = prominence(sentences reporting it as helping)
    not_helped: TechniqueMatrix | None = None
    # document-competition links: document row link_rows[i] belongs to competition link_slugs[link_comps[i]]
    link_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    link_comps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    link_slugs: list[str] = field(default_factory=list)

    def mask(self, allowed: Collection[int] | None = None, excluded: Iterable[int] = ()) -> np.ndarray:
        """Boolean row mask: documents in ``allowed`` (all when None) and not in ``excluded``."""
        if allowed is None:
            out = np.ones(len(self.doc_ids), dtype=bool)
        else:
            out = np.zeros(len(self.doc_ids), dtype=bool)
            out[[self.row[d] for d in allowed if d in self.row]] = True
        out[[self.row[d] for d in excluded if d in self.row]] = False
        return out


def competition_text(row: sqlite3.Row | dict) -> str:
    """The catalog description of a competition as a user would paste it (title, description, metric)."""
    parts = [row["title"] or row["slug"]]
    if row["description"]:
        parts.append(row["description"])
    if row["metric"] and row["metric"] != "-":
        parts.append(f"Evaluation metric: {row['metric']}")
    return ". ".join(str(p).strip().rstrip(".") for p in parts) + "."


def data_version(conn: sqlite3.Connection) -> tuple[int, int]:
    """Changes when the database changed: commits by other connections (``PRAGMA data_version``) or
    by this one (``total_changes``). Constant-time, unlike counting rows."""
    return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes


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
    comps: dict[int, list[str]] = defaultdict(list)
    ranks: dict[int, list[int]] = defaultdict(list)
    comp_docs: dict[str, set[int]] = defaultdict(set)
    for doc_id, slug, rank in conn.execute(
            "SELECT dc.document_id, co.slug, dc.rank FROM document_competitions dc"
            " JOIN competitions co ON co.id = dc.competition_id"):
        comps[doc_id].append(slug)
        comp_docs[slug].add(doc_id)
        if rank is not None:
            ranks[doc_id].append(rank)
    docs = {doc_id: DocInfo(url, tuple(comps.get(doc_id, ())), min(ranks[doc_id]) if ranks.get(doc_id) else None)
            for doc_id, url in conn.execute("SELECT id, url FROM documents")}
    for doc_id, techs in not_helped.items():  # a technique reported both ways in one write-up counts as helped
        techs -= helped.get(doc_id, Counter()).keys()
    rows = conn.execute("SELECT slug, title, description, metric, year, url, modality, task_type, metric_family"
                        " FROM competitions").fetchall()
    doc_ids = sorted(docs)
    row = {d: i for i, d in enumerate(doc_ids)}
    names = sorted({t for techs in (*helped.values(), *not_helped.values()) for t in techs})
    link_slugs = sorted(comp_docs)
    slug_index = {slug: i for i, slug in enumerate(link_slugs)}
    links = [(row[d], slug_index[slug]) for d in doc_ids for slug in docs[d].competitions]
    return CorpusData(
        version=data_version(conn), docs=docs, comp_docs=dict(comp_docs),
        comp_profile={r["slug"]: (r["modality"], r["task_type"], r["metric_family"], r["year"]) for r in rows},
        comp_info={r["slug"]: r for r in rows},
        doc_ids=np.asarray(doc_ids, dtype=np.int64), row=row,
        helped=TechniqueMatrix.build(
            [{t: prominence(n) for t, n in helped.get(d, {}).items()} for d in doc_ids], names),
        not_helped=TechniqueMatrix.build([not_helped.get(d, ()) for d in doc_ids], names),
        link_rows=np.asarray([r for r, _ in links], dtype=np.int64),
        link_comps=np.asarray([c for _, c in links], dtype=np.int64), link_slugs=link_slugs,
    )


def competition_vectors(conn: sqlite3.Connection, data: CorpusData, embedder, *,  # noqa: ANN001
                        store: bool) -> None:
    """Fill ``data.comp_vectors`` for competitions that have write-ups (reusing stored vectors by hash)."""
    slugs = sorted(s for s, d in data.comp_docs.items() if d)
    texts = [competition_text(data.comp_info[s]) if s in data.comp_info else s for s in slugs]
    hashes = [sha256("competition\n" + t) for t in texts]
    found: dict[str, bytes] = {}
    for start in range(0, len(hashes), 500):
        part = hashes[start:start + 500]
        found.update(conn.execute(
            f"SELECT sha256, vector FROM embeddings WHERE model = ? AND sha256 IN ({','.join('?' * len(part))})",
            (embedder.model_id, *part)).fetchall())
    missing = [i for i, h in enumerate(hashes) if h not in found]
    if missing:
        vecs = embedder.encode([texts[i] for i in missing])
        for i, v in zip(missing, vecs, strict=True):
            found[hashes[i]] = np.asarray(v, dtype=np.float32).tobytes()
        if store:
            with transaction(conn):
                conn.executemany("INSERT OR REPLACE INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)",
                                 [(embedder.model_id, hashes[i], found[hashes[i]]) for i in missing])
    data.comp_slugs = slugs
    data.comp_vectors = (np.stack([np.frombuffer(found[h], dtype=np.float32) for h in hashes])
                         if hashes else np.zeros((0, 1), dtype=np.float32))
