"""``kb search``: write-ups ranked by their best matching passages."""

from __future__ import annotations

import sys

import click

from kb.cli.common import check_stored_filters, echo_json, filter_options, open_kb, pop_filters

# the CSV columns: the result's place, then the fields of the JSON contract in their order
CSV_COLUMNS = ("position", "score", "title", "url", "source", "competition", "competition_title", "rank", "snippet")


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many documents.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True)
@filter_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="text for the terminal, json (one object, see README for its fields) or csv (a header row, then"
                   " one row per document) for a spreadsheet.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def search(query: tuple[str, ...], k: int, mode: str, fmt: str, as_json: bool, **kwargs) -> None:
    """Search write-ups: documents ranked by their best matching passages."""
    text = " ".join(query)
    filters = pop_filters(kwargs)
    with open_kb(readonly=True) as kb:
        check_stored_filters(kb, filters)
        results = kb.search(text, k=k, mode=mode, filters=filters)
    if as_json or fmt == "json":
        echo_json({"query": text, "results": [r.to_json() for r in results]})
        return
    if fmt == "csv":
        from kb.search.spreadsheet import write_csv

        rows = ({"position": i, **r.to_json()} for i, r in enumerate(results, 1))
        write_csv(sys.stdout, CSV_COLUMNS, ([row[c] for c in CSV_COLUMNS] for row in rows))
        return
    if not results:
        click.echo("No results.")
        return
    for i, r in enumerate(results, 1):
        comp = f"{r.competition_title or r.competition}" if r.competition else "—"
        rank = f" · rank {r.rank}" if r.rank else ""
        click.secho(f"{i:2}. {r.title}", bold=True)
        click.echo(f"    {comp}{rank} · {r.source} · score {r.score:.4f}")
        click.echo(f"    {r.url}")
        click.echo(f"    {r.snippet}\n")
