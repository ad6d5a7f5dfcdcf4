from ingest.catalog import parse_catalog, slug_from_url
from tests.fixtures.mini_mirror import CATALOG


def test_parse_catalog_fields():
    parsed = parse_catalog(CATALOG)
    assert parsed.problems == []
    galaxy = parsed.entries[0]
    c = galaxy.competition
    assert (c.slug, c.title, c.year, c.team_count, c.kind, c.catalog_number) == (
        "galaxy-shapes", "Galaxy Shapes Challenge", 2014, 1204, "Featured", 3)
    assert galaxy.solutions[0].rank == 1 and galaxy.solutions[0].kind == "code"


def test_slug_forms():
    assert slug_from_url("https://www.kaggle.com/c/Foo-Bar/discussion/1") == "foo-bar"
    assert slug_from_url("https://www.kaggle.com/competitions/x-y") == "x-y"
    assert slug_from_url("https://example.com") is None


def test_malformed_catalog_reports_and_skips():
    parsed = parse_catalog("competitions:\n  - title: 'no link'\n  - 42\n  - link: 'https://www.kaggle.com/c/ok'\n"
                           "    solutions: ['junk']\n")
    assert [e.competition.slug for e in parsed.entries] == ["ok"]
    assert len(parsed.problems) == 3
    assert "entry 1 ('no link'): no Kaggle competition link" in parsed.problems[0]
    bad = parse_catalog("competitions: [\n  - : :")
    assert bad.entries == [] and bad.problems[0].startswith("catalog is not valid YAML at line")
