"""A per-run circuit breaker per host: after N answers in a row that say "stop" (HTTP 429, a
login/challenge page), the host's remaining pages are not fetched in this run; they stay in the
frontier, due for the next run.

Without it, a blocked crawl keeps paying each remaining page's retries (1 + 2 + 4 s and a few more
requests each): thousands of calls to a host that has already said no.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kb.records import Outcome

DEFAULT_THRESHOLD = 5


def host_key(url: str) -> str:
    """The host a page belongs to, for counting (``www.`` dropped: kaggle.com and www.kaggle.com are one)."""
    return urlsplit(url).netloc.lower().removeprefix("www.")


def is_blocking(outcome: Outcome) -> bool:
    """An answer that asks us to stop: a challenge/login page or HTTP 429 (after the fetcher's own retries)."""
    if outcome.status != "failed":
        return False
    if outcome.reason == "challenge":
        return True
    return outcome.reason == "http_status" and outcome.detail.startswith("HTTP 429")


@dataclass
class HostBreaker:
    threshold: int = DEFAULT_THRESHOLD
    streak: Counter[str] = field(default_factory=Counter)
    tripped: dict[str, str] = field(default_factory=dict)  # host → the last answer that asked us to stop
    left: Counter[str] = field(default_factory=Counter)  # host → pages not fetched since

    def allows(self, url: str) -> bool:
        """False (and the page counted as left) once the host's breaker is open."""
        host = host_key(url)
        if host in self.tripped:
            self.left[host] += 1
            return False
        return True

    def record(self, url: str, outcome: Outcome) -> bool:
        """Count one answer; True when this one opens the host's breaker."""
        host = host_key(url)
        if not is_blocking(outcome):
            self.streak[host] = 0
            return False
        self.streak[host] += 1
        if self.threshold > 0 and self.streak[host] >= self.threshold:
            self.tripped[host] = f"{outcome.reason}: {outcome.detail}".strip(": ")
            return True
        return False

    def report(self) -> dict[str, dict]:
        """``{host: {"answers", "last", "left_queued"}}`` for every host stopped in this run."""
        return {host: {"answers": self.threshold, "last": last, "left_queued": self.left[host]}
                for host, last in self.tripped.items()}
