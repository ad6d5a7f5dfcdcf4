"""The recommend view: describe a new competition, get the techniques that won similar ones."""

from __future__ import annotations

import json
from collections import defaultdict

import streamlit as st

from kb.api import KnowledgeBase
from kb.app_queries import competition, describe_competition, document_sources, document_titles, picker_competitions
from kb.app_render import escape_markdown, evidence_caption, evidence_markdown, internal_link, link
from kb.app_state import DEFAULT_K, FilterState
from kb.app_ui import show_error
from kb.errors import KBError
from kb.recommend import Recommendation, SimilarCompetition, TechniqueScore

EXAMPLES = {
    "Tabular credit risk": (
        "Estimate the probability that an applicant defaults on a loan, from a table of application fields "
        "and several related tables of past payments and credit bureau records. Scored with ROC AUC."),
    "Medical images": (
        "Classify chest radiographs into a handful of findings. A few thousand labelled images of varying "
        "size, some with several findings at once. Scored with mean column-wise ROC AUC."),
    "Sales forecasting": (
        "Forecast daily unit sales of every product in a chain of shops for the next four weeks, using past "
        "sales, prices, promotions and a holiday calendar. Scored with a weighted root mean squared error."),
    "Essay scoring (NLP)": (
        "Score student essays on a scale from 1 to 6 from their text alone. About fifteen thousand essays "
        "for training. Scored with quadratic weighted kappa."),
}
EXPANDED_TECHNIQUES = 3


def _use_example(text: str) -> None:
    st.session_state["q"] = text
    _include_again()


def _start_from(kb: KnowledgeBase) -> None:
    slug = st.session_state.get("pick")
    comp = competition(kb, slug) if slug else None
    if comp:
        st.session_state["q"] = describe_competition(comp)
        st.session_state["exclude"] = slug


def _include_again() -> None:
    st.session_state["exclude"] = None
    st.session_state.pop("pick", None)


def render(kb: KnowledgeBase, filters: FilterState) -> None:
    st.header("What won competitions like yours?")
    st.caption("Describe a new competition: its data, its target and its metric. kb finds the most similar "
               "past competitions and ranks the techniques their winning write-ups credit, with the quotes.")
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown("Try an example:")
        for label, text in EXAMPLES.items():
            st.button(label, on_click=_use_example, args=(text,), help=text)
    st.text_area("Competition description", key="q", height=110,
                 placeholder="e.g. Predict which customers will churn next month from their usage logs; "
                             "scored with F1.")
    comps = picker_competitions(kb)
    run, pick, k = st.columns([1, 3, 2], vertical_alignment="bottom")
    clicked = run.button("Recommend", type="primary", width="stretch")
    pick.selectbox("…or start from a past competition", list(comps), key="pick", on_change=_start_from,
                   args=(kb,), index=None, placeholder="choose one (its own write-ups are then left out)",
                   format_func=lambda s: comps.get(s, s))
    k.select_slider("Techniques to show", options=[5, 8, 10, 12, 15, 20, 30, 50], key="k")
    exclude = st.session_state.get("exclude")
    if exclude:
        st.caption(f"Leaving out the write-ups of **{escape_markdown(comps.get(exclude, exclude))}**.")
        st.button("Include them again", on_click=_include_again)
    query = " ".join((st.session_state.get("q") or "").split())
    if not query:
        if clicked:
            st.warning("Type a description first: what the data is, what to predict and how it is scored.")
        else:
            st.info("Try an example or describe your competition to get recommendations.")
        return
    try:
        with st.spinner("Reading the winning write-ups…"):
            rec = kb.recommend(query, st.session_state.get("k") or DEFAULT_K, exclude_competition=exclude,
                               **filters.kwargs())
    except KBError as e:
        show_error(e)
        return
    show(kb, rec, filters)


def show(kb: KnowledgeBase, rec: Recommendation, filters: FilterState) -> None:
    if not rec.techniques and not rec.competitions:
        hint = " Try clearing some filters." if filters.active else " Try describing the data and the target."
        st.info("No winning write-up matches this description." + hint)
        return
    techniques, competitions = st.columns([3, 2], gap="large")
    with techniques:
        st.subheader("Techniques")
        if not rec.techniques:
            st.info("The similar write-ups mention no technique from the vocabulary.")
        sources = document_sources(kb, [e.document_id for t in rec.techniques for e in t.evidence])
        for category, items in group_by_category(rec.techniques):
            st.markdown(f"##### {escape_markdown(category.replace('_', ' ').capitalize())}")
            for tech in items:
                _technique(tech, rec.query, sources, expanded=rec.techniques.index(tech) < EXPANDED_TECHNIQUES)
    with competitions:
        st.subheader("Similar past competitions")
        _competitions(kb, rec.competitions)
        st.download_button("Download as JSON", json.dumps(rec.to_json(), indent=2), file_name="recommendation.json",
                           mime="application/json")


def group_by_category(techniques: list[TechniqueScore]) -> list[tuple[str, list[TechniqueScore]]]:
    """Techniques grouped by category, the category of the best technique first; order kept inside."""
    groups: dict[str, list[TechniqueScore]] = defaultdict(list)
    for tech in techniques:
        groups[tech.category or "other"].append(tech)
    return sorted(groups.items(), key=lambda kv: -max(t.score for t in kv[1]))


def _technique(tech: TechniqueScore, query: str, sources: dict[int, str], *, expanded: bool) -> None:
    verdict = f"credited by {tech.helped} write-up{'s' if tech.helped != 1 else ''}"
    if tech.not_helped:
        verdict += f", did not help in {tech.not_helped}"
    with st.expander(f"**{escape_markdown(tech.name)}** · {verdict}", expanded=expanded):
        about = [escape_markdown(tech.description)] if tech.description else []
        if tech.aliases:
            about.append("also called " + ", ".join(escape_markdown(a) for a in tech.aliases[:6]))
        about.append(f"score {tech.score:.2f}")
        st.caption(" · ".join(about))
        for ev in tech.evidence:
            with st.container(border=True):
                st.markdown(evidence_markdown(ev.snippet, query))
                st.caption(evidence_caption(
                    helped=ev.helped, rank=ev.rank, competition=ev.competition,
                    competition_title=ev.competition_title, year=ev.year, source=sources.get(ev.document_id),
                    title=ev.title, url=ev.url, document_id=ev.document_id))


def _competitions(kb: KnowledgeBase, competitions: list[SimilarCompetition]) -> None:
    if not competitions:
        st.info("No similar competition found.")
        return
    titles = document_titles(kb, [u for c in competitions for u in c.documents])
    for comp in competitions:
        with st.container(border=True):
            name = comp.title or comp.slug
            head = f"**{link(name, comp.url)}**"
            facts = [str(comp.year) if comp.year else None, comp.metric, comp.modality]
            st.markdown(head + "  \n" + " · ".join(escape_markdown(f) for f in facts if f))
            lines = []
            for url in comp.documents[:5]:
                doc_id, title = titles.get(url, (None, url))
                line = "- " + link(title, url)
                if doc_id is not None:
                    line += " · " + internal_link("read here", view="document", doc=doc_id)
                lines.append(line)
            if lines:
                st.markdown("\n".join(lines))
