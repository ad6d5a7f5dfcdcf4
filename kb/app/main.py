"""The web app's page: the sidebar, the view picker and the chosen view (``kb/app/views``).

``kb serve`` runs this file with Streamlit; ``streamlit run app.py`` runs it through the shim in the
checkout. Every view reads the knowledge base through its public API. The views are imported after
the knowledge base is open, so that a first visitor sees the loading message at once.
"""

from __future__ import annotations

import streamlit as st

from kb.app.ui import (
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


def main() -> None:
    """One run of the page (Streamlit runs it again on every interaction)."""
    st.set_page_config(page_title="kb · winning solutions", page_icon=":material/emoji_events:", layout="wide")
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
    from kb.app.views import corpus, document, recommend, search  # loaded while the knowledge base was

    opts = kb.filter_options()
    init_session(opts)
    view = view_picker()
    if view == "recommend":
        recommend.render(kb, filter_sidebar(opts, modality=False))
    elif view == "search":
        search.render(kb, filter_sidebar(opts))
    elif view == "document":
        document.render(kb)
    else:
        corpus.render(kb)
    sync_url(current_state(opts))


if __name__ == "__main__":  # run as a script by `kb serve`
    main()
