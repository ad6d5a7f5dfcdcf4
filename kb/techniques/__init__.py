"""Technique vocabulary and extraction: which techniques a passage mentions, and whether they helped."""

from kb.techniques.extract import Mention, extract, summarize
from kb.techniques.vocab import CATEGORIES, Technique, Vocabulary, VocabularyError, load_vocabulary

__all__ = ["CATEGORIES", "Mention", "Technique", "Vocabulary", "VocabularyError", "extract", "load_vocabulary",
           "summarize"]
