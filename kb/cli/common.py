"""What the commands share: opening the knowledge base, JSON output, progress bars, the filter options."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from kb import Filters, KnowledgeBase
    from kb.progress import Bar

DOCUMENT_FILTERS = [
    click.option("--source", help="Only documents from this source (github, blog, kaggle, ...)."),
    click.option("--competition", help="Only write-ups of this competition (slug)."),
    click.option("--exclude-competition", help="Leave out every write-up of this competition (slug)."),
    click.option("--year-min", type=int, help="Only competitions from this year on."),
    click.option("--year-max", type=int, help="Only competitions up to this year."),
    click.option("--max-rank", type=int, help="Only write-ups of solutions ranked this high or better."),
    click.option("--kind", help="Competition kind (Featured, Research, Playground, ...)."),
]
FILTER_OPTIONS = [*DOCUMENT_FILTERS,
                  click.option("--modality", help="Competition modality (tabular, image, text, audio, ...).")]


def filter_options(fn):
    for opt in reversed(FILTER_OPTIONS):
        fn = opt(fn)
    return fn


def pop_filters(kwargs: dict) -> Filters:
    """The filter options given on the command line (taken out of ``kwargs``), as one :class:`Filters`."""
    from kb import Filters

    names = ("source", "competition", "exclude_competition", "year_min", "year_max", "max_rank", "kind", "modality")
    return Filters.from_kwargs(**{n: kwargs.pop(n) for n in names if n in kwargs})


def check_stored_filters(kb: KnowledgeBase, filters: Filters) -> None:
    """On the command line a filter value that nothing stored has (``--source githb``) is bad input (exit
    code 2, with the values it can take), not an empty answer."""
    if not filters.empty and not kb.is_empty():
        kb.check_filters(filters, stored=True)


def open_kb(readonly: bool = False) -> KnowledgeBase:
    """The knowledge base in KB_HOME (imported here, not at the top: ``kb --help`` stays fast)."""
    from kb import KnowledgeBase

    return KnowledgeBase.open(readonly=readonly)


def echo_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=None))


def tqdm_progress(description: str, total: int | None = None) -> Bar:
    """Progress bars on stderr (stdout keeps the summary or the JSON)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="", file=sys.stderr, leave=False, dynamic_ncols=True)
