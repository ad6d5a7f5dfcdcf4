"""What ``KnowledgeBase.recommend`` returns: plain, frozen records with a stable JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from kb.recommend.coverage import Coverage


@dataclass(frozen=True)
class Evidence:
    """One quote from a write-up that credits a technique."""

    url: str
    title: str
    competition: str | None
    competition_title: str | None
    rank: int | None
    year: int | None
    snippet: str
    helped: bool
    document_id: int
    chunk_id: int
    weight: float = 0.0
    source: str | None = None

    @property
    def passage_url(self) -> str:
        """The write-up's URL with a text fragment that makes browsers scroll to the quote."""
        words = self.snippet.strip(" .…").split()
        if not words or not self.url.startswith(("http://", "https://")) or "#" in self.url:
            return self.url
        start = " ".join(words[:6]).strip("…")
        return f"{self.url}#:~:text={quote(start, safe='')}"

    def to_json(self) -> dict:
        return {"url": self.url, "title": self.title, "competition": self.competition, "rank": self.rank,
                "snippet": self.snippet, "helped": self.helped, "year": self.year,
                "competition_title": self.competition_title, "passage_url": self.passage_url}


@dataclass(frozen=True)
class TechniqueScore:
    """A recommended technique: how strongly similar competitions' winners credit it, and the quotes.

    ``support`` is the number of similar competitions whose write-ups credit it (independent
    evidence); ``helped``/``not_helped`` count those competitions' write-ups that report it as
    helping / not helping; ``lift`` is how much more often similar competitions' winners credit it
    than winners in general."""

    name: str
    category: str
    aliases: tuple[str, ...]
    description: str
    score: float
    documents: int
    helped: int
    not_helped: int
    evidence: tuple[Evidence, ...]
    support: int = 0
    lift: float = 0.0
    competitions: tuple[str, ...] = ()  # slugs of the similar competitions that credit it

    def to_json(self) -> dict:
        return {"name": self.name, "category": self.category, "aliases": list(self.aliases),
                "score": round(self.score, 6), "support": self.support, "lift": round(self.lift, 3),
                "helped": self.helped, "not_helped": self.not_helped, "competitions": list(self.competitions),
                "evidence": [e.to_json() for e in self.evidence]}


@dataclass(frozen=True)
class DocumentRef:
    id: int
    url: str
    title: str


@dataclass(frozen=True)
class SimilarCompetition:
    """A past competition like the query, why, and whether kb holds its write-ups."""

    slug: str
    title: str | None
    year: int | None
    score: float
    metric: str | None = None
    modality: str | None = None
    url: str | None = None
    documents: tuple[str, ...] = ()
    task_type: str | None = None
    metric_family: str | None = None
    reason: str = ""
    has_writeups: bool = True
    techniques: tuple[str, ...] = ()  # what its winners credit, most distinctive first
    document_refs: tuple[DocumentRef, ...] = ()

    @property
    def fetch_command(self) -> str | None:
        """How to fetch this competition's write-ups when kb has none."""
        return None if self.has_writeups else f"kb ingest catalog --competition {self.slug}"

    def to_json(self) -> dict:
        return {"slug": self.slug, "title": self.title, "year": self.year, "score": round(self.score, 6),
                "reason": self.reason, "has_writeups": self.has_writeups, "metric": self.metric,
                "modality": self.modality, "task_type": self.task_type, "url": self.url,
                "techniques": list(self.techniques), "fetch_command": self.fetch_command}


@dataclass(frozen=True)
class QueryProfile:
    """How kb read the query: its modality, task type and metric family, and how sure it is (0-1).
    ``inferred`` says which fields were read from the text rather than given by the user."""

    modality: str | None = None
    task_type: str | None = None
    metric_family: str | None = None
    confidence: float = 0.0
    metric: str | None = None
    year: int | None = None
    constraints: tuple[str, ...] = ()
    inferred: tuple[str, ...] = ("modality", "task_type", "metric_family")
    year_assumed: bool = False  # no date in the text and none given: the newest catalog year

    def read_as(self) -> str:
        """"image · segmentation · iou/dice" (unknown fields left out)."""
        parts = [p for p in (self.modality, self.task_type, self.metric or self.metric_family) if p]
        return " · ".join(parts) if parts else "unknown"

    def to_json(self) -> dict:
        return {"modality": self.modality, "task_type": self.task_type, "metric_family": self.metric_family,
                "confidence": round(self.confidence, 3), "metric": self.metric, "year": self.year,
                "year_assumed": self.year_assumed,
                "constraints": list(self.constraints), "inferred": list(self.inferred)}


@dataclass(frozen=True)
class Recommendation:
    """The answer to "which techniques won competitions like this one": distinctive techniques with
    quotes, the table stakes on a line of their own, and the similar competitions with reasons.
    ``abstained`` is True when nothing in the knowledge base is close to the query."""

    query: str
    techniques: list[TechniqueScore] = field(default_factory=list)
    competitions: list[SimilarCompetition] = field(default_factory=list)
    abstained: bool = False
    profile: QueryProfile = field(default_factory=QueryProfile)
    table_stakes: list[str] = field(default_factory=list)
    message: str = ""
    shares: list[tuple[str, float]] = field(default_factory=list)  # every technique's share, table stakes too
    kept_sections: tuple[str, ...] = ()
    dropped_sections: tuple[str, ...] = ()
    coverage: Coverage | None = None  # how many write-ups of the query's modality and years kb holds

    def to_json(self) -> dict:
        return {"query": self.query, "abstained": self.abstained, "message": self.message,
                "profile": self.profile.to_json(), "table_stakes": list(self.table_stakes),
                "techniques": [t.to_json() for t in self.techniques],
                "competitions": [c.to_json() for c in self.competitions],
                "shares": [{"name": n, "share": round(v, 4)} for n, v in self.shares],
                "page": {"kept": list(self.kept_sections), "dropped": list(self.dropped_sections)},
                "coverage": self.coverage.to_json() if self.coverage else None}
