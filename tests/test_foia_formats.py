"""Native mail files (MBOX, MSG, PST), text releases, zip archives: real files, real readers."""

from __future__ import annotations

import mailbox
import os
import shutil
import subprocess
import tarfile
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from foia.ingest import iter_production
from foia.models import IngestError, Message
from foia.text_release import parse_text_release

SAMPLES = Path(__file__).parent / "fixtures" / "foia" / "samples"


def _mail(i: int, reply_to: str | None = None) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Pat Example <pat.example@agency.example>"
    m["To"] = "Lee Asker <lee@paper.example>"
    m["Subject"] = f"Question {i}"
    m["Date"] = f"Tue, 0{i} Mar 2022 10:1{i}:00 -0600"
    m["Message-ID"] = f"<m{i}@agency.example>"
    body = f"Answer number {i}: he is a citizen of Freedonia.\n"
    if reply_to:
        m["In-Reply-To"] = reply_to
        body += f"\nOn Mar 1, 2022, at 9:00 AM, Lee Asker <lee@paper.example> wrote:\n> Q{i}?\n"
    m.set_content(body)
    return m


def test_mbox_written_by_stdlib_writer(tmp_path: Path) -> None:
    path = tmp_path / "export.mbox"
    box = mailbox.mbox(str(path))
    for i in (1, 2, 3):
        box.add(_mail(i, "<q@paper.example>" if i == 2 else None))
    box.flush()
    box.close()
    out = list(iter_production([path]))
    msgs = [m for m in out if isinstance(m, Message)]
    assert [m.message_id for m in msgs] == [
        "m1@agency.example",
        "m2@agency.example",
        "m3@agency.example",
    ]
    assert [m.source_position for m in msgs] == [1, 2, 3]
    assert all(m.source_kind == "mbox" and m.source_file == str(path) for m in msgs)
    assert msgs[1].quoted and msgs[1].own_text.startswith("Answer number 2")
    assert msgs[0].sent_at is not None and msgs[0].sent_at.hour == 16  # -0600 -> UTC


def test_outlook_msg_sample() -> None:
    pytest.importorskip("extract_msg")
    path = SAMPLES / "outlook-test.msg"
    (msg,) = list(iter_production([path]))
    assert isinstance(msg, Message), msg
    assert msg.source_kind == "msg"
    assert msg.email_from == "christoph@freiraum.xyz"
    assert msg.subject == "asdf"
    assert msg.message_id == "000001d3c2c0$e7ca4aa0$b75edfe0$@freiraum.xyz"
    assert msg.sent_at is not None and msg.sent_at.isoformat() == "2018-03-23T16:06:29+00:00"


def test_corrupt_msg_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("extract_msg")
    bad = tmp_path / "bad.msg"
    bad.write_bytes(b"not an OLE file" * 10)
    (err,) = list(iter_production([bad]))
    assert isinstance(err, IngestError) and "MSG" in err.reason


def _enron_pst() -> Path:
    cache = Path(os.environ.get("FOIATRACE_SAMPLES", Path.home() / ".cache/foiatrace-test-samples"))
    pst = cache / "enron.pst"
    if pst.exists():
        return pst
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm not available to fetch the pst-extractor sample PST")
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([npm, "pack", "pst-extractor@1.12.0", "--silent"], cwd=cache,
                       check=True, timeout=120, capture_output=True)  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot fetch pst-extractor from the npm registry: {exc}")
    with tarfile.open(cache / "pst-extractor-1.12.0.tgz") as tar:
        member = tar.getmember("package/example/testdata/enron.pst")
        with tar.extractfile(member) as src, pst.open("wb") as out:  # type: ignore[union-attr]
            shutil.copyfileobj(src, out)
    return pst


def test_pst_sample_read_with_libpff() -> None:
    pytest.importorskip("pypff")
    pst = _enron_pst()
    out = list(iter_production([pst], max_bytes=64 * 2**20))
    msgs = [m for m in out if isinstance(m, Message)]
    errors = [e for e in out if isinstance(e, IngestError)]
    assert len(msgs) >= 60 and len(errors) == 0
    assert all(m.source_kind == "pst" and m.message_id for m in msgs)
    assert sum(1 for m in msgs if m.sent_at is not None) == len(msgs)
    assert any("lokay" in (m.email_from or "") for m in msgs)


def test_clinton_samples(shared: Path) -> None:
    folder = shared / "data" / "clinton-foia" / "samples"
    msgs = [m for m in iter_production([folder]) if isinstance(m, Message)]
    by = {m.bates: m for m in msgs}
    m = by["C05758487"]
    assert m.email_from == "hrod17@clintonemail.com" and m.subject == "Re: Confirmations"
    assert m.exemptions == ["B6"] and m.production_ref == "F-2014-20439"
    assert m.own_text == "Can we get each in asap for me to meet w?"
    assert len(m.quoted) == 3 and m.quoted[0].style == "original_message"
    assert by["C05765907"].exemptions == ["B5"]


def test_text_release_ocr_noise_and_margin_codes() -> None:
    text = (
        "  UNCLASSIFIED U.S. Department of Widgets Case No. F-2020-00001 Doc No. C0123456"
        " Date: 01/02/2021\n\n"
        "                                                     RELEASED IN PART\n"
        "                                                     B1 1.4(D), B6\n\n"
        "From:                  Roe, Jane <RoeJ@widgets.gov>\n"
        " Sent:                 Monday, March 1, 2010 9:15 AM\n"
        "•To:                   'doe@widgets.gov'\n"
        "Subject                Talking points\n\n"
        "See the attached points.                                              B5\n"
    ).encode()
    m = parse_text_release(text, "x.txt", "America/New_York")
    assert isinstance(m, Message)
    assert (m.bates, m.email_from, m.email_to, m.subject) == (
        "C0123456",
        "roej@widgets.gov",
        ["doe@widgets.gov"],
        "Talking points",
    )
    assert m.exemptions == ["B1 1.4(D)", "B6", "B5"]
    assert m.sent_at is not None and m.sent_at.hour == 14
    assert m.sent_tz_confidence is not None and m.sent_tz_confidence < 0.5
    assert "B5" not in m.own_text


def test_zip_archive_with_traversal_and_nested_members(tmp_path: Path) -> None:
    z = tmp_path / "production.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("mail/001.eml", _mail(1).as_bytes())
        zf.writestr("../../evil.eml", _mail(2).as_bytes())
        zf.writestr("/abs/evil2.eml", _mail(3).as_bytes())
        zf.writestr("notes.docx", b"reported, not read")
    out = list(iter_production([z]))
    msgs = [m for m in out if isinstance(m, Message)]
    errs = {e.source_file: e.reason for e in out if isinstance(e, IngestError)}
    assert [m.message_id for m in msgs] == ["m1@agency.example"]
    assert msgs[0].source_file == f"{z}!mail/001.eml"
    assert errs.pop(f"{z}!notes.docx") == "unsupported format: .docx"
    assert len(errs) == 2 and all("path traversal" in r for r in errs.values())
    assert not (tmp_path.parent / "evil.eml").exists()


def test_size_limit_and_zero_byte_files(tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:  # sparse: 3 MiB on paper, nothing on disk
        f.seek(3 * 2**20)
        f.write(b"\0")
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "ok.eml").write_bytes(_mail(1).as_bytes())
    out = list(iter_production([tmp_path], max_bytes=2**20))
    reasons = {Path(e.source_file).name: e.reason for e in out if isinstance(e, IngestError)}
    assert reasons["huge.pdf"].startswith("file too large")
    assert reasons["empty.pdf"] == "empty file (0 bytes)"
    assert [m.message_id for m in out if isinstance(m, Message)] == ["m1@agency.example"]
