"""Attachments: a statement attached as PDF or DOCX is read, stored with its provenance and
matched as the message's own text; a broken one is recorded and the message still ingests.

Real components throughout: EML files built here with real PDF (reportlab) and DOCX (a zip
written here) attachments, the real ingest step into a DuckDB file, the real matcher.
"""

from __future__ import annotations

import email
import hashlib
import io
import zipfile
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from foia import attachments as att_mod
from foia.attachments import docx_text, read_attachment
from foia.eml import parse_eml_bytes
from foia.mailfiles import read_mbox, read_msg
from foia.models import Message
from foiatrace import pipeline
from warehouse import load
from warehouse.db import connect

PDF_SENTENCE = "Paulo Restrepo is a citizen of Colombia."
DOCX_SENTENCE = "He overstayed a B1/B2 visa that expired 4/9/2017."
PRINTED = (
    "Restrepo, a Colombian national, stayed after his tourist visa ran out in April 2017, "
    "federal officials said.\n\nThe school board meets Tuesday."
)
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_pdf(*lines: str) -> bytes:
    """A one-page PDF with a text layer, one line per string ("": a gap) (reportlab)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=True)  # the same bytes every run
    y = 720
    for line in lines:
        c.drawString(72, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def make_docx(*paragraphs: list[str]) -> bytes:
    """A minimal valid .docx: content types, package relationship, ``word/document.xml``;
    each paragraph given as its runs (Word splits a sentence into runs freely)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(
        "<w:p>"
        + "".join(f'<w:r><w:t xml:space="preserve">{r}</w:t></w:r>' for r in runs)
        + "</w:p>"
        for runs in paragraphs
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            f'ContentType="{DOCX_TYPE}.main+xml"/>'
            "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>',
        )
    return buf.getvalue()


def make_eml(
    body: str,
    *,
    msg_id: str,
    sender: str = "Press Office <press@ice.agency.gov>",
    to: str = "Kim Lee <kim@tribune.example>",
    date: str = "Mon, 01 Mar 2021 15:00:00 +0000",
    subject: str = "Re: Restrepo",
    files: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    msg = EmailMessage(policy=default_policy)
    msg["From"], msg["To"], msg["Date"], msg["Subject"] = sender, to, date, subject
    msg["Message-ID"] = f"<{msg_id}>"
    msg.set_content(body)
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


QUESTION = "Is Paulo Restrepo a citizen of Colombia? What is his immigration status?"
REPLY = (
    "Kim, please see the attached statement and fact sheet.\n\n"
    "On Mon, Mar 1, 2021 at 9:00 AM Kim Lee <kim@tribune.example> wrote:\n"
    f"> {QUESTION}\n"
)


def _production(folder: Path, *, with_question: bool = True) -> Path:
    """The press office's reply (PDF + DOCX attached), an internal note with a broken PDF
    and, optionally, the reporter's question; files already there are left as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = make_pdf("U.S. Immigration and Customs Enforcement - Statement", "", PDF_SENTENCE)
    docx = make_docx(["Fact sheet"], ["He overstayed a B1/B2 visa ", "that expired 4/9/2017."])
    files = {
        "002-reply.eml": make_eml(
            REPLY,
            msg_id="reply@ice.agency.gov",
            files=(("statement.pdf", PDF_TYPE, pdf), ("fact-sheet.docx", DOCX_TYPE, docx)),
        ),
        "003-internal.eml": make_eml(
            "Sent the statement to the Tribune. Thanks.",
            msg_id="internal@ice.agency.gov",
            to="ERO <ero@ice.agency.gov>",
            date="Mon, 01 Mar 2021 15:30:00 +0000",
            files=(("broken.pdf", PDF_TYPE, b"%PDF-1.4\n\x00\x01 this is not a PDF at all"),),
        ),
    }
    if with_question:
        files["001-question.eml"] = make_eml(
            QUESTION,
            msg_id="question@tribune.example",
            sender="Kim Lee <kim@tribune.example>",
            to="Press Office <press@ice.agency.gov>",
            date="Mon, 01 Mar 2021 14:00:00 +0000",
            subject="Restrepo",
        )
    for name, data in files.items():
        if not (folder / name).exists():
            (folder / name).write_bytes(data)
    return folder


def _attached_bytes(eml: bytes, filename: str) -> bytes:
    """The bytes of the attachment ``filename`` as they travel in the message."""
    msg = email.message_from_bytes(eml, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    for part in msg.iter_attachments():
        if part.get_filename() == filename:
            return part.get_content()
    raise AssertionError(filename)


def _attachments(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT message_id, idx, filename, content_type, sha256, size, text, error"
            " FROM message_attachments ORDER BY message_id, idx"
        ).fetchall()
    finally:
        con.close()


def test_attachment_text_is_stored_and_matched(tmp_path: Path) -> None:
    prod = _production(tmp_path / "prod")
    db = tmp_path / "w.duckdb"
    stats = pipeline.ingest(db, [prod], "p")
    assert stats["new"] == 3 and stats["errors"] == 0, stats

    rows = _attachments(db)
    by_name = {r[2]: r for r in rows}
    assert [r[2] for r in rows] == ["broken.pdf", "statement.pdf", "fact-sheet.docx"]
    pdf_row, docx_row = by_name["statement.pdf"], by_name["fact-sheet.docx"]
    assert pdf_row[0] == docx_row[0] == "reply@ice.agency.gov"
    assert (pdf_row[1], docx_row[1]) == (0, 1)  # the message's order
    assert PDF_SENTENCE in pdf_row[6] and pdf_row[7] is None
    assert docx_row[6] == "Fact sheet\n\n" + DOCX_SENTENCE and docx_row[3] == DOCX_TYPE
    reply = (prod / "002-reply.eml").read_bytes()
    assert pdf_row[4] == hashlib.sha256(_attached_bytes(reply, "statement.pdf")).hexdigest()

    # A broken attachment is recorded with its reason; its message is stored all the same.
    broken = by_name["broken.pdf"]
    assert broken[0] == "internal@ice.agency.gov" and broken[6] is None
    assert broken[7] and broken[7].startswith("unreadable pdf")
    assert len(broken[4]) == 64 and broken[5] > 0

    con = connect(db)
    load.upsert_article_versions(
        con,
        [
            {
                "url": "https://tribune.example/restrepo.html",
                "outlet": "tribune",
                "text": PRINTED,
                "published_at": "2021-03-03T15:00:00+00:00",
                "fetched_at": "2021-03-04T00:00:00+00:00",
            }
        ],
    )
    own = con.execute(
        "SELECT own_text FROM messages WHERE message_id = 'reply@ice.agency.gov'"
    ).fetchone()
    con.close()
    assert own and "Colombia" not in own[0] and "overstayed" not in own[0]

    pipeline.match(db)
    con = connect(db, read_only=True)
    evidence = con.execute(
        "SELECT message_id, detail_key, email_quote FROM evidence ORDER BY detail_key"
    ).fetchall()
    con.close()
    found = {(m, k): q for m, k, q in evidence}
    assert found.get(("reply@ice.agency.gov", "citizenship:colombia")) == PDF_SENTENCE, evidence
    assert any(m == "reply@ice.agency.gov" and q == DOCX_SENTENCE for (m, _), q in found.items())
    assert not any(m == "question@tribune.example" for m, _ in found)  # the reporter's question


def test_reingest_never_duplicates_and_a_relinked_message_keeps_its_attachments(
    tmp_path: Path,
) -> None:
    prod = _production(tmp_path / "prod", with_question=False)
    db = tmp_path / "w.duckdb"
    pipeline.ingest(db, [prod], "p")
    first = _attachments(db)
    assert len(first) == 3
    again = pipeline.ingest(db, [prod], "p", reread=True)
    assert again["new"] == 0 and again["changed"] == 0, again
    assert _attachments(db) == first
    # The reporter's question arrives later: the stored reply's quote now links to it, so
    # the reply is rebuilt from the warehouse and written again, attachments and all.
    _production(prod, with_question=True)
    later = pipeline.ingest(db, [prod], "p")
    assert later["new"] == 1 and later["changed"] == 1, later
    assert _attachments(db) == first
    con = connect(db, read_only=True)
    origin = con.execute(
        "SELECT origin_message_id FROM quoted_origins WHERE msg_key = 'p:<reply@ice.agency.gov>'"
    ).fetchall()
    con.close()
    assert origin == [("question@tribune.example",)]


def test_readers_bumped_for_attachments() -> None:
    from foia.readers import BY_EXTENSION

    assert all(BY_EXTENSION[e].version >= 2 for e in (".eml", ".mbox", ".msg", ".pst"))


def test_kinds_read_and_recorded() -> None:
    latin = read_attachment("note.txt", "text/plain", "Año 2019 – señor".encode("cp1252"), "cp1252")
    assert latin.text == "Año 2019 – señor" and latin.error is None
    bad = read_attachment("note.txt", None, b"caf\xe9 ok", None)  # no charset: UTF-8, replaced
    assert bad.text == "caf\ufffd ok" and bad.content_type == "text/plain"
    image = read_attachment("seal.png", "image/png", b"\x89PNG\r\n\x1a\n....")
    assert image.text is None and image.error is None and image.size == 12
    assert image.sha256 == hashlib.sha256(b"\x89PNG\r\n\x1a\n....").hexdigest()
    not_zip = read_attachment("x.docx", DOCX_TYPE, b"PK but not really a zip")
    assert not_zip.text is None and not_zip.error and "docx" in not_zip.error
    assert docx_text(make_docx(["a ", "b"], [], ["c"])) == "a b\n\nc"


def test_oversized_attachment_is_recorded_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(att_mod, "MAX_ATTACHMENT_BYTES", 100)
    big = read_attachment("big.pdf", PDF_TYPE, make_pdf(PDF_SENTENCE))
    assert big.text is None and big.error and big.error.startswith("too large")
    assert big.size > 100 and len(big.sha256) == 64


def test_mbox_and_msg_messages_carry_attachments(tmp_path: Path) -> None:
    eml = make_eml(
        "See attached.",
        msg_id="m@ice.agency.gov",
        files=(("s.txt", "text/plain", PDF_SENTENCE.encode()),),
    )
    box = tmp_path / "a.mbox"
    box.write_bytes(b"From press@ice.agency.gov Mon Mar  1 15:00:00 2021\n" + eml + b"\n")
    (msg,) = [m for m in read_mbox(box) if isinstance(m, Message)]
    assert [(a.filename, a.text) for a in msg.attachments] == [("s.txt", PDF_SENTENCE)]
    assert parse_eml_bytes(eml, "x.eml").attachments == msg.attachments
    pytest.importorskip("extract_msg")
    sample = Path(__file__).parent / "fixtures/foia/samples/outlook-test.msg"
    (outlook,) = list(read_msg(sample))
    assert isinstance(outlook, Message)
    (jpg,) = outlook.attachments
    assert jpg.content_type == "image/jpeg" and jpg.text is None and jpg.size > 0
