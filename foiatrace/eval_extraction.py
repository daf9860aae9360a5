"""`foiatrace eval extraction`: (in progress) registered on the CLI's `eval` group by register()."""

from __future__ import annotations

import typer


def register(eval_app: typer.Typer) -> None:
    """Add this module's command(s) to the `eval` group."""
