"""ANN recall@10 against exact search, with the parameters ``kb.search.dense`` chooses, at 100k and 1M vectors.

Vectors and queries come from :mod:`bench.vectors` (clustered, unit length); ground truth is exact
inner-product search over the same float32 vectors. Queries run one at a time, as in the app. Also
reported: recall with filters (10% and 0.1% of ids allowed, against exact search over the allowed
ids), an nprobe sweep, build time and index size. Reuses the index of ``bench/synthetic_kb.py`` when
one of the same size exists under ``--root`` (same generator, same seed).

    .venv/bin/python bench/ann_recall.py
    .venv/bin/python bench/ann_recall.py --scales 100000 --queries 300
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import dir_size_mb, peak_rss_mb, percentile, save  # noqa: E402
from bench.synthetic_kb import MODEL_ID  # noqa: E402
from bench.vectors import exact_neighbours, make_corpus, make_queries  # noqa: E402
from kb.search import dense  # noqa: E402

K = 10


def recall(index: dense.DenseIndex, queries: np.ndarray, truth: list[set[int]],
           allowed: set[int] | None = None) -> tuple[float, float]:
    """(mean recall@10, p50 latency in ms) of single-query searches."""
    hits, times = 0, []
    for q, want in zip(queries, truth, strict=True):
        start = time.perf_counter()
        got = index.search(q, K, allowed)
        times.append((time.perf_counter() - start) * 1000)
        hits += len({i for i, _ in got} & want)
    return hits / (K * len(queries)), percentile(times, 50)


def filtered_truth(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, allowed: np.ndarray) -> list[set[int]]:
    rows = np.searchsorted(ids, np.sort(allowed))
    top = exact_neighbours(vectors[rows], queries, K)
    return [{int(ids[rows[j]]) for j in row if j >= 0} for row in top]


def index_dir_for(n: int, root: Path, corpus_vectors: np.ndarray, work: Path) -> tuple[Path, float | None]:
    """The synthetic KB's index if it has ``n`` vectors, else a fresh one (with its build time)."""
    existing = root / str(n) / "index"
    meta = dense.read_meta(existing) if existing.exists() else None
    if meta is not None and meta.count == n and meta.model == MODEL_ID:
        return existing, None
    start = time.perf_counter()
    ids = np.arange(1, n + 1, dtype=np.int64)
    dense.write_index(work, ids, corpus_vectors, MODEL_ID, "bench")
    return work, time.perf_counter() - start


def run_scale(n: int, n_queries: int, root: Path) -> dict:
    corpus = make_corpus(n)
    queries = make_queries(corpus, n_queries)
    ids = np.arange(1, n + 1, dtype=np.int64)
    truth = [{int(ids[j]) for j in row} for row in exact_neighbours(corpus.vectors, queries, K)]
    work = Path(tempfile.mkdtemp(prefix="kb-bench-ann-"))
    try:
        index_dir, build_s = index_dir_for(n, root, corpus.vectors, work)
        index = dense.DenseIndex.load(index_dir, MODEL_ID)
        meta = index.meta
        out: dict = {"vectors": n, "queries": n_queries, "kind": meta.kind, "nlist": meta.nlist,
                     "nprobe": meta.nprobe, "build_s": None if build_s is None else round(build_s, 1),
                     "index_mb": round(dir_size_mb(index_dir), 1)}
        out["recall@10"], out["p50_ms"] = recall(index, queries, truth)
        sweep = {}
        for factor in (0.25, 0.5, 1, 2, 4):
            index.nprobe = min(meta.nlist, max(1, round(meta.nprobe * factor)))
            sweep[index.nprobe] = dict(zip(("recall@10", "p50_ms"), recall(index, queries, truth), strict=True))
        index.nprobe = meta.nprobe
        out["nprobe_sweep"] = sweep
        rng = np.random.default_rng(5)
        for share in (0.1, 0.001):
            allowed = rng.choice(ids, max(K, int(n * share)), replace=False)
            want = filtered_truth(corpus.vectors, ids, queries, allowed)
            r, p50 = recall(index, queries, want, {int(i) for i in allowed})
            out[f"filtered {share:.1%}"] = {"recall@10": r, "p50_ms": p50}
        out["peak_rss_mb"] = round(peak_rss_mb())
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/kb-bench"), help="synthetic KBs to reuse")
    args = parser.parse_args()
    results = []
    for n in (int(s) for s in args.scales.split(",")):
        r = run_scale(n, args.queries, args.root)
        results.append(r)
        print(f"{n:>9,}: {r['kind']} nprobe={r['nprobe']} recall@10={r['recall@10']:.3f} p50={r['p50_ms']:.2f}ms "
              f"filtered 10%={r['filtered 10.0%']['recall@10']:.3f} 0.1%={r['filtered 0.1%']['recall@10']:.3f} "
              f"sweep={ {k: round(v['recall@10'], 3) for k, v in r['nprobe_sweep'].items()} }", flush=True)
    print(f"wrote {save('ann_recall', {'results': results})}")


if __name__ == "__main__":
    main()
