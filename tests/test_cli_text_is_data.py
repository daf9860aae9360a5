"""Text from productions and pages is data in the CLI: a subject, a quote or an article that
reads like Rich markup (``[/b]``, ``[red]x[/red]``) or an emoji code (``:x:``) is printed as
written, by `sql` (table on a terminal, piped, csv, json), the demo's evidence printout, the
exports and the error messages; nothing crashes, nothing vanishes, nothing turns into an emoji.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from foia.models import Message
from foiatrace import cli
from foiatrace.cli import app
from foiatrace.demo_run import evidence_rows
from warehouse import load
from warehouse.db import connect

runner = CliRunner()
HOSTILE = "[/b] [red]x[/red] :x: [bold]"
QUOTE = f"He is a citizen of Peru {HOSTILE}"
ARTICLE = f"A Peruvian national {HOSTILE}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = connect(path)
    msg = Message(
        source_file="a.eml", source_sha256="0" * 64, source_kind="eml", bates="B-1",
        message_id="m@x", sent_at=datetime(2019, 3, 1, 15, tzinfo=UTC),
        email_from="press@agency.example", email_to=["kim@news.example"],
        subject=HOSTILE, own_text=QUOTE,
    )  # fmt: skip
    load.upsert_messages(con, "p", [msg])
    load.upsert_article_versions(
        con,
        [
            {
                "url": "https://news.example/a.html", "outlet": "news", "text": ARTICLE,
                "published_at": "2019-03-02T15:00:00+00:00",
                "fetched_at": "2019-03-03T00:00:00+00:00",
            }
        ],
    )  # fmt: skip
    con.execute(
        "INSERT INTO disclosures VALUES ('p:B-1', 'https://news.example/a.html', "
        "'citizenship:peru', 0, 'citizenship', 'k', ?, ?, ['citizenship:peru'], 0.9, 0.7, "
        "24.0, NULL, '{}', 'test', now(), NULL, NULL)",
        [QUOTE, ARTICLE],
    )
    con.close()
    return path


def _literal(text: str) -> None:
    """The hostile text is there as written, and no emoji came of it."""
    assert HOSTILE in text, text
    assert "\u274c" not in text  # the emoji :x: would become


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_sql_piped_prints_stored_text_as_written(db: Path, fmt: str) -> None:
    result = runner.invoke(
        app, ["--db", str(db), "sql", "SELECT subject, own_text FROM messages", "-f", fmt]
    )
    assert result.exit_code == 0, result.output
    _literal(result.stdout)
    if fmt == "json":
        assert json.loads(result.stdout)[0]["subject"] == HOSTILE
    elif fmt == "csv":
        assert next(csv.DictReader(io.StringIO(result.stdout)))["subject"] == HOSTILE


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_sql_on_a_terminal_prints_stored_text_as_written(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rich table a terminal gets: cells are Text, not markup."""
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", _Tty())
    monkeypatch.setattr(cli.out, "_file", buf)
    cli._print_rows(["subject"], [(HOSTILE,)], cli.SqlFormat.table)
    _literal(buf.getvalue())
    buf.truncate(0)
    cli._print_rows([HOSTILE], [("x",)], cli.SqlFormat.table)  # a column named like markup
    _literal(buf.getvalue())


def test_the_demo_evidence_printout_prints_quotes_as_written(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = evidence_rows(db, min_score=0.0)
    assert rows and rows[0]["email_quote"] == QUOTE
    buf = io.StringIO()
    monkeypatch.setattr(cli.out, "_file", buf)
    monkeypatch.setattr(cli.out, "_width", 200)
    rows[0]["syndicated_from"] = f"https://copy.example/{HOSTILE}"
    cli.show_evidence(rows)
    text = buf.getvalue()
    assert "He is a citizen of Peru [/b] [red]x[/red] :x:" in text
    assert "A Peruvian national [/b] [red]x[/red] :x:" in text
    assert f"copy of https://copy.example/{HOSTILE}" in text
    assert "\u274c" not in text


@pytest.mark.parametrize("fmt", ["csv", "json", "html", "xlsx"])
def test_exports_keep_the_text_and_print_no_markup(db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"e[red]x[/red].{fmt}"  # the file name is printed back too
    result = runner.invoke(
        app, ["--db", str(db), "export", "evidence", "-f", fmt, "-o", str(out),
              "--min-score", "0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout.replace("\n", "")
    if fmt == "csv":
        row = next(csv.DictReader(out.open(encoding="utf-8")))
        assert row["email_quote"] == QUOTE and row["article_quote"] == ARTICLE
    elif fmt == "json":
        assert json.loads(out.read_text(encoding="utf-8"))[0]["email_quote"] == QUOTE
    elif fmt == "html":
        assert "[/b] [red]x[/red] :x:" in out.read_text(encoding="utf-8")
    else:
        from openpyxl import load_workbook

        ws = load_workbook(out)["evidence"]
        header = [c.value for c in ws[1]]
        assert ws.cell(2, header.index("email_quote") + 1).value == QUOTE


def test_review_sheet_and_errors_print_text_as_written(db: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "r[/b].csv"
    ok = runner.invoke(
        app, ["--db", str(db), "review", "export-sheet", str(sheet), "--min-score", "0"]
    )
    assert ok.exit_code == 0, ok.output
    assert str(sheet) in ok.stdout.replace("\n", "")
    missing = runner.invoke(
        app, ["--db", str(db), "review", HOSTILE, "https://news.example/a.html",
              "citizenship:peru", "--verdict", "confirmed"],
    )  # fmt: skip
    assert missing.exit_code == 2
    _literal(missing.stderr.replace("\n", " "))
    gone = runner.invoke(app, ["--db", str(db), "ingest", str(tmp_path / f"no {HOSTILE}")])
    assert gone.exit_code == 2 and HOSTILE in gone.stderr.replace("\n", "")
    name = "[bold] [red]x"  # no "/", ":" or ".": a table name, not a file path
    bad_sql = runner.invoke(app, ["--db", str(db), "sql", f'SELECT * FROM "{name}"'])
    assert bad_sql.exit_code == 1 and name in bad_sql.stderr.replace("\n", "")
