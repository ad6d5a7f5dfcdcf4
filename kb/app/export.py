"""Search results as CSV, for a spreadsheet: one row per write-up, its best passage as the snippet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from kb import SearchResult

CSV_COLUMNS = ("title", "competition", "year", "rank", "source", "score", "url", "snippet")
# a cell starting with one of these runs as a formula in a spreadsheet: write-up text must not
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def results_csv(hits: Iterable[SearchResult]) -> str:
    """CSV (header first, RFC 4180 quoting) of the search results, best first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        writer.writerow([_cell(hit.title), _cell(hit.competition_title or hit.competition), _cell(hit.year),
                         _cell(hit.rank), _cell(hit.source), f"{hit.score:.4f}", _cell(hit.url),
                         _cell(hit.snippet)])
    return out.getvalue()
