"""On-disk HTTP cache for conditional requests: plain files (body + JSON headers), no pickle.

Only 200 answers to GET that carry a validator (ETag or Last-Modified) are kept; a later fetch of
the same URL sends ``If-None-Match`` / ``If-Modified-Since`` and a 304 answer reuses the body.
Each entry is written atomically and checked against its hash when read, so a torn or edited
file is a cache miss, never bad data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from ingest.http import Response

log = logging.getLogger(__name__)

_KEEP_HEADERS = ("content-type", "etag", "last-modified", "content-language")


def _key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


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
    def __init__(self, root: Path):
        self.root = Path(root)

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
        headers = meta.get("headers") if isinstance(meta.get("headers"), dict) else {}
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
        try:
            _write_atomic(body_path, resp.content)
            _write_atomic(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        except OSError as e:
            log.warning("could not cache %s: %s", url, e)
            return False
        return True

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
