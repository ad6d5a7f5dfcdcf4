"""``kb search``: write-ups ranked by their best matching passages."""

from __future__ import annotations

import click

from kb.cli.common import echo_json, filter_options, open_kb, pop_filters


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many documents.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see README for its fields).")
def search(query: tuple[str, ...], k: int, mode: str, as_json: bool, **kwargs) -> None:
    """Search write-ups: documents ranked by their best matching passages."""
    text = " ".join(query)
    filters = pop_filters(kwargs)
    with open_kb(readonly=True) as kb:
        results = kb.search(text, k=k, mode=mode, filters=filters)
    if as_json:
        echo_json({"query": text, "results": [r.to_json() for r in results]})
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
