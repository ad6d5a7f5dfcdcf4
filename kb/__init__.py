"""kb: a knowledge base of winning machine-learning competition solutions.

Everything starts from :class:`KnowledgeBase` (``KnowledgeBase.open()``); what its methods take and
return is exported here too, so ``from kb import ...`` is all a script, the web app or the command
line needs.
"""

import logging

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
from kb.progress import ProgressFactory
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

logging.getLogger("kb").addHandler(logging.NullHandler())

__all__ = [
    "BadInputError",
    "Competition",
    "CompetitionInfo",
    "CompetitionLink",
    "ConfigError",
    "CorpusStats",
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
