"""The corpus view: what the knowledge base holds, how fresh it is, and charts over it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb import CorpusStats, KnowledgeBase, ModalityCoverage, Stats
from kb.app.render import escape_markdown

# shown by default in the popularity chart when the vocabulary has them
FAVOURITES = ("gradient boosted trees", "xgboost", "lightgbm", "transformer", "bert", "cnn", "pseudo labeling")
DEFAULT_TECHNIQUES = 4
MIN_DOCUMENTS = 10  # write-ups per period of the popularity chart


def render(kb: KnowledgeBase) -> None:
    st.header("What the knowledge base holds")
    stats = kb.stats()
    corpus = kb.corpus_stats()
    cols = st.columns(5)
    cols[0].metric("Write-ups", stats.documents)
    cols[1].metric("Competitions covered", stats.competitions_with_documents,
                   help=f"of {stats.competitions} in the catalog")
    cols[2].metric("Passages", stats.chunks)
    cols[3].metric("Embedded", stats.embeddings)
    counts = {t.name: t.helped for t in kb.technique_counts() if t.helped}  # documents reporting it helped
    cols[4].metric("Techniques seen", len(counts))
    st.caption(_freshness_line(stats, corpus))
    if kb.is_empty():
        return
    per_year, per_source = st.columns(2)
    years = corpus.documents_per_year
    with per_year:
        st.subheader("Write-ups per year")
        st.bar_chart(pd.DataFrame({"write-ups": years}).rename_axis("year"), y_label="write-ups")
    with per_source:
        st.subheader("Write-ups per source")
        st.bar_chart(pd.DataFrame({"write-ups": corpus.documents_per_source}).rename_axis("source"),
                     y_label="write-ups")
    _popularity(kb, counts, years)
    _coverage(corpus.modalities)


def _freshness_line(stats: Stats, corpus: CorpusStats) -> str:
    fresh = corpus.freshness
    index = stats.index
    parts = [f"last ingest {fresh.last_fetched or 'never'}"]
    if fresh.newest_competition_year:
        parts.append(f"newest competition {fresh.newest_competition_year}")
    if fresh.newest_document_date:
        parts.append(f"newest dated write-up {fresh.newest_document_date}")
    if index:
        parts.append(f"vector index of {index.count} passages built {index.built_at} with {index.model}")
    else:
        parts.append("no vector index yet (run `kb index rebuild`)")
    parts.append(f"data in {stats.home}")
    return escape_markdown(" · ".join(parts))


def _popularity(kb: KnowledgeBase, counts: dict[str, int], years: dict[int, int]) -> None:
    st.subheader("Technique popularity over the years")
    if not counts:
        st.info("No technique has been tagged yet.")
        return
    if "techs" not in st.session_state:
        by_lower = {t.lower(): t for t in counts}
        preferred = [by_lower[f] for f in FAVOURITES if f in by_lower][:DEFAULT_TECHNIQUES]
        st.session_state["techs"] = preferred or list(counts)[:DEFAULT_TECHNIQUES]
    st.session_state["techs"] = [t for t in st.session_state["techs"] if t in counts]
    chosen = st.multiselect("Techniques", list(counts), key="techs",
                            format_func=lambda t: f"{t} ({counts[t]})")
    if not chosen:
        st.caption("Choose a few techniques to compare.")
        return
    share = popularity_frame(kb.technique_years(chosen), years)
    st.line_chart(share, y_label="% of write-ups crediting it", x_label="competition year")
    st.caption(f"Share of each period's write-ups that credit the technique; thin years are pooled so that "
               f"each period holds at least {MIN_DOCUMENTS} write-ups.")


def year_bins(documents: dict[int, int], min_documents: int = MIN_DOCUMENTS) -> dict[int, str]:
    """Year -> period label: consecutive years are pooled until a period holds ``min_documents``
    write-ups, so a year with two write-ups cannot swing a technique's share to 50%."""
    bins: dict[int, str] = {}
    pending: list[int] = []
    total = 0
    for year in sorted(documents):
        pending.append(year)
        total += documents[year]
        if total >= min_documents:
            bins.update(dict.fromkeys(pending, _period(pending)))
            pending, total = [], 0
    if pending:  # the last years: their own period, unless too thin to say anything
        last = [y for y in bins if bins[y] == bins[max(bins)]] if bins and total < min_documents / 2 else []
        bins.update(dict.fromkeys(last + pending, _period(last + pending)))
    return bins


def _period(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{str(years[-1])[-2:]}"


def popularity_frame(by_technique: dict[str, dict[int, int]], documents: dict[int, int],
                     min_documents: int = MIN_DOCUMENTS) -> pd.DataFrame:
    """Percent of each period's write-ups that credit each technique (periods from :func:`year_bins`)."""
    bins = year_bins(documents, min_documents)
    totals: dict[str, int] = {}
    for year, n in documents.items():
        totals[bins[year]] = totals.get(bins[year], 0) + n
    frame = {}
    for tech, by_year in by_technique.items():
        counts = dict.fromkeys(totals, 0)
        for year, n in by_year.items():
            if year in bins:
                counts[bins[year]] += n
        frame[tech] = {period: round(100.0 * counts[period] / totals[period], 1) for period in totals}
    return pd.DataFrame(frame, index=sorted(totals)).rename_axis("period")


def _coverage(rows: tuple[ModalityCoverage, ...]) -> None:
    st.subheader("Coverage by modality")
    if not rows:
        st.info("No competitions yet.")
        return
    frame = pd.DataFrame(
        {"with write-ups": {r.modality: r.with_writeups for r in rows},
         "without write-ups": {r.modality: r.competitions - r.with_writeups for r in rows}}).rename_axis("modality")
    st.bar_chart(frame, horizontal=True, x_label="competitions in the catalog")
    st.caption(escape_markdown(", ".join(f"{r.modality}: {r.documents} write-ups" for r in rows if r.documents)))
