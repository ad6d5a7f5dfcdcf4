"""``kb export``: documents, competitions and technique mentions as files, for analysing the corpus elsewhere."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.common import echo_json, open_kb

TABLES = ("documents", "competitions", "technique_mentions")


@click.command("export")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write to (created if needed); one file per table, <table>.<format>.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default="jsonl", show_default=True,
              help="jsonl (one JSON object per line) or parquet (columnar, typed; for pandas, DuckDB, R, Spark).")
@click.option("--table", "tables", multiple=True, type=click.Choice(TABLES),
              help="Only this table (repeat for several; default: all three).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def export(out: Path, fmt: str, tables: tuple[str, ...], as_json: bool) -> None:
    """Export documents (with their text, competitions and ranks), competitions (the catalog and each one's
    inferred profile) and technique mentions (each with its provenance: document URL, competitions and
    ranks, passage and heading path, the sentence, whether it helped, the vocabulary version).

    The README lists every column. The rows are streamed, so memory stays flat however large the corpus."""
    with open_kb(readonly=True) as kb:
        written = kb.export(out, format=fmt, tables=tables or TABLES)
    if as_json:
        echo_json([w.to_json() for w in written])
        return
    for w in written:
        click.echo(f"{w.rows:>8} rows  {w.path}")
