"""The web app: its pure helpers, and every view driven through Streamlit's AppTest.

The app runs over the mini mirror built with the fake embedder (KB_MODEL=fake), so these tests
take seconds and need no model. The browser-level test is in test_app_browser.py.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ingest.mirror import ingest_mirror
from kb.api import KnowledgeBase
from kb.app.loader import Loader
from kb.app.render import escape_markdown, evidence_markdown, highlight, link, safe_url
from kb.app.state import AppState, FilterState, clamp_years, parse_params, to_params, year_filter
from kb.app.views.corpus import popularity_frame, year_bins
from kb.app.views.recommend import describe_competition
from kb.app.writeup import document_markdown
from kb.embed import FakeEmbedder
from kb.errors import IndexMismatchError, NotBuiltError
from tests.fixtures.mini_mirror import write_mirror

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GALAXY_URL = "https://github.com/alice/galaxy-shapes/blob/main/README.md"
SALES_URL = "https://github.com/bob/store-sales/blob/main/docs/solution%20notes.rst"
BLOG_URL = "https://carol.example/2014/seizure-detection/"
SALES = "Forecast daily sales of shops using lag features, rolling means and LightGBM"


# -- fixtures ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_home(tmp_path_factory) -> Path:
    """One mini knowledge base for the module; the app only reads it."""
    root = tmp_path_factory.mktemp("app")
    mirror = write_mirror(root / "mirror")
    with KnowledgeBase.open(root / "home", embedder=FakeEmbedder(), model="fake") as kb:
        ingest_mirror(kb, mirror)
    return root / "home"


@pytest.fixture
def reader(built_home) -> KnowledgeBase:
    kb = KnowledgeBase.open(built_home, embedder=FakeEmbedder(), model="fake", readonly=True)
    yield kb
    kb.close()


def _app(monkeypatch, home: Path, abstain_below: str = "0", **params: str) -> AppTest:
    monkeypatch.setenv("KB_HOME", str(home))
    monkeypatch.setenv("KB_MODEL", "fake")
    monkeypatch.setenv("KB_ABSTAIN_BELOW", abstain_below)  # the floor is calibrated for the real model
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def app(monkeypatch, built_home):
    def start(**params: str) -> AppTest:
        at = _app(monkeypatch, built_home, **params)
        assert not at.exception, at.exception
        return at

    yield start
    st.cache_resource.clear()


def texts(elements) -> list[str]:  # noqa: ANN001
    return [e.value for e in elements]


def button(at: AppTest, label: str):  # noqa: ANN201
    return next(b for b in at.button if b.label == label)


# -- URL state -------------------------------------------------------------------------------------

def test_q_alone_opens_recommend_and_bad_values_are_dropped():
    state = parse_params({"q": "  tabular   data ", "view": "nonsense", "year_min": "2020", "year_max": "2012",
                          "max_rank": "ten", "doc": "-3", "k": "500", "modality": ["image", "text"]})
    assert state == AppState(view="recommend", q="tabular data",
                             filters=FilterState(modality="image", year_min=2012, year_max=2020))


def test_params_round_trip_and_hold_only_what_the_view_uses():
    state = AppState(view="search", q="pseudo labels", filters=FilterState(source="blog", max_rank=3),
                     exclude="galaxy-shapes", doc=4, k=20)
    params = to_params(state)
    assert params == {"view": "search", "q": "pseudo labels", "source": "blog", "max_rank": "3"}
    assert parse_params(params) == AppState(view="search", q="pseudo labels",
                                            filters=FilterState(source="blog", max_rank=3))
    assert to_params(AppState(view="document", q="x", doc=7)) == {"view": "document", "doc": "7"}
    assert to_params(AppState(q="cnn", exclude="galaxy-shapes", k=20)) == {
        "view": "recommend", "q": "cnn", "exclude": "galaxy-shapes", "k": "20"}


def test_year_slider_maps_to_filters_only_when_narrowed():
    assert year_filter((2010, 2024), (2010, 2024)) == (None, None)
    assert year_filter((2015, 2024), (2010, 2024)) == (2015, None)
    assert clamp_years(FilterState(year_min=1990, year_max=2018), (2010, 2024)) == (2010, 2018)
    assert clamp_years(FilterState(), None) is None


# -- safe rendering ----------------------------------------------------------------------------------

def test_untrusted_text_cannot_inject_links_html_or_latex():
    hostile = "see [here](javascript:alert(1)) <img src=x onerror=alert(1)> $x$ :red[boo] **bold** `code`"
    out = escape_markdown(hostile)
    assert re.search(r"(?<!\\)[\[\]()<>$`*:]", out) is None  # every active character escaped
    assert out.replace("\\", "") == hostile


def test_highlight_bolds_query_words_and_escapes_the_rest():
    out = highlight("We trained CNNs on [augmented] images, then used_dropout.", "CNN image augmentation")
    assert out == "We trained **CNNs** on \\[**augmented**\\] **images**, then used\\_dropout\\."
    assert highlight("Lag features and lag  features", "lag features") == "**Lag features** and **lag features**"
    assert evidence_markdown("a <b>", "") == "> a \\<b\\>"
    assert evidence_markdown("- 1. item", "item") == "> 1\\. **item**"


def test_links_only_for_http_urls():
    assert safe_url("https://example.org/a_(b)") == "https://example.org/a_%28b%29"
    for bad in ("javascript:alert(1)", "data:text/html,x", "/relative", "ftp://x.org/f", "http://x.org/a b", None):
        assert safe_url(bad) is None
    assert link("click", "javascript:alert(1)") == "click"
    assert link("a [b]", "http://x.org") == "[a \\[b\\]](http://x.org)"


def test_document_markdown_shifts_headings_and_escapes_paragraphs():
    text = "# Title\n\nFirst line\ncontinues [x](http://y).\n\n## Part <two>\n\n- item one\n- item two\n"
    assert document_markdown(text) == (
        "### Title\n\nFirst line continues \\[x\\]\\(http\\://y\\)\\.\n\n#### Part \\<two\\>\n\n"
        "- item one\n- item two")


def test_document_code_stays_code_and_cannot_close_its_fence_early():
    text = "Intro\n\n```python\nx = '```'\nprint([x](y))\n```\n\nAfter *this*"
    assert document_markdown(text) == "Intro\n\n````python\nx = '```'\nprint([x](y))\n````\n\nAfter \\*this\\*"
    assert document_markdown("~~~\nnever closed") == "```\nnever closed\n```"


def test_describe_competition_uses_catalog_fields(reader):
    comp = reader.competition("store-sales-forecast")
    text = describe_competition(comp)
    assert text.startswith("Store Sales Forecast. Predict daily sales for a chain of shops.")
    assert text.endswith("Evaluated with Root Mean Squared Logarithmic Error.")


def test_search_gives_each_document_its_best_passages(reader):
    hits = reader.search("lag features LightGBM", k=10, passages=3)
    assert hits[0].url == SALES_URL and hits[0].competition == "store-sales-forecast" and hits[0].rank == 2
    assert len({h.document_id for h in hits}) == len(hits)
    assert all(1 <= len(h.passages) <= 3 for h in hits)
    for hit in hits:  # the first passage is the result's own snippet, the others score no higher
        assert (hit.passages[0].chunk_id, hit.passages[0].snippet) == (hit.chunk_id, hit.snippet)
        assert [p.score for p in hit.passages] == sorted((p.score for p in hit.passages), reverse=True)
    assert [h.url for h in reader.search("lag features", passages=3, source="blog")] == [BLOG_URL]
    one = reader.search("lag features LightGBM", k=10)
    assert [h.to_json() for h in one] == [h.to_json() for h in hits] and all(len(h.passages) == 1 for h in one)


def test_filter_choices_are_cached_until_the_database_changes(tmp_path):
    mirror = write_mirror(tmp_path / "mirror")
    with KnowledgeBase.open(tmp_path / "home", embedder=FakeEmbedder(), model="fake") as kb:
        ingest_mirror(kb, mirror)
        first = kb.filter_options()
        assert first.sources and first.competitions and "store-sales-forecast" in kb.competition_choices()
        assert kb.filter_options() is first
        with kb.conn:
            kb.conn.execute("UPDATE competitions SET title = 'Renamed Sales' WHERE slug = 'store-sales-forecast'")
        second = kb.filter_options()
        assert second is not first and second.competitions["store-sales-forecast"].startswith("Renamed Sales")
        assert kb.competition_choices()["store-sales-forecast"].startswith("Renamed Sales")


# -- the app ---------------------------------------------------------------------------------------------

def _recommend(at: AppTest, text: str) -> AppTest:
    at.text_area(key="q").input(text)
    return button(at, "Recommend").click().run()


def test_typed_description_gives_techniques_with_evidence(app):
    at = _recommend(app(), SALES)
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert labels, "no technique was recommended"
    assert any("lightgbm" in label.lower() for label in labels)
    quotes = [m for m in texts(at.markdown) if m.startswith("> ")]
    assert quotes and any("**" in q for q in quotes)  # query words highlighted
    captions = " ".join(texts(at.caption))
    assert f"]({SALES_URL})" in captions and "2nd place" in captions
    assert escape_markdown("Store Sales Forecast (2021)") in captions
    assert "read here](./?view=document&doc=" in captions
    assert "Similar past competitions" in texts(at.subheader)
    assert "[Store Sales Forecast](https://www.kaggle.com/c/store-sales-forecast)" in " ".join(texts(at.markdown))
    assert at.query_params["q"] == [SALES] or at.query_params["q"] == SALES


def test_the_answer_says_how_it_read_the_description_and_can_be_corrected(app):
    at = app(q="Classify telescope images of galaxies by their shape")
    page = " ".join(texts(at.markdown))
    assert "**Read as:** image" in page and "confidence" in page
    assert "same modality \\(image\\)" in " ".join(texts(at.caption))  # each similar competition has a reason
    at = at.selectbox(key="ov_modality").set_value("tabular").run()
    page = " ".join(texts(at.markdown))
    assert "**Read as:** tabular" in page and "as you set it" in page
    at = button(at, "Use inferred").click().run()
    assert "**Read as:** image" in " ".join(texts(at.markdown))


def test_gibberish_gets_no_close_match(monkeypatch, built_home):
    at = _app(monkeypatch, built_home, abstain_below="0.2", q="zqxv wkjh plmo rtyu")
    assert not at.exception
    assert "No close match" in " ".join(texts(at.warning))
    assert not at.expander or all("Correct how kb read it" in e.label for e in at.expander)


def test_q_in_the_url_runs_recommend(app):
    at = app(q=SALES)
    assert at.radio(key="view").value == "recommend"
    assert at.text_area(key="q").value == SALES
    assert at.expander, "?q= did not run the recommendation"


def test_example_button_fills_the_description(app):
    at = app()
    assert "Try an example" in " ".join(texts(at.info))
    at = button(at, "Sales forecasting").click().run()
    assert "daily unit sales" in at.text_area(key="q").value
    assert at.expander


def test_empty_description_asks_for_one(app):
    at = app()
    at.text_area(key="q").input("   ")
    at = button(at, "Recommend").click().run()
    assert "Type a description first" in " ".join(texts(at.warning))
    assert not at.expander and not at.error


def test_punctuation_only_query_shows_a_message_not_a_traceback(app):
    at = app(q="?!")
    assert not at.exception
    assert "no words to search for" in " ".join(texts(at.error))


def test_past_competition_picker_fills_description_and_excludes_it(app):
    at = app()
    at = at.selectbox(key="pick").set_value("galaxy-shapes").run()
    assert at.text_area(key="q").value.startswith("Galaxy Shapes Challenge.")
    assert at.query_params["exclude"] in ("galaxy-shapes", ["galaxy-shapes"])
    page = " ".join(texts(at.caption) + texts(at.markdown))
    assert "Leaving out the write-ups of" in page
    assert GALAXY_URL not in page  # its own write-up is not evidence for itself


def test_no_results_says_so(app):
    at = app(q=SALES, competition="brainwave-seizure", source="github")
    assert "No winning write-up matches" in " ".join(texts(at.info))
    assert "clearing some filters" in " ".join(texts(at.info))


def test_search_with_a_filter_change(app):
    at = app(view="search")
    at = at.text_input(key="search_q").input("lag features").run()
    first = [m for m in texts(at.markdown) if m.startswith("**[")]
    assert first[0] == f"**[Store sales forecasting]({SALES_URL})**"
    assert len(first) > 1
    at = at.selectbox(key="f_source").set_value("blog").run()
    hits = [m for m in texts(at.markdown) if m.startswith("**[")]
    assert hits == [f"**[Seizure detection with spectral features]({BLOG_URL})**"]
    assert dict(at.query_params) in ({"view": "search", "q": "lag features", "source": "blog"},
                                     {"view": ["search"], "q": ["lag features"], "source": ["blog"]})
    at = button(at, "Clear filters").click().run()
    assert len([m for m in texts(at.markdown) if m.startswith("**[")]) > 1


def test_filters_from_the_url_are_applied(app):
    at = app(view="search", q="features", year_min="2020")
    assert at.slider(key="f_years").value == (2020, 2021)
    hits = [m for m in texts(at.markdown) if m.startswith("**[")]
    assert hits == [f"**[Store sales forecasting]({SALES_URL})**"]


def test_open_a_document_from_search(app, reader):
    at = app(view="search", q="galaxy rotations dropout")
    doc = reader.document(GALAXY_URL).id
    at = at.button(key=f"open-{doc}").click().run()
    assert at.radio(key="view").value == "document"
    assert at.query_params["doc"] in (str(doc), [str(doc)])
    assert escape_markdown("Galaxy Shapes: first place") in texts(at.subheader)
    page = " ".join(texts(at.markdown) + texts(at.caption))
    assert f"[original]({GALAXY_URL})" in page
    assert "[Galaxy Shapes Challenge \\(2014\\)](https://www.kaggle.com/c/galaxy-shapes) · 1st place" in page
    assert "#### Models" in page and "twelve models" in page


def test_document_view_lists_techniques_by_verdict(app, reader):
    doc = reader.document(GALAXY_URL).id
    found = reader.document(doc).techniques
    assert found, "the technique tagger found nothing in the galaxy write-up"
    at = app(view="document", doc=str(doc))
    helped, not_helped = [m for m in texts(at.markdown) if m.startswith("- **") or m == "none found"][:2]
    for t in found:
        assert f"**{escape_markdown(t.technique)}**" in (helped if t.helped else not_helped)


def test_unknown_document_id_is_a_warning(app):
    at = app(view="document", doc="999")
    assert "no write-up with id 999" in " ".join(texts(at.warning))


def test_corpus_view_renders_counts_and_charts(app):
    at = app(view="corpus")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Write-ups"] == "4" and metrics["Competitions covered"] == "3"
    assert "Write-ups per year" in texts(at.subheader)
    assert "Technique popularity over the years" in texts(at.subheader)
    assert "Coverage by modality" in texts(at.subheader)
    assert len(at.get("vega_lite_chart")) >= 3


def test_popularity_is_a_share_of_each_periods_writeups():
    frame = popularity_frame({"lightgbm": {2021: 1}, "cnn": {2014: 1, 2021: 1}}, {2014: 2, 2021: 1},
                             min_documents=1)
    assert frame.to_dict() == {"lightgbm": {"2014": 0.0, "2021": 100.0}, "cnn": {"2014": 50.0, "2021": 100.0}}


def test_thin_years_are_pooled_into_periods():
    docs = {2012: 3, 2013: 8, 2014: 30, 2021: 4, 2022: 2, 2024: 1}
    assert year_bins(docs, 10) == {2012: "2012–13", 2013: "2012–13", 2014: "2014", 2021: "2021–24",
                                   2022: "2021–24", 2024: "2021–24"}
    assert year_bins({2014: 30, 2021: 1}, 10) == {2014: "2014–21", 2021: "2014–21"}  # too thin alone
    frame = popularity_frame({"bert": {2021: 2, 2024: 1}}, docs, 10)
    assert frame.to_dict() == {"bert": {"2012–13": 0.0, "2014": 0.0, "2021–24": 42.9}}


def test_the_packaged_page_that_kb_serve_runs_is_the_same_app(monkeypatch, built_home):
    from kb.cli.serve import app_page

    monkeypatch.setenv("KB_HOME", str(built_home))
    monkeypatch.setenv("KB_MODEL", "fake")
    monkeypatch.setenv("KB_ABSTAIN_BELOW", "0")
    st.cache_resource.clear()
    at = AppTest.from_file(str(app_page()), default_timeout=60)
    at.query_params["q"] = SALES
    at = at.run()
    assert not at.exception and at.radio(key="view").value == "recommend"
    assert any("lightgbm" in e.label.lower() for e in at.expander)
    st.cache_resource.clear()


def test_empty_home_shows_the_build_command(monkeypatch, tmp_path):
    at = _app(monkeypatch, tmp_path / "nothing-here")
    assert not at.exception
    assert "kb ingest mirror ../shared/corpus" in texts(at.code)[0]
    assert "empty" in " ".join(texts(at.info))
    KnowledgeBase.open(tmp_path / "nothing-here").close()  # a database without documents
    at = _app(monkeypatch, tmp_path / "nothing-here")
    assert "kb ingest mirror ../shared/corpus" in texts(at.code)[0]
    st.cache_resource.clear()


def test_hostile_writeup_renders_safely(monkeypatch, tmp_path):
    url = "https://github.com/mallory/tricks/blob/main/README.md"
    mirror = write_mirror(tmp_path / "mirror", extra_rows=[
        {"url": url, "path": "snapshots/github/mallory/tricks/README.md", "content_type": "text/markdown",
         "source": "github", "competition_slug": "galaxy-shapes", "rank": 7}])
    path = mirror / "snapshots/github/mallory/tricks/README.md"
    path.parent.mkdir(parents=True)
    path.write_text("# Tricks :red[loud]\n\nWe scaled features by $2^k$ and <b>ensembled</b> CNNs ![x](y.png).\n"
                    "\n- <script>alert(1)</script> item\n", encoding="utf-8")
    with KnowledgeBase.open(tmp_path / "home", embedder=FakeEmbedder(), model="fake") as kb:
        ingest_mirror(kb, mirror)
        doc = kb.document(url).id
    at = _app(monkeypatch, tmp_path / "home", view="document", doc=str(doc))
    assert not at.exception
    body = next(m for m in texts(at.markdown) if m.startswith("### "))
    assert body.startswith("### Tricks \\:red\\[loud\\]")
    assert "by $2^k$ and" in body  # math is math
    assert "<" not in body.replace("\\<", "") and "](" not in body
    st.cache_resource.clear()


# -- loading once, before the first visitor ----------------------------------------------------------------

def test_the_loader_warms_every_step_in_order_and_keeps_going_past_a_broken_one(monkeypatch, built_home):
    monkeypatch.setenv("KB_MODEL", "fake")
    done: list[str] = []

    def broken(kb: KnowledgeBase) -> None:
        raise IndexMismatchError("built with another model")

    steps = (("one", lambda kb: done.append("one")), ("broken", broken), ("two", lambda kb: done.append("two")))
    loader = Loader(str(built_home), "fake", steps=steps, page_modules=("kb.app.views.search",)).start()
    kb = loader.result()
    assert done == ["one", "two"] and loader.problems == ["broken: built with another model"]
    assert (loader.stage, loader.step, loader.total, loader.error) == ("ready", 5, 5, None)
    assert kb.readonly and kb.filter_options() is kb.filter_options() and loader.elapsed > 0
    assert loader.start() is loader and loader.result() is kb  # started once


def test_the_loader_hands_over_what_stopped_it(tmp_path):
    loader = Loader(str(tmp_path / "nothing-here"), "fake").start()
    with pytest.raises(NotBuiltError):
        loader.result()
    assert loader.done and loader.stage == "failed" and isinstance(loader.error, NotBuiltError)


def test_a_visitor_during_loading_sees_what_is_loading_then_the_page(monkeypatch, built_home):
    import kb.app.ui as ui

    gate = threading.Event()
    loader = Loader(str(built_home), "fake", steps=(("waiting for the test", lambda kb: gate.wait(30)),))
    shown: list[str] = []

    def message(current: Loader) -> str:
        text = real_message(current)
        shown.append(text)
        gate.set()  # the page has said what it waits for: let the loading finish
        return text

    real_message = ui.loading_message
    monkeypatch.setattr(ui, "_loader", lambda home, model: loader.start())
    monkeypatch.setattr(ui, "loading_message", message)
    at = _app(monkeypatch, built_home)
    assert not at.exception
    assert shown and "Starting kb" in shown[0] and ("waiting for the test" in shown[0] or "loading" in shown[0])
    assert "once, when the server starts" in shown[0]
    assert at.text_area(key="q") is not None and "Try an example" in " ".join(texts(at.info))
    assert not any("Starting kb" in m for m in texts(at.info))  # gone once loaded


def test_every_visitor_shares_the_one_knowledge_base_warmed_at_server_start(monkeypatch, built_home):
    import kb.api
    import kb.app.ui as ui

    monkeypatch.setenv("KB_HOME", str(built_home))
    monkeypatch.setenv("KB_MODEL", "fake")
    monkeypatch.setenv("KB_ABSTAIN_BELOW", "0")
    opened: list[object] = []
    models: list[str] = []
    real_open, real_embedder = KnowledgeBase.open.__func__, kb.api.make_embedder
    monkeypatch.setattr(KnowledgeBase, "open",
                        classmethod(lambda cls, *a, **k: opened.append(a) or real_open(cls, *a, **k)))
    monkeypatch.setattr(kb.api, "make_embedder", lambda model, *a: models.append(model) or real_embedder(model, *a))
    st.cache_resource.clear()
    warmed = ui.warm().result()  # what `kb serve` does before the server starts
    assert len(opened) == 1 and models == ["fake"]
    for view in ("recommend", "search"):  # two visitors, two sessions
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update({"view": view, "q": SALES})
        at = at.run()
        assert not at.exception and (at.expander if view == "recommend" else at.button)
    assert len(opened) == 1 and models == ["fake"]  # nothing loaded twice
    assert ui.open_kb() is warmed
    st.cache_resource.clear()


def test_corrupt_index_is_a_message(monkeypatch, built_home, tmp_path):
    home = tmp_path / "copy"
    shutil.copytree(built_home, home)
    index = next(p for p in (home / "index").iterdir() if p.suffix != ".json")
    index.write_bytes(b"not an index")
    at = _app(monkeypatch, home, view="search", q="lag features")
    assert not at.exception
    assert "kb index rebuild" in " ".join(texts(at.error))
    st.cache_resource.clear()
