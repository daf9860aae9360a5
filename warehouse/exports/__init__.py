"""The evidence exporters, one entry per format: the CLI's choices and help come from here.

Every format gets the same rows (``core.fetch`` with one ``EvidenceFilter``) and the same
columns (``core.EVIDENCE_COLUMNS``: the contract's 16 first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from warehouse.exports.core import EvidenceSet
from warehouse.exports.report import write_html
from warehouse.exports.tabular import write_csv, write_json, write_parquet
from warehouse.exports.xlsx import write_xlsx


@dataclass(frozen=True)
class Exporter:
    """One export format: its name (``--format``), file suffix, help and writer."""

    name: str
    suffix: str
    help: str
    write: Callable[[EvidenceSet, Path], None]


EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter(
            "csv", ".csv", "UTF-8 CSV, times ISO 8601 UTC, formula-looking text prefixed with '",
            write_csv,
        ),
        Exporter("json", ".json", "a list of objects, keys in column order", write_json),
        Exporter("parquet", ".parquet", "typed columns (UTC timestamps, doubles)", write_parquet),
        Exporter(
            "xlsx", ".xlsx", "workbook: typed UTC dates, links, filters; summary and metadata "
            "sheets", write_xlsx,
        ),
        Exporter(
            "html", ".html", "report: summary, then one section per disclosure with the shared "
            "details marked", write_html,
        ),
    )
}  # fmt: skip


def formats_help() -> str:
    """``csv (UTF-8 CSV ...), json (...)`` for --help texts."""
    return "; ".join(f"{e.name}: {e.help}" for e in EXPORTERS.values())
