"""The ``kb`` command line. Library errors (KBError) become a one-line message and an exit code.

Each ``kb X`` is one module, ``kb/cli/X.py``, imported only when that command runs (or its help is
shown): ``kb --help`` and ``kb search`` load neither the model nor Streamlit. Other installed packages
add commands through the ``kb.commands`` entry point; that is how ``kb ingest`` (``ingest/cli.py``)
arrives, so kb never imports ingest.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import TYPE_CHECKING

import click

from kb.errors import KBError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

# kb's own commands: name -> "module:attribute", imported on first use
COMMANDS = {
    "check": "kb.cli.check:check",
    "eval": "kb.cli.eval:eval_cmd",
    "export": "kb.cli.export:export",
    "index": "kb.cli.index:index",
    "recommend": "kb.cli.recommend:recommend",
    "search": "kb.cli.search:search",
    "serve": "kb.cli.serve:serve",
    "stats": "kb.cli.stats:stats",
    "techniques": "kb.cli.techniques:techniques",
}
PLUGINS = "kb.commands"  # entry-point group: commands other packages add (ingest adds `kb ingest`)


def plugin_commands() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=PLUGINS)}


class KBGroup(click.Group):
    """kb's own commands (imported when used), plus those other installed packages register under the
    ``kb.commands`` entry point."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS, *plugin_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
        elif command is None:
            entry = plugin_commands().get(cmd_name)
            command = entry.load() if entry is not None else None
        return command


@click.group(cls=KBGroup)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.version_option(package_name="kb")
def cli(verbose: int) -> None:
    """kb: search winning machine-learning competition write-ups and the techniques behind them.

    The data directory is KB_HOME (default: ./data in a checkout, else a per-user data folder); settings
    come from KB_HOME/config.toml and KB_* environment variables.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


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
