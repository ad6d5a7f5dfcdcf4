"""The FAISS index over chunk vectors: ``index/dense.faiss`` + ``dense.ids.npy`` + ``dense.json``.

Vectors live in SQLite (float32 BLOBs keyed by model and chunk hash); this index is a cache that
``write_index`` recreates from them and ``add_vectors`` updates in place. Small collections get an
exact index (``IDMap2,Flat``); past ``EXACT_MAX`` vectors an inverted file over 8-bit scalar-quantised
vectors (``IVF<nlist>,SQ8``, a quarter of the memory, recall@10 ≥ 0.95 against exact search; see
BENCHMARKS.md). Both are loaded memory-mapped, so a search process only pages in what it touches.

``dense.ids.npy`` holds, per indexed chunk id, a content key (from the chunk's hash), so an update
can tell which chunks are new, gone or changed without reading the index. Files are written under
temporary names and swapped in with ``os.replace``, ``dense.json`` last.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import faiss
import numpy as np

from kb.errors import IndexCorruptError, IndexMismatchError, NotBuiltError

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
INDEX_FILE = "dense.faiss"
META_FILE = "dense.json"
IDS_FILE = "dense.ids.npy"
FLAT_KIND = "IDMap2,Flat"
EXACT_MAX = 50_000
UNKNOWN_KEY = -1
TRAIN_PER_LIST = 40
SCAN = 32_768
REBUILD_GROWTH = 4.0
REBUILD_CHURN = 0.5
REBUILD_HINT = "run `kb index rebuild`"
MAX_BITMAP_ID = 1 << 30  # a filter's bitmap is at most 128 MB


@dataclass(frozen=True)
class IndexMeta:
    """What built the index. ``nlist``/``nprobe``/``trained_on`` are 0 for the exact kind."""

    model: str
    dim: int
    count: int
    kind: str
    built_at: str
    version: int = FORMAT_VERSION
    nlist: int = 0
    nprobe: int = 0
    trained_on: int = 0
    bytes: int = 0

    @property
    def exact(self) -> bool:
        return self.kind == FLAT_KIND


@dataclass(frozen=True)
class UpdatePlan:
    """What ``add_vectors`` must do to bring an index up to date: ids to (re-)add, ids to drop."""

    add: np.ndarray
    add_keys: np.ndarray
    remove: np.ndarray

    @property
    def empty(self) -> bool:
        return not len(self.add) and not len(self.remove)


def content_key(sha256_hex: str) -> int:
    """A 60-bit integer from a chunk's hex hash: changes whenever the chunk's text does."""
    return int(sha256_hex[:15], 16)


def ivf_params(count: int) -> tuple[int, int]:
    """(nlist, nprobe) for ``count`` vectors: ~2·√n lists, probing enough of them to scan ~``SCAN`` vectors.

    Recall@10 against exact search depends mostly on how many vectors a query scans; ~32k gives
    ≥ 0.98 on the benchmark's clustered data from 100k to 1M vectors, at ~2 ms per query.
    """
    nlist = 1 << max(6, round(math.log2(2 * math.sqrt(max(count, 1)))))
    nlist = min(nlist, max(64, count // TRAIN_PER_LIST))
    return nlist, min(nlist, max(1, math.ceil(nlist * SCAN / max(count, 1))))


def choose_kind(count: int, exact_max: int = EXACT_MAX) -> str:
    if count <= exact_max:
        return FLAT_KIND
    return f"IVF{ivf_params(count)[0]},SQ8"


def make_index(dim: int, count: int, exact_max: int = EXACT_MAX) -> tuple[faiss.Index, str]:
    """An empty index for ``count`` L2-normalised vectors (inner product = cosine)."""
    kind = choose_kind(count, exact_max)
    if kind == FLAT_KIND:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), kind
    return faiss.index_factory(dim, kind, faiss.METRIC_INNER_PRODUCT), kind


def _check_input(ids: np.ndarray, vectors: np.ndarray, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) != len(ids):
        raise ValueError(f"{len(ids)} ids but vectors of shape {vectors.shape}")
    if dim is not None and len(ids) and vectors.shape[1] != dim:
        raise IndexMismatchError(f"vectors have dimension {vectors.shape[1]}, the index has {dim}; {REBUILD_HINT}")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("duplicate ids")
    return ids, vectors


def _keys(keys: np.ndarray | None, n: int) -> np.ndarray:
    if keys is None:
        return np.full(n, UNKNOWN_KEY, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    if len(keys) != n:
        raise ValueError(f"{n} ids but {len(keys)} keys")
    return keys


def write_index(index_dir: Path, ids: np.ndarray, vectors: np.ndarray, model: str, built_at: str, *,
                keys: np.ndarray | None = None, exact_max: int = EXACT_MAX) -> IndexMeta:
    """Build an index over ``vectors`` (rows keyed by ``ids``, content ``keys``) and swap it in."""
    ids, vectors = _check_input(ids, vectors)
    if len(ids) == 0 or vectors.shape[1] == 0:
        raise NotBuiltError("no vectors to index")
    dim = int(vectors.shape[1])
    index, kind = make_index(dim, len(ids), exact_max)
    nlist = nprobe = trained_on = 0
    if kind != FLAT_KIND:
        nlist, nprobe = ivf_params(len(ids))
        sample = np.random.default_rng(0).choice(len(ids), min(len(ids), nlist * TRAIN_PER_LIST), replace=False)
        index.train(vectors[np.sort(sample)])
        trained_on = len(ids)
    index.add_with_ids(vectors, ids)
    meta = IndexMeta(model=model, dim=dim, count=int(index.ntotal), kind=kind, built_at=built_at,
                     nlist=nlist, nprobe=nprobe, trained_on=trained_on)
    return _commit(index_dir, index, meta, np.column_stack([ids, _keys(keys, len(ids))]))


def _commit(index_dir: Path, index: faiss.Index, meta: IndexMeta, table: np.ndarray) -> IndexMeta:
    """Write the three files under temporary names, then swap them in (meta last)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = {name: index_dir / f".{name}.tmp" for name in (INDEX_FILE, IDS_FILE, META_FILE)}
    try:
        faiss.write_index(index, str(tmp[INDEX_FILE]))
        meta = replace(meta, bytes=tmp[INDEX_FILE].stat().st_size)
        with open(tmp[IDS_FILE], "wb") as f:
            np.save(f, np.ascontiguousarray(table, dtype=np.int64), allow_pickle=False)
        tmp[META_FILE].write_text(json.dumps(asdict(meta), indent=2), encoding="utf-8")
        for name in (INDEX_FILE, IDS_FILE, META_FILE):
            os.replace(tmp[name], index_dir / name)
    finally:
        for path in tmp.values():
            path.unlink(missing_ok=True)
    return meta


def read_meta(index_dir: Path) -> IndexMeta | None:
    path = index_dir / META_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IndexMeta(**data)
    except (ValueError, TypeError) as e:
        raise IndexCorruptError(f"{path} is unreadable ({e}); {REBUILD_HINT}") from e


def read_table(index_dir: Path) -> np.ndarray:
    """The (n, 2) array of indexed chunk ids and their content keys."""
    path = index_dir / IDS_FILE
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise IndexCorruptError(f"{path} is missing or unreadable ({e}); {REBUILD_HINT}") from e
    if table.ndim != 2 or table.shape[1] != 2 or table.dtype != np.int64:
        raise IndexCorruptError(f"{path} has an unexpected shape {table.shape}; {REBUILD_HINT}")
    return table


def _check_model(meta: IndexMeta | None, model: str) -> IndexMeta:
    if meta is None:
        raise NotBuiltError(f"the vector index has not been built yet; {REBUILD_HINT}")
    if meta.model != model:
        raise IndexMismatchError(
            f"the vector index was built with model {meta.model!r} but {model!r} is configured; "
            f"{REBUILD_HINT} (or set KB_MODEL back)"
        )
    return meta


def _read_faiss(path: Path, meta: IndexMeta, mmap: bool) -> faiss.Index:
    """Read (memory-mapped when asked) and check the index against its meta."""
    if not path.exists():
        raise NotBuiltError(f"the vector index has not been built yet; {REBUILD_HINT}")
    if meta.bytes and path.stat().st_size != meta.bytes:
        raise IndexCorruptError(f"{path} is truncated or was overwritten; {REBUILD_HINT}")
    flags = 0
    if mmap:
        flags = faiss.IO_FLAG_MMAP_IFC if meta.exact else faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
    try:
        index = faiss.read_index(str(path), flags)
    except RuntimeError as e:
        raise IndexCorruptError(f"{path} is corrupt or truncated; {REBUILD_HINT}") from e
    ivf = isinstance(index, faiss.IndexIVF)
    if index.d != meta.dim or index.ntotal != meta.count or ivf == meta.exact:
        raise IndexCorruptError(f"{path} does not match {META_FILE}; {REBUILD_HINT}")
    return index


def _selector(allowed: Collection[int]) -> tuple[faiss.IDSelector, np.ndarray]:
    """A faiss selector for ``allowed`` ids, and the array it points into (keep it alive while searching).

    A bitmap over ids (one bit per id up to the largest) builds in ~0.3 ms and tests membership in
    one load, where a hash set of 300k ids takes ~30 ms to build; chunk ids are small dense rowids,
    so the bitmap stays small. Ids too large or negative fall back to the hash set.
    """
    ids = allowed if isinstance(allowed, np.ndarray) else np.fromiter(allowed, dtype=np.int64, count=len(allowed))
    ids = ids.astype(np.int64, copy=False)
    top = int(ids.max())
    if int(ids.min()) < 0 or top >= MAX_BITMAP_ID:
        return faiss.IDSelectorBatch(ids), ids
    mask = np.zeros(top + 1, dtype=bool)
    mask[ids] = True
    bits = np.packbits(mask, bitorder="little")
    return faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits)), bits


@contextmanager
def _one_thread() -> Iterator[None]:
    """One OpenMP thread for this calling thread while it searches.

    A single query gains nothing from more, and faiss's OpenMP runtime is not torch's: right after the
    query encoder ran, waking faiss's worker threads costs ~25 ms instead of the search's ~0.5 ms
    (see BENCHMARKS.md). The setting is per calling thread, so index builds elsewhere keep theirs.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class DenseIndex:
    """A loaded FAISS index and what built it. ``nprobe`` may be changed (the benchmark sweeps it)."""

    def __init__(self, index: faiss.Index, meta: IndexMeta, mtime: float):
        self.index = index
        self.meta = meta
        self.mtime = mtime
        self.nprobe = meta.nprobe

    @classmethod
    def load(cls, index_dir: Path, model: str, *, mmap: bool = True) -> DenseIndex:
        path = index_dir / INDEX_FILE
        for attempt in range(2):
            meta = _check_model(read_meta(index_dir), model)
            mtime = path.stat().st_mtime if path.exists() else 0.0
            try:
                return cls(_read_faiss(path, meta, mmap), meta, mtime)
            except IndexCorruptError:
                # an update may have swapped the index between reading the meta and the file
                if attempt or read_meta(index_dir) == meta:
                    raise
        raise AssertionError("unreachable")

    def search(self, query: np.ndarray, k: int, allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best (chunk id, cosine) pairs, only among ``allowed`` ids when given."""
        ntotal = self.index.ntotal
        if ntotal == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if q.shape[1] != self.meta.dim:
            raise IndexMismatchError(f"query has dimension {q.shape[1]}, index has {self.meta.dim}")
        sel = keep = None
        if allowed is not None:
            if not len(allowed):
                return []
            sel, keep = _selector(allowed)
        params: faiss.SearchParameters | None = None
        if not self.meta.exact:
            params = faiss.SearchParametersIVF()
            params.nprobe = self._nprobe(len(allowed) if allowed is not None else ntotal)
        if sel is not None:
            params = params or faiss.SearchParameters()
            params.sel = sel
        with _one_thread():
            scores, ids = self.index.search(q, min(k, ntotal), params=params)
        del keep  # the selector's bitmap had to outlive the search
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _nprobe(self, n_allowed: int) -> int:
        """Probe more lists when a filter leaves few ids, so as many allowed vectors are scanned as unfiltered.

        Distances are only computed for allowed ids, so the cost grows with the membership checks,
        not the distances; a filter leaving under 1/nprobe of the index scans every list (exact).
        """
        nlist = self.meta.nlist or 1
        base = max(1, min(self.nprobe, nlist))
        return min(nlist, math.ceil(base * self.index.ntotal / max(n_allowed, 1)))


def plan_update(index_dir: Path, ids: np.ndarray, keys: np.ndarray, model: str, *,
                exact_max: int = EXACT_MAX) -> UpdatePlan | None:
    """How to turn the index into one over exactly ``ids`` (with content ``keys``).

    None when a full rebuild is needed or cheaper: no index yet, another model or format, keys
    not recorded, the size crossing ``exact_max``, an IVF index grown or shrunk ``REBUILD_GROWTH``
    times past what its lists were trained for, or more than half the vectors changing.
    """
    meta = read_meta(index_dir)
    if meta is None or meta.model != model or meta.version != FORMAT_VERSION:
        return None
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    keys = _keys(keys, len(ids))
    if not (index_dir / IDS_FILE).exists():
        return None
    table = read_table(index_dir)
    if len(table) != meta.count or (table[:, 1] == UNKNOWN_KEY).any():
        return None
    if choose_kind(len(ids), exact_max) == FLAT_KIND and not meta.exact:
        return None
    if meta.exact and len(ids) > exact_max:
        return None
    if not meta.exact and not (meta.trained_on / REBUILD_GROWTH <= len(ids) <= meta.trained_on * REBUILD_GROWTH):
        return None
    order = np.argsort(table[:, 0])
    old_ids, old_keys = table[order, 0], table[order, 1]
    pos = np.minimum(np.searchsorted(old_ids, ids), max(len(old_ids) - 1, 0))
    same = (old_ids[pos] == ids) & (old_keys[pos] == keys) if len(old_ids) else np.zeros(len(ids), dtype=bool)
    plan = UpdatePlan(add=ids[~same], add_keys=keys[~same], remove=old_ids[~np.isin(old_ids, ids)])
    if len(plan.add) + len(plan.remove) > REBUILD_CHURN * max(len(ids), 1):
        return None
    return plan


def add_vectors(index_dir: Path, ids: np.ndarray, vectors: np.ndarray, model: str, built_at: str, *,
                keys: np.ndarray | None = None, remove: np.ndarray | None = None) -> IndexMeta:
    """Add (or replace) ``ids`` and drop ``remove`` in the existing index, then swap it in atomically.

    An id already indexed is replaced by its new vector. IVF lists keep the centroids they were
    trained with; ``plan_update`` says when that drifted far enough to rebuild instead.
    """
    meta = _check_model(read_meta(index_dir), model)
    ids, vectors = _check_input(ids, vectors, meta.dim)
    table = read_table(index_dir)
    index = _read_faiss(index_dir / INDEX_FILE, meta, mmap=False)
    if len(table) != index.ntotal:
        raise IndexCorruptError(f"{index_dir / IDS_FILE} does not match {INDEX_FILE}; {REBUILD_HINT}")
    drop = np.asarray(remove if remove is not None else [], dtype=np.int64).reshape(-1)
    drop = np.union1d(drop, ids[np.isin(ids, table[:, 0])])
    if len(drop):
        index.remove_ids(faiss.IDSelectorBatch(drop))
        table = table[~np.isin(table[:, 0], drop)]
    if len(ids):
        index.add_with_ids(vectors, ids)
        table = np.concatenate([table, np.column_stack([ids, _keys(keys, len(ids))])])
    meta = replace(meta, count=int(index.ntotal), built_at=built_at, version=FORMAT_VERSION)
    return _commit(index_dir, index, meta, table)


SWAP_RETRIES = 20  # x SWAP_WAIT: how long a reader waits for a half-swapped index to settle
SWAP_WAIT = 0.05


class IndexHandle:
    """The index in one folder, loaded once and reloaded when a newer one was swapped in on disk.

    While another process swaps in a new index its files disagree for a moment, so a failed load is
    retried briefly; if it keeps failing, the index already loaded goes on answering. Not thread-safe:
    the knowledge base calls it under its lock.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self.index: DenseIndex | None = None
        self._unloadable_mtime: float | None = None  # a swapped-in index file that would not load

    def get(self, model: str) -> DenseIndex:
        path = self.index_dir / INDEX_FILE
        mtime = path.stat().st_mtime if path.exists() else None
        if self.index is not None and mtime is not None and mtime in (self.index.mtime, self._unloadable_mtime):
            return self.index
        for attempt in range(SWAP_RETRIES):
            try:
                self.index = DenseIndex.load(self.index_dir, model)
                return self.index
            except IndexCorruptError:
                if attempt == SWAP_RETRIES - 1:
                    if self.index is None:
                        raise
                    log.warning("the new vector index does not load; still searching the previous one")
                    self._unloadable_mtime = mtime
                    return self.index
                time.sleep(SWAP_WAIT)
        raise AssertionError("unreachable")

    def forget(self) -> None:
        """Drop the loaded index: the next :meth:`get` loads the one on disk (after a rebuild)."""
        self.index = None
