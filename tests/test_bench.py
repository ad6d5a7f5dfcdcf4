"""``make bench`` runs ``bench/run_all.py``: every benchmark script is in it, and it runs them (at toy sizes here)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_ALL = ROOT / "bench" / "run_all.py"


def _scripts() -> set[str]:
    """Benchmark scripts: bench/*.py with a ``__main__`` block that are not run_all itself or a helper it runs."""
    out = set()
    for path in (ROOT / "bench").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body):
            out.add(path.stem)
    return out - {"run_all", "synthetic_kb"}  # synthetic_kb builds the KBs search_latency measures


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUN_ALL), *args], capture_output=True, text=True, timeout=600)


def test_make_bench_runs_every_benchmark_script():
    assert "bench/run_all.py" in (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = _run("--list")
    assert listed.returncode == 0, listed.stderr
    named = {Path(line.split()[1]).stem for line in listed.stdout.splitlines()}
    missing_corpus = {name for name in _scripts() if name in listed.stderr}
    assert named | missing_corpus == _scripts()
    for line in listed.stdout.splitlines():
        assert Path(line.split()[1]).is_file(), line


def test_an_unknown_benchmark_is_refused():
    result = _run("--only", "nonsense")
    assert result.returncode == 2 and "unknown benchmark(s) nonsense" in result.stderr


def test_quick_runs_leave_the_quoted_results_alone():
    results = ROOT / "bench" / "results"
    before = {p.name: p.stat().st_mtime for p in results.glob("*.json")}
    result = _run("--quick", "--only", "ann_recall,meta_kaggle_memory")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "recall@10=1.000" in result.stdout and "| 2,000 |" in result.stdout
    assert {p.name: p.stat().st_mtime for p in results.glob("*.json")} == before


@pytest.mark.model
def test_quick_search_latency_and_keyword_budget_run():
    result = _run("--quick", "--only", "search_latency,keyword_budget")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "search hybrid p50" in result.stdout and "| 2,000 |" in result.stdout
