"""A synthetic knowledge base at any scale: SQLite rows inserted in bulk + the index from ``write_index``.

Documents, chunks (with FTS rows), embeddings, competitions, links and technique tags look like an
ingested KB to every read path of ``KnowledgeBase``. Texts are bags of words drawn from a Zipf
distribution over a small hand-written ML vocabulary followed by a long tail of made-up words, so
keyword posting lists have realistic lengths; vectors come from :mod:`bench.vectors`. Nothing here
comes from the corpus.

    .venv/bin/python bench/synthetic_kb.py --n 100000 --home /tmp/kb-bench/100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.vectors import make_corpus  # noqa: E402

BUILD_VERSION = 2  # 2: competition centroids stored at build time
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
WORDS_PER_CHUNK = 120
SLICE = 20_000
ZIPF = 1.07
STAMP = "bench.json"

# Common words first (their Zipf rank sets their frequency), then made-up ones.
COMMON = """the and of to a in we for is on with that this was it as model data our by are be from
training features validation score used at an or test which not using feature set models but each
train were all loss final learning also one two first time public private leaderboard best cv fold
folds ensemble lightgbm xgboost boosting gradient neural network layer layers epochs batch
learning_rate augmentation images image text tokens transformer bert embedding embeddings target
prediction predictions post processing pseudo labels labeling stacking blending weights weighted
average mean lag lags rolling window sales forecasting series time_series day days week store
stores item items categorical encoding target_encoding missing values imputation selection
importance tree trees depth regularization dropout optimizer adam scheduler cosine warmup
pretrained fine tuning resnet efficientnet unet segmentation mask masks detection bounding boxes
classification regression ranking auc rmse logloss f1 accuracy metric threshold class classes
imbalance sampling oversampling undersampling smote kfold stratified group split leak leakage
noise noisy clean cleaning audio spectrogram mel signal eeg seizure frequency fft band power
galaxy shapes rotation flips tta test_time ensembles catboost linear logistic svm knn clustering
kmeans pca svd dimensionality reduction autoencoder gan diffusion lstm gru rnn attention head
heads multi task semi supervised unsupervised contrastive distillation teacher student
quantization pruning inference speed memory gpu cpu kaggle kernel notebook competition solution
write up team rank gold silver medal place""".split()
HEADINGS = ["", "Overview", "Data", "Feature engineering", "Models", "Validation", "Training",
            "Ensembling", "Post-processing", "What did not work", "Inference"]
SOURCES = np.array(["github", "blog", "kaggle"])
KINDS = ["Featured", "Research", "Playground"]
MODALITIES = ["tabular", "image", "text", "audio", "time series", "signal"]
METRICS = ["AUC", "RMSE", "LogLoss", "F1", "MAP@5", "Accuracy"]


def vocabulary(size: int = 30_000, seed: int = 0) -> np.ndarray:
    """Words by rank: the common list, then pronounceable made-up words."""
    rng = np.random.default_rng(seed)
    consonants, vowels = list("bcdfghklmnprstvz"), list("aeiou")
    made_up: dict[str, None] = {}
    while len(made_up) < size - len(COMMON):
        parts = rng.integers(2, 5)
        made_up["".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(parts))] = None
    return np.array(COMMON + list(made_up), dtype=object)


def texts(n: int, rng: np.random.Generator, words: np.ndarray) -> list[str]:
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    p = ranks**-ZIPF
    p /= p.sum()
    draws = rng.choice(len(words), size=(n, WORDS_PER_CHUNK), p=p)
    return [" ".join(words[row]) for row in draws]


def technique_names() -> list[tuple[str, str]]:
    from kb.techniques.vocab import load_vocabulary

    return [(t.name, t.category) for t in load_vocabulary()]


class RandomEmbedder:
    """Stands in for the model where only the presence of a vector matters (competition vectors)."""

    model_id = MODEL_ID
    dim = 384

    def encode(self, texts: list[str], **kwargs: object) -> np.ndarray:
        x = np.random.default_rng(len(texts)).standard_normal((len(texts), self.dim)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)


def store_competition_vectors(path: Path) -> None:
    """What an ingest leaves behind for ``recommend``: a stored vector per competition description and
    the centroid of each competition's write-up passages."""
    from kb.recommend.corpus import competition_centroids, competition_vectors, load_corpus_data
    from kb.store import db

    conn = db.connect(path)
    data = load_corpus_data(conn)
    competition_vectors(conn, data, RandomEmbedder(), store=True)
    competition_centroids(conn, data, MODEL_ID, store=True)
    conn.close()


def open_bulk(path: Path) -> sqlite3.Connection:
    """The KB schema (via migrations) on a connection tuned for one big load."""
    from kb.store import db
    from kb.store.schema import MIGRATIONS

    conn = db.connect(path)
    db.migrate(conn, MIGRATIONS)
    conn.execute("PRAGMA foreign_keys = OFF")  # links are inserted before their documents
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    return conn


def build(home: Path, n: int, *, seed: int = 0, log=print) -> dict:  # noqa: ANN001
    """Create (or reuse, if already built with these settings) a synthetic KB of ``n`` passages."""
    from kb.search import dense

    stamp = home / STAMP
    want = {"version": BUILD_VERSION, "n": n, "seed": seed}
    if stamp.exists() and {k: v for k, v in json.loads(stamp.read_text()).items() if k in want} == want:
        return json.loads(stamp.read_text())
    home.mkdir(parents=True, exist_ok=True)
    for name in ("kb.sqlite", "kb.sqlite-wal", "kb.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
    t0 = time.perf_counter()
    corpus = make_corpus(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    words = vocabulary(seed=seed)
    n_docs = len(corpus.doc_centres)
    n_comps = max(20, n_docs // 40)
    techniques = technique_names()
    conn = open_bulk(home / "kb.sqlite")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO competitions (id, slug, title, description, kind, metric, year, url, modality)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(c + 1, f"synthetic-comp-{c}", f"Synthetic competition {c}", "A made-up competition for benchmarks",
          KINDS[c % 3], METRICS[c % 6], 2010 + c % 15, f"https://www.kaggle.com/c/synthetic-comp-{c}",
          MODALITIES[c % 6]) for c in range(n_comps)])
    comp_of = rng.integers(1, n_comps + 1, size=n_docs)
    rank_of = rng.integers(1, 60, size=n_docs)
    source_of = SOURCES[rng.integers(0, 3, size=n_docs)]
    conn.executemany("INSERT INTO document_competitions (document_id, competition_id, rank, link_kind)"
                     " VALUES (?, ?, ?, 'description')",
                     [(d + 1, int(comp_of[d]), int(rank_of[d]) if rank_of[d] < 50 else None) for d in range(n_docs)])
    conn.execute("COMMIT")
    starts = np.searchsorted(corpus.doc_of, np.arange(n_docs + 1))
    keys = np.empty(n, dtype=np.int64)
    ts = "2024-01-01T00:00:00Z"
    for lo in range(0, n_docs, max(1, SLICE // 5)):
        hi = min(n_docs, lo + max(1, SLICE // 5))
        c_lo, c_hi = int(starts[lo]), int(starts[hi])
        chunk_texts = texts(c_hi - c_lo, rng, words)
        conn.execute("BEGIN")
        doc_rows, chunk_rows, fts_rows, emb_rows, tag_rows = [], [], [], [], []
        for d in range(lo, hi):
            title = f"Synthetic write-up {d}: {chunk_texts[int(starts[d]) - c_lo].split(' ', 3)[2]}"
            parts = chunk_texts[int(starts[d]) - c_lo:int(starts[d + 1]) - c_lo]
            doc_rows.append((d + 1, f"https://example.org/synthetic/{d}", str(source_of[d]), title,
                             f"{2010 + d % 15}-06-01", "text/markdown", hashlib.sha256(str(d).encode()).hexdigest(),
                             "\n\n".join(parts), hashlib.sha256(str(-d).encode()).hexdigest(), ts, ts))
            for pos, text in enumerate(parts):
                cid = int(starts[d]) + pos + 1
                heading = HEADINGS[(d + pos) % len(HEADINGS)]
                sha = hashlib.sha256(f"{title}\n{heading}\n{text}".encode()).hexdigest()
                keys[cid - 1] = dense.content_key(sha)
                chunk_rows.append((cid, d + 1, pos, heading, text, sha))
                fts_rows.append((cid, title, heading, text))
                emb_rows.append((MODEL_ID, sha, corpus.vectors[cid - 1].tobytes()))
                if rng.random() < 0.3:
                    name, category = techniques[int(rng.integers(0, len(techniques)))]
                    tag_rows.append((cid, name, category, int(rng.random() < 0.8), 0, 10, text[:160]))
        conn.executemany("INSERT INTO documents (id, url, source, title, date, content_type, raw_sha256, text,"
                         " text_sha256, fetched_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", doc_rows)
        conn.executemany("INSERT INTO chunks (id, document_id, position, heading_path, text, sha256)"
                         " VALUES (?, ?, ?, ?, ?, ?)", chunk_rows)
        conn.executemany("INSERT INTO chunks_fts (rowid, title, heading, text) VALUES (?, ?, ?, ?)", fts_rows)
        conn.executemany("INSERT OR IGNORE INTO embeddings (model, sha256, vector) VALUES (?, ?, ?)", emb_rows)
        conn.executemany("INSERT INTO chunk_techniques (chunk_id, technique, category, helped, start, end, snippet)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", tag_rows)
        conn.execute("COMMIT")
        log(f"  {c_hi:,}/{n:,} passages stored ({time.perf_counter() - t0:.0f}s)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    store_competition_vectors(home / "kb.sqlite")
    t_sql = time.perf_counter() - t0
    ids = np.arange(1, n + 1, dtype=np.int64)
    meta = dense.write_index(home / "index", ids, corpus.vectors, MODEL_ID, ts, keys=keys)
    info = {**want, "documents": n_docs, "competitions": n_comps, "index": meta.kind,
            "sqlite_s": round(t_sql, 1), "index_s": round(time.perf_counter() - t0 - t_sql, 1)}
    stamp.write_text(json.dumps(info, indent=2), encoding="utf-8")
    log(f"built {home}: {info}")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="number of passages")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    build(args.home, args.n, seed=args.seed)


if __name__ == "__main__":
    main()
