"""Mining vocabulary candidates: credited sentences, the phrases they credit, and the ranking.

Every passage here is written for these tests; "zebra striping", "fern pooling" and friends are
invented so that no vocabulary entry covers them.
"""

from __future__ import annotations

import pytest

from kb.techniques.candidates import (
    Credit,
    Use,
    credit_sentences,
    document_frequencies,
    is_candidate,
    leading_phrases,
    phrases_near_cues,
    quote,
    rank,
    too_common,
    without_code,
)
from kb.techniques.vocab import load_vocabulary


@pytest.fixture(scope="module")
def matcher():
    return load_vocabulary().matcher()


# --------------------------------------------------------------------------- credited sentences
def test_credit_sentences_keep_positive_cues_and_drop_negative_ones():
    text = ("Zebra striping helped a lot. Fern pooling did not help at all. We read the data twice. "
            "Adding moth weights gave +0.004 on CV.")
    assert [c.text for c in credit_sentences(text)] == ["Zebra striping helped a lot.",
                                                       "Adding moth weights gave +0.004 on CV."]


def test_credit_sentences_skip_negative_sections_and_code():
    text = ("## What didn't work\nZebra striping helped nobody.\n\n## Training\n"
            "```python\nboost = 3  # improved\n```\nFern pooling was key.")
    assert [c.text for c in credit_sentences(text)] == ["Fern pooling was key."]
    assert [c.text for c in credit_sentences("Zebra striping helped a lot.", "Solution > Failed ideas")] == []


def test_list_items_under_a_what_worked_title_are_credits():
    text = ("What worked:\n- Zebra striping on the crops\n- Fern pooling\n\nPossible improvements:\n"
            "- Moth weights\n\nSetup notes:\n- Install the package")
    assert credit_sentences(text) == [Credit("- Zebra striping on the crops", True), Credit("- Fern pooling", True)]
    assert credit_sentences("- Fern pooling", "Solution > Key improvements") == [Credit("- Fern pooling", True)]
    assert credit_sentences("- Fern pooling", "Solution > What did not work") == []


def test_without_code_blanks_fences_and_shell_lines_but_keeps_offsets():
    text = "Before.\n```\nx = boost(1)\n```\n$ pip install zebra\nAfter."
    blank = without_code(text)
    assert len(blank) == len(text) and blank.count("\n") == text.count("\n")
    assert "boost" not in blank and "pip" not in blank and blank.startswith("Before.") and blank.endswith("After.")


# --------------------------------------------------------------------------- phrases
@pytest.mark.parametrize(("sentence", "expected"), [
    ("Zebra striping helped a lot.", {"zebra striping"}),
    ("Adding fern pooling was really key.", {"fern pooling"}),
    ("Adding fern pooling to the decoder was key.", {"fern pooling", "decoder"}),
    ("The biggest gain came from moth-weighted sampling.", {"moth weighted sampling"}),
    ("We improved the score by adding zebra striping.", {"zebra striping"}),
    ("- Fern pooling (+0.004)", {"fern pooling"}),
    ("- Fern pooling: big boost on the public board", {"fern pooling"}),
    ("The encoders were improved by adding zebra striping.", {"zebra striping"}),  # passive: not "encoders"
    ("Zebra striping of inputs helped.", {"zebra striping"}),  # "inputs" alone is too generic
])
def test_phrases_near_cues(matcher, sentence, expected):
    assert phrases_near_cues(sentence, matcher) == expected


def test_phrases_covered_by_the_vocabulary_or_made_of_generic_words_are_dropped(matcher):
    assert phrases_near_cues("Mixup helped a lot.", matcher) == set()
    assert phrases_near_cues("Pseudo labeling with zebra striping helped.", matcher) == {"zebra striping"}
    assert phrases_near_cues("The model improved the score.", matcher) == set()
    assert phrases_near_cues("This helped us a lot.", matcher) == set()


def test_numbers_urls_and_code_break_phrases(matcher):
    got = phrases_near_cues("Setting `zebra_stripes=3` from https://example.org/fern helped 12 runs.", matcher)
    assert got == set()
    assert phrases_near_cues("Fern pooling 2 helped.", matcher) == set()


def test_a_noun_cue_alone_credits_nothing_before_it(matcher):
    assert phrases_near_cues("There is room for improvement in zebra striping.", matcher) == set()
    assert phrases_near_cues("We saw a big improvement from zebra striping.", matcher) == {"zebra striping"}


def test_leading_phrases_name_the_list_item(matcher):
    assert leading_phrases("- Zebra striping: applied to every crop", matcher) == {"zebra striping"}
    assert leading_phrases("1. Fern pooling of the last layers", matcher) == {"fern pooling"}
    assert leading_phrases("- Mixup on the crops", matcher) == set()


@pytest.mark.parametrize(("words", "ok"), [
    (["zebra", "striping"], True),
    (["fern"], True),
    (["the", "model"], False),
    (["model", "score"], False),
    (["of", "zebra"], False),
    (["zebra", "with"], False),
    (["drastically"], False),
    (["regularized"], False),
    (["ab"], False),
    (["a", "b", "c", "d", "e"], False),
])
def test_is_candidate(words, ok):
    assert is_candidate(words) is ok


def test_quote_keeps_short_sentences_and_cuts_long_ones_around_the_phrase():
    assert quote("Zebra  striping\nhelped.", "zebra striping") == "Zebra striping helped."
    long = " ".join(["filler"] * 60) + " zebra striping helped " + " ".join(["tail"] * 60)
    got = quote(long, "zebra striping", limit=80)
    assert len(got) <= 82 and "zebra striping" in got and got.startswith("…") and got.endswith("…")


# --------------------------------------------------------------------------- ranking
def use(phrase: str, document: int, *competitions: str, quote_text: str = "q", url: str = "u") -> Use:
    return Use(phrase, document, competitions, quote_text, url)


def test_rank_orders_by_competitions_then_documents_and_applies_the_minimum():
    uses = [use("fern pooling", 1, "a"), use("fern pooling", 2, "b"),
            use("zebra striping", 3, "a"), use("zebra striping", 4, "b"), use("zebra striping", 5, "b"),
            use("moth weights", 6, "c"), use("moth weights", 7, "d"), use("moth weights", 8, "e"),
            use("lonely trick", 9, "a")]
    got = [(c.phrase, len(c.competitions), len(c.documents)) for c in rank(uses)]
    assert got == [("moth weights", 3, 3), ("zebra striping", 2, 3), ("fern pooling", 2, 2)]
    assert [c.phrase for c in rank(uses, min_competitions=1, limit=2)] == ["moth weights", "zebra striping"]


def test_rank_counts_a_write_up_without_competition_as_its_own():
    uses = [use("fern pooling", 1), use("fern pooling", 2), use("fern pooling", 2)]
    (c,) = rank(uses)
    assert c.competitions == {"document:1", "document:2"} and c.documents == {1, 2}


def test_rank_drops_a_phrase_that_a_longer_one_explains():
    uses = [use("weight averaging", d, f"c{d}") for d in (1, 2, 3)] + \
           [use("stochastic weight averaging", d, f"c{d}") for d in (1, 2)] + [use("averaging", 9, "c9")]
    assert [c.phrase for c in rank(uses, min_competitions=1)] == ["stochastic weight averaging", "averaging"]


def test_rank_keeps_the_shortest_quote():
    uses = [use("fern pooling", 1, "a", quote_text="a longer quote here", url="https://b"),
            use("fern pooling", 2, "b", quote_text="short", url="https://a")]
    (c,) = rank(uses)
    assert (c.quote, c.url) == ("short", "https://a")
    assert c.to_json() == {"phrase": "fern pooling", "competitions": 2, "documents": 2,
                           "competition_slugs": ["a", "b"], "quote": "short", "url": "https://a"}


def test_rank_drops_common_phrases_and_breaks_ties_by_credit_share():
    uses = [use(p, d, f"c{d}") for p in ("classification", "fern pooling", "zebra striping") for d in (1, 2)]
    freq = {"classification": 300, "fern pooling": 10, "zebra striping": 2}
    got = [c.phrase for c in rank(uses, frequencies=freq, total_documents=1000)]
    assert got == ["zebra striping", "fern pooling"]


@pytest.mark.parametrize(("frequency", "total", "common"), [
    (300, 1000, True), (50, 1000, False), (19, 20, False), (25, 100, True),
])
def test_too_common(frequency, total, common):
    assert too_common(frequency, total) is common


def test_document_frequencies_count_write_ups_not_occurrences():
    texts = ["Zebra striping, then zebra striping again.", "We used zebra-striping.", "Fern pooling only.",
             "```\nzebra striping\n```"]
    assert document_frequencies(texts, ["zebra striping", "fern pooling", "moth"]) == {
        "zebra striping": 2, "fern pooling": 1, "moth": 0}
