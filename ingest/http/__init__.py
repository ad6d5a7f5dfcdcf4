"""The one network layer: every source fetches through :class:`Fetcher`.

- :mod:`ingest.http.messages`: ``Request``, ``Response`` and the ``Transport`` protocol (imports none of the rest);
- :mod:`ingest.http.fetcher`: the policy over a transport (delays, robots.txt, redirects, retries, size cap, 304s);
- :mod:`ingest.http.cache`: the on-disk HTTP cache; :mod:`ingest.http.robots`: robots.txt per host;
- :mod:`ingest.http.requests_transport`: real HTTP through requests (the offline mirror is another transport).
"""

from ingest.http.fetcher import USER_AGENT, Fetcher, FetchPolicy, retry_after_seconds
from ingest.http.messages import Request, Response, Transport, is_text_type

__all__ = ["USER_AGENT", "FetchPolicy", "Fetcher", "Request", "Response", "Transport", "is_text_type",
           "retry_after_seconds"]
