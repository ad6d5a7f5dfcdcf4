"""PyTorch vs ONNX Runtime int8 embedding: cold start, query latency, batch throughput, agreement.

Passages are the corpus's own (cleaned and chunked in memory from ../shared/corpus, never stored).
Cold start runs in a fresh subprocess per backend: import, load, first query — what a new app
process pays before its first result.

    .venv/bin/python bench/embed_speed.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORPUS, PYTHON, Stopwatch, latency_ms, peak_rss_mb, save  # noqa: E402
from bench.search_latency import QUERIES  # noqa: E402

BACKENDS = {"torch": "all-MiniLM-L6-v2", "onnx": "all-MiniLM-L6-v2+onnx-int8"}


def corpus_passages(root: Path, limit: int) -> list[str]:
    """Embedding texts of the first ``limit`` passages of the mirror, as ingestion would build them."""
    from ingest.mirror import load_manifest
    from kb.text.chunking import chunk_text, embedding_text
    from kb.text.clean import clean

    out: list[str] = []
    for rows in load_manifest(root).documents().values():
        row = rows[0]
        try:
            cleaned = clean((root / row.path).read_bytes(), row.content_type, url=row.url)
        except Exception:  # noqa: BLE001 (a document the pipeline would reject is just skipped here)
            continue
        out += [embedding_text(c, row.title or cleaned.title) for c in chunk_text(cleaned.text)]
        if len(out) >= limit:
            break
    return out[:limit]


def cold_start(backend: str, cache: Path) -> dict:
    """Runs in a subprocess: seconds to import, load and encode the first query; peak memory."""
    start = time.perf_counter()
    from kb.embed import make_embedder

    embedder = make_embedder(BACKENDS[backend], "cpu", cache)
    embedder.encode([QUERIES[0]])
    return {"first_query_s": round(time.perf_counter() - start, 2), "peak_rss_mb": round(peak_rss_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kb-bench/models"), help="ONNX export cache")
    parser.add_argument("--cold", choices=list(BACKENDS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        print(json.dumps(cold_start(args.cold, args.cache)))
        return
    from kb.embed import make_embedder

    make_embedder(BACKENDS["onnx"], "cpu", args.cache).encode(["export once"])  # the ONNX export, if needed
    # cold starts first, from a small parent: a child's ru_maxrss starts at its parent's peak (Linux)
    colds = {b: subprocess.run([PYTHON, __file__, "--cold", b, "--cache", str(args.cache)], check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1] for b in BACKENDS}
    texts = corpus_passages(CORPUS, args.passages)
    embedders = {b: make_embedder(name, "cpu", args.cache) for b, name in BACKENDS.items()}
    results: dict = {"passages": len(texts)}
    vectors = {}
    for backend, embedder in embedders.items():
        embedder.encode(["warm up"])
        watch = Stopwatch()
        with watch.stage("batch"):
            vectors[backend] = embedder.encode(texts, batch_size=64)
        results[backend] = {
            "model_id": embedder.model_id, "cold": json.loads(colds[backend]),
            "query_ms": latency_ms(lambda q, e=embedder: e.encode([q]), QUERIES),
            "batch_passages_per_s": round(len(texts) / watch.totals["batch"], 1),
            "batch_cpu_s_per_passage": round(watch.cpu["batch"] / len(texts), 4),
        }
        print(backend, results[backend], flush=True)
    a, b = vectors["torch"], vectors["onnx"]
    cos = (a * b).sum(axis=1)
    top_a = np.argsort(-(a @ a.T), axis=1)[:, 1:11]
    top_b = np.argsort(-(b @ b.T), axis=1)[:, 1:11]
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(top_a, top_b, strict=True)])
    results["agreement"] = {"cosine_mean": round(float(cos.mean()), 4), "cosine_min": round(float(cos.min()), 4),
                            "passage_top10_overlap": round(float(overlap), 3)}
    results["speedup_batch_cpu"] = round(results["torch"]["batch_cpu_s_per_passage"]
                                         / results["onnx"]["batch_cpu_s_per_passage"], 2)
    print("agreement", results["agreement"], "CPU speed-up", results["speedup_batch_cpu"])
    print(f"wrote {save('embed_speed', results)}")


if __name__ == "__main__":
    main()
