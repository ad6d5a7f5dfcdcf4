"""The catalog as a live source: links dispatched to sources, stored with ranks, resumable crawls."""

from __future__ import annotations

import base64
import json

import pytest

from ingest.catalog import CATALOG_URL, catalog_targets, parse_catalog
from ingest.crawl import CrawlOptions, ingest_catalog, ingest_urls, merge_links
from ingest.errors import FetchError
from ingest.frontier import Frontier
from ingest.sources.base import Target
from ingest.sources.dispatch import source_for_url
from ingest.sources.kaggle import API, SITE, TOPIC
from kb.errors import KBError
from kb.records import CompetitionLink, Outcome
from tests.fixtures import kaggle_payloads as kp
from tests.fixtures.canned_http import canned_fetcher, ok
from tests.fixtures.live_catalog import CATALOG

KAGGLE_POST = "## Summary\nWe won with lag features, a careful time split and a blend of two boosted models."
README = "# Second place\n\nA single LightGBM model with target encoding and heavy feature selection on holdout."
BLOG = ("<html><head><title>Shop demand, fourth place</title></head><body><article><h1>Fourth place</h1>"
        "<p>Our write-up of the shop demand forecast: features, validation and the final blend we submitted.</p>"
        "</article></body></html>")
RETINA = ("<html><head><title>Retina notes</title></head><body><article><p>Green channel crops at two"
          " resolutions and test-time augmentation made our second place in grading retina photos.</p>"
          "</article></body></html>")


def routes() -> dict:
    ann = kp.user("Ann Example")
    topic = kp.forum_topic(5000, "1st place", ann, kp.message(70000, ann, KAGGLE_POST, kind="TOPIC"),
                           slug="shop-demand")
    readme = {"path": "README.md", "content": base64.b64encode(README.encode()).decode(),
              "download_url": "https://raw.githubusercontent.com/ann/sol/main/README.md"}
    return {
        CATALOG_URL: ok(CATALOG, "text/plain; charset=utf-8", ETag='"cat1"'),
        f"{SITE}/": ok("<html></html>", **{"Set-Cookie": "XSRF-TOKEN=t; path=/"}),
        API + TOPIC: ok(json.dumps(topic), "application/json"),
        "https://api.github.com/repos/ann/sol/readme": ok(json.dumps(readme), "application/json"),
        "https://ann.example/2021/shop-demand/": ok(BLOG),
        "https://bob.example/retina.html": ok(RETINA),
    }


def test_links_are_dispatched_to_the_source_that_can_fetch_them():
    assert source_for_url("https://www.kaggle.com/c/x/discussion/1") == "kaggle"
    assert source_for_url("https://www.kaggle.com/competitions/x/writeups/team") == "kaggle"
    assert source_for_url("https://www.kaggle.com/code/a/b") is None
    assert source_for_url("https://github.com/a/b/tree/main/c") == "github"
    assert source_for_url("https://medium.com/@a/post-1") == "blog"
    assert source_for_url("https://www.youtube.com/watch?v=1") is None
    assert source_for_url("https://colab.research.google.com/drive/1AbCdEf") is None  # a notebook, not a write-up
    assert source_for_url("https://a.example/paper.pdf") is None
    assert source_for_url("ftp://a.example/x") is None
    parsed = parse_catalog(CATALOG)
    targets = catalog_targets(parsed, origin=CATALOG_URL)
    kinds = [(t.source if isinstance(t, Target) else t.reason) for t in targets]
    assert kinds == ["kaggle", "github", "unsupported", "blog", "blog"]
    first = targets[0]
    assert (first.competition_slug, first.rank, first.kind, first.discovered_from) == (
        "shop-demand", 1, "description", CATALOG_URL)
    only = catalog_targets(parsed, origin=CATALOG_URL, competition="old-retina")
    assert [t.url for t in only] == ["https://bob.example/retina.html"]


def test_catalog_crawl_stores_documents_with_catalog_ranks_and_a_rerun_fetches_nothing(kb):
    f, t = canned_fetcher(routes())
    report = ingest_catalog(kb, f)
    d = report.to_dict()
    assert (d["new"], d["failed"], d["competitions"]) == (4, 0, 2)
    assert [x["reason"] for x in d["failures"]] == ["unsupported"]
    doc = kb.document("https://github.com/ann/sol")
    assert doc.source == "github" and [(c.slug, c.rank) for c in doc.competitions] == [("shop-demand", 2)]
    kaggle = kb.document("https://www.kaggle.com/c/shop-demand/discussion/5000")
    assert [(c.slug, c.rank) for c in kaggle.competitions] == [("shop-demand", 1)]
    assert (kaggle.title, kaggle.author, kaggle.date) == ("1st place", "Ann Example", "2021-05-02")
    assert Frontier(kb.conn).status()["by_state"] == {"queued": 0, "done": 4, "failed": 0}

    sent = len(t.calls)
    again = ingest_catalog(kb, f).to_dict()
    assert (again["fetched"], again["new"], again["not_due"], again["embedded_chunks"]) == (0, 0, 4, 0)
    assert t.urls()[sent:] == [CATALOG_URL]  # only the catalog itself, revalidated


def test_limit_then_rerun_resumes_where_it_stopped(kb):
    f, t = canned_fetcher(routes())
    first = ingest_catalog(kb, f, options=CrawlOptions(limit=2)).to_dict()
    assert first["new"] == 2
    second = ingest_catalog(kb, f).to_dict()
    assert (second["new"], second["unchanged"], second["not_due"]) == (2, 0, 2)


def test_interrupted_crawl_keeps_what_was_stored(kb):
    answers = routes()

    def interrupt(request):
        raise KeyboardInterrupt

    answers["https://ann.example/2021/shop-demand/"] = interrupt
    f, _ = canned_fetcher(answers)
    report = ingest_catalog(kb, f)
    assert report.summary.interrupted and report.to_dict()["new"] == 2
    state = Frontier(kb.conn).status()["by_state"]
    assert state == {"queued": 2, "done": 2, "failed": 0}
    f, _ = canned_fetcher(routes())
    resumed = ingest_catalog(kb, f).to_dict()
    assert (resumed["new"], resumed["not_due"]) == (2, 2)


def test_competition_filter_and_bad_catalogs(kb):
    f, _ = canned_fetcher(routes())
    d = ingest_catalog(kb, f, competition="old-retina").to_dict()
    assert d["new"] == 1 and d["targets"] == 1
    with pytest.raises(KBError, match="not in the catalog"):
        ingest_catalog(kb, f, competition="nope")
    with pytest.raises(KBError, match="no competitions"):
        ingest_catalog(kb, f, text="just: [a, mapping")
    f, _ = canned_fetcher({})
    with pytest.raises(FetchError):
        ingest_catalog(kb, f)


def test_urls_command_path_reports_unsupported_and_failures(kb):
    f, _ = canned_fetcher(routes())
    report = ingest_urls(kb, f, ["https://bob.example/retina.html", "https://www.youtube.com/watch?v=1",
                                 "https://bob.example/missing.html"])
    d = report.to_dict()
    assert (d["new"], d["skipped"], d["failed"]) == (1, 1, 1)
    reasons = {x["url"]: (x["reason"], x["detail"]) for x in d["failures"]}
    assert reasons["https://bob.example/missing.html"] == ("http_status", "HTTP 404")
    assert Frontier(kb.conn).get("https://bob.example/missing.html")["last_status"] == 404


def test_merge_links_prefers_ranked_links():
    links = [CompetitionLink("a", None, "discussion"), CompetitionLink("a", 3, "description", "A"),
             CompetitionLink("a", 3, None), CompetitionLink("b", None)]
    assert merge_links(links) == (CompetitionLink("a", 3, "description", "A"), CompetitionLink("b", None))


def test_outcomes_pass_through(kb):
    f, _ = canned_fetcher({})
    from ingest.crawl import crawl
    from ingest.sources.dispatch import make_sources

    report = crawl(kb, make_sources(f), [Outcome("x", "skipped", reason="unsupported")])
    assert report.to_dict()["skipped"] == 1
