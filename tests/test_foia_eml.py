"""EML reader on small fictional messages, including broken and odd encodings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from foia.eml import EmlError, parse_eml, parse_eml_bytes
from foia.ingest import iter_production
from foia.models import IngestError, Message

PLAIN = b"""\
Message-ID: <abc123@mail.paper.example>
In-Reply-To: <prev1@agency.example>
References: <root0@paper.example> <prev1@agency.example>
Date: Tue, 19 Jun 2018 09:12:31 -0700
From: "Example, Pat" <Pat.Example@Agency.example>
To: Lee Asker <LEE@paper.example>, other@paper.example
Cc: Press Desk <press@agency.example>
Subject: RE: (b)(6) - detainer?
X-Bates: ABC-19-0000042
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

Lee,

(b)(6), 34, is a citizen of Freedonia and overstayed a B1/B2 visa that expire=
d 3/14/2016.

Pat

________________________________
From: Lee Asker <lee@paper.example>
Sent: Monday, June 18, 2018 4:05 PM
To: Example, Pat <pat.example@agency.example>
Subject: (b)(6) - detainer?

Is there a detainer?
"""


def test_headers_and_own_text(tmp_path: Path) -> None:
    path = tmp_path / "001.eml"
    path.write_bytes(PLAIN)
    msg = parse_eml(path)
    assert msg.bates == msg.bates_end == "ABC-19-0000042"
    assert msg.message_id == "abc123@mail.paper.example"
    assert msg.in_reply_to == "prev1@agency.example"
    assert msg.references == ["root0@paper.example", "prev1@agency.example"]
    assert msg.sent_at == datetime(2018, 6, 19, 16, 12, 31, tzinfo=UTC)
    assert msg.email_from == "pat.example@agency.example"
    assert msg.from_name == "Example, Pat"
    assert msg.email_to == ["lee@paper.example", "other@paper.example"]
    assert msg.email_cc == ["press@agency.example"]
    assert "expired 3/14/2016" in msg.own_text
    assert msg.own_text.startswith("Lee,\n\n(b)(6), 34")
    assert msg.quoted[0].text == "Is there a detainer?"
    codes = [r.code for r in msg.redactions]
    assert codes[0] == "(b)(6)" and msg.redactions[0].start == -1  # subject marker
    assert msg.source_kind == "eml" and len(msg.source_sha256) == 64


def test_unknown_charset_is_replaced_not_fatal() -> None:
    data = (
        b"From: a@b.example\nSubject: x\nDate: Mon, 7 Jan 2019 10:00:00 -0500\n"
        b"Content-Type: text/plain; charset=x-unknown-9\n\nCaf\xe9 ol\xe9\n"
    )
    msg = parse_eml_bytes(data, "x.eml")
    assert msg.body.startswith("Caf")
    assert "\ufffd" in msg.body


def test_html_only_body_falls_back_to_text() -> None:
    data = (
        b"From: a@b.example\nSubject: x\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><body><p>He is a <b>citizen</b> of Freedonia.</p>"
        b"<div>On Mon, Jan 7, 2019 at 10:00 AM Lee &lt;lee@p.example&gt; wrote:</div>"
        b"<blockquote><p>Status?</p></blockquote></body></html>"
    )
    msg = parse_eml_bytes(data, "x.eml")
    assert msg.own_text == "He is a citizen of Freedonia."
    assert msg.quoted[0].text == "Status?"
    assert msg.sent_at is None


@pytest.mark.parametrize(
    "data", [b"", b"\x00\x01\x02garbage\xff" * 10, b"just some words, no headers at all\n"]
)
def test_broken_eml_raises(data: bytes) -> None:
    with pytest.raises(EmlError):
        parse_eml_bytes(data, "bad.eml")


def test_broken_eml_gives_ingest_error_naming_file(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(PLAIN)
    (tmp_path / "b.eml").write_bytes(b"\x00\xff\xfe not mail")
    (tmp_path / "c.eml").write_bytes(b"")
    out = list(iter_production([tmp_path]))
    assert isinstance(out[0], Message)
    assert [type(x) for x in out[1:]] == [IngestError, IngestError]
    assert out[1].source_file.endswith("b.eml") and "broken EML" in out[1].reason
    assert out[2].source_file.endswith("c.eml") and "empty" in out[2].reason
