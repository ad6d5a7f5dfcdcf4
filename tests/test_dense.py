"""The FAISS index: exact vs IVF by size, filters, incremental updates, atomic swaps, bad files."""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from kb.errors import IndexCorruptError, IndexMismatchError, NotBuiltError
from kb.search import dense

MODEL = "test-model"
DIM = 32
N = 4000
SMALL_EXACT_MAX = 1000


def clustered(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    """Unit vectors around 40 random centres, like passages around topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dim)).astype(np.float32)
    x = centres[rng.integers(0, 40, n)] + 0.4 * rng.standard_normal((n, dim)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def ids_for(n: int, start: int = 1) -> np.ndarray:
    return np.arange(start, start + 3 * n, 3, dtype=np.int64)  # sparse, like chunk ids after deletions


def keys_for(ids: np.ndarray, salt: int = 0) -> np.ndarray:
    return ids * 7 + salt


@pytest.fixture(autouse=True)
def _small_scan(monkeypatch):
    """Scan ~10% of the test's 4000 vectors, so an IVF query probes a fraction of its lists."""
    monkeypatch.setattr(dense, "SCAN", 400)


@pytest.fixture
def vectors() -> np.ndarray:
    return clustered(N)


def build(tmp_path, vectors, n=None, exact_max=SMALL_EXACT_MAX):
    n = len(vectors) if n is None else n
    ids = ids_for(len(vectors))[:n]
    meta = dense.write_index(tmp_path, ids, vectors[:n], MODEL, "2024-01-01T00:00:00Z", keys=keys_for(ids),
                             exact_max=exact_max)
    return ids, meta


def brute_force(vectors, ids, query, k, allowed=None):
    scores = vectors @ query
    order = [i for i in np.argsort(-scores) if allowed is None or int(ids[i]) in allowed]
    return [int(ids[i]) for i in order[:k]]


def test_small_collections_get_an_exact_index(tmp_path, vectors):
    ids, meta = build(tmp_path, vectors, n=500)
    assert (meta.kind, meta.count, meta.nlist) == ("IDMap2,Flat", 500, 0)
    index = dense.DenseIndex.load(tmp_path, MODEL)
    for q in (0, 17, 499):
        got = [i for i, _ in index.search(vectors[q], 10)]
        assert got == brute_force(vectors[:500], ids, vectors[q], 10)


def test_large_collections_get_an_ivf_index_with_high_recall(tmp_path, vectors):
    ids, meta = build(tmp_path, vectors)
    assert meta.kind.startswith("IVF") and meta.kind.endswith(",SQ8")
    assert meta.nlist > 1 and 1 <= meta.nprobe < meta.nlist and meta.trained_on == N
    index = dense.DenseIndex.load(tmp_path, MODEL)
    assert isinstance(faiss.downcast_InvertedLists(index.index.invlists), faiss.OnDiskInvertedLists)  # mmapped
    queries = clustered(50, seed=9)
    hits = sum(len(set(i for i, _ in index.search(q, 10)) & set(brute_force(vectors, ids, q, 10)))
               for q in queries)
    assert hits / (10 * len(queries)) >= 0.9
    top, score = index.search(vectors[5], 1)[0]
    assert top == ids[5] and score == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("n", [500, N], ids=["exact", "ivf"])
def test_filtered_search_returns_only_allowed_ids(tmp_path, vectors, n):
    ids, _ = build(tmp_path, vectors, n=n)
    index = dense.DenseIndex.load(tmp_path, MODEL)
    allowed = {int(i) for i in ids[::2]}
    got = index.search(vectors[1], 20, allowed)
    assert len(got) == 20 and {i for i, _ in got} <= allowed
    assert index.search(vectors[1], 5, set()) == []


@pytest.mark.parametrize("n", [500, N], ids=["exact", "ivf"])
@pytest.mark.parametrize("bitmap", [True, False], ids=["bitmap", "hash-set"])
def test_very_selective_filter_still_finds_every_allowed_vector(tmp_path, vectors, n, bitmap, monkeypatch):
    if not bitmap:
        monkeypatch.setattr(dense, "MAX_BITMAP_ID", 10)  # ids past it use faiss's hash-set selector
    ids, _ = build(tmp_path, vectors, n=n)
    index = dense.DenseIndex.load(tmp_path, MODEL)
    allowed = {int(ids[3]), int(ids[n // 2]), int(ids[-1])}  # far apart: in different lists
    got = index.search(vectors[0], 10, allowed)
    assert [i for i, _ in got] == brute_force(vectors[:n], ids, vectors[0], 10, allowed)


@pytest.mark.parametrize("n", [500, N], ids=["exact", "ivf"])
def test_filter_of_low_ids_never_returns_higher_ones(tmp_path, vectors, n):
    ids, _ = build(tmp_path, vectors, n=n)
    index = dense.DenseIndex.load(tmp_path, MODEL)
    allowed = {int(i) for i in ids[:5]}
    for q in (n - 1, n - 2, n // 2):  # the query's own vector is a higher id, outside the filter
        assert {i for i, _ in index.search(vectors[q], 10, allowed)} == allowed


def test_filter_widens_the_probe_in_proportion(tmp_path, vectors):
    build(tmp_path, vectors)
    index = dense.DenseIndex.load(tmp_path, MODEL)
    nlist, nprobe = index.meta.nlist, index.meta.nprobe
    assert index._nprobe(N) == nprobe
    assert index._nprobe(N // 2) == min(nlist, 2 * nprobe)
    assert index._nprobe(3) == nlist


@pytest.mark.parametrize("n", [500, N], ids=["exact", "ivf"])
def test_add_vectors_appends_replaces_and_removes(tmp_path, vectors, n):
    ids, _ = build(tmp_path, vectors, n=n - 100)
    all_ids = ids_for(N)[:n]
    new_ids, new_vecs = all_ids[n - 100:], vectors[n - 100:n]
    gone = ids[:10]
    moved_id = int(ids[20])  # same chunk id, new text (SQLite can reuse the id of a deleted row)
    add_ids = np.concatenate([new_ids, [moved_id]])
    add_vecs = np.concatenate([new_vecs, vectors[[0]]])
    meta = dense.add_vectors(tmp_path, add_ids, add_vecs, MODEL, "2024-02-02T00:00:00Z",
                             keys=keys_for(add_ids, salt=1), remove=gone)
    assert meta.count == n - 10 and meta.built_at == "2024-02-02T00:00:00Z"
    index = dense.DenseIndex.load(tmp_path, MODEL)
    assert index.search(vectors[n - 1], 1)[0][0] == all_ids[n - 1]
    found = {i for i, _ in index.search(vectors[0], 5)}
    assert moved_id in found and not found & {int(g) for g in gone}
    table = dense.read_table(tmp_path)
    assert sorted(table[:, 0]) == sorted(set(all_ids) - {int(g) for g in gone})
    assert dict(map(tuple, table))[moved_id] == moved_id * 7 + 1


def test_plan_update_finds_new_changed_and_removed_chunks(tmp_path, vectors):
    ids, _ = build(tmp_path, vectors)
    keys = keys_for(ids)
    want_ids = np.concatenate([ids[5:], [10**9]])
    want_keys = np.concatenate([keys[5:], [1]])
    want_keys[0] += 1  # ids[5] changed its text
    plan = dense.plan_update(tmp_path, want_ids, want_keys, MODEL, exact_max=SMALL_EXACT_MAX)
    assert sorted(plan.add.tolist()) == [int(ids[5]), 10**9]
    assert sorted(plan.add_keys.tolist()) == sorted([int(keys[5]) + 1, 1])
    assert sorted(plan.remove.tolist()) == sorted(ids[:5].tolist())
    assert dense.plan_update(tmp_path, ids, keys, MODEL, exact_max=SMALL_EXACT_MAX).empty


def test_plan_update_asks_for_a_rebuild_when_incremental_would_be_wrong(tmp_path, vectors):
    ids, _ = build(tmp_path, vectors, n=900)
    keys = keys_for(ids)
    assert dense.plan_update(tmp_path, ids, keys, "other-model", exact_max=SMALL_EXACT_MAX) is None
    bigger = ids_for(N)[:1500]
    assert dense.plan_update(tmp_path, bigger, keys_for(bigger), MODEL, exact_max=SMALL_EXACT_MAX) is None
    assert dense.plan_update(tmp_path, ids[:300], keys[:300], MODEL, exact_max=SMALL_EXACT_MAX) is None
    dense.write_index(tmp_path, ids, vectors[:900], MODEL, "t", exact_max=SMALL_EXACT_MAX)  # no keys
    assert dense.plan_update(tmp_path, ids, keys, MODEL, exact_max=SMALL_EXACT_MAX) is None
    assert dense.plan_update(tmp_path / "nothing", ids, keys, MODEL) is None


def test_writes_leave_exactly_the_index_files(tmp_path, vectors):
    ids, _ = build(tmp_path, vectors, n=500)
    dense.add_vectors(tmp_path, ids_for(N)[500:510], vectors[500:510], MODEL, "t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.faiss", "dense.ids.npy", "dense.json"]


def test_a_failed_write_keeps_the_old_index_and_no_temp_files(tmp_path, vectors, monkeypatch):
    ids, meta = build(tmp_path, vectors, n=500)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(dense.np, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        dense.add_vectors(tmp_path, ids_for(N)[500:510], vectors[500:510], MODEL, "t")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert dense.DenseIndex.load(tmp_path, MODEL).meta == meta


def test_an_old_loaded_index_keeps_working_after_a_swap(tmp_path, vectors):
    ids, _ = build(tmp_path, vectors)
    old = dense.DenseIndex.load(tmp_path, MODEL)
    dense.add_vectors(tmp_path, ids_for(N + 5)[N:], clustered(5, seed=3), MODEL, "t", remove=ids[:100])
    assert old.search(vectors[0], 1)[0][0] == ids[0]
    assert dense.DenseIndex.load(tmp_path, MODEL).meta.count == N - 100 + 5


@pytest.mark.parametrize("n", [500, N], ids=["exact", "ivf"])
def test_truncated_index_is_reported_as_corrupt(tmp_path, vectors, n):
    build(tmp_path, vectors, n=n)
    path = tmp_path / dense.INDEX_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorruptError, match="kb index rebuild"):
        dense.DenseIndex.load(tmp_path, MODEL)
    meta = json.loads((tmp_path / dense.META_FILE).read_text())
    meta["bytes"] = 0  # an index written before sizes were recorded: faiss itself notices
    (tmp_path / dense.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(IndexCorruptError, match="corrupt or truncated"):
        dense.DenseIndex.load(tmp_path, MODEL)


def test_garbage_files_are_reported_as_corrupt(tmp_path, vectors):
    build(tmp_path, vectors, n=500)
    path = tmp_path / dense.INDEX_FILE
    size = path.stat().st_size
    path.write_bytes(b"\x00" * size)
    with pytest.raises(IndexCorruptError):
        dense.DenseIndex.load(tmp_path, MODEL)
    (tmp_path / dense.META_FILE).write_text("{not json")
    with pytest.raises(IndexCorruptError, match="unreadable"):
        dense.read_meta(tmp_path)
    (tmp_path / dense.IDS_FILE).write_bytes(b"nope")
    with pytest.raises(IndexCorruptError):
        dense.read_table(tmp_path)


def test_model_and_dimension_mismatches_are_clear_errors(tmp_path, vectors):
    build(tmp_path, vectors, n=500)
    with pytest.raises(IndexMismatchError, match="built with model 'test-model'"):
        dense.DenseIndex.load(tmp_path, "other-model")
    with pytest.raises(IndexMismatchError):
        dense.add_vectors(tmp_path, np.array([10**6]), vectors[:1], "other-model", "t")
    with pytest.raises(IndexMismatchError, match="dimension"):
        dense.add_vectors(tmp_path, np.array([10**6]), np.ones((1, DIM + 1), np.float32), MODEL, "t")
    index = dense.DenseIndex.load(tmp_path, MODEL)
    with pytest.raises(IndexMismatchError, match="dimension"):
        index.search(np.ones(DIM + 1, np.float32), 3)


def test_missing_index_says_how_to_build(tmp_path, vectors):
    with pytest.raises(NotBuiltError, match="kb index rebuild"):
        dense.DenseIndex.load(tmp_path, MODEL)
    with pytest.raises(NotBuiltError):
        dense.write_index(tmp_path, np.zeros(0, np.int64), np.zeros((0, DIM), np.float32), MODEL, "t")
    build(tmp_path, vectors, n=500)
    (tmp_path / dense.INDEX_FILE).unlink()
    with pytest.raises(NotBuiltError):
        dense.DenseIndex.load(tmp_path, MODEL)


def test_bad_input_is_rejected(tmp_path, vectors):
    with pytest.raises(ValueError, match="duplicate"):
        dense.write_index(tmp_path, np.array([1, 1]), vectors[:2], MODEL, "t")
    with pytest.raises(ValueError, match="shape"):
        dense.write_index(tmp_path, np.array([1, 2, 3]), vectors[:2], MODEL, "t")


def test_content_key_follows_the_hash():
    a = "9f" * 32
    assert dense.content_key(a) == dense.content_key(a) and dense.content_key(a) != dense.content_key("0" + a[1:])
    assert 0 <= dense.content_key("f" * 64) < 2**63
