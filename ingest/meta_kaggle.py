"""``kb ingest meta-kaggle DIR``: Meta Kaggle (Kaggle's public dump of competitions and forums) → solution
write-ups with ranks.

Two streaming passes, so ForumMessages.csv (about 2 GB) is never held in memory:
1. Competitions.csv, Teams.csv and ForumTopics.csv decide which messages are wanted: the first
   message of each ``Teams.WriteUpForumTopicId`` topic (exact rank), and for competitions without
   any such topic, topics whose title looks like a solution ("1st place solution", ...).
2. ForumMessages.csv is streamed and only the wanted rows become documents (``RawMarkdown`` when
   present, else the ``Message`` HTML).
Only real competitions are kept (``HostSegmentTitle`` Featured, Research, Playground, Recruitment or
Getting Started: not InClass or Community ones; configurable). Files may start with a UTF-8 BOM.
Malformed rows are reported with their file and line and skipped. Documents are stored under their
forum topic's URL (``/c/<slug>/discussion/<topic>``), the URL a catalog ``/writeups/<name>`` link
also names, so the two are recognised as one write-up.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from ingest.errors import MirrorError
from ingest.report import Summary
from ingest.runner import finalize, store_all
from ingest.sources.kaggle import topic_url
from kb.api import KnowledgeBase
from kb.progress import ProgressFactory, no_progress
from kb.records import Competition, CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)

COMPETITIONS, TEAMS, TOPICS, MESSAGES = "Competitions.csv", "Teams.csv", "ForumTopics.csv", "ForumMessages.csv"
COMPETITION_TAGS, TAGS = "CompetitionTags.csv", "Tags.csv"
REQUIRED = (COMPETITIONS, TEAMS, TOPICS, MESSAGES)
SEGMENTS = ("Featured", "Research", "Playground", "Recruitment", "Getting Started")  # real competitions
DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
MAX_REPORTED = 50  # malformed rows listed per file; the rest are counted
_FIELD_LIMIT = 256 * 1024 * 1024

_GOOD_WORDS = ("solution", "place", "private", "gold", "write-up", "writeup", "approach")
_BAD_WORDS = ("?", "submit", "benchmark", "question", "error", "help", "starter", "baseline")
_ORDINAL = re.compile(r"\b(\d{1,4})\s*(?:st|nd|rd|th)\b", re.I)
_PLACE_NUMBER = re.compile(r"\b(?:place|rank|position)\s*#?\s*(\d{1,4})\b", re.I)


def parse_date(value: str | None) -> datetime | None:
    """Meta Kaggle dates: ``%m/%d/%Y %H:%M:%S``, older dumps ``%m/%d/%Y %I:%M:%S %p``."""
    s = (value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def title_rank(title: str) -> tuple[bool, int | None]:
    """(looks like a solution write-up, rank named in the title) for the older-competition heuristic."""
    low = title.lower()
    if not any(w in low for w in _GOOD_WORDS) or any(w in low for w in _BAD_WORDS):
        return False, None
    m = _ORDINAL.search(title) or _PLACE_NUMBER.search(title)
    return True, int(m.group(1)) if m else None


def _int(value: str | None) -> int | None:
    s = (value or "").strip()
    if not s:
        return None
    try:
        return int(float(s)) if "." in s else int(s)
    except ValueError:
        return None


def reward(quantity: str | None, kind: str | None) -> str | None:
    """``RewardQuantity`` ``"100000.0"`` and ``RewardType`` ``"USD"`` → ``"100000 USD"`` (None for no prize)."""
    s = (quantity or "").strip()
    try:
        value = float(s)
    except ValueError:
        return None
    if not value:
        return None
    amount = str(int(value)) if value.is_integer() else f"{value:g}"
    return f"{amount} {(kind or '').strip()}".strip()


@dataclass(frozen=True)
class CompetitionRow:
    id: int
    slug: str
    title: str | None
    forum_id: int | None
    competition: Competition


@dataclass(frozen=True)
class Wanted:
    """A message to keep: the first message of a solution topic."""

    topic_id: int
    competition_id: int
    rank: int | None
    title: str
    kind: str  # writeup (Teams.WriteUpForumTopicId) or title (heuristic)


@dataclass
class Plan:
    competitions: dict[int, CompetitionRow] = field(default_factory=dict)
    wanted: dict[int, Wanted] = field(default_factory=dict)  # first message id → topic

    def used_competitions(self) -> list[Competition]:
        ids = {w.competition_id for w in self.wanted.values()}
        return [self.competitions[i].competition for i in sorted(ids) if i in self.competitions]


class MetaKaggleDump:
    def __init__(self, root: Path, *, max_rank: int | None = None, heuristic: bool = True,
                 segments: tuple[str, ...] | None = SEGMENTS):
        self.root = Path(root)
        missing = [n for n in REQUIRED if not (self.root / n).is_file()]
        if not self.root.is_dir() or missing:
            raise MirrorError(f"{self.root} is not a Meta Kaggle dump: missing {', '.join(missing) or 'folder'}")
        self.max_rank = max_rank
        self.heuristic = heuristic
        self.segments = None if segments is None else {x.strip().casefold() for x in segments}
        self.left_out: dict[str, int] = {}  # HostSegmentTitle → competitions not kept
        self.problems: list[str] = []
        self.problem_counts: dict[str, int] = {}

    # -- streaming --------------------------------------------------------------------------
    def rows(self, name: str, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, row) for each well-formed row of ``name``; bad rows are reported and skipped."""
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
        path = self.root / name
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.reader(line.replace("\0", "") for line in fh)
            try:
                header = next(reader)
            except StopIteration:
                self._problem(name, 1, "empty file")
                return
            except csv.Error as e:
                self._problem(name, 1, f"unreadable header: {e}")
                return
            absent = [c for c in required if c not in header]
            if absent:
                raise MirrorError(f"{path}: missing column(s) {', '.join(absent)}")
            width = len(header)
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    self._problem(name, reader.line_num, str(e))
                    continue
                if not values:
                    continue
                if len(values) != width:
                    self._problem(name, reader.line_num, f"expected {width} fields, found {len(values)}")
                    continue
                yield reader.line_num, dict(zip(header, values, strict=True))

    def _problem(self, name: str, line: int, what: str) -> None:
        self.problem_counts[name] = self.problem_counts.get(name, 0) + 1
        if self.problem_counts[name] <= MAX_REPORTED:
            self.problems.append(f"{name} line {line}: {what}")

    def problem_outcomes(self) -> list[Outcome]:
        out = [Outcome("meta-kaggle", "skipped", reason="malformed", detail=p) for p in self.problems]
        for name, count in self.problem_counts.items():
            if count > MAX_REPORTED:
                out.append(Outcome("meta-kaggle", "skipped", reason="malformed",
                                   detail=f"{name}: {count - MAX_REPORTED} more malformed rows not listed"))
        return out

    # -- pass 1 -----------------------------------------------------------------------------
    def _tags(self) -> dict[int, list[str]]:
        if not (self.root / COMPETITION_TAGS).is_file() or not (self.root / TAGS).is_file():
            return {}
        names = {}
        for line, row in self.rows(TAGS, ("Id", "Name")):
            if (tid := _int(row["Id"])) is None:
                self._problem(TAGS, line, f"bad Id {row['Id']!r}")
            else:
                names[tid] = row["Name"].strip()
        out: dict[int, list[str]] = {}
        for _, row in self.rows(COMPETITION_TAGS, ("CompetitionId", "TagId")):
            cid, tid = _int(row["CompetitionId"]), _int(row["TagId"])
            if cid is not None and tid in names and names[tid]:
                out.setdefault(cid, []).append(names[tid])
        return out

    def competitions(self) -> dict[int, CompetitionRow]:
        tags = self._tags()
        out: dict[int, CompetitionRow] = {}
        for line, row in self.rows(COMPETITIONS, ("Id", "Slug", "Title", "ForumId")):
            cid, slug = _int(row["Id"]), row["Slug"].strip().lower()
            if cid is None or not slug:
                self._problem(COMPETITIONS, line, f"bad Id/Slug {row['Id']!r}/{row['Slug']!r}")
                continue
            segment = (row.get("HostSegmentTitle") or "").strip()
            if self.segments is not None and "HostSegmentTitle" in row and segment.casefold() not in self.segments:
                self.left_out[segment or "(none)"] = self.left_out.get(segment or "(none)", 0) + 1
                continue
            deadline = parse_date(row.get("DeadlineDate")) or parse_date(row.get("EnabledDate"))
            subtitle = (row.get("Subtitle") or "").strip()
            if tags.get(cid):
                subtitle = f"{subtitle} (tags: {', '.join(tags[cid])})".strip()
            prize = reward(row.get("RewardQuantity"), row.get("RewardType"))
            comp = Competition(
                slug=slug, title=row["Title"].strip() or None, description=subtitle or None,
                kind=segment or None,
                metric=(row.get("EvaluationAlgorithmAbbreviation") or row.get("EvaluationAlgorithmName") or "").strip()
                or None,
                year=deadline.year if deadline else None, team_count=_int(row.get("TotalTeams")), prize=prize,
                url=f"https://www.kaggle.com/c/{slug}",
            )
            out[cid] = CompetitionRow(cid, slug, comp.title, _int(row["ForumId"]), comp)
        return out

    def plan(self) -> Plan:
        """Pass 1: which first messages are solution write-ups, with competition and rank."""
        plan = Plan(self.competitions())
        writeups: dict[int, tuple[int, int | None]] = {}  # topic id → (competition id, rank)
        for line, row in self.rows(TEAMS, ("CompetitionId", "WriteUpForumTopicId")):
            topic, cid = _int(row["WriteUpForumTopicId"]), _int(row["CompetitionId"])
            if topic is None:
                continue
            if cid is None:
                self._problem(TEAMS, line, f"bad CompetitionId {row['CompetitionId']!r}")
                continue
            rank = _int(row.get("PrivateLeaderboardRank")) or _int(row.get("PublicLeaderboardRank"))
            if self.max_rank is None or (rank is not None and rank <= self.max_rank):
                writeups.setdefault(topic, (cid, rank))
        with_writeups = {cid for cid, _ in writeups.values()}
        by_forum = {c.forum_id: c.id for c in plan.competitions.values()
                    if c.forum_id is not None and c.id not in with_writeups}
        for line, row in self.rows(TOPICS, ("Id", "ForumId", "FirstForumMessageId", "Title")):
            tid, first = _int(row["Id"]), _int(row["FirstForumMessageId"])
            if tid is None:
                self._problem(TOPICS, line, f"bad Id {row['Id']!r}")
                continue
            if first is None or (row.get("KernelId") or "").strip():
                continue
            title = row["Title"].strip()
            if tid in writeups:
                cid, rank = writeups[tid]
                plan.wanted[first] = Wanted(tid, cid, rank, title, "writeup")
                continue
            forum = _int(row["ForumId"])
            cid = by_forum.get(forum) if self.heuristic and forum is not None else None
            if cid is None:
                continue
            looks, rank = title_rank(title)
            if looks and (self.max_rank is None or (rank is not None and rank <= self.max_rank)):
                plan.wanted[first] = Wanted(tid, cid, rank, title, "title")
        plan.wanted = {m: w for m, w in plan.wanted.items() if w.competition_id in plan.competitions}
        return plan

    # -- pass 2 -----------------------------------------------------------------------------
    def documents(self, plan: Plan) -> Iterator[FetchedDocument | Outcome]:
        """Pass 2: stream ForumMessages.csv; yield a document per wanted message, then what was missing."""
        found: set[int] = set()
        for line, row in self.rows(MESSAGES, ("Id", "ForumTopicId", "Message")):
            mid = _int(row["Id"])
            if mid is None:
                self._problem(MESSAGES, line, f"bad Id {row['Id']!r}")
                continue
            want = plan.wanted.get(mid)
            if want is None or mid in found:
                continue
            found.add(mid)
            comp = plan.competitions[want.competition_id]
            url = topic_url(comp.slug, want.topic_id)
            markdown = (row.get("RawMarkdown") or "").strip()
            body, ctype = (row["RawMarkdown"], "text/markdown") if markdown else (row["Message"], "text/html")
            posted = parse_date(row.get("PostDate"))
            yield FetchedDocument(
                url=url, source="kaggle", raw=body.encode("utf-8"), content_type=ctype, charset="utf-8",
                title=want.title or None, date=posted.strftime("%Y-%m-%d") if posted else None, site="kaggle.com",
                fetched_url=f"meta-kaggle:{MESSAGES}#{mid}",
                links=(CompetitionLink(comp.slug, want.rank, want.kind, comp.title),),
            )
        for mid, want in plan.wanted.items():
            if mid not in found:
                comp = plan.competitions[want.competition_id]
                yield Outcome(topic_url(comp.slug, want.topic_id), "failed", reason="not_found",
                              detail=f"first message {mid} is not in {MESSAGES}")


def ingest_meta_kaggle(kb: KnowledgeBase, root: Path, *, progress: ProgressFactory = no_progress,
                       limit: int | None = None, max_rank: int | None = None, heuristic: bool = True,
                       embed: bool = True, segments: tuple[str, ...] | None = SEGMENTS) -> Summary:
    """Plan from competitions/teams/topics, store competitions, then stream the wanted messages.

    ``segments``: the ``HostSegmentTitle`` values of the competitions to keep (None: all, InClass too).
    Re-running is cheap: unchanged write-ups are recognised by hash and nothing is re-embedded.
    """
    dump = MetaKaggleDump(root, max_rank=max_rank, heuristic=heuristic, segments=segments)
    summary = Summary()
    plan = dump.plan()
    if dump.left_out:
        log.info("left out competitions of other segments: %s",
                 ", ".join(f"{n} {name}" for name, n in sorted(dump.left_out.items(), key=lambda kv: -kv[1])))
    summary.competitions = kb.upsert_competitions(plan.used_competitions())
    total = len(plan.wanted) if limit is None else min(limit, len(plan.wanted))
    docs = dump.documents(plan)
    store_all(kb, islice(docs, limit) if limit is not None else docs, summary, progress, total=total,
              description="storing write-ups")
    for outcome in dump.problem_outcomes():
        summary.add(outcome)
    if embed and not summary.interrupted:
        finalize(kb, summary, progress)
    return summary
