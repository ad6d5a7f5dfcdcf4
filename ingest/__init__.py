"""ingest: where documents come from. It depends on kb (``KnowledgeBase.add_document`` and ``sync``);
kb never imports it.

- ``kb ingest mirror``: :mod:`ingest.mirror`; ``kb ingest meta-kaggle``: :mod:`ingest.meta_kaggle`;
  ``kb ingest catalog``: :mod:`ingest.catalog`, crawled by :mod:`ingest.crawl`;
  ``kb ingest url|kaggle|github|blog``: :mod:`ingest.crawl` with :mod:`ingest.sources`;
  ``kb ingest status``: :mod:`ingest.frontier`. The commands themselves are in :mod:`ingest.cli`.
- :mod:`ingest.http`: the one network layer; :mod:`ingest.runner`: the store-then-sync loop;
  :mod:`ingest.report`: what a run did; :mod:`ingest.breaker` and :mod:`ingest.plan`: crawl politeness.
"""
