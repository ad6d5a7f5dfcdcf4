"""``kb index rebuild``: the vector (and keyword) index rebuilt from SQLite."""

from __future__ import annotations

import click

from kb.cli.common import echo_json, open_kb, tqdm_progress


@click.group()
def index() -> None:
    """Manage the search indexes."""


@index.command("rebuild")
@click.option("--keyword/--no-keyword", default=True, show_default=True, help="Rebuild the keyword index too.")
@click.option("--json", "as_json", is_flag=True)
def index_rebuild(keyword: bool, as_json: bool) -> None:
    """Rebuild the vector (and keyword) index from SQLite, embedding any missing passages; delete vectors nothing
    uses any more, and export the model for fast queries if that was not done yet."""
    from dataclasses import asdict

    with open_kb() as kb:
        pending = kb.pending_count()
        embedded = 0
        if pending:
            bar = tqdm_progress("embedding passages", pending)
            embedded = kb.embed_pending(progress=bar.update)
            bar.close()
        meta = kb.rebuild_index(keyword_too=keyword)
        kb.prepare_recommend()
        pruned = kb.prune_vectors()
        fast_queries = kb.prepare_query_encoder()
    if as_json:
        echo_json({"embedded_chunks": embedded, **asdict(meta), "pruned_vectors": pruned,
                   "query_export": fast_queries})
    else:
        click.echo(f"Rebuilt the vector index: {meta.count} passages, {meta.kind}, model {meta.model}"
                   f" ({embedded} newly embedded, {pruned} unused vectors deleted).")
