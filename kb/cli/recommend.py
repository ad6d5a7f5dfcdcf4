"""``kb recommend``: the techniques that won competitions like the one described."""

from __future__ import annotations

import click

from kb.cli.common import DOCUMENT_FILTERS, check_stored_filters, echo_json, open_kb, pop_filters


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
        check_stored_filters(kb, filters)
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
    if rec.coverage and rec.coverage.note:
        lines.append(rec.coverage.note)
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
            source = f"{where} ({facts})" if facts else where
            lines.append(f"        — {source}; the quote in its write-up: {e.passage_url}")
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
