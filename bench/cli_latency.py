"""What a person waits for: `kb search`, `kb recommend` and the README's Python snippet, end to end.

Every run is a fresh process (``kb`` as installed, or ``python -c`` for the snippet) on a knowledge base
of ../shared/corpus built with the real model; the time is the wall time from start to exit, as a shell
would measure it. One untimed run first warms the page cache; then ``--runs`` timed runs, reported as
p50 (and min / max: the machine is shared, so single runs move).

    .venv/bin/python bench/cli_latency.py                          # builds /tmp/kb-bench/cli once (~6 min)
    .venv/bin/python bench/cli_latency.py --home /tmp/kbcli --runs 7
    .venv/bin/python bench/cli_latency.py --src /tmp/kb-before     # the same, with kb imported from another tree

``--src`` compares two versions of kb on the same knowledge base: the subprocesses run from an empty
folder with ``PYTHONPATH=SRC``, so ``import kb`` finds that tree before the installed one.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CORPUS, PYTHON, REPO, machine, percentile, row, save  # noqa: E402

KB = str(Path(PYTHON).with_name("kb"))
SEARCH = ["search", "pseudo labeling"]
RECOMMEND = ["recommend", "Predict fraud from anonymised card transactions; metric ROC AUC"]


def readme_snippet() -> str:
    """The README's Python example, as a user would paste it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    if found is None:
        raise SystemExit("README.md has no ```python block")
    return found.group(1)


def commands() -> dict[str, list[str]]:
    return {
        "kb --help": [KB, "--help"],
        'kb search "pseudo labeling"': [KB, *SEARCH],
        'kb search "pseudo labeling" --json': [KB, *SEARCH, "--json"],
        f'kb recommend "{RECOMMEND[1]}"': [KB, *RECOMMEND],
        "kb stats": [KB, "stats"],
        "README Python snippet (python -c)": [PYTHON, "-c", readme_snippet()],
    }


def build(home: Path, limit: int | None) -> None:
    """Build the knowledge base the commands run on (the real model over ../shared/corpus), once."""
    from ingest.mirror import ingest_mirror
    from kb.api import KnowledgeBase

    if not (CORPUS / "manifest.jsonl").exists():
        raise SystemExit(f"{CORPUS} is needed")
    start = time.perf_counter()
    with KnowledgeBase.open(home, model="all-MiniLM-L6-v2") as kb:
        ingest_mirror(kb, CORPUS, limit=limit)
    print(f"built {home} in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def measure(cmd: list[str], env: dict[str, str], cwd: str, runs: int) -> dict:
    def once() -> float:
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{cmd[:2]} failed (exit {done.returncode}): {done.stderr[-2000:]}")
        return elapsed

    once()  # warms the page cache: the model files, the SQLite file, the index
    times = [once() for _ in range(runs)]
    return {"p50_s": round(percentile(times, 50), 3), "min_s": round(min(times), 3), "max_s": round(max(times), 3),
            "runs": [round(t, 3) for t in times]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(tempfile.gettempdir()) / "kb-bench" / "cli",
                        help="a knowledge base of ../shared/corpus with the real model (built when missing)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (after one untimed)")
    parser.add_argument("--src", type=Path, help="import kb from this source tree instead of the installed one")
    parser.add_argument("--limit", type=int, help="build from only the first N documents (a quick check)")
    parser.add_argument("--label", default="", help="a name for this run in the results file")
    args = parser.parse_args(argv)
    if not (args.home / "kb.sqlite").exists():
        build(args.home, args.limit)
    env = {**os.environ, "KB_HOME": str(args.home)}
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    results = {}
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="kb-cli-latency-") as cwd:  # nothing importable in the cwd
        for name, cmd in commands().items():
            results[name] = measure(cmd, env, cwd, args.runs)
            r = results[name]
            print(f"{name}: p50 {r['p50_s']:.2f} s (min {r['min_s']:.2f}, max {r['max_s']:.2f}, {args.runs} runs)",
                  flush=True)
    name = "cli_latency" + (f"_{args.label}" if args.label else "")
    save(name, {"home": str(args.home), "src": str(args.src or REPO), "runs": args.runs,
                "load_average_at_start": load_start, "results": results})
    command = "bench/cli_latency.py" + (f" --src {args.src}" if args.src else "")
    print()
    for metric, r in results.items():
        print(row(f"`{metric}`, end to end, p50 of {args.runs} fresh processes", f"{r['p50_s']:.2f} s", "≤ 2 s",
                  f".venv/bin/python {command}"))
    print(f"machine: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
