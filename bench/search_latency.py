"""Query latency, app time to first result, peak memory and disk size at 10k, 100k and 1M passages.

Each scale is a synthetic KB (``bench/synthetic_kb.py``, built once and reused from ``--root``) read
by a fresh subprocess with the real query encoder, so peak memory (ru_maxrss) is that scale's alone.
Every timed query is a new one to the encoder (its query-vector cache is cleared first).

    .venv/bin/python bench/search_latency.py                      # 10k, 100k, 1M
    .venv/bin/python bench/search_latency.py --scales 10000,100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, REPO, dir_size_mb, latency_ms, peak_rss_mb, save  # noqa: E402

QUERIES = [
    "gradient boosting with lag features for store sales forecasting",
    "image segmentation with a unet and test time augmentation",
    "how to handle class imbalance in binary classification",
    "pseudo labeling on the test set for text classification",
    "stacking and blending many models for a tabular competition",
    "target encoding of high cardinality categorical features",
    "fine tuning a pretrained transformer on short texts",
    "audio classification from mel spectrograms with a cnn",
    "object detection with bounding boxes and weighted box fusion",
    "time series cross validation without leakage",
    "EEG seizure detection with FFT band power features",
    "dealing with noisy labels in image classification",
    "knowledge distillation to speed up inference",
    "rolling window statistics and lag features for daily sales",
    "ensembling lightgbm xgboost and catboost",
    "learning rate warmup and cosine schedule for training",
    "post processing thresholds to maximise F1",
    "feature selection by permutation importance",
    "data augmentation with flips and rotations for galaxy images",
    "semi supervised learning with unlabeled data",
    "predict customer churn from usage logs scored with AUC",
    "forecast weekly demand per item and store with RMSE",
    "detect toxic comments in online discussions",
    "classify satellite images of ships",
    "recommend products from click sequences with a ranking metric",
    "predict house prices from tabular features",
    "segment cell nuclei in microscopy images",
    "rank search results with pairwise learning",
    "predict molecular properties from graphs",
    "identify bird species from sound recordings",
    "estimate the age of a person from a face photo",
    "predict credit default risk from application data",
    "question answering over long documents",
    "forecast energy consumption from weather data",
    "grade student essays automatically",
    "detect fraud in credit card transactions",
    "translate handwritten digits into labels",
    "find duplicate questions on a forum",
    "predict taxi trip duration from pickup and dropoff",
    "classify plant diseases from leaf photos",
]
DEFAULT_SCALES = (10_000, 100_000, 1_000_000)
POSTING_BUDGET = 50_000


def measure(home: Path) -> dict:
    """Runs in the subprocess: open like the app, then time warm queries and their parts."""
    import numpy as np

    from kb.api import KnowledgeBase
    from kb.search import keyword
    from kb.search.filters import Filters, chunk_ids
    from kb.store.cache import data_version

    out: dict = {}
    t0 = time.perf_counter()
    # competition vectors of the synthetic KB are random: no abstention, so recommend runs its whole path
    kb = KnowledgeBase.open(home, readonly=True, abstain_below=-1.0)
    out["open_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    kb.is_empty()
    kb.filter_options()
    kb.competition_choices()
    out["app_page_queries_s"] = time.perf_counter() - t
    t = time.perf_counter()
    kb.recommend(QUERIES[0], 12)
    out["first_recommend_s"] = time.perf_counter() - t
    out["time_to_first_result_s"] = time.perf_counter() - t0
    out["rss_after_first_mb"] = peak_rss_mb()
    slug = kb.conn.execute("SELECT slug FROM competitions ORDER BY id LIMIT 1").fetchone()[0]

    def fresh(fn):  # noqa: ANN001, ANN202
        def call(q: str) -> object:
            kb.clear_query_cache()
            return fn(q)
        return call

    runs = {
        "search hybrid": lambda q: kb.search(q, 10),
        "search dense": lambda q: kb.search(q, 10, mode="dense"),
        "search keyword": lambda q: kb.search(q, 10, mode="keyword"),
        "recommend hybrid": lambda q: kb.recommend(q, 12),
        "search hybrid, source=blog": lambda q: kb.search(q, 10, source="blog"),
        "search hybrid, one competition": lambda q: kb.search(q, 10, competition=slug),
        "search hybrid, year_min=2020": lambda q: kb.search(q, 10, year_min=2020),
        "app warm query (page queries + recommend)": lambda q: (kb.is_empty(), kb.filter_options(),
                                                                 kb.competition_choices(), kb.recommend(q, 12)),
    }
    out["latency_ms"] = {name: latency_ms(fresh(fn), QUERIES) for name, fn in runs.items()}
    index = kb.dense_index()
    vecs = {q: kb.embedder.encode([q])[0] for q in QUERIES}
    blog = chunk_ids(kb.conn, Filters(source="blog"))
    df = {t: kb.conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (f'"{t}"',)).fetchone()[0]
          for q in QUERIES for t in keyword.query_terms(q)}

    def budgeted(q: str) -> str:
        """The query's rarest terms while their posting lists total ≤ POSTING_BUDGET rows (at least one)."""
        keep: list[str] = []
        for t in sorted(keyword.query_terms(q), key=df.__getitem__):
            if keep and sum(df[k] for k in keep) + df[t] > POSTING_BUDGET:
                break
            keep.append(t)
        return " ".join(keep)

    parts = {
        "encode query": lambda q: kb.embedder.encode([q]),
        "dense index search (200)": lambda q: index.search(vecs[q], 200),
        "dense index search (200), source=blog": lambda q: index.search(vecs[q], 200, blog),
        "keyword FTS5 search (200)": lambda q: keyword.search(kb.conn, q, 200),
        "keyword FTS5: bm25 once, ORDER BY alias": lambda q: kb.conn.execute(
            "SELECT rowid, -bm25(chunks_fts, 2.0, 1.5, 1.0) AS s FROM chunks_fts WHERE chunks_fts MATCH ?"
            " ORDER BY s DESC LIMIT 200", (keyword.fts_query(q),)).fetchall(),
        "keyword FTS5: rarest terms up to 50k postings (df cached)": lambda q: keyword.search(
            kb.conn, budgeted(q), 200),
        "keyword FTS5: count matching rows": lambda q: kb.conn.execute(
            "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (keyword.fts_query(q),)).fetchall(),
        "is_empty (count(*) documents)": lambda q: kb.is_empty(),
        "filter SQL: source=blog": lambda q: chunk_ids(kb.conn, Filters(source="blog")),
        "filter SQL: one competition": lambda q: chunk_ids(kb.conn, Filters(competition=slug)),
        "recommend: data_version (every call)": lambda q: data_version(kb.conn),
        "app: filter_options": lambda q: kb.filter_options(),
        "app: picker_competitions": lambda q: kb.competition_choices(),
    }
    out["parts_ms"] = {name: latency_ms(fn, QUERIES[:20]) for name, fn in parts.items()}
    out["profile"] = {name: profile(fresh(runs[name]), QUERIES[:10]) for name in ("search hybrid", "recommend hybrid")}
    out["index"] = {"kind": index.meta.kind, "count": index.meta.count, "nlist": index.meta.nlist,
                    "nprobe": index.meta.nprobe}
    out["blog_fraction"] = round(len(blog) / index.meta.count, 3)
    out["fts_matches_per_query"] = round(float(np.mean([kb.conn.execute(
        "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (keyword.fts_query(q),)).fetchone()[0]
        for q in QUERIES])))
    out["peak_rss_mb"] = peak_rss_mb()
    out["threads_note"] = f"faiss omp threads {__import__('faiss').omp_get_max_threads()}, numpy {np.__version__}"
    return out


def profile(fn, queries: list[str], top: int = 12) -> list[str]:  # noqa: ANN001
    """The functions with the most cumulative time over ``queries`` (cProfile), as short lines."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for q in queries:
        fn(q)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, name), (_, calls, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/work/" in file and "/.venv/" not in file or name.startswith("<method 'execute"):
            rows.append((cum, f"{Path(file).name}:{line}({name}) calls={calls} cum={cum / len(queries) * 1000:.1f}ms"))
    return [text for _, text in sorted(rows, reverse=True)[:top]]


def run_scale(n: int, root: Path) -> dict:
    home = root / str(n)
    start = time.perf_counter()
    subprocess.run([PYTHON, str(REPO / "bench" / "synthetic_kb.py"), "--n", str(n), "--home", str(home)], check=True)
    build_s = time.perf_counter() - start
    proc = subprocess.run([PYTHON, __file__, "--worker", str(home)], check=True, capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    stamp = json.loads((home / "bench.json").read_text())
    return {"passages": n, "build": stamp, "build_or_reuse_s": round(build_s, 1),
            "disk_mb": {"total": round(dir_size_mb(home), 1), "sqlite": round(dir_size_mb(home) -
                        dir_size_mb(home / "index"), 1), "index": round(dir_size_mb(home / "index"), 1)},
            **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)))
    parser.add_argument("--root", type=Path, default=Path("/tmp/kb-bench"), help="where the synthetic KBs live")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    results = []
    for n in (int(s) for s in args.scales.split(",")):
        result = run_scale(n, args.root)
        results.append(result)
        lat = result["latency_ms"]
        print(f"{n:>9,} passages: " + ", ".join(f"{k} p50 {v['p50']:.1f} / p95 {v['p95']:.1f} ms"
                                                for k, v in lat.items()), flush=True)
        print("           parts p50 ms: " + ", ".join(f"{k} {v['p50']:.1f}" for k, v in result["parts_ms"].items()))
        print(f"           first result {result['time_to_first_result_s']:.2f}s, "
              f"peak RSS {result['peak_rss_mb']:.0f} MB, disk {result['disk_mb']}", flush=True)
    print(f"wrote {save('search_latency', {'results': results})}")


if __name__ == "__main__":
    main()
