"""GitHub write-ups: a repo's or sub-folder's README, or one file, fetched as raw bytes.

``github.com/<o>/<r>`` and ``/tree/<branch>/<path>`` go through the README API (it finds
README.md, README.rst, ... itself); ``/blob/<branch>/<file>`` goes straight to
``raw.githubusercontent.com``. A branch that no longer exists (master renamed to main) is replaced
by the repository's default branch; when the API is rate-limited, README files are tried by name on
the raw host. Once the API says its limit is spent (403/429 with ``x-ratelimit-remaining: 0``),
it is not asked again before its ``x-ratelimit-reset`` time (an hour when it names none): README
files are read from the raw host meanwhile, instead of paying one refused call per repository.
``GITHUB_TOKEN`` (optional) raises the API limit. These are documented endpoints for programs, so
robots.txt (meant for crawlers of github.com pages) is not consulted for them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from ingest.errors import FetchError
from ingest.http import Fetcher, Response
from ingest.sources.base import Target, failed
from kb.records import CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)

API = "https://api.github.com"
LIMIT_WINDOW = 3600.0  # GitHub's limits are per hour: the wait when a spent limit names no reset time
RAW = "https://raw.githubusercontent.com"
README_NAMES = ("README.md", "readme.md", "README.rst", "README.txt", "README", "Readme.md")
_GITHUB = re.compile(r"^https?://(?:www\.)?github\.com/([^/?#]+)/([^/?#]+)/?(?:(tree|blob)/([^/?#]+)/?([^?#]*))?/?(?:[?#].*)?$",
                     re.I)
_RAW_URL = re.compile(r"^https?://raw\.githubusercontent\.com/([^/]+)/([^/]+)/([^/]+)/([^?#]+)", re.I)
_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".rst": "text/x-rst", ".txt": "text/plain",
          ".html": "text/html", ".htm": "text/html", "": "text/plain"}


@dataclass(frozen=True)
class GitHubRef:
    owner: str
    repo: str
    kind: str  # repo | tree | blob
    branch: str | None = None
    path: str = ""  # percent-decoded


def parse_github_url(url: str) -> GitHubRef | None:
    if m := _RAW_URL.match(url):
        return GitHubRef(m.group(1), m.group(2), "blob", m.group(3), unquote(m.group(4)))
    m = _GITHUB.match(url.strip())
    if not m:
        return None
    owner, repo, kind, branch, path = m.groups()
    repo = repo[:-4] if repo.lower().endswith(".git") else repo
    if kind is None:
        return GitHubRef(owner, repo, "repo")
    path = unquote(path or "").strip("/")
    if kind == "blob" and not path:
        return None
    return GitHubRef(owner, repo, kind.lower(), branch, path)


def content_type_for(name: str) -> str | None:
    """Media type by file name (None for files that are not write-ups, such as notebooks or images)."""
    base = name.rsplit("/", 1)[-1].lower()
    ext = "." + base.rsplit(".", 1)[1] if "." in base else ""
    return _TYPES.get(ext)


def raw_url(ref: GitHubRef, branch: str, path: str) -> str:
    return f"{RAW}/{quote(ref.owner)}/{quote(ref.repo)}/{quote(branch, safe='')}/{quote(path)}"


class GitHubSource:
    name = "github"

    def __init__(self, fetcher: Fetcher, token: str | None = None, *, clock: Callable[[], float] = time.time):
        self.fetcher = fetcher
        self.token = token  # Settings.github_token (GITHUB_TOKEN)
        self.clock = clock
        self.api_closed_until: float | None = None  # epoch seconds: the API's limit is spent until then
        self._default_branches: dict[tuple[str, str], str] = {}

    def discover(self, url: str) -> list[Target | Outcome]:
        if parse_github_url(url) is None:
            return [Outcome(url, "skipped", reason="unsupported", detail="not a GitHub repo, folder or file URL")]
        return [Target(url, self.name)]

    def fetch(self, target: Target) -> FetchedDocument | Outcome:
        ref = parse_github_url(target.url)
        if ref is None:
            return Outcome(target.url, "skipped", reason="unsupported", detail="not a GitHub repo, folder or file URL")
        if ref.kind == "blob" and content_type_for(ref.path) is None:
            return Outcome(target.url, "skipped", reason="unsupported", detail=f"{ref.path} is not a text write-up")
        try:
            name, body, fetched = self._blob(ref) if ref.kind == "blob" else self._readme(ref)
        except FetchError as e:
            return failed(target.url, e)
        links = (CompetitionLink(target.competition_slug, target.rank, target.kind),) if target.competition_slug else ()
        return FetchedDocument(
            url=target.url, source=self.name, raw=body, content_type=content_type_for(name) or "text/plain",
            site="github.com", fetched_url=fetched, links=links,
        )

    # -- fetching ---------------------------------------------------------------------------
    def _api(self, path: str) -> Response:
        url = f"{API}{path}"
        now = self.clock()
        if self.api_closed_until is not None:
            if now < self.api_closed_until:
                until = datetime.fromtimestamp(self.api_closed_until, UTC).strftime("%H:%M UTC")
                raise FetchError(url, "rate_limited", f"GitHub API limit spent; not asked again before {until}")
            self.api_closed_until = None
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            return self.fetcher.fetch(url, headers=headers, robots=False)
        except FetchError as e:
            if e.status in (403, 429) and e.header("x-ratelimit-remaining").strip() == "0":
                self._close_api(e, now)
            raise

    def _close_api(self, error: FetchError, now: float) -> None:
        reset = error.header("x-ratelimit-reset").strip()
        wait = error.header("retry-after").strip()
        if reset.isdigit():
            until = float(reset)
        elif wait.isdigit():
            until = now + float(wait)
        else:
            until = now + LIMIT_WINDOW
        self.api_closed_until = max(until, now)
        log.warning("GitHub API limit spent (HTTP %s): READMEs come from %s until %s (set GITHUB_TOKEN for a higher"
                    " limit)", error.status, RAW, datetime.fromtimestamp(self.api_closed_until, UTC).isoformat())

    def default_branch(self, ref: GitHubRef) -> str | None:
        key = (ref.owner.lower(), ref.repo.lower())
        if key not in self._default_branches:
            try:
                data = json.loads(self._api(f"/repos/{quote(ref.owner)}/{quote(ref.repo)}").content)
            except (FetchError, ValueError):
                return None
            branch = data.get("default_branch") if isinstance(data, dict) else None
            if not isinstance(branch, str):
                return None
            self._default_branches[key] = branch
        return self._default_branches[key]

    def _renamed_branch(self, ref: GitHubRef, error: FetchError) -> GitHubRef | None:
        """The same ref on the default branch, when a 404 may come from a renamed branch."""
        if error.status != 404 or ref.branch is None:
            return None
        default = self.default_branch(ref)
        return replace(ref, branch=default) if default and default != ref.branch else None

    def _blob(self, ref: GitHubRef) -> tuple[str, bytes, str]:
        url = raw_url(ref, ref.branch or "HEAD", ref.path)
        try:
            return ref.path, self.fetcher.fetch(url, expect_text=True, robots=False).content, url
        except FetchError as e:
            other = self._renamed_branch(ref, e)
            if other is None:
                raise
            return self._blob(other)

    def _readme(self, ref: GitHubRef) -> tuple[str, bytes, str]:
        where = f"/{quote(ref.path)}" if ref.path else ""
        query = f"?ref={quote(ref.branch, safe='')}" if ref.branch else ""
        try:
            resp = self._api(f"/repos/{quote(ref.owner)}/{quote(ref.repo)}/readme{where}{query}")
        except FetchError as e:
            other = self._renamed_branch(ref, e)
            if other is not None:
                return self._readme(other)
            if e.status == 404:
                raise FetchError(e.url, "http_status", f"no README in {ref.owner}/{ref.repo}/{ref.path}".rstrip("/"),
                                 404) from e
            return self._readme_by_name(ref, e)  # rate limit or API outage: try the raw host
        try:
            data = json.loads(resp.content)
            body = base64.b64decode(data["content"])
            name = str(data.get("path") or data.get("name") or "README.md")
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            raise FetchError(resp.url, "parse", f"unexpected README API answer: {e}") from e
        links = data.get("_links") if isinstance(data.get("_links"), dict) else {}
        return name, body, str(data.get("download_url") or data.get("html_url") or links.get("html") or resp.url)

    def _readme_by_name(self, ref: GitHubRef, api_error: FetchError) -> tuple[str, bytes, str]:
        for name in README_NAMES:
            path = f"{ref.path}/{name}" if ref.path else name
            url = raw_url(ref, ref.branch or "HEAD", path)
            try:
                return path, self.fetcher.fetch(url, expect_text=True, robots=False).content, url
            except FetchError as e:
                if e.status != 404:
                    raise
        raise api_error
