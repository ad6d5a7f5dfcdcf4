"""``kb ingest mirror DIR``: the offline mirror (``../shared/corpus``) as a transport, manifest URLs
answered from disk, then the catalog and every manifest document through the real fetch path.

Ingesting the mirror runs the same fetch → extract → store path as a live crawl; only the
transport differs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ingest.catalog import parse_catalog, store_catalog
from ingest.errors import FetchError, MirrorError
from ingest.http import Fetcher
from ingest.http.messages import Request, Response
from ingest.report import Summary
from ingest.runner import finalize, store_all
from kb.api import KnowledgeBase
from kb.progress import ProgressFactory, no_progress
from kb.records import CompetitionLink, FetchedDocument, Outcome

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
CATALOG = "catalog/competitions.yml"


@dataclass(frozen=True)
class ManifestRow:
    url: str
    path: str
    content_type: str
    source: str
    raw_url: str | None = None
    title: str | None = None
    date: str | None = None
    author: str | None = None
    site: str | None = None
    license: str | None = None
    competition_slug: str | None = None
    competition_title: str | None = None
    rank: int | None = None
    line: int = 0


@dataclass
class Manifest:
    rows: list[ManifestRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def documents(self) -> dict[str, list[ManifestRow]]:
        """Rows grouped by document URL, in manifest order."""
        out: dict[str, list[ManifestRow]] = {}
        for row in self.rows:
            out.setdefault(row.url, []).append(row)
        return out


def _opt(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _rank(value: object) -> int | None:
    if value in (None, "") or not isinstance(value, int | float | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def load_manifest(root: Path) -> Manifest:
    """Read ``manifest.jsonl``; a malformed line is reported with its number and skipped."""
    path = root / MANIFEST
    if not root.is_dir():
        raise MirrorError(f"mirror folder not found: {root}")
    if not path.exists():
        raise MirrorError(f"{root} is not a mirror: it has no {MANIFEST}")
    out = Manifest()
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
                missing = [k for k in ("url", "path", "content_type", "source") if not obj.get(k)]
                if missing:
                    raise ValueError(f"missing {', '.join(missing)}")
                for key in ("url", "raw_url"):
                    if obj.get(key) and not _is_web_url(str(obj[key])):
                        raise ValueError(f"{key} is not an http(s) URL: {str(obj[key])[:200]!r}")
            except (ValueError, UnicodeDecodeError) as e:
                out.problems.append(f"{MANIFEST} line {n}: {e}")
                continue
            out.rows.append(ManifestRow(
                url=str(obj["url"]), path=str(obj["path"]), content_type=str(obj["content_type"]),
                source=str(obj["source"]), raw_url=_opt(obj.get("raw_url")), title=_opt(obj.get("title")),
                date=_opt(obj.get("date")), author=_opt(obj.get("author")), site=_opt(obj.get("site")),
                license=_opt(obj.get("license")), competition_slug=_opt(obj.get("competition_slug")),
                competition_title=_opt(obj.get("competition_title")), rank=_rank(obj.get("rank")), line=n,
            ))
    return out


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def safe_path(root: Path, relative: str) -> Path | None:
    """``root/relative`` if it stays inside ``root`` (no ``..`` or absolute escapes), else None."""
    base = root.resolve()
    candidate = (base / relative).resolve()
    if candidate != base and base in candidate.parents:
        return candidate
    return None


def _url_key(url: str) -> str:
    return unquote(url.split("#", 1)[0]).rstrip("/")


class MirrorTransport:
    """Answers requests for manifest URLs (``url`` and ``raw_url``) with the mirrored bytes."""

    def __init__(self, root: Path, manifest: Manifest | None = None):
        self.root = root
        self.manifest = manifest or load_manifest(root)
        self._files: dict[str, ManifestRow] = {}
        for row in self.manifest.rows:
            for u in (row.url, row.raw_url):
                if u:
                    self._files.setdefault(_url_key(u), row)

    def send(self, request: Request) -> Response:
        row = self._files.get(_url_key(request.url))
        if row is None:
            return Response(request.url, 404, {"content-type": "text/plain"}, b"not in mirror", request.url)
        path = safe_path(self.root, row.path)
        if path is None:
            raise FetchError(request.url, "unsafe_path", f"{row.path!r} leads outside the mirror folder", status=403)
        if not path.is_file():
            return Response(request.url, 404, {"content-type": "text/plain"}, b"file missing from mirror", request.url)
        size = path.stat().st_size
        if size > request.max_bytes:
            raise FetchError(request.url, "too_large", f"{size} bytes > {request.max_bytes}")
        return Response(request.url, 200, {"content-type": row.content_type, "content-length": str(size)},
                        path.read_bytes(), request.url)


def load_catalog(kb: KnowledgeBase, text: str, summary: Summary) -> int:
    """Upsert the catalog's competitions and remember their solution links; problems are reported."""
    parsed = parse_catalog(text)
    for problem in parsed.problems:
        summary.add(Outcome("catalog", "skipped", reason="catalog", detail=problem))
    summary.competitions = store_catalog(kb, parsed)
    return summary.competitions


def _document(rows: list[ManifestRow], fetcher: Fetcher) -> FetchedDocument | Outcome:
    first = rows[0]
    fetch_url = first.raw_url or first.url
    try:
        resp = fetcher.fetch(fetch_url)
    except FetchError as e:
        return Outcome(first.url, "failed", reason=e.reason, detail=e.detail or str(e))
    links = tuple(CompetitionLink(r.competition_slug, r.rank, None, r.competition_title)
                  for r in rows if r.competition_slug)
    return FetchedDocument(
        url=first.url, source=first.source, raw=resp.content,
        content_type=resp.content_type or first.content_type, charset=resp.charset, title=first.title,
        author=first.author, date=first.date, license=first.license, site=first.site,
        fetched_url=fetch_url, links=links,
    )


def ingest_mirror(kb: KnowledgeBase, root: Path, *, progress: ProgressFactory = no_progress,
                  limit: int | None = None) -> Summary:
    """Load the mirror's catalog and every manifest document into ``kb``; returns the summary."""
    root = Path(root)
    manifest = load_manifest(root)
    summary = Summary()
    for problem in manifest.problems:
        summary.add(Outcome("manifest", "skipped", reason="manifest", detail=problem))
    catalog = root / CATALOG
    if catalog.exists():
        load_catalog(kb, catalog.read_text(encoding="utf-8", errors="replace"), summary)
    else:
        log.warning("%s has no %s; competitions come from the manifest only", root, CATALOG)
    fetcher = Fetcher(MirrorTransport(root, manifest))
    docs = list(manifest.documents().values())[:limit]

    def fetched() -> Iterator[FetchedDocument | Outcome]:
        for rows in docs:
            yield _document(rows, fetcher)

    store_all(kb, fetched(), summary, progress, total=len(docs), description="ingesting mirror")
    if not summary.interrupted:
        finalize(kb, summary, progress)
    return summary
