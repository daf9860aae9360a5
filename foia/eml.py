"""Read one RFC 5322 ``.eml`` file into a :class:`~foia.models.Message`.

Productions arrive from many mail systems, so decoding is forgiving: an unknown
charset is decoded as UTF-8 with replacement characters, an HTML-only message is
converted to text (``<blockquote>`` becomes ``>`` quoting so the thread splitter sees
it), and a header that fails to parse falls back to its raw text. Only a file with no
message in it at all (empty, binary, no header fields) is refused. Attached files are
read by :mod:`foia.attachments` (a broken one is recorded, never fatal).
"""

from __future__ import annotations

import codecs
import email
import email.policy
import hashlib
import re
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path

from foia import limits
from foia.assemble import finish_message
from foia.attachments import email_attachments
from foia.dates import rfc5322_to_utc
from foia.models import Message


class EmlError(ValueError):
    """The file is not a readable email message; ``str(err)`` is the reason."""


_KNOWN_HEADERS = ("from", "to", "cc", "date", "subject", "message-id", "x-bates")


def _header(msg: EmailMessage, name: str) -> str:
    """Header value as text; raw value when the structured parser chokes on it."""
    try:
        value = msg.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:  # noqa: BLE001 - malformed headers must not stop intake
        for key, raw in msg.raw_items():
            if key.lower() == name.lower():
                return " ".join(str(raw).split())
        return ""


def _addresses(value: str) -> list[str]:
    """Lower-case addresses; a bare display name stands in when there is no address."""
    out: list[str] = []
    for name, addr in getaddresses([value]):
        item = (addr or name).strip().lower()
        if item and item not in out:
            out.append(item)
    return out


def _msg_ids(value: str) -> list[str]:
    ids = re.findall(r"<([^<>\s]+)>", value)
    return ids or [v.strip("<>") for v in value.split() if v.strip("<>")]


def _decode(part: EmailMessage) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
        if isinstance(content, bytes):
            raise TypeError("binary part")
        return ""
    except (LookupError, UnicodeError, TypeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        charset = part.get_content_charset() or "utf-8"
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"
        return payload.decode(charset, errors="replace")


class _HtmlText(HTMLParser):
    """Visible text of an HTML body; ``<blockquote>`` depth becomes ``>`` prefixes."""

    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.depth = 0
        self.skip = 0

    def _newline(self) -> None:
        if self.lines[-1].strip(" >"):
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag == "blockquote":
            self._newline()
            self.depth += 1
        elif tag in self._BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self._newline()
            self.depth = max(0, self.depth - 1)
        elif tag in self._BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = " ".join(data.split())
        if not text:
            return
        if not self.lines[-1]:
            self.lines[-1] = "> " * self.depth
        elif not self.lines[-1].endswith(" "):
            text = " " + text
        self.lines[-1] += text


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body, one block element per line."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "\n".join(line.rstrip() for line in parser.lines).strip()


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        return _decode(part)
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(_decode(part))
    if not msg.is_multipart() and msg.get_content_maintype() == "text":
        return _decode(msg)
    return ""


def _body_parts(msg: EmailMessage) -> tuple[EmailMessage | None, ...]:
    """The parts :func:`_body` may read, so they are never taken for attachments."""
    try:
        return (msg.get_body(preferencelist=("plain",)), msg.get_body(preferencelist=("html",)))
    except Exception:  # noqa: BLE001 - a malformed structure: no part is the body then
        return ()


_HEADER_END_RE = re.compile(rb"\r?\n\r?\n|\r\r")  # the empty line the email parser ends on
_FIELD_START_RE = re.compile(rb"\r?\n(?=[^ \t\r\n])")
_CONTENT_TYPE_RE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE | re.MULTILINE)
_ADDRESS_FIELDS = {b"to", b"cc", b"bcc", b"from", b"reply-to", b"sender"}


def _cut_addresses(field: bytes, keep: int) -> bytes:
    """The field up to the separator before its ``keep+1``-th address."""
    pos = -1
    for _ in range(keep + 1):
        pos = field.find(b"@", pos + 1)
    cut = max(field.rfind(b",", 0, pos), field.rfind(b";", 0, pos))
    return field[: cut if cut > 0 else pos]


def bounded_header(data: bytes) -> bytes:
    """``data`` with its header block checked against intake's limits before Python's email
    parser sees it: that parser's time grows with the square of a header's size (a 512 KB
    Subject: 32 s; 8,000 addresses: 11 s), so a header block over ``FOIATRACE_MAX_HEADER_KB``
    or a message with more than ``FOIATRACE_MAX_MIME_PARTS`` parts is refused
    (:class:`EmlError`), an address field is cut to ``FOIATRACE_MAX_ADDRESSES`` addresses and
    any field to ``FOIATRACE_MAX_HEADER_FIELD_KB`` (each cut noted, :func:`foia.limits.note`).
    """
    m = _HEADER_END_RE.search(data)
    end = m.start() if m else len(data)
    if end / 1024 > limits.get("header"):
        raise EmlError(limits.over("header", end / 1024))
    parts = len(_CONTENT_TYPE_RE.findall(data))
    if parts > limits.get("MIME parts"):
        raise EmlError(limits.over("MIME parts", parts) + " (nested messages?)")
    field_cap = int(limits.get("header field") * 1024)
    max_addr = limits.get_int("addresses")
    fields = _FIELD_START_RE.split(data[:end])
    changed = False
    for i, f in enumerate(fields):
        name = f.split(b":", 1)[0].strip().lower()
        shown = name.decode("ascii", "replace")[:40]
        if name in _ADDRESS_FIELDS and f.count(b"@") > max_addr:
            limits.note(limits.over("addresses", f.count(b"@"), what=f"in {shown}") + "; cut")
            f = fields[i] = _cut_addresses(f, max_addr)
            changed = True
        if len(f) > field_cap:
            limits.note(limits.over("header field", len(f) / 1024, what=shown) + "; cut")
            cut = max(f.rfind(b" ", 0, field_cap), f.rfind(b",", 0, field_cap))
            fields[i] = f[: cut if cut > field_cap // 2 else field_cap]
            changed = True
    if not changed:
        return data
    return b"\n".join(fields) + data[end:]


def parse_eml_bytes(data: bytes, source_file: str) -> Message:
    """Parse the bytes of one ``.eml``; raises :class:`EmlError` if it is not a message."""
    if not data.strip():
        raise EmlError("empty file")
    if b"\x00" in data[:4096]:
        raise EmlError("binary data, not an RFC 5322 message")
    try:
        return _parse(bounded_header(data), data, source_file)
    except RecursionError as exc:  # MIME parts nested thousands deep
        raise EmlError("MIME structure nested too deep to parse") from exc


def _parse(data: bytes, original: bytes, source_file: str) -> Message:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(msg, EmailMessage):
        raise EmlError("not an RFC 5322 message")
    present = {k.lower() for k in msg.keys()}
    if not present & set(_KNOWN_HEADERS):
        raise EmlError("no message headers (From/To/Date/Subject/Message-ID) found")
    body = _body(msg).replace("\r\n", "\n").replace("\r", "\n")
    attachments = email_attachments(msg, _body_parts(msg))

    from_value = _header(msg, "From")
    from_pairs = getaddresses([from_value]) if from_value else []
    from_name, from_addr = from_pairs[0] if from_pairs else ("", "")
    date_raw = _header(msg, "Date")
    message_ids = _msg_ids(_header(msg, "Message-ID"))
    reply_ids = _msg_ids(_header(msg, "In-Reply-To"))
    bates = _header(msg, "X-Bates") or None

    out = Message(
        source_file=source_file,
        source_sha256=hashlib.sha256(original).hexdigest(),
        source_kind="eml",
        bates=bates,
        bates_end=bates,
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=reply_ids[0] if reply_ids else None,
        references=_msg_ids(_header(msg, "References")),
        sent_at=rfc5322_to_utc(date_raw) if date_raw else None,
        sent_at_raw=date_raw or None,
        email_from=(from_addr or from_name).strip().lower() or None,
        from_name=from_name.strip() or None,
        email_to=_addresses(_header(msg, "To")),
        email_cc=_addresses(_header(msg, "Cc")),
        subject=_header(msg, "Subject"),
        body=body,
        attachments=attachments,
    )
    return finish_message(out)


def parse_eml(path: str | Path) -> Message:
    """Parse one ``.eml`` file (see :func:`parse_eml_bytes`)."""
    path = Path(path)
    return parse_eml_bytes(path.read_bytes(), str(path))
