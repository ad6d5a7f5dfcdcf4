"""``kb serve``: the web app, built first from the default mirror when the knowledge base is empty."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kb.cli.common import open_kb


@click.command()
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
