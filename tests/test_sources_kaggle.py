"""Kaggle discussions and write-ups through canned answers in the real shapes (tests/fixtures/kaggle_payloads.py)."""

from __future__ import annotations

import json

import pytest

from ingest.http import Request, Response
from ingest.sources.base import Target
from ingest.sources.kaggle import (
    API,
    API_COMMENTS,
    API_TOPIC,
    COMPETITION,
    LEADERBOARD,
    PUBLIC_API,
    SITE,
    TOPIC,
    WRITEUP_BY_SLUG,
    WRITEUP_BY_TOPIC,
    KaggleRef,
    KaggleSource,
    parse_kaggle_url,
)
from kb.config import load_settings
from kb.records import CompetitionLink, FetchedDocument, Outcome
from tests.fixtures import kaggle_payloads as kp
from tests.fixtures.canned_http import canned_fetcher, ok, status

HOME = f"{SITE}/"
COOKIES = ("ka_sessionid=s1; path=/; secure; httponly, CSRF-TOKEN=c1; expires=Wed, 21 Oct 2037 07:28:00 GMT;"
           " path=/, XSRF-TOKEN=tok-123; path=/; secure")
POST = ("Two-stage pipeline: a gradient boosted model on lag features, then a small ensemble.\n\n"
        "## Validation\nGroup k-fold.")
REPLY = "Our team's write-up, posted as a reply: target encoding, then a blend of three seeds."
ANN, BOB, CY = kp.user("Ann Example", "annex", "MASTER"), kp.user("Bob Builder", "bobb"), kp.user("Cy Young", "cyy")
URL = "https://www.kaggle.com/c/store-sales/discussion/123"


def home(cookies: str = COOKIES) -> Response:
    return ok("<html><body>app shell</body></html>", **{"Set-Cookie": cookies})


def answer_by(key: str, answers: dict, wrap=lambda a: a):
    """Answer a JSON POST by one field of its body; 404 for unknown keys."""

    def answer(request: Request) -> Response:
        found = answers.get(json.loads(request.body or b"{}").get(key))
        if found is None:
            return status(404, b'{"code": 404, "message": "not found"}', "application/json")
        return ok(json.dumps(wrap(found)), "application/json")

    return answer


def topics(by_id: dict[int, dict]):
    return answer_by("forumTopicId", by_id)


def a_topic(topic_id: int = 123, name: str = "3rd place solution", markdown: str = POST, **kw) -> dict:
    return kp.forum_topic(topic_id, name, ANN, kp.message(1000 + topic_id, ANN, markdown, kind="TOPIC"), **kw)


def source(routes, token: str = "") -> tuple[KaggleSource, object]:
    f, t = canned_fetcher(routes)
    return KaggleSource(f, token=token), t


def test_discussion_is_fetched_through_the_json_endpoint_with_the_xsrf_token():
    src, t = source({HOME: home(), API + TOPIC: topics({123: a_topic()})})
    doc = src.fetch(Target(URL, "kaggle", rank=3))
    assert isinstance(doc, FetchedDocument)
    assert (doc.url, doc.source, doc.raw.decode(), doc.content_type) == (URL, "kaggle", POST, "text/markdown")
    assert (doc.title, doc.author, doc.date) == ("3rd place solution", "Ann Example", "2021-05-02")
    assert doc.site == "kaggle.com" and doc.same_as == ()  # the URL is already the topic's own
    assert doc.links == (CompetitionLink("store-sales", 3, "discussion"),)
    post = t.calls[1]
    assert post.method == "POST" and post.headers["x-xsrf-token"] == "tok-123"
    assert post.headers["Content-Type"] == "application/json" and "Authorization" not in post.headers
    assert json.loads(post.body) == {"forumTopicId": 123, "includeComments": False}


def test_other_url_forms_of_a_topic_name_its_canonical_url():
    src, _ = source({HOME: home(), API + TOPIC: topics({123: a_topic()})})
    doc = src.fetch(Target("https://www.kaggle.com/competitions/store-sales/discussion/123", "kaggle"))
    assert doc.same_as == (URL,)


def test_the_session_is_opened_once_per_run():
    src, t = source({HOME: home(), API + TOPIC: topics({123: a_topic(), 124: a_topic(124)})})
    src.fetch(Target(URL, "kaggle"))
    src.fetch(Target(URL.replace("123", "124"), "kaggle"))
    assert t.urls() == [HOME, API + TOPIC, API + TOPIC]


def test_html_only_messages_fall_back_to_the_html_content():
    topic = a_topic()
    topic["forumTopic"]["firstMessage"]["rawMarkdown"] = ""
    topic["forumTopic"]["firstMessage"]["content"] = "<p>html copy of the post</p>"
    src, _ = source({HOME: home(), API + TOPIC: topics({123: topic})})
    doc = src.fetch(Target(URL, "kaggle"))
    assert isinstance(doc, FetchedDocument) and doc.content_type == "text/html"
    assert doc.raw == b"<p>html copy of the post</p>"


def a_thread() -> dict:
    reply = kp.message(456, BOB, REPLY, posted="2021-05-04T18:30:00.9876543Z", replies=[])
    nested = kp.message(401, ANN, "thank you!", replies=[reply])
    comments = [kp.message(400, CY, "congrats", replies=[nested]), kp.deleted_message(470)]
    return a_topic(comments=comments)


def test_a_link_to_a_reply_stores_that_reply_under_its_own_author():
    src, t = source({HOME: home(), API + TOPIC: topics({123: a_thread()})})
    doc = src.fetch(Target(URL + "#456", "kaggle", rank=5))
    assert isinstance(doc, FetchedDocument) and doc.raw.decode() == REPLY
    assert (doc.author, doc.date, doc.title) == ("Bob Builder", "2021-05-04", "3rd place solution")
    assert doc.url == URL + "#456" and doc.same_as == ()  # the catalog URL, exactly; a reply is not its topic
    assert json.loads(t.calls[1].body)["includeComments"] is True


def test_a_link_to_the_first_message_takes_the_first_message():
    src, _ = source({HOME: home(), API + TOPIC: topics({123: a_thread()})})
    doc = src.fetch(Target(URL + "#1123", "kaggle"))
    assert isinstance(doc, FetchedDocument) and (doc.raw.decode(), doc.author) == (POST, "Ann Example")


@pytest.mark.parametrize("message, why", [(470, "was deleted"), (999, "is not in topic 123")])
def test_a_link_to_a_deleted_or_unknown_reply_is_not_found_rather_than_the_topic(message, why):
    src, _ = source({HOME: home(), API + TOPIC: topics({123: a_thread()})})
    out = src.fetch(Target(f"{URL}#{message}", "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "not_found" and why in out.detail


def test_a_topic_without_text_is_read_through_its_write_up():
    topic = a_topic(markdown="")
    topic["forumTopic"]["firstMessage"]["content"] = ""
    wu = kp.writeup(123, "alpha", "Alpha solution", BOB, POST)
    src, t = source({HOME: home(), API + TOPIC: topics({123: topic}),
                     API + WRITEUP_BY_TOPIC: answer_by("forumTopicId", {123: wu})})
    doc = src.fetch(Target(URL, "kaggle"))
    assert isinstance(doc, FetchedDocument) and (doc.raw.decode(), doc.author, doc.title) == (
        POST, "Bob Builder", "Alpha solution")
    assert t.urls()[-1] == API + WRITEUP_BY_TOPIC


WRITEUP_URL = "https://www.kaggle.com/competitions/store-sales/writeups/beta-solution"
TEAMS = [(11, "Team Alpha", [ANN], 1), (12, "Beta Builders", [CY, BOB], 2), (13, "Gamma", [kp.user("Di")], 3)]


def writeup_routes(board: dict | None = None, writeups: dict | None = None) -> dict:
    writeups = writeups if writeups is not None else {
        "beta-solution": kp.writeup(901, "beta-solution", "Beta solution", BOB, POST)}
    return {
        HOME: home(),
        API + WRITEUP_BY_SLUG: answer_by("slug", writeups),
        API + COMPETITION: ok(json.dumps(kp.competition(77, "store-sales", "Store Sales")), "application/json"),
        API + LEADERBOARD: ok(json.dumps(board or kp.leaderboard(TEAMS)), "application/json"),
        API + TOPIC: topics({900: a_topic(900, "Alpha"), 901: a_topic(901, "Beta")}),
    }


def test_a_writeup_is_read_directly_and_its_catalog_rank_needs_no_leaderboard():
    src, t = source(writeup_routes())
    doc = src.fetch(Target(WRITEUP_URL, "kaggle", rank=2))
    assert isinstance(doc, FetchedDocument)
    assert (doc.raw.decode(), doc.title, doc.author, doc.date) == (POST, "Beta solution", "Bob Builder", "2021-04-09")
    assert doc.links == (CompetitionLink("store-sales", 2, "writeup"),)
    assert doc.same_as == ("https://www.kaggle.com/c/store-sales/discussion/901",)
    assert t.urls() == [HOME, API + WRITEUP_BY_SLUG]
    assert json.loads(t.calls[1].body) == {"slug": "beta-solution", "competitionName": "store-sales"}


def test_a_writeup_without_a_known_rank_takes_it_from_the_private_board_once_per_competition():
    writeups = {"beta-solution": kp.writeup(901, "beta-solution", "Beta solution", BOB, POST),
                "alpha": kp.writeup(900, "alpha", "Alpha", ANN, POST)}
    src, t = source(writeup_routes(writeups=writeups))
    doc = src.fetch(Target(WRITEUP_URL, "kaggle"))
    assert isinstance(doc, FetchedDocument) and doc.links == (CompetitionLink("store-sales", 2, "writeup"),)
    doc2 = src.fetch(Target("https://www.kaggle.com/c/store-sales/writeups/alpha", "kaggle"))
    assert doc2.links[0].rank == 1
    assert t.urls().count(API + LEADERBOARD) == 1 and t.urls().count(API + COMPETITION) == 1
    assert json.loads(t.calls[t.urls().index(API + LEADERBOARD)].body) == {"competitionId": 77}


def test_the_private_rank_wins_over_the_public_one_which_is_used_before_the_competition_ends():
    shaken = [(11, "Team Alpha", [ANN], 1), (12, "Beta Builders", [CY, BOB], 3)]
    src, _ = source(writeup_routes(board=kp.leaderboard(shaken)))
    assert src.fetch(Target(WRITEUP_URL, "kaggle")).links[0].rank == 3  # public board: 1st
    src, _ = source(writeup_routes(board=kp.leaderboard(shaken, private=False)))
    assert src.fetch(Target(WRITEUP_URL, "kaggle")).links[0].rank == 3


def test_an_unreadable_leaderboard_leaves_the_rank_empty_but_keeps_the_writeup():
    routes = writeup_routes()
    routes[API + LEADERBOARD] = status(500)
    src, t = source(routes)
    doc = src.fetch(Target(WRITEUP_URL, "kaggle"))
    assert isinstance(doc, FetchedDocument) and doc.links == (CompetitionLink("store-sales", None, "writeup"),)
    src.fetch(Target(WRITEUP_URL, "kaggle"))
    assert t.urls().count(API + COMPETITION) == 1  # the failure is remembered for the run


def test_without_the_writeup_call_the_leaderboard_links_the_topic():
    board = kp.leaderboard(TEAMS)
    board["teams"][1].update(writeUpForumTopicId=901,
                             solutionWriteUpUrl="https://www.kaggle.com/competitions/store-sales/writeups/beta-solution")
    src, t = source(writeup_routes(board=board, writeups={}))
    doc = src.fetch(Target(WRITEUP_URL, "kaggle"))
    assert isinstance(doc, FetchedDocument) and doc.title == "Beta" and doc.links[0].rank == 2
    assert doc.same_as == ("https://www.kaggle.com/c/store-sales/discussion/901",)
    missing = src.fetch(Target("https://www.kaggle.com/c/store-sales/writeups/gamma", "kaggle"))
    assert isinstance(missing, Outcome) and missing.reason == "not_found"


def test_an_html_answer_is_a_challenge_not_a_parse_error():
    page = ok("<!DOCTYPE html><html><title>Just a moment...</title></html>")
    src, _ = source({HOME: home(), API + TOPIC: page})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.status == "failed" and out.reason == "challenge"
    assert "instead of JSON" in out.detail and out.url == URL


def test_the_first_challenge_opens_a_new_session_once():
    page = ok("<!DOCTYPE html><html><title>Just a moment...</title></html>")
    good = ok(json.dumps(a_topic()), "application/json")
    src, t = source({HOME: [home(), home("XSRF-TOKEN=fresh-456; path=/")], API + TOPIC: [page, good, page]})
    doc = src.fetch(Target(URL, "kaggle"))
    assert isinstance(doc, FetchedDocument)
    assert t.urls() == [HOME, API + TOPIC, HOME, API + TOPIC]
    assert t.calls[3].headers["x-xsrf-token"] == "fresh-456"
    out = src.fetch(Target(URL, "kaggle"))  # a second challenge in the same run is reported, not retried
    assert isinstance(out, Outcome) and out.reason == "challenge"
    assert t.urls()[4:] == [API + TOPIC]


@pytest.mark.parametrize("route", [HOME, API + TOPIC])
def test_403_is_a_challenge(route):
    routes = {HOME: home(), API + TOPIC: topics({123: a_topic()})}
    routes[route] = status(403, b"<html>denied</html>", "text/html")
    src, _ = source(routes)
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "challenge" and "403" in out.detail


def test_broken_json_and_missing_text_are_parse_failures():
    src, _ = source({HOME: home(), API + TOPIC: ok('{"forumTopic": {', "application/json")})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "parse"
    empty = a_topic(markdown="")
    empty["forumTopic"]["firstMessage"]["content"] = ""
    src, _ = source({HOME: home(), API + TOPIC: topics({123: empty})})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and out.reason == "parse" and "no message text" in out.detail


def test_missing_topic_is_an_http_status_failure():
    src, _ = source({HOME: home(), API + TOPIC: topics({})})
    out = src.fetch(Target(URL, "kaggle"))
    assert isinstance(out, Outcome) and (out.reason, out.detail) == ("http_status", "HTTP 404")


def public_routes(**extra) -> dict:
    return {
        PUBLIC_API + API_TOPIC: answer_by("id", {123: kp.public_topic(123, "3rd place solution", "Ann", POST)}),
        **extra,
    }


def test_with_a_token_topics_come_from_the_documented_api_and_the_token_goes_nowhere_else(monkeypatch):
    monkeypatch.setenv("KAGGLE_API_TOKEN", "secret-token")
    f, t = canned_fetcher(public_routes())
    doc = KaggleSource(f, load_settings().kaggle_token).fetch(Target(URL, "kaggle", rank=3))
    assert isinstance(doc, FetchedDocument)
    assert (doc.raw.decode(), doc.author, doc.title, doc.date) == (POST, "Ann", "3rd place solution", "2021-05-02")
    assert doc.content_type == "text/markdown" and doc.fetched_url == PUBLIC_API + API_TOPIC
    assert t.urls() == ["https://api.kaggle.com/v1/discussions.DiscussionApiService/GetTopic"]
    assert t.calls[0].method == "POST" and json.loads(t.calls[0].body) == {"id": 123}
    assert t.calls[0].headers["Authorization"] == "Bearer secret-token"


def test_with_a_token_a_reply_is_found_through_the_comment_pages():
    pages = {None: {"comments": [kp.public_comment(400, "Cy", "congrats")], "nextPageToken": "p2"},
             "p2": {"comments": [kp.public_comment(401, "Ann", "thanks", (kp.public_comment(456, "Bob", REPLY),))],
                    "nextPageToken": ""}}
    src, t = source(public_routes(**{PUBLIC_API + API_COMMENTS: answer_by("pageToken", pages)}), token="tok")
    doc = src.fetch(Target(URL + "#456", "kaggle"))
    assert isinstance(doc, FetchedDocument) and (doc.raw.decode(), doc.author) == (REPLY, "Bob")
    assert [json.loads(c.body).get("pageToken") for c in t.calls[1:]] == [None, "p2"]
    assert json.loads(t.calls[1].body) == {"topicId": 123, "pageSize": 100}


def test_a_topic_the_documented_api_refuses_is_read_anonymously_from_the_site():
    routes = {PUBLIC_API + API_TOPIC: status(403, b'{"code": 403}', "application/json"),
              HOME: home(), API + TOPIC: topics({123: a_topic()})}
    src, t = source(routes, token="tok")
    assert isinstance(src.fetch(Target(URL, "kaggle")), FetchedDocument)
    assert t.urls() == [PUBLIC_API + API_TOPIC, HOME, API + TOPIC]
    assert all("Authorization" not in c.headers for c in t.calls[1:])
    assert src.token == "tok"  # a 403 is about that forum; a 401 is about the token:
    routes[PUBLIC_API + API_TOPIC] = status(401, b'{"code": 401}', "application/json")
    src.fetch(Target(URL, "kaggle"))
    src.fetch(Target(URL, "kaggle"))
    assert src.token is None and t.urls().count(PUBLIC_API + API_TOPIC) == 2


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
