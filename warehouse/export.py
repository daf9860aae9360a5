"""Evidence exports: the same rows, the same columns, in every format a lawyer may ask for.

Rows come from the ``evidence_full`` view (the contract's ``evidence`` columns first, then
the review key, the score in words and the provenance), filtered by one score threshold
(the shipped default unless told otherwise) and optional filters, ordered so two exports of
the same warehouse hold the same rows. The formats live in ``warehouse/exports/`` (one
registry, ``EXPORTERS``); this module is the entry point the pipeline, the DAG and the CLI
call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import duckdb

from warehouse.exports import EXPORTERS, Exporter
from warehouse.exports.core import (
    CONTRACT_COLUMNS,
    EVIDENCE_COLUMNS,
    EvidenceFilter,
    EvidenceSet,
    ExportError,
    fetch,
)

FORMATS = tuple(EXPORTERS)

__all__ = [
    "CONTRACT_COLUMNS",
    "EVIDENCE_COLUMNS",
    "EXPORTERS",
    "FORMATS",
    "EvidenceFilter",
    "EvidenceSet",
    "ExportError",
    "Exporter",
    "export_evidence",
    "exporter",
    "write",
]


def exporter(fmt: str) -> Exporter:
    """The registry's entry for ``fmt`` (case-insensitive), or a clear error."""
    try:
        return EXPORTERS[fmt.lower()]
    except KeyError:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORTERS)}") from None


def write(ev: EvidenceSet, fmt: str, output: Path | str) -> int:
    """Write already fetched rows in ``fmt``; returns the number of rows."""
    ex = exporter(fmt)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    ex.write(ev, output)
    return len(ev.rows)


def export_evidence(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    output: Path | str,
    min_score: float,
    *,
    outlet: str | Iterable[str] | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    detail_type: str | Iterable[str] | None = None,
    verdict: str | Iterable[str] | None = None,
    production: str | Iterable[str] | None = None,
    archive_dir: Path | str | None = None,
    exported_at: datetime | None = None,
) -> int:
    """Write the evidence table to ``output``; returns the number of rows.

    ``archive_dir``: the crawl's WARC directory, for links to the archived copies."""
    ex = exporter(fmt)
    filt = EvidenceFilter.of(
        min_score,
        outlet=outlet,
        since=since,
        until=until,
        detail_type=detail_type,
        verdict=verdict,
        production=production,
    )
    ev = fetch(con, filt, archive_dir=archive_dir, exported_at=exported_at)
    return write(ev, ex.name, output)
