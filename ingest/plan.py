"""What a crawl is about to do, said before it starts: pages per host and a time estimate.

A first ``kb ingest catalog`` means thousands of requests to one host at the polite rate of one a
second; the user should see that (and the faster ways) before the first request, not after an hour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.breaker import host_key

REQUEST_SECONDS = 0.5  # a typical answer time: pages of a host are never fetched faster than this


@dataclass(frozen=True)
class CrawlPlan:
    hosts: dict[str, int]  # pages due per host, most first
    delay: float  # seconds between two requests to the same host

    @classmethod
    def of(cls, urls: Iterable[str], delay: float) -> CrawlPlan:
        counts = Counter(host_key(u) for u in urls)
        return cls(dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), delay)

    @property
    def pages(self) -> int:
        return sum(self.hosts.values())

    def host_seconds(self, host: str) -> float:
        return self.hosts[host] * max(self.delay, REQUEST_SECONDS)

    @property
    def seconds(self) -> float:
        """Pages are fetched one after another, so the hosts' times add up."""
        return sum(self.host_seconds(h) for h in self.hosts)

    def to_dict(self) -> dict:
        return {"pages": self.pages, "hosts": dict(self.hosts), "estimated_seconds": round(self.seconds)}


def duration(seconds: float) -> str:
    """``4225`` → ``1 h 10 min``; ``75`` → ``1 min``; ``20`` → ``20 s``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def render_plan(plan: CrawlPlan, *, catalog: bool = False) -> str:
    rate = f"one request per {plan.delay:g} s per host" if plan.delay else "no delay between requests"
    lines = [f"Plan: {plan.pages:,} pages to fetch, about {duration(plan.seconds)} ({rate}):"]
    width = max(len(h) for h in plan.hosts)
    shown = list(plan.hosts)[:8]
    for host in shown:
        lines.append(f"  {host:<{width}}  {plan.hosts[host]:>6,}  ~{duration(plan.host_seconds(host))}")
    rest = plan.hosts.keys() - set(shown)
    if rest:
        lines.append(f"  … {len(rest)} more hosts, {sum(plan.hosts[h] for h in rest):,} pages")
    if plan.hosts.get("kaggle.com", 0) >= 100:
        lines.append("Faster for Kaggle: `kb ingest meta-kaggle DIR` reads every write-up from the Meta Kaggle"
                     " dump at once.")
    lines.append(f"A part only: {'--competition SLUG or ' if catalog else ''}--limit N. Ctrl-C keeps what is"
                 " stored; run the same command again to continue.")
    return "\n".join(lines)
