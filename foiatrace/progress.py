"""Progress bars for long steps (rich), off when quiet or machine-readable output is asked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def progress_bar(items: Iterable[Any], total: int | None, label: str, show: bool) -> Iterable[Any]:
    if not show:
        return items
    from rich.progress import track

    return track(items, total=total, description=label, transient=True)
