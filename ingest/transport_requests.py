"""Real HTTP transport over a requests session (streams bodies, enforces the size cap)."""

from __future__ import annotations

import requests

from ingest.http import Request, Response
from kb.errors import FetchError


class RequestsTransport:
    def __init__(self, session: requests.Session | None = None):
        self.session = session or requests.Session()

    def send(self, request: Request) -> Response:
        try:
            with self.session.request(request.method, request.url, headers=dict(request.headers),
                                      data=request.body, timeout=request.timeout, stream=True,
                                      allow_redirects=True) as r:
                chunks: list[bytes] = []
                size = 0
                for chunk in r.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > request.max_bytes:
                        raise FetchError(request.url, "too_large", f"over {request.max_bytes} bytes")
                    chunks.append(chunk)
                return Response(url=request.url, status=r.status_code, headers=dict(r.headers),
                                content=b"".join(chunks), final_url=r.url)
        except requests.TooManyRedirects as e:
            raise FetchError(request.url, "redirect_loop", str(e)) from e
        except requests.Timeout as e:
            raise FetchError(request.url, "timeout", str(e)) from e
        except requests.RequestException as e:
            raise FetchError(request.url, "connection", str(e)) from e
