"""``kb check``: is the knowledge base consistent, and how to fix what is not."""

from __future__ import annotations

import sys

import click

from kb.cli.common import echo_json, open_kb
from kb.errors import NotBuiltError


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as a JSON list.")
@click.option("--repair", is_flag=True,
              help="First fix what can be rebuilt from the database (orphan rows, indexes, missing vectors,"
                   " document facts).")
def check(as_json: bool, repair: bool) -> None:
    """Check the database, the keyword index, the vectors and the vector index; exit 1 if anything is wrong.

    Also lists, as warnings that do not change the exit code, documents whose text names another
    competition than the one they are linked to and documents that are not solution write-ups.
    """
    from kb.check import document_warnings, run_checks
    from kb.check import repair as repair_kb
    from kb.config import load_settings

    settings = load_settings()
    if not settings.db_path.exists():
        raise NotBuiltError(f"no knowledge base at {settings.home}; build it with `kb ingest mirror DIR`")
    with open_kb() as kb:
        actions = repair_kb(kb) if repair else []
        problems = run_checks(kb)
        warnings = kb.read(document_warnings) if all(p.ok for p in problems[:2]) else []
    bad = [p for p in problems if not p.ok]
    if as_json:
        echo_json([p.to_json() for p in problems] + [w.to_json() for w in warnings])
    else:
        for action in actions:
            click.echo(f"repaired: {action}")
        for p in problems:
            click.echo(f"{'ok  ' if p.ok else 'FAIL'} {p.name}: {p.message}")
            if not p.ok:
                click.echo(f"     fix: {p.fix}")
        for w in warnings:
            click.echo(f"warn {w.kind}: {w.message}")
            if w.fix:
                click.echo(f"     fix: {w.fix}")
        click.echo(f"{len(bad)} problem(s) found." if bad else "Everything is consistent.")
    if bad:
        sys.exit(1)
