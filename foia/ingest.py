"""Walk a FOIA production (files and folders) and yield its messages, never stopping on bad input.

A production is whatever an agency sent: loose ``.eml`` files, printed PDFs, and later
mailbox exports. Each file is read by the reader for its extension; a file that cannot
be read becomes an :class:`~foia.models.IngestError` that names it and says why, and the
walk goes on, so one corrupt PDF never costs a night's ingest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from foia.eml import EmlError, parse_eml
from foia.models import IngestError, Message
from foia.pdf import DEFAULT_TZ, parse_pdf

SUPPORTED = {".eml", ".pdf"}
PLANNED = {".mbox", ".msg", ".pst", ".txt"}  # recognized, readers come in a later issue


def _walk(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, named explicitly) in sorted order; folders are walked recursively."""
    for root in sorted(Path(p) for p in paths):
        if root.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
            for f in sorted(found):
                yield f, False
        else:
            yield root, True


def _read_one(path: Path, default_tz: str) -> Iterator[Message | IngestError]:
    ext = path.suffix.lower()
    src = str(path)
    if ext == ".eml":
        try:
            yield parse_eml(path)
        except EmlError as exc:
            yield IngestError(src, f"broken EML: {exc}")
        except OSError as exc:
            yield IngestError(src, f"cannot read file: {exc.strerror or exc}")
        return
    if ext == ".pdf":
        yield from parse_pdf(path, default_tz=default_tz)
        return
    if ext in PLANNED:
        yield IngestError(src, f"unsupported format: {ext} (not yet supported)")
    else:
        yield IngestError(src, f"unsupported format: {ext or 'no extension'}")


def iter_production(
    paths: list[Path], default_tz: str = DEFAULT_TZ
) -> Iterator[Message | IngestError]:
    """Messages and errors of every file under ``paths``, in sorted, deterministic order.

    Known-but-unsupported formats (``.mbox .msg .pst .txt``) yield an error; other
    extensions are skipped inside folders and reported only when named explicitly.
    ``default_tz`` is the zone printed PDF times are read in (see :mod:`foia.pdf`).
    """
    for path, explicit in _walk(paths):
        ext = path.suffix.lower()
        if not explicit and ext not in SUPPORTED | PLANNED:
            continue
        if not path.exists():
            yield IngestError(str(path), "no such file or directory")
            continue
        try:
            yield from _read_one(path, default_tz)
        except Exception as exc:  # noqa: BLE001 - last line of defence: report, go on
            yield IngestError(str(path), f"unexpected error: {type(exc).__name__}", str(exc))
