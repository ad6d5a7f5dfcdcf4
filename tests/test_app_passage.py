# ruff: noqa: F811  (the fixtures come from tests/test_app.py)
"""Opening a write-up from a search hit or a quote lands on the passage, marked (AppTest over the mini mirror)."""

from __future__ import annotations

import streamlit as st

from kb.app.render import escape_markdown
from kb.app.state import AppState, parse_params, to_params
from kb.app.views.document import PASSAGE_ANCHOR, PASSAGE_LABEL
from tests.test_app import GALAXY_URL, SALES, _recommend, app, built_home, reader, texts  # noqa: F401 (fixtures)


def test_the_passage_travels_in_the_url_of_the_document_view():
    state = AppState(view="document", doc=4, chunk=17)
    assert to_params(state) == {"view": "document", "doc": "4", "chunk": "17"}
    assert parse_params(to_params(state)) == state
    assert parse_params({"view": "document", "doc": "4", "chunk": "-1"}).chunk is None
    assert "chunk" not in to_params(AppState(view="search", q="x", chunk=17))


def _marked(at) -> str:  # noqa: ANN001
    """The markdown drawn right after the passage's label."""
    labels = [h.value for h in at.subheader]
    assert any(PASSAGE_LABEL in label for label in labels), labels
    page = list(at.main)
    flat = []

    def walk(node) -> None:  # noqa: ANN001
        flat.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    for node in page:
        walk(node)
    at_label = next(i for i, n in enumerate(flat) if n.type == "subheader" and PASSAGE_LABEL in n.value)
    return next(n.value for n in flat[at_label + 1:] if n.type == "markdown")


def test_open_from_a_search_hit_marks_its_passage(app, reader):
    at = app(view="search", q="galaxy rotations dropout")
    doc = reader.document(GALAXY_URL)
    at = at.button(key=f"open-{doc.id}").click().run()
    assert at.query_params["doc"] in (str(doc.id), [str(doc.id)])
    chunk = at.query_params["chunk"]
    chunk = int(chunk[0] if isinstance(chunk, list) else chunk)
    passage = next(c for c in doc.chunks if c.id == chunk)
    marked = " ".join(_marked(at).replace("\\", "").split())
    words = passage.text.split()
    middle = " ".join(words[len(words) // 2:len(words) // 2 + 5])
    assert middle in marked  # the hit's passage is inside the marked blocks
    assert f"(#{PASSAGE_ANCHOR})" in " ".join(texts(at.caption))  # a link that jumps to it
    st.cache_resource.clear()


def test_search_passages_link_to_their_place_in_the_writeup(app, reader):
    at = app(view="search", q="galaxy rotations dropout")
    doc = reader.document(GALAXY_URL)
    captions = " ".join(texts(at.caption))
    assert f"{escape_markdown('read it in the write-up')}](./?view=document&doc={doc.id}&chunk=" in captions


def test_a_quote_links_to_its_passage(app):
    at = _recommend(app(), SALES)
    captions = " ".join(texts(at.caption))
    assert "read here](./?view=document&doc=" in captions and "&chunk=" in captions


def test_a_chunk_of_another_writeup_is_ignored(app, reader):
    galaxy = reader.document(GALAXY_URL)
    other = next(d for d in range(1, 10) if d != galaxy.id and reader.document(d))
    foreign = reader.document(other).chunks[0].id
    at = app(view="document", doc=str(galaxy.id), chunk=str(foreign))
    assert not any(PASSAGE_LABEL in h.value for h in at.subheader)
    assert "chunk" not in at.query_params
    assert "#### Models" in " ".join(texts(at.markdown))  # the whole write-up, unmarked
