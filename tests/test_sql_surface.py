"""`foiatrace sql` against hostile SQL: every statement of ``HOSTILE_EXAMPLES`` is refused with
a one-line message, stopped at its deadline, cut at the row limit or answered read-only; no
file appears or changes, and the warehouse and another warehouse beside it stay byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from test_cli import _warehouse_with_one_disclosure
from typer.testing import CliRunner

from foiatrace.cli import app
from foiatrace.sql_guard import HOSTILE_EXAMPLES, Hostile, SqlRefused, check, lock_down, run

runner = CliRunner()
EXIT = {"refused": 2, "timeout": 1, "cut": 0, "answered": 0}


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the warehouse (w.duckdb) and another DuckDB file (other.duckdb)."""
    root = tmp_path_factory.mktemp("surface")
    _warehouse_with_one_disclosure(root / "w.duckdb")
    con = duckdb.connect(str(root / "other.duckdb"))
    con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    con.close()
    return root


def _sql(place: Path, h: Hostile, *extra: str) -> tuple[str, object]:
    query = h.sql.format(other=place / "other.duckdb", out=place / "out.file")
    result = runner.invoke(
        app,
        ["--db", str(place / "w.duckdb"), "sql", query, "--timeout", "1", "--max-rows", "5",
         *extra],
    )  # fmt: skip
    return query, result


def test_there_are_enough_hostile_examples() -> None:
    assert len(HOSTILE_EXAMPLES) >= 20
    assert {h.expect for h in HOSTILE_EXAMPLES} == set(EXIT)


@pytest.mark.parametrize("h", HOSTILE_EXAMPLES, ids=lambda h: h.what)
def test_hostile_sql_on_the_live_warehouse(
    place: Path, h: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(place)  # a relative path written would land here
    before = _tree(place)
    query, result = _sql(place, h, "--live")
    assert result.exit_code == EXIT[h.expect], (query, result.output)
    assert _tree(place) == before, query  # nothing created, nothing changed
    assert not (place / "out.file").exists()
    assert "root:" not in result.output  # /etc/passwd never shows
    if h.expect == "refused":
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: refused: "), result.stderr
    elif h.expect == "timeout":
        assert "stopped after 1 s" in result.stderr
    elif h.expect == "cut":
        assert len(result.stdout.strip().splitlines()) == 1 + 5  # header + the limit
        assert "only the first 5 rows" in result.stderr
    else:
        assert result.stdout.strip() and not result.stderr.strip()


@pytest.mark.parametrize(
    "h",
    [h for h in HOSTILE_EXAMPLES if "{other}" in h.sql or "{out}" in h.sql or "/etc" in h.sql],
    ids=lambda h: h.what,
)
def test_hostile_sql_on_the_published_snapshot(
    published: Path, h: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(published)
    before = _tree(published)
    query, result = _sql(published, h, "-f", "json")
    assert result.exit_code == EXIT[h.expect], (query, result.output)
    assert _tree(published) == before, query


@pytest.fixture(scope="module")
def published(place: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``place`` whose warehouse has a published snapshot beside it."""
    from warehouse.publish import publish

    root = tmp_path_factory.mktemp("published")
    for name in ("w.duckdb", "other.duckdb"):
        (root / name).write_bytes((place / name).read_bytes())
    publish(root / "w.duckdb")
    return root


def test_the_snapshot_is_what_sql_reads(published: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(published / "w.duckdb"), "-v", "sql", "SELECT bates FROM messages",
              "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"bates": "B-1"}]
    assert "reading snapshot" in result.stderr


def test_a_read_only_file_connection_still_reads_after_lock_down(place: Path) -> None:
    con = duckdb.connect(str(place / "w.duckdb"), read_only=True)
    try:
        lock_down(con)
        answer = run(con, check("SELECT bates, subject FROM messages"))
        assert answer.rows == [("B-1", "")] and not answer.cut
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_blob('{place / 'other.duckdb'}')")
    finally:
        con.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW TABLES",
        "DESCRIBE messages",
        "SUMMARIZE messages",
        "PRAGMA table_info('messages')",
        "EXPLAIN SELECT * FROM messages",
        "FROM messages SELECT bates",
        "WITH m AS (SELECT bates FROM messages) SELECT * FROM m;",
        "/* a /* nested */ comment */ SELECT 1 -- and a trailing one",
    ],
)
def test_ordinary_reads_pass(place: Path, sql: str) -> None:
    check(sql)
    result = runner.invoke(app, ["--db", str(place / "w.duckdb"), "sql", sql])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("sql", ["", "  -- nothing", "SELEC 1", "/* unclosed"])
def test_empty_or_broken_sql_is_a_usage_error(sql: str) -> None:
    with pytest.raises(SqlRefused):
        check(sql)


@pytest.mark.parametrize(
    "args",
    [["--timeout", "nan"], ["--timeout", "inf"], ["--timeout", "-1"], ["--max-rows", "-1"]],
)
def test_limits_must_be_finite_and_not_negative(place: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["--db", str(place / "w.duckdb"), "sql", "SELECT 1", *args])
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_limits_can_be_lifted(place: Path) -> None:
    result = runner.invoke(
        app,
        ["--db", str(place / "w.duckdb"), "sql", "SELECT * FROM range(20000)", "--max-rows", "0",
         "--timeout", "0", "-f", "csv"],
    )  # fmt: skip
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 20001
    assert "only the first" not in result.stderr
    cut = runner.invoke(
        app, ["--db", str(place / "w.duckdb"), "sql", "SELECT * FROM range(20000)", "-f", "csv"]
    )
    assert len(cut.stdout.splitlines()) == 10001 and "first 10,000 rows" in cut.stderr
