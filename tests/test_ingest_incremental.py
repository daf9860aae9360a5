"""Incremental intake: a file already read for a production is skipped, never re-read, and
skipping loses no quote link or inferred zone (a split production ingested in two runs
gives the very rows one run over all of it gives)."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pypdf import PdfReader, PdfWriter
from typer.testing import CliRunner

import foia.readers
from foia.ingest import iter_production
from foia.models import Message
from foiatrace.cli import app
from foiatrace.ingest_step import ingest
from warehouse.db import connect, migrate, migrations

ORIGINAL = "He is a citizen of Freedonia and entered on a student visa in 2016."


def _eml(n: int, body: str, reply_to: int | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = "Pat Example <pat@agency.example>"
    m["To"] = "lee@paper.example"
    m["Subject"] = "Re: the arrest" if reply_to else "The arrest"
    m["Date"] = f"Tue, 0{n} Mar 2019 10:00:00 -0500"
    m["Message-ID"] = f"<m{n}@agency.example>"
    m["X-Bates"] = f"QQ-19-000000{n}"
    if reply_to:
        m["In-Reply-To"] = f"<m{reply_to}@agency.example>"
        body += (
            f"\n\nOn Tue, Mar {reply_to}, 2019 at 10:00 AM Pat Example <pat@agency.example> "
            f"wrote:\n> {ORIGINAL}\n"
        )
    m.set_content(body)
    return m.as_bytes()


def _rows(db: Path) -> dict[str, Any]:
    con = connect(db, read_only=True)
    try:
        return {
            "emails": con.execute(
                "SELECT msg_key, record_sha256, sent_at, sent_tz, duplicate_of FROM emails"
                " ORDER BY msg_key"
            ).fetchall(),
            "quotes": con.execute(
                "SELECT msg_key, idx, origin_msg_key, origin_score FROM quoted_blocks"
                " ORDER BY msg_key, idx"
            ).fetchall(),
        }
    finally:
        con.close()


def _origins(db: Path) -> list[tuple[Any, ...]]:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT bates, origin_msg_key FROM quoted_origins").fetchall()
    finally:
        con.close()


def _counts(stats: dict[str, Any]) -> tuple[int, int, int]:
    return stats["files_seen"], stats["files_read"], stats["files_skipped"]


def test_unchanged_files_are_skipped_and_new_quotes_link_to_earlier_runs(tmp_path: Path) -> None:
    prod, db = tmp_path / "prod", tmp_path / "w.duckdb"
    prod.mkdir()
    (prod / "001.eml").write_bytes(_eml(1, ORIGINAL))
    first = ingest(db, [prod], "p")
    assert _counts(first) == (1, 1, 0) and first["new"] == 1

    (prod / "002.eml").write_bytes(_eml(2, "Following up on my note.", reply_to=1))
    second = ingest(db, [prod], "p")
    assert _counts(second) == (2, 1, 1)
    assert (second["new"], second["changed"], second["earlier_messages"]) == (1, 0, 1)
    assert _origins(db) == [("QQ-19-0000002", "p:QQ-19-0000001")]

    third = ingest(db, [prod], "p")
    assert _counts(third) == (2, 0, 2)
    assert (third["new"], third["changed"], third["unchanged"]) == (0, 0, 2)
    assert ingest(db, [prod], "p", reread=True)["files_read"] == 2


def test_an_earlier_reply_links_to_its_original_arriving_later(tmp_path: Path) -> None:
    prod, db = tmp_path / "prod", tmp_path / "w.duckdb"
    prod.mkdir()
    (prod / "002.eml").write_bytes(_eml(2, "Following up on my note.", reply_to=1))
    ingest(db, [prod], "p")
    assert _origins(db) == [("QQ-19-0000002", None)]
    (prod / "001.eml").write_bytes(_eml(1, ORIGINAL))
    later = ingest(db, [prod], "p")
    assert _counts(later) == (2, 1, 1)
    # The stored reply changes (its quote now has an origin) and is rewritten, unread.
    assert (later["new"], later["changed"]) == (1, 1)
    assert _origins(db) == [("QQ-19-0000002", "p:QQ-19-0000001")]

    whole = tmp_path / "whole.duckdb"
    ingest(whole, [prod], "p")
    assert _rows(whole) == _rows(db)


def _split_by_message(pdf: Path, out: Path) -> list[Path]:
    """One PDF per message of a printed production (real pages, cut where messages start)."""
    msgs = sorted(
        (m for m in iter_production([pdf]) if isinstance(m, Message)),
        key=lambda m: m.page_start or 0,
    )
    reader = PdfReader(pdf)
    files = []
    for i, m in enumerate(msgs):
        writer = PdfWriter()
        for p in range((m.page_start or 1) - 1, m.page_end or m.page_start or 1):
            writer.add_page(reader.pages[p])
        files.append(out / f"{i:03d}.pdf")
        writer.write(files[-1])
    return files


def test_printed_production_in_two_runs_equals_one_run(tmp_path: Path, demo_dir: Path) -> None:
    """Replies arrive before the messages they quote; links, duplicates and inferred zones
    (which mailbox clock a printed time is on) come out as if read at once."""
    parts = tmp_path / "parts"
    parts.mkdir()
    files = _split_by_message(demo_dir / "production" / "production.pdf", parts)
    assert len(files) >= 6
    prod = tmp_path / "prod"
    prod.mkdir()
    half = len(files) // 2
    for f in files[half:]:
        shutil.copy(f, prod / f.name)
    inc = tmp_path / "inc.duckdb"
    ingest(inc, [prod], "p")
    for f in files[:half]:
        shutil.copy(f, prod / f.name)
    second = ingest(inc, [prod], "p")
    assert _counts(second) == (len(files), half, len(files) - half)
    whole = tmp_path / "whole.duckdb"
    ingest(whole, [prod], "p")
    rows = _rows(whole)
    assert rows == _rows(inc)
    assert any(origin for _, _, origin, _ in rows["quotes"])
    assert any(tz for _, _, _, tz, _ in rows["emails"])


def test_reader_version_and_options_decide_what_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, db = tmp_path / "prod", tmp_path / "w.duckdb"
    prod.mkdir()
    (prod / "001.eml").write_bytes(_eml(1, ORIGINAL))
    (prod / "C0000001.txt").write_bytes(
        b"UNCLASSIFIED U.S. Department of State Case No. F-2014-20439 Doc No. C0000001\n\n"
        b"From:        Roe, Jane <roej@state.example>\nSent:        Monday, March 1, 2010 9:15 AM\n"
        b"To:          doe@state.example\nSubject:     Points\n\nSee the points.\n"
    )
    assert ingest(db, [prod], "p")["files_read"] == 2
    # Text releases are read in --timezone; EML is not: only the text file is read again.
    assert _counts(ingest(db, [prod], "p", timezone="America/Chicago")) == (2, 1, 1)
    assert _counts(ingest(db, [prod], "p", timezone="America/Chicago")) == (2, 0, 2)
    monkeypatch.setattr(foia.readers, "INTAKE_VERSION", foia.readers.INTAKE_VERSION + 1)
    assert _counts(ingest(db, [prod], "p", timezone="America/Chicago")) == (2, 2, 0)
    # The same bytes in another production are that production's to read.
    assert _counts(ingest(db, [prod], "other")) == (2, 2, 0)


def test_zip_members_already_read_are_skipped(tmp_path: Path) -> None:
    prod, db = tmp_path / "prod", tmp_path / "w.duckdb"
    prod.mkdir()
    with zipfile.ZipFile(prod / "batch.zip", "w") as zf:
        zf.writestr("mail/001.eml", _eml(1, ORIGINAL))
    assert _counts(ingest(db, [prod], "p")) == (2, 2, 0)  # the archive and its member
    assert _counts(ingest(db, [prod], "p")) == (1, 0, 1)  # unchanged archive: not opened
    with zipfile.ZipFile(prod / "batch.zip", "a") as zf:
        zf.writestr("mail/002.eml", _eml(2, "Following up on my note.", reply_to=1))
    grown = ingest(db, [prod], "p")
    assert _counts(grown) == (3, 2, 1)  # opened again; the member read before is skipped
    assert _origins(db) == [("QQ-19-0000002", "p:QQ-19-0000001")]


def test_a_file_that_gave_only_errors_is_tried_again(tmp_path: Path) -> None:
    prod, db = tmp_path / "prod", tmp_path / "w.duckdb"
    prod.mkdir()
    (prod / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    first = ingest(db, [prod], "p")
    assert _counts(first) == (1, 1, 0) and (first["files_retried"], first["errors"]) == (0, 1)
    again = ingest(db, [prod], "p")
    assert _counts(again) == (1, 1, 0) and (again["files_retried"], again["errors"]) == (1, 1)
    con = connect(db, read_only=True)
    try:
        row = con.execute("SELECT kind, messages, errors, complete FROM source_files").fetchall()
        assert row == [("pdf", 0, 1, False)]
    finally:
        con.close()


def test_unsupported_file_in_a_folder_is_an_error_row_and_a_printed_line(tmp_path: Path) -> None:
    prod, db = tmp_path / "prod", tmp_path / "w.duckdb"
    prod.mkdir()
    (prod / "001.eml").write_bytes(_eml(1, ORIGINAL))
    (prod / "notes.docx").write_bytes(b"a cover letter")
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", str(prod), "--json"])
    assert result.exit_code == 0, result.output
    assert f"{prod / 'notes.docx'}: unsupported format: .docx" in result.output
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT step, source, reason FROM errors").fetchall() == [
            ("ingest", str(prod / "notes.docx"), "unsupported format: .docx")
        ]
    finally:
        con.close()
    plain = CliRunner().invoke(app, ["--db", str(db), "ingest", str(prod)], env={"COLUMNS": "300"})
    line = f"warning: {prod / 'notes.docx'}: unsupported format: .docx"
    assert line in plain.output.splitlines()
    assert "files_skipped" in plain.output


def test_old_source_files_rows_survive_the_migration_and_are_read_again(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL)"
    )
    for version, name, sql in migrations():
        if version < 7:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    prod = tmp_path / "prod"
    prod.mkdir()
    (prod / "001.eml").write_bytes(_eml(1, ORIGINAL))
    sha = hashlib.sha256((prod / "001.eml").read_bytes()).hexdigest()
    con.execute(
        "INSERT INTO source_files VALUES (?, ?, 'p', 'eml', 1, now())", [sha, str(prod / "x")]
    )
    assert "0007_source_files_incremental" in migrate(con)
    kept = con.execute("SELECT production, sha256, reader_version FROM source_files").fetchall()
    assert kept == [("p", sha, None)]
    con.close()
    assert _counts(ingest(db, [prod], "p")) == (1, 1, 0)  # no version recorded: read again
    assert _counts(ingest(db, [prod], "p")) == (1, 0, 1)


def _opens_the_warehouse(path: Path, opts: object) -> list[Message]:
    """A reader that, while it parses, opens the warehouse for writing from its own process
    (the parse worker): possible only if ingest does not hold the file while parsing."""
    import os

    try:
        duckdb.connect(os.environ["FOIATRACE_TEST_DB"]).close()
        subject = "warehouse free while parsing"
    except duckdb.Error as exc:
        subject = f"warehouse held: {exc}"
    return [Message(source_file=str(path), source_sha256="x", source_kind="eml", bates="L-1",
                    subject=subject, own_text="hello")]  # fmt: skip


def test_ingest_does_not_hold_the_warehouse_while_it_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing (OCR above all) can take long: a reader of the warehouse, or another step,
    must not be locked out meanwhile. Only the write phase holds the file."""
    db = tmp_path / "w.duckdb"
    connect(db).close()
    monkeypatch.setenv("FOIATRACE_TEST_DB", str(db))
    probe = foia.readers.Reader("eml", (".eml",), _opens_the_warehouse, 99, "probe")
    monkeypatch.setitem(foia.readers.BY_NAME, "eml", probe)
    prod = tmp_path / "prod"
    prod.mkdir()
    (prod / "a.eml").write_bytes(_eml(1, ORIGINAL))
    ingest(db, [prod], "p")
    con = connect(db, read_only=True)
    subjects = con.execute("SELECT subject FROM emails").fetchall()
    con.close()
    assert subjects == [("warehouse free while parsing",)]
