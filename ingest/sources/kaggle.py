"""Kaggle discussions and write-ups without a browser, through Kaggle's JSON endpoints.

GET the site once for the ``XSRF-TOKEN`` cookie, then POST ``GetForumTopicById`` with header
``x-xsrf-token``. ``/writeups/<slug>`` URLs are mapped to their forum topic (and rank) through the
competition's leaderboard. An HTML answer where JSON was expected is a login/challenge page and is
reported as reason ``challenge``. The stored URL is the URL given (the catalog's) exactly.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest.http import Fetcher
from ingest.report import Outcome
from ingest.sources.base import Target, failed
from kb.errors import FetchError
from kb.models import CompetitionLink, FetchedDocument

log = logging.getLogger(__name__)

SITE = "https://www.kaggle.com"
API = f"{SITE}/api/i/"
TOPIC = "discussions.DiscussionsService/GetForumTopicById"
COMPETITION = "competitions.CompetitionService/GetCompetition"
LEADERBOARD = "competitions.LeaderboardService/GetLeaderboard"

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


def _walk_messages(items: Any) -> Iterator[dict]:
    for item in items or []:
        if isinstance(item, dict):
            yield item
            yield from _walk_messages(item.get("replies"))


def _date(value: Any) -> str | None:
    s = str(value or "")
    return s[:10] if re.match(r"\d{4}-\d{2}-\d{2}", s) else None


def _message_text(message: Any) -> tuple[str, str] | None:
    """(text, content type) of one message: rawMarkdown, else its HTML content."""
    if not isinstance(message, dict):
        return None
    markdown = message.get("rawMarkdown")
    if isinstance(markdown, str) and markdown.strip():
        return markdown, "text/markdown"
    html = message.get("content")
    if isinstance(html, str) and html.strip():
        return html, "text/html"
    return None


def topic_document(topic: dict, message_id: int | None = None) -> tuple[str, str, dict | None] | None:
    """The write-up text of a ``forumTopic``: the linked reply, the write-up, else the first message."""
    candidates: list[Any] = []
    if message_id is not None:
        candidates += [m for m in _walk_messages(topic.get("comments")) if m.get("id") == message_id]
    write_up = topic.get("writeUp") if isinstance(topic.get("writeUp"), dict) else {}
    candidates += [write_up.get("message"), write_up, topic.get("firstMessage")]
    for message in candidates:
        found = _message_text(message)
        if found:
            return found[0], found[1], message
    return None


def _teams(board: Any) -> list[dict]:
    if isinstance(board, dict):
        for key in ("teams", "leaderboard", "privateLeaderboard", "publicLeaderboard"):
            if isinstance(board.get(key), list):
                return [t for t in board[key] if isinstance(t, dict)]
    return []


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class KaggleSource:
    name = "kaggle"

    def __init__(self, fetcher: Fetcher, token: str | None = None):
        self.fetcher = fetcher
        self.token = token if token is not None else os.environ.get("KAGGLE_API_TOKEN")
        self._xsrf: str | None = None
        self._session_ready = False
        self._boards: dict[str, list[dict]] = {}

    def discover(self, url: str) -> list[Target | Outcome]:
        ref = parse_kaggle_url(url)
        if ref is None:
            return [Outcome(url, "skipped", reason="unsupported", detail=_UNSUPPORTED)]
        return [Target(url, self.name, competition_slug=ref.slug)]

    def fetch(self, target: Target) -> FetchedDocument | Outcome:
        ref = parse_kaggle_url(target.url)
        if ref is None:
            return Outcome(target.url, "skipped", reason="unsupported", detail=_UNSUPPORTED)
        rank, kind = target.rank, "discussion"
        try:
            topic_id = ref.topic_id
            if ref.writeup:
                kind = "writeup"
                topic_id, board_rank = self._writeup_topic(ref, target.url)
                rank = rank if rank is not None else board_rank
            data = self._call(TOPIC, {"forumTopicId": topic_id, "includeComments": ref.message_id is not None},
                              target.url)
        except FetchError as e:
            return failed(target.url, e)
        topic = data.get("forumTopic") if isinstance(data.get("forumTopic"), dict) else data
        found = topic_document(topic, ref.message_id)
        if found is None:
            return Outcome(target.url, "failed", reason="parse", detail="the topic answer has no message text")
        text, content_type, message = found
        author = topic.get("authorUserDisplayName") or (message or {}).get("authorDisplayName")
        slug = ref.slug or target.competition_slug
        links = (CompetitionLink(slug, rank, kind),) if slug else ()
        return FetchedDocument(
            url=target.url, source=self.name, raw=text.encode("utf-8"), content_type=content_type, charset="utf-8",
            title=topic.get("name") or topic.get("title") or (topic.get("writeUp") or {}).get("title"),
            author=author, date=_date((message or {}).get("postDate") or topic.get("postDate")), site="kaggle.com",
            fetched_url=API + TOPIC, links=links,
        )

    # -- the JSON API -----------------------------------------------------------------------
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
        self._session(page)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._xsrf:
            headers["x-xsrf-token"] = self._xsrf
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.fetcher.fetch(API + method, method="POST", headers=headers, robots_url=page,
                                      body=json.dumps(payload).encode("utf-8"))
        except FetchError as e:
            if e.status in (401, 403):
                raise FetchError(page, "challenge", f"{method} answered HTTP {e.status} (login or challenge)",
                                 e.status) from e
            raise FetchError(page, e.reason, e.detail, e.status) from e
        body = resp.content.lstrip()
        if "json" not in resp.content_type and not body.startswith((b"{", b"[")):
            raise FetchError(page, "challenge", f"{method} answered {resp.content_type or 'no content type'}"
                             " instead of JSON (login or challenge page)")
        try:
            data = json.loads(body)
        except ValueError as e:
            raise FetchError(page, "parse", f"{method} answered invalid JSON: {e}") from e
        if not isinstance(data, dict):
            raise FetchError(page, "parse", f"{method} answered {type(data).__name__}, not an object")
        return data

    def _writeup_topic(self, ref: KaggleRef, page: str) -> tuple[int, int | None]:
        """Forum topic id and rank of a ``/writeups/<slug>`` URL, from the competition's leaderboard."""
        slug = ref.slug or ""
        if slug not in self._boards:
            comp = self._call(COMPETITION, {"competitionName": slug}, page)
            comp_id = _int(comp.get("id") or (comp.get("competition") or {}).get("id"))
            if comp_id is None:
                raise FetchError(page, "parse", f"no id for competition {slug!r}")
            self._boards[slug] = _teams(self._call(LEADERBOARD, {"competitionId": comp_id}, page))
        suffix = f"/writeups/{ref.writeup}".lower()
        for team in self._boards[slug]:
            link = str(team.get("solutionWriteUpUrl") or "").split("?")[0].rstrip("/").lower()
            topic = _int(team.get("writeUpForumTopicId"))
            if link.endswith(suffix) and topic is not None:
                return topic, _int(team.get("rank") or team.get("privateLeaderboardRank"))
        raise FetchError(page, "not_found", f"no team on the {slug} leaderboard links to write-up {ref.writeup!r}")
