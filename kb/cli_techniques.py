"""CLI commands for techniques: ``kb recommend``, ``kb techniques``, ``kb eval``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli import echo_json, filter_options, open_kb, pop_filters


@click.command()
@click.argument("description", nargs=-1)
@click.option("--file", "file", type=click.File("r", encoding="utf-8"),
              help="Read the description from a file (- for stdin).")
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 200), help="How many techniques.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see README for its fields).")
def recommend(description: tuple[str, ...], file, k: int, mode: str, as_json: bool, **kwargs) -> None:  # noqa: ANN001
    """Techniques that won competitions like the one described, with evidence from write-ups."""
    text = file.read() if file else " ".join(description)
    filters = pop_filters(kwargs)
    exclude = filters.pop("exclude_competition", None)
    with open_kb(readonly=True) as kb:
        rec = kb.recommend(text, k=k, exclude_competition=exclude, mode=mode, **filters)
    if as_json:
        echo_json(rec.to_json())
        return
    if not rec.techniques:
        click.echo("No techniques found for that description.")
    for i, t in enumerate(rec.techniques, 1):
        click.secho(f"{i:2}. {t.name}  [{t.category}]  score {t.score:.3f} · {t.documents} write-up(s)", bold=True)
        for e in t.evidence:
            where = e.competition_title or e.competition or "—"
            rank = f", rank {e.rank}" if e.rank else ""
            flag = "" if e.helped else " (did NOT help)"
            click.echo(f"      “{e.snippet}”{flag}")
            click.echo(f"        — {e.title} ({where}{rank}) {e.url}")
    if rec.competitions:
        click.secho("\nSimilar past competitions:", bold=True)
        for c in rec.competitions:
            click.echo(f"  - {c.title or c.slug} ({c.year or '?'}) https://www.kaggle.com/c/{c.slug}")


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
        counts = {r[0]: (r[1], r[2]) for r in kb.conn.execute(
            "SELECT ct.technique, count(DISTINCT CASE WHEN ct.helped THEN c.document_id END),"
            " count(DISTINCT CASE WHEN NOT ct.helped THEN c.document_id END)"
            " FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id GROUP BY ct.technique")}
        vocab = kb.vocabulary
    rows = [{"name": t.name, "category": t.category, "aliases": list(t.aliases), "description": t.description,
             "documents_helped": counts.get(t.name, (0, 0))[0], "documents_not_helped": counts.get(t.name, (0, 0))[1]}
            for t in vocab if not category or t.category == category]
    rows.sort(key=lambda r: (r["category"], -r["documents_helped"], r["name"]))
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
    from kb.techniques.candidates import mine

    with open_kb(readonly=True) as kb:
        found = mine(kb.conn, kb.vocabulary, min_competitions=min_competitions, limit=limit)
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


@click.command("eval")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--output", type=click.Path(path_type=Path), help="Also write the metrics JSON here.")
@click.option("--limit", type=int, help="Only the first N competitions (quick check).")
@click.option("--learning-curve", "curve", is_flag=True,
              help="Instead: recommendation quality with 25/50/75/100% of the write-ups (3 draws each).")
def eval_cmd(as_json: bool, output: Path | None, limit: int | None, curve: bool) -> None:
    """Evaluate recommendations (leave-one-competition-out) and search (known-item MRR)."""
    from kb.evaluation import format_learning_curve, format_table, learning_curve, run_evaluation

    def progress(msg: str) -> None:
        click.echo(msg, err=True)

    with open_kb(readonly=True) as kb:
        report = (learning_curve(kb, limit=limit, progress=progress) if curve
                  else run_evaluation(kb, limit=limit, progress=progress))
    if output:
        output.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if as_json:
        echo_json(report)
    else:
        click.echo(format_learning_curve(report) if curve else format_table(report))
    sys.stdout.flush()


def register(group: click.Group) -> None:
    for cmd in (recommend, techniques, eval_cmd):
        group.add_command(cmd)
