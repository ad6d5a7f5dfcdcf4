"""GitHub READMEs and files through canned README-API and raw answers."""

from __future__ import annotations

import base64
import json

import pytest

from ingest.sources.base import Target
from ingest.sources.github import API, RAW, GitHubRef, GitHubSource, parse_github_url
from kb.config import load_settings
from kb.records import CompetitionLink, FetchedDocument, Outcome
from tests.fixtures.canned_http import canned_fetcher, ok, status

README = "# Our solution\n\nWe stacked three gradient boosted models and tuned the blend on a time split.\n"


def readme_answer(path: str, text: str, ref: str = "main") -> object:
    return ok(json.dumps({
        "type": "file", "encoding": "base64", "name": path.rsplit("/", 1)[-1], "path": path,
        "content": base64.encodebytes(text.encode("utf-8")).decode("ascii"),
        "download_url": f"{RAW}/ann/sol/{ref}/{path}", "html_url": f"https://github.com/ann/sol/blob/{ref}/{path}",
    }), "application/json; charset=utf-8")


def source(routes, token: str = "") -> tuple[GitHubSource, object]:
    f, t = canned_fetcher(routes, robots=True)
    return GitHubSource(f, token=token), t


def test_repo_root_readme_via_the_readme_api():
    src, t = source({f"{API}/repos/ann/sol/readme": readme_answer("README.md", README)})
    doc = src.fetch(Target("https://github.com/ann/sol", "github", competition_slug="store-sales", rank=2,
                           kind="description"))
    assert isinstance(doc, FetchedDocument)
    assert (doc.url, doc.source, doc.raw.decode(), doc.content_type) == (
        "https://github.com/ann/sol", "github", README, "text/markdown")
    assert doc.fetched_url == f"{RAW}/ann/sol/main/README.md"
    assert doc.links == (CompetitionLink("store-sales", 2, "description"),)
    assert t.calls[0].headers["Accept"] == "application/vnd.github+json"
    assert "Authorization" not in t.calls[0].headers
    assert not any(u.endswith("/robots.txt") for u in t.urls())  # documented API, not a crawl


def test_token_is_sent_to_the_api_only(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_example")
    f, t = canned_fetcher({f"{RAW}/ann/sol/main/notes.md": ok(README, "text/plain; charset=utf-8")})
    token = load_settings().github_token  # what `kb ingest github` hands its source
    GitHubSource(f, token).fetch(Target("https://github.com/ann/sol/blob/main/notes.md", "github"))
    assert "Authorization" not in t.calls[0].headers
    f, t = canned_fetcher({f"{API}/repos/ann/sol/readme": readme_answer("README.md", README)})
    GitHubSource(f, token).fetch(Target("https://github.com/ann/sol", "github"))
    assert t.calls[0].headers["Authorization"] == "Bearer ghp_example"


def test_folder_readme_with_a_renamed_branch_falls_back_to_the_default_branch():
    routes = {
        f"{API}/repos/ann/sol/readme/part%201?ref=master": status(404, b'{"message": "No commit found"}'),
        f"{API}/repos/ann/sol": ok(json.dumps({"default_branch": "main", "full_name": "ann/sol"}), "application/json"),
        f"{API}/repos/ann/sol/readme/part%201?ref=main": readme_answer("part 1/README.rst", "Title\n=====\n\nText."),
    }
    src, t = source(routes)
    doc = src.fetch(Target("https://github.com/ann/sol/tree/master/part%201", "github"))
    assert isinstance(doc, FetchedDocument) and doc.content_type == "text/x-rst"
    assert t.urls()[-1].endswith("?ref=main")


def test_blob_goes_to_the_raw_host_with_its_path_encoded():
    raw = f"{RAW}/ann/sol/main/docs/my%20report.txt"
    src, t = source({raw: ok("plain report text", "text/plain; charset=utf-8")})
    doc = src.fetch(Target("https://github.com/ann/sol/blob/main/docs/my%20report.txt", "github"))
    assert isinstance(doc, FetchedDocument) and doc.content_type == "text/plain" and doc.fetched_url == raw
    assert t.urls() == [raw]


def test_rate_limited_api_falls_back_to_readme_files_on_the_raw_host():
    limited = status(403, b'{"message": "API rate limit exceeded"}', "application/json", X_RateLimit_Remaining="0")
    routes = {f"{API}/repos/ann/sol/readme": limited, f"{RAW}/ann/sol/HEAD/README.rst": ok("Title\n=====\n\nBody.")}
    src, t = source(routes)
    doc = src.fetch(Target("https://github.com/ann/sol", "github"))
    assert isinstance(doc, FetchedDocument) and doc.fetched_url == f"{RAW}/ann/sol/HEAD/README.rst"
    assert doc.content_type == "text/x-rst"
    assert f"{RAW}/ann/sol/HEAD/README.md" in t.urls()


def test_no_readme_is_a_404_failure():
    src, _ = source({})
    out = src.fetch(Target("https://github.com/ann/empty", "github"))
    assert isinstance(out, Outcome) and (out.status, out.reason) == ("failed", "http_status")
    assert "no README" in out.detail


def test_notebooks_and_images_are_skipped():
    src, t = source({})
    out = src.fetch(Target("https://github.com/ann/sol/blob/main/train.ipynb", "github"))
    assert isinstance(out, Outcome) and (out.status, out.reason) == ("skipped", "unsupported")
    assert t.calls == []


@pytest.mark.parametrize("url, ref", [
    ("https://github.com/ann/sol", GitHubRef("ann", "sol", "repo")),
    ("https://github.com/ann/sol.git", GitHubRef("ann", "sol", "repo")),
    ("https://github.com/ann/sol/#readme", GitHubRef("ann", "sol", "repo")),
    ("https://github.com/ann/sol/tree/main/a/b/", GitHubRef("ann", "sol", "tree", "main", "a/b")),
    ("https://github.com/ann/sol/blob/dev/x%20y.md", GitHubRef("ann", "sol", "blob", "dev", "x y.md")),
    (f"{RAW}/ann/sol/main/README.md", GitHubRef("ann", "sol", "blob", "main", "README.md")),
    ("https://github.com/ann/sol/wiki/Home", None),
    ("https://github.com/ann", None),
])
def test_url_forms(url, ref):
    assert parse_github_url(url) == ref


class Clock:
    def __init__(self, now: float = 1_736_330_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def limited(code: int = 403, **headers: str) -> object:
    return status(code, b'{"message": "API rate limit exceeded for 192.0.2.1."}', "application/json",
                  X_RateLimit_Limit="60", X_RateLimit_Remaining="0", **headers)


def test_a_spent_api_limit_is_not_paid_again_per_repository_before_its_reset():
    clock = Clock()
    routes = {f"{API}/repos/ann/sol{n}/readme": readme_answer("README.md", README) for n in range(3)}
    routes[f"{API}/repos/ann/sol0/readme"] = limited(X_RateLimit_Reset=str(int(clock.now) + 600))
    routes.update({f"{RAW}/ann/sol{n}/HEAD/README.md": ok(README, "text/plain") for n in range(3)})
    f, t = canned_fetcher(routes)
    src = GitHubSource(f, token="", clock=clock)
    docs = [src.fetch(Target(f"https://github.com/ann/sol{n}", "github")) for n in range(3)]
    assert all(isinstance(d, FetchedDocument) and d.fetched_url.startswith(RAW) for d in docs)
    assert [u for u in t.urls() if u.startswith(API)] == [f"{API}/repos/ann/sol0/readme"]  # one refused call
    assert src.api_closed_until == clock.now + 600
    clock.now += 601  # past the reset: the API is asked again
    doc = src.fetch(Target("https://github.com/ann/sol1", "github"))
    assert doc.fetched_url == f"{RAW}/ann/sol/main/README.md" and t.urls()[-1] == f"{API}/repos/ann/sol1/readme"


@pytest.mark.parametrize("answer, closed_for", [
    (limited(), 3600.0),  # no reset time named: GitHub's hourly window
    (limited(429, Retry_After="120"), 120.0),
    (status(403, b'{"message": "Resource not accessible"}', "application/json", X_RateLimit_Remaining="12"), None),
])
def test_which_refusals_close_the_api(answer, closed_for):
    clock = Clock()
    routes = {f"{API}/repos/ann/sol/readme": answer, f"{RAW}/ann/sol/HEAD/README.md": ok(README)}
    f, _ = canned_fetcher(routes, retries=0)
    src = GitHubSource(f, token="", clock=clock)
    src.fetch(Target("https://github.com/ann/sol", "github"))
    assert src.api_closed_until == (None if closed_for is None else clock.now + closed_for)
