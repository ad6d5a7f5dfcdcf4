"""Readers keep answering while another process ingests: no "database is locked", no half-swapped index.

A reader process shares one read-only ``KnowledgeBase`` between threads, as the web app does, and
searches (and asks for recommendations) in a loop while a writer process ingests new documents and
then changed versions of them (which deletes and re-inserts passages and swaps in a new vector index).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.test_crash import REPO, kb_env, run_kb, write_big_mirror

READER = """
import json, sys, threading, time, traceback
from kb.api import KnowledgeBase

stop, limit = sys.argv[1], float(sys.argv[2])
kb = KnowledgeBase.open(readonly=True)
cases = [
    ("gradient boosting lag features", "hybrid", {}),
    ("random forest spectral", "keyword", {"source": "blog"}),
    ("convolutional network image crops", "dense", {}),
    ("stacking NOT pseudo", "hybrid", {"competition": "galaxy-shapes"}),
    ("validation split", "hybrid", {"year_min": 2010, "max_rank": 5}),
]
report = {"searches": 0, "documents": 0, "recommendations": 0, "errors": [], "index_versions": set()}
started = time.monotonic()

def loop():
    from pathlib import Path
    while time.monotonic() - started < limit:
        done = Path(stop).exists()
        for n, (query, mode, filters) in enumerate(cases):
            try:
                if n == 0:
                    report["recommendations"] += bool(kb.recommend(query, k=3).techniques)
                results = kb.search(query, k=5, mode=mode, **filters)
                with kb._lock:
                    report["searches"] += 1
                    report["index_versions"].add(kb.dense_index().mtime)
                if results and kb.document(results[0].url) is not None:
                    with kb._lock:
                        report["documents"] += 1
            except Exception:
                report["errors"].append(traceback.format_exc(limit=4))
        if done:
            return

threads = [threading.Thread(target=loop) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
final = kb.search("Solution notes number", k=3, mode="dense")
report["final"] = [r.url for r in final]
report["index_versions"] = len(report["index_versions"])
print(json.dumps(report))
"""


def test_searches_keep_answering_while_another_process_ingests(mirror, tmp_path):
    home = tmp_path / "kbhome"
    assert run_kb(home, "ingest", "mirror", str(mirror)).returncode == 0
    first = write_big_mirror(tmp_path / "v0", n=40)
    changed = write_big_mirror(tmp_path / "v1", n=40, variant=1)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(stop), "40"], env=kb_env(home), cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for root in (first, changed):
            result = run_kb(home, "ingest", "mirror", str(root))
            assert result.returncode == 0, result.stderr
        stop.touch()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    report = json.loads(out)
    assert report["errors"] == [], "\n".join(report["errors"])
    assert report["searches"] >= 50 and report["documents"] > 0 and report["recommendations"] > 0
    assert report["index_versions"] >= 2  # the reader picked up the index swapped in by the writer
    assert report["final"] and all(url.startswith("https://example.org/writeups/") for url in report["final"])
    assert json.loads(run_kb(home, "check", "--json").stdout) and run_kb(home, "check").returncode == 0


def test_check_reports_a_missing_knowledge_base(tmp_path):
    result = run_kb(tmp_path / "nothing", "check")
    assert result.returncode == 3
    assert "no knowledge base at" in result.stderr and "kb ingest mirror" in result.stderr
    assert not (tmp_path / "nothing").exists()



def test_a_reader_keeps_its_index_when_a_swapped_in_one_will_not_load(built_kb, monkeypatch, caplog):
    from kb.api import KnowledgeBase
    from kb.search import dense

    monkeypatch.setattr(dense, "SWAP_WAIT", 0.0)
    reader = KnowledgeBase.open(built_kb.settings.home, embedder=built_kb.embedder, model="fake", readonly=True)
    before = reader.search("lag features", k=2, mode="dense")
    path = built_kb.settings.index_dir / "dense.faiss"
    broken = path.with_name("broken.tmp")
    broken.write_bytes(b"half a file")
    os.utime(broken, (1, 1))
    os.replace(broken, path)  # swapped in like a new index (never written in place: readers have it mapped)
    assert reader.search("lag features", k=2, mode="dense") == before
    assert "still searching the previous one" in caplog.text
    calls = []
    monkeypatch.setattr(dense.DenseIndex, "load", lambda *a, **k: calls.append(1))
    assert reader.search("lag features", k=2, mode="dense") == before and calls == []  # not retried each time
    built_kb.rebuild_index()
    monkeypatch.undo()
    assert reader.search("lag features", k=2, mode="dense") == before
    assert reader.dense_index().mtime == path.stat().st_mtime  # the rebuilt index was picked up
    reader.close()
