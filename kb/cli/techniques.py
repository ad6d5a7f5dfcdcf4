"""``kb techniques``: the vocabulary with document counts, or the phrases it misses (``--candidates``)."""

from __future__ import annotations

import click

from kb.cli.common import echo_json, open_kb


@click.command()
@click.option("--category", help="Only this category.")
@click.option("--candidates", is_flag=True,
              help="Instead: phrases write-ups credit (\"X helped\") that no entry covers, to grow the vocabulary.")
@click.option("--min-competitions", default=2, show_default=True, type=click.IntRange(1),
              help="With --candidates: only phrases credited in at least this many competitions.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1),
              help="With --candidates: how many phrases.")
@click.option("--json", "as_json", is_flag=True)
def techniques(category: str | None, candidates: bool, min_competitions: int, limit: int, as_json: bool) -> None:
    """The technique vocabulary, with how many write-ups mention each (helped / didn't help).

    With --candidates: phrases that write-ups credit ("X helped", "a boost from X", items under "What
    worked") and no vocabulary entry covers, ranked by competitions then write-ups, each with an
    example quote: what to add to the vocabulary next.
    """
    if candidates:
        if category:
            raise click.UsageError("--category does not apply to --candidates")
        _candidates(min_competitions, limit, as_json)
        return
    with open_kb(readonly=True) as kb:
        counts = {t.name: (t.helped, t.not_helped) for t in kb.technique_counts()}
        vocab = kb.vocabulary
    chosen = sorted((t for t in vocab if not category or t.category == category),
                    key=lambda t: (t.category, -counts.get(t.name, (0, 0))[0], t.name))
    rows = [{"name": t.name, "category": t.category, "aliases": list(t.aliases), "description": t.description,
             "documents_helped": counts.get(t.name, (0, 0))[0], "documents_not_helped": counts.get(t.name, (0, 0))[1]}
            for t in chosen]
    if as_json:
        echo_json(rows)
        return
    current = None
    for r in rows:
        if r["category"] != current:
            current = r["category"]
            click.secho(f"\n{current}", bold=True)
        click.echo(f"  {r['name']:<40} {r['documents_helped']:>4} helped  {r['documents_not_helped']:>3} didn't")


def _candidates(min_competitions: int, limit: int, as_json: bool) -> None:
    with open_kb(readonly=True) as kb:
        found = kb.technique_candidates(min_competitions=min_competitions, limit=limit)
    if as_json:
        echo_json([c.to_json() for c in found])
        return
    if not found:
        click.echo(f"No uncovered phrases credited in {min_competitions} or more competitions.")
        return
    click.secho(f"{'competitions':>12} {'write-ups':>9}  phrase", bold=True)
    for c in found:
        click.echo(f"{len(c.competitions):>12} {len(c.documents):>9}  {c.phrase}")
        click.echo(f"{'':>24}“{c.quote}” — {c.url}")
