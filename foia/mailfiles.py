"""Native mailbox exports: MBOX (stdlib), Outlook MSG (extract-msg), Outlook PST/OST (libpff).

Every message goes through the same path as a loose ``.eml`` where the format keeps the
RFC 5322 header (MBOX always; MSG and PST usually keep the transport header), so dates keep
their offsets and addresses their display names. Without a transport header the MAPI
properties are used. A message that cannot be read becomes an :class:`IngestError` naming
the file and the message's position; the rest of the mailbox is still read.

Attachments: MBOX messages are MIME, read with the EML's (:mod:`foia.attachments`). MSG and
PST are rendered to RFC 5322 without them, so their attachments are read from the MAPI
objects (name, declared or guessed type, bytes) and set on the parsed message.
"""

from __future__ import annotations

import email.policy
import hashlib
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from foia.attachments import MAX_ATTACHMENT_BYTES, mapi_attachment
from foia.eml import EmlError, parse_eml_bytes
from foia.models import Attachment, IngestError, Message


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _with_source(msg: Message, src: str, sha: str, kind: str, pos: int) -> Message:
    """Provenance is the container file; the position says which message in it."""
    msg.source_file, msg.source_sha256, msg.source_kind = src, sha, kind
    msg.source_position = pos
    return msg


def read_mbox(path: Path) -> Iterator[Message | IngestError]:
    """Messages of an mbox file, in file order."""
    src = str(path)
    sha = _file_sha(path)
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.iterkeys())
        if not keys:
            yield IngestError(src, "no messages in mbox (missing 'From ' separator lines?)")
        for i, key in enumerate(keys, 1):
            try:
                data = box.get_bytes(key)
                yield _with_source(parse_eml_bytes(data, src), src, sha, "mbox", i)
            except EmlError as exc:
                yield IngestError(src, f"broken message #{i} in mbox: {exc}")
    finally:
        box.close()


def _msg_to_eml(m: Any) -> bytes:
    """An RFC 5322 rendering of an extract-msg message (its transport header when present)."""
    out = EmailMessage(policy=email.policy.default)
    header = getattr(m, "header", None)
    present: set[str] = set()
    if header is not None:
        for k, v in header.items():
            if k.lower() in ("content-type", "content-transfer-encoding", "mime-version"):
                continue
            try:
                out[k] = v
                present.add(k.lower())
            except (ValueError, TypeError):
                continue

    def put(name: str, value: str | None) -> None:
        if value and name.lower() not in present:
            out[name] = value

    put("From", m.sender)
    put("To", m.to)
    put("Cc", m.cc)
    put("Subject", m.subject)
    put("Message-ID", m.messageId)
    date = m.date
    if isinstance(date, datetime):
        put("Date", format_datetime(date if date.tzinfo else date.replace(tzinfo=UTC)))
    body = m.body or ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    out.set_content(body.replace("\r\n", "\n"))
    return out.as_bytes()


def _msg_attachments(m: Any) -> list[Attachment]:
    """extract-msg's attachments: data attachments read, embedded messages recorded."""
    out: list[Attachment] = []
    for att in getattr(m, "attachments", None) or []:
        name = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None)
        try:
            data = att.data
            out.append(
                mapi_attachment(
                    name, getattr(att, "mimetype", None), data if isinstance(data, bytes) else None
                )
            )
        except Exception as exc:  # noqa: BLE001 - a broken attachment must not fail the message
            out.append(Attachment(name, "application/octet-stream", "", 0, None, repr(exc)[:500]))
    return out


def read_msg(path: Path) -> Iterator[Message | IngestError]:
    """One Outlook ``.msg`` file (OLE compound document) -> one message."""
    import extract_msg  # noqa: PLC0415 - optional dependency, loaded when a .msg appears

    src = str(path)
    try:
        m = extract_msg.openMsg(str(path), strict=False)
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds on bad input
        yield IngestError(src, f"unreadable MSG file: {type(exc).__name__}", str(exc))
        return
    try:
        if not hasattr(m, "body"):
            yield IngestError(src, f"MSG holds no email ({type(m).__name__})")
            return
        data = _msg_to_eml(m)
        attachments = _msg_attachments(m)
    finally:
        m.close()
    try:
        msg = _with_source(parse_eml_bytes(data, src), src, _file_sha(path), "msg", 1)
        msg.attachments = attachments
        yield msg
    except EmlError as exc:
        yield IngestError(src, f"broken MSG message: {exc}")


def _pff_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _pff_message(item: Any) -> bytes:
    """RFC 5322 bytes of a libpff message: its transport header + the plain-text body."""
    headers = _pff_text(item.transport_headers).strip()
    body = _pff_text(item.plain_text_body)
    if not body and item.html_body:
        from foia.eml import html_to_text  # noqa: PLC0415

        body = html_to_text(_pff_text(item.html_body))
    out = EmailMessage(policy=email.policy.default)
    if headers:
        parsed = email.message_from_string(headers + "\n\n", policy=email.policy.default)
        for k, v in parsed.items():
            if k.lower() in ("content-type", "content-transfer-encoding", "mime-version"):
                continue
            try:
                out[k] = v
            except (ValueError, TypeError):
                continue
    if "From" not in out and item.sender_name:
        out["From"] = _pff_text(item.sender_name)
    if "Subject" not in out and item.subject:
        out["Subject"] = _pff_text(item.subject)
    if "Date" not in out and item.delivery_time:
        out["Date"] = format_datetime(item.delivery_time.replace(tzinfo=UTC))
    out.set_content(body.replace("\r\n", "\n"))
    return out.as_bytes()


def _pff_attachments(item: Any) -> list[Attachment]:
    """libpff's attachments: name (long file name), bytes read up to the size cap; the type
    is guessed from the name (libpff does not expose the MIME tag)."""
    out: list[Attachment] = []
    for i in range(getattr(item, "number_of_attachments", 0) or 0):
        name: str | None = None
        try:
            att = item.get_attachment(i)
            name = att.long_filename or None
            size = att.get_size() or 0
            if size > MAX_ATTACHMENT_BYTES:  # recorded unread: never load it whole
                cap = MAX_ATTACHMENT_BYTES / 2**20
                reason = f"too large: {size / 2**20:.1f} MiB > {cap:.0f} MiB; not read"
                out.append(Attachment(name, "application/octet-stream", "", size, None, reason))
                continue
            data = att.read_buffer(size) if size else None
            out.append(mapi_attachment(name, None, data))
        except Exception as exc:  # noqa: BLE001 - a broken attachment must not fail the message
            out.append(Attachment(name, "application/octet-stream", "", 0, None, repr(exc)[:500]))
    return out


def read_pst(path: Path) -> Iterator[Message | IngestError]:
    """Every message of every folder of an Outlook ``.pst``/``.ost`` file."""
    try:
        import pypff  # noqa: PLC0415 - libpff-python, loaded when a PST appears
    except ImportError:
        yield IngestError(str(path), "PST support needs libpff-python (pip install libpff-python)")
        return
    src = str(path)
    pff = pypff.file()
    try:
        pff.open(src)
    except Exception as exc:  # noqa: BLE001 - libpff raises IOError/OSError variants
        yield IngestError(src, f"unreadable PST/OST file: {type(exc).__name__}", str(exc))
        return
    sha = _file_sha(path)
    pos = 0
    try:
        stack = [pff.get_root_folder()]
        while stack:
            folder = stack.pop(0)
            for i in range(folder.number_of_sub_messages):
                pos += 1
                try:
                    item = folder.get_sub_message(i)
                    msg = parse_eml_bytes(_pff_message(item), src)
                    msg.attachments = _pff_attachments(item)
                    yield _with_source(msg, src, sha, "pst", pos)
                except Exception as exc:  # noqa: BLE001 - one bad item must not stop the file
                    yield IngestError(src, f"unreadable message #{pos} in PST", repr(exc))
            stack.extend(folder.get_sub_folder(j) for j in range(folder.number_of_sub_folders))
    finally:
        pff.close()
