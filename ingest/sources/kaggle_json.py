"""Kaggle's JSON answers → the post to store (text, author, date) and a write-up's rank.

Pure functions over the shapes Kaggle's endpoints return, kept apart from the fetching so they can
be checked against recorded answers:

- ``GetForumTopicById`` → ``forumTopic`` with top-level ``authorUserDisplayName``, ``firstMessage``
  and ``comments[]`` (nested ``replies[]``), each message with ``rawMarkdown``, ``content`` (HTML),
  ``author.displayName`` and ``postDate`` (fractions of a second of any length);
- ``GetWriteUpBySlug`` / ``GetWriteUpByTopicId`` → a write-up: ``title``, ``topicId``, ``message``,
  ``authors``, ``collaborators[]``;
- ``GetLeaderboard`` → ``teams[]`` (names and members, **no rank**) and ``privateLeaderboard[]`` /
  ``publicLeaderboard[]`` (``teamId`` → ``rank``);
- the documented API (``api.kaggle.com/v1``): ``GetTopic`` → ``topic`` with ``authorName`` and
  ``content``; ``ListComments`` → ``comments[]`` with ``authorName``, ``content``, ``replies[]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

_HTML_START = re.compile(r"\s*<(?:p|div|h[1-6]|ul|ol|pre|blockquote|table|br|span|a|img|em|strong)\b", re.I)


@dataclass(frozen=True)
class Post:
    """One message worth storing, with what Kaggle says about it."""

    text: str
    content_type: str  # text/markdown (rawMarkdown) or text/html (rendered content)
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD
    title: str | None = None
    topic_id: int | None = None
    people: tuple[str, ...] = field(default=())  # names and user names of the authors, to find their team


class MissingMessage(LookupError):
    """A link to one reply whose message is not in the topic (deleted, or another topic's)."""


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def iso_date(value: Any) -> str | None:
    """``2026-08-14T23:50:52.4632092Z`` → ``2026-08-14`` (None when it is not such a date)."""
    s = str(value or "")
    return s[:10] if re.match(r"\d{4}-\d{2}-\d{2}", s) else None


def walk_messages(items: Any) -> Iterator[dict]:
    """Every comment and reply, depth first."""
    for item in items or []:
        if isinstance(item, dict):
            yield item
            yield from walk_messages(item.get("replies"))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def message_text(message: Any) -> tuple[str, str] | None:
    """(text, content type) of one message: ``rawMarkdown``, else its HTML ``content``."""
    message = _dict(message)
    markdown = message.get("rawMarkdown")
    if isinstance(markdown, str) and markdown.strip():
        return markdown, "text/markdown"
    html = message.get("content")
    if isinstance(html, str) and html.strip():
        return html, "text/html"
    return None


def sniffed_type(text: str) -> str:
    """The documented API returns one ``content`` field: HTML when it opens with a tag, else markdown."""
    return "text/html" if _HTML_START.match(text) else "text/markdown"


def _people(*users: Any) -> tuple[str, ...]:
    out: list[str] = []
    for user in users:
        user = _dict(user)
        out += [v.strip() for k in ("displayName", "userName") if isinstance(v := user.get(k), str) and v.strip()]
    return tuple(dict.fromkeys(out))


def topic_post(topic: dict, message_id: int | None = None) -> Post | None:
    """The post a topic link stands for: the linked reply (by its own author), else the write-up or first message.

    Raises :class:`MissingMessage` when ``message_id`` names a reply that is not there or was deleted;
    returns None when the topic has no text at all.
    """
    first = _dict(topic.get("firstMessage"))
    title = _text(topic.get("name")) or _text(topic.get("title")) or _text(_dict(topic.get("writeUp")).get("title"))
    if message_id is not None and message_id != as_int(first.get("id")):
        reply = next((m for m in walk_messages(topic.get("comments")) if as_int(m.get("id")) == message_id), None)
        if reply is None:
            raise MissingMessage(f"message {message_id} is not in topic {topic.get('id')}")
        found = message_text(reply)
        if found is None or reply.get("isDeleted"):
            raise MissingMessage(f"message {message_id} of topic {topic.get('id')} was deleted")
        author = _dict(reply.get("author"))
        return Post(found[0], found[1], _text(author.get("displayName")), iso_date(reply.get("postDate")), title,
                    people=_people(author))
    write_up = _dict(topic.get("writeUp"))
    for message in (write_up.get("message"), write_up, first):
        found = message_text(message)
        if found is None:
            continue
        author = _dict(_dict(message).get("author"))
        name = _text(author.get("displayName")) or _text(topic.get("authorUserDisplayName"))
        user = _text(topic.get("authorUserName"))
        return Post(found[0], found[1], name, iso_date(_dict(message).get("postDate") or topic.get("postDate")),
                    title, people=tuple(dict.fromkeys([*_people(author), *(p for p in (name, user) if p)])))
    return None


def writeup_post(answer: dict) -> Post | None:
    """A ``WriteUpsService`` answer (the write-up itself, or wrapped in ``writeUp``); None without text."""
    write_up = _dict(answer.get("writeUp")) or answer
    message = _dict(write_up.get("message"))
    author = _dict(message.get("author"))
    collaborators = [c for c in write_up.get("collaborators") or [] if isinstance(c, dict)]
    named = [a.strip() for a in str(write_up.get("authors") or "").split(",") if a.strip()]
    name = _text(author.get("displayName")) or (named[0] if named else None) or next(
        iter(_people(*collaborators)), None)
    found = message_text(message) or message_text(write_up)
    if found is None:
        return None
    topic_id = as_int(write_up.get("topicId") or write_up.get("forumTopicId"))
    date = iso_date(message.get("postDate") or write_up.get("publishTime") or write_up.get("createTime"))
    people = tuple(dict.fromkeys([*_people(author, *collaborators), *named]))
    return Post(found[0], found[1], name, date, _text(write_up.get("title")), topic_id or None, people)


def writeup_topic_id(answer: dict) -> int | None:
    """The forum topic a write-up answer belongs to, even when it carries no text."""
    write_up = _dict(answer.get("writeUp")) or answer
    return as_int(write_up.get("topicId") or write_up.get("forumTopicId")) or None


def public_topic_post(answer: dict) -> Post | None:
    """``DiscussionApiService/GetTopic`` → the topic's first message."""
    topic = _dict(answer.get("topic")) or answer
    text = _text(topic.get("content"))
    if text is None:
        return None
    author = _text(topic.get("authorName"))
    return Post(text, sniffed_type(text), author, iso_date(topic.get("postDate")), _text(topic.get("title")),
                as_int(topic.get("id")), tuple(p for p in (author,) if p))


def public_comment_post(comments: Iterable[Any], message_id: int, title: str | None) -> Post | None:
    """The reply ``message_id`` among ``ListComments`` comments (None when it is not on this page)."""
    for comment in walk_messages(list(comments)):
        if as_int(comment.get("id")) != message_id:
            continue
        text = _text(comment.get("content"))
        if text is None:
            raise MissingMessage(f"message {message_id} was deleted")
        author = _text(comment.get("authorName"))
        return Post(text, sniffed_type(text), author, iso_date(comment.get("postDate")), title,
                    people=tuple(p for p in (author,) if p))
    return None


@dataclass(frozen=True)
class Leaderboard:
    """A competition's teams and their ranks (private board when there is one, else public)."""

    teams: tuple[dict, ...]
    ranks: dict[int, int]

    def topic_of(self, writeup: str) -> int | None:
        """The forum topic of write-up ``writeup``, for boards whose teams link their write-ups."""
        team = self._team_by_link(writeup)
        return as_int(team.get("writeUpForumTopicId")) if team else None

    def rank_of(self, *, topic_id: int | None = None, writeup: str | None = None,
                people: Iterable[str] = ()) -> int | None:
        """The rank of the team that wrote it: by linked topic or write-up URL, else by its authors' names."""
        team = None
        if topic_id is not None:
            team = next((t for t in self.teams if as_int(t.get("writeUpForumTopicId")) == topic_id), None)
        if team is None and writeup:
            team = self._team_by_link(writeup)
        wanted = {p.casefold() for p in people}
        if team is None and wanted:
            team = next((t for t in self.teams if wanted & {m.casefold() for m in _members(t)}), None)
        if team is None:
            return None
        return self.ranks.get(as_int(team.get("teamId")) or -1) or as_int(
            team.get("rank") or team.get("privateLeaderboardRank") or team.get("publicLeaderboardRank"))

    def _team_by_link(self, writeup: str) -> dict | None:
        suffix = f"/writeups/{writeup}".lower()
        for team in self.teams:
            link = str(team.get("solutionWriteUpUrl") or "").split("?")[0].rstrip("/").lower()
            if link and link.endswith(suffix):
                return team
        return None


def _members(team: dict) -> tuple[str, ...]:
    leader = _dict(_dict(team.get("teamUpInfo")).get("teamLeader"))
    members = [m for m in team.get("teamMembers") or [] if isinstance(m, dict)]
    names = [team["teamName"]] if isinstance(team.get("teamName"), str) else []
    return (*_people(leader, *members), *names)


def parse_leaderboard(answer: Any) -> Leaderboard:
    """``GetLeaderboard`` → teams and ``teamId`` → rank (private entries win over public ones)."""
    answer = _dict(answer)
    ranks: dict[int, int] = {}
    for key in ("publicLeaderboard", "privateLeaderboard"):  # private last: it overrides
        for entry in answer.get(key) or []:
            team, rank = as_int(_dict(entry).get("teamId")), as_int(_dict(entry).get("rank"))
            if team is not None and rank is not None:
                ranks[team] = rank
    teams = [t for t in answer.get("teams") or answer.get("leaderboard") or [] if isinstance(t, dict)]
    if not teams:  # older answers: the board entries are the teams
        teams = [t for key in ("privateLeaderboard", "publicLeaderboard") for t in answer.get(key) or []
                 if isinstance(t, dict)]
    return Leaderboard(tuple(teams), ranks)
