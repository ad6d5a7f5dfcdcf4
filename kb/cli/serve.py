"""``kb serve``: the web app, built first from the default mirror when the knowledge base is empty.

The server runs in this process (Streamlit's own ``streamlit run``, called in-process), so that:
the model and the data load once, into this process, and start loading before the first visitor;
Ctrl-C or SIGTERM stops the server itself, with nothing left behind on the port; and Streamlit
watches no files (a file watcher on a checkout with a virtual environment floods inotify).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb.cli.common import open_kb

if TYPE_CHECKING:
    from kb.app.loader import Loader

# `streamlit run` options for serving (not developing) the app: no file watcher, no browser, no telemetry
STREAMLIT_OPTIONS = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "browser.gatherUsageStats": "false",
}


@click.command()
@click.option("--port", default=8501, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--build/--no-build", default=True, show_default=True,
              help="Build the knowledge base from the default mirror first if it is empty.")
def serve(port: int, host: str, build: bool) -> None:
    """Start the web app (Streamlit) on HOST:PORT; the model and the data start loading at once, before the first
    visitor. Stop it with Ctrl-C (or SIGTERM)."""
    if build:
        with open_kb() as kb:
            empty, mirror = kb.is_empty(), kb.settings.mirror
        if empty:
            if mirror is None:
                raise click.ClickException("the knowledge base is empty and no mirror is set (KB_MIRROR)")
            click.echo(f"Building the knowledge base from {mirror} (first run only)…", err=True)
            build_from_mirror(mirror)
    from kb.app.ui import warm  # imports Streamlit: only when serving

    loader = warm()
    click.echo(f"Serving on http://{host}:{port} — loading the model and the data in the background…", err=True)
    threading.Thread(target=_say_when_ready, args=(loader,), name="kb-ready", daemon=True).start()
    sys.exit(run_streamlit(streamlit_args(app_page(), host, port)))


def streamlit_args(page: Path, host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line for the page."""
    options = {**STREAMLIT_OPTIONS, "server.port": str(port), "server.address": host}
    return ["run", str(page), *(part for name, value in options.items() for part in (f"--{name}", value))]


def run_streamlit(args: list[str]) -> int:
    """Run ``streamlit ARGS`` in this process until the server stops (Ctrl-C or SIGTERM: Streamlit's own
    handlers stop it); its exit status."""
    from streamlit.web import cli as streamlit_cli

    try:
        streamlit_cli.main(args=args, prog_name="streamlit", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        return e.exit_code
    return 0


def _say_when_ready(loader: Loader) -> None:
    loader.wait()
    if loader.error is None:
        click.echo(f"Ready: the model and the data loaded in {loader.elapsed:.1f} s.", err=True)
    else:
        click.echo(f"Could not open the knowledge base: {loader.error} (the page says what to do)", err=True)
    for problem in loader.problems:
        click.echo(f"Warning: {problem}", err=True)


def app_page() -> Path:
    """The web app's page, from the installed package (found without importing Streamlit)."""
    from importlib.util import find_spec

    spec = find_spec("kb.app.main")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


def build_from_mirror(mirror: Path) -> None:
    """Run ``kb ingest mirror`` (the ingest package's command) in a child process; its summary goes to stderr.

    Ctrl-C or SIGTERM while it runs stop the child too (what it stored is kept; ``kb serve`` continues it)."""
    import subprocess

    child = subprocess.Popen([sys.executable, "-m", "kb", "ingest", "mirror", str(mirror)], stdout=subprocess.PIPE,
                             text=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        out, _ = child.communicate()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    if out.strip():
        click.echo(out.rstrip(), err=True)
    if child.returncode:
        sys.exit(child.returncode)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
