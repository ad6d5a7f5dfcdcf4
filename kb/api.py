"""``KnowledgeBase``: the one entry object over a KB_HOME directory (SQLite file + index files)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb import db, dense, keyword, migrations, rank, snippets, store, vectors
from kb.config import Settings, load_settings
from kb.docfacts import facts_counts, has_facts
from kb.embed import Embedder, make_embedder
from kb.errors import BadInputError, EmptyQueryError, IndexCorruptError, IndexMismatchError, KBError, NotBuiltError
from kb.filters import Filters, chunk_ids
from kb.recommend.types import Recommendation
from kb.records import Competition, FetchedDocument, year_of

if TYPE_CHECKING:
    from kb.techniques.vocab import Vocabulary

log = logging.getLogger("kb")

MAX_QUERY_CHARS = 4000
CANDIDATES = 200
MODES = ("hybrid", "dense", "keyword")
SWAP_RETRIES = 20  # x SWAP_WAIT: how long a reader waits for a half-swapped index to settle
SWAP_WAIT = 0.05


@dataclass(frozen=True)
class SearchResult:
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

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("document_id", "chunk_id", "heading_path", "year")}


def clean_query(query: str) -> str:
    if query is None or not str(query).strip():
        raise EmptyQueryError("the query is empty: type a few words to search for")
    q = " ".join(str(query).split())
    if not keyword.query_terms(q):
        raise EmptyQueryError("the query has no words to search for (only punctuation or symbols)")
    return q[:MAX_QUERY_CHARS]


class KnowledgeBase:
    """Open with :meth:`open`; every command, the app and the tests go through this object."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None, readonly: bool = False):
        self.settings = settings
        self.readonly = readonly
        if not readonly:
            settings.home.mkdir(parents=True, exist_ok=True)
        elif not settings.db_path.exists():
            raise NotBuiltError(f"no knowledge base at {settings.home}; build it with `kb ingest mirror DIR`")
        self.conn: sqlite3.Connection = _open_database(settings, readonly)
        self._embedder = embedder
        self._dense: dense.DenseIndex | None = None
        self._unloadable_mtime: float | None = None  # a swapped-in index file that would not load
        self._vocabulary: Vocabulary | None = None
        self._query_cache: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()

    @classmethod
    def open(cls, home: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | None = None, readonly: bool = False, **overrides: object) -> KnowledgeBase:
        """Open (creating if needed) the knowledge base in ``home`` (default: KB_HOME)."""
        settings = settings or load_settings(home, **overrides)
        return cls(settings, embedder=embedder, readonly=readonly)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- components -------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings.model, self.settings.device, self.settings.home / "models")
        return self._embedder

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def dense_index(self) -> dense.DenseIndex:
        """The vector index, reloaded when a newer one was swapped in on disk.

        While another process swaps in a new index its files disagree for a moment, so a failed
        load is retried briefly; if it keeps failing, the index already loaded goes on answering.
        """
        with self._lock:
            path = self.settings.index_dir / dense.INDEX_FILE
            mtime = path.stat().st_mtime if path.exists() else None
            if self._dense is not None and mtime is not None and mtime in (self._dense.mtime, self._unloadable_mtime):
                return self._dense
            for attempt in range(SWAP_RETRIES):
                try:
                    self._dense = dense.DenseIndex.load(self.settings.index_dir, self.model_id)
                    return self._dense
                except IndexCorruptError:
                    if attempt == SWAP_RETRIES - 1:
                        if self._dense is None:
                            raise
                        log.warning("the new vector index does not load; still searching the previous one")
                        self._unloadable_mtime = mtime
                        return self._dense
                    time.sleep(SWAP_WAIT)
            raise AssertionError("unreachable")

    @property
    def vocabulary(self) -> Vocabulary:
        """The technique vocabulary (packaged, plus KB_TECHNIQUES files and KB_HOME/techniques.yml)."""
        if self._vocabulary is None:
            import os

            from kb.techniques.vocab import default_paths, load_vocabulary

            env = {**os.environ, "KB_HOME": str(self.settings.home)}
            self._vocabulary = load_vocabulary(default_paths(env))
        return self._vocabulary

    # -- writing ----------------------------------------------------------------------------
    def upsert_competitions(self, competitions: list[Competition]) -> int:
        with store.transaction(self.conn):
            for comp in competitions:
                store.upsert_competition(self.conn, comp)
        return len(competitions)

    def add_document(self, doc: FetchedDocument):
        """Clean, chunk and store one fetched document; returns an ``ingest.report.Outcome``."""
        from kb.documents import process

        return process(self.conn, doc)

    def embed_pending(self, progress: Callable[[int], object] | None = None) -> int:
        """Embed chunks that have no vector under the configured model yet."""
        return vectors.embed_pending(self.conn, self.embedder, batch_size=self.settings.batch_size,
                                     progress=progress)

    def pending_count(self) -> int:
        return len(vectors.pending_chunks(self.conn, self.model_id))

    def rebuild_index(self, *, keyword_too: bool = False) -> dense.IndexMeta:
        """Rebuild the vector index (and optionally the keyword index) from SQLite."""
        if keyword_too:
            with store.transaction(self.conn):
                store.rebuild_fts(self.conn)
        ids, vecs, keys = vectors.index_rows(self.conn, self.model_id)
        if len(ids) == 0:
            raise NotBuiltError("there are no embedded passages yet; run `kb ingest mirror DIR` first")
        meta = dense.write_index(self.settings.index_dir, ids, vecs, self.model_id, store.now(), keys=keys)
        with self._lock:
            self._dense = None
        return meta

    def update_index(self) -> dense.IndexMeta:
        """Bring the vector index up to date with SQLite: add new and changed passages, drop removed ones.

        Falls back to :meth:`rebuild_index` when there is no usable index or a rebuild is cheaper.
        """
        ids, keys = vectors.vector_keys(self.conn, self.model_id)
        plan = dense.plan_update(self.settings.index_dir, ids, keys, self.model_id) if len(ids) else None
        meta = dense.read_meta(self.settings.index_dir)
        if plan is None or meta is None:
            return self.rebuild_index()
        if not plan.empty:
            add_ids, add_vecs, add_keys = vectors.index_rows(self.conn, self.model_id, only=plan.add)
            meta = dense.add_vectors(self.settings.index_dir, add_ids, add_vecs, self.model_id, store.now(),
                                     keys=add_keys, remove=plan.remove)
        with self._lock:
            self._dense = None
        return meta

    # -- reading ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        q = self.conn.execute
        return {
            "documents": q("SELECT count(*) FROM documents").fetchone()[0],
            "competitions": q("SELECT count(*) FROM competitions").fetchone()[0],
            "competitions_with_documents": q(
                "SELECT count(DISTINCT competition_id) FROM document_competitions").fetchone()[0],
            "chunks": q("SELECT count(*) FROM chunks").fetchone()[0],
            "embeddings": q("SELECT count(*) FROM embeddings").fetchone()[0],
        }

    def stats(self) -> dict:
        out: dict = dict(self.counts())
        out["home"] = str(self.settings.home)
        out["model"] = self.settings.model
        out["sources"] = dict(self.conn.execute("SELECT source, count(*) FROM documents GROUP BY source").fetchall())
        meta = dense.read_meta(self.settings.index_dir)
        out["index"] = asdict(meta) if meta else None
        out["last_fetched"] = self.conn.execute("SELECT max(fetched_at) FROM documents").fetchone()[0]
        out.update(facts_counts(self.conn))
        return out

    def is_empty(self) -> bool:
        return self.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0

    def _check_searchable(self) -> None:
        if self.is_empty():
            raise NotBuiltError(
                f"the knowledge base in {self.settings.home} is empty; build it with `kb ingest mirror DIR`")

    def dense_ranking(self, query_text: str, limit: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        return self.dense_index().search(self._encode(query_text), limit, allowed)

    def _encode(self, text: str) -> np.ndarray:
        """Query vectors, cached: the app and the evaluation ask for the same text repeatedly."""
        with self._lock:
            vec = self._query_cache.get(text)
        if vec is None:
            vec = self.embedder.encode([text])[0]
            with self._lock:
                if len(self._query_cache) >= 256:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = vec
        return vec

    def keyword_ranking(self, query_text: str, limit: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        with self._lock:
            return keyword.search(self.conn, query_text, limit, allowed)

    def passages(self, query: str, *, limit: int = CANDIDATES, mode: str = "hybrid",
                 filters: Filters | None = None, **filter_kwargs: object) -> list[tuple[int, float]]:
        """Chunk ids with fused scores, best first."""
        if mode not in MODES:
            raise KBError(f"unknown search mode {mode!r} (choose from {', '.join(MODES)})")
        q = clean_query(query)
        self._check_searchable()
        with self._lock:
            allowed = chunk_ids(self.conn, Filters.of(filters, **filter_kwargs))
        if allowed is not None and not allowed:
            return []
        rankings: list[list[tuple[int, float]]] = []
        weights: list[float] = []
        if mode in ("hybrid", "dense"):
            rankings.append(self.dense_ranking(q, limit, allowed))
            weights.append(self.settings.hybrid_weight_dense)
        if mode in ("hybrid", "keyword"):
            rankings.append(self.keyword_ranking(q, limit, allowed))
            weights.append(self.settings.hybrid_weight_keyword)
        if len(rankings) == 1:
            return rankings[0]
        if self.settings.fusion == "rrf":
            return rank.rrf(rankings, weights=weights)
        return rank.weighted_fusion(rankings, weights)

    def search(self, query: str, k: int = 10, *, mode: str = "hybrid", filters: Filters | None = None,
               **filter_kwargs: object) -> list[SearchResult]:
        """Documents ranked by their best passages (one result per document), best first."""
        if k < 1:
            raise KBError("k must be at least 1")
        f = Filters.of(filters, **filter_kwargs)
        scored = self.passages(query, limit=max(CANDIDATES, k * 20), mode=mode, filters=f)
        if not scored:
            return []
        with self._lock, self._snapshot():
            doc_of = self._chunk_documents([cid for cid, _ in scored])
            groups = rank.group_by(scored, doc_of, limit=k)
            return [self._result(doc_id, items[0], score, query, f.competition)
                    for doc_id, score, items in groups]

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction, so rows read together come from one version of the database.

        An ingest may replace a document's passages between two statements otherwise.
        """
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def _chunk_documents(self, ids: list[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            out.update(self.conn.execute(
                f"SELECT id, document_id FROM chunks WHERE id IN ({','.join('?' * len(part))})", part).fetchall())
        return out

    def best_link(self, document_id: int, prefer: str | None = None) -> sqlite3.Row | None:
        """The document's competition link (``prefer``'s first, then the best ranked).

        When the catalog gives none of the document's links a rank, ``rank`` is the one the write-up
        states in its title or text (``kb.docfacts``), unless it is not a write-up or its text names
        another competition than the one it is linked to.
        """
        if not has_facts(self.conn):
            return self.conn.execute(
                "SELECT co.slug, co.title, co.year, dc.rank FROM document_competitions dc"
                " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = ?"
                " ORDER BY (co.slug = ?) DESC, dc.rank IS NULL, dc.rank, co.slug LIMIT 1",
                (document_id, prefer or ""),
            ).fetchone()
        return self.conn.execute(
            "SELECT co.slug, co.title, co.year, coalesce(dc.rank, (SELECT f.rank FROM document_facts f"
            "   JOIN documents d ON d.id = f.document_id AND d.text_sha256 = f.text_sha256"
            "   WHERE f.document_id = dc.document_id AND f.is_writeup AND f.named_competition IS NULL"
            "   AND NOT EXISTS (SELECT 1 FROM document_competitions r"
            "                   WHERE r.document_id = dc.document_id AND r.rank IS NOT NULL))) AS rank"
            " FROM document_competitions dc JOIN competitions co ON co.id = dc.competition_id"
            " WHERE dc.document_id = ?"
            " ORDER BY (co.slug = ?) DESC, dc.rank IS NULL, dc.rank, co.slug LIMIT 1",
            (document_id, prefer or ""),
        ).fetchone()

    def _result(self, document_id: int, chunk_id: int, score: float, query: str,
                prefer: str | None) -> SearchResult:
        d = self.conn.execute("SELECT url, title, source, date FROM documents WHERE id = ?", (document_id,)).fetchone()
        c = self.conn.execute("SELECT heading_path, text FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
        link = self.best_link(document_id, prefer)
        year = link["year"] if link and link["year"] else year_of(d["date"])
        return SearchResult(
            url=d["url"], title=d["title"] or d["url"], source=d["source"],
            competition=link["slug"] if link else None, competition_title=link["title"] if link else None,
            rank=link["rank"] if link else None, score=round(float(score), 6),
            snippet=snippets.best_window(c["text"], query), document_id=document_id, chunk_id=chunk_id,
            heading_path=c["heading_path"], year=year,
        )

    def document(self, url_or_id: str | int) -> dict | None:
        """A stored document with its text, chunks and competition links."""
        col = "id" if isinstance(url_or_id, int) else "url"
        d = self.conn.execute(f"SELECT * FROM documents WHERE {col} = ?", (url_or_id,)).fetchone()
        if d is None:
            return None
        out = dict(d)
        out["competitions"] = [dict(r) for r in self.conn.execute(
            "SELECT co.slug, co.title, co.year, co.url, dc.rank, dc.link_kind FROM document_competitions dc"
            " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = ? ORDER BY dc.rank",
            (d["id"],))]
        out["chunks"] = [dict(r) for r in self.conn.execute(
            "SELECT id, position, heading_path, text FROM chunks WHERE document_id = ? ORDER BY position", (d["id"],))]
        return out

    def recommend(self, description: str, k: int = 10, *, exclude_competition: str | None = None,
                  mode: str = "hybrid", year: int | None = None, exclude_documents: Collection[int] = (),
                  modality: str | None = None, task_type: str | None = None, metric_family: str | None = None,
                  competitions: int = 10, filters: Filters | None = None, **filter_kwargs: object) -> Recommendation:
        """The distinctive techniques that won competitions similar to ``description`` (a one-line
        summary or a whole competition page), each with quotes from the write-ups that credit it; the
        table stakes of its modality; and the similar competitions with a score and a reason.

        ``modality``, ``task_type`` and ``metric_family`` replace what is inferred from the text;
        ``year`` replaces the page's own dates (default: the newest catalog year).
        ``exclude_competition`` and ``exclude_documents`` (document ids) hide write-ups, as the
        evaluation does for a held-out competition; the other keywords filter the write-ups (see
        :class:`Filters`). ``Recommendation.abstained`` is True when nothing is close."""
        from kb.recommend.recommender import recommend

        if k < 1:
            raise KBError("k must be at least 1")
        _check_profile(modality, task_type, metric_family)
        f = Filters.of(filters, **filter_kwargs)
        if f.exclude_competition:  # one competition left out: its write-ups, and itself from the similar ones
            exclude_competition = exclude_competition or f.exclude_competition
            f = replace(f, exclude_competition=None)
        clean_query(description)
        self._check_searchable()
        return recommend(self, description, k, exclude_competition=exclude_competition, mode=mode, year=year,
                         exclude_documents=exclude_documents, modality=modality, task_type=task_type,
                         metric_family=metric_family, competitions=competitions, filters=f)

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode(clean_query(text))

    def check_model(self) -> None:
        meta = dense.read_meta(self.settings.index_dir)
        if meta and meta.model != self.model_id:
            raise IndexMismatchError(
                f"the vector index was built with {meta.model!r} but {self.model_id!r} is configured; "
                "run `kb index rebuild`")


def _check_profile(modality: str | None, task_type: str | None, metric_family: str | None) -> None:
    from kb.profile import METRIC_FAMILIES, MODALITIES, TASK_TYPES

    for name, value, allowed in (("modality", modality, MODALITIES), ("task type", task_type, TASK_TYPES),
                                 ("metric family", metric_family, METRIC_FAMILIES)):
        if value is not None and value not in allowed:
            raise BadInputError(f"unknown {name} {value!r}: choose from {', '.join(allowed)}")


def _open_database(settings: Settings, readonly: bool) -> sqlite3.Connection:
    """Connect and migrate; a damaged or foreign file is a KBError saying how to rebuild, not a traceback."""
    conn = None
    try:
        conn = db.connect(settings.db_path, readonly=readonly)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not readonly:
            db.migrate(conn, migrations.MIGRATIONS)
        return conn
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        if isinstance(e, sqlite3.OperationalError):  # locked, or an unreadable folder: not damage
            raise
        raise KBError(f"{settings.db_path} is damaged or not a kb database ({e}); move it aside and "
                      "rebuild with `kb ingest mirror DIR`") from e

