"""The FAISS index over chunk vectors, persisted as ``index/dense.faiss`` + ``index/dense.json``.

Vectors live in SQLite (float32 BLOBs keyed by model and chunk hash); this index is a cache that
``build`` recreates from them. Files are written under a temporary name and swapped atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from kb.errors import IndexCorruptError, IndexMismatchError, NotBuiltError

FORMAT_VERSION = 1
INDEX_FILE = "dense.faiss"
META_FILE = "dense.json"


@dataclass(frozen=True)
class IndexMeta:
    model: str
    dim: int
    count: int
    kind: str
    built_at: str
    version: int = FORMAT_VERSION


def make_index(dim: int, count: int) -> tuple[faiss.Index, str]:
    """Exact inner-product search (vectors are L2-normalised, so this is cosine)."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), "IDMap2,Flat"


def write_index(index_dir: Path, ids: np.ndarray, vectors: np.ndarray, model: str, built_at: str) -> IndexMeta:
    """Build an index over ``vectors`` (rows keyed by ``ids``) and swap it in atomically."""
    index_dir.mkdir(parents=True, exist_ok=True)
    dim = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[0] else 0
    if dim == 0:
        raise NotBuiltError("no vectors to index")
    index, kind = make_index(dim, len(ids))
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
    meta = IndexMeta(model=model, dim=dim, count=int(index.ntotal), kind=kind, built_at=built_at)
    tmp_index = index_dir / f".{INDEX_FILE}.tmp"
    tmp_meta = index_dir / f".{META_FILE}.tmp"
    faiss.write_index(index, str(tmp_index))
    tmp_meta.write_text(json.dumps(asdict(meta), indent=2), encoding="utf-8")
    os.replace(tmp_index, index_dir / INDEX_FILE)
    os.replace(tmp_meta, index_dir / META_FILE)
    return meta


def read_meta(index_dir: Path) -> IndexMeta | None:
    path = index_dir / META_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IndexMeta(**data)
    except (ValueError, TypeError) as e:
        raise IndexCorruptError(f"{path} is unreadable ({e}); run `kb index rebuild`") from e


class DenseIndex:
    """A loaded FAISS index and what built it."""

    def __init__(self, index: faiss.Index, meta: IndexMeta, mtime: float):
        self.index = index
        self.meta = meta
        self.mtime = mtime

    @classmethod
    def load(cls, index_dir: Path, model: str) -> DenseIndex:
        meta = read_meta(index_dir)
        path = index_dir / INDEX_FILE
        if meta is None or not path.exists():
            raise NotBuiltError("the vector index has not been built yet; run `kb index rebuild`")
        if meta.model != model:
            raise IndexMismatchError(
                f"the vector index was built with model {meta.model!r} but {model!r} is configured; "
                "run `kb index rebuild` (or set KB_MODEL back)"
            )
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        except RuntimeError:
            try:
                index = faiss.read_index(str(path))
            except RuntimeError as e:
                raise IndexCorruptError(f"{path} is corrupt or truncated; run `kb index rebuild`") from e
        if index.d != meta.dim or index.ntotal != meta.count:
            raise IndexCorruptError(f"{path} does not match {META_FILE}; run `kb index rebuild`")
        return cls(index, meta, path.stat().st_mtime)

    def search(self, query: np.ndarray, k: int, allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        if self.index.ntotal == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if q.shape[1] != self.meta.dim:
            raise IndexMismatchError(f"query has dimension {q.shape[1]}, index has {self.meta.dim}")
        params = None
        if allowed is not None:
            if not allowed:
                return []
            sel = faiss.IDSelectorBatch(np.fromiter(allowed, dtype=np.int64))
            params = faiss.SearchParameters(sel=sel)
        scores, ids = self.index.search(q, min(k, self.index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
