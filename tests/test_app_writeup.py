"""Write-ups that read well in the app, safely: math, tables, inline code and lists keep their structure,
HTML, links and directives from a write-up never take effect, and a passage can be found and marked."""

from __future__ import annotations

import re

from kb.app.writeup import (
    document_markdown,
    inline_markdown,
    passage_span,
    split_at_passage,
    table_markdown,
    writeup_blocks,
)


def test_latex_renders_as_math_and_dollar_amounts_stay_text():
    formulas = r"a grid of $N\times6\times10$ cells and $x$"
    assert inline_markdown(formulas) == formulas
    assert inline_markdown(r"inline \(a^2\) too") == r"inline $a^2$ too"
    assert inline_markdown("it cost $5 and $10 a day") == "it cost \\$5 and \\$10 a day"
    assert document_markdown("$$N\\times6\\times10$$") == "$$\nN\\times6\\times10\n$$"  # a formula alone: display
    assert document_markdown("\\[ \\sum_i x_i \\]") == "$$\n\\sum_i x_i\n$$"


def test_math_that_could_carry_a_link_or_html_stays_text():
    for hostile in (r"$\href{javascript:alert(1)}{x}$", r"$\url{http://evil.example}$", "$a<b$",
                    r"$\htmlClass{x}{y}$"):
        out = inline_markdown(hostile)
        assert re.search(r"(?<!\\)\$", out) is None, out


def test_inline_code_shows_without_backticks_and_its_content_is_literal():
    assert inline_markdown("call `model.fit(x)` then `<b>`") == "call `model.fit(x)` then `<b>`"
    assert inline_markdown("``a ` b``") == "``a ` b``"
    assert inline_markdown("a `*not bold*` and *this*") == "a `*not bold*` and \\*this\\*"


def test_table_rows_become_a_markdown_table():
    text = "Results:\n\nmodel | CV | LB\nLightGBM | 0.812 | 0.80\nCNN `v2` | 0.79\n\nAfter."
    assert document_markdown(text) == (
        "Results\\:\n\n"
        "| model | CV | LB |\n| --- | --- | --- |\n| LightGBM | 0\\.812 | 0\\.80 |\n| CNN `v2` | 0\\.79 |  |\n\n"
        "After\\.")
    assert table_markdown(["one | row"]) is None  # a single row is a sentence, not a table
    assert table_markdown(["a | b", "no cells here"]) is None
    assert "`a\\|b`" in table_markdown(["x | `a|b`", "1 | 2"])  # a pipe in code cannot split the cell


def test_lists_keep_their_numbers_and_nesting():
    text = "1. first\n2. second with `code`\n  - nested <i>\n3. third\ncontinued"
    assert document_markdown(text) == (
        "1. first\n2. second with `code`\n    - nested \\<i\\>\n3. third continued")


def test_hostile_markup_is_neutralised_everywhere():
    text = ("# <script>x</script> :red[t]\n\n[a](javascript:alert(1)) ![i](http://x/p.png) <b>b</b>\n\n"
            "x | <img src=x onerror=y>\n[c](d) | :smile:\n\n- <a href='javascript:z'>l</a>")
    out = document_markdown(text)
    outside_code = re.sub(r"`[^`]*`", "", out)
    assert re.findall(r"(?<!\\)[<>\[\]:]", outside_code) == []  # no tag, link, image, directive or shortcode
    assert out.startswith("### \\<script\\>x\\</script\\> \\:red\\[t\\]")


def test_a_passage_is_found_and_only_its_blocks_are_marked():
    text = ("# Solution\n\nWe start with a short introduction that says nothing about the models at all.\n\n"
            "## Models\n\nWe trained twelve convolutional networks on rotated crops of every galaxy image.\n\n"
            "Dropout of one half helped the deeper networks generalise better on the public board.\n\n"
            "## Ending\n\nThanks to the organisers for a fun competition and to my team mates.")
    chunk = ("Models\nWe trained twelve convolutional networks on rotated crops of every galaxy image.\n\n"
             "Dropout of one half helped the deeper networks generalise better on the public board.")
    blocks = writeup_blocks(text)
    assert passage_span(blocks, chunk) == (2, 4)  # the heading joins the two paragraphs it heads
    before, passage, after = split_at_passage(text, chunk)
    assert passage.startswith("#### Models") and "twelve convolutional" in passage and "Dropout" in passage
    assert "introduction" in before and "organisers" in after and "organisers" not in passage


def test_a_passage_inside_a_long_paragraph_marks_that_paragraph():
    words = " ".join(f"w{i}" for i in range(200))
    text = f"Intro paragraph with five words.\n\n{words}\n\nOutro paragraph with five words."
    chunk = "… " + " ".join(f"w{i}" for i in range(60, 120))
    assert split_at_passage(text, chunk) == ("Intro paragraph with five words\\.", words,
                                             "Outro paragraph with five words\\.")


def test_a_passage_that_is_not_in_the_writeup_is_not_marked():
    assert split_at_passage("Some text with enough words in it.", "entirely different words here") is None
    assert split_at_passage("Short.\n\nModels", "Models") == ("Short\\.", "Models", "")
    assert split_at_passage("anything", "   ") is None


def test_snippets_end_at_a_word_boundary_with_an_ellipsis():
    from kb.search.snippets import best_window, clip_at_word

    text = "lag features " * 40
    window = best_window(text, "lag", width=100)
    assert window.endswith(" …") and window[:-2].split()[-1] in ("lag", "features")
    sentences = ("First we cleaned the data. " * 20 + "With about a week to go we tried pseudo labels on the test set. "
                 + "Nothing else changed. " * 20)
    window = best_window(sentences, "pseudo labels", width=120)
    assert window.startswith(("… First we", "… With about")) and "pseudo labels" in window  # a sentence's start
    assert window.endswith(" …")
    assert clip_at_word("we used gradient boosted trees like lightg", "b") == "we used gradient boosted trees like"
    assert clip_at_word("we used lightgbm", " ") == "we used lightgbm"
    assert clip_at_word("we used lightgbm", ".") == "we used lightgbm"
    assert clip_at_word("a" * 10 + "/" + "b" * 20, "c") == "a" * 10 + "/" + "b" * 20  # no boundary to cut at
    assert clip_at_word("x" * 5 + " " + "y" * 10 + "/zz", "z") == "x" * 5 + " " + "y" * 10 + "/"
