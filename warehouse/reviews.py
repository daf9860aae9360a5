"""Reviewers' verdicts: one at a time, or a whole sheet exported, filled in and read back.

A verdict is keyed by (msg_key, article_url, detail_key): the message, the article and the
detail, not the score or the sentence, so it survives re-runs and re-scoring. Reading a sheet
back never overwrites silently: a row whose key no longer exists is reported as unknown, a
verdict that differs from one another reviewer recorded is a conflict (``force`` to
overwrite), and the counts are returned.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.exports.core import VERDICTS, EvidenceFilter, csv_cell, fetch, uncsv_cell
from warehouse.runs import transaction

SHEET_COLUMNS = [
    "msg_key", "bates", "article_url", "detail_key", "detail_type", "outlet", "score",
    "email_quote", "article_quote", "explanation", "recorded_verdict", "recorded_by",
    "verdict", "reviewer", "note",
]  # fmt: skip
KEY = ("msg_key", "article_url", "detail_key")
FILLED = ("verdict", "reviewer", "note")


class ReviewError(ValueError):
    """A review cannot be recorded or a sheet cannot be read (no such row, bad file)."""


def now() -> datetime:
    return datetime.now(UTC)


def keys_for_bates(
    con: duckdb.DuckDBPyConnection, bates: str, article_url: str, detail_key: str
) -> list[str]:
    """msg_keys of the disclosures of this Bates number x article x detail (any score)."""
    rows = con.execute(
        "SELECT DISTINCT d.msg_key FROM disclosures d JOIN emails e ON e.msg_key = d.msg_key "
        "WHERE (e.bates = ? OR d.msg_key = ?) AND d.article_url = ? AND d.detail_key = ? "
        "ORDER BY 1",
        [bates, bates, article_url, detail_key],
    ).fetchall()
    return [r[0] for r in rows]


def exists(con: duckdb.DuckDBPyConnection, msg_key: str, article_url: str, detail_key: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM disclosures WHERE msg_key = ? AND article_url = ? AND detail_key = ?",
        [msg_key, article_url, detail_key],
    ).fetchone()
    return bool(row and row[0])


def recorded(
    con: duckdb.DuckDBPyConnection, msg_key: str, article_url: str, detail_key: str
) -> tuple[str, str | None, str | None] | None:
    """(verdict, reviewer, note) stored for the key, or None."""
    row = con.execute(
        "SELECT verdict, reviewer, note FROM reviews "
        "WHERE msg_key = ? AND article_url = ? AND detail_key = ?",
        [msg_key, article_url, detail_key],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def upsert(
    con: duckdb.DuckDBPyConnection,
    msg_key: str,
    article_url: str,
    detail_key: str,
    verdict: str,
    reviewer: str | None = None,
    note: str | None = None,
) -> None:
    """Store a verdict (replacing the key's earlier one)."""
    if verdict not in VERDICTS:
        raise ReviewError(f"verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    con.execute(
        "INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
        "verdict = excluded.verdict, reviewer = excluded.reviewer, "
        "note = excluded.note, reviewed_at = excluded.reviewed_at",
        [msg_key, article_url, detail_key, verdict, reviewer, note, now()],
    )


# -- sheets -----------------------------------------------------------------------------------


def sheet_rows(con: duckdb.DuckDBPyConnection, filt: EvidenceFilter) -> list[dict[str, Any]]:
    """One row per review key (the best-scoring evidence row of it), in export order."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in fetch(con, filt).rows:
        key = (r["msg_key"], r["article_url"], r["detail_key"])
        if key in seen:
            continue
        seen[key] = {
            **{c: r.get(c) for c in SHEET_COLUMNS if c in r},
            "recorded_verdict": r["verdict"],
            "recorded_by": r["reviewer"],
            "verdict": None,
            "reviewer": None,
            "note": None,
        }
    return list(seen.values())


def write_sheet(con: duckdb.DuckDBPyConnection, filt: EvidenceFilter, output: Path) -> int:
    """A review sheet, XLSX or CSV by ``output``'s suffix; returns the rows written."""
    rows = sheet_rows(con, filt)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".xlsx":
        _write_sheet_xlsx(rows, output)
    elif output.suffix.lower() == ".csv":
        with output.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(SHEET_COLUMNS)
            for r in rows:
                w.writerow([csv_cell(r.get(c)) for c in SHEET_COLUMNS])
    else:
        raise ReviewError(f"{output}: a review sheet is .xlsx or .csv")
    return len(rows)


def _write_sheet_xlsx(rows: list[dict[str, Any]], output: Path) -> None:
    import xlsxwriter

    from warehouse.exports.xlsx import WORKBOOK_OPTIONS, web_link

    wb = xlsxwriter.Workbook(str(output), WORKBOOK_OPTIONS)
    head = wb.add_format({"bold": True, "bg_color": "#DDDDDD", "valign": "top"})
    fill = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "valign": "top"})
    top = wb.add_format({"valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    link = wb.add_format({"font_color": "blue", "underline": 1, "valign": "top"})
    ws = wb.add_worksheet("review")
    widths = {"email_quote": 55, "article_quote": 55, "explanation": 40, "note": 40,
              "article_url": 36, "msg_key": 22, "detail_key": 26}  # fmt: skip
    for j, c in enumerate(SHEET_COLUMNS):
        ws.write_string(0, j, c, fill if c in FILLED else head)
        ws.set_column(j, j, widths.get(c, 14), wrap if widths.get(c, 0) >= 40 else top)
    for i, r in enumerate(rows, start=1):
        for j, c in enumerate(SHEET_COLUMNS):
            v = r.get(c)
            if v is None:
                continue
            if c == "score":
                ws.write_number(i, j, float(v), top)
            elif c == "article_url" and (url := web_link(v)):
                ws.write_url(i, j, url, link, string=url)
            else:
                ws.write_string(i, j, str(v), top)
    col = SHEET_COLUMNS.index("verdict")
    ws.data_validation(
        1, col, max(len(rows), 1), col,
        {"validate": "list", "source": list(VERDICTS), "error_title": "verdict",
         "error_message": "confirmed, rejected or unsure (leave empty to skip)"},
    )  # fmt: skip
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rows), 1), len(SHEET_COLUMNS) - 1)
    wb.close()


def read_sheet(path: Path) -> list[dict[str, str]]:
    """The sheet's rows as text by column name (openpyxl for XLSX, csv otherwise)."""
    if not path.is_file():
        raise ReviewError(f"{path}: no such file")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        # data_only=False: a note typed as "=..." is read as the text typed, never evaluated
        wb = load_workbook(path, read_only=True, data_only=False)
        ws = wb["review"] if "review" in wb.sheetnames else wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it, ())]
        rows = [
            {h: "" if v is None else str(v).strip() for h, v in zip(header, values, strict=False)}
            for values in it
            if any(v not in (None, "") for v in values)
        ]
        wb.close()
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [
                {k.strip(): uncsv_cell(v).strip() for k, v in r.items() if k}
                for r in csv.DictReader(fh)
            ]
    missing = [c for c in (*KEY, "verdict") if rows and c not in rows[0]]
    if missing:
        raise ReviewError(f"{path}: no column {', '.join(missing)} (export a sheet first)")
    return rows


@dataclass
class ImportResult:
    """What reading a sheet did, row by row."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            k: self.counts[k]
            for k in ("recorded", "unchanged", "conflicts", "unknown", "invalid", "blank")
        }


def import_sheet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    reviewer: str | None = None,
    force: bool = False,
) -> ImportResult:
    """Record the sheet's verdicts (rows with an empty verdict are skipped).

    ``reviewer``: for rows that name none. A row is *unchanged* when the same verdict and
    note are stored; a *conflict* when a different verdict is stored by someone else (kept
    unless ``force``); *unknown* when no disclosure has its key any more."""
    res = ImportResult()
    rows = read_sheet(path)
    with transaction(con):
        for n, r in enumerate(rows, start=2):
            key = tuple(r.get(k, "") for k in KEY)
            verdict = r.get("verdict", "").lower()
            if not verdict:
                res.counts["blank"] += 1
                continue
            where = f"row {n} ({' x '.join(key)})"
            if verdict not in VERDICTS:
                res.counts["invalid"] += 1
                res.problems.append(f"{where}: verdict {verdict!r} is not one of {VERDICTS}")
                continue
            if not all(key) or not exists(con, *key):
                res.counts["unknown"] += 1
                res.problems.append(f"{where}: no such disclosure (key unknown)")
                continue
            who = r.get("reviewer") or reviewer or None
            note = r.get("note") or None
            old = recorded(con, *key)
            if old and old[0] == verdict and (old[2] == note or not note):
                res.counts["unchanged"] += 1
                continue
            if old and old[0] != verdict and old[1] != who and not force:
                res.counts["conflicts"] += 1
                res.problems.append(
                    f"{where}: sheet says {verdict} ({who or 'no reviewer'}), recorded "
                    f"{old[0]} ({old[1] or 'no reviewer'}); kept (--force to overwrite)"
                )
                continue
            upsert(con, *key, verdict, who, note if note is not None else (old[2] if old else None))
            res.counts["recorded"] += 1
    return res
