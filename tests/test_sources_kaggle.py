"""Kaggle discussions and write-ups through canned JSON answers in the shapes Kaggle's endpoints use."""

from __future__ import annotations

import json

import pytest

from ingest.http import Request, Response
from ingest.report import Outcome
from ingest.sources.base import Target
from ingest.sources.kaggle import API, COMPETITION, LEADERBOARD, SITE, TOPIC, KaggleRef, KaggleSource, parse_kaggle_url
from kb.models import CompetitionLink, FetchedDocument
from tests.fixtures.canned_http import canned_fetcher, ok, status

HOME = f"{SITE}/"
COOKIES = ("ka_sessionid=s1; path=/; secure; httponly, CSRF-TOKEN=c1; expires=Wed, 21 Oct 2037 07:28:00 GMT;"
           " path=/, XSRF-TOKEN=tok-123; path=/; secure")
POST = ("Two-stage pipeline: a gradient boosted model on lag features, then a small ensemble.\n\n"
        "## Validation\nGroup k-fold.")


def home() -> Response:
    return ok("<html><body>app shell</body></html>", **{"Set-Cookie": COOKIES})


def topic_answer(topics: dict[int, dict]):
    def answer(request: Request) -> Response:
        payload = json.loads(request.body or b"{}")
        topic = topics.get(payload.get("forumTopicId"))
        if topic is None:
            return status(404, b'{"error": "not found"}', "application/json")
        return ok(json.dumps({"forumTopic": topic}), "application/json")

    return answer


def topic(name: str, markdown: str | None, **extra) -> dict:
    first = {"id": 1, "postDate": "2021-05-02T10:00:00.000Z", "content": "<p>html copy</p>"}
    if markdown is not None:
        first["rawMarkdown"] = markdown
    return {"id": 5, "name": name, "authorUserDisplayName": "Ann Example", "authorPerformanceTier": "MASTER",
            "firstMessage": first, **extra}


def source(routes) -> tuple[KaggleSource, object]:
    f, t = canned_fetcher(routes)
    return KaggleSource(f, token=""), t


URL = "https://www.kaggle.com/c/store-sales/discussion/123"


def test_discussion_is_fetched_through_the_json_endpoint_with_the_xsrf_token():
    src, t = source({HOME: home(), API + TOPIC: topic_answer({123: topic("3rd place solution", POST)})})
    doc = src.fetch(Target(URL, "kaggle", rank=3))
    assert isinstance(doc, FetchedDocument)
    assert (doc.url, doc.source, doc.raw.decode(), doc.content_type) == (URL, "kaggle", POST, "text/markdown")
    assert (doc.title, doc.author, doc.date) == ("3rd place solution", "Ann Example", "2021-05-02")
    assert doc.site == "kaggle.com"
    assert doc.links == (CompetitionLink("store-sales", 3, "discussion"),)
    post = t.calls[1]
    assert post.method == "POST" and post.headers["x-xsrf-token"] == "tok-123"
    assert post.headers["Content-Type"] == "application/json"
    assert json.loads(post.body) == {"forumTopicId": 123, "includeComments": False}


def test_the_session_is_opened_once_per_run():
    topics = {123: topic("a", POST), 124: topic("b", POST)}
    src, t = source({HOME: home(), API + TOPIC: topic_answer(topics)})
    src.fetch(Target(URL, "kaggle"))
    src.fetch(Target(URL.replace("123", "124"), "kaggle"))
    assert t.urls() == [HOME, API + TOPIC, API + TOPIC]


def test_html_only_messages_fall_back_to_the_html_content():
    src, _ = source({HOME: home(), API + TOPIC: topic_answer({123: topic("t", None)})})
    doc = src.fetch(Target(URL, "kaggle"))
    assert isinstance(doc, FetchedDocument) and doc.content_type == "text/html" and doc.raw == b"<p>html copy</p>"


def test_a_link_to_a_reply_takes_that_reply():
    reply = {"id": 456, "rawMarkdown": "The reply that holds the write-up, with enough words to keep.", "replies": []}
    nested = {"id": 401, "rawMarkdown": "you too", "replies": [reply]}
    comments = [{"id": 400, "rawMarkdown": "thanks!", "replies": [nested]}]
    src, t = source({HOME: home(), API + TOPIC: topic_answer({123: topic("t", POST, comments=comments)})})
    doc = src.fetch(Target(URL + "#456", "kaggle"))
    assert isinstance(doc, FetchedDocument) and doc.raw.decode() == reply["rawMarkdown"]
    assert doc.url == URL + "#456"  # the catalog URL, exactly
    assert json.loads(t.calls[1].body)["includeComments"] is True


def test_writeup_urls_are_resolved_through_the_leaderboard_once_per_competition():
    teams = {"teams": [
        {"teamId": 1, "rank": 1, "writeUpForumTopicId": 900,
         "solutionWriteUpUrl": "/competitions/store-sales/writeups/alpha"},
        {"teamId": 2, "rank": 2, "writeUpForumTopicId": 901,
         "solutionWriteUpUrl": "https://www.kaggle.com/competitions/store-sales/writeups/beta-solution"},
        {"teamId": 3, "rank": 3},
    ]}
    write_up = topic("", None, writeUp={"title": "Beta solution", "message": {"rawMarkdown": POST}})
    write_up["name"] = None
    routes = {
        HOME: home(),
        API + COMPETITION: ok(json.dumps({"id": 77, "competitionName": "store-sales"}), "application/json"),
        API + LEADERBOARD: ok(json.dumps(teams), "application/json"),
        API + TOPIC: topic_answer({900: topic("Alpha", POST), 901: write_up}),
    }
    src, t = source(routes)
    doc = src.fetch(Target("https://www.kaggle.com/competitions/store-sales/writeups/beta-solution", "kaggle"))
    assert isinstance(doc, FetchedDocument)
    assert doc.links == (CompetitionLink("store-sales", 2, "writeup"),) and doc.title == "Beta solution"
    assert doc.raw.decode() == POST
    doc2 = src.fetch(Target("https://www.kaggle.com/c/store-sales/writeups/alpha", "kaggle"))
    assert isinstance(doc2, FetchedDocument) and doc2.links[0].rank == 1
    assert t.urls().count(API + LEADERBOARD) == 1 and t.urls().count(API + COMPETITION) == 1
    assert json.loads(t.calls[2].body) == {"competitionId": 77}
    missing = src.fetch(Target("https://www.kaggle.com/c/store-sales/writeups/gamma", "kaggle"))
    assert isinstance(missing, Outcome) and missing.reason == "not_found"


def test_an_html_answer_is_a_challenge_not_a_parse_error():
    page = ok("<!DOCTYPE html><html><title>Just a moment...</title></html>")
    src, _ = source({HOME: home(), API + TOPIC: page})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.status == "failed" and out.reason == "challenge"
    assert "instead of JSON" in out.detail and out.url == URL


@pytest.mark.parametrize("route", [HOME, API + TOPIC])
def test_403_is_a_challenge(route):
    routes = {HOME: home(), API + TOPIC: topic_answer({123: topic("t", POST)})}
    routes[route] = status(403, b"<html>denied</html>", "text/html")
    src, _ = source(routes)
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "challenge" and "403" in out.detail


def test_broken_json_and_missing_text_are_parse_failures():
    src, _ = source({HOME: home(), API + TOPIC: ok('{"forumTopic": {', "application/json")})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "parse"
    empty = topic("t", None)
    empty["firstMessage"].pop("content")
    src, _ = source({HOME: home(), API + TOPIC: topic_answer({123: empty})})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "parse" and "no message text" in out.detail


def test_missing_topic_is_an_http_status_failure():
    src, _ = source({HOME: home(), API + TOPIC: topic_answer({})})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and (out.reason, out.detail) == ("http_status", "HTTP 404")


def test_bearer_token_is_sent_when_configured(monkeypatch):
    monkeypatch.setenv("KAGGLE_API_TOKEN", "secret-token")
    f, t = canned_fetcher({HOME: home(), API + TOPIC: topic_answer({123: topic("t", POST)})})
    KaggleSource(f).fetch(Target(URL, "kaggle"))
    assert t.calls[1].headers["Authorization"] == "Bearer secret-token"


def test_url_forms():
    assert parse_kaggle_url(URL).topic_id == 123
    ref = parse_kaggle_url("https://www.kaggle.com/competitions/Store-Sales/discussion/77#9")
    assert (ref.slug, ref.topic_id, ref.message_id) == ("store-sales", 77, 9)
    assert parse_kaggle_url("https://www.kaggle.com/c/x/writeups/some-team").writeup == "some-team"
    assert parse_kaggle_url("https://www.kaggle.com/discussions/general/55") == KaggleRef(None, 55)
    assert parse_kaggle_url("https://www.kaggle.com/code/someone/a-notebook") is None
    src, _ = source({})
    [skip] = src.discover("https://www.kaggle.com/code/someone/a-notebook")
    assert isinstance(skip, Outcome) and skip.reason == "unsupported"
