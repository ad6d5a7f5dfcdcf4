"""Search: rankings of passages fused into one, then grouped into documents with their best passages.

``KnowledgeBase.passages`` computes the dense and keyword rankings (it holds the index and the
model) and fuses them here; ``KnowledgeBase.search`` hands the fused passages to :func:`results`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from kb.errors import EmptyQueryError
from kb.search import fusion, snippets
from kb.search.terms import query_terms
from kb.store import read
from kb.store.read import DocumentHead, DocumentLink

MAX_QUERY_CHARS = 4000
CANDIDATES = 200
MODES = ("hybrid", "dense", "keyword")


@dataclass(frozen=True)
class Passage:
    """A passage of a search result: where it sits in the write-up and the window that matches the query."""

    chunk_id: int
    heading_path: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """One document, ranked by its best passage; ``snippet``/``chunk_id``/``heading_path`` are that
    passage's, ``passages`` the best ones (as many as ``search(passages=N)`` asked for)."""

    url: str
    title: str
    source: str
    competition: str | None
    competition_title: str | None
    rank: int | None
    score: float
    snippet: str
    document_id: int
    chunk_id: int
    heading_path: str
    year: int | None
    passages: tuple[Passage, ...] = ()

    def to_json(self) -> dict:
        """The ``kb search --json`` result (README, "Output contracts")."""
        return {"url": self.url, "title": self.title, "source": self.source, "competition": self.competition,
                "competition_title": self.competition_title, "rank": self.rank, "score": self.score,
                "snippet": self.snippet}


def clean_query(query: str) -> str:
    """The query with its whitespace collapsed (and cut at MAX_QUERY_CHARS); EmptyQueryError when it has no words."""
    if query is None or not str(query).strip():
        raise EmptyQueryError("the query is empty: type a few words to search for")
    q = " ".join(str(query).split())
    if not query_terms(q):
        raise EmptyQueryError("the query has no words to search for (only punctuation or symbols)")
    return q[:MAX_QUERY_CHARS]


def fuse(rankings: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float],
         method: str = "weighted") -> list[tuple[int, float]]:
    """One ranking from several (dense, keyword): weighted min-max fusion, or reciprocal rank fusion ("rrf")."""
    if len(rankings) == 1:
        return list(rankings[0])
    if method == "rrf":
        return fusion.rrf(rankings, weights=weights)
    return fusion.weighted_fusion(rankings, weights)


def results(conn: sqlite3.Connection, scored: Sequence[tuple[int, float]], query: str, *, k: int, passages: int = 1,
            prefer: str | None = None) -> list[SearchResult]:
    """The ``k`` documents of the best ``scored`` passages, each scored by its best passage and shown with its
    ``passages`` best ones; ``prefer``: the competition a result names when its document has several."""
    score_of = dict(scored)
    doc_of = read.chunk_documents(conn, [cid for cid, _ in scored])
    groups = fusion.group_by(scored, doc_of, limit=k)
    best = {doc_id: items[:passages] for doc_id, _, items in groups}
    texts = read.chunk_texts(conn, [cid for items in best.values() for cid in items])
    heads = read.document_heads(conn, list(best))
    links = {doc_id: read.best_link(conn, doc_id, prefer) for doc_id in best}
    return [_result(heads[doc_id], links[doc_id], score,
                    tuple(Passage(cid, texts[cid][0], snippets.best_window(texts[cid][1], query),
                                  round(float(score_of[cid]), 6)) for cid in best[doc_id]))
            for doc_id, score, _ in groups]


def _result(head: DocumentHead, link: DocumentLink | None, score: float,
            passages: tuple[Passage, ...]) -> SearchResult:
    first = passages[0]
    return SearchResult(
        url=head.url, title=head.title, source=head.source, competition=link.slug if link else None,
        competition_title=link.title if link else None, rank=link.rank if link else None,
        score=round(float(score), 6), snippet=first.snippet, document_id=head.id, chunk_id=first.chunk_id,
        heading_path=first.heading_path, year=(link.year if link and link.year else head.year) or None,
        passages=passages)
