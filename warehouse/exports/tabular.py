"""CSV, JSON and Parquet: the same rows and columns as every other format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from warehouse.exports.core import (
    BOOL_COLUMNS,
    EVIDENCE_COLUMNS,
    FLOAT_COLUMNS,
    TIME_COLUMNS,
    EvidenceSet,
    csv_cell,
    exported,
    plain,
)


def write_csv(ev: EvidenceSet, output: Path) -> None:
    """UTF-8, ``\\n`` line ends, times ISO 8601 UTC, formula-looking text prefixed with '
    (unless ``ev.formula_guard`` is off)."""
    with output.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EVIDENCE_COLUMNS)
        for r in ev.rows:
            w.writerow([csv_cell(r[c], guard=ev.formula_guard) for c in EVIDENCE_COLUMNS])


def write_json(ev: EvidenceSet, output: Path) -> None:
    """A list of objects, keys in column order; times ISO 8601 UTC strings."""
    rows = [{k: plain(v) for k, v in r.items()} for r in exported(ev.rows)]
    output.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_parquet(ev: EvidenceSet, output: Path) -> None:
    """Typed columns: times as UTC timestamps, scores and lags as doubles."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def typ(c: str) -> pa.DataType:
        if c in TIME_COLUMNS:
            return pa.timestamp("us", tz="UTC")
        if c in FLOAT_COLUMNS:
            return pa.float64()
        if c in BOOL_COLUMNS:
            return pa.bool_()
        return pa.string()

    schema = pa.schema([(c, typ(c)) for c in EVIDENCE_COLUMNS])
    pq.write_table(pa.Table.from_pylist(exported(ev.rows), schema=schema), output)
