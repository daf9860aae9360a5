#!/usr/bin/env python3
"""Write a corpus of malformed FOIA files, good files mixed in the same folders and zips.

Intake's promise is "nothing lost, no hang, no way in": every file is either read or an
``errors`` row naming it (and the limit, when one was hit), a bad file next to a good one
never costs the good one, and no file hangs the run. This corpus is what
``tests/test_foia_hostile.py`` (small) and ``bench/malformed_soak.py`` (full, 500+ files)
feed to intake. Seeded: the same seed writes the same bytes.

    python scripts/malformed_corpus.py OUT [--small] [--seed N]

Kinds: PDFs (truncated, encrypted, zero pages, blank pages, a huge page count, garbage
xref, drawings with no text over the OCR page limit); EML (broken MIME, huge headers, 100k
addresses, deep quoting, bad charsets, nested message/rfc822 loops, binary, random
mutations of good ones); MBOX (bad ``From`` lines); MSG/PST (random bytes, truncated real
ones); zips (bombs, bounded so a test stays fast; nesting past the limit; bad members among
good ones; path traversal names; corrupt data; encrypted flags); text releases (wrong
encodings, binary, huge). ``manifest.json`` lists the good files (``zip!member`` inside
archives) and what each bad file is.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_MSG = ROOT / "tests" / "fixtures" / "foia" / "samples" / "outlook-test.msg"

WORDS = (
    "visa asylum detention border agency officer statement reporter deadline release "
    "hearing policy memo draft review transfer custody country national interview family"
).split()


# --------------------------------------------------------------------------- good files


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def good_eml(rng: random.Random, i: int, bates: str | None = None) -> bytes:
    """A plain, well-formed message with a quoted earlier one."""
    msg = EmailMessage()
    msg["From"] = f"Pat Officer{i} <pat{i}@agency.gov>"
    msg["To"] = f"reporter{i}@news.example"
    msg["Subject"] = f"Re: question {i} {rng.choice(WORDS)}"
    msg["Date"] = format_datetime(datetime(2021, 3, 1, 9, tzinfo=UTC) + timedelta(hours=i))
    msg["Message-ID"] = f"<good-{i}-{rng.randrange(10**9)}@agency.gov>"
    if bates:
        msg["X-Bates"] = bates
    earlier = "\n".join("> " + sentence(rng) for _ in range(3))
    msg.set_content(
        f"{sentence(rng)}\n{sentence(rng)}\n\nPat\n\n"
        f"On Mon, Mar 1, 2021 at 8:00 AM Reporter <reporter{i}@news.example> wrote:\n{earlier}\n"
    )
    return bytes(msg)


def good_text_release(rng: random.Random, i: int) -> bytes:
    return (
        "UNCLASSIFIED U.S. Department of State Case No. F-2014-20439 "
        f"Doc No. C0{5700000 + i} Date: 05/13/2015\n"
        "RELEASE IN PART B6\n"
        f"From:                 Officer, Pat <pat{i}@state.gov>\n"
        "Sent:                 Monday, March 1, 2010 9:15 AM\n"
        f"To:                   Reader{i}\n"
        f"Subject:              Item {i}\n\n"
        f"{sentence(rng)}\n{sentence(rng)}\n"
    ).encode()


def good_mbox(rng: random.Random, i: int, n: int = 3) -> bytes:
    out = b""
    for k in range(n):
        out += b"From MAILER-DAEMON Mon Mar  1 09:00:00 2021\n"
        out += good_eml(rng, i * 100 + k).replace(b"\nFrom ", b"\n>From ") + b"\n"
    return out


def _pdf_canvas(buf: io.BytesIO) -> object:
    from reportlab.lib.pagesizes import letter  # noqa: PLC0415
    from reportlab.pdfgen.canvas import Canvas  # noqa: PLC0415

    return Canvas(buf, pagesize=letter)


def good_pdf(rng: random.Random, i: int, prefix: str = "MAL-") -> bytes:
    """A one-page Outlook printout with a Bates stamp (the layout foia.pdf reads)."""
    buf = io.BytesIO()
    c = _pdf_canvas(buf)
    c.setFont("Helvetica-Bold", 14)  # type: ignore[attr-defined]
    c.drawString(60, 730, "Officer, Pat")  # type: ignore[attr-defined]
    c.line(60, 724, 540, 724)  # type: ignore[attr-defined]
    y = 708.0
    for label, value in (
        ("From:", "Officer, Pat"),
        ("Sent:", f"Monday, March {1 + i % 27}, 2021 9:15 AM"),
        ("To:", "Lee Asker"),
        ("Subject:", f"RE: item {i}"),
    ):
        c.setFont("Helvetica-Bold", 10)  # type: ignore[attr-defined]
        c.drawString(60, y, label)  # type: ignore[attr-defined]
        c.setFont("Helvetica", 10)  # type: ignore[attr-defined]
        c.drawString(140, y, value)  # type: ignore[attr-defined]
        y -= 13
    y -= 12
    for _ in range(4):
        c.drawString(60, y, sentence(rng, 9))  # type: ignore[attr-defined]
        y -= 12
    c.setFont("Helvetica-Bold", 9)  # type: ignore[attr-defined]
    c.drawRightString(570, 28, f"{prefix}{i:07d}")  # type: ignore[attr-defined]
    c.showPage()  # type: ignore[attr-defined]
    c.save()  # type: ignore[attr-defined]
    return buf.getvalue()


# --------------------------------------------------------------------------- mutations


def mutate(data: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    """Random damage: truncation, flipped and inserted bytes, deleted or repeated chunks,
    stray header lines, line endings changed. The fuzzers use it too."""
    out = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        op = rng.randrange(8)
        n = len(out)
        if n == 0:
            out += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
            continue
        pos = rng.randrange(n)
        if op == 0:
            del out[pos:]
        elif op == 1:
            for _ in range(rng.randint(1, 16)):
                out[rng.randrange(n)] = rng.randrange(256)
        elif op == 2:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif op == 3:
            del out[pos : pos + rng.randint(1, 256)]
        elif op == 4:
            out[pos:pos] = out[pos : pos + rng.randint(1, 128)] * rng.randint(2, 20)
        elif op == 5:
            out[pos:pos] = rng.choice(
                [b"\nContent-Type: multipart/mixed; boundary=\"x\"\n", b"\n\n", b"\r\r\n",
                 b"\nContent-Transfer-Encoding: base64\n", b"\nFrom: =?x?Q?bad?=\n",
                 b"\n--x\n", b"\n>>>>>>>>>>>>>>>> ", b"\nContent-Type: message/rfc822\n\n"]
            )  # fmt: skip
        elif op == 6:
            out = bytearray(bytes(out).replace(b"\n", rng.choice([b"\r", b"\r\n", b"\n\n"])))
        else:
            out[pos:pos] = "ÿ€\u2028\ufeff".encode(rng.choice(["utf-8", "utf-16"]))
    return bytes(out)


# --------------------------------------------------------------------------- bad files


def bad_emls(rng: random.Random, big: bool) -> dict[str, bytes]:
    k = 1 if big else 0
    head = b"From: a@agency.gov\nTo: b@agency.gov\nDate: Mon, 1 Mar 2021 09:00:00 -0500\n"
    deep = "\n".join(
        "> " * d + f"On Mon, Mar 1, 2021 at 9:{d % 60:02d} AM P{d} <p{d}@x.gov> wrote:"
        for d in range(5000 if big else 600)
    )
    nested = head + b"Subject: loop\n"
    for _ in range(3000 if big else 300):
        nested += b"Content-Type: message/rfc822\n\n" + head
    nested += b"Subject: inner\n\nhi\n"
    out = {
        "huge-subject.eml": head
        + b"Subject: "
        + b"word " * (100_000 + k * 1_500_000)
        + b"\n\nbody\n",
        "huge-header-block.eml": head
        + b"".join(b"X-Filler-%d: %s\n" % (n, b"y" * 900) for n in range(1300))
        + b"Subject: s\n\nbody\n",
        "many-addresses.eml": head.replace(b"To: b@agency.gov\n", b"")
        + b"To: "
        + b", ".join(b"p%d@x.gov" % n for n in range(100_000 if big else 8_000))
        + b"\nSubject: s\n\nbody\n",
        "addresses-8000.eml": head.replace(b"To: b@agency.gov\n", b"")
        + b"To: "
        + b", ".join(b"Person %d <p%d@x.gov>" % (n, n) for n in range(8000))
        + b"\nSubject: s\n\nbody\n",
        "deep-quoting.eml": head + b"Subject: deep\n\nTop reply.\n" + deep.encode(),
        "nested-rfc822.eml": nested,
        "broken-mime.eml": head + b"Subject: mime\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="never"\n\n--other\nContent-Type: text/plain'
        b"\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!\n",
        "bad-charset.eml": head + b"Subject: =?x-unknown?B?SGVsbG8=?=\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\n\n\xff\xfe caf\xe9\n",
        "utf16-declared.eml": head + b"Subject: s\nContent-Type: text/plain; charset=utf-16\n\n"
        b"plain ascii pretending\n",
        "binary.eml": bytes(rng.randrange(256) for _ in range(4096)),
        "only-header.eml": head + b"Subject: no body",
        "no-headers.eml": b"just some words\nand more words\n",
        "cr-only.eml": (head + b"Subject: cr\n\nbody line\n").replace(b"\n", b"\r"),
        "huge-body.eml": head
        + b"Subject: big\n\n"
        + b"a line of text\n" * (400_000 if big else 40_000),
        "many-dash-lines.eml": head + b"Subject: dashes\n\nHi\n" + b"--\n" * 200_000,
        "underscore-quotes.eml": head
        + b"Subject: u\n\nHi\n"
        + b"________\n> From: x\n> Sent: y\n" * 20_000,
        "header-nul.eml": b"From: a@b.gov\x00\x00\nSubject: nul\n\nbody\n",
    }
    return out


def bad_pdfs(rng: random.Random, big: bool) -> dict[str, bytes]:
    from pypdf import PdfWriter  # noqa: PLC0415

    good = good_pdf(rng, 990)

    def blank(pages: int) -> bytes:
        buf = io.BytesIO()
        c = _pdf_canvas(buf)
        for _ in range(pages):
            c.showPage()  # type: ignore[attr-defined]
        c.save()  # type: ignore[attr-defined]
        return buf.getvalue()

    def drawings(pages: int) -> bytes:  # ink, no text layer: needs OCR
        buf = io.BytesIO()
        c = _pdf_canvas(buf)
        for p in range(pages):
            for r in range(30):
                c.rect(60 + (r * 13) % 400, 100 + r * 20, 40, 8, fill=1)  # type: ignore[attr-defined]
            c.drawString(0, -100, "")  # type: ignore[attr-defined]
            c.showPage()  # type: ignore[attr-defined]
            del p
        c.save()  # type: ignore[attr-defined]
        return buf.getvalue()

    enc = io.BytesIO()
    w = PdfWriter()
    w.append(io.BytesIO(good))
    w.encrypt("secret", algorithm="AES-128")
    w.write(enc)
    xref = good.rfind(b"xref")
    return {
        "truncated.pdf": good[: len(good) // 2],
        "encrypted.pdf": enc.getvalue(),
        "zero-pages.pdf": b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
        "blank-10.pdf": blank(10),
        "huge-page-count.pdf": blank(2000 if big else 300),
        "garbage-xref.pdf": good[:xref] + bytes(rng.randrange(256) for _ in range(200)),
        "no-header.pdf": b"this is not a pdf at all\n" * 10,
        "drawings-need-ocr.pdf": drawings(12 if big else 6),
        "header-only.pdf": b"%PDF-1.7\n",
    }


def bad_mailboxes(rng: random.Random) -> dict[str, bytes]:
    good = good_mbox(rng, 77)
    out = {
        "no-from-lines.mbox": good_eml(rng, 5),
        "bad-from-lines.mbox": b"From \nFrom  garbage\n" + good.replace(b"From MAILER", b"Frm X"),
        "binary.mbox": bytes(rng.randrange(256) for _ in range(5000)),
        "one-bad-message.mbox": good + b"From x Mon Mar  1 09:00:00 2021\n\x00\x00\x00\n",
    }
    real = SAMPLE_MSG.read_bytes() if SAMPLE_MSG.exists() else b""
    out["random.msg"] = bytes(rng.randrange(256) for _ in range(8192))
    out["ole-header-only.msg"] = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504
    out["random.pst"] = bytes(rng.randrange(256) for _ in range(8192))
    out["pst-magic-only.pst"] = b"!BDN" + bytes(rng.randrange(256) for _ in range(600))
    if real:
        for n, frac in enumerate((0.1, 0.3, 0.5, 0.9)):
            out[f"truncated-{n}.msg"] = real[: int(len(real) * frac)]
        out["flipped.msg"] = mutate(real, rng, 2)
    return out


def bad_texts(rng: random.Random, big: bool) -> dict[str, bytes]:
    good = good_text_release(rng, 900).decode()
    return {
        "utf16-nobom.txt": good.encode("utf-16-le"),
        "cp1252.txt": good.replace("Item", "Caf\u00e9 \u2013 item").encode("cp1252"),
        "latin1.txt": good.replace("Item", "\u00e9t\u00e9").encode("latin-1"),
        "binary.txt": bytes(rng.randrange(256) for _ in range(3000)),
        "blank.txt": b"   \n\n  \n",
        "long-line.txt": b"word " * (400_000 if big else 50_000),
        "huge.txt": (good + "\n").encode() * (20_000 if big else 2_000),
        "many-headers.txt": ("From: x\nSent: y\n" * 50_000).encode(),
    }


def _zip(members: dict[str, bytes], comp: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", comp) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def bad_zips(
    rng: random.Random, big: bool, good: Callable[[int], dict[str, bytes]]
) -> tuple[dict[str, bytes], list[str]]:
    """Archives, and the good members inside them (``zip!member``) that must be read."""
    zips: dict[str, bytes] = {}
    expect: list[str] = []
    bomb_mb = 60 if big else 8
    zips["bomb.zip"] = _zip({f"bomb-{n}.txt": b"\0" * (bomb_mb * 2**20) for n in range(3)})
    inner = _zip({"a.eml": good_eml(rng, 1)})
    for _ in range(3):
        inner = _zip({"deeper.zip": inner})
    zips["nested-too-deep.zip"] = inner
    zips["self-recursive.zip"] = _zip({"self.zip": _zip({"self.zip": _zip({"x.zip": b"PK"})})})
    members = good(3)
    mixed = {
        **members,
        "../escape.eml": good_eml(rng, 2),
        "/abs/path.eml": good_eml(rng, 3),
        "bad-member.eml": bytes(rng.randrange(256) for _ in range(500)),
        "not-a-zip.zip": b"PK\x03\x04 garbage",
        "bomb-inside.zip": _zip({"z.txt": b"\0" * (4 * 2**20)}),
        "unknown.docx": b"PK",
        "z-good-after.eml": good_eml(rng, 4),
    }
    zips["mixed-members.zip"] = _zip(mixed)
    expect += [f"mixed-members.zip!{n}" for n in (*members, "z-good-after.eml")]
    # One member's compressed bytes corrupted: it alone fails; members after it are read.
    raw = bytearray(_zip({"a-corrupt.eml": good_eml(rng, 5) * 20, "b-good.eml": good_eml(rng, 6)}))
    start = raw.find(b"a-corrupt.eml") + len("a-corrupt.eml") + 10
    for n in range(start, start + 40):
        raw[n] ^= 0x5A
    zips["corrupt-member.zip"] = bytes(raw)
    expect.append("corrupt-member.zip!b-good.eml")
    # Encrypted flag set on a member (no real encryption needed to test the refusal).
    enc = bytearray(_zip({"secret.eml": good_eml(rng, 7), "open.eml": good_eml(rng, 8)}))
    pos = enc.find(b"PK\x03\x04")
    enc[pos + 6] |= 1
    cpos = enc.find(b"PK\x01\x02")
    enc[cpos + 8] |= 1
    zips["encrypted-member.zip"] = bytes(enc)
    expect.append("encrypted-member.zip!open.eml")
    zips["truncated.zip"] = _zip(good(2))[:-30]
    zips["random.zip"] = bytes(rng.randrange(256) for _ in range(2000))
    zips["many-members.zip"] = _zip({f"m{n}.unknown": b"x" for n in range(3000 if big else 300)})
    for n in range(6 if big else 2):
        zips[f"mutated-{n}.zip"] = mutate(_zip(good(2)), rng)
    return zips, expect


# --------------------------------------------------------------------------- the corpus


def build(out: Path, *, small: bool = False, seed: int = 0) -> dict[str, object]:
    """Write the corpus under ``out``; returns the manifest (also written as manifest.json)."""
    rng = random.Random(seed)
    big = not small
    out.mkdir(parents=True, exist_ok=True)
    good_files: list[str] = []
    bad: dict[str, str] = {}
    counter = [0]

    def put(folder: str, name: str, data: bytes, is_good: bool, what: str = "") -> None:
        path = out / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rel = str(path)
        if is_good:
            good_files.append(rel)
        else:
            bad[rel] = what or name

    def goods(n: int) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for _ in range(n):
            counter[0] += 1
            i = counter[0]
            kind = i % 3
            if kind == 0:
                found[f"good-{i}.eml"] = good_eml(rng, i, bates=f"MAL-E-{i:06d}")
            elif kind == 1:
                found[f"good-{i}.txt"] = good_text_release(rng, i)
            else:
                found[f"good-{i}.pdf"] = good_pdf(rng, i)
        return found

    folders = ["eml", "pdf", "mail", "text", "zips", "mixed"]
    n_good = 6 if small else 30
    for folder in folders:  # good files beside the bad in every folder
        for name, data in goods(n_good).items():
            put(folder, name, data, True)
        put(folder, f"good-{folder}.mbox", good_mbox(rng, len(good_files)), True)
    for name, data in bad_emls(rng, big).items():
        put("eml", name, data, False)
    for name, data in bad_pdfs(rng, big).items():
        put("pdf", name, data, False)
    for name, data in bad_mailboxes(rng).items():
        put("mail", name, data, False)
    for name, data in bad_texts(rng, big).items():
        put("text", name, data, False)
    zips, expect = bad_zips(rng, big, goods)
    for name, data in zips.items():
        put("zips", name, data, False)
    good_files += [str(out / "zips" / e) for e in expect]
    # Random mutations of good files of every kind: read or refused, never a traceback.
    n_mut = 12 if small else 100
    samples: list[tuple[str, bytes]] = [
        (".eml", good_eml(rng, 1)), (".txt", good_text_release(rng, 1)),
        (".mbox", good_mbox(rng, 1)), (".pdf", good_pdf(rng, 1)),
        (".msg", SAMPLE_MSG.read_bytes() if SAMPLE_MSG.exists() else b""),
        (".zip", _zip({"a.eml": good_eml(rng, 2), "b.txt": good_text_release(rng, 2)})),
    ]  # fmt: skip
    for ext, data in samples:
        for n in range(n_mut):
            put("mixed", f"mutated-{ext[1:]}-{n}{ext}", mutate(data, rng), False, "mutation")
    # Unsupported and empty files.
    put("mixed", "empty.eml", b"", False)
    put("mixed", "image.png", b"\x89PNG\r\n\x1a\n", False)
    put("mixed", "no-extension", b"data", False)
    manifest = {"good": sorted(good_files), "bad": bad}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--small", action="store_true", help="the test's smaller, faster corpus")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    m = build(args.out, small=args.small, seed=args.seed)
    files = sum(1 for p in args.out.rglob("*") if p.is_file() and p.name != "manifest.json")
    print(f"wrote {files} files ({len(m['good'])} good, {len(m['bad'])} bad) to {args.out}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
