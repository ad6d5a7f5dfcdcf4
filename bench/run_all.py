"""Every benchmark behind BENCHMARKS.md, one after the other (``make bench``).

Each script writes its raw results to ``bench/results/<name>.json`` (the files BENCHMARKS.md quotes);
``keyword_budget`` reads the synthetic KBs ``search_latency`` builds, so it runs after it. The full
run takes hours on a small machine (synthetic KBs of up to 1M passages, the real model over
../shared/corpus). ``--quick`` runs every script at toy sizes into a temporary folder, leaving
``bench/results`` alone: a check that the benchmarks still run, not a measurement.

    .venv/bin/python bench/run_all.py                        # the full run
    .venv/bin/python bench/run_all.py --quick                # every script, toy sizes, minutes
    .venv/bin/python bench/run_all.py --only ann_recall,keyword_budget --list
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH.parent.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Benchmark:
    name: str  # the script bench/<name>.py
    full: tuple[str, ...]  # its arguments for the full run
    quick: tuple[str, ...]  # for --quick ({root}: a temporary folder)
    needs_corpus: bool = False


BENCHMARKS = (
    Benchmark("search_latency", (), ("--scales", "2000", "--root", "{root}")),
    Benchmark("keyword_budget", (), ("--scales", "2000", "--root", "{root}")),
    Benchmark("ann_recall", (), ("--scales", "2000", "--queries", "50", "--root", "{root}")),
    Benchmark("meta_kaggle_memory", (), ("--sizes", "2000")),
    Benchmark("embed_speed", (), ("--passages", "16", "--cache", "{root}/models"), needs_corpus=True),
    Benchmark("ingest_throughput", (), ("--backend", "torch", "--no-eval", "--limit", "10"), needs_corpus=True),
    Benchmark("cli_latency", (), ("--home", "{root}/cli", "--limit", "10", "--runs", "1"), needs_corpus=True),
)


def _args(b: Benchmark, quick: bool, root: Path) -> list[str]:
    return [arg.format(root=root) for arg in (b.quick if quick else b.full)]


def commands(selected: list[Benchmark], quick: bool, root: Path) -> list[list[str]]:
    return [[sys.executable, str(BENCH / f"{b.name}.py"), *_args(b, quick, root)]
            for b in selected]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes, results in a temporary folder")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--list", action="store_true", help="print the commands instead of running them")
    args = parser.parse_args(argv)
    names = [b.name for b in BENCHMARKS]
    wanted = args.only.split(",") if args.only else names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)} (known: {', '.join(names)})")
    selected = [b for b in BENCHMARKS if b.name in wanted]
    if not (CORPUS / "manifest.jsonl").exists():
        skipped = [b.name for b in selected if b.needs_corpus]
        if skipped:
            print(f"skipping {', '.join(skipped)}: they need {CORPUS}", file=sys.stderr)
        selected = [b for b in selected if not b.needs_corpus]
    with tempfile.TemporaryDirectory(prefix="kb-bench-quick-") as tmp:
        root = Path(tmp)
        env = {**os.environ, "KB_BENCH_RESULTS": str(root / "results")} if args.quick else dict(os.environ)
        for b, cmd in zip(selected, commands(selected, args.quick, root), strict=True):
            if args.list:
                print(" ".join(cmd))
                continue
            print(f"== {b.name}: {' '.join(cmd[1:])}", flush=True)
            start = time.monotonic()
            code = subprocess.call(cmd, env=env)
            if code:
                print(f"{b.name} failed (exit {code})", file=sys.stderr)
                return code
            print(f"== {b.name}: done in {time.monotonic() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
