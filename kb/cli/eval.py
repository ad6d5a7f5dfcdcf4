"""``kb eval``: the quality evaluation (EVALUATION.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli.common import echo_json, open_kb


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
