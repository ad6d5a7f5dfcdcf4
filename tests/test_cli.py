"""The CLI as a user sees it: exit codes, messages and the JSON contracts."""

import json
import re

import pytest
from click.testing import CliRunner

from kb.cli import cli, main


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("KB_MODEL", "fake")

    def invoke(*args: str):
        runner = CliRunner()
        return runner.invoke(cli, list(args), catch_exceptions=True)

    return invoke


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["kb", *args])
    with pytest.raises(SystemExit) as e:
        main()
        raise SystemExit(0)
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_ingest_search_stats_json_contracts(run, mirror, monkeypatch, capsys):
    monkeypatch.setenv("KB_MODEL", "fake")
    code, out, _ = run_main(monkeypatch, capsys, "ingest", "mirror", str(mirror), "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and summary["new"] == 4 and summary["failed"] == 0
    assert {"new", "changed", "unchanged", "failed", "embedded_chunks"} <= set(summary)

    code, out, _ = run_main(monkeypatch, capsys, "search", "spectral", "features", "EEG", "--k", "2", "--json")
    data = json.loads(out)
    assert code == 0 and data["query"] == "spectral features EEG" and len(data["results"]) == 2
    first = data["results"][0]
    assert set(first) == {"url", "title", "source", "competition", "competition_title", "rank", "score", "snippet"}
    assert first["url"] == "https://carol.example/2014/seizure-detection/"

    code, out, _ = run_main(monkeypatch, capsys, "stats", "--json")
    stats = json.loads(out)
    assert (stats["documents"], stats["competitions"]) == (4, 3) and stats["chunks"] > 0

    code, out, _ = run_main(monkeypatch, capsys, "search", "lag", "features", "--source", "github")
    assert code == 0 and "Store Sales Forecast · rank 2 · github" in out


def test_empty_query_exit_code_and_message(built_kb_home, monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, "search", "   ")
    assert code == 2 and "Error: the query is empty" in err


def test_missing_kb_says_how_to_build(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_HOME", str(tmp_path / "none"))
    code, _, err = run_main(monkeypatch, capsys, "search", "boosting")
    assert code == 3 and "no knowledge base at" in err and "kb ingest mirror" in err
    code, _, err = run_main(monkeypatch, capsys, "stats")
    assert code == 3


def test_bad_mirror_path(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_MODEL", "fake")
    code, _, err = run_main(monkeypatch, capsys, "ingest", "mirror", str(tmp_path / "missing"))
    assert code == 2 and "mirror folder not found" in err


def test_help_lists_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    for name in ("ingest", "search", "stats", "index", "serve"):
        assert name in result.output


@pytest.fixture
def built_kb_home(mirror, monkeypatch, capsys):
    monkeypatch.setenv("KB_MODEL", "fake")
    monkeypatch.setenv("KB_ABSTAIN_BELOW", "0")  # calibrated for the real model, not the fake one
    code, _, _ = run_main(monkeypatch, capsys, "ingest", "mirror", str(mirror), "--json")
    assert code == 0


def test_recommend_json_contract_and_file_input(built_kb_home, monkeypatch, capsys, tmp_path):
    desc = tmp_path / "desc.txt"
    desc.write_text("Predict store sales for the coming weeks from past daily sales", encoding="utf-8")
    code, out, _ = run_main(monkeypatch, capsys, "recommend", "--file", str(desc), "--k", "3", "--json")
    data = json.loads(out)
    assert code == 0 and data["query"].startswith("Predict store sales")
    assert 0 < len(data["techniques"]) <= 3
    t = data["techniques"][0]
    assert {"name", "category", "aliases", "score", "evidence", "support"} <= set(t) and t["evidence"]
    assert data["abstained"] is False and data["profile"]["modality"] and "table_stakes" in data
    assert {"reason", "has_writeups"} <= set(data["competitions"][0])
    assert all(c["slug"] != "store-sales-forecast" for c in json.loads(run_main(
        monkeypatch, capsys, "recommend", "sales", "--exclude-competition", "store-sales-forecast", "--json")[1]
    )["competitions"])


def test_recommend_text_output_and_techniques_listing(built_kb_home, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "recommend", "galaxy", "images", "classification")
    assert code == 0 and "Read as: image" in out and "credited in" in out and "https://" in out
    labelled = r"— Galaxy Shapes Challenge \(\d{4}, rank \d+\); the quote in its write-up: https://\S+#:~:text="
    assert re.search(labelled, out)
    assert "Similar past competitions:" in out and "same modality (image)" in out
    code, out, _ = run_main(monkeypatch, capsys, "recommend", "galaxy", "images", "--modality", "audio",
                            "--task-type", "regression")
    assert code == 0 and "Read as: audio · regression" in out
    code, out, _ = run_main(monkeypatch, capsys, "recommend", "galaxy", "images", "--format", "markdown")
    assert code == 0 and out.startswith("# What won competitions like this one") and "## Similar past" in out
    code, _, err = run_main(monkeypatch, capsys, "recommend", "galaxy", "--modality", "pictures")
    assert code == 2 and "tabular" in err and "image" in err  # the valid values are listed
    code, out, _ = run_main(monkeypatch, capsys, "techniques", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) >= 150 and {"name", "category", "documents_helped"} <= set(rows[0])


def test_recommend_gibberish_gets_no_close_match(built_kb_home, monkeypatch, capsys):
    monkeypatch.setenv("KB_ABSTAIN_BELOW", "0.2")
    code, out, _ = run_main(monkeypatch, capsys, "recommend", "zqxv", "wkjh", "plmo", "rtyu")
    assert code == 0 and "No close match" in out and "Distinctive techniques" not in out
    code, out, _ = run_main(monkeypatch, capsys, "recommend", "zqxv wkjh plmo rtyu", "--json")
    data = json.loads(out)
    assert code == 0 and data["abstained"] is True and data["techniques"] == [] and "No close match" in data["message"]


def test_recommend_empty_description_is_an_error(built_kb_home, monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, "recommend")
    assert code == 2 and "the query is empty" in err


def test_eval_table_json_and_learning_curve(built_kb_home, monkeypatch, capsys, tmp_path):
    code, out, _ = run_main(monkeypatch, capsys, "eval", "--limit", "2")
    assert code == 0 and "| modality popularity |" in out and "95% CI" in out and "specific recall@10" in out
    saved = tmp_path / "eval.json"
    code, out, _ = run_main(monkeypatch, capsys, "eval", "--limit", "2", "--json", "--output", str(saved))
    report = json.loads(out)
    assert code == 0 and report == json.loads(saved.read_text(encoding="utf-8"))
    assert report["competitions"] == 2
    assert set(report["one_liner"]["gain_over_modality_popularity"]) == {"recall@10", "specific_recall@10"}
    code, out, _ = run_main(monkeypatch, capsys, "eval", "--learning-curve", "--limit", "2")
    assert code == 0 and "| share of write-ups |" in out and "| 100% |" in out


def test_techniques_candidates_lists_uncovered_credited_phrases(mirror, monkeypatch, capsys):
    # two write-ups of two competitions credit an invented trick that no vocabulary entry covers
    extra = {
        "snapshots/github/erin/galaxy-notes/README.md": (
            "galaxy-shapes", "# Galaxy notes\n\n## What worked\n\n- Zebra striping of the crops\n"
                             "- Mixup on every batch\n\nThe model improved the score.\n"),
        "snapshots/github/finn/sales-notes/README.md": (
            "store-sales-forecast", "# Sales notes\n\nZebra striping helped a lot on the weekly series.\n"),
    }
    with (mirror / "manifest.jsonl").open("a", encoding="utf-8") as fh:
        for rel, (slug, body) in extra.items():
            (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
            (mirror / rel).write_text(body, encoding="utf-8")
            fh.write(json.dumps({"url": f"https://github.com/{rel.split('/')[2]}/notes/blob/main/README.md",
                                 "path": rel, "content_type": "text/markdown", "source": "github",
                                 "competition_slug": slug, "rank": 3}) + "\n")
    monkeypatch.setenv("KB_MODEL", "fake")
    code, _, _ = run_main(monkeypatch, capsys, "ingest", "mirror", str(mirror), "--json")
    assert code == 0

    code, out, _ = run_main(monkeypatch, capsys, "techniques", "--candidates", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["phrase"] for r in rows] == ["zebra striping"]
    assert rows[0] == {"phrase": "zebra striping", "competitions": 2, "documents": 2,
                       "competition_slugs": ["galaxy-shapes", "store-sales-forecast"],
                       "quote": "- Zebra striping of the crops",
                       "url": "https://github.com/erin/notes/blob/main/README.md"}

    code, out, _ = run_main(monkeypatch, capsys, "techniques", "--candidates")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["competitions", "write-ups", "phrase"]
    assert lines[1].split() == ["2", "2", "zebra", "striping"]
    assert "“- Zebra striping of the crops” — https://github.com/erin/notes/blob/main/README.md" in lines[2]

    code, out, _ = run_main(monkeypatch, capsys, "techniques", "--candidates", "--min-competitions", "3")
    assert code == 0 and out.strip() == "No uncovered phrases credited in 3 or more competitions."
    code, _, err = run_main(monkeypatch, capsys, "techniques", "--candidates", "--limit", "0")
    assert code == 2 and "--limit" in err
    code, _, err = run_main(monkeypatch, capsys, "techniques", "--candidates", "--category", "models")
    assert code == 2 and "--category does not apply to --candidates" in err


def test_kb_ingest_is_the_ingest_package_plugged_in(run, monkeypatch):
    """kb never imports ingest: `kb ingest` reaches the command line through the kb.commands entry point."""
    import kb.cli

    assert "ingest" not in kb.cli.COMMANDS  # not one of kb's own commands
    assert kb.cli.plugin_commands()["ingest"].value == "ingest.cli:ingest"
    assert "ingest" in run("--help").output
    monkeypatch.setattr(kb.cli, "plugin_commands", dict)  # kb installed without ingest
    result = run("ingest", "mirror", "--help")
    assert result.exit_code == 2 and "No such command 'ingest'" in result.output
    assert "search" in run("--help").output


def test_serve_builds_an_empty_knowledge_base_with_kb_ingest_mirror(mirror, monkeypatch, capfd, tmp_path):
    from kb.api import KnowledgeBase
    from kb.cli.serve import build_from_mirror

    monkeypatch.setenv("KB_MODEL", "fake")
    build_from_mirror(mirror)
    assert "Ingest summary" in capfd.readouterr().err
    with KnowledgeBase.open(readonly=True) as kb:
        assert kb.counts()["documents"] == 4
    with pytest.raises(SystemExit) as e:
        build_from_mirror(tmp_path / "missing")
    assert e.value.code == 2 and "mirror folder not found" in capfd.readouterr().err


def test_serve_runs_the_packaged_page(run, monkeypatch, tmp_path):
    import kb.app.ui
    import kb.cli.serve as serve
    from kb.app.loader import Loader

    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    started: list[Loader] = []
    calls: list[list[str]] = []
    monkeypatch.setattr(kb.app.ui, "warm", lambda: started.append(Loader(str(tmp_path / "home"), "fake").start())
                        or started[-1])
    monkeypatch.setattr(serve, "run_streamlit", lambda args: calls.append(args) or 0)
    result = run("serve", "--no-build", "--port", "8999")
    assert result.exit_code == 0, result.output
    [args] = calls
    assert args[:2] == ["run", str(serve.app_page())] and "8999" in args
    assert len(started) == 1  # loading started before the server
    assert serve.app_page().is_file() and serve.app_page().parts[-3:] == ("kb", "app", "main.py")


HEAVY = ("torch", "sentence_transformers", "onnxruntime", "streamlit", "pandas")
PROBE = """
import json, sys
from kb.cli import main
sys.argv = ["kb", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy} or m in ("kb.api", "faiss"))),
      file=sys.stderr)
"""


def _loaded(*args: str) -> list[str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=set(HEAVY)), *args], capture_output=True,
                          text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_commands_import_only_what_they_use(mirror, monkeypatch, capsys):
    """`kb --help` loads no library at all; `kb search` loads the knowledge base but neither a model
    backend nor the web app."""
    assert _loaded("--help") == []
    assert _loaded("search", "--help") == []
    monkeypatch.setenv("KB_MODEL", "fake")
    assert run_main(monkeypatch, capsys, "ingest", "mirror", str(mirror))[0] == 0
    assert _loaded("search", "lag", "features", "--json") == ["faiss", "kb.api"]


# -- output formats and bad filter values -------------------------------------------------------------------

def test_search_as_csv_has_the_json_results_in_order(built_kb_home, monkeypatch, capsys):
    import csv
    import io

    code, out, _ = run_main(monkeypatch, capsys, "search", "lag", "features", "--k", "3", "--json")
    as_json = json.loads(out)["results"]
    code_fmt, out_fmt, _ = run_main(monkeypatch, capsys, "search", "lag", "features", "--k", "3", "--format", "json")
    assert code == code_fmt == 0 and json.loads(out_fmt)["results"] == as_json  # --json is --format json
    code, out, _ = run_main(monkeypatch, capsys, "search", "lag", "features", "--k", "3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    header = "position,score,title,url,source,competition,competition_title,rank,snippet"
    assert code == 0 and out.splitlines()[0] == header
    assert [r["url"] for r in rows] == [r["url"] for r in as_json] and len(rows) == len(as_json) > 0
    assert [r["position"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    first = as_json[0]
    assert rows[0]["title"] == first["title"] and float(rows[0]["score"]) == first["score"]
    assert rows[0]["snippet"] == first["snippet"]
    assert rows[0]["rank"] == ("" if first["rank"] is None else str(first["rank"]))
    code, out, _ = run_main(monkeypatch, capsys, "search", "zqxvwk", "--format", "csv", "--mode", "keyword")
    assert code == 0 and out.splitlines() == [header]


@pytest.mark.parametrize(("args", "message"), [
    (["--modality", "pictures"], "unknown modality 'pictures': choose from tabular, image, text, audio, signal/time"
                                 " series, video, graph/molecule, simulation/game, optimisation"),
    (["--source", "githb"], "no document comes from source 'githb': choose from blog, github"),
    (["--kind", "Featurd"], "no competition is of kind 'Featurd': choose from Featured, Playground, Research"),
    (["--competition", "galaxy-shape"], "no competition in the catalog is called 'galaxy-shape': did you mean"
                                        " galaxy-shapes?"),
    (["--year-min", "2020", "--year-max", "2010"], "the year range is empty: year_min 2020 is after year_max 2010"),
    (["--max-rank", "0"], "max_rank must be at least 1, got 0"),
])
def test_a_filter_value_that_cannot_match_is_bad_input_with_the_valid_values(built_kb_home, monkeypatch, capsys, args,
                                                                              message):
    code, out, err = run_main(monkeypatch, capsys, "search", "lag", "features", *args)
    assert (code, out) == (2, "") and err == f"Error: {message}\n"
    if args[0] != "--modality":  # recommend's --modality reads the query as that modality (a choice of its own)
        code, out, err = run_main(monkeypatch, capsys, "recommend", "sales", "forecast", *args)
        assert (code, out) == (2, "") and err == f"Error: {message}\n"


def test_valid_filters_still_answer_and_case_of_kind_does_not_matter(built_kb_home, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "search", "features", "--kind", "featured", "--modality", "image",
                            "--json")
    assert code == 0 and {r["competition"] for r in json.loads(out)["results"]} == {"galaxy-shapes"}
    code, out, _ = run_main(monkeypatch, capsys, "search", "features", "--exclude-competition", "no-such-one", "--json")
    assert code == 0 and json.loads(out)["results"]  # leaving out what is not there is fine


def test_the_library_refuses_filters_that_can_never_match(built_kb):
    from kb import BadInputError, FilterError

    with pytest.raises(FilterError, match="unknown modality 'pictures'") as e:
        built_kb.search("features", modality="pictures")
    assert isinstance(e.value, BadInputError) and e.value.exit_code == 2
    with pytest.raises(FilterError, match="year range is empty"):
        built_kb.recommend("sales forecast", year_min=2021, year_max=2014)
    assert built_kb.search("features", source="nowhere") == []  # a value nothing has yet: an empty answer
    with pytest.raises(FilterError, match="no document comes from source 'nowhere': choose from blog, github"):
        built_kb.check_filters(source="nowhere", stored=True)
