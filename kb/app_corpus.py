"""The corpus view: what the knowledge base holds, how fresh it is, and charts over it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb.api import KnowledgeBase
from kb.app_queries import (
    documents_per_source,
    documents_per_year,
    freshness,
    modality_coverage,
    technique_counts,
    technique_years,
)
from kb.app_render import escape_markdown

# shown by default in the popularity chart when the vocabulary has them
FAVOURITES = ("gradient boosting", "lightgbm", "transformer", "convolutional neural network", "pseudo labeling",
              "ensembling", "data augmentation")
DEFAULT_TECHNIQUES = 4


def render(kb: KnowledgeBase) -> None:
    st.header("What the knowledge base holds")
    stats = kb.stats()
    cols = st.columns(5)
    cols[0].metric("Write-ups", stats["documents"])
    cols[1].metric("Competitions covered", stats["competitions_with_documents"],
                   help=f"of {stats['competitions']} in the catalog")
    cols[2].metric("Passages", stats["chunks"])
    cols[3].metric("Embedded", stats["embeddings"])
    counts = technique_counts(kb)
    cols[4].metric("Techniques seen", len(counts))
    st.caption(_freshness_line(kb, stats))
    if kb.is_empty():
        return
    per_year, per_source = st.columns(2)
    with per_year:
        st.subheader("Write-ups per year")
        years = documents_per_year(kb)
        st.bar_chart(pd.DataFrame({"write-ups": years}).rename_axis("year"), y_label="write-ups")
    with per_source:
        st.subheader("Write-ups per source")
        st.bar_chart(pd.DataFrame({"write-ups": documents_per_source(kb)}).rename_axis("source"),
                     y_label="write-ups")
    _popularity(kb, counts, years)
    _coverage(kb)


def _freshness_line(kb: KnowledgeBase, stats: dict) -> str:
    fresh = freshness(kb)
    index = stats.get("index") or {}
    parts = [f"last ingest {fresh['last_fetched'] or 'never'}"]
    if fresh["newest_competition_year"]:
        parts.append(f"newest competition {fresh['newest_competition_year']}")
    if fresh["newest_document_date"]:
        parts.append(f"newest dated write-up {fresh['newest_document_date']}")
    if index:
        parts.append(f"vector index of {index.get('count')} passages built {index.get('built_at')}"
                     f" with {index.get('model')}")
    else:
        parts.append("no vector index yet (run `kb index rebuild`)")
    parts.append(f"data in {stats['home']}")
    return escape_markdown(" · ".join(parts))


def _popularity(kb: KnowledgeBase, counts: dict[str, int], years: dict[int, int]) -> None:
    st.subheader("Technique popularity over the years")
    if not counts:
        st.info("No technique has been tagged yet.")
        return
    if "techs" not in st.session_state:
        preferred = [t for t in FAVOURITES if t in counts][:DEFAULT_TECHNIQUES]
        st.session_state["techs"] = preferred or list(counts)[:DEFAULT_TECHNIQUES]
    st.session_state["techs"] = [t for t in st.session_state["techs"] if t in counts]
    chosen = st.multiselect("Techniques", list(counts), key="techs",
                            format_func=lambda t: f"{t} ({counts[t]})")
    if not chosen:
        st.caption("Choose a few techniques to compare.")
        return
    share = popularity_frame(technique_years(kb, chosen), years)
    st.line_chart(share, y_label="% of that year's write-ups crediting it", x_label="year")


def popularity_frame(by_technique: dict[str, dict[int, int]], documents: dict[int, int]) -> pd.DataFrame:
    """Percent of each year's write-ups that credit each technique (years with no write-ups left out)."""
    frame = pd.DataFrame({t: {y: 100.0 * by_year.get(y, 0) / n for y, n in documents.items() if n}
                          for t, by_year in by_technique.items()})
    return frame.sort_index().rename_axis("year")


def _coverage(kb: KnowledgeBase) -> None:
    st.subheader("Coverage by modality")
    rows = modality_coverage(kb)
    if not rows:
        st.info("No competitions yet.")
        return
    frame = pd.DataFrame(
        {"with write-ups": {r.modality: r.with_writeups for r in rows},
         "without write-ups": {r.modality: r.competitions - r.with_writeups for r in rows}}).rename_axis("modality")
    st.bar_chart(frame, horizontal=True, x_label="competitions in the catalog")
    st.caption(escape_markdown(", ".join(f"{r.modality}: {r.documents} write-ups" for r in rows if r.documents)))
