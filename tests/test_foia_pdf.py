"""PDF production reader on small productions drawn with reportlab (fictional people).

The builder prints like a FOIA processing tool: Outlook and webmail printouts, a
wrapped body (long URLs broken mid-token), a Bates footer, a withheld placeholder.
The Bates prefix and layout sizes deliberately differ from the dev scenario.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("reportlab")
from pypdf import PdfReader, PdfWriter  # noqa: E402
from reportlab.lib.pagesizes import letter  # noqa: E402
from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from foia.ingest import iter_production  # noqa: E402
from foia.models import IngestError, Message  # noqa: E402
from foia.pdf import parse_pdf  # noqa: E402

BODY_FONT, SIZE, PITCH = "Helvetica", 10.0, 12.0
LEFT, RIGHT, TOP, BOTTOM = 60.0, 540.0, 730.0, 70.0


def _wrap(text: str) -> list[str]:
    """Word-wrap one source line; a word wider than the line is broken by characters."""
    width = RIGHT - LEFT
    out: list[str] = []
    cur = ""
    for word in text.split(" "):
        cand = f"{cur} {word}" if cur else word
        if stringWidth(cand, BODY_FONT, SIZE) <= width:
            cur = cand
            continue
        if cur:
            out.append(cur)
        cur = word
        while stringWidth(cur, BODY_FONT, SIZE) > width:
            cut = len(cur)
            while stringWidth(cur[:cut], BODY_FONT, SIZE) > width:
                cut -= 1
            out.append(cur[:cut])
            cur = cur[cut:]
    out.append(cur)
    return out


class Production:
    """Draws a Bates-stamped production page by page."""

    def __init__(self, path: Path, prefix: str = "XYZ_", start: int = 5001) -> None:
        self.c = Canvas(str(path), pagesize=letter)
        self.prefix, self.number = prefix, start
        self.y = TOP

    def _footer(self) -> None:
        self.c.setFont("Helvetica", 7)
        self.c.drawString(LEFT, 28, "Case 2024-ABC-0099   Second interim release")
        self.c.setFont("Helvetica-Bold", 9)
        self.c.drawRightString(RIGHT + 30, 28, f"{self.prefix}{self.number:07d}")
        self.c.showPage()
        self.number += 1
        self.y = TOP

    def _body(self, body: str) -> None:
        for source in body.split("\n"):
            lines = _wrap(source) if source else [""]
            for line in lines:
                if self.y < BOTTOM:
                    self._footer()
                if line:
                    self.c.setFont(BODY_FONT, SIZE)
                    self.c.drawString(LEFT, self.y, line)
                self.y -= PITCH
        self._footer()

    def outlook(self, owner: str, rows: list[tuple[str, str]], body: str) -> None:
        self.c.setFont("Helvetica-Bold", 14)
        self.c.drawString(LEFT, TOP, owner)
        self.c.line(LEFT, TOP - 6, RIGHT, TOP - 6)
        y = TOP - 22
        for label, value in rows:
            self.c.setFont("Helvetica-Bold", 10)
            self.c.drawString(LEFT, y, label)
            self.c.setFont("Helvetica", 10)
            self.c.drawString(LEFT + 80, y, value)
            y -= 13
        self.y = y - 12
        self._body(body)

    def webmail(self, subject: str, sender: str, date: str, to: str, body: str) -> None:
        self.c.setFont("Helvetica", 7)
        self.c.drawString(LEFT, 760, f"Agency Mail - {subject}")
        self.c.drawRightString(RIGHT, 760, "3/1/2024")
        self.c.setFont("Helvetica-Bold", 13)
        self.c.drawString(LEFT, TOP, subject)
        self.c.setFont("Helvetica-Bold", 9.5)
        self.c.drawString(LEFT, TOP - 20, sender)
        self.c.setFont("Helvetica", 8.5)
        self.c.drawRightString(RIGHT, TOP - 20, date)
        self.c.drawString(LEFT, TOP - 32, f"To: {to}")
        self.y = TOP - 52
        self._body(body)

    def withheld(self, code: str, reason: str) -> None:
        self.c.setFont("Helvetica-Bold", 20)
        self.c.drawCentredString(306, 450, "Withheld in Full")
        self.c.setFont("Helvetica-Bold", 16)
        self.c.drawCentredString(306, 420, code)
        self.c.setFont("Helvetica", 11)
        self.c.drawCentredString(306, 400, reason)
        self._footer()

    def save(self) -> None:
        self.c.save()


URL = "https://news.paper.example/2024/02/10/" + "a-very-long-story-slug-" * 6 + "end.html"
LONG_PARA = (
    "He is a citizen of Freedonia who was admitted on a visitor visa in 2015 and overstayed; "
    "an immigration judge ordered him removed in 2019, and the agency lodged a detainer "
    "with the county jail on Monday morning after his arrest."
)
REPLY_BODY = (
    "Lee,\n\n"
    + LONG_PARA
    + "\n\nSee "
    + URL
    + "\n\n"
    + ("More background sentence for filler. " * 150).strip()
    + "\n\nThanks,\nPat\n\nPat Example\nPress Officer\nOffice: (b)(6)\n\n"
    "________________________________\n"
    "From: Lee Asker <lee@paper.example>\n"
    "Sent: Monday, February 5, 2024 9:00 AM\n"
    "To: Example, Pat <pat.example@agency.example>\n"
    "Subject: status of (b)(6)\n\n"
    "What is his status?"
)


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prod") / "release.pdf"
    p = Production(path)
    p.webmail(
        "status of (b)(6)",
        "Lee Asker <lee@paper.example>",
        "Mon, Feb 5, 2024 at 9:00 AM",
        "Press Desk <press@agency.example>",
        "What is his status?\n\nLee",
    )
    p.withheld("(b)(5)", "Draft response - deliberative")
    p.outlook(
        "Example, Pat",
        [
            ("From:", "Example, Pat"),
            ("Sent:", "Tuesday, February 6, 2024 2:30 PM"),
            ("To:", "Lee Asker"),
            ("Subject:", "RE: status of (b)(6)"),
        ],
        REPLY_BODY,
    )
    p.save()
    return path


def test_messages_bates_and_withheld(production: Path) -> None:
    recs = parse_pdf(production)
    assert all(isinstance(r, Message) for r in recs)
    msgs = [r for r in recs if isinstance(r, Message)]
    assert [m.bates for m in msgs] == ["XYZ_0005001", "XYZ_0005002", "XYZ_0005003"]
    web, held, reply = msgs
    assert held.withheld and held.withheld_exemption == "(b)(5)"
    assert reply.page_start == 3 and reply.page_end == 4 and reply.bates_end == "XYZ_0005004"
    assert web.email_from == "lee@paper.example"
    assert web.subject == "status of (b)(6)"
    assert web.email_to == ["press@agency.example"]
    assert web.own_text == "What is his status?"


def test_outlook_names_resolved_and_time_in_default_zone(production: Path) -> None:
    reply = [r for r in parse_pdf(production) if isinstance(r, Message)][2]
    assert reply.email_from == "pat.example@agency.example"  # from a quoted header
    assert reply.email_to == ["lee@paper.example"]
    assert reply.subject == "RE: status of (b)(6)"
    assert reply.sent_at == datetime(2024, 2, 6, 19, 30, tzinfo=UTC)
    assert reply.sent_at_raw == "Tuesday, February 6, 2024 2:30 PM"
    later = [
        r for r in parse_pdf(production, default_tz="America/Denver") if isinstance(r, Message)
    ]
    assert later[2].sent_at == datetime(2024, 2, 6, 21, 30, tzinfo=UTC)


def test_body_rewrapped_footer_stripped_and_split(production: Path) -> None:
    reply = [r for r in parse_pdf(production) if isinstance(r, Message)][2]
    assert LONG_PARA in reply.own_text  # wrapped lines rejoined with spaces
    assert f"See {URL}" in reply.own_text  # the URL broken mid-token is whole again
    filler = ("More background sentence for filler. " * 150).strip()
    assert filler in reply.own_text  # a paragraph running over the page break
    assert "XYZ_" not in reply.body and "Case 2024" not in reply.body
    assert reply.own_text.startswith("Lee,\n\n")
    assert reply.own_text.endswith("Thanks,")
    assert reply.signature.startswith("Pat\n\nPat Example")
    assert [q.text for q in reply.quoted] == ["What is his status?"]
    assert reply.quoted[0].header_from == "lee@paper.example"


def _bad(tmp_path: Path, name: str, data: bytes) -> list[Message | IngestError]:
    path = tmp_path / name
    path.write_bytes(data)
    return list(iter_production([path]))


def test_corrupt_pdf(tmp_path: Path) -> None:
    out = _bad(tmp_path, "junk.pdf", b"this is not a pdf \x00\x01" * 50)
    assert len(out) == 1 and isinstance(out[0], IngestError)
    assert out[0].source_file.endswith("junk.pdf") and "PDF" in out[0].reason


def test_truncated_pdf(tmp_path: Path, production: Path) -> None:
    out = _bad(tmp_path, "cut.pdf", production.read_bytes()[:400])
    assert all(isinstance(x, IngestError) for x in out) and out
    assert out[0].source_file.endswith("cut.pdf")


def test_zero_byte_pdf(tmp_path: Path) -> None:
    out = _bad(tmp_path, "empty.pdf", b"")
    assert isinstance(out[0], IngestError) and out[0].reason == "empty file (0 bytes)"


def test_encrypted_pdf(tmp_path: Path, production: Path) -> None:
    writer = PdfWriter()
    for page in PdfReader(production).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    out = list(iter_production([path, tmp_path / "missing-next.eml"]))
    assert isinstance(out[0], IngestError) and out[0].source_file.endswith("locked.pdf")
    assert "encrypted" in out[0].reason
    assert len(out) == 2  # iteration went on to the next path


def test_owner_password_only_pdf_is_read(tmp_path: Path, production: Path) -> None:
    writer = PdfWriter()
    for page in PdfReader(production).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "printable.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    msgs = [r for r in parse_pdf(path) if isinstance(r, Message)]
    assert len(msgs) == 3
