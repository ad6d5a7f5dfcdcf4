"""Which source fetches a URL, and the sources of a crawl (Kaggle, GitHub, blogs) over one fetcher."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.http import Fetcher
from ingest.sources.base import Source, Target
from ingest.sources.blog import BlogSource
from ingest.sources.github import GitHubSource, parse_github_url
from ingest.sources.kaggle import KaggleSource, parse_kaggle_url

if TYPE_CHECKING:
    from kb.config import Settings

SOURCE_NAMES = ("kaggle", "github", "blog")
_NOT_ARTICLES = (".pdf", ".zip", ".gz", ".tar", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".mp4", ".pptx", ".ppt",
                 ".ipynb", ".h5", ".pkl", ".csv")
_MEDIA_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "drive.google.com", "docs.google.com", "slideshare.net",
                "twitter.com", "x.com", "gist.github.com", "colab.research.google.com")


def source_for_url(url: str) -> str | None:
    """Which source fetches ``url``: kaggle, github or blog; None for what no source can use."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower().split(":")[0].removeprefix("www.")
    if host == "kaggle.com" or host.endswith(".kaggle.com") and host != "blog.kaggle.com":
        return "kaggle" if parse_kaggle_url(url) else None
    if host in ("github.com", "raw.githubusercontent.com"):
        return "github" if parse_github_url(url) else None
    if any(host == h or host.endswith("." + h) for h in _MEDIA_HOSTS):
        return None
    if parts.path.lower().endswith(_NOT_ARTICLES):
        return None
    return "blog"


def make_sources(fetcher: Fetcher, *, whole_site: bool | None = None, settings: Settings | None = None
                 ) -> dict[str, Source]:
    """One source of each kind over ``fetcher``; the API tokens come from ``settings`` (none without)."""
    return {"kaggle": KaggleSource(fetcher, settings.kaggle_token if settings else None),
            "github": GitHubSource(fetcher, settings.github_token if settings else None),
            "blog": BlogSource(fetcher, whole_site=whole_site)}


__all__ = ["SOURCE_NAMES", "Source", "Target", "make_sources", "source_for_url"]
