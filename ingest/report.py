"""Counting what an ingest did: the per-document outcomes (:class:`kb.records.Outcome`) and the summary the CLI
prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kb.records import STATUSES, Outcome


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    embedded_chunks: int = 0
    competitions: int = 0
    interrupted: bool = False

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("failed", "skipped")]

    def failures_by_reason(self) -> dict[str, list[Outcome]]:
        grouped: dict[str, list[Outcome]] = {}
        for o in self.failures:
            grouped.setdefault(o.reason or "unknown", []).append(o)
        return grouped

    def to_dict(self) -> dict:
        counts = Counter(o.status for o in self.outcomes)
        return {
            "fetched": len(self.outcomes) - counts["skipped"],
            **{s: counts[s] for s in STATUSES},
            "embedded_chunks": self.embedded_chunks,
            "competitions": self.competitions,
            "interrupted": self.interrupted,
            "failures": [{"url": o.url, "status": o.status, "reason": o.reason, "detail": o.detail}
                         for o in self.failures],
        }


def render_summary(summary: Summary) -> str:
    d = summary.to_dict()
    lines = ["", "Ingest summary", "--------------"]
    lines.append(f"{'fetched':>12}: {d['fetched']}")
    for status in STATUSES:
        lines.append(f"{status:>12}: {d[status]}")
    lines.append(f"{'embedded':>12}: {d['embedded_chunks']} passages")
    if summary.competitions:
        lines.append(f"{'competitions':>12}: {summary.competitions}")
    grouped = summary.failures_by_reason()
    if grouped:
        lines.append("")
        lines.append("Failures and skips by reason:")
        for reason, items in sorted(grouped.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"  {reason} ({len(items)})")
            for o in items[:20]:
                lines.append(f"    - {o.url}: {o.detail}")
            if len(items) > 20:
                lines.append(f"    … and {len(items) - 20} more")
    if summary.interrupted:
        lines.append("\nInterrupted: what was stored is kept; run the same command again to continue.")
    return "\n".join(lines)
