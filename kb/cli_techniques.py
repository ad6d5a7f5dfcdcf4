"""CLI commands for techniques: ``kb recommend``, ``kb techniques``, ``kb eval``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli import DOCUMENT_FILTERS, echo_json, open_kb, pop_filters


def _recommend_options(fn):  # noqa: ANN001, ANN202
    from kb.profile import METRIC_FAMILIES, MODALITIES, TASK_TYPES

    for opt in reversed([
        *DOCUMENT_FILTERS,
        click.option("--modality", type=click.Choice(MODALITIES),
                     help="Read the competition as this modality instead of the inferred one."),
        click.option("--task-type", type=click.Choice(TASK_TYPES), help="... as this task type."),
        click.option("--metric-family", type=click.Choice(METRIC_FAMILIES), help="... with this metric family."),
        click.option("--year", type=click.IntRange(1990, 2100),
                     help="The competition's year (default: the page's dates, else the newest catalog year)."),
    ]):
        fn = opt(fn)
    return fn


@click.command()
@click.argument("description", nargs=-1)
@click.option("--file", "file", type=click.File("r", encoding="utf-8"),
              help="Read the description (or a whole competition page) from a file (- for stdin).")
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 200), help="How many techniques.")
@click.option("--competitions", "n_competitions", default=10, show_default=True, type=click.IntRange(0, 100),
              help="How many similar competitions.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True,
              help="How passages matching the query are found (they are quoted first).")
@_recommend_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="text for the terminal, json (see README for its fields), or markdown for your notes.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def recommend(description: tuple[str, ...], file, k: int, n_competitions: int, mode: str, fmt: str,  # noqa: ANN001
              as_json: bool, **kwargs) -> None:
    """Distinctive techniques that won competitions like the one described, with quotes from the write-ups,
    the table stakes of its modality, and the similar competitions with reasons.

    DESCRIPTION is a one-line summary or a whole competition page (use --file for a page)."""
    text = file.read() if file else " ".join(description)
    profile = {k: kwargs.pop(k) for k in ("modality", "task_type", "metric_family", "year")}
    filters = pop_filters(kwargs)  # --exclude-competition also leaves that competition out of the similar ones
    with open_kb(readonly=True) as kb:
        rec = kb.recommend(text, k=k, mode=mode, competitions=n_competitions, filters=filters, **profile)
    if as_json or fmt == "json":
        echo_json(rec.to_json())
    elif fmt == "markdown":
        from kb.recommend.markdown import to_markdown

        click.echo(to_markdown(rec), nl=False)
    else:
        click.echo(render_recommendation(rec))


def render_recommendation(rec) -> str:  # noqa: ANN001 (Recommendation)
    """The answer as plain text for a terminal."""
    from kb.metric_names import readable_metric

    lines: list[str] = []
    p = rec.profile
    how = "given" if not p.inferred else f"confidence {p.confidence:.2f}"
    lines.append(click.style(f"Read as: {p.read_as()}", bold=True)
                 + f"  ({how}; change with --modality / --task-type / --metric-family)")
    if p.constraints:
        lines.append("Constraints: " + ", ".join(p.constraints))
    if rec.abstained:
        lines += ["", click.style(rec.message or "No close match.", bold=True)]
    if rec.table_stakes:
        who = f"{p.modality} winners" if p.modality else "winners"
        lines += ["", click.style(f"Table stakes (a third or more of {who} credit these): ", bold=True)
                  + ", ".join(rec.table_stakes)]
    if rec.techniques:
        lines += ["", click.style("Distinctive techniques that won similar competitions:", bold=True)]
    for i, t in enumerate(rec.techniques, 1):
        support = f"credited in {t.support} similar competition{'s' if t.support != 1 else ''}"
        lift = f" · {t.lift:.1f}× the base rate" if t.lift >= 1.5 else ""
        lines.append(click.style(f"{i:2}. {t.name}", bold=True) + f"  [{t.category}] · {support}{lift}")
        if t.not_helped:
            lines.append(f"      (did not help in {t.not_helped} of their write-ups)")
        for e in t.evidence:
            where = e.competition_title or e.competition or "—"
            facts = ", ".join(x for x in (str(e.year) if e.year else "", f"rank {e.rank}" if e.rank else "") if x)
            lines.append(f"      “{e.snippet}”")
            lines.append(f"        — {where}{f' ({facts})' if facts else ''}: {e.passage_url}")
    if rec.competitions:
        lines += ["", click.style("Similar past competitions:", bold=True)]
    for i, c in enumerate(rec.competitions, 1):
        metric = readable_metric(c.metric)
        facts = ", ".join(str(x) for x in (c.year or "?", metric) if x)
        lines.append(f"{i:2}. {c.title or c.slug} ({facts}) · score {c.score:.2f} — {c.reason}")
        if c.has_writeups:
            n = len(c.documents)
            url = c.url or f"https://www.kaggle.com/c/{c.slug}"
            lines.append(f"      {url}  [{n} write-up{'s' if n != 1 else ''}]")
        else:
            lines.append(f"      no write-up in kb yet; fetch them with: {c.fetch_command}")
    return "\n".join(lines)


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


@click.command("eval")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--output", type=click.Path(path_type=Path), help="Also write the metrics JSON here.")
@click.option("--limit", type=int, help="Only the first N competitions (quick check).")
@click.option("--pages", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of real competition pages (<slug>.md) to use as queries "
                   "(default: KB_DESCRIPTIONS, else ../shared/descriptions when present).")
@click.option("--learning-curve", "curve", is_flag=True,
              help="Instead: specific recall with 25/50/75/100% of the write-ups (3 draws each).")
def eval_cmd(as_json: bool, output: Path | None, limit: int | None, pages: Path | None, curve: bool) -> None:
    """Evaluate recommendations leave-one-competition-out against modality popularity (catalog one-liners
    and real pages as queries), abstention on unrelated text, and search (known-item MRR)."""
    from kb.evaluation import format_learning_curve, format_table, learning_curve, run_evaluation

    def progress(msg: str) -> None:
        click.echo(msg, err=True)

    with open_kb(readonly=True) as kb:
        report = (learning_curve(kb, limit=limit, progress=progress) if curve
                  else run_evaluation(kb, limit=limit, pages=pages, progress=progress))
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
