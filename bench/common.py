"""Shared by the benchmark scripts: timers, peak memory, result files and BENCHMARKS.md rows."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# bench/run_all.py --quick points this elsewhere so that toy runs never replace the quoted results
RESULTS = Path(os.environ.get("KB_BENCH_RESULTS") or REPO / "bench" / "results")
CORPUS = REPO.parent / "shared" / "corpus"
PYTHON = sys.executable  # the interpreter running the benchmark (`make bench`: .venv/bin/python)


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores / {mem_gib:.0f} GiB"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def latency_ms(fn: Callable[[str], object], queries: list[str], *, warmup: int = 3) -> dict[str, float]:
    """p50/p95/mean in milliseconds of ``fn(query)`` over ``queries`` after ``warmup`` untimed calls."""
    for q in queries[:warmup]:
        fn(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "mean": statistics.fmean(times),
            "n": len(times)}


@dataclass
class Stopwatch:
    """Accumulated wall and CPU seconds per named stage; ``wrap`` times every call of an attribute.

    CPU seconds (all threads of this process) are the steadier figure on a machine others share:
    wall time there depends on what else runs.
    """

    totals: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - start
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - start_cpu

    def wrap(self, owner: object, attr: str, name: str | None = None) -> None:
        fn = getattr(owner, attr)
        label = name or attr

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            with self.stage(label):
                return fn(*args, **kwargs)

        setattr(owner, attr, timed)


def save(name: str, data: dict) -> Path:
    """Write ``bench/results/<name>.json`` with the machine and date added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine(), "date": date.today().isoformat(), "python": platform.python_version(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()], **data}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def row(metric: str, value: str, target: str, command: str) -> str:
    """One BENCHMARKS.md table row: metric | value | target | command | machine | date."""
    return f"| {metric} | {value} | {target} | `{command}` | {machine()} | {date.today().isoformat()} |"
