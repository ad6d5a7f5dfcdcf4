"""Streamlit plumbing shared by the views: the cached knowledge base, URL <-> session state, filters.

The URL is the source of truth when a session starts (a shared link reproduces the page); after
that the widgets are, and every run writes their state back to the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import streamlit as st

from kb import FilterOptions, KnowledgeBase
from kb.app.loader import Loader
from kb.app.state import (
    DEFAULT_K,
    RANK_CHOICES,
    VIEW_CAPTIONS,
    VIEW_LABELS,
    VIEWS,
    AppState,
    FilterState,
    clamp_years,
    parse_params,
    to_params,
    year_filter,
)
from kb.config import default_home, load_settings
from kb.errors import KBError

BUILD_COMMAND = "kb ingest mirror ../shared/corpus"
# session-state keys that must survive views in which their widgets are not drawn
PERSISTENT = ("view", "q", "search_q", "exclude", "k", "doc", "chunk", "techs", "ov_modality", "ov_task_type",
              "ov_metric_family",
              "f_modality", "f_source", "f_kind", "f_competition", "f_years", "f_max_rank")
FILTER_KEYS = ("f_modality", "f_source", "f_kind", "f_competition", "f_max_rank")


@st.cache_resource(show_spinner=False)
def _loader(home: str, model: str) -> Loader:
    """One loader per (home, model) for the whole server process: one knowledge base, one model, shared by
    every session."""
    return Loader(home, model).start()


def warm() -> Loader:
    """Start loading the configured knowledge base now, in the background (``kb serve`` calls it before the
    server takes its first visitor)."""
    settings = load_settings()
    return _loader(str(settings.home), settings.model)


def open_kb() -> KnowledgeBase:
    """The shared knowledge base for the configured KB_HOME and model, warmed up (raises KBError if missing).

    While it is still loading, the page says what it is loading and for how long it has been at it."""
    settings = load_settings()
    loader = _loader(str(settings.home), settings.model)
    if not loader.done:
        _show_loading(loader)
    try:
        return loader.result()
    except KBError:
        _loader.clear(str(settings.home), settings.model)  # built or fixed by the next visit: try again
        raise


def loading_message(loader: Loader) -> str:
    """What a visitor reads while the server is still loading."""
    return (f"**Starting kb — {loader.stage}…** ({loader.elapsed:.0f} s)  \n"
            "The model, the indexes and the write-ups load once, when the server starts; "
            "every page after that opens at once.")


def _show_loading(loader: Loader) -> None:
    box = st.empty()
    shown = None
    while not loader.wait(0.2):
        message = loading_message(loader)
        if message != shown:
            with box.container():
                st.info(message, icon=":material/hourglass_top:")
                st.progress(min(loader.step / loader.total, 1.0))
            shown = message
    box.empty()


def build_hint(home: str | None = None) -> None:
    """The empty-knowledge-base message with the exact command that builds it."""
    home = home or str(load_settings().home)
    st.info(f"The knowledge base in `{home}` is empty. Build it from the corpus snapshot, then reload this page:")
    prefix = f"KB_HOME={home} " if Path(home) != default_home() else ""
    st.code(prefix + BUILD_COMMAND, language="bash")
    st.caption("Or run `make app`: it builds the knowledge base on first start and then opens this app.")


def show_error(error: KBError) -> None:
    """A library error as a one-line message (never a traceback)."""
    st.error(str(error), icon=":material/error:")


# -- session state <-> URL -----------------------------------------------------------------------

def init_session(opts: FilterOptions) -> None:
    """On a session's first run, fill the widgets' state from the URL."""
    ss = st.session_state
    if ss.get("_initialised"):
        for key in PERSISTENT:
            if key in ss:
                ss[key] = ss[key]  # keep values of widgets not drawn in this view
        years = ss.get("f_years")
        if years is not None and clamp_years(FilterState(year_min=years[0], year_max=years[1]),
                                             opts.years) != tuple(years):
            ss["f_years"] = opts.years  # the knowledge base changed under us
        return
    state = parse_params(st.query_params.to_dict())
    f = state.filters
    ss["view"] = state.view
    ss["q"] = state.q if state.view != "search" else ""
    ss["search_q"] = state.q if state.view == "search" else ""
    ss["exclude"] = state.exclude
    ss["k"] = state.k
    ss["doc"] = state.doc
    ss["chunk"] = state.chunk
    ss["f_modality"] = f.modality if f.modality in opts.modalities else None
    ss["f_source"] = f.source if f.source in opts.sources else None
    ss["f_kind"] = _match_case(f.kind, opts.kinds)
    ss["f_competition"] = f.competition if f.competition in opts.competitions else None
    ss["f_max_rank"] = f.max_rank
    ss["f_years"] = clamp_years(f, opts.years)
    ss["_initialised"] = True


def _match_case(value: str | None, choices: Sequence[str]) -> str | None:
    if value is None:
        return None
    return next((c for c in choices if c.lower() == value.lower()), None)


def filters(opts: FilterOptions) -> FilterState:
    ss = st.session_state
    year_min, year_max = year_filter(ss.get("f_years"), opts.years)
    return FilterState(modality=ss.get("f_modality"), source=ss.get("f_source"), kind=ss.get("f_kind"),
                       competition=ss.get("f_competition"), max_rank=ss.get("f_max_rank"),
                       year_min=year_min, year_max=year_max)


def current_state(opts: FilterOptions) -> AppState:
    ss = st.session_state
    view = ss.get("view") or "recommend"
    q = ss.get("search_q") if view == "search" else ss.get("q")
    return AppState(view=view, q=" ".join((q or "").split()), filters=filters(opts), exclude=ss.get("exclude"),
                    doc=ss.get("doc"), k=ss.get("k") or DEFAULT_K, chunk=ss.get("chunk"))


def sync_url(state: AppState) -> None:
    """Write the state to the URL (only when it changed, so the browser history stays clean)."""
    params = to_params(state)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def go_to_document(document_id: int, chunk_id: int | None = None) -> None:
    """Button callback: open a document in the document view, at one of its passages if given."""
    st.session_state["view"] = "document"
    st.session_state["doc"] = document_id
    st.session_state["chunk"] = chunk_id


# -- sidebar -----------------------------------------------------------------------------------------

def view_picker() -> str:
    return st.sidebar.radio("View", VIEWS, format_func=VIEW_LABELS.__getitem__, key="view",
                            captions=VIEW_CAPTIONS)


def filter_sidebar(opts: FilterOptions, *, modality: bool = True) -> FilterState:
    """The filters shared by the recommend and search views (recommend sets the modality in its
    "read as" panel instead: it is what the query is, not which write-ups to read)."""
    side = st.sidebar
    side.subheader("Filters")
    if modality:
        side.selectbox("Modality", opts.modalities, key="f_modality", placeholder="any")
    if opts.years and opts.years[0] < opts.years[1]:
        side.slider("Years", opts.years[0], opts.years[1], key="f_years")
    side.selectbox("Source", opts.sources, key="f_source", placeholder="any")
    side.selectbox("Competition kind", opts.kinds, key="f_kind", placeholder="any")
    chosen = st.session_state.get("f_max_rank")
    ranks = sorted(set(RANK_CHOICES) | ({chosen} if isinstance(chosen, int) else set()))
    side.selectbox("Best placing", ranks, key="f_max_rank", placeholder="any, rank unknown too",
                   format_func=lambda r: f"top {r}")
    side.selectbox("Competition", list(opts.competitions), key="f_competition", placeholder="any",
                   format_func=lambda s: opts.competitions.get(s, s))
    state = filters(opts)
    if not modality:
        state = replace(state, modality=None)
    if state.active:
        side.button("Clear filters", on_click=_clear_filters, args=(opts,))
    return state


def _clear_filters(opts: FilterOptions) -> None:
    for key in FILTER_KEYS:
        st.session_state[key] = None
    st.session_state["f_years"] = opts.years
