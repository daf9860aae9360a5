"""Review at scale: a sheet exported from the demo, filled in, read back; verdicts survive a
re-match and show in every export; conflicts and unknown keys are reported, not written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from test_exports import cli_app
from typer.testing import CliRunner

from foiatrace import pipeline
from foiatrace.demo_run import run_demo
from warehouse.db import connect
from warehouse.export import EXPORTERS
from warehouse.reviews import SHEET_COLUMNS

runner = CliRunner()
VERDICTS = ["confirmed", "rejected", "unsure"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    db = tmp_path_factory.mktemp("demo-review") / "demo.duckdb"
    run_demo(db, use_airflow=False, quiet=True)
    return db


def _run(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli_app(), ["--db", str(db), *args])
    return result.exit_code, result.output


def _fill(sheet: Path, n: int, reviewer: str, shift: int = 0) -> dict[tuple[str, str, str], str]:
    """Fill ``n`` verdicts with openpyxl, as a reviewer would in Excel."""
    wb = load_workbook(sheet)
    ws = wb["review"]
    col = {c.value: c.column for c in ws[1]}
    filled = {}
    for i in range(2, 2 + n):
        v = VERDICTS[(i + shift) % 3]
        ws.cell(i, col["verdict"], v)
        ws.cell(i, col["reviewer"], reviewer)
        ws.cell(i, col["note"], f"=checked row {i}")  # a formula-looking note stays text
        key = tuple(ws.cell(i, col[k]).value for k in ("msg_key", "article_url", "detail_key"))
        filled[key] = v  # type: ignore[index]
    wb.save(sheet)
    return filled


def _export_verdicts(db: Path, tmp_path: Path, fmt: str) -> dict[tuple[str, str, str], str]:
    out = tmp_path / f"e{EXPORTERS[fmt].suffix}"
    code, text = _run(db, "export", "evidence", "-f", fmt, "-o", str(out))
    assert code == 0, text
    if fmt == "csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
    elif fmt == "json":
        rows = json.loads(out.read_text(encoding="utf-8"))
    elif fmt == "parquet":
        rel = duckdb.sql(f"SELECT * FROM '{out}'")
        rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    elif fmt == "xlsx":
        ws = load_workbook(out)["evidence"]
        names = [c.value for c in ws[1]]
        rows = [dict(zip(names, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    else:
        return {}
    return {(r["msg_key"], r["article_url"], r["detail_key"]): r["verdict"] for r in rows}


def test_sheet_round_trip_survives_a_rematch(demo_db: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "review.xlsx"
    code, text = _run(demo_db, "review", "export-sheet", str(sheet))
    assert code == 0, text
    wb = load_workbook(sheet)
    ws = wb["review"]
    assert [c.value for c in ws[1]] == SHEET_COLUMNS
    assert ws.max_row - 1 >= 10
    dv = ws.data_validations.dataValidation
    assert dv and dv[0].type == "list" and "confirmed" in dv[0].formula1
    assert all(ws.cell(i, SHEET_COLUMNS.index("verdict") + 1).value is None
               for i in range(2, ws.max_row + 1))  # fmt: skip
    filled = _fill(sheet, 10, "ann")
    code, text = _run(demo_db, "review", "import", str(sheet))
    assert code == 0, text
    assert "recorded 10" in text and "conflicts 0" in text and "unknown 0" in text

    # the matcher weighs every pair again (all its rows replaced): verdicts stay
    con = connect(demo_db)
    con.execute("DELETE FROM matched_pairs")
    con.close()
    stats = pipeline.match(demo_db)
    assert stats["pairs_weighed"] > 0
    for fmt in ("csv", "json", "parquet", "xlsx"):
        got = _export_verdicts(demo_db, tmp_path, fmt)
        assert {k: got[k] for k in filled} == filled, fmt
    html = tmp_path / "e.html"
    assert _run(demo_db, "export", "evidence", "-f", "html", "-o", str(html))[0] == 0
    assert "=checked row 2" in html.read_text(encoding="utf-8")
    con = connect(demo_db, read_only=True)
    notes = con.execute("SELECT DISTINCT note FROM reviews ORDER BY 1").fetchall()
    con.close()
    assert notes[0][0].startswith("=checked row")  # stored as the reviewer wrote it

    # the same sheet again: nothing changes
    code, text = _run(demo_db, "review", "import", str(sheet))
    assert code == 0 and "unchanged 10" in text and "recorded 0" in text


def test_conflicts_and_unknown_keys_are_reported(demo_db: Path, tmp_path: Path) -> None:
    con = connect(demo_db, read_only=True)
    bates, url, detail = con.execute(
        "SELECT bates, article_url, detail_key FROM evidence_full ORDER BY score DESC LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    con.close()
    code, text = _run(demo_db, "review", "set", bates, url, detail, "--verdict", "confirmed",
                      "--reviewer", "ann")  # fmt: skip
    assert code == 0, text
    sheet = tmp_path / "review.csv"
    code, text = _run(demo_db, "review", "export-sheet", str(sheet), "--verdict", "confirmed")
    assert code == 0, text
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert rows and all(r["recorded_verdict"] == "confirmed" for r in rows)
    first = next(
        r for r in rows if (r["bates"], r["article_url"], r["detail_key"]) == (bates, url, detail)
    )
    first.update(verdict="rejected", reviewer="bob", note="not the same man")
    ghost = dict(first, detail_key="citizenship:atlantis", verdict="confirmed")
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SHEET_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows([first, ghost])
    code, text = _run(demo_db, "review", "import", str(sheet))
    assert code == 1
    assert "conflicts 1" in text and "unknown 1" in text and "recorded 0" in text
    assert "citizenship:atlantis" in text and "ann" in text
    key = (first["msg_key"], first["article_url"], first["detail_key"])
    con = connect(demo_db, read_only=True)
    q = "SELECT verdict, reviewer FROM reviews WHERE msg_key=? AND article_url=? AND detail_key=?"
    assert con.execute(q, list(key)).fetchone() == ("confirmed", "ann")
    con.close()
    code, text = _run(demo_db, "review", "import", str(sheet), "--force")
    assert "recorded 1" in text and "unknown 1" in text
    con = connect(demo_db, read_only=True)
    assert con.execute(q, list(key)).fetchone() == ("rejected", "bob")
    con.close()


def test_single_verdict_still_works_with_and_without_set(demo_db: Path) -> None:
    con = connect(demo_db, read_only=True)
    bates, url, detail = con.execute(
        "SELECT bates, article_url, detail_key FROM evidence_full WHERE verdict IS NULL LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    con.close()
    code, text = _run(demo_db, "review", bates, url, detail, "--verdict", "unsure")
    assert code == 0, text
    code, text = _run(demo_db, "review", "set", bates, url, detail, "--verdict", "confirmed")
    assert code == 0, text
    con = connect(demo_db, read_only=True)
    assert con.execute(
        "SELECT verdict FROM reviews WHERE article_url = ? AND detail_key = ?", [url, detail]
    ).fetchone() == ("confirmed",)
    con.close()
    code, text = _run(demo_db, "review", "set", "NOPE-1", url, detail, "--verdict", "rejected")
    assert code == 2 and "no evidence row" in text
