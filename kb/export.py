"""``kb export``: the corpus as plain files for people who analyse it with their own tools.

Three tables, one file each (JSON Lines or Parquet): ``documents`` (one row per stored write-up, its
text and its competitions), ``competitions`` (the catalog with the inferred profile) and
``technique_mentions`` (one row per technique found in a sentence, with its provenance: the
document's URL, its competitions and ranks, the passage and its heading path, the sentence, whether
it helped, and the vocabulary version that tagged it). Rows are streamed from SQLite in batches, so
memory does not grow with the corpus; the three files come from one snapshot of the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import BadInputError, ConfigError

FORMATS = ("jsonl", "parquet")
BATCH_ROWS = 1000  # rows per Parquet row group and per fetch from SQLite

# a document's or a mention's competitions: [{"slug", "rank", "link_kind"}], best rank first
_LINKS = ("(SELECT json_group_array(json_object('slug', x.slug, 'rank', x.rank, 'link_kind', x.link_kind))"
          " FROM (SELECT co.slug, dc.rank, dc.link_kind FROM document_competitions dc"
          " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = {doc}"
          " ORDER BY dc.rank IS NULL, dc.rank, co.slug) x)")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "int", "float", "str", "bool", "strings" (a list of str) or "links" (competitions, see _LINKS)
    doc: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    sql: str  # selects the columns in this order

    def rows(self, conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
        cursor = conn.execute(self.sql)
        while batch := cursor.fetchmany(BATCH_ROWS):
            for values in batch:
                yield {c.name: _value(c.kind, v) for c, v in zip(self.columns, values, strict=True)}


def _value(kind: str, value: Any) -> Any:
    if value is None:
        return [] if kind in ("strings", "links") else None
    if kind == "bool":
        return bool(value)
    if kind == "strings":
        return [v for v in json.loads(value) if v is not None]
    if kind == "links":
        return json.loads(value)
    return value


TABLES: dict[str, Table] = {t.name: t for t in (
    Table("documents", "one row per stored document (write-ups, and pages that turned out not to be write-ups)", (
        Column("id", "int", "the document's id in kb.sqlite"),
        Column("url", "str", "its original URL, as ingested"),
        Column("other_urls", "strings", "other URLs the same document was seen under"),
        Column("source", "str", "kaggle, github, blog, ..."),
        Column("title", "str", ""),
        Column("author", "str", ""),
        Column("date", "str", "published (ISO date), when known"),
        Column("language", "str", "a guess from the text (ISO 639-1)"),
        Column("license", "str", "the licence the source states, when it states one"),
        Column("competitions", "links", "the competitions it is linked to: [{slug, rank, link_kind}], best rank first"),
        Column("is_writeup", "bool", "false for interviews, job stories, 'coming soon' stubs (null: not read yet)"),
        Column("not_writeup_reason", "str", "why it is not a write-up"),
        Column("text_rank", "int", "the rank its own title or text states ('1st place'), when it states one"),
        Column("named_competition", "str", "a competition its text names instead of the linked one"),
        Column("passages", "int", "how many passages it was cut into"),
        Column("fetched_at", "str", "when it was last fetched (UTC)"),
        Column("raw_sha256", "str", "SHA-256 of the fetched bytes"),
        Column("text_sha256", "str", "SHA-256 of the clean text"),
        Column("text", "str", "the clean text (markdown-like: headings, lists, paragraphs)"),
    ), "SELECT d.id, d.url, (SELECT json_group_array(u.url) FROM (SELECT url FROM document_urls"
       " WHERE document_id = d.id ORDER BY rowid) u), d.source, d.title, d.author, d.date, d.language, d.license, "
       + _LINKS.format(doc="d.id") + ", f.is_writeup, f.not_writeup_reason, f.rank, f.named_competition,"
       " (SELECT count(*) FROM chunks c WHERE c.document_id = d.id), d.fetched_at, d.raw_sha256, d.text_sha256, d.text"
       " FROM documents d LEFT JOIN document_facts f ON f.document_id = d.id AND f.text_sha256 = d.text_sha256"
       " ORDER BY d.id"),
    Table("competitions", "one row per competition in the catalog, with or without write-ups", (
        Column("id", "int", "the competition's id in kb.sqlite"),
        Column("slug", "str", "as in kaggle.com/c/<slug>"),
        Column("title", "str", ""),
        Column("description", "str", "the catalog's one-line description"),
        Column("kind", "str", "Featured, Research, Playground, ..."),
        Column("metric", "str", "the evaluation metric's name"),
        Column("year", "int", ""),
        Column("team_count", "int", ""),
        Column("url", "str", ""),
        Column("modality", "str", "inferred: tabular, image, text, ..."),
        Column("task_type", "str", "inferred: classification, regression, segmentation, ..."),
        Column("metric_family", "str", "inferred: auc, rmse, iou/dice, ..."),
        Column("documents", "int", "stored documents linked to it"),
    ), "SELECT co.id, co.slug, co.title, co.description, co.kind, co.metric, co.year, co.team_count, co.url,"
       " co.modality, co.task_type, co.metric_family,"
       " (SELECT count(DISTINCT dc.document_id) FROM document_competitions dc WHERE dc.competition_id = co.id)"
       " FROM competitions co ORDER BY co.id"),
    Table("technique_mentions", "one row per technique found in a sentence of a passage, with its provenance", (
        Column("technique", "str", "the vocabulary's name for it"),
        Column("category", "str", "the vocabulary's category"),
        Column("helped", "bool", "true when the write-up reports it helped, false when it did not"),
        Column("sentence", "str", "the sentence it was found in (long ones cut around the mention, marked …)"),
        Column("mention", "str", "the words that matched"),
        Column("document_id", "int", ""),
        Column("document_url", "str", "the document's original URL"),
        Column("document_title", "str", ""),
        Column("competitions", "links", "the document's competitions: [{slug, rank, link_kind}], best rank first"),
        Column("chunk_id", "int", "the passage's id in kb.sqlite (table chunks)"),
        Column("passage", "int", "the passage's position in the document (0 first)"),
        Column("heading_path", "str", "the headings above the passage, ' > ' between levels"),
        Column("start", "int", "where the mention starts in the passage's text (characters)"),
        Column("end", "int", "where it ends"),
        Column("vocabulary", "str", "the version (a hash) of the technique vocabulary that tagged the passage"),
    ), "SELECT ct.technique, ct.category, ct.helped, ct.snippet, substr(c.text, ct.start + 1, ct.end - ct.start),"
       " d.id, d.url, d.title, " + _LINKS.format(doc="d.id") + ", c.id, c.position, c.heading_path, ct.start, ct.end,"
       " t.vocabulary FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id"
       " JOIN documents d ON d.id = c.document_id LEFT JOIN tagged_chunks t ON t.chunk_id = c.id"
       " ORDER BY d.id, c.position, ct.start, ct.technique"),
)}


@dataclass(frozen=True)
class ExportedTable:
    """One file :meth:`KnowledgeBase.export` wrote."""

    table: str
    path: Path
    rows: int

    def to_json(self) -> dict[str, object]:
        return {"table": self.table, "path": str(self.path), "rows": self.rows}


def check_request(fmt: str, tables: Sequence[str]) -> None:
    if fmt not in FORMATS:
        raise BadInputError(f"unknown export format {fmt!r}: choose from {', '.join(FORMATS)}")
    unknown = [t for t in tables if t not in TABLES]
    if unknown or not tables:
        raise BadInputError(f"unknown table(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(TABLES)}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as e:
            raise ConfigError("Parquet needs pyarrow (pip install pyarrow)") from e


def export(conn: sqlite3.Connection, out: Path, fmt: str = "jsonl",
           tables: Sequence[str] = tuple(TABLES)) -> list[ExportedTable]:
    """Write each of ``tables`` to ``out/<table>.<fmt>``; each file is written under a temporary name and
    renamed when complete."""
    check_request(fmt, tables)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadInputError(f"cannot create the output folder {out}: {e}") from e
    writer: Callable[[Path, Table, Iterator[dict[str, Any]]], int] = _write_jsonl if fmt == "jsonl" else _write_parquet
    done = []
    for name in tables:
        table = TABLES[name]
        path = out / f"{name}.{fmt}"
        part = out / f".{name}.{fmt}.part"
        try:
            n = writer(part, table, table.rows(conn))
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
        done.append(ExportedTable(name, path, n))
    return done


def _write_jsonl(path: Path, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def arrow_schema(table: Table) -> Any:
    """The Parquet schema of a table (pyarrow types for the column kinds)."""
    import pyarrow as pa

    link = pa.struct([("slug", pa.string()), ("rank", pa.int64()), ("link_kind", pa.string())])
    types = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_(),
             "strings": pa.list_(pa.string()), "links": pa.list_(link)}
    return pa.schema([pa.field(c.name, types[c.kind], metadata={"description": c.doc}) for c in table.columns],
                     metadata={"table": table.name, "description": table.doc})


def _write_parquet(path: Path, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(table)
    n = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            n += len(batch)
    return n
