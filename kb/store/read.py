"""The read side of the store: the queries the API answers, and the typed records it answers with.

Every function takes a connection first. ``KnowledgeBase`` runs them under its lock in one read
snapshot (:meth:`KnowledgeBase.read`) and caches those that stay valid until the database changes
(:meth:`KnowledgeBase.cached`); the app and the command line see only the records.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

# a document's year: its earliest competition's year, else the year it was published
DOC_YEAR = ("coalesce((SELECT min(co.year) FROM document_competitions dc JOIN competitions co"
            " ON co.id = dc.competition_id WHERE dc.document_id = d.id), CAST(substr(d.date, 1, 4) AS INTEGER))")
BATCH = 500  # ids per IN (...) list


def batches(ids: Sequence[int], size: int = BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def rows_in(conn: sqlite3.Connection, sql: str, ids: Sequence[int], *before: object) -> list[sqlite3.Row]:
    """Run ``sql`` (with a ``{marks}`` placeholder for the ids, after the ``before`` parameters) in batches."""
    out: list[sqlite3.Row] = []
    for part in batches(ids):
        out += conn.execute(sql.format(marks=",".join("?" * len(part))), (*before, *part)).fetchall()
    return out


def _label(title: str | None, slug: str, year: int | None) -> str:
    name = title or slug
    return f"{name} ({year})" if year else name


def has_facts(conn: sqlite3.Connection) -> bool:
    """Whether the database has the ``document_facts`` table (a read-only one may predate it)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'document_facts'").fetchone() \
        is not None


def facts_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """For ``kb stats``: documents that are not write-ups, links whose document names another
    competition, and linked write-ups whose rank comes from their own title or text (the catalog
    has none)."""
    if not has_facts(conn):
        return {"not_writeups": 0, "flagged_links": 0, "parsed_ranks": 0}
    q = conn.execute
    return {
        "not_writeups": q("SELECT count(*) FROM document_facts WHERE NOT is_writeup").fetchone()[0],
        "flagged_links": q(
            "SELECT count(*) FROM document_competitions dc JOIN document_facts f ON f.document_id = dc.document_id"
            " WHERE f.named_competition IS NOT NULL").fetchone()[0],
        "parsed_ranks": q(
            "SELECT count(*) FROM document_facts f WHERE f.rank IS NOT NULL AND f.is_writeup"
            " AND f.named_competition IS NULL"
            " AND EXISTS (SELECT 1 FROM document_competitions dc WHERE dc.document_id = f.document_id)"
            " AND NOT EXISTS (SELECT 1 FROM document_competitions dc WHERE dc.document_id = f.document_id"
            "                 AND dc.rank IS NOT NULL)").fetchone()[0],
    }


# -- counts ----------------------------------------------------------------------------------------

def counts(conn: sqlite3.Connection, model: str) -> dict[str, int]:
    """Rows per kind; ``embeddings`` is the passages that have a vector under ``model`` (all of them, once
    ingestion has embedded them: compare it with ``chunks``)."""
    q = conn.execute
    return {
        "documents": q("SELECT count(*) FROM documents").fetchone()[0],
        "competitions": q("SELECT count(*) FROM competitions").fetchone()[0],
        "competitions_with_documents": q(
            "SELECT count(DISTINCT competition_id) FROM document_competitions").fetchone()[0],
        "chunks": q("SELECT count(*) FROM chunks").fetchone()[0],
        "embeddings": q("SELECT count(*) FROM chunks c WHERE EXISTS"
                        " (SELECT 1 FROM embeddings e WHERE e.model = ? AND e.sha256 = c.sha256)",
                        (model,)).fetchone()[0],
    }


def vector_counts(conn: sqlite3.Connection, model: str) -> dict[str, int]:
    """The rows of the vector table (``embeddings``, keyed by model and content hash), by what they are:
    ``passages``, the distinct passage texts with a vector under ``model`` (passages with the same title,
    heading and text share one); ``competitions``, the other vectors under ``model``: a vector per catalog
    competition description and per competition's set of write-ups (their centroid), which recommend
    uses, plus — until ingestion or ``kb check --repair`` prunes them — vectors of passages and
    descriptions that changed or went away; ``other_models``, vectors under other models."""
    q = conn.execute
    under_model = q("SELECT count(*) FROM embeddings WHERE model = ?", (model,)).fetchone()[0]
    passages = q("SELECT count(*) FROM embeddings e WHERE e.model = ? AND EXISTS"
                 " (SELECT 1 FROM chunks c WHERE c.sha256 = e.sha256)", (model,)).fetchone()[0]
    total = q("SELECT count(*) FROM embeddings").fetchone()[0]
    return {"passages": passages, "competitions": under_model - passages, "other_models": total - under_model}


def has_chunks(conn: sqlite3.Connection) -> bool:
    """True when some document has passages."""
    return conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None


def is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def documents_per_source(conn: sqlite3.Connection) -> dict[str, int]:
    """Source -> documents, most first."""
    return {s: n for s, n in conn.execute("SELECT source, count(*) FROM documents GROUP BY source ORDER BY 2 DESC")}


def sources(conn: sqlite3.Connection) -> dict[str, int]:
    """Source -> documents, by source (``kb stats``)."""
    return dict(conn.execute("SELECT source, count(*) FROM documents GROUP BY source").fetchall())


def last_fetched(conn: sqlite3.Connection) -> str | None:
    return conn.execute("SELECT max(fetched_at) FROM documents").fetchone()[0]


# -- search results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentLink:
    """A document's competition as a result shows it: the competition, its year and the solution's rank."""

    slug: str
    title: str | None
    year: int | None
    rank: int | None


def best_link(conn: sqlite3.Connection, document_id: int, prefer: str | None = None) -> DocumentLink | None:
    """The document's competition link (``prefer``'s first, then the best ranked).

    When the catalog gives none of the document's links a rank, ``rank`` is the one the write-up
    states in its title or text (``kb.docfacts``), unless it is not a write-up or its text names
    another competition than the one it is linked to.
    """
    if not has_facts(conn):
        row = conn.execute(
            "SELECT co.slug, co.title, co.year, dc.rank FROM document_competitions dc"
            " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = ?"
            " ORDER BY (co.slug = ?) DESC, dc.rank IS NULL, dc.rank, co.slug LIMIT 1",
            (document_id, prefer or ""),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT co.slug, co.title, co.year, coalesce(dc.rank, (SELECT f.rank FROM document_facts f"
            "   JOIN documents d ON d.id = f.document_id AND d.text_sha256 = f.text_sha256"
            "   WHERE f.document_id = dc.document_id AND f.is_writeup AND f.named_competition IS NULL"
            "   AND NOT EXISTS (SELECT 1 FROM document_competitions r"
            "                   WHERE r.document_id = dc.document_id AND r.rank IS NOT NULL))) AS rank"
            " FROM document_competitions dc JOIN competitions co ON co.id = dc.competition_id"
            " WHERE dc.document_id = ?"
            " ORDER BY (co.slug = ?) DESC, dc.rank IS NULL, dc.rank, co.slug LIMIT 1",
            (document_id, prefer or ""),
        ).fetchone()
    return DocumentLink(row["slug"], row["title"], row["year"], row["rank"]) if row else None


def chunk_documents(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, int]:
    """Chunk id -> document id."""
    return {r[0]: r[1] for r in rows_in(conn, "SELECT id, document_id FROM chunks WHERE id IN ({marks})", ids)}


def chunk_texts(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Chunk id -> (heading path, text)."""
    return {r[0]: (r[1], r[2]) for r in rows_in(
        conn, "SELECT id, heading_path, text FROM chunks WHERE id IN ({marks})", ids)}


@dataclass(frozen=True)
class DocumentHead:
    """What a result shows of its document; ``year`` is its earliest competition's year, else its own."""

    id: int
    url: str
    title: str
    source: str
    year: int | None


def document_heads(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, DocumentHead]:
    rows = rows_in(conn, f"SELECT d.id, d.url, coalesce(d.title, d.url), d.source, {DOC_YEAR}"
                         " FROM documents d WHERE d.id IN ({marks})", ids)
    return {r[0]: DocumentHead(r[0], r[1], r[2], r[3], r[4] or None) for r in rows}


# -- one document ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentCompetition:
    """A competition the document is a write-up of, with the solution's rank (None if unknown)."""

    slug: str
    title: str | None
    year: int | None
    url: str | None
    rank: int | None
    link_kind: str | None


@dataclass(frozen=True)
class DocumentPassage:
    id: int
    position: int
    heading_path: str
    text: str


@dataclass(frozen=True)
class DocumentTechnique:
    """A technique tagged in a document with one verdict: how often, and its first mention."""

    technique: str
    category: str
    helped: bool
    mentions: int
    snippet: str
    heading_path: str


@dataclass(frozen=True)
class Document:
    """A stored write-up: its clean text, passages, competitions and the techniques tagged in it."""

    id: int
    url: str
    source: str
    title: str | None
    author: str | None
    date: str | None
    content_type: str | None
    text: str
    language: str | None
    license: str | None
    site: str | None
    fetched_url: str | None
    fetched_at: str
    updated_at: str
    raw_sha256: str
    text_sha256: str
    competitions: tuple[DocumentCompetition, ...]
    chunks: tuple[DocumentPassage, ...]
    techniques: tuple[DocumentTechnique, ...]
    other_urls: tuple[str, ...] = ()  # the same document seen under other URLs


def document(conn: sqlite3.Connection, url_or_id: str | int) -> Document | None:
    """The stored document with this id (an int) or URL (its own, or one of its other URLs)."""
    if isinstance(url_or_id, int):
        d = conn.execute("SELECT * FROM documents WHERE id = ?", (url_or_id,)).fetchone()
    else:
        d = conn.execute("SELECT * FROM documents WHERE url = ?", (url_or_id,)).fetchone()
        if d is None:  # the same write-up seen under another URL (Meta Kaggle's topic and the catalog's link)
            d = conn.execute("SELECT d.* FROM document_urls u JOIN documents d ON d.id = u.document_id"
                             " WHERE u.url = ?", (url_or_id,)).fetchone()
    if d is None:
        return None
    competitions = tuple(DocumentCompetition(*r) for r in conn.execute(
        "SELECT co.slug, co.title, co.year, co.url, dc.rank, dc.link_kind FROM document_competitions dc"
        " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = ? ORDER BY dc.rank", (d["id"],)))
    chunks = tuple(DocumentPassage(*r) for r in conn.execute(
        "SELECT id, position, heading_path, text FROM chunks WHERE document_id = ? ORDER BY position", (d["id"],)))
    others = tuple(r[0] for r in conn.execute(
        "SELECT url FROM document_urls WHERE document_id = ? ORDER BY rowid", (d["id"],)))
    return Document(
        id=d["id"], url=d["url"], source=d["source"], title=d["title"], author=d["author"], date=d["date"],
        content_type=d["content_type"], text=d["text"], language=d["language"], license=d["license"],
        site=d["site"], fetched_url=d["fetched_url"], fetched_at=d["fetched_at"], updated_at=d["updated_at"],
        raw_sha256=d["raw_sha256"], text_sha256=d["text_sha256"], competitions=competitions, chunks=chunks,
        techniques=document_techniques(conn, d["id"]), other_urls=others)


def document_techniques(conn: sqlite3.Connection, document_id: int) -> tuple[DocumentTechnique, ...]:
    """Techniques tagged in a document, one row per (technique, verdict), most mentioned first."""
    rows = conn.execute("SELECT ct.technique, ct.category, ct.helped, ct.snippet, c.heading_path, c.position"
                        " FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id WHERE c.document_id = ?"
                        " ORDER BY c.position, ct.start", (document_id,)).fetchall()
    grouped: dict[tuple[str, bool], list[sqlite3.Row]] = defaultdict(list)
    for r in rows:
        grouped[(r["technique"], bool(r["helped"]))].append(r)
    out = [DocumentTechnique(tech, items[0]["category"], helped, len(items), items[0]["snippet"],
                             items[0]["heading_path"]) for (tech, helped), items in grouped.items()]
    out.sort(key=lambda t: (-t.mentions, t.technique))
    return tuple(out)


def document_choices(conn: sqlite3.Connection) -> dict[int, str]:
    """Every document as id -> "title — competition", for a document picker."""
    rows = conn.execute(
        "SELECT d.id, coalesce(d.title, d.url) AS title, (SELECT co.title FROM document_competitions dc"
        " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id = d.id"
        " ORDER BY dc.rank IS NULL, dc.rank LIMIT 1) AS comp FROM documents d ORDER BY title").fetchall()
    return {r["id"]: f"{r['title']} — {r['comp']}" if r["comp"] else r["title"] for r in rows}


def document_titles(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str | None]:
    return {r[0]: r[1] for r in rows_in(conn, "SELECT id, title FROM documents WHERE id IN ({marks})", ids)}


# -- competitions and filter choices ---------------------------------------------------------------------

@dataclass(frozen=True)
class FilterOptions:
    """The values each search filter can take in this knowledge base."""

    modalities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    competitions: dict[str, str] = field(default_factory=dict)  # slug -> "title (year)", those with write-ups
    years: tuple[int, int] | None = None


def filter_options(conn: sqlite3.Connection) -> FilterOptions:
    linked = "co.id IN (SELECT competition_id FROM document_competitions)"
    years = conn.execute(
        f"SELECT min(y), max(y) FROM (SELECT {DOC_YEAR} AS y FROM documents d) WHERE y > 0").fetchone()
    return FilterOptions(
        modalities=tuple(r[0] for r in conn.execute(
            f"SELECT DISTINCT modality FROM competitions co WHERE modality IS NOT NULL AND modality != ''"
            f" AND {linked} ORDER BY modality")),
        sources=tuple(r[0] for r in conn.execute("SELECT DISTINCT source FROM documents ORDER BY source")),
        kinds=tuple(r[0] for r in conn.execute(
            f"SELECT DISTINCT kind FROM competitions co WHERE kind IS NOT NULL AND kind != '' AND {linked}"
            " ORDER BY kind")),
        competitions={r["slug"]: _label(r["title"], r["slug"], r["year"]) for r in conn.execute(
            f"SELECT slug, title, year FROM competitions co WHERE {linked} ORDER BY year DESC, title")},
        years=(int(years[0]), int(years[1])) if years[0] is not None else None,
    )


def competition_choices(conn: sqlite3.Connection) -> dict[str, str]:
    """Competitions to start a recommendation from, slug -> "title (year)": those with a description or
    a title, newest first."""
    rows = conn.execute("SELECT slug, title, year FROM competitions WHERE coalesce(description, '') != ''"
                        " OR coalesce(title, '') != '' ORDER BY year DESC, title").fetchall()
    return {r["slug"]: _label(r["title"], r["slug"], r["year"]) for r in rows}


@dataclass(frozen=True)
class CompetitionInfo:
    """A catalog competition: its catalog fields and the profile kb inferred for it."""

    slug: str
    title: str | None
    description: str | None
    kind: str | None
    metric: str | None
    year: int | None
    team_count: int | None
    url: str | None
    modality: str | None
    task_type: str | None
    metric_family: str | None


def competition(conn: sqlite3.Connection, slug: str) -> CompetitionInfo | None:
    row = conn.execute("SELECT slug, title, description, kind, metric, year, team_count, url, modality, task_type,"
                       " metric_family FROM competitions WHERE slug = ?", (slug,)).fetchone()
    return CompetitionInfo(*row) if row else None


def link_ranks(conn: sqlite3.Connection, document_ids: Sequence[int]) -> dict[tuple[int, str], int | None]:
    """(document, competition slug) -> the link's rank (the best one when linked twice)."""
    out: dict[tuple[int, str], int | None] = {}
    for r in rows_in(conn, "SELECT dc.document_id, dc.rank, co.slug FROM document_competitions dc"
                           " JOIN competitions co ON co.id = dc.competition_id WHERE dc.document_id IN ({marks})"
                           " ORDER BY dc.rank IS NULL, dc.rank", document_ids):
        out.setdefault((r["document_id"], r["slug"]), r["rank"])
    return out


# -- techniques -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TechniqueCount:
    """How many documents report a technique as helping, and as not helping."""

    name: str
    helped: int
    not_helped: int


def technique_counts(conn: sqlite3.Connection) -> list[TechniqueCount]:
    """Every technique some document mentions; most documents reporting it helped first, then by name."""
    rows = conn.execute(
        "SELECT ct.technique, count(DISTINCT CASE WHEN ct.helped THEN c.document_id END),"
        " count(DISTINCT CASE WHEN NOT ct.helped THEN c.document_id END)"
        " FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id GROUP BY ct.technique").fetchall()
    return sorted((TechniqueCount(r[0], r[1], r[2]) for r in rows), key=lambda t: (-t.helped, t.name))


def technique_years(conn: sqlite3.Connection, techniques: Sequence[str]) -> dict[str, dict[int, int]]:
    """Technique -> year -> number of documents of that year reporting it helped."""
    if not techniques:
        return {}
    marks = ",".join("?" * len(techniques))
    rows = conn.execute(f"SELECT t, y, count(*) FROM (SELECT DISTINCT ct.technique AS t, d.id, {DOC_YEAR} AS y"
                        f" FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d"
                        f" ON d.id = c.document_id WHERE ct.helped = 1 AND ct.technique IN ({marks}))"
                        " WHERE y > 0 GROUP BY t, y", list(techniques)).fetchall()
    out: dict[str, dict[int, int]] = {t: {} for t in techniques}
    for t, y, n in rows:
        out[t][int(y)] = n
    return out


@dataclass(frozen=True)
class HelpedMention:
    """A sentence of a write-up that credits a technique (a candidate quote for a recommendation)."""

    technique: str
    chunk_id: int
    snippet: str
    document_id: int
    url: str
    title: str | None
    date: str | None
    source: str


def helped_mentions(conn: sqlite3.Connection, techniques: Sequence[str],
                    document_ids: Sequence[int]) -> list[HelpedMention]:
    """The mentions crediting any of ``techniques`` in the documents ``document_ids``."""
    names = sorted(techniques)
    out: list[HelpedMention] = []
    for part in batches(document_ids, 400):
        out += [HelpedMention(*r) for r in conn.execute(
            "SELECT ct.technique, ct.chunk_id, ct.snippet, c.document_id, d.url, d.title, d.date, d.source"
            " FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d ON d.id = c.document_id"
            f" WHERE ct.helped = 1 AND ct.technique IN ({','.join('?' * len(names))})"
            f" AND c.document_id IN ({','.join('?' * len(part))})", (*names, *part))]
    return out


# -- corpus statistics -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModalityCoverage:
    """Per modality: catalog competitions, those with at least one write-up, and write-ups."""

    modality: str
    competitions: int
    with_writeups: int
    documents: int


@dataclass(frozen=True)
class Freshness:
    """When the knowledge base last changed and how recent its content is."""

    last_fetched: str | None
    last_updated: str | None
    newest_document_date: str | None
    newest_competition_year: int | None


@dataclass(frozen=True)
class CorpusStats:
    """What the knowledge base holds, for charts: write-ups per year and source, coverage, freshness."""

    documents_per_year: dict[int, int]
    documents_per_source: dict[str, int]
    modalities: tuple[ModalityCoverage, ...]
    freshness: Freshness


def documents_per_year(conn: sqlite3.Connection) -> dict[int, int]:
    rows = conn.execute(f"SELECT y, count(*) FROM (SELECT {DOC_YEAR} AS y FROM documents d) WHERE y > 0"
                        " GROUP BY y ORDER BY y").fetchall()
    return {int(y): n for y, n in rows}


def modality_coverage(conn: sqlite3.Connection) -> tuple[ModalityCoverage, ...]:
    rows = conn.execute(
        "SELECT coalesce(nullif(co.modality, ''), 'unknown') AS m, count(*) AS n,"
        " sum(EXISTS (SELECT 1 FROM document_competitions dc WHERE dc.competition_id = co.id)) AS w,"
        " (SELECT count(DISTINCT dc.document_id) FROM document_competitions dc JOIN competitions c2"
        "  ON c2.id = dc.competition_id WHERE coalesce(nullif(c2.modality, ''), 'unknown') ="
        "  coalesce(nullif(co.modality, ''), 'unknown')) AS d"
        " FROM competitions co GROUP BY m ORDER BY n DESC, m").fetchall()
    return tuple(ModalityCoverage(r["m"], r["n"], r["w"] or 0, r["d"] or 0) for r in rows)


def freshness(conn: sqlite3.Connection) -> Freshness:
    r = conn.execute("SELECT max(fetched_at), max(updated_at), max(date) FROM documents").fetchone()
    latest_year = conn.execute("SELECT max(co.year) FROM competitions co JOIN document_competitions dc"
                               " ON dc.competition_id = co.id").fetchone()[0]
    return Freshness(r[0], r[1], r[2], latest_year)


def corpus_stats(conn: sqlite3.Connection) -> CorpusStats:
    return CorpusStats(documents_per_year(conn), documents_per_source(conn), modality_coverage(conn),
                       freshness(conn))
