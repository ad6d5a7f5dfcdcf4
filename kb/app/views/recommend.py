"""The recommend view: paste a new competition (a line or its whole page), get the distinctive
techniques that won similar ones with the quotes, the table stakes, and the similar competitions."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable

import streamlit as st

from kb import CompetitionInfo, KnowledgeBase
from kb.app.render import escape_markdown, evidence_caption, evidence_markdown, link, metric_label, read_as_label
from kb.app.state import DEFAULT_K, FilterState
from kb.app.ui import show_error
from kb.errors import KBError
from kb.metric_names import readable_metric
from kb.profile import METRIC_FAMILIES, MODALITIES, TASK_TYPES
from kb.recommend import Recommendation, SimilarCompetition, TechniqueScore
from kb.recommend.markdown import to_markdown
from kb.recommend.recommender import NO_WRITEUPS

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
# the "read as" corrections: session-state key -> (label, choices, recommend keyword)
OVERRIDES = {"ov_modality": ("Modality", MODALITIES, "modality"),
             "ov_task_type": ("Task type", TASK_TYPES, "task_type"),
             "ov_metric_family": ("Metric family", METRIC_FAMILIES, "metric_family")}
SCORE_HELP = ("The score is the technique's smoothed share among the similar competitions' winners times its lift "
              "over all winners (to the power 0.1): higher means more likely *and* more distinctive.")
TECHNIQUE_LEGEND = ("Score: how often the winners of the similar competitions credit the technique, weighted by how "
                    "much more often than winners in general; it compares techniques within this answer.")
SIMILAR_LEGEND = "Score: how close each competition is to yours, from 0 (unrelated) to 1."
SIMILAR_HELP = ("The score multiplies the text similarity of your description with the competition's description "
                "and write-ups (0 to 1), a profile factor (same modality, task type and metric family) and a "
                "closeness-in-time factor.")


def _use_example(text: str) -> None:
    st.session_state["q"] = text
    _include_again()


def describe_competition(comp: CompetitionInfo) -> str:
    """A new-competition description assembled from a past competition's catalog fields."""
    parts: list[str] = []
    if comp.title:
        parts.append(comp.title.rstrip(".") + ".")
    if comp.description:
        parts.append(comp.description.rstrip(".") + ".")
    profile = [value.replace("_", " ") for value in (comp.modality, comp.task_type) if value]
    if profile:
        parts.append("Task: " + ", ".join(profile) + ".")
    if comp.metric:
        parts.append(f"Evaluated with {readable_metric(comp.metric)}.")
    return " ".join(parts)


def _start_from(kb: KnowledgeBase) -> None:
    slug = st.session_state.get("pick")
    comp = kb.competition(slug) if slug else None
    if comp:
        st.session_state["q"] = describe_competition(comp)
        st.session_state["exclude"] = slug


def _include_again() -> None:
    st.session_state["exclude"] = None
    st.session_state.pop("pick", None)


def _reset_overrides() -> None:
    for key in OVERRIDES:
        st.session_state[key] = None


def overrides() -> dict[str, str]:
    """The user's corrections of how kb read the description (only those set)."""
    return {kw: st.session_state[key] for key, (_, _, kw) in OVERRIDES.items() if st.session_state.get(key)}


def render(kb: KnowledgeBase, filters: FilterState) -> None:
    st.header("What won competitions like yours?")
    st.caption("Paste a new competition — a one-line summary or its whole Kaggle page. kb reads what the task, "
               "the data and the metric are, finds the most similar past competitions, and ranks the techniques "
               "their winning write-ups credit, with the quotes.")
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown("Try an example:")
        for label, text in EXAMPLES.items():
            st.button(label, on_click=_use_example, args=(text,), help=text)
    st.text_area("Competition description or page", key="q", height=140,
                 placeholder="e.g. Predict which customers will churn next month from their usage logs; "
                             "scored with F1. Or paste the competition's overview page.")
    comps = kb.competition_choices()
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
    raw = st.session_state.get("q") or ""
    if not raw.strip():
        if clicked:
            st.warning("Type a description first: what the data is, what to predict and how it is scored.")
        else:
            st.info("Try an example or describe your competition to get recommendations.")
        return
    try:
        with st.spinner("Reading the winning write-ups…"):
            corrected = overrides()
            rec = kb.recommend(raw, st.session_state.get("k") or DEFAULT_K, exclude_competition=exclude,
                               modality=corrected.get("modality"), task_type=corrected.get("task_type"),
                               metric_family=corrected.get("metric_family"), filters=filters.to_filters())
    except KBError as e:
        show_error(e)
        return
    show(rec, filters)


def read_as(rec: Recommendation) -> None:
    """How kb read the description, with the controls to correct it."""
    p = rec.profile
    given = [f for f in ("modality", "task_type", "metric_family") if f not in p.inferred]
    how = "as you set it" if given else f"confidence {p.confidence:.0%}"
    label = read_as_label(p.modality, p.task_type, p.metric, p.metric_family)
    st.markdown(f"**Read as:** {escape_markdown(label)} · {how}")
    notes = []
    if p.constraints:
        notes.append("constraints: " + ", ".join(p.constraints))
    if rec.dropped_sections:
        notes.append("left out as boilerplate: " + ", ".join(rec.dropped_sections[:8]))
    if notes:
        st.caption(escape_markdown(" · ".join(notes)))
    if rec.coverage and rec.coverage.note:
        st.warning(escape_markdown(rec.coverage.note), icon=":material/info:")
    with st.expander("Not right? Correct how kb read it", expanded=False):
        cols = st.columns(len(OVERRIDES) + 1, vertical_alignment="bottom")
        inferred = {"modality": p.modality, "task_type": p.task_type, "metric_family": p.metric_family}
        for col, (key, (name, choices, kw)) in zip(cols, OVERRIDES.items(), strict=False):
            shown = _choice_label(kw)
            value = inferred[kw]
            col.selectbox(name, choices, key=key, index=None, format_func=shown,
                          placeholder=f"inferred: {shown(value) if value else 'unknown'}")
        cols[-1].button("Use inferred", on_click=_reset_overrides)


def _choice_label(field: str) -> Callable[[str], str]:
    """How a "read as" choice is shown: metric families by their readable names."""
    if field == "metric_family":
        return lambda value: metric_label(None, value) or value
    return lambda value: value.replace("_", " ")


def show(rec: Recommendation, filters: FilterState) -> None:
    read_as(rec)
    hint = " Try clearing some filters." if filters.active else " Try describing the data and the target."
    if rec.abstained and rec.message == NO_WRITEUPS:
        st.info(rec.message + hint)
        return
    if rec.abstained:
        st.warning(rec.message or "No close match.", icon=":material/search_off:")
    elif not rec.techniques and not rec.competitions:
        st.info("No winning write-up matches this description." + hint)
        return
    if rec.table_stakes and not rec.abstained:
        who = f"{rec.profile.modality} winners" if rec.profile.modality else "winners"
        st.markdown(f"**Table stakes** — a third or more of {escape_markdown(who)} credit these anyway: "
                    + " · ".join(escape_markdown(t) for t in rec.table_stakes))
    techniques, competitions = st.columns([3, 2], gap="large")
    with techniques:
        if not rec.abstained:
            st.subheader("Distinctive techniques", help=SCORE_HELP)
            st.caption(TECHNIQUE_LEGEND)
            if not rec.techniques:
                st.info("The similar write-ups credit nothing beyond the table stakes.")
            for category, items in group_by_category(rec.techniques):
                st.markdown(f"##### {escape_markdown(category.replace('_', ' ').capitalize())}")
                for tech in items:
                    _technique(tech, rec.query, expanded=rec.techniques.index(tech) < EXPANDED_TECHNIQUES)
    with competitions:
        st.subheader("Similar past competitions", help=SIMILAR_HELP)
        st.caption(SIMILAR_LEGEND)
        _competitions(rec.competitions)
        with st.container(horizontal=True):
            st.download_button("Download as Markdown", to_markdown(rec), file_name="recommendation.md",
                               mime="text/markdown", help="Techniques, table stakes, similar competitions and quotes "
                                                          "with links, for your competition notes.")
            st.download_button("Download as JSON", json.dumps(rec.to_json(), indent=2),
                               file_name="recommendation.json", mime="application/json")


def group_by_category(techniques: list[TechniqueScore]) -> list[tuple[str, list[TechniqueScore]]]:
    """Techniques grouped by category, the category of the best technique first; order kept inside."""
    groups: dict[str, list[TechniqueScore]] = defaultdict(list)
    for tech in techniques:
        groups[tech.category or "other"].append(tech)
    return sorted(groups.items(), key=lambda kv: -max(t.score for t in kv[1]))


def technique_label(tech: TechniqueScore) -> str:
    support = f"credited in {tech.support} similar competition{'s' if tech.support != 1 else ''}"
    lift = f" · {tech.lift:.1f}× the base rate" if tech.lift >= 1.5 else ""
    return f"**{escape_markdown(tech.name)}** · {support}{lift}"


def _technique(tech: TechniqueScore, query: str, *, expanded: bool) -> None:
    with st.expander(technique_label(tech), expanded=expanded):
        about = [escape_markdown(tech.description)] if tech.description else []
        if tech.aliases:
            about.append("also called " + ", ".join(escape_markdown(a) for a in tech.aliases[:6]))
        verdict = f"{tech.helped} write-up{'s' if tech.helped != 1 else ''} of them credit it"
        if tech.not_helped:
            verdict += f", {tech.not_helped} say it did not help"
        about += [verdict, f"score {tech.score:.2f}"]
        st.caption(" · ".join(about), help=SCORE_HELP)
        for ev in tech.evidence:
            with st.container(border=True):
                st.markdown(evidence_markdown(ev.snippet, query))
                st.caption(evidence_caption(
                    helped=ev.helped, rank=ev.rank, competition=ev.competition,
                    competition_title=ev.competition_title, year=ev.year, source=ev.source,
                    title=ev.title, url=ev.url, document_id=ev.document_id, passage_url=ev.passage_url,
                    chunk_id=ev.chunk_id))


def _competitions(competitions: list[SimilarCompetition]) -> None:
    if not competitions:
        st.info("No similar competition found.")
        return
    for comp in competitions:
        with st.container(border=True):
            name = comp.title or comp.slug
            facts = [str(comp.year) if comp.year else None, metric_label(comp.metric, comp.metric_family),
                     comp.modality, f"score {comp.score:.2f}"]
            st.markdown(f"**{link(name, comp.url)}**  \n" + " · ".join(escape_markdown(f) for f in facts if f),
                        help=SIMILAR_HELP)
            st.caption(escape_markdown(comp.reason))
            if comp.has_writeups:
                lines = []
                for ref in comp.document_refs[:5]:
                    lines.append(f"- {link(ref.title, ref.url)} · [read here](./?view=document&doc={ref.id})")
                if lines:
                    st.markdown("\n".join(lines))
            else:
                st.caption("No write-up in kb yet. Fetch them with:")
                st.code(comp.fetch_command or "", language="bash")
