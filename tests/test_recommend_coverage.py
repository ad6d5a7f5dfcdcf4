"""Coverage beside the answer: thin modalities and years are said, in the API, the JSON, the terminal and the
Markdown export (fake embedder over the mini mirror)."""

from __future__ import annotations

import json

from kb.cli.recommend import render_recommendation
from kb.recommend import Coverage
from kb.recommend.coverage import THIN_WRITEUPS, coverage_of, query_years
from kb.recommend.markdown import to_markdown
from kb.search.filters import Filters

PROFILES = {"a": ("audio", 2019), "b": ("audio", 2020), "t": ("tabular", 2020), "u": ("tabular", 2012)}


def test_a_thin_modality_is_said_with_its_counts():
    docs = {"a": {1, 2}, "b": {3}, "t": set(range(10, 10 + THIN_WRITEUPS)), "u": set(range(100, 140))}
    cov = coverage_of(PROFILES, docs, "audio", None)
    assert (cov.modality_writeups, cov.modality_competitions) == (3, 2) and cov.thin
    assert cov.note == ("Thin coverage: kb holds only 3 audio write-ups (from 2 competitions), "
                        "so this answer rests on few examples.")
    assert coverage_of(PROFILES, docs, None, None) == Coverage(None, 0, 0, None, 0, 0)  # nothing to say


def test_thin_years_are_said_and_well_covered_ones_are_not():
    docs = {s: set(range(i * 100, i * 100 + 30)) for i, s in enumerate(PROFILES)}
    many = {f"c{i}": ("tabular", 2020) for i in range(6)}
    many_docs = {f"c{i}": set(range(1000 + 10 * i, 1010 + 10 * i)) for i in range(6)}
    cov = coverage_of({**PROFILES, **many}, {**docs, **many_docs}, "tabular", (2011, 2013))
    assert (cov.year_writeups, cov.year_competitions) == (30, 1)
    assert cov.note.endswith("only 30 write-ups of competitions 2011–2013, so this answer rests on few examples.")
    assert "tabular" not in cov.note  # 7 competitions, 150 write-ups: well covered
    well = coverage_of({**PROFILES, **many}, {**docs, **many_docs}, "tabular", (2018, 2022))
    assert not well.thin and well.note == "" and well.year_writeups == 30 * 3 + 60


def test_the_years_a_query_is_about():
    assert query_years(2020, False, None, None) == (2018, 2022)
    assert query_years(2020, True, None, None) is None  # the year was only assumed: no claim about it
    assert query_years(2020, False, 2015, None) == (2015, 9999)  # the filters win
    assert coverage_of(PROFILES, {"u": {1}}, None, (2010, 9999)).note.endswith(
        "only 1 write-up of competitions from 2010 on, so this answer rests on few examples.")


def test_the_answer_carries_its_coverage_everywhere(built_kb):
    rec = built_kb.recommend("Classify telescope images of galaxies by their shape", k=3)
    cov = rec.coverage
    assert cov is not None and cov.modality == "image" and cov.modality_writeups >= 1 and cov.thin
    assert f"{cov.modality_writeups} image write-up" in cov.note
    data = rec.to_json()
    assert data["coverage"] == json.loads(json.dumps(cov.to_json())) and data["coverage"]["thin"] is True
    assert {"query", "abstained", "message", "profile", "table_stakes", "techniques", "competitions", "shares",
            "page"} <= set(data)  # every earlier field is kept
    assert cov.note in render_recommendation(rec)
    assert f"\n*{cov.note}*\n" in to_markdown(rec)


def test_filters_narrow_the_coverage(built_kb):
    everything = built_kb.recommend("Forecast daily sales of shops", k=3).coverage
    narrowed = built_kb.recommend("Forecast daily sales of shops", k=3,
                                  filters=Filters(source="blog")).coverage
    assert everything is not None and narrowed is not None
    assert narrowed.modality_writeups <= everything.modality_writeups
    dated = built_kb.recommend("Forecast daily sales of shops", k=3, filters=Filters(year_min=2020)).coverage
    assert dated is not None and dated.years == (2020, 9999) and "from 2020 on" in dated.note
