"""The documented schema: every table, view and column carries a comment, and docs/schema.md
is exactly what those comments generate, so the document never drifts from the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse import schema_doc
from warehouse.db import connect


def test_every_table_view_and_column_has_a_comment() -> None:
    con = schema_doc.fresh_warehouse()
    try:
        rels = schema_doc.relations(con)
    finally:
        con.close()
    assert {"messages", "articles", "evidence", "emails", "disclosures", "reviews"} <= {
        r.name for r in rels
    }
    missing = [f"{r.kind} {r.name}" for r in rels if not r.comment.strip()]
    missing += [
        f"column {r.name}.{c.name}" for r in rels for c in r.columns if not c.comment.strip()
    ]
    assert not missing, (
        "these schema objects have no comment: "
        + ", ".join(missing)
        + ". A migration that adds a table, view or column, or redefines a view (CREATE OR"
        " REPLACE VIEW drops its comments), must COMMENT ON each of them (see"
        " warehouse/migrations/0010_schema_comments.sql), then run"
        " `python -m warehouse.schema_doc --write`."
    )


def test_schema_md_matches_the_migrations() -> None:
    expected = schema_doc.generate()
    assert schema_doc.SCHEMA_MD.exists(), "docs/schema.md missing: run schema_doc --write"
    assert schema_doc.SCHEMA_MD.read_text(encoding="utf-8") == expected, (
        "docs/schema.md is out of date with warehouse/migrations: run "
        "`python -m warehouse.schema_doc --write` and commit it"
    )


def test_schema_md_documents_every_column() -> None:
    text = schema_doc.SCHEMA_MD.read_text(encoding="utf-8")
    con = schema_doc.fresh_warehouse()
    try:
        rels = schema_doc.relations(con)
    finally:
        con.close()
    for r in rels:
        assert f"### {r.name}\n\n*{r.kind}*." in text
        for c in r.columns:
            assert f"| `{c.name}` | `{c.type}` |" in text, f"{r.name}.{c.name}"


def test_comments_survive_in_a_warehouse_file(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db).close()
    con = connect(db, read_only=True)
    try:
        (comment,) = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'evidence'"
            " AND column_name = 'lag_hours'"
        ).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert "Hours from the email" in comment


def test_check_mode_fails_on_a_stale_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "schema.md"
    assert schema_doc.main(["--check", "--path", str(doc)]) == 1
    assert "is missing" in capsys.readouterr().err
    assert schema_doc.main(["--write", "--path", str(doc)]) == 0
    assert schema_doc.main(["--check", "--path", str(doc)]) == 0
    doc.write_text(doc.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    assert schema_doc.main(["--check", "--path", str(doc)]) == 1
    err = capsys.readouterr().err
    assert "out of date" in err and "schema_doc --write" in err
