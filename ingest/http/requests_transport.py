"""Real HTTP transport over a requests session: streams bodies and aborts at the size cap.

The session keeps cookies (Kaggle's XSRF session needs them). Redirects are left to the Fetcher
when the request says so; a non-text body is refused from its headers, before it is read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from ingest.errors import FetchError
from ingest.http.messages import Request, Response, is_text_type

CHUNK = 64 * 1024


def _timed_out(exc: BaseException) -> bool:
    """requests wraps a read timeout during streaming in ConnectionError; find it in the chain."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (ReadTimeoutError, requests.Timeout, TimeoutError)):
            return True
        stack.extend([e.__cause__, e.__context__, *[a for a in e.args if isinstance(a, BaseException)]])
    return False


class RequestsTransport:
    def __init__(self, session: requests.Session | None = None, max_redirects: int = 10):
        self.session = session or requests.Session()
        self.session.max_redirects = max_redirects

    def send(self, request: Request) -> Response:
        try:
            with self.session.request(request.method, request.url, headers=dict(request.headers),
                                      data=request.body, timeout=request.timeout, stream=True,
                                      allow_redirects=request.allow_redirects) as r:
                headers = dict(r.headers)
                content_type = r.headers.get("content-type", "")
                if request.expect_text and 200 <= r.status_code < 300 and not is_text_type(content_type):
                    raise FetchError(request.url, "not_text", f"content type {content_type.split(';')[0]}")
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > request.max_bytes:
                    raise FetchError(request.url, "too_large", f"declares {declared} bytes > {request.max_bytes}")
                body = self._read(r, request)
                return Response(url=request.url, status=r.status_code, headers=headers, content=body,
                                final_url=r.url)
        except FetchError:
            raise
        except requests.TooManyRedirects as e:
            raise FetchError(request.url, "redirect_loop", str(e)) from e
        except (requests.RequestException, Urllib3Error, OSError) as e:
            if _timed_out(e):
                raise FetchError(request.url, "timeout", str(e)) from e
            raise FetchError(request.url, "connection", str(e)) from e

    @staticmethod
    def _chunks(r: requests.Response) -> Iterator[bytes]:
        """Body pieces as they arrive (``read1``), so a trickling server cannot outrun the deadline."""
        read1 = getattr(r.raw, "read1", None)
        if read1 is None:
            yield from r.iter_content(CHUNK)
            return
        while chunk := read1(CHUNK, decode_content=True):
            yield chunk

    @classmethod
    def _read(cls, r: requests.Response, request: Request) -> bytes:
        deadline = time.monotonic() + request.total_timeout if request.total_timeout else None
        chunks: list[bytes] = []
        size = 0
        for chunk in cls._chunks(r):
            size += len(chunk)
            if size > request.max_bytes:
                raise FetchError(request.url, "too_large", f"over {request.max_bytes} bytes")
            if deadline is not None and time.monotonic() > deadline:
                raise FetchError(request.url, "timeout", f"body not complete after {request.total_timeout:.0f} s")
            chunks.append(chunk)
        return b"".join(chunks)
