"""Live sources behind one interface (:mod:`~ingest.sources.base`), one module each: Kaggle, GitHub, blogs.

:mod:`~ingest.sources.dispatch` says which source fetches a URL.
"""
