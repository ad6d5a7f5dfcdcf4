"""Kaggle discussions and write-ups without a browser, through Kaggle's JSON endpoints.

Anonymous route (no token): GET the site once for the ``XSRF-TOKEN`` cookie, then POST the site's
own endpoints (``www.kaggle.com/api/i/...``) with header ``x-xsrf-token``; no credentials are ever
sent there. With ``KAGGLE_API_TOKEN``, topics are read from the documented API instead
(``api.kaggle.com/v1/discussions.DiscussionApiService/GetTopic``, the route Kaggle's own SDK sends
tokens to); a topic that API refuses falls back to the anonymous route.

``/writeups/<name>`` URLs are read with ``WriteUpsService/GetWriteUpBySlug``; the competition's
leaderboard (2.5 MB) is read only when the rank is not known already, once per competition. A link
to one reply (``#<message>``) stores that reply under its own author.

An HTML answer where JSON was expected, or a 401/403, is a login/challenge page (reason
``challenge``); the first one in a run opens a new session (the XSRF token can expire) and retries
once. The stored URL is the URL given (the catalog's) exactly; a write-up also names its forum
topic's URL (``same_as``), so the one stored from Meta Kaggle under that URL is recognised.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from ingest.errors import FetchError
from ingest.http import Fetcher
from ingest.sources.base import Target, failed
from ingest.sources.kaggle_json import (
    Leaderboard,
    MissingMessage,
    Post,
    as_int,
    parse_leaderboard,
    public_comment_post,
    public_topic_post,
    topic_post,
    writeup_post,
    writeup_topic_id,
)
from kb.records import CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)

SITE = "https://www.kaggle.com"
API = f"{SITE}/api/i/"
PUBLIC_API = "https://api.kaggle.com/v1/"
TOPIC = "discussions.DiscussionsService/GetForumTopicById"
WRITEUP_BY_SLUG = "discussions.WriteUpsService/GetWriteUpBySlug"
WRITEUP_BY_TOPIC = "discussions.WriteUpsService/GetWriteUpByTopicId"
COMPETITION = "competitions.CompetitionService/GetCompetition"
LEADERBOARD = "competitions.LeaderboardService/GetLeaderboard"
API_TOPIC = "discussions.DiscussionApiService/GetTopic"
API_COMMENTS = "discussions.DiscussionApiService/ListComments"
MAX_COMMENT_PAGES = 20

_DISCUSSION = re.compile(r"kaggle\.com/(?:c|competitions)/([^/?#]+)/discussion/(\d+)", re.I)
_OTHER_DISCUSSION = re.compile(r"kaggle\.com/(?:.*?/discussion|discussions/[^/?#]+)/(\d+)", re.I)
_WRITEUP = re.compile(r"kaggle\.com/(?:c|competitions)/([^/?#]+)/writeups/([^/?#]+)", re.I)
_UNSUPPORTED = "not a Kaggle discussion or write-up URL"
_XSRF = re.compile(r"(?:^|[\s,;])XSRF-TOKEN=([^;,\s]+)")


@dataclass(frozen=True)
class KaggleRef:
    """What a Kaggle URL points at: a forum topic (maybe one reply in it) or a write-up."""

    slug: str | None
    topic_id: int | None = None
    message_id: int | None = None
    writeup: str | None = None


def parse_kaggle_url(url: str) -> KaggleRef | None:
    """``/c/<slug>/discussion/<id>[#<message>]``, ``/competitions/...`` and ``/c/<slug>/writeups/<w>``."""
    fragment = url.partition("#")[2]
    message = int(fragment) if fragment.isdigit() else None
    if m := _WRITEUP.search(url):
        return KaggleRef(m.group(1).lower(), writeup=m.group(2))
    if m := _DISCUSSION.search(url):
        return KaggleRef(m.group(1).lower(), int(m.group(2)), message)
    if m := _OTHER_DISCUSSION.search(url):
        return KaggleRef(None, int(m.group(1)), message)
    return None


def topic_url(slug: str, topic_id: int) -> str:
    """The canonical URL of a competition forum topic (the form Meta Kaggle documents are stored under)."""
    return f"{SITE}/c/{slug}/discussion/{topic_id}"


class KaggleSource:
    name = "kaggle"

    def __init__(self, fetcher: Fetcher, token: str | None = None):
        self.fetcher = fetcher
        self.token = token  # Settings.kaggle_token (KAGGLE_API_TOKEN)
        self._xsrf: str | None = None
        self._session_ready = False
        self._reopened = False
        self._boards: dict[str, Leaderboard | None] = {}

    def discover(self, url: str) -> list[Target | Outcome]:
        ref = parse_kaggle_url(url)
        if ref is None:
            return [Outcome(url, "skipped", reason="unsupported", detail=_UNSUPPORTED)]
        return [Target(url, self.name, competition_slug=ref.slug)]

    def fetch(self, target: Target) -> FetchedDocument | Outcome:
        ref = parse_kaggle_url(target.url)
        if ref is None:
            return Outcome(target.url, "skipped", reason="unsupported", detail=_UNSUPPORTED)
        slug = ref.slug or target.competition_slug
        rank, kind = target.rank, "discussion"
        try:
            if ref.writeup:
                kind = "writeup"
                post, fetched = self._writeup(ref, target.url)
                if rank is None:
                    rank = self._rank(ref, post, target.url)
            else:
                post, fetched = self._topic(ref, target.url)
        except FetchError as e:
            return failed(target.url, e)
        links = (CompetitionLink(slug, rank, kind),) if slug else ()
        same_as: tuple[str, ...] = ()
        if slug and post.topic_id is not None and ref.message_id is None:
            same_as = tuple(u for u in (topic_url(slug, post.topic_id),) if u != target.url)
        return FetchedDocument(
            url=target.url, source=self.name, raw=post.text.encode("utf-8"), content_type=post.content_type,
            charset="utf-8", title=post.title, author=post.author, date=post.date, site="kaggle.com",
            fetched_url=fetched, links=links, same_as=same_as,
        )

    # -- topics -----------------------------------------------------------------------------
    def _topic(self, ref: KaggleRef, page: str) -> tuple[Post, str]:
        """A forum topic (or one reply in it): the documented API with a token, else the site's endpoint."""
        topic_id = ref.topic_id
        assert topic_id is not None
        if self.token:
            try:
                return self._public_topic(topic_id, ref.message_id, page), PUBLIC_API + API_TOPIC
            except FetchError as e:
                if e.status not in (401, 403, 404) and e.reason != "not_found":
                    raise
                log.info("%s: the documented API answered %s; trying the site's endpoint without the token",
                         page, e.detail or e.reason)
        data = self._call(TOPIC, {"forumTopicId": topic_id, "includeComments": ref.message_id is not None}, page)
        topic = data.get("forumTopic")
        if not isinstance(topic, dict):
            topic = data
        try:
            post = topic_post(topic, ref.message_id)
        except MissingMessage as e:
            raise FetchError(page, "not_found", str(e)) from e
        fetched = API + TOPIC
        if post is None and ref.message_id is None:  # a write-up whose text lives in the write-up only
            try:
                post = writeup_post(self._call(WRITEUP_BY_TOPIC, {"forumTopicId": topic_id}, page))
            except FetchError as e:
                if e.status != 404:
                    raise
            fetched = API + WRITEUP_BY_TOPIC
        if post is None:
            raise FetchError(page, "parse", "the topic answer has no message text")
        return replace(post, topic_id=topic_id, title=post.title or _text(topic.get("name"))), fetched

    def _public_topic(self, topic_id: int, message_id: int | None, page: str) -> Post:
        data = self._public_call(API_TOPIC, {"id": topic_id}, page)
        post = public_topic_post(data)
        if message_id is None:
            if post is None:
                raise FetchError(page, "parse", f"{API_TOPIC} answered no content")
            return replace(post, topic_id=topic_id)
        title = post.title if post else None
        token: str | None = None
        for _ in range(MAX_COMMENT_PAGES):
            body = {"topicId": topic_id, "pageSize": 100, **({"pageToken": token} if token else {})}
            answer = self._public_call(API_COMMENTS, body, page)
            try:
                reply = public_comment_post(answer.get("comments") or [], message_id, title)
            except MissingMessage as e:
                raise FetchError(page, "not_found", f"{e} (topic {topic_id})") from e
            if reply is not None:
                return reply
            token = answer.get("nextPageToken") or None
            if not token:
                break
        raise FetchError(page, "not_found", f"message {message_id} is not in topic {topic_id}")

    # -- write-ups --------------------------------------------------------------------------
    def _writeup(self, ref: KaggleRef, page: str) -> tuple[Post, str]:
        """``GetWriteUpBySlug``; without it (or without text there), the topic the leaderboard links to."""
        slug, topic_id = ref.slug or "", None
        try:
            answer = self._call(WRITEUP_BY_SLUG, {"slug": ref.writeup, "competitionName": slug}, page)
        except FetchError as e:
            if e.status != 404 and e.reason != "parse":
                raise
            log.info("%s: %s answered %s; looking the write-up up on the leaderboard", page, WRITEUP_BY_SLUG,
                     e.detail or e.reason)
        else:
            post = writeup_post(answer)
            if post is not None:
                return post, API + WRITEUP_BY_SLUG
            topic_id = writeup_topic_id(answer)
        if topic_id is None:
            board = self._board(slug, page)
            topic_id = board.topic_of(ref.writeup or "") if board else None
        if topic_id is None:
            raise FetchError(page, "not_found", f"no write-up {ref.writeup!r} in competition {slug!r}")
        return self._topic(KaggleRef(slug, topic_id), page)

    def _rank(self, ref: KaggleRef, post: Post, page: str) -> int | None:
        """The write-up's rank from the leaderboard (None when the board cannot be read or names no team)."""
        try:
            board = self._board(ref.slug or "", page)
        except FetchError as e:
            log.info("%s: no rank, the leaderboard could not be read: %s", page, e)
            return None
        return board.rank_of(topic_id=post.topic_id, writeup=ref.writeup, people=post.people) if board else None

    def _board(self, slug: str, page: str) -> Leaderboard | None:
        """The competition's leaderboard, read once per run (a failure is remembered too)."""
        if slug not in self._boards:
            self._boards[slug] = None
            comp = self._call(COMPETITION, {"competitionName": slug}, page)
            comp_id = as_int(comp.get("id") or (comp.get("competition") or {}).get("id"))
            if comp_id is None:
                raise FetchError(page, "parse", f"no id for competition {slug!r}")
            self._boards[slug] = parse_leaderboard(self._call(LEADERBOARD, {"competitionId": comp_id}, page))
        return self._boards[slug]

    # -- the JSON endpoints -----------------------------------------------------------------
    def _session(self, page: str) -> None:
        """GET the site once: it sets the XSRF-TOKEN cookie the API calls must echo."""
        if self._session_ready:
            return
        try:
            resp = self.fetcher.fetch(f"{SITE}/", expect_text=True, use_cache=False)
        except FetchError as e:
            if e.status in (401, 403):
                raise FetchError(page, "challenge", f"kaggle.com refused the session request (HTTP {e.status})",
                                 e.status) from e
            raise
        m = _XSRF.search(resp.header("set-cookie"))
        self._xsrf = m.group(1) if m else None
        if self._xsrf is None:
            log.info("kaggle.com set no XSRF-TOKEN cookie; calling the API without it")
        self._session_ready = True

    def _call(self, method: str, payload: dict, page: str) -> dict:
        """One call to the site's endpoint; the first challenge of a run opens a new session and retries."""
        try:
            return self._call_once(method, payload, page)
        except FetchError as e:
            if e.reason != "challenge" or self._reopened:
                raise
            self._reopened = True
            log.info("%s: %s; opening a new session and trying once more", page, e.detail)
            self._session_ready = False
            return self._call_once(method, payload, page)

    def _call_once(self, method: str, payload: dict, page: str) -> dict:
        self._session(page)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._xsrf:
            headers["x-xsrf-token"] = self._xsrf
        try:
            resp = self.fetcher.fetch(API + method, method="POST", headers=headers, robots_url=page,
                                      body=json.dumps(payload).encode("utf-8"))
        except FetchError as e:
            if e.status in (401, 403):
                raise FetchError(page, "challenge", f"{method} answered HTTP {e.status} (login or challenge)",
                                 e.status) from e
            raise FetchError(page, e.reason, e.detail, e.status) from e
        return _json_object(resp.content, resp.content_type, method, page)

    def _public_call(self, method: str, payload: dict, page: str) -> dict:
        """The documented API, with the token; robots.txt is for crawlers of pages, not for it."""
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Authorization": f"Bearer {self.token}"}
        try:
            resp = self.fetcher.fetch(PUBLIC_API + method, method="POST", headers=headers, robots=False,
                                      body=json.dumps(payload).encode("utf-8"))
        except FetchError as e:
            if e.status == 401:
                log.warning("api.kaggle.com refused KAGGLE_API_TOKEN (HTTP 401); continuing without it")
                self.token = None
            raise FetchError(page, e.reason, e.detail, e.status) from e
        return _json_object(resp.content, resp.content_type, method, page)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _json_object(content: bytes, content_type: str, method: str, page: str) -> dict:
    body = content.lstrip()
    if "json" not in content_type and not body.startswith((b"{", b"[")):
        raise FetchError(page, "challenge", f"{method} answered {content_type or 'no content type'}"
                         " instead of JSON (login or challenge page)")
    try:
        data = json.loads(body)
    except ValueError as e:
        raise FetchError(page, "parse", f"{method} answered invalid JSON: {e}") from e
    if not isinstance(data, dict):
        raise FetchError(page, "parse", f"{method} answered {type(data).__name__}, not an object")
    return data
