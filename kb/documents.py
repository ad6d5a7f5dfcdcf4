"""Stages every source shares: extract → validate → dedupe → store (embedding is batched after).

A stage rejects a document by returning an Outcome with a reason; nothing raises past ``process``
for bad content, so one broken page never loses what was already ingested.
"""

from __future__ import annotations

import logging
import sqlite3

from kb.errors import ExtractError
from kb.records import FetchedDocument, Outcome
from kb.store import write
from kb.store.db import transaction
from kb.text.chunking import chunk_text
from kb.text.clean import CLEAN_VERSION, clean
from kb.text.titles import document_title

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 40


def process(conn: sqlite3.Connection, doc: FetchedDocument) -> Outcome:
    """Store ``doc`` (new/changed) or recognise it as unchanged; links are always refreshed.

    A document already stored under another URL — one of ``doc.same_as``, or the same clean text
    from the same source — is kept once: ``doc.url`` is remembered as another URL of it, its links
    are added, and the outcome is ``unchanged`` with reason ``duplicate``.
    """
    raw_hash = write.sha256(doc.raw)
    existing = write.find_document(conn, doc.url)
    if existing is None:
        same = write.find_same_document(conn, (doc.url, *doc.same_as))
        if same is not None:
            return _duplicate(conn, doc, same)
    elif existing["raw_sha256"] == raw_hash and existing["clean_version"] == CLEAN_VERSION:
        return _unchanged(conn, doc, existing["id"])
    try:
        cleaned = clean(doc.raw, doc.content_type, url=doc.url, declared_charset=doc.charset)
    except ExtractError as e:
        return Outcome(doc.url, "failed", reason="not_text" if "binary" in str(e) else "parse", detail=str(e))
    except Exception as e:  # a parser bug must not abort the run; it is reported with the URL
        log.exception("extracting %s failed", doc.url)
        return Outcome(doc.url, "failed", reason="parse", detail=f"{type(e).__name__}: {e}")
    if existing is not None and existing["raw_sha256"] == raw_hash \
            and existing["text_sha256"] == write.sha256(cleaned.text):  # re-cleaned by a newer version: the same
        return _unchanged(conn, doc, existing["id"], recleaned=True)
    if len(cleaned.text.strip()) < MIN_TEXT_CHARS:
        return Outcome(doc.url, "failed", reason="empty", detail=f"only {len(cleaned.text.strip())} characters of text")
    if existing is None and (twin := write.find_same_text(conn, write.sha256(cleaned.text), doc.source)):
        return _duplicate(conn, doc, twin)
    chunks = chunk_text(cleaned.text)
    title = document_title(doc.title, cleaned.title, doc.url, doc.links)
    row = write.DocumentRow(
        url=doc.url, source=doc.source, title=title, author=doc.author or cleaned.meta.get("author"),
        date=doc.date or cleaned.meta.get("date"), content_type=doc.content_type, raw_sha256=raw_hash,
        text=cleaned.text, language=cleaned.language, license=doc.license, site=doc.site,
        fetched_url=doc.fetched_url, clean_version=CLEAN_VERSION,
    )
    with transaction(conn):
        doc_id, was_new = write.save_document(conn, row, chunks)
        write.link_document(conn, doc_id, doc.links)
        write.remember_urls(conn, doc_id, doc.same_as)
    return Outcome(doc.url, "new" if was_new else "changed", document_id=doc_id, chunks=len(chunks))


def _unchanged(conn: sqlite3.Connection, doc: FetchedDocument, document_id: int, *,
               recleaned: bool = False) -> Outcome:
    """The same bytes, cleaned to the same text: refresh the links and the other URLs (and, ``recleaned`` by
    this version of the cleaning, record it), nothing else."""
    with transaction(conn):
        if recleaned:
            write.set_clean_version(conn, document_id, CLEAN_VERSION)
        write.link_document(conn, document_id, doc.links)
        write.remember_urls(conn, document_id, doc.same_as)
        write.touch_document(conn, document_id)
    return Outcome(doc.url, "unchanged", document_id=document_id)


def _duplicate(conn: sqlite3.Connection, doc: FetchedDocument, same: sqlite3.Row) -> Outcome:
    """Keep the stored copy; remember this URL (and its other URLs) for it and add this copy's links.

    A link without a rank adds nothing to a competition the stored copy is already linked to."""
    with transaction(conn):
        write.remember_urls(conn, same["id"], (doc.url, *doc.same_as))
        linked = write.linked_slugs(conn, same["id"])
        write.link_document(conn, same["id"], [lk for lk in doc.links
                                               if lk.rank is not None or lk.slug.strip().lower() not in linked])
        write.fill_missing(conn, same["id"], author=doc.author, date=doc.date)
        write.touch_document(conn, same["id"])
    return Outcome(doc.url, "unchanged", reason="duplicate", detail=f"the same document as {same['url']}",
                   document_id=same["id"])
