"""Derived data computed after ingestion: competition profiles and technique tags on chunks."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def enrich(kb, progress=None) -> dict[str, int]:  # noqa: ANN001 - filled in by the techniques work
    return {}
