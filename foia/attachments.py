"""Text of the files attached to a message: press offices send statements as attachments.

A statement or fact sheet attached to a reply is the sender's own words as much as the body
is, so its text is read and kept beside the message (:class:`foia.models.Attachment`), with
its name and sha256 so a quote from it can be checked against the file. Read: plain text
(its declared charset, else UTF-8 with replacement), PDF (the text layer, pypdf) and DOCX
(``word/document.xml`` read as a zip with the standard library: no new dependency). Every
other type is recorded with no text.

Bounded and never fatal: an attachment over :data:`MAX_ATTACHMENT_BYTES` is recorded unread,
and a broken one (corrupt PDF, a DOCX that is no zip) is recorded with the reason; the
message is read either way. Attached messages (``message/rfc822``, ``.msg``) are recorded
with no text: a forwarded message is someone else's words, not the sender's own text.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import mimetypes
import os
import re
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from email.message import Message as MimePart
from typing import Any
from xml.etree import ElementTree

from foia.models import Attachment

MAX_ATTACHMENT_BYTES = int(float(os.environ.get("FOIATRACE_MAX_ATTACHMENT_MB", "20")) * 2**20)
# word/document.xml may inflate far beyond the attachment's size (a zip bomb); Word's own
# documents of hundreds of pages stay well under this.
_MAX_DOCX_XML = 64 * 2**20

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _kind(filename: str | None, content_type: str) -> str | None:
    """Which reader applies: by the declared type, else by the name's extension."""
    ext = os.path.splitext(filename or "")[1].lower()
    ctype = content_type.lower()
    if ctype == "application/pdf" or ext == ".pdf":
        return "pdf"
    if ctype == _DOCX_TYPE or ext == ".docx":
        return "docx"
    if ctype == "text/html" or ext in (".html", ".htm"):
        return "html"
    if ctype == "text/plain" or ext == ".txt":
        return "text"
    return None


def guess_type(filename: str | None) -> str:
    """A content type from the name, for formats (MSG, PST) that often declare none."""
    return (mimetypes.guess_type(filename or "")[0] if filename else None) or (
        "application/octet-stream"
    )


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes of a text attachment as text: its charset when known, a BOM's, else UTF-8; an
    undecodable byte becomes U+FFFD rather than failing the message."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None
    return data.decode(charset or "utf-8", errors="replace")


def _page_text(page: Any) -> str:
    """A page's text with its vertical gaps as blank lines (pypdf's layout mode), so a
    heading and the paragraphs under it stay apart for the segmenter; plain extraction
    when layout mode fails on a font."""
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # noqa: BLE001 - layout mode is stricter than plain extraction
        text = page.extract_text() or ""
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def pdf_text(data: bytes) -> str:
    """The text layer of every page, pages separated by a blank line."""
    from pypdf import PdfReader  # noqa: PLC0415 - loaded when a PDF attachment appears

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file's warnings are ours
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")  # many "protected" PDFs open with an empty password
    return "\n\n".join(_page_text(page) for page in reader.pages).strip()


def _docx_paragraphs(elem: ElementTree.Element, out: list[str]) -> None:
    """Paragraphs in document order; ``mc:Fallback`` copies of text boxes are skipped, so
    a text box is read once."""
    for child in elem:
        if child.tag == _MC_FALLBACK:
            continue
        if child.tag == f"{_W}p":
            parts: list[str] = []
            for node in child.iter():
                if node.tag == f"{_W}t" and node.text:
                    parts.append(node.text)
                elif node.tag == f"{_W}tab":
                    parts.append("\t")
                elif node.tag in (f"{_W}br", f"{_W}cr"):
                    parts.append("\n")
            out.append("".join(parts).strip())
        else:
            _docx_paragraphs(child, out)


def docx_text(data: bytes) -> str:
    """Paragraphs of ``word/document.xml`` (``w:p``/``w:t``), separated by blank lines so
    each is a paragraph to the matcher's segmenter."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("word/document.xml")  # KeyError: not a Word document
        if info.file_size > _MAX_DOCX_XML:
            raise ValueError(f"word/document.xml inflates to {info.file_size} bytes")
        with zf.open(info) as f:
            xml = f.read(_MAX_DOCX_XML + 1)
    if re.search(rb"<!(DOCTYPE|ENTITY)", xml[:4096]):
        raise ValueError("word/document.xml declares a DTD (Word never does)")
    root = ElementTree.fromstring(xml)
    paragraphs: list[str] = []
    _docx_paragraphs(root, paragraphs)
    return "\n\n".join(p for p in paragraphs if p)


def read_attachment(
    filename: str | None, content_type: str | None, data: bytes, charset: str | None = None
) -> Attachment:
    """One attachment's record: its provenance always, its text when we read its type."""
    ctype = (content_type or guess_type(filename)).lower()
    sha = hashlib.sha256(data).hexdigest()
    size = len(data)

    def record(text: str | None = None, error: str | None = None) -> Attachment:
        return Attachment(filename, ctype, sha, size, text, error)

    kind = _kind(filename, ctype)
    if kind is None:
        return record()
    if size > MAX_ATTACHMENT_BYTES:
        cap = MAX_ATTACHMENT_BYTES / 2**20
        return record(error=f"too large: {size / 2**20:.1f} MiB > {cap:.0f} MiB; not read")
    try:
        if kind == "pdf":
            text = pdf_text(data)
            return record(text, None if text else "PDF has no text layer (scanned?); not OCR'd")
        if kind == "docx":
            return record(docx_text(data))
        text = decode_text(data, charset)
        if kind == "html":
            from foia.eml import html_to_text  # noqa: PLC0415 - foia.eml imports this module

            text = html_to_text(text)
        return record(text.replace("\r\n", "\n").replace("\r", "\n"))
    except Exception as exc:  # noqa: BLE001 - a broken attachment must never fail the message
        return record(error=f"unreadable {kind}: {type(exc).__name__}: {exc}"[:500])


def _leaves(part: MimePart) -> Iterator[MimePart]:
    """Leaf parts in order, not descending into attached messages (message/*)."""
    if part.get_content_maintype() == "message" or not part.is_multipart():
        yield part
        return
    payload = part.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        yield from _leaves(sub)


def _payload_bytes(part: MimePart) -> bytes:
    if part.get_content_maintype() == "message":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        return inner.as_bytes() if isinstance(inner, MimePart) else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def email_attachments(msg: EmailMessage, body_parts: tuple[Any, ...] = ()) -> list[Attachment]:
    """Attachments of a MIME message, in order: every leaf part that is not the body and is
    declared an attachment, carries a file name, or is not text (inline images, PDFs).

    ``body_parts`` are the parts read as the body (never attachments). An inline text part
    with no name (a list footer, an alternative body) is body matter, not an attachment.
    """
    out: list[Attachment] = []
    skip = {id(p) for p in body_parts if p is not None}
    for part in _leaves(msg):
        if id(part) in skip or (part is msg and part.get_content_maintype() == "text"):
            continue
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001 - a malformed parameter must not stop intake
            filename = None
        disposition = (part.get_content_disposition() or "").lower()
        if part.get_content_maintype() == "text" and not filename and disposition != "attachment":
            continue
        if part.get_content_maintype() == "multipart":
            continue
        ctype = part.get_content_type()
        try:
            data = _payload_bytes(part)
        except Exception as exc:  # noqa: BLE001 - bad transfer encoding: record, go on
            out.append(Attachment(filename, ctype, "", 0, None, f"undecodable part: {exc}"))
            continue
        if part.get_content_maintype() == "message":  # a forward: recorded, not read
            out.append(Attachment(filename, ctype, hashlib.sha256(data).hexdigest(), len(data)))
            continue
        out.append(read_attachment(filename, ctype, data, part.get_content_charset()))
    return out


def mapi_attachment(filename: str | None, mimetype: str | None, data: bytes | None) -> Attachment:
    """An Outlook (MSG/PST) attachment; an embedded message has no bytes of its own and is
    recorded with no text, like ``message/rfc822`` in an EML."""
    if data is None:
        ctype = mimetype or "application/vnd.ms-outlook"
        return Attachment(filename, ctype, "", 0, None, "embedded message or no data; not read")
    return read_attachment(filename, mimetype or None, data)
