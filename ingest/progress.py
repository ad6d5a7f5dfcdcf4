"""Progress reporting hooks: the library calls them, the CLI renders them (tqdm on stderr)."""

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


def tqdm_progress(description: str, total: int | None = None) -> Bar:
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="", file=sys.stderr, leave=False, dynamic_ncols=True)
