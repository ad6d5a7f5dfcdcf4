"""The search view: hybrid full-text search over passages, results grouped by write-up."""

from __future__ import annotations

import streamlit as st

from kb import KnowledgeBase, SearchResult
from kb.app.export import results_csv
from kb.app.render import escape_markdown, evidence_markdown, internal_link, link, rank_label
from kb.app.state import FilterState
from kb.app.ui import go_to_document, show_error
from kb.errors import KBError

RESULTS = 20
PASSAGES = 3  # per write-up
SCORE_LEGEND = "Score: how well the write-up's best passage matches, from 0 to 1 (1: the best of this search)."
SCORE_HELP = ("Each write-up scores as its best passage. A passage's score mixes how close it is in meaning "
              "(embeddings) and how many of the exact words it holds (full-text search), each scaled from 0 to 1 "
              "within this search (KB_FUSION=rrf sums reciprocal ranks instead). It orders the results of one "
              "search: it is not a probability and does not compare across searches.")


def render(kb: KnowledgeBase, filters: FilterState) -> None:
    st.header("Search the write-ups")
    st.text_input("Search passages", key="search_q",
                  placeholder="e.g. pseudo labeling with a noisy student, or adversarial validation")
    query = " ".join((st.session_state.get("search_q") or "").split())
    if not query:
        st.info("Type a few words: results combine meaning (embeddings) and exact words (full-text), "
                "and honour the filters in the sidebar.")
        return
    try:
        with st.spinner("Searching…"):
            hits = kb.search(query, RESULTS, passages=PASSAGES, filters=filters.to_filters())
    except KBError as e:
        show_error(e)
        return
    if not hits:
        hint = " Try clearing some filters." if filters.active else " Try other words."
        st.info("No passage matches." + hint)
        return
    count, download = st.columns([3, 1], vertical_alignment="center")
    count.caption(f"{len(hits)} write-up{'s' if len(hits) != 1 else ''}, best first. " + SCORE_LEGEND,
                  help=SCORE_HELP)
    download.download_button("Download as CSV", results_csv(hits), file_name="kb-search.csv", mime="text/csv",
                             help="Title, competition, year, rank, source, score, URL and snippet of each result.")
    for hit in hits:
        _hit(hit, query)


def _hit(hit: SearchResult, query: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{link(hit.title, hit.url)}**")
        facts = [hit.competition_title or hit.competition, rank_label(hit.rank) if hit.competition else None,
                 str(hit.year) if hit.year else None, hit.source, f"score {hit.score:.2f}"]
        st.caption(" · ".join(escape_markdown(f) for f in facts if f), help=SCORE_HELP)
        for passage in hit.passages:
            where = f"§ {escape_markdown(passage.heading_path)} · " if passage.heading_path else ""
            st.caption(where + internal_link("read it in the write-up", view="document", doc=hit.document_id,
                                             chunk=passage.chunk_id))
            st.markdown(evidence_markdown(passage.snippet, query))
        st.button("Open the write-up", key=f"open-{hit.document_id}", on_click=go_to_document,
                  args=(hit.document_id, hit.chunk_id))
