"""Keyword search latency with and without the match budget (`kb.search.keyword.MATCH_BUDGET`).

Needs the synthetic KBs that `bench/search_latency.py` builds under /tmp/kb-bench/<n>.

    .venv/bin/python bench/keyword_budget.py
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from pathlib import Path

from kb.search import keyword

ROOT = Path("/tmp/kb-bench")
SCALES = ("10000", "100000", "1000000")


def measure(conn: sqlite3.Connection, queries: list[str], budget: int) -> tuple[float, float]:
    keyword._DF_CACHE.clear()
    for q in queries[:5]:
        keyword.search(conn, q, 200, budget=budget)
    times = []
    for q in queries[5:]:
        start = time.perf_counter()
        keyword.search(conn, q, 200, budget=budget)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(SCALES))
    parser.add_argument("--root", type=Path, default=ROOT, help="where bench/search_latency.py built the KBs")
    args = parser.parse_args()
    random.seed(0)
    print("| passages | no budget p50 / p95 ms | budget 50k p50 / p95 ms |\n|---|---|---|")
    for n in args.scales.split(","):
        db = args.root / n / "kb.sqlite"
        if not db.exists():
            continue
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        texts = [r[0] for r in conn.execute("SELECT text FROM chunks LIMIT 200")]
        queries = [" ".join(random.sample(t.split(), 7)) for t in texts[:60]]  # 7 words, each query new
        off = measure(conn, queries, 10**12)
        on = measure(conn, queries, keyword.MATCH_BUDGET)
        print(f"| {int(n):,} | {off[0]:.1f} / {off[1]:.1f} | {on[0]:.1f} / {on[1]:.1f} |")


if __name__ == "__main__":
    main()
