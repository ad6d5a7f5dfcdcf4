"""The ``kb`` command line. Library errors (KBError) become a one-line message and an exit code."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb.errors import KBError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

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


PLUGINS = "kb.commands"  # entry-point group: commands other packages add (ingest adds `kb ingest`)


def plugin_commands() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=PLUGINS)}


class KBGroup(click.Group):
    """kb's own commands, plus those other installed packages register under the ``kb.commands`` entry point."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            entry = plugin_commands().get(cmd_name)
            command = entry.load() if entry is not None else None
        return command


@click.group(cls=KBGroup)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.version_option(package_name="kb")
def cli(verbose: int) -> None:
    """kb: search winning machine-learning competition write-ups and the techniques behind them.

    The data directory is KB_HOME (default: ./data in the checkout); settings come from
    KB_HOME/config.toml and KB_* environment variables.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
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


@cli.command()
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


@cli.group()
def index() -> None:
    """Manage the search indexes."""


@index.command("rebuild")
@click.option("--keyword/--no-keyword", default=True, show_default=True, help="Rebuild the keyword index too.")
@click.option("--json", "as_json", is_flag=True)
def index_rebuild(keyword: bool, as_json: bool) -> None:
    """Rebuild the vector (and keyword) index from SQLite, embedding any missing passages."""
    from dataclasses import asdict

    with open_kb() as kb:
        pending = kb.pending_count()
        embedded = 0
        if pending:
            bar = tqdm_progress("embedding passages", pending)
            embedded = kb.embed_pending(progress=bar.update)
            bar.close()
        meta = kb.rebuild_index(keyword_too=keyword)
    if as_json:
        echo_json({"embedded_chunks": embedded, **asdict(meta)})
    else:
        click.echo(f"Rebuilt the vector index: {meta.count} passages, {meta.kind}, model {meta.model}"
                   f" ({embedded} newly embedded).")


@cli.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--build/--no-build", default=True, show_default=True,
              help="Build the knowledge base from the default mirror first if it is empty.")
def serve(port: int, host: str, build: bool) -> None:
    """Start the web app (Streamlit)."""
    import subprocess

    if build:
        with open_kb() as kb:
            empty, mirror = kb.is_empty(), kb.settings.mirror
        if empty:
            if mirror is None:
                raise click.ClickException("the knowledge base is empty and no mirror is set (KB_MIRROR)")
            click.echo(f"Building the knowledge base from {mirror} (first run only)…", err=True)
            build_from_mirror(mirror)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_page()), "--server.port", str(port),
           "--server.address", host, "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    click.echo(f"Serving on http://{host}:{port}", err=True)
    sys.exit(subprocess.call(cmd))


def app_page() -> Path:
    """The web app's page, from the installed package (found without importing Streamlit)."""
    from importlib.util import find_spec

    spec = find_spec("kb.app.main")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


def build_from_mirror(mirror: Path) -> None:
    """Run ``kb ingest mirror`` (the ingest package's command) in a child process; its summary goes to stderr."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "kb", "ingest", "mirror", str(mirror)], stdout=subprocess.PIPE,
                          text=True)
    if done.stdout.strip():
        click.echo(done.stdout.rstrip(), err=True)
    if done.returncode:
        sys.exit(done.returncode)


def register_optional_commands() -> None:
    """Commands from other modules (they register themselves on the groups above)."""
    import importlib

    for module, group in (("kb.cli_techniques", cli), ("kb.cli_check", cli)):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        mod.register(group)


register_optional_commands()


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KBError as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
