"""Heading-aware chunking of markdown-lite text."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.text.chunking import Chunk, chunk_text, count_words, embedding_text
from kb.text.clean import clean

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TOPICS = ["features", "validation", "ensembles", "augmentation", "pseudolabels", "stacking", "tuning"]


def sentence(n: int, words: int = 12) -> str:
    """A distinct, deterministic sentence of ``words`` words."""
    topic = TOPICS[n % len(TOPICS)]
    filler = " ".join(f"w{n}x{k}" for k in range(words - 4))
    return f"Step {n} about {topic} {filler}."


def paragraph(start: int, sentences: int) -> str:
    return " ".join(sentence(n) for n in range(start, start + sentences))


def test_count_words() -> None:
    assert count_words("") == 0
    assert count_words("  three plain\nwords ") == 3
    assert count_words("梯度提升树") == 5
    assert count_words("使用 LightGBM 模型") == 5
    assert count_words("그래디언트 부스팅") == 4  # 7 Hangul syllables count as half a word each, rounded up


def test_heading_paths_follow_the_heading_stack() -> None:
    text = "\n\n".join([
        "# Solution", paragraph(0, 6),
        "## Models", paragraph(10, 6),
        "### LightGBM", paragraph(20, 6),
        "## Postprocessing in C# ##", paragraph(30, 6),
    ])
    chunks = chunk_text(text)
    assert [chunk.heading_path for chunk in chunks] == [
        "Solution", "Solution > Models", "Solution > Models > LightGBM", "Solution > Postprocessing in C#",
    ]
    assert chunks[2].text == paragraph(20, 6)
    assert "#" not in "".join(chunk.text for chunk in chunks)


def test_sizes_stay_within_bounds_and_cover_the_text() -> None:
    text = "# Long\n\n" + "\n\n".join(paragraph(n * 10, 4) for n in range(30))  # 30 paragraphs of 48 words
    chunks = chunk_text(text, target_words=220, max_words=300, min_words=60, overlap_words=30)
    sizes = [count_words(chunk.text) for chunk in chunks]
    assert len(chunks) >= 6
    assert all(60 <= size <= 300 for size in sizes), sizes
    joined = " ".join(chunk.text for chunk in chunks)
    assert all(sentence(n) in joined for n in range(0, 300, 10))
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))


def test_consecutive_passages_of_a_section_overlap() -> None:
    text = "## Method\n\n" + "\n\n".join(paragraph(n * 5, 5) for n in range(12))
    chunks = chunk_text(text, overlap_words=30)
    assert len(chunks) > 2
    for before, after in zip(chunks, chunks[1:], strict=False):
        opening = after.text.split("\n\n")[0]
        assert before.text.endswith(opening)
        assert 0 < count_words(opening) <= 30


def test_no_overlap_when_disabled() -> None:
    text = "\n\n".join(paragraph(n * 5, 5) for n in range(12))
    chunks = chunk_text(text, overlap_words=0)
    words = sum(count_words(chunk.text) for chunk in chunks)
    assert words == count_words(text)


def test_long_paragraph_splits_at_sentence_ends() -> None:
    text = paragraph(0, 60)  # one 720-word paragraph
    chunks = chunk_text(text)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert count_words(chunk.text) <= 300
        assert chunk.text.endswith(".")
        assert chunk.text.split("\n\n")[-1].startswith("Step ")


def test_text_without_sentence_ends_splits_at_words() -> None:
    chunks = chunk_text(" ".join(f"token{i}" for i in range(1000)), overlap_words=0)
    assert all(count_words(chunk.text) <= 300 for chunk in chunks)
    assert " ".join(chunk.text for chunk in chunks).split() == [f"token{i}" for i in range(1000)]


def test_cjk_text_without_spaces_splits_by_characters() -> None:
    text = "我们使用梯度提升树模型并做了很多特征工程" * 50  # 1000 characters, no punctuation
    chunks = chunk_text("# 方案\n\n" + text, overlap_words=0)
    assert len(chunks) >= 4
    assert all(count_words(chunk.text) <= 300 for chunk in chunks)
    assert "".join(chunk.text for chunk in chunks) == text
    assert {chunk.heading_path for chunk in chunks} == {"方案"}


def test_cjk_sentences_overlap_without_inserted_spaces() -> None:
    text = "我们使用了梯度提升树模型。然后进行了大量的特征工程！" * 30
    chunks = chunk_text(text)
    assert len(chunks) > 1
    assert " " not in "".join(chunk.text for chunk in chunks)
    assert chunks[1].text.startswith("然后进行了大量的特征工程！") or chunks[1].text.startswith("我们")


def test_tiny_sections_are_merged_with_what_follows() -> None:
    parts = []
    for n in range(8):
        parts += [f"## Part {n}", sentence(n)]  # 12 words per section
    parts += ["## Main", paragraph(100, 20)]
    chunks = chunk_text("\n\n".join(parts))
    assert count_words(chunks[0].text) == 68  # five 12-word sections and four 2-word heading lines
    assert all(count_words(chunk.text) >= 60 for chunk in chunks)
    assert chunks[0].heading_path == ""  # no section holds half of the merged words: their shared path
    assert chunks[0].text.startswith(sentence(0) + "\n\nPart 1\n\n" + sentence(1))
    assert chunks[1].heading_path == "Main"
    assert chunks[1].text.startswith(sentence(5) + "\n\nPart 6")


def test_tiny_last_section_joins_the_one_before() -> None:
    text = "\n\n".join(["## Big", paragraph(0, 15), "## Footer", "Thanks for reading."])
    chunks = chunk_text(text)
    assert chunks[-1].text.endswith("Footer\n\nThanks for reading.")
    assert chunks[-1].heading_path == "Big"


def test_a_merged_section_title_never_ends_a_passage() -> None:
    text = "\n\n".join(["## Intro", sentence(0, 40), "## Part 1", paragraph(10, 10)])
    chunks = chunk_text(text, target_words=100, max_words=100, min_words=50, overlap_words=20)
    assert chunks[0].text == sentence(0, 40)
    assert chunks[1].text.startswith("Part 1\n\n" + sentence(10))
    assert chunks[1].heading_path == "Part 1"


def test_passages_respect_max_words_when_target_equals_max() -> None:
    text = "\n\n".join(["## A", sentence(0, 20), "## B", paragraph(100, 60)])
    chunks = chunk_text(text, target_words=100, max_words=100, min_words=50, overlap_words=40)
    assert len(chunks) > 3
    assert all(count_words(chunk.text) <= 100 for chunk in chunks)


def test_short_document_is_one_chunk() -> None:
    text = "# Title\n\nA short intro.\n\n## Setup\n\nInstall it.\n\n## Run\n\nRun it twice."
    expected = "A short intro.\n\nSetup\n\nInstall it.\n\nRun\n\nRun it twice."
    assert chunk_text(text) == [Chunk(0, "Title", expected)]


def test_code_fences_are_atomic_and_hash_lines_inside_are_not_headings() -> None:
    code = "```python\n# not a heading\nx = 1\n\n# still code\ny = 2\n```"
    chunks = chunk_text(f"## Code\n\nSome words before the code.\n\n{code}\n\nWords after.")
    assert len(chunks) == 1
    assert chunks[0].heading_path == "Code"
    assert code in chunks[0].text


def test_long_code_block_is_split_with_balanced_fences() -> None:
    code = "```\n" + "\n".join(f"value_{i} = compute(a, b, c, d, e, f, g)" for i in range(60)) + "\n```"
    chunks = chunk_text(code)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.startswith("```\n") and chunk.text.endswith("\n```")
        assert count_words(chunk.text) <= 300


def test_edge_cases() -> None:
    assert chunk_text("") == []
    assert chunk_text("  \n\n ") == []
    assert chunk_text("# Only a heading") == [Chunk(0, "Only a heading", "Only a heading")]
    with pytest.raises(ValueError):
        chunk_text("x", target_words=100, max_words=50)
    with pytest.raises(ValueError):
        chunk_text("x", target_words=100, overlap_words=100)


def test_chunking_is_deterministic() -> None:
    text = "\n\n".join(["# A", paragraph(0, 20), "## B", paragraph(50, 3), "## C", paragraph(80, 30)])
    assert chunk_text(text) == chunk_text(text)
    assert all(chunk.text.strip() == chunk.text and chunk.text for chunk in chunk_text(text))


def test_embedding_text() -> None:
    chunk = Chunk(0, "Solution > Models", "We used trees.")
    assert embedding_text(chunk, "Great write-up") == "Great write-up\nSolution > Models\n\nWe used trees."
    assert embedding_text(chunk, None) == "Solution > Models\n\nWe used trees."
    assert embedding_text(Chunk(0, "", "Body."), None) == "Body."
    assert embedding_text(Chunk(0, "Same", "Body."), "Same") == "Same\n\nBody."


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["# H", "## Sub", "```", "\n\n", "\n", ". ", "。", "梯度提升树", "word " * 40]),
    st.text(max_size=30),
), max_size=60))
def test_chunks_are_never_empty_and_never_too_long(parts: list[str]) -> None:
    chunks = chunk_text("".join(parts))
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
    assert all(chunk.text.strip() and count_words(chunk.text) <= 300 for chunk in chunks)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/corpus")
def test_corpus_chunks_are_bounded_and_fast() -> None:
    rows = {row["path"]: row for row in map(json.loads, (CORPUS / "manifest.jsonl").read_text().splitlines())}
    texts = [clean((CORPUS / path).read_bytes(), row["content_type"], url=row["url"]).text
             for path, row in rows.items()]
    start = time.perf_counter()
    all_chunks = [chunk_text(text) for text in texts]
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"chunking {len(texts)} documents took {elapsed:.1f}s"
    sizes = [count_words(chunk.text) for chunks in all_chunks for chunk in chunks]
    assert max(sizes) <= 300
    assert sum(size < 60 for size in sizes) <= 0.05 * len(sizes)  # only whole short documents
