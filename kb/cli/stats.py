"""``kb stats``: what the knowledge base holds."""

from __future__ import annotations

import click

from kb.cli.common import echo_json, open_kb

# what the numbers that are easy to misread count
MEANING = {
    "chunks": "passages the documents were cut into",
    "embeddings": "passages with a vector under the configured model (= chunks once all are embedded)",
    "vectors": "rows of the vector table: distinct passage texts (identical passages share one);"
               " competition descriptions and write-up centroids (recommend's); vectors under other models",
}


@click.command()
@click.option("--json", "as_json", is_flag=True)
def stats(as_json: bool) -> None:
    """What the knowledge base holds."""
    with open_kb(readonly=True) as kb:
        data = kb.stats().to_json()
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        note = f"  ({MEANING[key]})" if key in MEANING else ""
        click.echo(f"{key:>28}: {value}{note}")
