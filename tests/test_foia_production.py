"""Production-level intake: quoted-block attribution, mailbox time zones, the ingest step."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from foia.link import link_production
from foia.models import Message, QuotedBlock
from foia.tzinfer import explicit_offset, resolve_print_times
from foiatrace.ingest_step import ingest
from warehouse.db import connect


def _printed(bates: str, owner: str, sender: str, sent: str, own: str,
             quoted: list[QuotedBlock] | None = None) -> Message:  # fmt: skip
    return Message(
        source_file="p.pdf", source_sha256="x", source_kind="pdf", bates=bates,
        mailbox_owner=owner, email_from=sender, sent_at_raw=sent, subject="Re: case",
        own_text=own, quoted=quoted or [],
    )  # fmt: skip


def _quote(sender: str, sent: str, text: str) -> QuotedBlock:
    return QuotedBlock("outlook", text, 0, 10, header_from=sender, header_sent=sent,
                       header_subject="case")  # fmt: skip


Q1 = "Can you confirm whether he had a removal order before the arrest?"
A1 = "He was ordered removed by an immigration judge in 2017 and stayed."


def _production() -> list[Message]:
    """A Hawaii mailbox (no DST) replying to a Chicago office, in winter and in summer."""
    return [
        _printed("ZZ-1", "boss@agency.example", "reporter@paper.example",
                 "Monday, January 7, 2019 10:00 AM", Q1),
        _printed("ZZ-2", "kai@agency.example", "kai@agency.example",
                 "Monday, January 7, 2019 8:30 AM", A1,
                 [_quote("reporter@paper.example", "Monday, January 7, 2019 6:00 AM", Q1)]),
        _printed("ZZ-3", "boss@agency.example", "boss@agency.example",
                 "Monday, January 7, 2019 1:00 PM", "Thanks, approved.",
                 [_quote("kai@agency.example", "Monday, January 7, 2019 12:30 PM", A1),
                  _quote("reporter@paper.example", "Monday, January 7, 2019 10:00 AM", Q1)]),
        _printed("ZZ-4", "kai@agency.example", "kai@agency.example",
                 "Monday, July 8, 2019 9:00 AM", "Summer answer about the detainer he had.",),
        _printed("ZZ-5", "boss@agency.example", "boss@agency.example",
                 "Monday, July 8, 2019 3:00 PM", "Noted.",
                 [_quote("kai@agency.example", "Monday, July 8, 2019 2:00 PM",
                         "Summer answer about the detainer he had.")]),
    ]  # fmt: skip


def test_quoted_blocks_link_to_the_message_that_wrote_them() -> None:
    msgs = _production()
    stats = link_production(msgs)
    assert stats["linked"] == stats["blocks"] == 4
    assert [q.origin_bates for q in msgs[2].quoted] == ["ZZ-2", "ZZ-1"]
    assert msgs[1].quoted[0].origin_bates == "ZZ-1"


def test_zone_of_a_mailbox_inferred_from_quoted_copies() -> None:
    msgs = _production()
    link_production(msgs)
    resolve_print_times(msgs, "America/Chicago")
    kai = [m for m in msgs if m.mailbox_owner == "kai@agency.example"]
    # Winter: Chicago -6, Hawaii -10 (4 h); summer: -5 vs -10 (5 h): only Honolulu fits both.
    assert {m.sent_tz for m in kai} == {"Pacific/Honolulu"}
    assert kai[0].sent_at == datetime(2019, 1, 7, 18, 30, tzinfo=UTC)
    assert all(0.3 < (m.sent_tz_confidence or 0) < 1 for m in kai)
    boss = [m for m in msgs if m.mailbox_owner == "boss@agency.example"]
    assert {m.sent_tz for m in boss} == {"America/Chicago"}
    assert "assumed" in (boss[0].sent_tz_basis or "")


def test_printed_offsets_pin_a_zone() -> None:
    assert explicit_offset("Tue, Mar 5, 2019 at 4:12 PM -0500").total_seconds() == -5 * 3600
    assert explicit_offset("March 5, 2019 4:12 PM PDT").total_seconds() == -7 * 3600
    assert explicit_offset("Monday, June 18, 2018 4:05 PM") is None


def _eml(i: int, body: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Pat Example <pat@agency.example>"
    m["To"] = "lee@paper.example"
    m["Subject"] = "Status"
    m["Date"] = "Tue, 05 Mar 2019 10:00:00 -0500"
    m["Message-ID"] = f"<s{i}@agency.example>"
    m["X-Bates"] = f"QQ-19-000000{i}"
    m.set_content(body)
    return m.as_bytes()


def test_ingest_step_errors_idempotence_and_corrected_rerelease(tmp_path: Path) -> None:
    prod = tmp_path / "prod"
    prod.mkdir()
    (prod / "001.eml").write_bytes(_eml(1, "He is a citizen of Freedonia."))
    (prod / "002.eml").write_bytes(
        _eml(
            2,
            "Following up.\n\nOn Tue, Mar 5, 2019 at 10:00 AM Pat Example <pat@agency.example> "
            "wrote:\n> He is a citizen of Freedonia.\n",
        )  # fmt: skip
    )
    (prod / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (prod / "encrypted.zip").write_bytes(b"PK\x03\x04 not really")
    db = tmp_path / "w.duckdb"
    first = ingest(db, [prod], "p")
    assert (first["new"], first["errors"]) == (2, 2)
    again = ingest(db, [prod], "p")
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 2)
    (prod / "001.eml").write_bytes(_eml(1, "He is a citizen of Freedonia and of Ruritania."))
    fixed = ingest(db, [prod], "p")
    # The corrected message changes; so does the reply whose quote links to it (its score).
    assert fixed["new"] == 0 and fixed["changed"] >= 1
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM messages").fetchone() == (2,)
        errs = con.execute(
            "SELECT source, reason, times_seen FROM errors ORDER BY source"
        ).fetchall()
        assert [Path(s).name for s, _, _ in errs] == ["broken.pdf", "encrypted.zip"]
        assert all(n == 3 for _, _, n in errs)
        link = con.execute(
            "SELECT bates, origin_bates, origin_msg_key FROM quoted_origins"
        ).fetchall()
        assert link == [("QQ-19-0000002", "QQ-19-0000001", "p:QQ-19-0000001")]
        tz = con.execute("SELECT sent_tz, exemptions FROM messages LIMIT 1").fetchone()
        assert tz == (None, [])
    finally:
        con.close()


def test_eval_intake_agreement_on_dev(dev_scenario: Path, tmp_path: Path) -> None:
    from foiatrace.evals.intake import agreement, attribution

    eml_db, pdf_db = tmp_path / "e.duckdb", tmp_path / "p.duckdb"
    ingest(eml_db, [dev_scenario / "emails"], "eml")
    ingest(pdf_db, [dev_scenario / "production" / "production.pdf"], "pdf")
    res = agreement(eml_db, pdf_db)
    assert res["messages"] == 45
    # Measured 1.000 for every field and for attribution (59/59).
    for field, share in res["agree"].items():
        assert share >= 0.98, (field, res["misses"][field])
    assert attribution(eml_db, pdf_db)["rate"] >= 0.95


@pytest.mark.skipif(
    __import__("shutil").which("tesseract") is None, reason="tesseract-ocr not installed"
)
def test_scanned_printout_is_ocrd_and_split(tmp_path: Path) -> None:
    pytest.importorskip("ocrmypdf")
    pytest.importorskip("reportlab")
    from foia.ingest import iter_production
    from foiatrace.evals.intake import make_scanned
    from tests.test_foia_pdf import Production

    text_pdf = tmp_path / "text.pdf"
    p = Production(text_pdf, prefix="SCN-22-", start=31)
    p.outlook(
        "Example, Pat",
        [
            ("From:", "Example, Pat"),
            ("Sent:", "Monday, March 7, 2022 9:15 AM"),
            ("To:", "Lee Asker"),
            ("Subject:", "RE: status of (b)(6)"),
        ],
        "Lee,\n\nHe is a citizen of Freedonia who overstayed a visitor visa.\n\nPat",
    )
    p.withheld("(b)(5)", "Draft response")
    p.save()  # fmt: skip
    scanned = make_scanned(text_pdf, tmp_path / "scan.pdf", dpi=200)
    out = list(iter_production([scanned]))
    msgs = [m for m in out if isinstance(m, Message)]
    assert [(m.bates, m.withheld) for m in msgs] == [
        ("SCN-22-0000031", False),
        ("SCN-22-0000032", True),
    ]
    m = msgs[0]
    assert m.source_kind == "ocr" and m.subject == "RE: status of (b)(6)"
    assert "citizen of Freedonia" in m.own_text and m.sent_at is not None
    assert msgs[1].withheld_exemption == "(b)(5)"
