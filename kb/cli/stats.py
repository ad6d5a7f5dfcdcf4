"""``kb stats``: what the knowledge base holds."""

from __future__ import annotations

import click

from kb.cli.common import echo_json, open_kb


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
        click.echo(f"{key:>28}: {value}")
