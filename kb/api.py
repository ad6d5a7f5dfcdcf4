"""``KnowledgeBase``: the one entry object over a KB_HOME directory (SQLite file + index files).

The command line, the web app, the evaluation and the ingest jobs all go through it: writing
documents (:meth:`~KnowledgeBase.add_document`, :meth:`~KnowledgeBase.sync`), searching,
recommending, and typed reads. It holds the lock that makes one instance safe to share between
threads and one cache of what is derived from the database (kept until the database changes).
``conn`` is public, as the escape hatch (like ``sqlite_utils.Database.conn``); nothing outside this
module takes the lock or touches the private members.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import numpy as np

from kb.config import Settings, load_settings
from kb.embed import Embedder, make_embedder
from kb.errors import BadInputError, IndexMismatchError, NotBuiltError
from kb.progress import ProgressFactory, no_progress
from kb.recommend.types import Recommendation
from kb.records import Competition, FetchedDocument, Outcome
from kb.search import dense, engine, keyword
from kb.search.engine import CANDIDATES, MODES, SearchResult, clean_query
from kb.search.filters import Filters, check_filters, chunk_ids
from kb.store import open_database, read, vectors, write
from kb.store.cache import VersionedCache
from kb.store.db import transaction
from kb.store.read import (
    CompetitionInfo,
    CorpusStats,
    Document,
    DocumentLink,
    FilterOptions,
    TechniqueCount,
)

if TYPE_CHECKING:  # imported when used: they compile many patterns
    from kb.export import ExportedTable
    from kb.techniques.candidates import Candidate as TechniqueCandidate
    from kb.techniques.vocab import Vocabulary

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Stats:
    """What the knowledge base holds (``kb stats``)."""

    documents: int
    competitions: int
    competitions_with_documents: int
    chunks: int  # passages
    embeddings: int  # passages with a vector under the configured model (= chunks once all are embedded)
    home: str
    model: str
    sources: dict[str, int]
    index: dense.IndexMeta | None
    last_fetched: str | None
    not_writeups: int  # documents that are not solution write-ups (kb.docfacts)
    flagged_links: int  # links whose document names another competition
    parsed_ranks: int  # linked write-ups whose rank comes from their own text
    # rows of the vector table by what they are (kb.store.read.vector_counts): passage texts, competition
    # descriptions and write-up centroids (recommend's), vectors under other models
    vectors: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``kb stats --json`` object (README, "Output contracts")."""
        return asdict(self)


@dataclass(frozen=True)
class SyncReport:
    """What :meth:`KnowledgeBase.sync` did; ``index`` is the vector index it wrote (None: it was up to date)."""

    tagged_chunks: int
    profiled_competitions: int
    document_facts: int
    embedded_chunks: int
    index: dense.IndexMeta | None = None


class KnowledgeBase:
    """The knowledge base in one KB_HOME folder. Open with :meth:`open`; close it, or use it as a context manager.

    One instance may be shared between threads (the web app does): reads run under its lock, in one
    snapshot of the database.
    """

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None, readonly: bool = False):
        self.settings = settings
        self.readonly = readonly
        if not readonly:
            settings.home.mkdir(parents=True, exist_ok=True)
        elif not settings.db_path.exists():
            raise NotBuiltError(f"no knowledge base at {settings.home}; build it with `kb ingest mirror DIR`")
        self.conn: sqlite3.Connection = open_database(settings.db_path, readonly=readonly)
        self._embedder = embedder
        self._embedder_given = embedder is not None
        self._query_encoder: Embedder | None = None
        self._dense = dense.IndexHandle(settings.index_dir)
        self._vocabulary: Vocabulary | None = None
        self._query_cache: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()
        self._cache = VersionedCache(self.conn, self._lock)

    @classmethod
    def open(cls, home: str | Path | None = None, *, settings: Settings | None = None,
             embedder: Embedder | None = None, readonly: bool = False, **overrides: object) -> KnowledgeBase:
        """Open (creating if needed) the knowledge base in ``home`` (default: KB_HOME)."""
        settings = settings or load_settings(home, **overrides)
        return cls(settings, embedder=embedder, readonly=readonly)

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- components -------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The configured embedding model (loaded on first use)."""
        if self._embedder is None:
            self._embedder = make_embedder(self.settings.model, self.settings.device, self.settings.models_dir)
        return self._embedder

    @property
    def query_encoder(self) -> Embedder:
        """What encodes queries under :attr:`model_id`: the configured model's fp32 ONNX export when ingestion
        made one (the same vectors, without importing torch: see :mod:`kb.embed.query`), else :attr:`embedder`."""
        if self._query_encoder is None:
            if self._embedder_given:
                self._query_encoder = self.embedder
            else:
                from kb.embed.query import make_query_encoder

                self._query_encoder = make_query_encoder(self.settings.model, self.settings.models_dir, self.embedder)
        return self._query_encoder

    def prepare_query_encoder(self) -> bool:
        """Export the configured model once for fast queries (an fp32 ONNX graph under ``settings.models_dir``,
        checked to give the model's own vectors); :meth:`sync` and ``kb index rebuild`` call it. Returns whether
        queries are now encoded without torch. Does nothing for a read-only knowledge base, an embedder
        given to :meth:`open` or a model that cannot be exported."""
        from kb.embed.query import ensure_query_export, export_path

        if self.readonly or self._embedder_given or export_path(self.settings.model, self.settings.models_dir) is None:
            return False
        made = ensure_query_export(self.settings.model, self.settings.models_dir, self.embedder) is not None
        self._query_encoder = None  # picked again on next use
        return made

    @property
    def model_id(self) -> str:
        """The embedding model's id: vectors and the index are stored under it."""
        return self.embedder.model_id

    def dense_index(self) -> dense.DenseIndex:
        """The vector index, reloaded when a newer one was swapped in on disk.

        While another process swaps in a new index its files disagree for a moment, so a failed
        load is retried briefly; if it keeps failing, the index already loaded goes on answering.
        """
        with self._lock:
            return self._dense.get(self.model_id)

    @property
    def vocabulary(self) -> Vocabulary:
        """The technique vocabulary: the packaged one, extended by ``settings.techniques`` (KB_TECHNIQUES) and
        ``<home>/techniques.yml``."""
        if self._vocabulary is None:
            from kb.techniques.vocab import load_vocabulary, settings_paths

            self._vocabulary = load_vocabulary(settings_paths(self.settings))
        return self._vocabulary

    # -- writing ----------------------------------------------------------------------------
    def upsert_competitions(self, competitions: Sequence[Competition]) -> int:
        """Insert or update competitions by slug (fields that are None keep their stored value); returns how many."""
        with transaction(self.conn):
            for comp in competitions:
                write.upsert_competition(self.conn, comp)
        return len(competitions)

    def add_document(self, doc: FetchedDocument) -> Outcome:
        """Clean, chunk and store one fetched document (recognised by hash when unchanged), in one transaction.

        Tagging, embedding and indexing wait for :meth:`sync`, once per batch of documents.
        """
        from kb.documents import process  # the text cleaners import parsers: only when writing

        return process(self.conn, doc)

    def embed_pending(self, progress: Callable[[int], object] | None = None) -> int:
        """Embed chunks that have no vector under the configured model yet."""
        return vectors.embed_pending(self.conn, self.embedder, batch_size=self.settings.batch_size,
                                     progress=progress)

    def pending_count(self) -> int:
        """Passages with no vector under the configured model yet."""
        return len(vectors.pending_chunks(self.conn, self.model_id))

    def rebuild_index(self, *, keyword_too: bool = False) -> dense.IndexMeta:
        """Rebuild the vector index (and optionally the keyword index) from SQLite."""
        if keyword_too:
            with transaction(self.conn):
                write.rebuild_fts(self.conn)
        ids, vecs, keys = vectors.index_rows(self.conn, self.model_id)
        if len(ids) == 0:
            raise NotBuiltError("there are no embedded passages yet; run `kb ingest mirror DIR` first")
        meta = dense.write_index(self.settings.index_dir, ids, vecs, self.model_id, write.now(), keys=keys)
        with self._lock:
            self._dense.forget()
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
            meta = dense.add_vectors(self.settings.index_dir, add_ids, add_vecs, self.model_id, write.now(),
                                     keys=add_keys, remove=plan.remove)
        with self._lock:
            self._dense.forget()
        return meta

    def sync(self, progress: ProgressFactory = no_progress, *, changed: bool = False) -> SyncReport:
        """Bring what is derived from the documents up to date, after a batch of :meth:`add_document`:
        technique tags, competition profiles and document facts (:mod:`kb.enrich`), vectors for new
        passages, and the vector index. Cheap when nothing changed.

        ``changed``: stored documents were replaced, so the index is updated even when none of their
        passages needed a new vector.
        """
        from kb.enrich import enrich

        done = enrich(self, progress)
        embedded = 0
        pending = self.pending_count()
        if pending:
            bar = progress("embedding passages", pending)
            try:
                embedded = self.embed_pending(progress=bar.update)
            finally:
                bar.close()
        index = None
        meta_missing = not (self.settings.index_dir / dense.META_FILE).exists()
        has_chunks = self.read(read.has_chunks)
        if has_chunks and (embedded or meta_missing or changed or self._index_stale()):
            index = self.update_index()
        if has_chunks:
            before = self.conn.total_changes
            self.prepare_recommend()
            if embedded or changed or index is not None or self.conn.total_changes != before:
                self.prune_vectors()
            self.prepare_query_encoder()
        return SyncReport(done["tagged_chunks"], done["profiled_competitions"], done["document_facts"], embedded,
                          index)

    def _index_stale(self) -> bool:
        """True unless the index loads and holds exactly the embedded passages with their current vectors.

        Comparing counts is not enough: a run killed after embedding a changed document but before
        re-indexing leaves as many vectors as before, under other (or reused) chunk ids.
        """
        from kb.check import check_vector_index

        return not check_vector_index(self).ok

    # -- reading ----------------------------------------------------------------------------
    def read(self, query: Callable[Concatenate[sqlite3.Connection, P], T], /, *args: P.args,
             **kwargs: P.kwargs) -> T:
        """``query(conn, *args, **kwargs)`` under the lock and in one read snapshot, so that what it reads
        together comes from one version of the database (the queries are in :mod:`kb.store.read`)."""
        with self._lock, self._snapshot():
            return query(self.conn, *args, **kwargs)

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per version of the database: for what is derived from it and stays valid
        until it changes (filter choices, the recommender's corpus matrices). Runs under the lock."""
        return self._cache.get(name, compute)

    def counts(self) -> dict[str, int]:
        """Rows per kind: documents, competitions, competitions_with_documents, chunks (passages) and embeddings
        (passages with a vector under the configured model)."""
        return self.read(read.counts, self.model_id)

    def stats(self) -> Stats:
        """What the knowledge base holds: counts, sources, the vector index, the last ingest, document facts."""
        with self._lock, self._snapshot():
            counts = read.counts(self.conn, self.model_id)
            sources = read.sources(self.conn)
            last = read.last_fetched(self.conn)
            facts = read.facts_counts(self.conn)
            vector_counts = read.vector_counts(self.conn, self.model_id)
        return Stats(**counts, home=str(self.settings.home), model=self.settings.model, sources=sources,
                     index=dense.read_meta(self.settings.index_dir), last_fetched=last, **facts,
                     vectors=vector_counts)

    def is_empty(self) -> bool:
        """True when no document is stored."""
        return self.read(read.is_empty)

    def _check_searchable(self) -> None:
        if self.is_empty():
            raise NotBuiltError(
                f"the knowledge base in {self.settings.home} is empty; build it with `kb ingest mirror DIR`")

    def dense_ranking(self, query_text: str, limit: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        """Chunk ids by similarity of their vectors to the query's, best first (only ``allowed`` ones)."""
        return self.dense_index().search(self._encode(query_text), limit, allowed)

    def _encode(self, text: str) -> np.ndarray:
        """Query vectors, cached: the app and the evaluation ask for the same text repeatedly."""
        with self._lock:
            vec = self._query_cache.get(text)
        if vec is None:
            vec = self.query_encoder.encode([text])[0]
            with self._lock:
                if len(self._query_cache) >= 256:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = vec
        return vec

    def clear_query_cache(self) -> None:
        """Forget the vectors of past queries (so that timing a query times its encoding too)."""
        with self._lock:
            self._query_cache.clear()

    def keyword_ranking(self, query_text: str, limit: int, allowed: set[int] | None) -> list[tuple[int, float]]:
        """Chunk ids by full-text relevance (FTS5 BM25) to the query's words, best first (only ``allowed`` ones)."""
        with self._lock:
            return keyword.search(self.conn, query_text, limit, allowed)

    def passages(self, query: str, *, limit: int = CANDIDATES, mode: str = "hybrid",
                 filters: Filters | None = None, **filter_kwargs: object) -> list[tuple[int, float]]:
        """Chunk ids with fused scores, best first: dense and keyword rankings combined (``mode`` "hybrid"),
        or one of them ("dense", "keyword"). Filters as for :meth:`search`."""
        if mode not in MODES:
            raise BadInputError(f"unknown search mode {mode!r} (choose from {', '.join(MODES)})")
        q = clean_query(query)
        self._check_searchable()
        f = Filters.of(filters, **filter_kwargs)
        with self._lock:
            check_filters(self.conn, f)
            allowed = chunk_ids(self.conn, f)
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
        return engine.fuse(rankings, weights, self.settings.fusion)

    def check_filters(self, filters: Filters | None = None, *, stored: bool = False,
                      **filter_kwargs: object) -> Filters:
        """The filters as one :class:`Filters`, or :class:`FilterError` (a :class:`BadInputError`, exit code 2)
        naming the values a filter can take when it can never match: an unknown modality, an empty year
        range, a rank below 1 (:meth:`search` and :meth:`recommend` check these themselves). With
        ``stored``, also a source or competition kind that nothing stored has and a competition the
        catalog does not list, which :meth:`search` answers with no results: the command line checks them
        so that a typo is an error there."""
        f = Filters.of(filters, **filter_kwargs)
        self.read(check_filters, f, stored=stored)
        return f

    def search(self, query: str, k: int = 10, *, mode: str = "hybrid", passages: int = 1,
               filters: Filters | None = None, **filter_kwargs: object) -> list[SearchResult]:
        """The ``k`` documents whose passages best match ``query`` (one result per document), best first,
        each with its ``passages`` best passages.

        Filters come as a :class:`Filters` (``filters=``), as keywords (``source="blog"``), or both
        (the keywords win).
        """
        if k < 1:
            raise BadInputError("k must be at least 1")
        if passages < 1:
            raise BadInputError("passages must be at least 1")
        f = Filters.of(filters, **filter_kwargs)
        scored = self.passages(query, limit=max(CANDIDATES, k * 20), mode=mode, filters=f)
        if not scored:
            return []
        return self.read(engine.results, scored, query, k=k, passages=passages, prefer=f.competition)

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

    def best_link(self, document_id: int, prefer: str | None = None) -> DocumentLink | None:
        """The document's competition as results show it (``prefer``'s first, then the best ranked); see
        :func:`kb.store.read.best_link`."""
        return self.read(read.best_link, document_id, prefer)

    def document(self, url_or_id: str | int) -> Document | None:
        """A stored document by id (an int) or URL: its text, passages, competitions and techniques."""
        return self.read(read.document, url_or_id)

    def document_choices(self) -> dict[int, str]:
        """Every document as id -> "title — competition", for a document picker (cached)."""
        return self.cached("document_choices", lambda: self.read(read.document_choices))

    def filter_options(self) -> FilterOptions:
        """The values each search filter can take in this knowledge base (cached: every app page asks)."""
        return self.cached("filter_options", lambda: self.read(read.filter_options))

    def competition_choices(self) -> dict[str, str]:
        """Competitions to start a recommendation from, slug -> "title (year)", newest first (cached)."""
        return self.cached("competition_choices", lambda: self.read(read.competition_choices))

    def competition(self, slug: str) -> CompetitionInfo | None:
        """A catalog competition by slug: its catalog fields and inferred profile."""
        return self.read(read.competition, slug)

    def technique_counts(self) -> list[TechniqueCount]:
        """Every technique some document mentions, with the documents that report it helped and that it did not;
        most "helped" first (cached)."""
        return self.cached("technique_counts", lambda: self.read(read.technique_counts))

    def technique_years(self, techniques: Sequence[str]) -> dict[str, dict[int, int]]:
        """Technique -> year -> documents of that year reporting it helped."""
        return self.read(read.technique_years, list(techniques))

    def corpus_stats(self) -> CorpusStats:
        """Write-ups per year and per source, coverage per modality and freshness (cached)."""
        return self.cached("corpus_stats", lambda: self.read(read.corpus_stats))

    def technique_candidates(self, *, min_competitions: int = 2, limit: int | None = None) -> list[TechniqueCandidate]:
        """Phrases that write-ups credit ("X helped") and no vocabulary entry covers, most competitions first:
        what to add to the vocabulary next (``kb techniques --candidates``)."""
        from kb.techniques.candidates import mine

        vocab = self.vocabulary
        return self.read(mine, vocab, min_competitions=min_competitions, limit=limit)

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
            raise BadInputError("k must be at least 1")
        _check_profile(modality, task_type, metric_family)
        f = Filters.of(filters, **filter_kwargs)
        if f.exclude_competition:  # one competition left out: its write-ups, and itself from the similar ones
            exclude_competition = exclude_competition or f.exclude_competition
            f = replace(f, exclude_competition=None)
        clean_query(description)
        self._check_searchable()
        self.read(check_filters, f)
        return recommend(self, description, k, exclude_competition=exclude_competition, mode=mode, year=year,
                         exclude_documents=exclude_documents, modality=modality, task_type=task_type,
                         metric_family=metric_family, competitions=competitions, filters=f)

    def prepare_recommend(self) -> None:
        """Compute and store what ``recommend`` needs beyond the passages (a vector per competition
        description, the centroid of each competition's write-ups), so read-only readers — the app,
        the CLI — find them ready. Ingestion calls it; cheap when nothing changed."""
        from kb.recommend.corpus import corpus_data

        corpus_data(self)

    def export(self, out: str | Path, *, format: str = "jsonl",
               tables: Sequence[str] = ("documents", "competitions", "technique_mentions")) -> list[ExportedTable]:
        """Write ``tables`` to ``out/<table>.<format>`` (``format`` "jsonl" or "parquet"), streamed from one
        snapshot of the database: ``documents`` (text, competitions and ranks), ``competitions`` (the catalog
        with its inferred profile) and ``technique_mentions`` (one row per technique found in a sentence,
        with its provenance). The columns are listed in :data:`kb.export.TABLES` and the README."""
        from kb.export import export

        return self.read(export, Path(out), format, tables)

    def prune_vectors(self, *, dry_run: bool = False) -> int:
        """Delete the stored vectors nothing reads any more — of passages that changed or went away, of
        competition descriptions and write-up sets that changed — and return how many (with ``dry_run``,
        only count them: ``kb check`` does). :meth:`sync` prunes after every change; vectors under other
        models are kept (switching back to a model finds them)."""
        from kb.recommend.corpus import corpus_data

        data = corpus_data(self)  # what recommend reads: compared by value, so its keys stay its own business
        used = {row.tobytes() for part in (data.comp_vectors, data.comp_centroids) if part is not None
                for row in np.asarray(part, dtype=np.float32) if row.any()}
        keys = self.read(vectors.unused_vectors, self.model_id, used)
        if dry_run or not keys:
            return len(keys)
        if self.readonly:
            raise BadInputError("a read-only knowledge base cannot prune its vectors")
        with self._lock:
            return vectors.delete_vectors(self.conn, self.model_id, keys)

    def encode_query(self, text: str) -> np.ndarray:
        """The query's vector under the configured model (cached for repeated queries)."""
        return self._encode(clean_query(text))

    def check_model(self) -> None:
        """Raise :class:`IndexMismatchError` when the vector index was built with another model."""
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
