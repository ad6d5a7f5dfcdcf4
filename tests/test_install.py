"""What a default ``pip install -e .`` must give: every imported distribution declared, and HTML
cleaned even where trafilatura cannot be imported (lxml >= 5.2 without ``lxml_html_clean``)."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from kb.records import FetchedDocument
from kb.text.clean import clean

ROOT = Path(__file__).resolve().parents[1]
PAGE = (b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Fourth place in the demand forecast</title>"
        b"</head><body><nav>Home | Archive | About</nav><article><h1>Fourth place in the demand forecast</h1>"
        b"<p>We trained gradient boosted trees on lag and rolling-window features and validated on the last"
        b" four weeks of the training period.</p><h2>What helped</h2><ul><li>Target encoding of the store"
        b" and item ids</li><li>A blend with a small neural network</li></ul><p>The blend held up on the"
        b" private leaderboard, which is what we had hoped for after a noisy public one.</p></article>"
        b"<footer>(c) the author</footer></body></html>")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return {_normalise(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0]) for spec in specs}


def _third_party_imports() -> dict[str, str]:
    """Top-level module → a file importing it, over kb/, ingest/ and app.py."""
    files = [*ROOT.joinpath("kb").rglob("*.py"), *ROOT.joinpath("ingest").rglob("*.py"), ROOT / "app.py"]
    out: dict[str, str] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("kb", "ingest", "tests", "__future__"):
                    out.setdefault(top, str(path.relative_to(ROOT)))
    return out


def test_lxml_html_clean_is_declared_by_its_own_name():
    # "lxml[html_clean]" is not enough: pip 23.2 (Python 3.11's) does not install it through that extra
    assert "lxml-html-clean" in _declared()


def test_every_imported_distribution_is_declared():
    declared = _declared()
    providers = importlib.metadata.packages_distributions()
    providers["lxml"] = ["lxml"]  # BeautifulSoup(html, "lxml") names the parser as a string
    missing = {module: where for module, where in {**_third_party_imports(), "lxml": "kb/text/html.py"}.items()
               if not {_normalise(d) for d in providers.get(module, [module])} & declared}
    assert missing == {}


@pytest.fixture
def no_html_clean(monkeypatch):
    """An install where ``lxml.html.clean`` raises ImportError: trafilatura fails to import, as it really does."""
    before = set(sys.modules)
    for name in [m for m in sys.modules if m.split(".")[0] in ("trafilatura", "justext")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "lxml.html.clean", None)
    yield
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("trafilatura", "justext"):
            del sys.modules[name]


def test_html_is_cleaned_by_the_fallback_when_trafilatura_cannot_be_imported(no_html_clean, caplog):
    with pytest.raises(ImportError):
        importlib.import_module("trafilatura")
    doc = clean(PAGE, "text/html", url="https://ann.example/2021/fourth-place/")
    assert doc.title == "Fourth place in the demand forecast"
    assert "## What helped" in doc.text and "- Target encoding of the store and item ids" in doc.text
    assert "lag and rolling-window features" in doc.text and "private leaderboard" in doc.text
    assert "Home | Archive" not in doc.text  # navigation is still left out
    assert "BeautifulSoup fallback" in caplog.text


def test_an_html_post_is_stored_when_trafilatura_cannot_be_imported(no_html_clean, kb):
    outcome = kb.add_document(FetchedDocument(url="https://ann.example/2021/fourth-place/", source="blog",
                                              raw=PAGE, content_type="text/html"))
    assert (outcome.status, outcome.reason) == ("new", "")
    assert "target encoding" in kb.document("https://ann.example/2021/fourth-place/").text.lower()


def test_the_packages_ship_their_type_information():
    """PEP 561: ``py.typed`` in both packages and in the package data, so a wheel carries it."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    for package in ("kb", "ingest"):
        assert (ROOT / package / "py.typed").is_file() and "py.typed" in data[package]


def test_mypy_runs_in_lint_and_is_declared():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check" in lint and "mypy" in lint
    assert "mypy" in _declared()
    assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"] == [
        "kb", "ingest", "app.py"]
