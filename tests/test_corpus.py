"""Corpus tier: the real snapshot through the real fetch path and the real model."""

import pytest

from ingest.mirror import ingest_mirror
from tests.conftest import CORPUS

pytestmark = [pytest.mark.corpus, pytest.mark.model]


def test_all_documents_and_catalog_competitions_are_stored(real_kb):
    s = real_kb.first_summary.to_dict()
    assert (s["new"], s["failed"], s["skipped"]) == (541, 0, 0), s["failures"]
    assert s["competitions"] == 709
    assert real_kb.counts()["documents"] == 541
    catalog = real_kb.conn.execute("SELECT count(*) FROM competitions WHERE catalog_number IS NOT NULL").fetchone()[0]
    assert catalog == 709


def test_reingest_is_a_no_op(real_kb):
    s = ingest_mirror(real_kb, CORPUS).to_dict()
    assert (s["new"], s["changed"], s["unchanged"], s["embedded_chunks"]) == (0, 0, 541, 0)


def test_encodings_and_html_in_markdown_are_cleaned(real_kb):
    text_of = "SELECT text FROM documents WHERE url LIKE ?"
    latin = real_kb.conn.execute(text_of, ("%BlindApe/SeeClickPredictFix%",)).fetchone()
    gb = real_kb.conn.execute(text_of, ("%plantsgo/Rental-Listing-Inquiries%",)).fetchone()
    html_md = real_kb.conn.execute(text_of, ("%drewabbot/kaggle-seizure-prediction%",)).fetchone()
    assert latin and "\ufffd" not in latin[0]
    assert gb and "\ufffd" not in gb[0] and "\u2460" in gb[0]  # GB18030 circled digit one decoded
    assert html_md and "<div" not in html_md[0] and "<p>" not in html_md[0]


@pytest.mark.parametrize("query, expect_any", [
    ("pseudo labeling", ["pseudo"]),
    ("U-Net satellite segmentation", ["u-net", "unet", "segmentation"]),
    ("EEG seizure prediction features", ["seizure", "eeg"]),
])
def test_sensible_results_for_typical_queries(real_kb, query, expect_any):
    results = real_kb.search(query, k=5)
    assert len(results) == 5
    top3 = " ".join((r.snippet + " " + r.title + " " + (r.competition or "")).lower() for r in results[:3])
    assert any(word in top3 for word in expect_any), [r.url for r in results]


def test_eeg_query_finds_seizure_competitions(real_kb):
    results = real_kb.search("EEG seizure prediction features", k=5)
    assert any(r.competition and "seizure" in r.competition for r in results[:3])


def test_every_recommended_technique_has_a_quote_with_an_ingested_link(real_kb):
    from kb.evaluation import describe

    urls = {r[0] for r in real_kb.conn.execute("SELECT url FROM documents")}
    rows = real_kb.conn.execute(
        "SELECT co.slug, co.title, co.description, co.metric, co.year FROM competitions co"
        " WHERE co.id IN (SELECT competition_id FROM document_competitions) ORDER BY co.slug LIMIT 25").fetchall()
    assert len(rows) == 25
    answered = 0
    for row in rows:
        rec = real_kb.recommend(describe(row), k=10, exclude_competition=row["slug"], year=row["year"])
        answered += bool(rec.techniques)
        listed = {c.slug for c in rec.competitions}
        for t in rec.techniques:
            assert t.evidence, (row["slug"], t.name)
            assert t.name not in rec.table_stakes
            for e in t.evidence:
                assert e.helped and e.snippet.strip() and e.url in urls and e.url.startswith(("https://", "http://"))
                assert e.competition != row["slug"] and e.competition in listed
    assert answered >= 23


# The three fresh descriptions a new user tried (issue #11): what they must get.
FRESH = {
    "steel": ("Detect and classify defects on steel sheet images; pixel-level segmentation; metric is mean Dice "
              "coefficient", "image", "severstal-steel-defect-detection"),
    "churn": ("Predict customer churn from tabular account data with many categorical columns; metric ROC AUC",
              "tabular", None),
    "birds": ("Classify the species of birds from 10-second audio recordings; metric is macro F1", "audio", None),
}


@pytest.mark.parametrize("name", sorted(FRESH))
def test_fresh_descriptions_get_specific_grounded_answers(real_kb, name):
    text, modality, own = FRESH[name]
    rec = real_kb.recommend(text, k=10, exclude_competition=own)
    assert not rec.abstained and rec.profile.modality == modality
    top5 = [t.name for t in rec.techniques[:5]]
    assert len(top5) == 5 and not set(top5) & set(rec.table_stakes), (top5, rec.table_stakes)
    assert {"Ensemble", "K-Fold Cross-Validation"} & set(rec.table_stakes)
    assert [c.modality for c in rec.competitions[:3]] == [modality] * 3, [c.slug for c in rec.competitions[:3]]
    listed = {c.slug for c in rec.competitions if c.has_writeups}
    for t in rec.techniques:
        assert t.evidence and all(e.competition in listed for e in t.evidence), t.name
        assert len({e.snippet for e in t.evidence}) == len(t.evidence)


def test_steel_segmentation_finds_the_segmentation_competitions(real_kb):
    rec = real_kb.recommend(FRESH["steel"][0], k=10, exclude_competition="severstal-steel-defect-detection")
    slugs = {c.slug for c in rec.competitions}
    known = {"carvana-image-masking-challenge", "airbus-ship-detection", "tgs-salt-identification-challenge",
             "siim-acr-pneumothorax-segmentation", "understanding_cloud_organization",
             "uw-madison-gi-tract-image-segmentation", "sartorius-cell-instance-segmentation"}
    assert len(slugs & known) >= 3, slugs
    names = [t.name for t in rec.techniques[:8]]
    assert "U-Net" in names[:3] and "Lovasz Loss" in names, names


@pytest.mark.parametrize("text", ["asdkj qwpoeiru zmxncb alskdjf qpwoei",
                                  "Preheat the oven to 220 degrees and knead the dough for ten minutes."])
def test_gibberish_gets_no_close_match(real_kb, text):
    rec = real_kb.recommend(text, k=10)
    assert rec.abstained and not rec.techniques and "No close match" in rec.message


def test_a_real_page_is_read(real_kb):
    from tests.conftest import DESCRIPTIONS

    page = (DESCRIPTIONS / "hubmap-kidney-segmentation.md").read_text(encoding="utf-8")
    rec = real_kb.recommend(page, k=10, exclude_competition="hubmap-kidney-segmentation")
    p = rec.profile
    assert (p.modality, p.task_type, p.metric_family, p.year) == ("image", "segmentation", "iou/dice", 2021)
    assert "code competition" in p.constraints and "Prizes" in rec.dropped_sections
    assert [c.modality for c in rec.competitions[:3]] == ["image"] * 3
