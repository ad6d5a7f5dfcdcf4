"""The live ingestion commands as a user runs them (no network needed here)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kb.cli import cli
from tests.fixtures.live_catalog import CATALOG
from tests.fixtures.meta_kaggle_dump import write_dump


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_meta_kaggle_command(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_MODEL", "fake")
    root = write_dump(tmp_path / "meta")
    result = run("ingest", "meta-kaggle", str(root), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["new"], summary["competitions"]) == (4, 2)
    result = run("ingest", "meta-kaggle", str(root), "--max-rank", "1")
    assert result.exit_code == 0 and "unchanged: 1" in result.stdout
    assert "malformed" in result.stdout and "Teams.csv line 5" in result.stdout
    assert run("ingest", "meta-kaggle", str(tmp_path / "nope")).exit_code == 2
    result = run("ingest", "meta-kaggle", str(root), "--segment", "all", "--json")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["new"], summary["unchanged"], summary["competitions"]) == (1, 4, 3)  # + the InClass one


def test_catalog_from_a_file_stores_competitions_and_queues_links(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_MODEL", "fake")
    path = tmp_path / "competitions.yml"
    path.write_text(CATALOG, encoding="utf-8")
    result = run("ingest", "catalog", "--file", str(path), "--limit", "0", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["competitions"], summary["fetched"], summary["targets"]) == (2, 0, 4)
    status = json.loads(run("ingest", "status", "--json").stdout)
    assert status["by_state"]["queued"] == 4 and status["by_source"] == {"blog": 2, "github": 1, "kaggle": 1}
    assert run("ingest", "catalog", "--file", str(path), "--url", "https://x.example/c.yml").exit_code == 2
