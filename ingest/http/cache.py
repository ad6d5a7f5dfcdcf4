"""On-disk HTTP cache for conditional requests: plain files (body + JSON headers), no pickle.

Only 200 answers to GET that carry a validator (ETag or Last-Modified) are kept; a later fetch of
the same URL sends ``If-None-Match`` / ``If-Modified-Since`` and a 304 answer reuses the body.
Each entry is written atomically and checked against its hash when read, so a torn or edited
file is a cache miss, never bad data. The cache has a size budget: when a write takes it over
``max_bytes``, the least recently used entries (by the time their metadata file was last read or
written) are removed until it is back under 90% of the budget.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from ingest.http.messages import Response

log = logging.getLogger(__name__)

_KEEP_HEADERS = ("content-type", "etag", "last-modified", "content-language")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
PRUNE_TO = 0.9  # of max_bytes
STALE_TEMP_SECONDS = 3600.0  # a ".tmp-" file this old is left over from a killed write


def _key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class HttpCache:
    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._size: int | None = None  # bytes on disk, measured at the first write

    def _paths(self, url: str) -> tuple[Path, Path]:
        k = _key(url)
        folder = self.root / k[:2]
        return folder / f"{k}.body", folder / f"{k}.json"

    def get(self, url: str) -> Response | None:
        body_path, meta_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if (not isinstance(meta, dict) or meta.get("url") != url
                or meta.get("sha256") != hashlib.sha256(body).hexdigest()):
            log.debug("cache entry for %s is stale or damaged; ignoring it", url)
            return None
        try:
            os.utime(meta_path)  # last used: what eviction goes by
        except OSError:
            pass
        headers = meta.get("headers")
        if not isinstance(headers, dict):
            headers = {}
        return Response(url=url, status=int(meta.get("status", 200)),
                        headers={str(k): str(v) for k, v in headers.items()}, content=body,
                        final_url=str(meta.get("final_url") or url), from_cache=True)

    @staticmethod
    def validators(entry: Response) -> dict[str, str]:
        out = {}
        if entry.header("etag"):
            out["If-None-Match"] = entry.header("etag")
        if entry.header("last-modified"):
            out["If-Modified-Since"] = entry.header("last-modified")
        return out

    def put(self, url: str, resp: Response) -> bool:
        """Store ``resp`` if it can be revalidated later; returns whether it was stored."""
        if not (resp.header("etag") or resp.header("last-modified")):
            return False
        body_path, meta_path = self._paths(url)
        headers = {k: resp.header(k) for k in _KEEP_HEADERS if resp.header(k)}
        meta = {"url": url, "final_url": resp.final_url or url, "status": resp.status, "headers": headers,
                "sha256": hashlib.sha256(resp.content).hexdigest(), "size": len(resp.content),
                "stored_at": time.time()}
        encoded = json.dumps(meta, ensure_ascii=False).encode("utf-8")
        if self._size is None:
            self._size = self.size()
        self._size -= _size_of(body_path) + _size_of(meta_path)
        try:
            _write_atomic(body_path, resp.content)
            _write_atomic(meta_path, encoded)
        except OSError as e:
            log.warning("could not cache %s: %s", url, e)
            return False
        self._size += len(resp.content) + len(encoded)
        if self._size > self.max_bytes:
            self.prune()
        return True

    def size(self) -> int:
        """Bytes the cache holds on disk."""
        return sum(_size_of(p) for p in self.root.rglob("*") if p.is_file()) if self.root.exists() else 0

    def prune(self, max_bytes: int | None = None) -> int:
        """Remove least recently used entries until the cache holds at most 90% of ``max_bytes``
        (default: its budget), plus bodies without metadata and temp files left by killed writes.
        Returns how many entries were removed."""
        budget = int((self.max_bytes if max_bytes is None else max_bytes) * PRUNE_TO)
        entries: list[tuple[float, int, Path, Path]] = []
        total = 0
        now = time.time()
        for path in (self.root.rglob("*") if self.root.exists() else ()):
            if not path.is_file():
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if path.name.startswith(".tmp-"):
                if now - st.st_mtime > STALE_TEMP_SECONDS:
                    path.unlink(missing_ok=True)
                else:
                    total += st.st_size
            elif path.suffix == ".json":
                body = path.with_suffix(".body")
                size = st.st_size + _size_of(body)
                entries.append((st.st_mtime, size, path, body))
                total += size
            elif path.suffix == ".body" and not path.with_suffix(".json").exists():
                path.unlink(missing_ok=True)  # orphan: the metadata write never happened
        removed = 0
        for _, size, meta_path, body_path in sorted(entries, key=lambda e: e[0]):
            if total <= budget:
                break
            meta_path.unlink(missing_ok=True)
            body_path.unlink(missing_ok=True)
            total -= size
            removed += 1
        if removed:
            log.info("HTTP cache over budget: removed %d least recently used entries (%d bytes left)", removed, total)
        self._size = total
        return removed

    def delete(self, url: str) -> None:
        for path in self._paths(url):
            path.unlink(missing_ok=True)

    def touch(self, url: str) -> None:
        """Mark the entry as revalidated now."""
        _, meta_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["stored_at"] = time.time()
            _write_atomic(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        except (OSError, ValueError):
            pass
