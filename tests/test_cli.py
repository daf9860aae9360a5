"""The CLI: every command documented and helpful, read-only SQL, exports of the contract."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from foia.models import Message
from foiatrace.cli import app
from warehouse import load
from warehouse.db import connect
from warehouse.export import EVIDENCE_COLUMNS

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _commands() -> list[list[str]]:
    """Every leaf command as its argv path, e.g. ['export', 'evidence']."""
    root = get_command(app)
    paths = []

    def walk(group, prefix):  # type: ignore[no-untyped-def]
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                walk(cmd, [*prefix, name])
            else:
                paths.append([*prefix, name])

    walk(root, [])
    return paths


def test_commands_of_the_contract_exist() -> None:
    assert {" ".join(c) for c in _commands()} >= {
        "ingest",
        "crawl",
        "match",
        "export evidence",
        "sql",
        "demo",
        "eval scenario",
    }


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: " ".join(c))
def test_every_command_has_help(cmd: list[str]) -> None:
    result = runner.invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.split()) > 15


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: " ".join(c))
def test_every_command_is_documented_in_the_readme(cmd: list[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`foiatrace {' '.join(cmd)}" in readme


def _warehouse_with_one_disclosure(db: Path) -> None:
    con = connect(db)
    msg = Message(
        source_file="a.eml",
        source_sha256="0" * 64,
        source_kind="eml",
        bates="B-1",
        message_id="m@x",
        sent_at=datetime(2019, 3, 1, 15, tzinfo=UTC),
        email_from="press@agency.example",
        email_to=["kim@news.example"],
        own_text="He is a citizen of Peru.",
    )
    load.upsert_messages(con, "p", [msg])
    load.upsert_article_versions(
        con,
        [
            {
                "url": "https://news.example/a.html",
                "outlet": "news",
                "text": "A Peruvian national.",
                "published_at": "2019-03-02T15:00:00+00:00",
                "fetched_at": "2019-03-03T00:00:00+00:00",
            }
        ],
    )
    con.execute(
        "INSERT INTO disclosures VALUES ('p:B-1', 'https://news.example/a.html', "
        "'citizenship:peru', 0, 'citizenship', 'k', 'He is a citizen of Peru.', "
        "'A Peruvian national.', ['citizenship:peru'], 0.9, 0.7, 24.0, NULL, '{}', 'test', "
        "now(), NULL, NULL)"
    )
    con.close()


def test_a_lag_range_wider_than_the_lag_is_flagged(tmp_path: Path) -> None:
    """A message printed in an unsettled zone: its evidence row carries the lag's range and
    says the order is uncertain when the range is wider than the lag; exports show it."""
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    con = connect(db)
    row = "SELECT lag_hours, lag_hours_min, lag_hours_max, lag_uncertain FROM evidence"
    assert con.execute(row).fetchone() == (24.0, 24.0, 24.0, False)
    con.execute("UPDATE disclosures SET lag_hours = 2, lag_hours_min = -1, lag_hours_max = 5")
    assert con.execute(row).fetchone() == (2.0, -1.0, 5.0, True)
    con.execute("UPDATE disclosures SET lag_hours = 24, lag_hours_min = 21, lag_hours_max = 27")
    assert con.execute(row).fetchone() == (24.0, 21.0, 27.0, False)
    con.close()
    out = tmp_path / "e.csv"
    result = runner.invoke(
        app, ["--db", str(db), "export", "evidence", "--format", "csv", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    exported = next(csv.DictReader(out.open(encoding="utf-8")))
    assert (exported["lag_hours_min"], exported["lag_hours_max"]) == ("21.0", "27.0")


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "xlsx", "html"])
def test_export_evidence_has_the_contract_columns(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    out = tmp_path / f"e.{fmt}"
    result = runner.invoke(
        app, ["--db", str(db), "export", "evidence", "--format", fmt, "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
        assert list(rows[0]) == EVIDENCE_COLUMNS
        assert rows[0]["email_sent_at"] == "2019-03-01T15:00:00Z"
        assert rows[0]["bates"] == "B-1" and rows[0]["lag_hours"] == "24.0"
    elif fmt == "json":
        assert json.loads(out.read_text())[0]["article_url"] == "https://news.example/a.html"
    elif fmt == "parquet":
        cols = duckdb.sql(f"SELECT * FROM '{out}'").columns
        assert cols == EVIDENCE_COLUMNS
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(out).active
        assert [c.value for c in ws[1]] == EVIDENCE_COLUMNS and ws["A2"].value == "B-1"
    else:
        # the shared detail is marked (<mark>) in the quote: compare the text without tags
        text = re.sub(r"<[^>]+>", "", out.read_text(encoding="utf-8"))
        assert "A Peruvian national." in text


def test_min_score_filters_the_export(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    out = tmp_path / "e.csv"
    runner.invoke(
        app,
        ["--db", str(db), "export", "evidence", "-f", "csv", "-o", str(out), "--min-score", "0.95"],
    )
    assert out.read_text().count("\n") == 1  # header only


def test_sql_is_read_only_and_machine_readable(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    ok = runner.invoke(app, ["--db", str(db), "sql", "SELECT bates FROM messages", "-f", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == [{"bates": "B-1"}]
    bad = runner.invoke(app, ["--db", str(db), "sql", "DELETE FROM emails"])
    assert bad.exit_code == 2 and re.search(r"refused: .*read.only", bad.output, re.I)
    missing = runner.invoke(app, ["--db", str(db), "sql", "SELECT * FROM nowhere"])
    assert missing.exit_code == 1 and "nowhere" in missing.output  # it ran, and failed


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "cmd",
    [
        ["export", "evidence", "-f", "csv", "-o", "{tmp}/e.csv"],
        ["review", "export-sheet", "{tmp}/r.csv"],
        ["bundle", "make", "{tmp}/bundle"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_min_score_must_be_a_finite_number(tmp_path: Path, cmd: list[str], value: str) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    args = [a.format(tmp=tmp_path) for a in cmd]
    result = runner.invoke(app, ["--db", str(db), *args, "--min-score", value])
    assert result.exit_code == 2 and "not a finite number" in result.output
    assert "Traceback" not in result.output and not list(tmp_path.glob("[erb]*"))


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_window_days_must_be_a_number_of_days(tmp_path: Path, value: str) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    result = runner.invoke(app, ["--db", str(db), "match", "--window-days", value])
    assert result.exit_code == 2 and "--window-days" in result.output


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_guard_is_on_by_default_and_can_be_turned_off(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    con = connect(db)
    con.execute("UPDATE disclosures SET email_quote = '=HYPERLINK(\"http://x\")'")
    con.close()
    cells = {}
    for flag in ([], ["--no-formula-guard"]):
        out = tmp_path / f"e{len(flag)}.{fmt}"
        result = runner.invoke(
            app, ["--db", str(db), "export", "evidence", "-f", fmt, "-o", str(out), *flag]
        )
        assert result.exit_code == 0, result.output
        if fmt == "csv":
            cells[bool(flag)] = next(csv.DictReader(out.open(encoding="utf-8")))["email_quote"]
        else:
            from openpyxl import load_workbook

            wb = load_workbook(out)
            ws = wb["evidence"]
            cell = ws.cell(2, EVIDENCE_COLUMNS.index("email_quote") + 1)
            assert cell.data_type == "s"  # a string either way: XLSX never writes formulas
            cells[bool(flag)] = cell.value
            notes = [r[1].value for r in wb["metadata"].iter_rows() if r[0].value == "note"]
            assert any("formula guard off" in (n or "") for n in notes) == bool(flag)
    guarded = "'" if fmt == "csv" else ""
    assert cells[False] == guarded + '=HYPERLINK("http://x")'
    assert cells[True] == '=HYPERLINK("http://x")'


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(tmp_path / "w.duckdb"), "ingest", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2 and "nope" in result.output


def test_unknown_time_zone_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(tmp_path / "w.duckdb"), "ingest", str(tmp_path), "--timezone", "Mars/X"]
    )
    assert result.exit_code == 2 and "Mars/X" in result.output


def test_review_verdict_shows_in_the_export(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _warehouse_with_one_disclosure(db)
    url = "https://news.example/a.html"
    ok = runner.invoke(
        app, ["--db", str(db), "review", "B-1", url, "citizenship:peru", "--verdict", "confirmed",
              "--reviewer", "kim", "--note", "checked the PDF page"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "e.csv"
    runner.invoke(app, ["--db", str(db), "export", "evidence", "-f", "csv", "-o", str(out)])
    assert next(csv.DictReader(out.open(encoding="utf-8")))["verdict"] == "confirmed"
    missing = runner.invoke(
        app, ["--db", str(db), "review", "B-9", url, "citizenship:peru", "--verdict", "rejected"]
    )
    assert missing.exit_code == 2 and "no evidence row" in missing.output


def test_a_bad_outlets_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "outlets.toml"
    bad.write_text("not = [valid toml\n", encoding="utf-8")
    result = runner.invoke(
        app, ["--db", str(tmp_path / "w.duckdb"), "crawl", "--outlets", str(bad)]
    )
    assert result.exit_code == 2
    assert "not valid TOML" in result.output and "Traceback" not in result.output
    bad.write_text('[[outlet]]\nname = "x"\n', encoding="utf-8")
    result = runner.invoke(
        app, ["--db", str(tmp_path / "w.duckdb"), "crawl", "--outlets", str(bad)]
    )
    assert result.exit_code == 2 and "missing key" in result.output
