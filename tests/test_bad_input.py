"""Bad input everywhere: every case gets an answer or a clear message (the text a user sees), never a traceback.

Queries, broken index files, a damaged database, malformed manifest lines, catalog YAML and Meta
Kaggle CSV rows, and mirror paths that try to leave their folder.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ingest.errors import FetchError
from ingest.http import Fetcher, Response
from ingest.mirror import safe_path
from tests.fixtures.canned_http import Canned
from tests.fixtures.meta_kaggle_dump import write_dump
from tests.fixtures.mini_mirror import write_mirror
from tests.test_cli import run_main

NO_WORDS = "Error: the query has no words to search for (only punctuation or symbols)"


@pytest.fixture
def home(built_kb, monkeypatch) -> Path:
    """The mini mirror ingested with the fake embedder; the CLI sees it through KB_HOME and KB_MODEL."""
    monkeypatch.setenv("KB_MODEL", "fake")
    return built_kb.settings.home


def cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert "Traceback" not in out + err
    return code, out, err


# -- queries ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "code", "message"), [
    ("", 2, "Error: the query is empty: type a few words to search for"),
    ("   \t ", 2, "Error: the query is empty"),
    ("?!... ---", 2, NO_WORDS),
    ('"', 2, NO_WORDS),
    ("*", 2, NO_WORDS),
    (":", 2, NO_WORDS),
    ("( ) ^ -", 2, NO_WORDS),
    ("\udcff\udcfe", 2, NO_WORDS),  # undecodable bytes from the shell arrive as lone surrogates
])
def test_queries_without_words_get_a_clear_message(home, monkeypatch, capsys, query, code, message):
    got, _, err = cli(monkeypatch, capsys, "search", query)
    assert got == code and message in err


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
@pytest.mark.parametrize("query", [
    "NOT boosting", "boosting NOT", "lag AND", "OR OR", "features*", "title:galaxy", "text:lag heading:x",
    "NEAR(lag features)", '"unbalanced quote', 'say "lag features"', "^start -minus", "{a b}: c", "a'b",
    "梯度提升 gradient бустинг 🚀", "e\u0301te\u0301 Ωmega", "lag\udcfffeatures",
])
def test_fts_syntax_and_mixed_scripts_are_plain_words(home, monkeypatch, capsys, query, mode):
    code, out, err = cli(monkeypatch, capsys, "search", query, "--mode", mode, "--k", "3")
    assert code == 0, err
    assert out.strip() == "No results." or out.lstrip().startswith("1. ")


def test_stop_words_only_still_search(home, monkeypatch, capsys):
    code, out, _ = cli(monkeypatch, capsys, "search", "the", "and", "of", "with", "--mode", "keyword")
    assert code == 0 and out.lstrip().startswith("1. ")


@pytest.mark.parametrize("query", ["boosting lag features " * 5000, "x" * 100_000])
def test_a_100kb_query_is_answered(home, monkeypatch, capsys, query):
    assert len(query) >= 100_000
    code, out, _ = cli(monkeypatch, capsys, "search", query, "--json")
    data = json.loads(out)
    assert code == 0 and isinstance(data["results"], list)
    code, out, _ = cli(monkeypatch, capsys, "recommend", query, "--k", "2", "--json")
    assert code == 0 and "techniques" in json.loads(out)


def test_control_characters_reach_the_api_safely(built_kb):
    assert built_kb.search("lag\x00features\x1b[31m", k=2)
    assert built_kb.search("lag\udcfffeatures", k=2, mode="dense")


# -- broken index files and database ------------------------------------------------------------

def _truncate(index: Path) -> None:
    data = (index / "dense.faiss").read_bytes()
    (index / "dense.faiss").write_bytes(data[: len(data) // 2])


def _scramble(index: Path) -> None:
    size = (index / "dense.faiss").stat().st_size
    (index / "dense.faiss").write_bytes(b"\x00garbage" * (size // 8) + b"\x00" * (size % 8))


def _bad_meta(index: Path) -> None:
    (index / "dense.json").write_text('{"model": "fake-hash-256", "dim": ', encoding="utf-8")


def _other_model(index: Path) -> None:
    meta = json.loads((index / "dense.json").read_text(encoding="utf-8"))
    (index / "dense.json").write_text(json.dumps({**meta, "model": "some-other-model"}), encoding="utf-8")


def _missing(index: Path) -> None:
    (index / "dense.faiss").unlink()


@pytest.mark.parametrize(("damage", "code", "says"), [
    (_truncate, 4, "dense.faiss is truncated or was overwritten"),
    (_scramble, 4, "dense.faiss is corrupt or truncated"),
    (_bad_meta, 4, "dense.json is unreadable"),
    (_other_model, 4, "was built with model 'some-other-model'"),
    (_missing, 3, "the vector index has not been built yet"),
])
def test_a_damaged_index_names_the_rebuild_command(home, monkeypatch, capsys, damage, code, says):
    damage(home / "index")
    got, _, err = cli(monkeypatch, capsys, "search", "lag", "features")
    assert got == code and says in err and "run `kb index rebuild`" in err
    assert cli(monkeypatch, capsys, "search", "lag", "features", "--mode", "keyword")[0] == 0  # still usable
    got, out, _ = cli(monkeypatch, capsys, "check")
    assert got == 1 and "FAIL vector index" in out and "fix: kb index rebuild" in out
    assert cli(monkeypatch, capsys, "index", "rebuild")[0] == 0
    assert cli(monkeypatch, capsys, "search", "lag", "features")[0] == 0
    assert cli(monkeypatch, capsys, "check")[0] == 0


def test_a_damaged_database_file_is_a_message(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_MODEL", "fake")
    home = Path(os.environ["KB_HOME"])
    home.mkdir(parents=True)
    (home / "kb.sqlite").write_bytes(b"this is not a database file at all " * 200)
    for args in (["search", "boosting"], ["check"], ["ingest", "mirror", str(write_mirror(tmp_path / "m"))]):
        code, _, err = cli(monkeypatch, capsys, *args)
        assert code == 1 and "kb.sqlite is damaged or not a kb database" in err and "kb ingest mirror" in err


# -- malformed ingest input ---------------------------------------------------------------------

def test_bad_manifest_lines_and_files_are_reported_and_the_rest_ingested(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_MODEL", "fake")
    (tmp_path / "outside.md").write_text("# Private\n\nA file next to the mirror that no manifest may reach.\n")
    rows = [
        {"url": "javascript:alert(1)", "path": "snapshots/github/alice/galaxy-shapes/README.md",
         "content_type": "text/markdown", "source": "github"},
        {"url": "https://evil.example/up", "path": "../outside.md", "content_type": "text/markdown", "source": "blog"},
        {"url": "https://evil.example/abs", "path": str(tmp_path / "outside.md"), "content_type": "text/markdown",
         "source": "blog"},
        {"url": "https://evil.example/link", "path": "snapshots/link.md", "content_type": "text/markdown",
         "source": "blog"},
        {"url": "https://evil.example/png", "path": "snapshots/picture.md", "content_type": "text/markdown",
         "source": "blog"},
    ]
    mirror = write_mirror(tmp_path / "mirror", extra_rows=rows)
    (mirror / "snapshots" / "link.md").symlink_to(tmp_path / "outside.md")
    (mirror / "snapshots" / "picture.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    with (mirror / "manifest.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"url": "https://x.example/1", "path": \n[1, 2]\n{"url": "https://x.example/2"}\n')
    code, out, _ = cli(monkeypatch, capsys, "ingest", "mirror", str(mirror))
    assert code == 0
    for line in ("manifest.jsonl line 6: url is not an http(s) URL: 'javascript:alert(1)'",
                 "manifest.jsonl line 11: Expecting value", "manifest.jsonl line 12: not a JSON object",
                 "manifest.jsonl line 13: missing path, content_type, source",
                 "https://evil.example/up: '../outside.md' leads outside the mirror folder",
                 "https://evil.example/abs: '", "https://evil.example/link: 'snapshots/link.md' leads outside",
                 "https://evil.example/png: binary content (PNG image)"):
        assert line in out, line
    assert "new: 4" in " ".join(out.split())
    code, out, _ = cli(monkeypatch, capsys, "search", "Private", "file", "--mode", "keyword")
    assert code == 0 and "evil.example" not in out


def test_symlinks_inside_the_mirror_are_followed_only_within_it(tmp_path):
    root = tmp_path / "mirror"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "real.md").write_text("inside", encoding="utf-8")
    (root / "docs" / "alias.md").symlink_to(root / "docs" / "real.md")
    (tmp_path / "elsewhere").mkdir()
    (root / "away").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert safe_path(root, "docs/alias.md") == (root / "docs" / "real.md").resolve()
    assert safe_path(root, "away/anything.md") is None
    assert safe_path(root, "docs/../../elsewhere/x.md") is None
    assert safe_path(root, ".") is None and safe_path(root, "") is None


@pytest.mark.parametrize(("catalog", "expected"), [
    ("competitions:\n  - title: [unclosed\n", "catalog is not valid YAML at line 3, column 1"),
    ("competitions:\n  - just a string\n  - title: No link\n    link: https://example.org/x\n",
     "entry 2 ('No link'): no Kaggle competition link"),
    ("competitions: 12\n", "catalog has no 'competitions' list"),
])
def test_a_malformed_catalog_is_reported_and_documents_still_ingested(monkeypatch, capsys, tmp_path, catalog,
                                                                      expected):
    monkeypatch.setenv("KB_MODEL", "fake")
    mirror = write_mirror(tmp_path / "mirror")
    (mirror / "catalog" / "competitions.yml").write_text(catalog, encoding="utf-8")
    code, out, _ = cli(monkeypatch, capsys, "ingest", "mirror", str(mirror))
    assert code == 0 and expected in out and "new: 4" in " ".join(out.split())


def test_malformed_meta_kaggle_rows_are_reported_with_file_and_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_MODEL", "fake")
    dump = write_dump(tmp_path / "meta")
    code, out, _ = cli(monkeypatch, capsys, "ingest", "meta-kaggle", str(dump))
    assert code == 0
    assert "Teams.csv line 5: expected 7 fields, found 5" in out
    assert "Teams.csv line 6: bad CompetitionId 'oops'" in out
    summary = json.loads(cli(monkeypatch, capsys, "ingest", "meta-kaggle", str(dump), "--json")[1])
    assert summary["unchanged"] >= 2 and summary["skipped"] >= 2  # the good rows were stored the first time


def test_download_size_cap():
    big = Response("https://example.org/huge", 200, {"content-type": "text/html"}, b"<p>" + b"x" * 5000)
    fetcher = Fetcher(Canned({"https://example.org/huge": big}), max_bytes=1000)
    with pytest.raises(FetchError) as e:
        fetcher.fetch("https://example.org/huge")
    assert "too_large: https://example.org/huge (5003 bytes > 1000)" in str(e.value)


# -- safety: scraped text is data, never code or markup -----------------------------------------

REPO = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", ".git", "node_modules", "build", "dist", "data"}
UNSAFE = re.compile(
    r"\bimport pickle\b|\bfrom pickle\b|\bc?pickle\.loads?\(|\bdill\b|\bmarshal\.loads?\(|\bshelve\.open\("
    r"|(?<![\w.])eval\(|(?<![\w.])exec\(|allow_pickle\s*=\s*True|torch\.load\(|joblib\.load\("
    r"|yaml\.unsafe_load|yaml\.load\((?!.*Loader=(?:yaml\.)?(?:C?SafeLoader|_LOADER))"
    r"|unsafe_allow_html\s*=\s*True|components\.html\(|\bst\.html\(|shell\s*=\s*True"
)


def _python_files() -> list[Path]:
    here = Path(__file__).resolve()
    return [p for p in REPO.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(REPO).parts) and p != here]


def test_the_unsafe_pattern_catches_what_it_should():
    for bad in ("import pickle", "obj = pickle.load(fh)", "eval(text)", "x = exec(code)", "torch.load(path)",
                "np.load(p, allow_pickle=True)", "yaml.load(text)", "yaml.load(t, Loader=yaml.Loader)",
                'st.markdown(body, unsafe_allow_html=True)', "st.html(page)", "run(cmd, shell=True)"):
        assert UNSAFE.search(bad), bad
    for fine in ("model.eval()", "np.load(p, allow_pickle=False)", "yaml.load(t, Loader=_LOADER)",
                 "yaml.safe_load(text)", "# no pickle here", "evaluate(x)", "st.markdown(escape(body))"):
        assert not UNSAFE.search(fine), fine


def test_no_pickle_eval_exec_or_raw_html_in_the_code():
    files = _python_files()
    assert len(files) > 50 and REPO / "app.py" in files and REPO / "kb" / "app" / "render.py" in files
    hits = [f"{path.relative_to(REPO)}:{n}: {line.strip()}"
            for path in files for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if UNSAFE.search(line)]
    assert hits == []


def test_yaml_is_always_read_with_a_safe_loader():
    import yaml

    from kb.text import safe_yaml

    loader = safe_yaml._LOADER
    assert issubclass(loader, yaml.SafeLoader) or loader.__name__ == "CSafeLoader"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>",
                                 "vbscript:x", "file:///etc/passwd", "//evil.example/x", "/relative/path",
                                 "https://", "http://exa mple.org", " javascript:alert(1)"])
def test_only_http_links_reach_the_app(url):
    from kb.app.render import link, safe_url

    assert safe_url(url) is None
    assert "](" not in link("a write-up", url)


def test_hostile_writeup_text_renders_as_escaped_text():
    from kb.app.writeup import document_markdown

    text = ("# Title <script>alert(1)</script>\n\nSee [here](javascript:alert(1)) and ![x](https://t.example/p.png)"
            " <img src=x onerror=alert(2)> <a href=\"https://evil.example\">click</a> $\\frac{1}{2}$ :red[boo]\n")
    out = document_markdown(text)
    assert out.startswith("### Title ")
    formula = "$\\frac{1}{2}$"  # rendered as math (KaTeX), the rest escaped
    assert formula in out and re.findall(r"(?<!\\)[<>\[\]$]", out.replace(formula, "")) == []
    assert "\\<script\\>" in out and "\\<img src\\=x" in out


def test_the_only_script_the_app_runs_is_the_fixed_scroll_with_no_write_up_text():
    """``st.iframe`` runs HTML: allowed once, for the document view's scroll script, whose only parameter is
    a constant anchor id (never anything from a write-up or a URL)."""
    from kb.app.views import document

    calls = [f"{path.relative_to(REPO)}: {line.strip()}" for path in _python_files()
             for line in path.read_text(encoding="utf-8").splitlines()
             if re.search(r"\biframe\(|components\.v1|\bst\.components\b", line)]
    assert calls == ['kb/app/views/document.py: st.iframe(_SCROLL.format(anchor=json.dumps(PASSAGE_ANCHOR)),'
                     ' height="content")']
    assert re.fullmatch(r"[a-z][a-z0-9-]*", document.PASSAGE_ANCHOR)
    assert re.findall(r"(?<!\{)\{(\w+)\}(?!\})", document._SCROLL) == ["anchor"]
