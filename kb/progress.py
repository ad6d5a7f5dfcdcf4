"""Progress reporting hooks: the library calls them, the CLI renders them (``kb.cli.common.tqdm_progress``)."""

from __future__ import annotations

from typing import Protocol


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...
    def close(self) -> None: ...


class ProgressFactory(Protocol):
    def __call__(self, description: str, total: int | None = None) -> Bar: ...


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(description: str, total: int | None = None) -> Bar:
    return _NullBar()
