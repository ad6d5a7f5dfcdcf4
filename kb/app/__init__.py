"""The web app (Streamlit): ``main`` is the page, ``views`` its four views, over the public API only.

- :mod:`kb.app.state`: the state a URL holds (pure, testable without Streamlit);
- :mod:`kb.app.ui`: the shared knowledge base, URL <-> session state, the filter sidebar;
- :mod:`kb.app.render`: safe markdown from untrusted write-up text;
- :mod:`kb.app.views`: recommend, search, document, corpus.

Nothing is imported here, so that the command line can find the page without loading Streamlit.
"""
