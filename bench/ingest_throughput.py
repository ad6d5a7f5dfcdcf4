"""Ingestion throughput: ``kb ingest mirror`` end to end vs the raw model on the same passages.

For each backend: ingest ../shared/corpus into a fresh KB_HOME (timing every stage), encode the very
texts the ingest embedded with the bare model, re-ingest the unchanged corpus, and run the in-repo
retrieval evaluation (``kb eval``) on the result.

    .venv/bin/python bench/ingest_throughput.py                  # torch and ONNX int8
    .venv/bin/python bench/ingest_throughput.py --backend torch
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORPUS, Stopwatch, dir_size_mb, peak_rss_mb, save  # noqa: E402

BACKENDS = {"torch": "all-MiniLM-L6-v2", "onnx": "all-MiniLM-L6-v2+onnx-int8"}


def make_embedder(backend: str, home: Path):
    from kb.embed import make_embedder as make

    return make(BACKENDS[backend], "cpu", home / "models")


clean_by_type: dict[str, float] = {}


def instrument(watch: Stopwatch) -> None:
    """Time the stages of an ingest by wrapping the module functions the pipeline looks up."""
    import ingest.mirror
    import kb.documents
    import kb.enrich
    import kb.search.dense
    import kb.store.vectors
    import kb.store.write

    watch.wrap(ingest.mirror, "_document", "fetch (mirror read)")
    clean = kb.documents.clean

    def timed_clean(raw, content_type, **kwargs):  # noqa: ANN001, ANN003, ANN202
        start = time.perf_counter()
        try:
            return clean(raw, content_type, **kwargs)
        finally:
            clean_by_type[content_type] = clean_by_type.get(content_type, 0.0) + time.perf_counter() - start

    kb.documents.clean = timed_clean
    watch.wrap(kb.documents, "clean", "clean")
    watch.wrap(kb.documents, "chunk_text", "chunk")
    watch.wrap(kb.documents, "process", "store (process total)")
    watch.wrap(kb.store.write, "save_document", "sqlite save_document")
    watch.wrap(kb.enrich, "enrich", "enrich (profiles + tagging)")
    watch.wrap(kb.store.vectors, "pending_chunks", "pending_chunks query")
    watch.wrap(kb.store.vectors, "embed_pending", "embed_pending total")
    watch.wrap(kb.search.dense, "write_index", "index build")


def run_backend(backend: str, root: Path, home: Path, evaluate: bool, limit: int | None = None) -> dict:
    from ingest.mirror import ingest_mirror
    from kb.api import KnowledgeBase

    export_s = 0.0
    if backend == "onnx":  # the one-off export is not part of ingestion (loading the session is)
        start = time.perf_counter()
        make_embedder(backend, home).encode(["warm up the export"])
        export_s = time.perf_counter() - start
    embedder = make_embedder(backend, home)
    texts: list[str] = []
    watch = Stopwatch()
    encode = embedder.encode

    def recording_encode(batch, **kwargs):  # noqa: ANN001, ANN003, ANN202
        texts.extend(batch)
        with watch.stage("model encode"):
            return encode(batch, **kwargs)

    embedder.encode = recording_encode
    if backend == "torch":
        watch.wrap(embedder, "_load", "model load")
    instrument(watch)
    kb = KnowledgeBase.open(home, model=BACKENDS[backend], embedder=embedder)
    with watch.stage("first ingest"):
        first = ingest_mirror(kb, root, limit=limit).to_dict()
    n = first["embedded_chunks"]
    raw = Stopwatch()
    with raw.stage("raw encode"):
        raw_model = raw_encode(backend, embedder, texts)
    with watch.stage("re-ingest"):
        again = ingest_mirror(kb, root, limit=limit).to_dict()
    wall, cpu = watch.totals, watch.cpu
    load = "model load" if backend == "torch" else None
    out = {
        "backend": backend, "model": kb.model_id, "documents": first["new"], "passages": n,
        "first_ingest_s": {"wall": round(wall["first ingest"], 2), "cpu": round(cpu["first ingest"], 2)},
        "raw_encode_s": {"wall": round(raw.totals["raw encode"], 2), "cpu": round(raw.cpu["raw encode"], 2)},
        "raw_model": raw_model,
        "end_to_end_passages_per_s": round(n / wall["first ingest"], 1),
        "raw_passages_per_s": round(n / raw.totals["raw encode"], 1),
        "ratio_end_to_end_vs_raw": {
            "wall": round(raw.totals["raw encode"] / wall["first ingest"], 3),
            "cpu": round(raw.cpu["raw encode"] / cpu["first ingest"], 3),
            "cpu_without_model_load": round(raw.cpu["raw encode"] / (cpu["first ingest"] - cpu.get(load, 0.0)), 3),
        },
        "stages_wall_s": _rounded(wall), "stages_cpu_s": _rounded(cpu),
        "reingest_ratio": {"wall": round(wall["re-ingest"] / wall["first ingest"], 4),
                           "cpu": round(cpu["re-ingest"] / cpu["first ingest"], 4)},
        "reingest_summary": {k: again[k] for k in ("new", "changed", "unchanged", "embedded_chunks")},
        "clean_by_type_s": {k: round(v, 2) for k, v in clean_by_type.items()},
        "export_s": round(export_s, 1), "kb_size_mb": round(dir_size_mb(home), 1),
    }
    if evaluate:
        from kb.evaluation import run_evaluation

        out["evaluation"] = run_evaluation(kb)
    kb.close()
    return out


def _rounded(totals: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def raw_encode(backend: str, embedder, texts: list[str]) -> str:  # noqa: ANN001
    """Encode ``texts`` with the bare model (already loaded, batches of 64); returns what was run."""
    if backend == "torch":
        model = embedder._load()
        model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return "SentenceTransformer.encode"
    session = embedder._load()
    tokenizer = embedder._tokenizer
    from kb.embed.onnx import _feed

    encodings = tokenizer.encode_batch(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    for s in range(0, len(order), 64):
        session.run(None, _feed([encodings[i] for i in order[s:s + 64]]))
    return "onnxruntime session.run (tokenised, length-sorted)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=CORPUS)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--no-eval", action="store_true", help="skip the retrieval evaluation")
    parser.add_argument("--keep", type=Path, help="build the KBs under this folder and keep them")
    parser.add_argument("--limit", type=int, help="only the first N documents (a quick check, not a measurement)")
    args = parser.parse_args()
    if not (args.mirror / "manifest.jsonl").exists():
        sys.exit(f"no mirror at {args.mirror}")
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    base = args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-ingest-"))
    results = []
    try:
        for backend in backends:
            home = base / backend
            shutil.rmtree(home, ignore_errors=True)
            result = run_backend(backend, args.mirror, home, not args.no_eval, args.limit)
            results.append(result)
            print(f"{backend}: {result['passages']} passages, end to end {result['end_to_end_passages_per_s']}/s, "
                  f"raw {result['raw_passages_per_s']}/s, ratio {result['ratio_end_to_end_vs_raw']}, "
                  f"re-ingest {result['reingest_ratio']}", flush=True)
            print("  stages, CPU s:", result["stages_cpu_s"], flush=True)
            print("  clean by type, s:", result["clean_by_type_s"], flush=True)
            if "evaluation" in result:
                ev = result["evaluation"]
                print("  eval:", ev["one_liner"]["kb"], ev["known_item_mrr"], flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    path = save("ingest_throughput", {"mirror": str(args.mirror), "peak_rss_mb": round(peak_rss_mb()),
                                      "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
