"""The document view: one write-up's clean text, its techniques and its links."""

from __future__ import annotations

import json

import streamlit as st

from kb import Document, DocumentCompetition, DocumentTechnique, KnowledgeBase
from kb.app.render import bullet_list, escape_markdown, internal_link, link, metric_label, rank_label
from kb.app.views.recommend import describe_competition
from kb.app.writeup import document_markdown, split_at_passage

PASSAGE_ANCHOR = "passage"
PASSAGE_LABEL = "The passage you opened"
# scrolls the page to the marked passage once it is drawn (st.iframe runs it in a same-origin frame; no
# write-up text goes into it)
_SCROLL = """<script>
let tries = 0;
const jump = () => {{
  const el = window.parent.document.getElementById({anchor});
  if (el) {{ el.scrollIntoView({{block: "start"}}); }} else if (tries++ < 50) {{ setTimeout(jump, 100); }}
}};
jump();
</script>"""


def render(kb: KnowledgeBase) -> None:
    st.header("Read a write-up")
    choices = kb.document_choices()
    doc_id = st.session_state.get("doc")
    if doc_id is not None and doc_id not in choices:
        st.warning(f"There is no write-up with id {doc_id} in this knowledge base; choose one below.")
        st.session_state["doc"] = doc_id = None
    st.selectbox("Write-up", list(choices), key="doc", placeholder="choose a write-up…",
                 format_func=lambda i: choices.get(i, str(i)))
    doc_id = st.session_state.get("doc")
    if doc_id is None:
        st.info("Choose a write-up, or open one from the recommend or search results.")
        return
    doc = kb.document(int(doc_id))
    if doc is None:
        st.warning("This write-up is no longer in the knowledge base.")
        return
    chunk = st.session_state.get("chunk")
    if chunk is not None and all(c.id != chunk for c in doc.chunks):
        st.session_state["chunk"] = chunk = None  # another write-up was chosen
    show(kb, doc, chunk)


def show(kb: KnowledgeBase, doc: Document, chunk: int | None = None) -> None:
    st.subheader(escape_markdown(doc.title or doc.url))
    facts = [doc.source, doc.author, doc.date]
    st.caption(" · ".join(escape_markdown(str(f)) for f in facts if f) + " · " + link("original", doc.url))
    if doc.competitions:
        st.markdown(bullet_list(_competition_line(kb, c) for c in doc.competitions))
    techniques = doc.techniques
    helped = [t for t in techniques if t.helped]
    not_helped = [t for t in techniques if not t.helped]
    with st.expander(f"Techniques found: {len(helped)} helped, {len(not_helped)} did not help", expanded=True):
        left, right = st.columns(2)
        with left:
            st.markdown(":green[**Helped**]")
            st.markdown(_technique_list(helped) or "none found")
        with right:
            st.markdown(":red[**Did not help**]")
            st.markdown(_technique_list(not_helped) or "none found")
    st.divider()
    passage = next((c.text for c in doc.chunks if c.id == chunk), None)
    parts = split_at_passage(doc.text, passage) if passage else None
    if parts is None:
        st.markdown(document_markdown(doc.text) or "*(this write-up has no text)*")
        return
    before, marked, after = parts
    st.caption(f"[Jump to the passage you opened](#{PASSAGE_ANCHOR})")
    if before:
        st.markdown(before)
    with st.container(border=True):
        st.subheader(f":orange-background[{PASSAGE_LABEL}]", anchor=PASSAGE_ANCHOR,
                     help="The passage the search hit or the quote came from, in its place in the write-up.")
        st.markdown(marked)
    if after:
        st.markdown(after)
    st.iframe(_SCROLL.format(anchor=json.dumps(PASSAGE_ANCHOR)), height="content")


def _competition_line(kb: KnowledgeBase, comp: DocumentCompetition) -> str:
    name = comp.title or comp.slug
    label = f"{name} ({comp.year})" if comp.year else name
    line = f"{link(label, comp.url)} · {rank_label(comp.rank)}"
    info = kb.competition(comp.slug)
    metric = metric_label(info.metric, info.metric_family) if info else None
    if metric:
        line += " · " + escape_markdown(f"scored with {metric}")
    if info:
        line += " · " + internal_link("recommend for a competition like this", view="recommend",
                                      q=describe_competition(info), exclude=comp.slug)
    return line


def _technique_list(techniques: list[DocumentTechnique]) -> str:
    lines = []
    for t in techniques:
        where = f" — in *{escape_markdown(t.heading_path)}*" if t.heading_path else ""
        times = f" ×{t.mentions}" if t.mentions > 1 else ""
        lines.append(f"**{escape_markdown(t.technique)}**{times} ({escape_markdown(t.category)}){where}")
    return bullet_list(lines)
