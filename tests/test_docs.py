"""Docs are tested: every CLI command appears in the README, and the README's commands exist."""

import re
from pathlib import Path

import click

from kb.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "kb") -> list[str]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        full = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full)
        else:
            out.append(full)
    return out


def test_every_cli_command_is_documented():
    missing = [c for c in _commands(cli) if c not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_readme_commands_exist():
    blocks = "\n".join(re.findall(r"^```bash\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL))
    documented = set(re.findall(r"^kb ((?:ingest |index )?[a-z-]+)", blocks, flags=re.MULTILINE))
    known = {c[3:] for c in _commands(cli)}
    assert documented and documented <= known, documented - known


def test_make_targets_in_readme_exist_and_ci_runs_the_test_command():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make ([a-z-]+)$", README, flags=re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
