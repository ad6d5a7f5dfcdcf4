"""Property tests: cleaners, chunker, extractor, query handling and rendering never let an exception escape.

Inputs are random bytes, random HTML trees, random markdown/reST built from hostile pieces and
random text in many scripts. ``max_examples`` stays modest so the file runs in well under 30 s.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.catalog import parse_catalog
from ingest.mirror import load_manifest, safe_path
from kb.api import KnowledgeBase
from kb.app.render import escape_markdown, highlight
from kb.app.writeup import document_markdown
from kb.documents import process
from kb.embed import FakeEmbedder
from kb.errors import EmptyQueryError, ExtractError
from kb.records import STATUSES, CompetitionLink, FetchedDocument
from kb.search.engine import MAX_QUERY_CHARS, clean_query
from kb.search.keyword import fts_query
from kb.search.snippets import best_window
from kb.techniques.extract import extract
from kb.techniques.vocab import load_vocabulary
from kb.text.chunking import chunk_text, count_words
from kb.text.clean import clean

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTENT_TYPES = st.sampled_from(["text/html", "text/markdown", "text/x-rst", "text/plain", "application/json",
                                 "application/octet-stream", "", "text/html; charset=shift_jis",
                                 "text/plain; charset=nonsense-8", "image/png"])
CHARSETS = st.sampled_from([None, "utf-8", "latin-1", "utf-16", "cp1252", "gb2312", "not-a-charset", ""])
WORDS = st.sampled_from(["boosting", "LightGBM", "pseudo labeling", "did not help", "improved", "CNN", "fold",
                         "梯度提升", "бустинг", "ﬁne-tuning", "e\u0301", "🚀", "\u200b", "\x00", "\ufeff", "&amp;",
                         "&#x27;", "&bogus;", "\\", "`", "|", "*", "_", "NOT", '"', "1.", "-"])
TEXT = st.lists(st.one_of(WORDS, st.text(max_size=10)), max_size=30).map(" ".join)

TAGS = st.sampled_from(["p", "div", "span", "a", "h1", "h2", "h3", "ul", "ol", "li", "pre", "code", "table", "tr",
                        "td", "th", "script", "style", "nav", "footer", "article", "br", "img", "blockquote",
                        "math", "svg", "iframe", "noscript", "b", "em", "sup", "details"])
ATTRS = st.sampled_from(['', ' class="x"', ' href="javascript:alert(1)"', ' src="data:x"', " onload='y'",
                         ' style="display:none"', ' lang="zh"', ' href="https://example.org/a b"', ' x=">"'])


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda tag, attr, body, close: f"<{tag}{attr}>{body}" + (f"</{tag}>" if close else ""),
                     TAGS, ATTRS, st.lists(children, max_size=4).map("".join), st.booleans())


HTML = st.recursive(TEXT, _element, max_leaves=25).map(
    lambda body: f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
MARKDOWN_PIECES = st.sampled_from([
    "# ", "## ", "###### ", "\n", "\n\n", "```python\n", "```\n", "~~~\n", "    indented code\n", "- ", "* ", "1. ",
    "> ", "| a | b |\n|---|---|\n", "[link](http://x.example)", "![img](x.png)", "<div>", "</div>", "<!-- c -->",
    "---\ntitle: x\n---\n", "+++\ntitle = 1\n+++\n", "{% raw %}", "{{< shortcode >}}", "$$x^2$$", "\\[", "***",
    "===\n", ".. note::\n", ".. code-block:: python\n", ":ref:`x`", "`code`", "**bold**", "__init__", "\t",
])
MARKUP = st.lists(st.one_of(MARKDOWN_PIECES, TEXT), max_size=40).map("".join)


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    base = KnowledgeBase.open(tmp_path_factory.mktemp("property") / "kbhome", embedder=FakeEmbedder(), model="fake")
    yield base
    base.close()


def _check_clean(raw: bytes, content_type: str, charset: str | None = None) -> None:
    try:
        doc = clean(raw, content_type, url="https://example.org/x", declared_charset=charset)
    except ExtractError:
        return
    assert isinstance(doc.text, str) and doc.text.strip()
    assert doc.title is None or isinstance(doc.title, str)
    chunks = chunk_text(doc.text)
    assert all(c.text.strip() for c in chunks)


@FAST
@given(st.binary(max_size=3000), CONTENT_TYPES, CHARSETS)
def test_clean_survives_random_bytes(raw, content_type, charset):
    _check_clean(raw, content_type, charset)


@FAST
@given(HTML, st.sampled_from(["utf-8", "utf-16", "latin-1"]), CONTENT_TYPES)
def test_clean_survives_random_html(html, encoding, content_type):
    _check_clean(html.encode(encoding, "replace"), content_type)


@FAST
@given(MARKUP, st.sampled_from(["text/markdown", "text/x-rst", "text/plain", "text/html"]))
def test_clean_survives_random_markdown_and_rst(text, content_type):
    _check_clean(text.encode("utf-8", "surrogatepass"), content_type)


@FAST
@given(MARKUP)
def test_chunks_are_numbered_bounded_and_keep_the_words(text):
    chunks = chunk_text(text)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(c.text.strip() and count_words(c.text) <= 300 for c in chunks)
    body = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if any(w.isalnum() for line in body for w in line.split()) and count_words("\n".join(body)) <= 200:
        kept = " ".join(c.text for c in chunks)
        assert all(w in kept for line in body for w in line.split() if w.isalnum())


@FAST
@given(st.one_of(MARKUP, TEXT), TEXT)
def test_extractor_spans_lie_inside_the_text(vocab, text, heading):
    for m in extract(text, vocab, heading):
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start:m.end].strip() and isinstance(m.snippet, str)
        assert m.category and isinstance(m.helped, bool)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2000), HTML.map(str.encode), MARKUP.map(lambda t: t.encode("utf-8", "replace"))),
       CONTENT_TYPES, st.integers(0, 5))
def test_storing_any_document_never_raises_and_keeps_the_indexes_in_step(kb, raw, content_type, n):
    doc = FetchedDocument(url=f"https://example.org/doc/{n}", source="blog", raw=raw, content_type=content_type,
                          links=(CompetitionLink("made-up", n or None, None, None),))
    outcome = process(kb.conn, doc)
    assert outcome.status in STATUSES
    if outcome.status == "failed":
        assert outcome.reason and outcome.detail
    fts = kb.conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    assert fts == kb.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]


@FAST
@given(st.text(max_size=300))
def test_any_query_becomes_a_valid_fts_expression(query):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO t (body) VALUES ('gradient boosting with lag features')")
    try:
        q = clean_query(query)
    except EmptyQueryError as e:
        assert "query" in str(e)
        return
    assert 0 < len(q) <= MAX_QUERY_CHARS
    expr = fts_query(q)
    conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,)).fetchall()


@FAST
@given(st.text(max_size=400), st.text(max_size=60))
def test_rendered_text_has_no_active_markup(text, query):
    for out in (escape_markdown(text), highlight(text, query)):
        unescaped = out.replace("\\\\", "").replace("**", "")
        for i, ch in enumerate(unescaped):
            if ch in "<>[]()`$":
                assert i > 0 and unescaped[i - 1] == "\\", (text, out)
    doc = document_markdown(text)
    if "```" not in doc:  # outside code, no tag can open
        outside_code = re.sub(r"(`+).+?\1", "", doc, flags=re.S)
        assert "<" not in outside_code.replace("\\<", ""), (text, doc)


@FAST
@given(st.text(max_size=2000), st.text(max_size=80))
def test_snippets_are_short_windows(text, query):
    window = best_window(text, query)
    assert len(window) <= 300 + 4


GOOD_LINE = (b'{"url": "https://a.example/x", "path": "a.md", "content_type": "text/markdown", "source": "blog",'
             b' "rank": "first"}')


@FAST
@given(st.lists(st.one_of(st.binary(max_size=80).filter(lambda b: b"\n" not in b),
                          st.sampled_from([GOOD_LINE, b"[]", b"null", b"{}", b"   "])), max_size=15))
def test_any_manifest_line_is_a_row_or_a_located_problem(tmp_path_factory, lines):
    root = tmp_path_factory.mktemp("manifest")
    (root / "manifest.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    manifest = load_manifest(root)
    nonblank = [n for n, line in enumerate(lines, 1) if line.strip()]
    assert len(manifest.rows) + len(manifest.problems) == len(nonblank)
    assert all(p.startswith("manifest.jsonl line ") for p in manifest.problems)


@FAST
@given(st.one_of(st.text(max_size=300), st.lists(MARKDOWN_PIECES, max_size=20).map("".join),
                 st.sampled_from(["- 1\n- [2\n", "competitions: [{title: {a: b}}]", "!!python/object:os.system x",
                                  "competitions:\n  - link: kaggle.com/c/x\n    solutions: [7, {rank: 1}]\n"])))
def test_any_catalog_text_parses_or_reports(text):
    parsed = parse_catalog(text)
    assert all(isinstance(p, str) and p for p in parsed.problems)


def test_a_catalog_entry_whose_solutions_is_not_a_list_is_reported():
    parsed = parse_catalog("competitions:\n  - link: https://www.kaggle.com/c/x\n    solutions: 7\n")
    assert [e.competition.slug for e in parsed.entries] == ["x"] and "solutions" in " ".join(parsed.problems)


@FAST
@given(st.lists(st.sampled_from(["a", "b", ".", "..", "/", "\\", "~", ":", "%2e", "\x00", "/etc", "C:"]),
                max_size=12).map("".join))
def test_safe_paths_stay_inside_the_mirror(tmp_path_factory, relative):
    root = tmp_path_factory.mktemp("mirror")
    try:
        path = safe_path(root, relative)
    except ValueError:  # an embedded NUL byte: the OS refuses such a name outright
        assert "\x00" in relative
        return
    assert path is None or root.resolve() in Path(path).parents
