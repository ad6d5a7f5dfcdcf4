"""kb's web app: `kb serve` or `streamlit run app.py`. Thin: the views live in kb/app_*.py."""

from __future__ import annotations

import streamlit as st

from kb import app_corpus, app_document, app_recommend, app_search
from kb.app_ui import (
    build_hint,
    current_state,
    filter_sidebar,
    init_session,
    open_kb,
    show_error,
    sync_url,
    view_picker,
)
from kb.errors import KBError, NotBuiltError

st.set_page_config(page_title="kb · winning solutions", page_icon=":material/emoji_events:", layout="wide")


def main() -> None:
    st.sidebar.title(":material/emoji_events: kb")
    st.sidebar.caption("What won machine-learning competitions like yours, with the sources.")
    try:
        kb = open_kb()
    except NotBuiltError:
        build_hint()
        return
    except KBError as e:
        show_error(e)
        return
    if kb.is_empty():
        build_hint(str(kb.settings.home))
        return
    opts = kb.filter_options()
    init_session(opts)
    view = view_picker()
    if view == "recommend":
        app_recommend.render(kb, filter_sidebar(opts, modality=False))
    elif view == "search":
        app_search.render(kb, filter_sidebar(opts))
    elif view == "document":
        app_document.render(kb)
    else:
        app_corpus.render(kb)
    sync_url(current_state(opts))


main()
