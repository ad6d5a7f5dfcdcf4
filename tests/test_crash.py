"""Crash safety: ``kb ingest mirror`` killed with SIGKILL at many points, then re-run, loses nothing.

The mirror is the mini mirror plus generated write-ups (made-up text from word lists), so the
ingest has many documents, chunks and transactions to be killed in the middle of.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.check import run_checks
from tests.fixtures.mini_mirror import write_mirror

REPO = Path(__file__).resolve().parents[1]
SLUGS = ("galaxy-shapes", "store-sales-forecast", "brainwave-seizure", "made-up-churn", "made-up-traffic")
MODELS = ("gradient boosting", "a convolutional network", "LightGBM", "a random forest", "logistic regression",
          "a transformer encoder", "XGBoost", "a U-Net", "CatBoost", "a recurrent network")
DATA = ("lag features", "target encoding", "image crops", "spectral bands", "word counts", "rolling means",
        "frequency encoding", "pixel statistics", "holiday flags", "user histories")
VALIDATION = ("five-fold cross validation", "a time-based split", "group k-fold by user", "a holdout month",
              "stratified folds")
TRICKS = ("pseudo labeling", "test time augmentation", "stacking", "early stopping", "label smoothing",
          "weighted averaging", "snapshot ensembling", "mixup", "cosine learning rate decay", "dropout")
SENTENCES = (
    "We trained {model} on {data} and checked it with {validation}.",
    "Adding {trick} improved the private leaderboard score by a small but steady margin.",
    "Our second model used {data} with {model}, which was weaker alone but helped the blend.",
    "{trick} did not help here, so we removed it from the final pipeline.",
    "The most useful inputs were {data}; everything else added noise.",
    "We tuned the learning rate and depth of {model} with {validation} before trusting any result.",
    "A simple blend of {model} and {trick} beat every single model we tried.",
)
SECTIONS = ("Overview", "Data preparation", "Features", "Models", "Validation", "Ensembling",
            "What did not work", "Lessons")
KINDS = ("text/markdown", "text/html", "text/x-rst", "text/plain")


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES).format(model=rng.choice(MODELS), data=rng.choice(DATA),
                                                 validation=rng.choice(VALIDATION), trick=rng.choice(TRICKS))
                    for _ in range(sentences))


def _render(kind: str, title: str, sections: list[tuple[str, str]]) -> str:
    if kind == "text/markdown":
        return f"# {title}\n\n" + "".join(f"## {h}\n\n{p}\n\n" for h, p in sections)
    if kind == "text/html":
        body = "".join(f"<h2>{h}</h2><p>{p}</p>" for h, p in sections)
        return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"{body}</article></body></html>")
    if kind == "text/x-rst":
        return f"{title}\n{'=' * len(title)}\n\n" + "".join(f"{h}\n{'-' * len(h)}\n\n{p}\n\n" for h, p in sections)
    return f"{title}\n\n" + "".join(f"{h.upper()}\n\n{p}\n\n" for h, p in sections)


def write_big_mirror(root: Path, n: int = 60, *, seed: int = 7, variant: int = 0) -> Path:
    """The mini mirror plus ``n`` generated write-ups; another ``variant`` changes every generated text."""
    rng = random.Random(seed * 1000 + variant)
    rows = []
    files: dict[str, str] = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        ext = {"text/markdown": "md", "text/html": "html", "text/x-rst": "rst", "text/plain": "txt"}[kind]
        title = f"Solution notes number {i}: {MODELS[i % len(MODELS)]} with {DATA[i % len(DATA)]}"
        sections = [(h, _paragraph(rng, rng.randint(3, 7))) for h in rng.sample(SECTIONS, rng.randint(3, 6))]
        path = f"snapshots/generated/writeup-{i:03d}.{ext}"
        files[path] = _render(kind, title, sections)
        rows.append({"url": f"https://example.org/writeups/{i:03d}", "path": path, "content_type": kind,
                     "source": "blog" if i % 3 else "github", "title": title if kind != "text/plain" else None,
                     "competition_slug": SLUGS[i % len(SLUGS)], "rank": (i % 7) + 1})
    write_mirror(root, extra_rows=rows)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def kb_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    # the fake embedder's similarities are low: no abstention floor (it is calibrated for the real model)
    return {**env, "KB_HOME": str(home), "KB_MODEL": "fake", "KB_ABSTAIN_BELOW": "0", "PYTHONPATH": str(REPO)}


def kb_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from kb.cli import main; main()", *args]


def run_kb(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(kb_command(*args), env=kb_env(home), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


# A child that SIGKILLs itself at an exact point: on the Nth call of ``module.name``, before or after it runs.
INJECT = """
import importlib, os, signal, sys
module, name, nth, when = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
target = importlib.import_module(module)
owner, attr = (getattr(target, name.split(".")[0]), name.split(".")[1]) if "." in name else (target, name)
original = getattr(owner, attr)
calls = []

def wrapper(*args, **kwargs):
    calls.append(1)
    if len(calls) == nth and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(*args, **kwargs)
    if len(calls) == nth and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(owner, attr, wrapper)
from kb.cli import main
sys.argv = ["kb", *sys.argv[5:]]
main()
"""


def run_injected(home: Path, module: str, name: str, nth: int, when: str, *args: str) -> int:
    cmd = [sys.executable, "-c", INJECT, module, name, str(nth), when, *args]
    return subprocess.run(cmd, env=kb_env(home), cwd=REPO, capture_output=True, timeout=60).returncode


def db_counts(home: Path) -> dict[str, int]:
    if not (home / "kb.sqlite").exists():
        return {}
    conn = sqlite3.connect(f"file:{home / 'kb.sqlite'}?mode=ro", uri=True)
    try:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)
                for table in ("documents", "chunks", "chunks_fts", "document_competitions", "competitions",
                              "catalog_links", "chunk_techniques")}
    except sqlite3.OperationalError:  # killed before the schema was created
        return {}
    finally:
        conn.close()


def content(home: Path) -> set[tuple]:
    """Every stored document and passage, by URL and position (ids may differ between runs)."""
    conn = sqlite3.connect(f"file:{home / 'kb.sqlite'}?mode=ro", uri=True)
    try:
        docs = conn.execute("SELECT url, title, text_sha256 FROM documents").fetchall()
        chunks = conn.execute("SELECT d.url, c.position, c.sha256 FROM chunks c JOIN documents d"
                              " ON d.id = c.document_id").fetchall()
        links = conn.execute("SELECT d.url, co.slug, dc.rank FROM document_competitions dc JOIN documents d"
                             " ON d.id = dc.document_id JOIN competitions co ON co.id = dc.competition_id").fetchall()
    finally:
        conn.close()
    return {("doc", *r) for r in docs} | {("chunk", *r) for r in chunks} | {("link", *r) for r in links}


def kill_when(home: Path, mirror: Path, rng: random.Random, *, documents: int | None = None,
              after: float | None = None) -> tuple[bool, int]:
    """Start an ingest and SIGKILL it once ``documents`` are stored or ``after`` seconds passed.

    Returns (whether it was still running when killed, documents stored at that moment).
    """
    proc = subprocess.Popen(kb_command("ingest", "mirror", str(mirror)), env=kb_env(home), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - start < 30:
            if after is not None and time.monotonic() - start >= after:
                break
            if documents is not None and db_counts(home).get("documents", 0) >= documents:
                time.sleep(rng.uniform(0, 0.02))  # land somewhere inside the next document
                break
            time.sleep(0.003)
        running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return running, db_counts(home).get("documents", 0)


def check_json(home: Path) -> tuple[int, list[dict]]:
    result = run_kb(home, "check", "--json")
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else []


@pytest.fixture(scope="module")
def big_mirror(tmp_path_factory) -> Path:
    return write_big_mirror(tmp_path_factory.mktemp("crash") / "mirror")


@pytest.fixture(scope="module")
def clean_run(big_mirror, tmp_path_factory) -> tuple[Path, float]:
    home = tmp_path_factory.mktemp("clean") / "kbhome"
    start = time.monotonic()
    result = run_kb(home, "ingest", "mirror", str(big_mirror))
    assert result.returncode == 0, result.stderr
    return home, time.monotonic() - start


def test_killed_ingests_rerun_to_the_same_knowledge_base(big_mirror, clean_run, tmp_path):
    clean_home, seconds = clean_run
    total = db_counts(clean_home)["documents"]
    assert total == 64
    rng = random.Random(20240607)
    home = tmp_path / "kbhome"
    landed = []
    # by progress: killed while storing documents, at increasing random document counts
    for target in sorted(rng.sample(range(2, total - 2), 5)):
        landed.append(kill_when(home, big_mirror, rng, documents=target))
    # by time: anywhere in a run (start-up, storing, tagging, embedding, indexing)
    for _ in range(3):
        landed.append(kill_when(home, big_mirror, rng, after=rng.uniform(0.2, max(0.9 * seconds, 0.5))))
    partial = [n for running, n in landed if running and 0 < n < total]
    assert len(partial) >= 3, landed  # most kills really interrupted a half-done ingest
    assert run_kb(home, "ingest", "mirror", str(big_mirror)).returncode == 0
    code, problems = check_json(home)
    assert code == 0, [p for p in problems if not p["ok"]]
    assert db_counts(home) == db_counts(clean_home)
    assert content(home) == content(clean_home)


@pytest.mark.parametrize(("module", "name", "nth", "when"), [
    ("kb.store.write", "link_document", 9, "before"),  # inside a document's transaction
    ("kb.enrich", "transaction", 1, "after"),  # while tagging techniques
    ("kb.embed", "FakeEmbedder.encode", 1, "before"),  # while embedding
    ("kb.search.dense", "write_index", 1, "before"),  # before the first index is written
    ("os", "replace", 1, "after"),  # between swapping in the index files
])
def test_kill_at_exact_points_then_rerun(big_mirror, clean_run, tmp_path, module, name, nth, when):
    home = tmp_path / "kbhome"
    assert run_injected(home, module, name, nth, when, "ingest", "mirror", str(big_mirror)) == -signal.SIGKILL
    # whatever was left behind is either usable or refused with the command that repairs it
    search = run_kb(home, "search", "gradient", "boosting", "lag", "features")
    assert search.returncode == 0 or "kb index rebuild" in search.stderr or "kb ingest mirror" in search.stderr, \
        search.stderr
    assert run_kb(home, "ingest", "mirror", str(big_mirror)).returncode == 0
    code, problems = check_json(home)
    assert code == 0, [p for p in problems if not p["ok"]]
    assert content(home) == content(clean_run[0])


def test_kill_while_swapping_in_a_rebuilt_index(big_mirror, tmp_path):
    """An old index is being replaced by one over changed documents when the ingest dies."""
    changed = write_big_mirror(tmp_path / "changed", variant=1)
    reference, home = tmp_path / "reference", tmp_path / "kbhome"
    assert run_kb(reference, "ingest", "mirror", str(changed)).returncode == 0
    assert run_kb(home, "ingest", "mirror", str(big_mirror)).returncode == 0
    assert run_injected(home, "os", "replace", 1, "after", "ingest", "mirror", str(changed)) == -signal.SIGKILL
    code, problems = check_json(home)
    assert code == 1 and [p["fix"] for p in problems if not p["ok"]] == ["kb index rebuild"]
    search = run_kb(home, "search", "gradient", "boosting")
    assert search.returncode == 4 and "run `kb index rebuild`" in search.stderr
    assert run_kb(home, "ingest", "mirror", str(changed)).returncode == 0
    assert check_json(home)[0] == 0
    assert content(home) == content(reference)


def _ingest(kb: KnowledgeBase, mirror: Path) -> None:
    from ingest.mirror import ingest_mirror

    summary = ingest_mirror(kb, mirror)
    assert not summary.failures


@pytest.mark.parametrize("path", ["snapshots/github/alice/galaxy-shapes/README.md",  # oldest chunk ids
                                  "snapshots/github/dave/old-comp/README.txt"])  # newest: its ids are reused
def test_rerun_after_a_kill_before_the_index_build_rebuilds_it(kb, mirror, monkeypatch, path):
    """A document changed (same number of passages), was embedded, and the run died before indexing."""
    _ingest(kb, mirror)
    file = mirror / path
    file.write_bytes(file.read_bytes().replace(b"models", b"networks").replace(b"gradient", b"stochastic"))

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # stands in for SIGKILL: nothing after this point runs

    with monkeypatch.context() as m:
        m.setattr(KnowledgeBase, "rebuild_index", killed)
        m.setattr(KnowledgeBase, "update_index", killed)
        with pytest.raises(KeyboardInterrupt):
            _ingest(kb, mirror)
    assert [p.name for p in run_checks(kb) if not p.ok] == ["vector index"]
    _ingest(kb, mirror)  # the re-run: every document is unchanged now, nothing new to embed
    assert all(p.ok for p in run_checks(kb)), run_checks(kb)
    stored = {r[0] for r in kb.conn.execute("SELECT id FROM chunks")}
    assert {cid for cid, _ in kb.passages("stochastic networks", mode="dense")} == stored
