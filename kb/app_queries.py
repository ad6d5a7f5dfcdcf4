"""Read-only queries the web app needs beyond ``KnowledgeBase``'s search and recommend.

Filter choices, the competition picker, a document's techniques, grouped search results and the
corpus statistics behind the charts. Every function takes an open ``KnowledgeBase``.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from kb import rank, snippets
from kb.api import CANDIDATES, KnowledgeBase
from kb.filters import Filters
from kb.recommend.corpus import data_version

T = TypeVar("T")

# a document's year: its earliest competition's year, else the year it was published
DOC_YEAR = ("coalesce((SELECT min(co.year) FROM document_competitions dc JOIN competitions co"
            " ON co.id = dc.competition_id WHERE dc.document_id = d.id), CAST(substr(d.date, 1, 4) AS INTEGER))")


def _rows(kb: KnowledgeBase, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
    with kb._lock:
        return kb.conn.execute(sql, params).fetchall()


def _cached(kb: KnowledgeBase, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per knowledge base until its database changes (every app interaction asks
    for the filter choices; at 1M passages they take over half a second to compute)."""
    with kb._lock:
        version = data_version(kb.conn)
    cache: dict[str, tuple[tuple, object]] = kb.__dict__.setdefault("_app_query_cache", {})
    hit = cache.get(name)
    if hit is not None and hit[0] == version:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    cache[name] = (version, value)
    return value


def _in(kb: KnowledgeBase, sql: str, ids: list[int]) -> list[sqlite3.Row]:
    """Run ``sql`` (with a ``{marks}`` placeholder) over ``ids`` in batches."""
    out: list[sqlite3.Row] = []
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        out += _rows(kb, sql.format(marks=",".join("?" * len(part))), part)
    return out


@dataclass(frozen=True)
class FilterOptions:
    """The values each filter can take in this knowledge base."""

    modalities: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    competitions: dict[str, str] = field(default_factory=dict)  # slug -> label, those with write-ups
    years: tuple[int, int] | None = None


def filter_options(kb: KnowledgeBase) -> FilterOptions:
    return _cached(kb, "filter_options", lambda: _filter_options(kb))


def _filter_options(kb: KnowledgeBase) -> FilterOptions:
    linked = "co.id IN (SELECT competition_id FROM document_competitions)"
    years = _rows(kb, f"SELECT min(y), max(y) FROM (SELECT {DOC_YEAR} AS y FROM documents d) WHERE y > 0")[0]
    return FilterOptions(
        modalities=[r[0] for r in _rows(
            kb, f"SELECT DISTINCT modality FROM competitions co WHERE modality IS NOT NULL AND modality != ''"
                f" AND {linked} ORDER BY modality")],
        sources=[r[0] for r in _rows(kb, "SELECT DISTINCT source FROM documents ORDER BY source")],
        kinds=[r[0] for r in _rows(
            kb, f"SELECT DISTINCT kind FROM competitions co WHERE kind IS NOT NULL AND kind != '' AND {linked}"
                " ORDER BY kind")],
        competitions={r["slug"]: _label(r["title"], r["slug"], r["year"]) for r in _rows(
            kb, f"SELECT slug, title, year FROM competitions co WHERE {linked} ORDER BY year DESC, title")},
        years=(int(years[0]), int(years[1])) if years[0] is not None else None,
    )


def _label(title: str | None, slug: str, year: int | None) -> str:
    name = title or slug
    return f"{name} ({year})" if year else name


def picker_competitions(kb: KnowledgeBase) -> dict[str, str]:
    """Competitions to start a recommendation from: those with a description, newest first."""
    return dict(_cached(kb, "picker_competitions", lambda: _picker_competitions(kb)))


def _picker_competitions(kb: KnowledgeBase) -> dict[str, str]:
    rows = _rows(kb, "SELECT slug, title, year FROM competitions WHERE coalesce(description, '') != ''"
                     " OR coalesce(title, '') != '' ORDER BY year DESC, title")
    return {r["slug"]: _label(r["title"], r["slug"], r["year"]) for r in rows}


def competition(kb: KnowledgeBase, slug: str) -> dict | None:
    rows = _rows(kb, "SELECT slug, title, description, kind, metric, year, team_count, url, modality, task_type,"
                     " metric_family FROM competitions WHERE slug = ?", (slug,))
    return dict(rows[0]) if rows else None


def describe_competition(comp: dict) -> str:
    """A new-competition description assembled from a past competition's catalog fields."""
    parts: list[str] = []
    if comp.get("title"):
        parts.append(str(comp["title"]).rstrip(".") + ".")
    if comp.get("description"):
        parts.append(str(comp["description"]).rstrip(".") + ".")
    profile = [str(comp[k]).replace("_", " ") for k in ("modality", "task_type") if comp.get(k)]
    if profile:
        parts.append("Task: " + ", ".join(profile) + ".")
    if comp.get("metric"):
        parts.append(f"Evaluated with {comp['metric']}.")
    return " ".join(parts)


def document_id(kb: KnowledgeBase, url: str) -> int | None:
    rows = _rows(kb, "SELECT id FROM documents WHERE url = ?", (url,))
    return int(rows[0][0]) if rows else None


def document_choices(kb: KnowledgeBase) -> dict[int, str]:
    """Every document as id -> "title — competition", for the document picker."""
    rows = _rows(kb, "SELECT d.id, coalesce(d.title, d.url) AS title, (SELECT co.title FROM document_competitions dc"
                     " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = d.id"
                     " ORDER BY dc.rank IS NULL, dc.rank LIMIT 1) AS comp FROM documents d ORDER BY title")
    return {r["id"]: f"{r['title']} — {r['comp']}" if r["comp"] else r["title"] for r in rows}


def document_sources(kb: KnowledgeBase, ids: list[int]) -> dict[int, str]:
    return {r[0]: r[1] for r in _in(kb, "SELECT id, source FROM documents WHERE id IN ({marks})", sorted(set(ids)))}


def document_titles(kb: KnowledgeBase, urls: list[str]) -> dict[str, tuple[int, str]]:
    """url -> (document id, title) for the given URLs."""
    out: dict[str, tuple[int, str]] = {}
    for start in range(0, len(urls), 500):
        part = urls[start:start + 500]
        for r in _rows(kb, f"SELECT id, url, coalesce(title, url) FROM documents WHERE url IN"
                           f" ({','.join('?' * len(part))})", part):
            out[r[1]] = (r[0], r[2])
    return out


@dataclass(frozen=True)
class DocumentTechnique:
    technique: str
    category: str
    helped: bool
    mentions: int
    snippet: str
    heading_path: str


def document_techniques(kb: KnowledgeBase, document_id: int) -> list[DocumentTechnique]:
    """Techniques tagged in a document, one row per (technique, verdict), most mentioned first."""
    rows = _rows(kb, "SELECT ct.technique, ct.category, ct.helped, ct.snippet, c.heading_path, c.position"
                     " FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id WHERE c.document_id = ?"
                     " ORDER BY c.position, ct.start", (document_id,))
    grouped: dict[tuple[str, bool], list[sqlite3.Row]] = defaultdict(list)
    for r in rows:
        grouped[(r["technique"], bool(r["helped"]))].append(r)
    out = [DocumentTechnique(tech, items[0]["category"], helped, len(items), items[0]["snippet"],
                             items[0]["heading_path"]) for (tech, helped), items in grouped.items()]
    out.sort(key=lambda t: (-t.mentions, t.technique))
    return out


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    heading_path: str
    snippet: str
    score: float


@dataclass(frozen=True)
class DocumentHit:
    """One search result: a document with its best matching passages."""

    document_id: int
    url: str
    title: str
    source: str
    year: int | None
    competition: str | None
    competition_title: str | None
    rank: int | None
    score: float
    passages: list[Passage]


def search_documents(kb: KnowledgeBase, query: str, k: int = 10, *, per_document: int = 3, mode: str = "hybrid",
                     filters: Filters | None = None, **filter_kwargs: object) -> list[DocumentHit]:
    """Hybrid passage search grouped by document: the ``k`` best documents, each with its best passages."""
    f = Filters.of(filters, **filter_kwargs)
    scored = kb.passages(query, limit=max(CANDIDATES, k * 20), mode=mode, filters=f)
    if not scored:
        return []
    score_of = dict(scored)
    doc_of = {r[0]: r[1] for r in _in(kb, "SELECT id, document_id FROM chunks WHERE id IN ({marks})",
                                      [cid for cid, _ in scored])}
    groups = rank.group_by(scored, doc_of, limit=k)
    keep = [cid for _, _, items in groups for cid in items[:per_document]]
    chunks = {r["id"]: r for r in _in(kb, "SELECT id, heading_path, text FROM chunks WHERE id IN ({marks})", keep)}
    docs = {r["id"]: r for r in _in(kb, f"SELECT d.id, d.url, coalesce(d.title, d.url) AS title, d.source,"
                                        f" {DOC_YEAR} AS year FROM documents d WHERE d.id IN ({{marks}})",
                                     [int(g) for g, _, _ in groups])}
    prefer = f.competition
    hits = []
    for doc_id, score, items in groups:
        d = docs[doc_id]
        with kb._lock:
            best = kb.best_link(int(doc_id), str(prefer) if prefer else None)
        passages = [Passage(cid, chunks[cid]["heading_path"], snippets.best_window(chunks[cid]["text"], query),
                            score_of[cid]) for cid in items[:per_document]]
        hits.append(DocumentHit(
            document_id=int(doc_id), url=d["url"], title=d["title"], source=d["source"],
            year=(best["year"] if best and best["year"] else d["year"]) or None,
            competition=best["slug"] if best else None, competition_title=best["title"] if best else None,
            rank=best["rank"] if best else None, score=float(score), passages=passages))
    return hits


# -- corpus statistics -----------------------------------------------------------------------------

def documents_per_year(kb: KnowledgeBase) -> dict[int, int]:
    rows = _rows(kb, f"SELECT y, count(*) FROM (SELECT {DOC_YEAR} AS y FROM documents d) WHERE y > 0"
                     " GROUP BY y ORDER BY y")
    return {int(y): n for y, n in rows}


def documents_per_source(kb: KnowledgeBase) -> dict[str, int]:
    return {s: n for s, n in _rows(kb, "SELECT source, count(*) FROM documents GROUP BY source ORDER BY 2 DESC")}


def technique_counts(kb: KnowledgeBase) -> dict[str, int]:
    """Technique -> number of documents reporting it helped, most common first."""
    rows = _rows(kb, "SELECT ct.technique, count(DISTINCT c.document_id) FROM chunk_techniques ct"
                     " JOIN chunks c ON c.id = ct.chunk_id WHERE ct.helped = 1 GROUP BY ct.technique"
                     " ORDER BY 2 DESC, 1")
    return {t: n for t, n in rows}


def technique_years(kb: KnowledgeBase, techniques: list[str]) -> dict[str, dict[int, int]]:
    """Technique -> year -> number of documents of that year reporting it helped."""
    if not techniques:
        return {}
    marks = ",".join("?" * len(techniques))
    rows = _rows(kb, f"SELECT t, y, count(*) FROM (SELECT DISTINCT ct.technique AS t, d.id, {DOC_YEAR} AS y"
                     f" FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d"
                     f" ON d.id = c.document_id WHERE ct.helped = 1 AND ct.technique IN ({marks}))"
                     " WHERE y > 0 GROUP BY t, y", techniques)
    out: dict[str, dict[int, int]] = {t: {} for t in techniques}
    for t, y, n in rows:
        out[t][int(y)] = n
    return out


@dataclass(frozen=True)
class ModalityCoverage:
    modality: str
    competitions: int
    with_writeups: int
    documents: int


def modality_coverage(kb: KnowledgeBase) -> list[ModalityCoverage]:
    """Per modality: catalog competitions, those with at least one write-up, and write-ups."""
    rows = _rows(kb, "SELECT coalesce(nullif(co.modality, ''), 'unknown') AS m, count(*) AS n,"
                     " sum(EXISTS (SELECT 1 FROM document_competitions dc WHERE dc.competition_id = co.id)) AS w,"
                     " (SELECT count(DISTINCT dc.document_id) FROM document_competitions dc JOIN competitions c2"
                     "  ON c2.id = dc.competition_id WHERE coalesce(nullif(c2.modality, ''), 'unknown') ="
                     "  coalesce(nullif(co.modality, ''), 'unknown')) AS d"
                     " FROM competitions co GROUP BY m ORDER BY n DESC, m")
    return [ModalityCoverage(r["m"], r["n"], r["w"] or 0, r["d"] or 0) for r in rows]


def freshness(kb: KnowledgeBase) -> dict[str, object]:
    """When the knowledge base last changed and how recent its content is."""
    r = _rows(kb, "SELECT max(fetched_at), max(updated_at), max(date) FROM documents")[0]
    latest_year = _rows(kb, "SELECT max(co.year) FROM competitions co JOIN document_competitions dc"
                            " ON dc.competition_id = co.id")[0][0]
    return {"last_fetched": r[0], "last_updated": r[1], "newest_document_date": r[2],
            "newest_competition_year": latest_year}
