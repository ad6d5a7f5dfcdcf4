"""Search results as CSV, for a spreadsheet: one row per write-up, its best passage as the snippet."""

from __future__ import annotations

import io
from collections.abc import Iterable

from kb import SearchResult
from kb.search.spreadsheet import write_csv

CSV_COLUMNS = ("title", "competition", "year", "rank", "source", "score", "url", "snippet")


def results_csv(hits: Iterable[SearchResult]) -> str:
    """CSV (header first, RFC 4180 quoting, formula-safe cells) of the search results, best first."""
    out = io.StringIO()
    write_csv(out, CSV_COLUMNS, ((hit.title, hit.competition_title or hit.competition, hit.year, hit.rank,
                                  hit.source, f"{hit.score:.4f}", hit.url, hit.snippet) for hit in hits),
              lineterminator="\r\n")
    return out.getvalue()
