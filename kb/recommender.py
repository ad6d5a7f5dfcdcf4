"""``KnowledgeBase.recommend``: retrieval + technique aggregation + similar competitions."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from kb.recommend import (
    Evidence,
    Mention,
    Recommendation,
    SimilarCompetition,
    TechniqueScore,
    aggregate,
    idf_weights,
    passage_weight,
    pick_evidence,
)

RETRIEVE = 300


def _rows(conn: sqlite3.Connection, sql: str, ids: list[int]) -> list[sqlite3.Row]:
    out: list[sqlite3.Row] = []
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        out += conn.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
    return out


def document_frequency(conn: sqlite3.Connection) -> tuple[dict[str, int], int]:
    """Technique → number of documents reporting it helped; and the number of documents."""
    df = dict(conn.execute(
        "SELECT ct.technique, count(DISTINCT c.document_id) FROM chunk_techniques ct"
        " JOIN chunks c ON c.id = ct.chunk_id WHERE ct.helped = 1 GROUP BY ct.technique").fetchall())
    n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    return df, n


def recommend(kb, description: str, k: int = 10, *, exclude_competition: str | None = None,  # noqa: ANN001
              mode: str = "hybrid", idf_strength: float = 0.5, retrieve: int = RETRIEVE,
              evidence_per_technique: int = 3, competitions: int = 10, **filters: object) -> Recommendation:
    scored = kb.passages(description, limit=retrieve, mode=mode, exclude_competition=exclude_competition, **filters)
    query = " ".join(str(description).split())
    if not scored:
        return Recommendation(query=query)
    conn = kb.conn
    with kb._lock:
        ids = [cid for cid, _ in scored]
        chunk_doc = {r[0]: r[1] for r in _rows(conn, "SELECT id, document_id FROM chunks WHERE id IN ({marks})", ids)}
        doc_ids = sorted(set(chunk_doc.values()))
        docs = {r["id"]: r for r in _rows(conn, "SELECT id, url, title, date FROM documents WHERE id IN ({marks})",
                                          doc_ids)}
        links: dict[int, list[sqlite3.Row]] = defaultdict(list)
        for r in _rows(conn, "SELECT dc.document_id, dc.rank, co.slug, co.title, co.year, co.metric, co.modality,"
                             " co.url FROM document_competitions dc JOIN competitions co ON co.id = dc.competition_id"
                             " WHERE dc.document_id IN ({marks})", doc_ids):
            if r["slug"] != exclude_competition:
                links[r["document_id"]].append(r)
        tags = _rows(conn, "SELECT chunk_id, technique, category, helped, snippet FROM chunk_techniques"
                           " WHERE chunk_id IN ({marks})", ids)
        df, n_docs = document_frequency(conn)
        vocab = kb.vocabulary
    position = {cid: i for i, (cid, _) in enumerate(scored, start=1)}

    def best_link(doc_id: int) -> sqlite3.Row | None:
        ls = sorted(links.get(doc_id, []), key=lambda r: (r["rank"] is None, r["rank"] or 0))
        return ls[0] if ls else None

    mentions: list[Mention] = []
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for t in tags:
        cid = t["chunk_id"]
        doc_id = chunk_doc[cid]
        link = best_link(doc_id)
        m = Mention(t["technique"], cid, doc_id, bool(t["helped"]), t["snippet"], position[cid],
                    link["rank"] if link else None)
        mentions.append(m)
        d = docs[doc_id]
        evidence[m.technique].append(Evidence(
            url=d["url"], title=d["title"] or d["url"], competition=link["slug"] if link else None,
            competition_title=link["title"] if link else None, rank=link["rank"] if link else None,
            year=(link["year"] if link else None) or _year(d["date"]), snippet=m.snippet, helped=m.helped,
            document_id=doc_id, chunk_id=cid, weight=passage_weight(m.passage_rank)))
    idf = idf_weights(df, n_docs, idf_strength) if idf_strength else None
    techniques = []
    for name, score, stats in aggregate(mentions, idf)[:k]:
        tech = vocab.by_name(name) if _known(vocab, name) else None
        techniques.append(TechniqueScore(
            name=name, category=tech.category if tech else "other", aliases=tuple(tech.aliases) if tech else (),
            description=tech.description if tech else "", score=score, documents=stats["documents"],
            helped=stats["helped"], not_helped=stats["not_helped"],
            evidence=pick_evidence(evidence[name], evidence_per_technique)))
    return Recommendation(query=query, techniques=techniques,
                          competitions=_similar(scored, chunk_doc, links, docs, competitions))


def _similar(scored, chunk_doc, links, docs, limit: int) -> list[SimilarCompetition]:  # noqa: ANN001
    best: dict[tuple[str, int], float] = {}
    info: dict[str, sqlite3.Row] = {}
    for i, (cid, _) in enumerate(scored, start=1):
        doc_id = chunk_doc.get(cid)
        for link in links.get(doc_id, []):
            key = (link["slug"], doc_id)
            best[key] = max(best.get(key, 0.0), passage_weight(i, k=10.0))
            info[link["slug"]] = link
    totals: dict[str, float] = defaultdict(float)
    urls: dict[str, list[str]] = defaultdict(list)
    for (slug, doc_id), w in sorted(best.items(), key=lambda kv: -kv[1]):
        # the first document counts fully, further ones of the same competition add less
        totals[slug] += w / (1 + len(urls[slug]))
        urls[slug].append(docs[doc_id]["url"])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [SimilarCompetition(slug=s, title=info[s]["title"], year=info[s]["year"], score=score,
                               metric=info[s]["metric"], modality=info[s]["modality"], url=info[s]["url"],
                               documents=tuple(urls[s])) for s, score in ranked]


def _known(vocab, name: str) -> bool:  # noqa: ANN001
    try:
        vocab.by_name(name)
    except KeyError:
        return False
    return True


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date and date[:4].isdigit() else None
