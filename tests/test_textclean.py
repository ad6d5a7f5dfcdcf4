"""Cleaning every content type into markdown-lite; fixtures are written for these tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import ExtractError
from kb.text.chunking import chunk_text
from kb.text.clean import clean, decode_bytes, guess_language, looks_binary

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_OUTSIDE_CODE = re.compile(r"^(`{3,}|~{3,}).*?^\1|`[^`\n]*`", re.M | re.S)


def prose(text: str) -> str:
    """The text with fenced and inline code removed."""
    return _OUTSIDE_CODE.sub("", text)


MARKDOWN_POST = """---
title: "Boosting on a budget"
author: Test Writer
date: 2021-05-04
tags: [gbm, tabular]
---

Our team finished **third** with a blend of [gradient boosting](https://example.org/gbm) models.
[![build](https://img.example.org/badge.svg)](https://ci.example.org) ![diagram](pipeline.png)

## Features

* rolling means over 7 and 28 days
* target encoding with *five* folds

```python
import lightgbm as lgb
model = lgb.LGBMRegressor()
```

| model | score |
|-------|-------|
| lgbm  | 0.91  |
| catboost | 0.90 |

The loss was $\\sum_i (y_i - \\hat{y}_i)^2$ and nothing else.
"""


def test_markdown_front_matter_links_images_lists_code_tables() -> None:
    doc = clean(MARKDOWN_POST.encode(), "text/markdown", url="https://blog.example.org/post.md")
    assert doc.title == "Boosting on a budget"
    assert doc.meta == {"title": "Boosting on a budget", "author": "Test Writer", "date": "2021-05-04",
                        "tags": "gbm, tabular"}
    assert doc.language == "en"
    text = doc.text
    assert text.startswith("Our team finished third with a blend of gradient boosting models.")
    assert "---" not in text and "author:" not in text
    assert "http" not in text and "badge" not in text and "diagram" not in text and "**" not in text
    assert "## Features\n\n- rolling means over 7 and 28 days\n- target encoding with five folds" in text
    assert "```python\nimport lightgbm as lgb\nmodel = lgb.LGBMRegressor()\n```" in text
    assert "model | score\nlgbm | 0.91\ncatboost | 0.90" in text
    assert "$\\sum_i (y_i - \\hat{y}_i)^2$" in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "\n\n\n" not in text


def test_malformed_front_matter_is_kept_as_text() -> None:
    raw = b"---\ntitle: {never closed\n  and: [then, indented\n---\n\n# Real heading\n\nThe body survives.\n"
    doc = clean(raw, "text/markdown")
    assert doc.meta == {}
    assert doc.title == "Real heading"
    assert doc.text.endswith("# Real heading\n\nThe body survives.")
    assert "---" not in doc.text


def test_front_matter_that_yaml_rejects_but_jekyll_reads() -> None:
    raw = b"---\nlayout: post\ntitle: (Rank 3) Trees: a story\ntags:\tml\n---\nBody.\n"
    doc = clean(raw, "text/markdown")
    assert doc.meta == {"layout": "post", "title": "(Rank 3) Trees: a story", "tags": "ml"}
    assert doc.text == "Body."


def test_toml_front_matter() -> None:
    raw = b'+++\ntitle = "Hugo style"\ndate = 2019-02-03\ntags = ["nlp"]\n+++\n\nText of the post.\n'
    doc = clean(raw, "text/markdown")
    assert doc.meta == {"title": "Hugo style", "date": "2019-02-03", "tags": "nlp"}
    assert doc.text == "Text of the post."


def test_setext_headings_become_atx() -> None:
    raw = b"Main title\n==========\n\nIntro words.\n\nA section\n---------\n\nSection words.\n"
    doc = clean(raw, "text/markdown")
    assert doc.text == "# Main title\n\nIntro words.\n\n## A section\n\nSection words."
    assert doc.title == "Main title"


def test_html_blocks_inside_markdown_keep_headings_and_drop_tags() -> None:
    raw = (
        b'<p align="center"><img src="logo.png" alt="logo"></p>\n\n'
        b"<h2>Approach</h2>\n"
        b"<p>We used a <b>U-Net</b> with a <a href='https://x.example'>ResNet</a> encoder.</p>\n"
        b"<!-- a comment nobody should see -->\n\n"
        b"Then some *markdown* again.<br>With a break.\n"
    )
    doc = clean(raw, "text/markdown")
    assert doc.text == (
        "## Approach\n\nWe used a U-Net with a ResNet encoder.\n\nThen some markdown again.\nWith a break."
    )


def test_jekyll_and_hugo_template_tags() -> None:
    raw = (
        b"{% include toc %}\n\nIntro paragraph.{: .notice--info}\n\n"
        b"{% highlight python %}\nprint('{:.2f}'.format(x))\n{% endhighlight %}\n\n"
        b'{{< figure src="cv.png" caption="Validation score against the leaderboard" >}}\n\n'
        b"![chart]({{ site.baseurl }}/img/chart.png)\n"
    )
    doc = clean(raw, "text/markdown")
    assert doc.text == (
        "Intro paragraph.\n\n```python\nprint('{:.2f}'.format(x))\n```\n\n"
        "Validation score against the leaderboard"
    )


def test_long_code_blocks_are_truncated() -> None:
    code = "\n".join(f"step_{i}()" for i in range(100))
    doc = clean(f"Some text.\n\n```\n{code}\n```\n".encode(), "text/markdown")
    lines = doc.text.splitlines()
    assert "step_39()" in lines and "step_40()" not in lines
    assert lines[-2:] == ["...", "```"]


PAGE = """<!DOCTYPE html>
<html><head><title>Winning the sensor challenge | My blog</title>
<meta property="og:title" content="Winning the sensor challenge">
<meta name="author" content="Page Author">
<style>body { color: red; }</style><script>var tracking = "do-not-index";</script></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article>
<h1>Winning the sensor challenge</h1>
<p>This post explains how we placed first in a competition about classifying sensor readings from
industrial machines. The data came as long time series with many missing values.</p>
<h2>Preprocessing</h2>
<p>We resampled every series to one reading per second, filled short gaps by interpolation and
dropped machines that reported fewer than a hundred readings in total.</p>
<ul><li>interpolation for gaps under ten seconds</li><li>per-machine standardisation</li></ul>
<h2>Models</h2>
<p>A one-dimensional convolutional network over windows of sixty seconds did most of the work, and a
gradient boosting model over hand-made window statistics added a small but steady gain.</p>
<pre><code>window = 60
stride = 15</code></pre>
<p>The final blend averaged both models with equal weights after rank normalisation.</p>
</article>
<footer>Copyright and unrelated links</footer>
</body></html>"""


def test_html_page_main_text_headings_and_title() -> None:
    doc = clean(PAGE.encode(), "text/html; charset=utf-8", url="https://blog.example.org/sensors/")
    assert doc.title == "Winning the sensor challenge"
    assert doc.meta.get("author") == "Page Author"
    text = doc.text
    assert "## Preprocessing" in text and "## Models" in text
    assert "interpolation for gaps under ten seconds" in text
    assert "window = 60" in text
    assert "do-not-index" not in text and "color: red" not in text
    assert not re.search(r"<[a-z/][^>]*>", prose(text))


def test_html_page_saved_as_markdown_is_cleaned_as_html() -> None:
    doc = clean(PAGE.encode(), "text/markdown", url="https://github.com/x/y/blob/main/report.md")
    assert doc.title == "Winning the sensor challenge"
    assert "## Models" in doc.text
    assert "<p>" not in doc.text and "do-not-index" not in doc.text


def test_a_pipe_table_markdown_did_not_recognise_is_kept_as_table_rows() -> None:
    """Forum posts put a table straight under a sentence, with a separator row narrower than the header:
    not a table to CommonMark (the rows would fold into one line of pipes), still rows to a reader."""
    raw = ("We compared our models as follows:\n| Model | CV | Public LB |\n| --- | --- |\n"
           "| TabM | 0.9768 | 0.9776 |\n| XGBoost | 0.9765 | N/A | \nAfter that we blended them.\n\n"
           "A pipe | inside prose | is not a table.\n")
    text = clean(raw.encode(), "text/markdown").text
    assert ("We compared our models as follows:\n\nModel | CV | Public LB\nTabM | 0.9768 | 0.9776\n"
            "XGBoost | 0.9765 | N/A\n\nAfter that we blended them.") in text
    assert "A pipe | inside prose | is not a table." in text


def test_old_table_layout_page_falls_back_to_the_dom_walker() -> None:
    paragraphs = "".join(
        f"<p>{n}. Part {n}</p><p>Sentence {n} describes one more step of the method in plain words.</p>"
        for n in range(1, 6)
    )
    raw = f"<html><title>Report</title><body><table><tr><td>{paragraphs}</td></tr></table></body></html>"
    doc = clean(raw.encode(), "text/html")
    assert "## 1. Part 1\n\nSentence 1 describes one more step of the method in plain words." in doc.text
    assert "|" not in doc.text


def test_broken_html_does_not_raise() -> None:
    raw = b"<html><body><h2>Unclosed section<p>first <b>bold <i>words<li>loose item<div><p>last words"
    doc = clean(raw, "text/html")
    for words in ("Unclosed section", "first", "loose item", "last words"):
        assert words in doc.text
    assert "<" not in doc.text


RST = """Solution notes
==============

Short intro with a `project link <https://example.org/repo>`_ and ``inline code``.

.. contents::

Training
--------

We trained for ten epochs.

.. note::

   Keep the learning rate small.

.. image:: curve.png

.. include:: /etc/hostname

.. raw:: html

   <b>raw html must not pass</b>

Details
~~~~~~~

::

    python train.py --epochs 10

- first point
- second point
"""


def test_rst_headings_directives_and_literals() -> None:
    doc = clean(RST.encode(), "text/x-rst")
    assert doc.title == "Solution notes"
    text = doc.text
    assert text.startswith("# Solution notes\n\nShort intro with a project link and `inline code`.")
    assert "## Training\n\nWe trained for ten epochs.\n\nKeep the learning rate small." in text
    assert "### Details\n\n```\npython train.py --epochs 10\n```\n\n- first point\n- second point" in text
    assert "raw html" not in text and "curve.png" not in text and "https://" not in text


def test_plain_text_keeps_paragraphs_and_promotes_clear_headings() -> None:
    raw = (
        b"#####################\n# Project banner line\n#####################\n\n"
        b"Overview\n========\n\nA short description of the work.\nIt spans two lines.\n\n"
        b"1. Requirements\n\nPython and a GPU.\n\n"
        b"HOW TO RUN\n\n- step one\n- step two\n\n"
        b"2. this numbered line is a sentence, not a heading.\n"
    )
    doc = clean(raw, "text/plain", url="https://github.com/x/y/blob/main/README")
    assert doc.text == (
        "Project banner line\n\n# Overview\n\nA short description of the work.\nIt spans two lines.\n\n"
        "## 1. Requirements\n\nPython and a GPU.\n\n## HOW TO RUN\n\n- step one\n- step two\n\n"
        "2. this numbered line is a sentence, not a heading."
    )
    assert doc.title == "Overview"


def test_text_plain_with_markdown_extension_is_markdown() -> None:
    doc = clean(b"# Title\n\nSome [linked](https://x.example) words.\n", "text/plain; charset=utf-8",
                url="https://raw.example.org/u/r/main/My%20Notes.md")
    assert doc.text == "# Title\n\nSome linked words."


def test_unknown_content_type_is_sniffed() -> None:
    as_html = clean(PAGE.encode(), "application/octet-stream")
    assert "## Models" in as_html.text and "<p>" not in as_html.text
    as_md = clean(b"## Heading\n\n*Body* text.\n", "")
    assert as_md.text == "## Heading\n\nBody text."


LATIN = "Résumé of the café team: naïve Bayes über alles, señor. Müller façade."
CHINESE = "我们的方案：使用梯度提升树和神经网络进行模型融合，最终得分很高。"


@pytest.mark.parametrize(
    ("raw", "declared", "expected"),
    [
        (LATIN.encode("latin-1"), None, LATIN),
        (("Notes\n" + CHINESE + "\nEnd").encode("gb18030"), None, "Notes\n" + CHINESE + "\nEnd"),
        (b"\xef\xbb\xbf" + "Über BOM".encode(), None, "Über BOM"),
        (LATIN.encode("utf-8"), "iso-8859-1", LATIN),  # wrong declaration: valid UTF-8 wins
        (LATIN.encode("latin-1"), "utf-8", LATIN),  # wrong declaration the other way
        (CHINESE.encode("gb18030"), "gb2312", CHINESE),
        ("Ceci n'est pas très long".encode("cp1252"), "windows-1252", "Ceci n'est pas très long"),
        (b"plain ascii", "no-such-charset", "plain ascii"),
    ],
)
def test_decode_bytes(raw: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(raw, declared) == expected


def test_clean_decodes_with_charset_from_content_type() -> None:
    doc = clean(LATIN.encode("latin-1"), "text/plain; charset=ISO-8859-1")
    assert doc.text == LATIN


def test_clean_decodes_with_charset_from_html_meta() -> None:
    russian = "Мы использовали градиентный бустинг."
    page = f'<html><head><meta charset="windows-1251"></head><body><p>{russian}</p></body></html>'
    assert clean(page.encode("cp1251"), "text/html").text == russian
    http_equiv = 'http-equiv="Content-Type" content="text/html; charset=koi8-r"'
    declared = page.replace('charset="windows-1251"', http_equiv)
    assert clean(declared.encode("koi8-r"), "text/html").text == russian


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
        (b"%PDF-1.7\n%binary", "PDF"),
        (b"PK\x03\x04zipped", "ZIP"),
        (b"\x1f\x8b\x08\x00gzipped", "gzip"),
        (b"text with a \x00 NUL byte", "NUL"),
        (bytes([1, 2, 3, 4, 5, 6, 7, 8]) * 20 + b"some text", "control"),
    ],
)
def test_binary_input_is_rejected(raw: bytes, reason: str) -> None:
    assert looks_binary(raw)
    with pytest.raises(ExtractError, match=reason):
        clean(raw, "text/html", url="https://x.example/file")


def test_text_is_not_binary() -> None:
    assert not looks_binary("Plain words\twith tabs\nand lines. ✓".encode())
    assert not looks_binary(CHINESE.encode("gb18030"))
    assert not looks_binary("\ufeffUTF-16 text".encode("utf-16"))


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [(b"", "text/markdown"), (b"  \n\t\n", "text/plain"),
     (b"<html><head><script>x = 1</script></head><body> </body></html>", "text/html"),
     (b"---\ntitle: only front matter\n---\n", "text/markdown")],
)
def test_empty_documents_raise(raw: bytes, content_type: str) -> None:
    with pytest.raises(ExtractError):
        clean(raw, content_type)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("This is the solution that we used, and it is the one with the best score of the team.", "en"),
        ("我们使用了梯度提升树，并且进行了大量的特征工程，最后融合了多个模型。", "zh"),
        ("우리는 그래디언트 부스팅 모델을 사용했고 특징 공학을 많이 했습니다.", "ko"),
        ("私たちは勾配ブースティングを使い、特徴量エンジニアリングを行いました。", "ja"),
        ("Мы использовали градиентный бустинг и много работали с признаками.", "ru"),
        ("Nous avons utilisé des arbres pour la prédiction et une validation avec des plis.", "fr"),
        ("ok", None),
    ],
)
def test_guess_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def test_clean_is_deterministic() -> None:
    first = clean(MARKDOWN_POST.encode(), "text/markdown")
    assert clean(MARKDOWN_POST.encode(), "text/markdown") == first


MARKUP = st.sampled_from([
    "<div>", "</p>", "<pre>", "```", "---\n", "+++\n", "$", "\\[", "[a](", ")", "# ", "\n", "\n\n", "=====\n",
    ".. note::\n", "{% x %}", "{{< y >}}", "|", "*", "_", "`", "<!--", "-->", "<td>", "1. ", "- ", "我", "é",
])
CONTENT_TYPES = ["text/markdown", "text/html", "text/x-rst", "text/plain", "application/octet-stream"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(MARKUP, st.text(max_size=12)), max_size=40), st.sampled_from(CONTENT_TYPES))
def test_clean_never_fails_on_messy_input(parts: list[str], content_type: str) -> None:
    raw = "".join(parts).encode("utf-8", "surrogatepass")
    try:
        doc = clean(raw, content_type)
    except ExtractError:
        return
    assert doc.text.strip() and doc.text == doc.text.strip()
    assert all(line == line.rstrip() for line in doc.text.splitlines())
    assert chunk_text(doc.text)


def _manifest() -> list[dict]:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    return list({row["path"]: row for row in rows}.values())


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/corpus")
def test_every_corpus_document_cleans_and_chunks() -> None:
    tags = r"<(?:div|img|span|p|a|br|table|td|script|style|h[1-6])\b[^>]*>"
    leftovers = re.compile(tags + r"|\]\(https?:|\{%|<!--", re.I)
    for row in _manifest():
        raw = (CORPUS / row["path"]).read_bytes()
        doc = clean(raw, row["content_type"], url=row["url"])
        assert doc.text.strip(), row["path"]
        chunks = chunk_text(doc.text)
        assert chunks and all(chunk.text.strip() for chunk in chunks), row["path"]
        assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
        if row["content_type"] != "text/plain":  # plain text keeps what its author typed
            assert not leftovers.search(prose(doc.text)), (row["path"], leftovers.search(prose(doc.text)))
        if row["source"] == "blog" and row["content_type"] == "text/markdown" and raw.startswith(b"---"):
            assert doc.meta, row["path"]


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/corpus")
@pytest.mark.parametrize(
    ("path", "expected"),
    [("snapshots/github/BlindApe/SeeClickPredictFix/README.txt", "é"),
     ("snapshots/github/plantsgo/Rental-Listing-Inquiries/solution.txt", "（")],
)
def test_corpus_legacy_encodings_decode_cleanly(path: str, expected: str) -> None:
    doc = clean((CORPUS / path).read_bytes(), "text/plain", url=path)
    assert "\ufffd" not in doc.text
    assert expected in doc.text
