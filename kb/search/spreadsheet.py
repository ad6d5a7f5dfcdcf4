"""Search results as CSV for a spreadsheet: RFC 4180 quoting, and no cell that runs as a formula.

Write-up text reaches these cells (titles, snippets), and a spreadsheet runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula; such text cells get a leading ``'``. Numbers are written as
they are. ``kb search --format csv`` and the app's "Download as CSV" both write through here.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One cell: empty for None, a text that would start a formula quoted with ``'``, anything else as is."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[object]], *,
              lineterminator: str = "\n") -> None:
    """A header row of ``columns``, then one row per item of ``rows`` (values in column order)."""
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(columns)
    writer.writerows([cell(v) for v in row] for row in rows)
