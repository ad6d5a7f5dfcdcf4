"""A recommendation as Markdown: what a competitor pastes into their competition notes.

Quotes are third-party text: characters that would turn them into links, images, HTML or code are
escaped, and only http(s) links are written.
"""

from __future__ import annotations

import re

from kb.metric_names import readable_metric
from kb.recommend.types import Recommendation

_ACTIVE = re.compile(r"([\\`*_\[\]<>#|])")
QUERY_CHARS = 400


def _text(value: object) -> str:
    return _ACTIVE.sub(r"\\\1", " ".join(str(value).split()))


def _link(label: str, url: str | None) -> str:
    if url and url.startswith(("https://", "http://")) and not re.search(r"[\s()<>]", url):
        return f"[{_text(label)}]({url})"
    return _text(label)


def to_markdown(rec: Recommendation) -> str:
    """The whole answer: how the query was read, table stakes, techniques with quotes, similar competitions."""
    p = rec.profile
    query = rec.query if len(rec.query) <= QUERY_CHARS else rec.query[:QUERY_CHARS].rsplit(" ", 1)[0] + " …"
    lines = ["# What won competitions like this one", "", f"> {_text(query)}", "",
             f"**Read as:** {_text(p.read_as())}"
             + ("" if not p.inferred else f" (inferred, confidence {p.confidence:.0%})")]
    if p.constraints:
        lines.append(f"**Constraints:** {_text(', '.join(p.constraints))}")
    if rec.coverage and rec.coverage.note:
        lines += ["", f"*{_text(rec.coverage.note)}*"]
    if rec.abstained:
        lines += ["", f"**{_text(rec.message or 'No close match.')}**"]
    if rec.table_stakes:
        lines += ["", f"**Table stakes** (a third or more of {_text(p.modality or 'all')} winners credit these): "
                  + ", ".join(_text(t) for t in rec.table_stakes)]
    if rec.techniques:
        lines += ["", "## Distinctive techniques", ""]
    for i, t in enumerate(rec.techniques, 1):
        support = f"credited in {t.support} similar competition{'s' if t.support != 1 else ''}"
        lift = f", {t.lift:.1f}× the base rate" if t.lift >= 1.5 else ""
        lines.append(f"{i}. **{_text(t.name)}** ({_text(t.category)}) — {support}{lift}")
        for e in t.evidence:
            facts = ", ".join(x for x in (_text(e.competition_title or e.competition or ""),
                                          str(e.year) if e.year else "", f"rank {e.rank}" if e.rank else "") if x)
            lines.append(f"   - “{_text(e.snippet)}” — {facts} · {_link('write-up', e.url)}"
                         f" · {_link('passage', e.passage_url)}")
    if rec.competitions:
        lines += ["", "## Similar past competitions", ""]
    for c in rec.competitions:
        metric = readable_metric(c.metric)
        head = f"- {_link(c.title or c.slug, c.url)} ({c.year or '?'}{', ' + _text(metric) if metric else ''})"
        lines.append(f"{head} — score {c.score:.2f}: {_text(c.reason)}")
        if not c.has_writeups:
            lines.append(f"  - no write-up in kb yet: `{c.fetch_command}`")
    return "\n".join(lines) + "\n"
