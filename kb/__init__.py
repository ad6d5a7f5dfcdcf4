"""kb: a knowledge base of winning machine-learning competition solutions.

Everything starts from :class:`KnowledgeBase` (``KnowledgeBase.open()``); what its methods take and
return is exported here too, so ``from kb import ...`` is all a script, the web app or the command
line needs. The exports load when first used: ``import kb`` (and so ``kb --help``) stays cheap.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.api import KnowledgeBase, Stats, SyncReport
    from kb.config import Settings, load_settings
    from kb.embed.base import Embedder
    from kb.errors import (
        BadInputError,
        ConfigError,
        EmptyQueryError,
        ExtractError,
        IndexCorruptError,
        IndexMismatchError,
        KBError,
        NotBuiltError,
    )
    from kb.export import ExportedTable
    from kb.progress import ProgressFactory
    from kb.recommend.coverage import Coverage
    from kb.recommend.types import (
        DocumentRef,
        Evidence,
        QueryProfile,
        Recommendation,
        SimilarCompetition,
        TechniqueScore,
    )
    from kb.records import Competition, CompetitionLink, FetchedDocument, Outcome
    from kb.search.dense import DenseIndex, IndexMeta
    from kb.search.engine import Passage, SearchResult
    from kb.search.filters import FilterError, Filters
    from kb.store.read import (
        CompetitionInfo,
        CorpusStats,
        Document,
        DocumentCompetition,
        DocumentLink,
        DocumentPassage,
        DocumentTechnique,
        FilterOptions,
        Freshness,
        ModalityCoverage,
        TechniqueCount,
    )
    from kb.techniques.candidates import Candidate as TechniqueCandidate
    from kb.techniques.vocab import Technique, Vocabulary, VocabularyError

# name -> (module, name there)
_EXPORTS = {
    "BadInputError": ("kb.errors", "BadInputError"),
    "Competition": ("kb.records", "Competition"),
    "CompetitionInfo": ("kb.store.read", "CompetitionInfo"),
    "CompetitionLink": ("kb.records", "CompetitionLink"),
    "ConfigError": ("kb.errors", "ConfigError"),
    "CorpusStats": ("kb.store.read", "CorpusStats"),
    "Coverage": ("kb.recommend.coverage", "Coverage"),
    "DenseIndex": ("kb.search.dense", "DenseIndex"),
    "Document": ("kb.store.read", "Document"),
    "DocumentCompetition": ("kb.store.read", "DocumentCompetition"),
    "DocumentLink": ("kb.store.read", "DocumentLink"),
    "DocumentPassage": ("kb.store.read", "DocumentPassage"),
    "DocumentRef": ("kb.recommend.types", "DocumentRef"),
    "DocumentTechnique": ("kb.store.read", "DocumentTechnique"),
    "Embedder": ("kb.embed.base", "Embedder"),
    "EmptyQueryError": ("kb.errors", "EmptyQueryError"),
    "Evidence": ("kb.recommend.types", "Evidence"),
    "ExportedTable": ("kb.export", "ExportedTable"),
    "ExtractError": ("kb.errors", "ExtractError"),
    "FetchedDocument": ("kb.records", "FetchedDocument"),
    "FilterError": ("kb.search.filters", "FilterError"),
    "FilterOptions": ("kb.store.read", "FilterOptions"),
    "Filters": ("kb.search.filters", "Filters"),
    "Freshness": ("kb.store.read", "Freshness"),
    "IndexCorruptError": ("kb.errors", "IndexCorruptError"),
    "IndexMeta": ("kb.search.dense", "IndexMeta"),
    "IndexMismatchError": ("kb.errors", "IndexMismatchError"),
    "KBError": ("kb.errors", "KBError"),
    "KnowledgeBase": ("kb.api", "KnowledgeBase"),
    "ModalityCoverage": ("kb.store.read", "ModalityCoverage"),
    "NotBuiltError": ("kb.errors", "NotBuiltError"),
    "Outcome": ("kb.records", "Outcome"),
    "Passage": ("kb.search.engine", "Passage"),
    "ProgressFactory": ("kb.progress", "ProgressFactory"),
    "QueryProfile": ("kb.recommend.types", "QueryProfile"),
    "Recommendation": ("kb.recommend.types", "Recommendation"),
    "SearchResult": ("kb.search.engine", "SearchResult"),
    "Settings": ("kb.config", "Settings"),
    "SimilarCompetition": ("kb.recommend.types", "SimilarCompetition"),
    "Stats": ("kb.api", "Stats"),
    "SyncReport": ("kb.api", "SyncReport"),
    "Technique": ("kb.techniques.vocab", "Technique"),
    "TechniqueCandidate": ("kb.techniques.candidates", "Candidate"),
    "TechniqueCount": ("kb.store.read", "TechniqueCount"),
    "TechniqueScore": ("kb.recommend.types", "TechniqueScore"),
    "Vocabulary": ("kb.techniques.vocab", "Vocabulary"),
    "VocabularyError": ("kb.techniques.vocab", "VocabularyError"),
    "load_settings": ("kb.config", "load_settings"),
}


def __getattr__(name: str) -> object:
    """Load an export on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'kb' has no attribute {name!r}")
    module, attr = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


logging.getLogger("kb").addHandler(logging.NullHandler())

__all__ = [
    "BadInputError",
    "Competition",
    "CompetitionInfo",
    "CompetitionLink",
    "ConfigError",
    "CorpusStats",
    "Coverage",
    "DenseIndex",
    "Document",
    "DocumentCompetition",
    "DocumentLink",
    "DocumentPassage",
    "DocumentRef",
    "DocumentTechnique",
    "Embedder",
    "EmptyQueryError",
    "Evidence",
    "ExportedTable",
    "ExtractError",
    "FetchedDocument",
    "FilterError",
    "FilterOptions",
    "Filters",
    "Freshness",
    "IndexCorruptError",
    "IndexMeta",
    "IndexMismatchError",
    "KBError",
    "KnowledgeBase",
    "ModalityCoverage",
    "NotBuiltError",
    "Outcome",
    "Passage",
    "ProgressFactory",
    "QueryProfile",
    "Recommendation",
    "SearchResult",
    "Settings",
    "SimilarCompetition",
    "Stats",
    "SyncReport",
    "Technique",
    "TechniqueCandidate",
    "TechniqueCount",
    "TechniqueScore",
    "Vocabulary",
    "VocabularyError",
    "load_settings",
]
