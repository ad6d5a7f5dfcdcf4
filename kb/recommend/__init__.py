"""Recommend: which techniques won competitions like the one described, with evidence and reasons.

``KnowledgeBase.recommend`` returns a :class:`Recommendation`; the modules here are its parts:
``page`` reads a pasted competition page, ``similar`` scores competitions against it, ``scoring``
ranks techniques and picks quotes, ``corpus`` holds what they aggregate over, ``recommender`` puts
them together.
"""

from kb.recommend.coverage import Coverage
from kb.recommend.types import (
    DocumentRef,
    Evidence,
    QueryProfile,
    Recommendation,
    SimilarCompetition,
    TechniqueScore,
)

__all__ = ["Coverage", "DocumentRef", "Evidence", "QueryProfile", "Recommendation", "SimilarCompetition",
           "TechniqueScore"]
