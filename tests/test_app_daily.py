# ruff: noqa: F811  (the fixtures come from tests/test_app.py)
"""Daily use of the app: search results as CSV, scores that say what they mean, readable metric names, and
coverage beside the answer (pure functions, then AppTest over the mini mirror)."""

from __future__ import annotations

import csv
import io

from kb import Passage, SearchResult
from kb.app.export import CSV_COLUMNS, results_csv
from kb.app.render import escape_markdown, evidence_caption, metric_label, read_as_label
from kb.app.views.recommend import SIMILAR_LEGEND, TECHNIQUE_LEGEND
from kb.app.views.search import SCORE_LEGEND
from tests.test_app import SALES, _recommend, app, built_home, reader, texts  # noqa: F401 (fixtures)


def _hit(**fields: object) -> SearchResult:
    base: dict[str, object] = {
        "url": "https://a.example/w", "title": "A write-up", "source": "blog", "competition": "x",
        "competition_title": "X Challenge", "rank": 1, "score": 0.87654, "snippet": "used lag features",
        "document_id": 1, "chunk_id": 2, "heading_path": "", "year": 2020,
        "passages": (Passage(2, "", "used lag features", 0.87654),)}
    base.update(fields)
    return SearchResult(**base)  # type: ignore[arg-type]


def test_search_results_as_csv_quote_commas_quotes_and_newlines():
    hits = [_hit(), _hit(title='Lag, "rolling" means', snippet="line one\nline two, with a comma", rank=None,
                         year=None, competition=None, competition_title=None, score=0.5)]
    text = results_csv(hits)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[0] == {"title": "A write-up", "competition": "X Challenge", "year": "2020", "rank": "1",
                       "source": "blog", "score": "0.8765", "url": "https://a.example/w",
                       "snippet": "used lag features"}
    assert rows[1]["title"] == 'Lag, "rolling" means' and rows[1]["snippet"] == "line one\nline two, with a comma"
    assert (rows[1]["rank"], rows[1]["year"], rows[1]["competition"]) == ("", "", "")
    assert results_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"


def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    rows = list(csv.reader(io.StringIO(results_csv([_hit(title="=HYPERLINK(\"http://evil\")", snippet="-2+3",
                                                         source="@x")]), newline="")))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")" and rows[1][7] == "'-2+3" and rows[1][4] == "'@x"


def test_metrics_and_how_a_query_was_read_are_readable():
    assert metric_label("IntersectionOverUnionObjectSegmentation") == "Intersection over Union (object segmentation)"
    assert metric_label(None, "iou/dice") == "IoU / Dice" and metric_label(None, "qwk") == "Quadratic Weighted Kappa"
    assert metric_label(None, None) is None
    assert read_as_label("image", "object_detection", None, "map") == "image · object detection · mAP"
    assert read_as_label(None, None, None, None) == "unknown"


def test_both_links_of_a_quote_are_labelled():
    caption = evidence_caption(helped=True, rank=2, competition="x", competition_title="X", year=2020,
                               source="blog", title="Notes", url="https://a.example/w", document_id=3,
                               passage_url="https://a.example/w#:~:text=lag", chunk_id=9)
    assert "write-up: [Notes](https://a.example/w)" in caption
    assert f"passage: [{escape_markdown('the quote in the original')}](https://a.example/w#:~:text=lag)" in caption
    assert "[read here](./?view=document&doc=3&chunk=9)" in caption


def test_the_search_view_explains_its_scores_and_downloads_csv(app):
    at = app(view="search", q="lag features")
    captions = texts(at.caption)
    assert any(SCORE_LEGEND in c for c in captions)
    assert any(" · score 0\\." in c or " · score 1\\." in c for c in captions)  # each result shows its score
    [download] = at.get("download_button")
    assert download.proto.label == "Download as CSV"


def test_the_recommend_view_explains_its_scores_and_says_coverage(app):
    at = _recommend(app(), SALES)
    captions = texts(at.caption)
    assert TECHNIQUE_LEGEND in captions and SIMILAR_LEGEND in captions
    warnings = " ".join(texts(at.warning))
    assert "Thin coverage" in warnings and escape_markdown("write-ups (from 2 competitions)") in warnings
    markdown = " ".join(texts(at.markdown))
    assert "Root Mean Squared Logarithmic Error" in markdown  # the similar competition's metric, readable


def test_the_document_view_names_the_competitions_metric(app, reader):
    doc = reader.document("https://github.com/bob/store-sales/blob/main/docs/solution%20notes.rst")
    at = app(view="document", doc=str(doc.id))
    assert escape_markdown("scored with Root Mean Squared Logarithmic Error") in " ".join(texts(at.markdown))
