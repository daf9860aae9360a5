"""Plain-text public releases (one document per ``.txt``, e.g. the State Department's).

Agencies publish the text layer of released PDFs: every page carries a stamp line
(``UNCLASSIFIED U.S. Department of State Case No. F-2014-20439 Doc No. C05758487 Date: ...``),
the first page a release banner (``RELEASE IN PART B6``) and withheld passages a margin
code (``B6``, ``B1 1.4(D)``) while the text itself is simply missing. Headers are
column-aligned ``From:   Name <addr>`` rows, wrapped values are indented continuation lines.

The reader removes stamps, banners and margin codes from the body, keeps the codes as the
document's exemptions (queryable like in-text markers), takes the document number as the
Bates-like id, and hands the body to the same thread splitter as every other format.
Documents that are not emails (attachments, articles) still become records, with empty
headers, so nothing released is lost.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

from foia.assemble import finish_message
from foia.dates import printed_to_utc
from foia.models import IngestError, Message, Redaction
from foia.redactions import find_redactions
from foia.threads import address_or_name

_STAMP_RE = re.compile(r"\b(?:Case|Doc(?:ument)?)\s+No\.?\s*:?\s*[A-Z0-9-]{4,}", re.IGNORECASE)
_DOCNO_RE = re.compile(r"\bDoc(?:ument)?\s+No\.?\s*:?\s*([A-Z]{0,4}\d{5,})", re.IGNORECASE)
_CASE_RE = re.compile(r"\bCase\s+No\.?\s*:?\s*([A-Z]{1,3}-\d{4}-\d{3,})", re.IGNORECASE)
_BANNER_RE = re.compile(
    r"^\s*(?:RELEASED?|DENIED)\s+IN\s+(?:PART|FULL)\b.*$|^\s*(?:DECL|REASON|Classified\s+By)\b.*$",
    re.IGNORECASE,
)
_STATE_CODE = r"B[1-9](?:\s*,?\s*1\.4\s*\(\s*[A-Ha-h]\s*\)(?:\s*,\s*1\.4\s*\(\s*[A-Ha-h]\s*\))*)?"
_MARGIN_ONLY_RE = re.compile(rf"^\s*(?:{_STATE_CODE})(?:\s*[,;/&]?\s*(?:{_STATE_CODE}))*\s*$")
# A code in the right margin after a wide gap: "... text of the line        B6".
_MARGIN_TAIL_RE = re.compile(rf"\s{{6,}}((?:{_STATE_CODE})(?:\s*[,;]?\s*(?:{_STATE_CODE}))*)\s*$")
# OCR noise tolerated: a stray bullet or quote before the label, a lost colon when the
# value is column-aligned ("Subject                Fw: ...").
_HEADER_RE = re.compile(
    r"^\s{0,8}[\W_]{0,2}\s?(?P<name>From|Sent|Date|To|Cc|CC|Bcc|Subject|Attachments|Importance)"
    r"(?:\s*[:;.]|(?=\s{3,}\S)|\s*$)\s*(?P<value>.*)$",
    re.IGNORECASE,
)


def _decode(data: bytes) -> str:
    """UTF-8, else cp1252 (what Windows-made releases use); never fails."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return codecs.decode(data, "cp1252", errors="replace")


def _header_block(lines: list[str]) -> tuple[int, int, dict[str, str]] | None:
    """(first, end, fields) of the first From/Sent/To/Subject block within the first lines."""
    for i, line in enumerate(lines[:60]):
        m = _HEADER_RE.match(line)
        if not m or m["name"].lower() not in ("from", "sent", "date", "to", "subject"):
            continue
        fields: dict[str, str] = {}
        last = None
        j = i
        while j < len(lines):
            mm = _HEADER_RE.match(lines[j])
            if mm:
                last = mm["name"].lower()
                if last in fields:
                    break
                fields[last] = mm["value"].strip()
            elif last and lines[j].strip() and re.match(r"^\s{12,}\S", lines[j]):
                fields[last] = (fields[last] + " " + lines[j].strip()).strip()
            elif not lines[j].strip() and j + 1 < len(lines) and _HEADER_RE.match(lines[j + 1]):
                pass  # a blank line inside the block
            else:
                break
            j += 1
        if len(fields.keys() & {"from", "sent", "date", "to", "subject"}) >= 2:
            return i, j, fields
    return None


def parse_text_release(
    data: bytes, source_file: str, default_tz: str | None = None
) -> Message | IngestError:
    """One released document's text -> a :class:`Message` (its doc number as ``bates``)."""
    if not data.strip():
        return IngestError(source_file, "empty file (0 bytes)" if not data else "blank file")
    if b"\x00" in data[:4096]:
        return IngestError(source_file, "binary data, not a text release")
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    docno = _DOCNO_RE.search(text)
    case = _CASE_RE.search(text)
    stamp = ""
    lines: list[str] = []
    codes: list[str] = []
    for line in text.split("\n"):
        if _STAMP_RE.search(line) and len(line.split()) <= 25:
            stamp = stamp or " ".join(line.split())
            continue
        if _BANNER_RE.match(line) or _MARGIN_ONLY_RE.match(line):
            codes.extend(r.code for r in find_redactions(line))
            continue
        tail = _MARGIN_TAIL_RE.search(line)
        if tail:
            codes.extend(r.code for r in find_redactions(tail.group(1).strip() + "\n"))
            line = line[: tail.start()]
        lines.append(line.rstrip())
    block = _header_block(lines)
    fields: dict[str, str] = {}
    body_lines = lines
    if block is not None:
        first, end, fields = block
        body_lines = lines[end:]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(body_lines)).strip("\n")
    sent_raw = fields.get("sent") or fields.get("date") or None
    sender = fields.get("from", "")
    name = re.sub(r"<.*?>|\[.*?\]", "", sender).strip(" '\"")
    ref = docno.group(1) if docno else Path(source_file).stem
    msg = Message(
        source_file=source_file,
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_kind="txt",
        bates=ref,
        bates_end=ref,
        sent_at=printed_to_utc(sent_raw, default_tz) if sent_raw else None,
        sent_at_raw=sent_raw,
        email_from=address_or_name(sender) if sender else None,
        from_name=name or None,
        email_to=_recipients(fields.get("to", "")),
        email_cc=_recipients(fields.get("cc", "")),
        subject=fields.get("subject", ""),
        body=body,
        production_ref=(case.group(1) if case else None) or (stamp or None),
    )
    if sent_raw:
        msg.sent_tz = default_tz
        msg.sent_tz_confidence = 0.3
        msg.sent_tz_basis = "text release prints no zone; assumed the production's default"
    finish_message(msg)
    distinct: list[str] = []
    for code in codes:
        if code not in distinct:
            distinct.append(code)
    msg.exemptions = distinct
    msg.redactions = [Redaction(c, -1, -1) for c in distinct] + msg.redactions
    return msg


def _recipients(value: str) -> list[str]:
    """``Name; 'addr'; Name <addr>`` -> addresses where printed, else lower-cased names."""
    out: list[str] = []
    for part in re.split(r";|,(?=\s*'?[\w.+-]+@)", value):
        part = part.strip(" '\"")
        if not part:
            continue
        item = address_or_name(part)
        if item:
            item = item.strip(" '\"").lower()
            if item not in out:
                out.append(item)
    return out
