"""Loading what the app needs once per server process, in the background, step by step.

``kb serve`` starts a :class:`Loader` before the server takes its first visitor; a visitor who comes
earlier sees which step it is at (``kb/app/ui.py``) instead of a blank page. Everything it loads
stays in the one :class:`~kb.KnowledgeBase` every session shares.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable

from kb import KnowledgeBase
from kb.errors import KBError

# the page's own modules (pandas and the views), so that the first visit does not import them
PAGE_MODULES = ("kb.app.views.recommend", "kb.app.views.search", "kb.app.views.document", "kb.app.views.corpus")


def _model(kb: KnowledgeBase) -> None:
    kb.check_model()
    kb.encode_query("warm up the model")


def _lists(kb: KnowledgeBase) -> None:
    kb.filter_options()
    kb.competition_choices()
    kb.document_choices()
    kb.corpus_stats()
    kb.technique_counts()


# what a first page and a first answer need, in the order they are loaded: (what the visitor reads, step)
STEPS: tuple[tuple[str, Callable[[KnowledgeBase], object]], ...] = (
    ("loading the embedding model", _model),
    ("loading the vector index", lambda kb: kb.dense_index()),
    ("reading the technique vocabulary", lambda kb: kb.vocabulary),
    ("reading what recommendations draw on", lambda kb: kb.prepare_recommend()),
    ("listing the competitions and write-ups", _lists),
)


class Loader:
    """Opens the read-only knowledge base in ``home`` and warms it up, in a daemon thread.

    ``stage`` says what it is doing; :meth:`result` gives the knowledge base once it is done, or raises
    what stopped it from opening (a knowledge base that is not built, a bad setting). A step that fails
    later (an index built with another model, say) is left for the query that needs it to report.
    """

    def __init__(self, home: str, model: str, *, steps: tuple[tuple[str, Callable[[KnowledgeBase], object]], ...]
                 = STEPS, page_modules: tuple[str, ...] = PAGE_MODULES):
        self.home = home
        self.model = model
        self.steps = steps
        self.page_modules = page_modules
        self.stage = "starting"
        self.step = 0  # steps done so far, out of total
        self.total = len(steps) + 2  # the page's modules, opening, the steps
        self.problems: list[str] = []  # steps that failed (reported again when a query needs them)
        self._kb: KnowledgeBase | None = None
        self._error: BaseException | None = None
        self._started: float | None = None
        self._finished: float | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Loader:
        """Start loading (once; later calls do nothing)."""
        with self._lock:
            if self._thread is None:
                self._started = time.monotonic()
                self._thread = threading.Thread(target=self._run, name="kb-warm-up", daemon=True)
                self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def elapsed(self) -> float:
        """Seconds spent loading (so far, or in all when done)."""
        if self._started is None:
            return 0.0
        return (self._finished or time.monotonic()) - self._started

    @property
    def error(self) -> BaseException | None:
        """What stopped the knowledge base from opening (None while loading, or when it opened)."""
        return self._error

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the loading to finish; True when it has."""
        return self._done.wait(timeout)

    def result(self) -> KnowledgeBase:
        """The warmed-up knowledge base (waits for it); raises what stopped it from opening."""
        self.start().wait()
        if self._error is not None:
            raise self._error
        assert self._kb is not None
        return self._kb

    def _advance(self, stage: str) -> None:
        self.stage = stage
        self.step += 1

    def _run(self) -> None:
        try:
            self.stage = "loading the app's pages"
            for module in self.page_modules:
                importlib.import_module(module)
            self._advance("opening the knowledge base")
            kb = KnowledgeBase.open(self.home, readonly=True)
            empty = kb.is_empty()
            for label, step in self.steps:
                self._advance(label)
                if empty:
                    continue  # the page shows how to build it; nothing to warm up
                try:
                    step(kb)
                except KBError as e:
                    self.problems.append(f"{label}: {e}")
            self.step = self.total
            self.stage = "ready"
            self._kb = kb
        except Exception as e:  # handed to the page, which shows it
            self._error = e
            self.stage = "failed"
        finally:
            self._finished = time.monotonic()
            self._done.set()
