"""Meta Kaggle: write-up topics with exact ranks, the title heuristic, malformed rows, streaming import."""

from __future__ import annotations

import pytest

from ingest.errors import MirrorError
from ingest.meta_kaggle import MetaKaggleDump, ingest_meta_kaggle, parse_date, reward, title_rank
from kb.records import CompetitionLink, FetchedDocument, Outcome
from tests.fixtures.meta_kaggle_dump import MESSAGES, write_dump, write_rows

BASE = "https://www.kaggle.com/c/"


@pytest.fixture
def dump(tmp_path) -> MetaKaggleDump:
    return MetaKaggleDump(write_dump(tmp_path / "meta"))


def test_plan_takes_write_up_topics_with_ranks_and_titles_only_for_older_competitions(dump):
    plan = dump.plan()
    wanted = {m: (w.topic_id, w.rank, w.kind) for m, w in plan.wanted.items()}
    assert wanted == {
        70000: (5000, 1, "writeup"), 70010: (5001, 2, "writeup"),
        80000: (6000, 2, "title"), 80020: (6002, None, "title"), 80040: (6004, 3, "title"),
    }
    assert [c.slug for c in plan.used_competitions()] == ["shop-demand", "old-retina"]


def test_competitions_carry_year_kind_metric_prize_and_tags(dump):
    comps = {c.slug: c.competition for c in dump.competitions().values()}
    shop, retina, quiet = comps["shop-demand"], comps["old-retina"], comps["quiet-one"]
    assert (shop.year, shop.kind, shop.metric, shop.team_count, shop.prize) == (2021, "Featured", "RMSLE", 900,
                                                                                 "25000 USD")
    assert shop.description == "Forecast daily demand (tags: tabular)"
    assert retina.year == 2015 and retina.description == "Grade retina photos (tags: image, medicine)"
    assert retina.prize == "100000 USD"  # RewardQuantity "100000.0"
    assert quiet.prize is None and quiet.description is None  # RewardQuantity "0.0"


@pytest.mark.parametrize("quantity, kind, prize", [
    ("100000.0", "USD", "100000 USD"), ("25000", "USD", "25000 USD"), ("1500.5", "EUR", "1500.5 EUR"),
    ("0.0", "USD", None), ("", "", None), ("n/a", "USD", None), ("3", "Swag", "3 Swag"),
])
def test_reward(quantity, kind, prize):
    assert reward(quantity, kind) == prize


def test_only_real_competitions_are_kept_unless_asked(tmp_path):
    root = write_dump(tmp_path / "meta")
    dump = MetaKaggleDump(root)
    assert sorted(c.slug for c in dump.competitions().values()) == ["old-retina", "quiet-one", "shop-demand"]
    assert dump.left_out == {"InClass": 1, "Community": 1}
    assert 90000 not in dump.plan().wanted  # the InClass write-up is not imported
    everything = MetaKaggleDump(root, segments=None)
    assert len(everything.competitions()) == 5 and everything.plan().wanted[90000].rank == 1
    chosen = MetaKaggleDump(root, segments=("inclass",))
    assert [c.slug for c in chosen.competitions().values()] == ["class-project"]


def test_a_dump_whose_files_start_with_a_byte_order_mark(tmp_path):
    dump = MetaKaggleDump(write_dump(tmp_path / "meta", bom=True))
    assert (tmp_path / "meta" / "Competitions.csv").read_bytes().startswith(b"\xef\xbb\xbfId,Slug,")
    docs = [d for d in dump.documents(dump.plan()) if isinstance(d, FetchedDocument)]
    assert len(docs) == 4 and len(dump.competitions()) == 3
    assert dump.competitions()[10].competition.title == "Shop Demand"


def test_documents_prefer_raw_markdown_and_report_missing_messages(dump):
    items = list(dump.documents(dump.plan()))
    docs = {d.url: d for d in items if isinstance(d, FetchedDocument)}
    assert set(docs) == {f"{BASE}shop-demand/discussion/5000", f"{BASE}shop-demand/discussion/5001",
                         f"{BASE}old-retina/discussion/6000", f"{BASE}old-retina/discussion/6002"}
    first = docs[f"{BASE}shop-demand/discussion/5000"]
    assert first.content_type == "text/markdown" and first.raw.decode() == MESSAGES[1][6]
    assert (first.title, first.date, first.source) == ("1st place - lag features", "2021-04-06", "kaggle")
    assert first.links == (CompetitionLink("shop-demand", 1, "writeup", "Shop Demand"),)
    second = docs[f"{BASE}shop-demand/discussion/5001"]
    assert second.content_type == "text/html" and second.raw.startswith(b"<h2>Approach")
    assert docs[f"{BASE}old-retina/discussion/6002"].date == "2015-07-31"
    [missing] = [o for o in items if isinstance(o, Outcome)]
    assert (missing.url, missing.reason) == (f"{BASE}old-retina/discussion/6004", "not_found")


def test_malformed_rows_are_reported_with_file_and_line(dump):
    list(dump.documents(dump.plan()))
    problems = "\n".join(dump.problems)
    assert "Teams.csv line 5: expected 7 fields, found 5" in problems
    assert "Teams.csv line 6: bad CompetitionId 'oops'" in problems
    assert "ForumTopics.csv line 10: bad Id 'x'" in problems
    assert "ForumMessages.csv line 11: bad Id 'oops'" in problems  # the 4-line field above counts 4 lines
    assert "ForumMessages.csv line 12: expected 9 fields, found 3" in problems
    assert all(o.reason == "malformed" for o in dump.problem_outcomes())


def test_nul_bytes_and_a_missing_column(tmp_path):
    root = write_dump(tmp_path / "meta")
    raw = (root / "ForumMessages.csv").read_bytes().replace(b"Second place", b"Second\x00 place")
    (root / "ForumMessages.csv").write_bytes(raw)
    docs = [d for d in MetaKaggleDump(root).documents(MetaKaggleDump(root).plan()) if isinstance(d, FetchedDocument)]
    assert any(b"Second place" in d.raw for d in docs)
    write_rows(root / "ForumMessages.csv", [["Id", "ForumTopicId", "Body"], ["1", "2", "x"]])
    dump = MetaKaggleDump(root)
    with pytest.raises(MirrorError, match="missing column"):
        list(dump.documents(dump.plan()))


def test_not_a_dump(tmp_path):
    with pytest.raises(MirrorError, match="ForumMessages.csv"):
        MetaKaggleDump(tmp_path)


def test_max_rank(tmp_path):
    dump = MetaKaggleDump(write_dump(tmp_path / "meta"), max_rank=1)
    assert {w.topic_id for w in dump.plan().wanted.values()} == {5000}


@pytest.mark.parametrize("title, expected", [
    ("1st Place Solution", (True, 1)), ("12th place - simple blend", (True, 12)), ("Solution (place #4)", (True, 4)),
    ("Private LB gold: our approach", (True, None)), ("Why is my submission failing?", (False, None)),
    ("Benchmark solution", (False, None)), ("Welcome!", (False, None)),
])
def test_title_heuristic(title, expected):
    assert title_rank(title) == expected


def test_both_date_forms():
    assert parse_date("04/06/2021 10:00:00").isoformat() == "2021-04-06T10:00:00"
    assert parse_date("07/31/2015 10:00:00 PM").isoformat() == "2015-07-31T22:00:00"
    assert parse_date("not a date") is None and parse_date(None) is None


def test_import_into_the_knowledge_base_and_rerun_changes_nothing(kb, tmp_path):
    root = write_dump(tmp_path / "meta")
    summary = ingest_meta_kaggle(kb, root)
    d = summary.to_dict()
    assert (d["new"], d["failed"], summary.competitions) == (4, 1, 2)
    assert {f["reason"] for f in d["failures"]} == {"not_found", "malformed"}
    doc = kb.document(f"{BASE}shop-demand/discussion/5000")
    assert doc.source == "kaggle" and "Lag features" in doc.text
    assert [(c.slug, c.rank) for c in doc.competitions] == [("shop-demand", 1)]
    assert d["embedded_chunks"] > 0
    again = ingest_meta_kaggle(kb, root).to_dict()
    assert (again["new"], again["changed"], again["unchanged"], again["embedded_chunks"]) == (0, 0, 4, 0)
