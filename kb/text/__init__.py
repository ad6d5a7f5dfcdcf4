"""Text: raw fetched bytes to clean "markdown-lite" text, then heading-aware passages.

- :mod:`kb.text.clean`: ``clean(raw, content_type)`` decodes (:mod:`~kb.text.decode`) and converts HTML
  (:mod:`~kb.text.html`), markdown (:mod:`~kb.text.markdown`), reST (:mod:`~kb.text.rst`) and plain text
  (:mod:`~kb.text.plain`) to one format: ``#`` headings, ``-`` list items, fenced code, paragraphs.
- :mod:`kb.text.chunking`: that text as passages of ~150-300 words that keep their heading path.
- :mod:`kb.text.titles`: the title a document is shown under; :mod:`kb.text.safe_yaml`: YAML without surprises.

Nothing is imported here: the parsers behind ``clean`` load only when a document is cleaned.
"""
