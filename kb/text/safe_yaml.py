"""The one way kb reads YAML: a safe loader, libyaml's when PyYAML was built with it (the 23k-line
solution catalog parses in 0.3 s instead of 3 s). Errors are ``yaml.YAMLError`` as usual."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> Any:
    """Parse ``text``; plain data only (mappings, lists, scalars), never arbitrary objects."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
