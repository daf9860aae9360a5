"""Separate a message body into the sender's own words and the earlier messages it carries.

A disclosure is attributed to the message whose sender first wrote it, so every reader
(EML, PDF, later MBOX/MSG) runs the same splitter: own text from a PDF printout and
from the original ``.eml`` then agree token for token.

Recognized quote styles (scenarios README section 2):

* Gmail ``On <date> Name <addr> wrote:`` / Apple ``On <date>, at <time>, Name <addr> wrote:``
  followed by ``>`` lines (nested ``> >`` become their own blocks);
* Outlook: a line of underscores, then ``From:/Sent:/To:/Cc:/Subject:`` and the earlier
  message *unprefixed* (it runs to the end of the body, nesting further blocks);
* ``-----Original Message-----`` with ``From: Name [mailto:addr]``;
* forwards: ``---------- Forwarded message ---------`` and ``Begin forwarded message:``;
* a bare run of ``>`` lines without an attribution line.

Signatures and legal disclaimers are recognized by shape and common vocabulary, not by
any production's exact strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from foia import limits
from foia.models import QuotedBlock

# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Line:
    """A line of the body at some quote depth: text without prefixes, offsets in the body."""

    text: str
    start: int
    end: int


def _lines(body: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in body.split("\n"):
        out.append(_Line(raw.rstrip("\r"), pos, pos + len(raw)))
        pos += len(raw) + 1
    return out


_PREFIX_RE = re.compile(r"^[ \t]*> ?")


def _is_prefixed(line: _Line) -> bool:
    return line.text.lstrip(" ").startswith(">")


def _unprefix(line: _Line) -> _Line:
    return _Line(_PREFIX_RE.sub("", line.text, count=1), line.start, line.end)


def _blank(line: _Line) -> bool:
    return not line.text.strip()


# --------------------------------------------------------------------------- boundaries

_ATTRIB_RE = re.compile(r"^\s*On\s.{4,300}?\bwrote\s*:\s*$", re.IGNORECASE | re.DOTALL)
_BARE_ATTRIB_RE = re.compile(r"^\s*\S.{0,150}\bwrote\s*:\s*$", re.IGNORECASE)
_UNDERSCORE_RE = re.compile(r"^\s*_{8,}\s*$")
# "-----Original Message-----"; text releases often lose the dashes ("    Original Message").
_ORIGINAL_RE = re.compile(
    r"^\s*(?:-{2,}\s*Original\s+Message\s*-{2,}|-*\s*Original\s+Message\s*-*)\s*$", re.IGNORECASE
)
_FORWARD_RE = re.compile(
    r"^\s*(?:-{2,}\s*Forwarded\s+message\s*-{2,}"
    r"|Begin\s+forwarded\s+message\s*:"
    r"|-{2,}\s*Forwarded\s+by\b.*)\s*$",
    re.IGNORECASE,
)
_FIELD_RE = re.compile(
    r"^\s*\*?(?P<name>From|Sent|Date|To|Cc|CC|Bcc|Subject|Importance|Attachments|Reply-To)\*?"
    r"\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_ADDR_RE = re.compile(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+)\s*>|\[\s*mailto:([^\]\s]+)\s*\]")
_BARE_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?\s*[Mm]\.?)?")


def _field(line: _Line) -> tuple[str, str] | None:
    m = _FIELD_RE.match(line.text)
    return (m["name"].lower(), m["value"].strip()) if m else None


def _looks_like_header_block(lines: list[_Line], i: int) -> bool:
    """``From:`` at ``i`` followed closely by ``Sent:``/``Date:`` and ``To:``/``Subject:``."""
    first = _field(lines[i]) if i < len(lines) else None
    if not first or first[0] != "from":
        return False
    names = set()
    for line in lines[i + 1 : i + 7]:
        f = _field(line)
        if f is None:
            break
        names.add(f[0])
    return bool(names & {"sent", "date"}) and bool(names & {"to", "subject"})


def _attribution(lines: list[_Line], i: int) -> int:
    """Number of lines (1-3) of an ``On ... wrote:`` attribution starting at ``i``, else 0."""
    text = lines[i].text
    if not text.lstrip().lower().startswith("on "):
        return 0
    joined = text
    for n in range(1, 4):
        if _ATTRIB_RE.match(joined):
            return n
        if i + n >= len(lines) or _blank(lines[i + n]) or _is_prefixed(lines[i + n]):
            return 0
        joined += " " + lines[i + n].text.strip()
    return 0


@dataclass
class _Boundary:
    index: int  # first line of the block (separator / attribution / first '>' line)
    style: str
    header_lines: int  # lines taken by separator or attribution


def _find_boundary(lines: list[_Line], begin: int = 0) -> _Boundary | None:
    for i in range(begin, len(lines)):
        line = lines[i]
        text = line.text
        if _is_prefixed(line):
            return _Boundary(i, "prefixed", 0)
        n = _attribution(lines, i)
        if n:
            return _Boundary(i, _attrib_style(" ".join(x.text for x in lines[i : i + n])), n)
        if _BARE_ATTRIB_RE.match(text) and _next_nonblank_prefixed(lines, i + 1):
            return _Boundary(i, "gmail", 1)
        if _UNDERSCORE_RE.match(text) and _next_header(lines, i + 1):
            return _Boundary(i, "outlook", 1)
        if _ORIGINAL_RE.match(text):
            return _Boundary(i, "original_message", 1)
        if _FORWARD_RE.match(text):
            return _Boundary(i, "forward", 1)
        if (i == begin or _blank(lines[i - 1])) and _looks_like_header_block(lines, i):
            return _Boundary(i, "outlook", 0)
    return None


def _attrib_style(text: str) -> str:
    """Apple Mail writes ``On Mar 5, 2019, at 4:12 PM, Name``; Gmail has no comma before ``at``."""
    return "apple" if re.search(r"\d{4},\s+at\s+\d", text) else "gmail"


def _next_nonblank_prefixed(lines: list[_Line], i: int) -> bool:
    while i < len(lines) and _blank(lines[i]):
        i += 1
    return i < len(lines) and _is_prefixed(lines[i])


def _next_header(lines: list[_Line], i: int) -> bool:
    while i < len(lines) and _blank(lines[i]):
        i += 1
    if i < len(lines) and _is_prefixed(lines[i]):  # the 7 lines a header block may take
        return _looks_like_header_block([_unprefix(x) for x in lines[i : i + 7]], 0)
    return _looks_like_header_block(lines, i)


# --------------------------------------------------------------------------- headers


def address_or_name(value: str) -> str | None:
    """``Name <addr>`` / ``Name [mailto:addr]`` -> ``addr`` (lower-case); else the name."""
    m = _ADDR_RE.search(value)
    if m:
        return (m.group(1) or m.group(2)).strip().lower()
    m = _BARE_EMAIL_RE.search(value)
    if m:
        return m.group(0).lower()
    name = value.strip().strip('"').strip()
    return name or None


def _parse_attribution(text: str) -> tuple[str | None, str | None]:
    """(from, sent) out of ``On <date>[,] [at <time>,] Name <addr> wrote:``."""
    body = re.sub(r"^\s*On\s+", "", text.strip(), flags=re.IGNORECASE)
    body = re.sub(r"\s*wrote\s*:\s*$", "", body, flags=re.IGNORECASE)
    times = list(_TIME_RE.finditer(body))
    if times:
        cut = times[0].end()
        sent, who = body[:cut], body[cut:]
    else:
        sent, _, who = body.rpartition(",")
    who = who.strip(" ,")
    return (address_or_name(who) if who else None), (sent.strip(" ,") or None)


# --------------------------------------------------------------------------- splitting


def _split(lines: list[_Line], depth: int = 0) -> tuple[list[_Line], list[QuotedBlock]]:
    """Own lines of this level, and every quoted block (nested ones flattened, in order).

    Blocks one after another (inline replies) are taken in a loop, each scan starting where
    the last block ended, so their number costs linear time; nested blocks recurse, at most
    ``FOIATRACE_MAX_QUOTE_DEPTH`` deep (each level copies the text it unprefixes, so a
    hostile nesting thousands deep would cost quadratic time and memory): deeper quotes
    stay in the text of the deepest block split, and a note records it.
    """
    cap = limits.get_int("quote depth")
    if depth > cap:
        limits.note(limits.over("quote depth", None, cap) + "; deeper quotes left unsplit")
        return lines, []
    segments: list[list[_Line]] = []  # own lines before, between and after '>' blocks
    blocks: list[QuotedBlock] = []
    begin = 0
    while True:
        boundary = _find_boundary(lines, begin)
        if boundary is None:
            segments.append(lines[begin:])
            break
        segments.append(lines[begin : boundary.index])
        i = boundary.index
        if boundary.style not in ("prefixed", "gmail", "apple"):
            blocks.extend(_header_block_quote(lines, boundary, depth))
            break
        header_from = header_sent = None
        if boundary.header_lines:
            attrib = " ".join(x.text.strip() for x in lines[i : i + boundary.header_lines])
            header_from, header_sent = _parse_attribution(attrib)
        j = i + boundary.header_lines
        k = j
        while k < len(lines) and _blank(lines[k]):
            k += 1
        if k < len(lines) and _is_prefixed(lines[k]):
            end = k
            while end < len(lines):
                if _is_prefixed(lines[end]):
                    end += 1
                    continue
                nxt = end
                while nxt < len(lines) and _blank(lines[nxt]):
                    nxt += 1
                if nxt > end and nxt < len(lines) and _is_prefixed(lines[nxt]):
                    end = nxt  # blank lines inside a quote
                    continue
                break
            content = [_unprefix(x) if _is_prefixed(x) else x for x in lines[k:end]]
        else:  # attribution followed by an unprefixed copy: it runs to the end
            end = len(lines)
            content = lines[j:]
        blocks.extend(
            _block(boundary.style, lines[i:end], content, header_from, header_sent, None, depth)
        )
        begin = end
    # Text after a quote is the sender's (inline or bottom-posted reply): segments up to the
    # last one with words, each after a separator line.
    last = max((n for n, seg in enumerate(segments) if any(not _blank(x) for x in seg)), default=0)
    own = list(segments[0])
    for seg in segments[1 : last + 1]:
        own += [_Line("", -1, -1), *seg]
    return own, blocks


def _header_block_quote(lines: list[_Line], boundary: _Boundary, depth: int) -> list[QuotedBlock]:
    """Outlook / original message / forward: a header block, then the earlier message to the
    end of the body."""
    i = boundary.index
    j = i + boundary.header_lines
    tail = lines[j:]
    first = next((x for x in tail if not _blank(x)), None)
    if first is not None and _is_prefixed(first):  # Apple "Begin forwarded message:" + '>' lines
        tail = [_unprefix(x) if _is_prefixed(x) else x for x in tail]
    k = 0
    while k < len(tail) and _blank(tail[k]):
        k += 1
    fields: dict[str, str] = {}
    while k < len(tail):
        f = _field(tail[k])
        if f is None:
            break
        fields.setdefault(f[0], f[1])
        k += 1
    header_from = address_or_name(fields["from"]) if fields.get("from") else None
    sent = fields.get("sent") or fields.get("date")
    return _block(
        boundary.style, lines[i:], tail[k:], header_from, sent, fields.get("subject"), depth
    )


def _block(
    style: str,
    whole: list[_Line],
    content: list[_Line],
    header_from: str | None,
    header_sent: str | None,
    header_subject: str | None = None,
    depth: int = 0,
) -> list[QuotedBlock]:
    inner_own, inner_blocks = _split(content, depth + 1)
    text, _sig, _disc = strip_signature_and_disclaimer(_join(inner_own))
    real = [x for x in whole if x.start >= 0]
    block = QuotedBlock(
        style=style,
        text=text,
        start=real[0].start if real else 0,
        end=real[-1].end if real else 0,
        header_from=header_from,
        header_sent=header_sent,
        header_subject=header_subject,
    )
    return [block, *inner_blocks]


def _join(lines: list[_Line]) -> str:
    return "\n".join(x.text for x in lines)


# --------------------------------------------------------------------------- signature, disclaimer

_DISCLAIMER_TERMS = [
    r"confidential",
    r"privileged",
    r"intended\s+(?:solely\s+)?(?:for\s+the\s+)?(?:recipient|addressee)s?",
    r"sole\s+use",
    r"unauthori[sz]ed",
    r"prohibited",
    r"dissemination",
    r"distribution",
    r"disclosure",
    r"copying",
    r"notify\s+(?:the\s+)?sender",
    r"delete\s+(?:this|the|all)",
    r"received\s+this\s+(?:message|communication|e-?mail|transmission)?\s*in\s+error",
    r"for\s+official\s+use\s+only",
    r"\bFOUO\b",
    r"sensitive\s+but\s+unclassified",
    r"law\s+enforcement\s+sensitive",
    r"freedom\s+of\s+information\s+act",
    r"5\s+U\.?S\.?C\.?\s+552",
    r"privacy\s+act",
    r"need[\s-]+to[\s-]+know",
    r"(?:this|the)\s+(?:e-?mail|message|communication|transmission)"
    r"(?:\s+message)?,?\s+(?:along\s+with|and|including)\s+any\s+attachments",
    r"legally",
    r"exempt\s+from\s+(?:public\s+)?(?:release|disclosure)",
    r"originated\s+from\s+outside",
    r"do\s+not\s+click\s+links",
    r"(?:is|are)\s+(?:not\s+)?to\s+be\s+released",
    r"electronic\s+communications",
]
_DISCLAIMER_RE = [re.compile(t, re.IGNORECASE) for t in _DISCLAIMER_TERMS]
_DISCLAIMER_LEAD_RE = re.compile(
    r"^\s*(?:\*+\s*)?(?:WARNING|CAUTION|NOTICE|CONFIDENTIALITY(?:\s+NOTICE)?|DISCLAIMER|"
    r"IMPORTANT(?:\s+NOTICE)?|PRIVILEGED(?:\s+AND\s+CONFIDENTIAL)?|EXTERNAL(?:\s+EMAIL)?)"
    r"\b[^:\n]{0,40}:",
    re.IGNORECASE,
)


def is_disclaimer(paragraph: str) -> bool:
    """Legal boilerplate by vocabulary and shape: several legal terms, or a ``WARNING:`` lead."""
    text = " ".join(paragraph.split())
    if len(text) < 60:
        return False
    hits = sum(1 for rx in _DISCLAIMER_RE if rx.search(text))
    lead = bool(_DISCLAIMER_LEAD_RE.match(text))
    return hits >= 3 or (lead and hits >= 1)


_SIGNOFF_RE = re.compile(
    r"^\s*(?:thanks|thank\s+you|many\s+thanks|thanks\s+(?:so|very)\s+much|thanks\s+again|"
    r"thx|best|best\s+regards|kind\s+regards|warm\s+regards|warmly|regards|cheers|sincerely|"
    r"respectfully|very\s+respectfully|v/r|all\s+the\s+best|take\s+care|talk\s+soon|"
    r"with\s+thanks|appreciate\s+it)\b[\s,.!-]*(?:[A-Z][\w.'-]*\s*){0,2}[,.!]?\s*$",
    re.IGNORECASE,
)
_DASHES_RE = re.compile(r"^\s*--\s*$")
_DEVICE_RE = re.compile(
    r"^\s*(?:Sent\s+from\s+my\s+\w+|Sent\s+from\s+(?:Mail|Outlook|Yahoo|Gmail)\b|"
    r"Get\s+Outlook\s+for\b|Sent\s+(?:via|using)\s+\w+).{0,40}$",
    re.IGNORECASE,
)
_CONTACT_RE = re.compile(
    r"@|https?://|www\.|\d{3}[\s.)-]+\d{3}[\s.-]+\d{4}|\b(?:tel|phone|cell|mobile|"
    r"office|desk|fax|direct|main|[OMCTFDW])\b\.?\s*:?\s*(?:\(b\)|\+?\d)",
    re.IGNORECASE,
)
# "(b)(6)", "(b)(6) (o) | (b)(6) (c)": a phone line whose number was redacted.
_REDACTED_PHONE_RE = re.compile(r"^(?:\s*\(b\)\(\d\)(?:\s*\(\w\))?\s*[|/,;]?)+\s*$")


_ONLY_REDACTIONS_RE = re.compile(r"^(?:\s*\(b\)\(\d\)(?:\([A-Z]\))?[;,]?)+\s*$")


def _signature_like(text: str) -> bool:
    """Name / title / phone / office lines: short, not a sentence."""
    s = text.strip().rstrip("\"'\u201d\u2019)]").strip() if text.strip() else ""
    if text.strip() and not s:
        return False
    if not s:
        return True
    if _DEVICE_RE.match(s):
        return True
    if len(s) > 80:
        return False
    if (_CONTACT_RE.search(s) or _REDACTED_PHONE_RE.match(s)) and len(s.split()) <= 12:
        return True
    if len(s.split()) > 8:
        return False
    if s[-1] in "?!:;,":
        return False
    if s.endswith("."):
        last = s.split()[-1]
        # "U.S." or "D.C." end a title line; "today." ends a sentence.
        return bool(re.fullmatch(r"(?:[A-Z]\.){1,4}|[A-Z][a-z]{0,3}\.", last))
    return True


def _strip_disclaimers(text: str) -> tuple[str, list[str]]:
    paragraphs = re.split(r"\n[ \t]*\n", text)
    keep, found = [], []
    for par in paragraphs:
        (found if is_disclaimer(par) else keep).append(par)
    return "\n\n".join(keep), [p.strip() for p in found]


_NAME_LINE_RE = re.compile(r"[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}")


def _signature_start(lines: list[str]) -> int | None:
    """Index of the first signature line, or None."""
    content = [i for i, s in enumerate(lines) if s.strip()]
    if len(content) < 2:
        return None
    first = content[0]
    # sig_tail[i]: every line from i on is signature-like (one pass, not one per candidate)
    sig_tail = [True] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        sig_tail[i] = sig_tail[i + 1] and _signature_like(lines[i])
    for i in content[1:]:
        if sig_tail[i] and _DASHES_RE.match(lines[i]):
            return i
    for i in content[1:]:
        if sig_tail[i] and _DEVICE_RE.match(lines[i]):
            return i
    # The last sign-off ("Thanks,") in the tail: what follows is name/title/phone lines.
    for i in reversed(content[-15:]):
        if _SIGNOFF_RE.match(lines[i]) and len(lines[i].strip()) <= 40:
            rest = [s for s in lines[i + 1 :] if s.strip()]
            if rest and all(_signature_like(s) for s in rest):
                return next(k for k in range(i + 1, len(lines)) if lines[k].strip())
            break
    # No sign-off: a trailing block of signature-like lines, which must not be the whole text.
    k = len(lines)
    while k > 0 and _signature_like(lines[k - 1]):
        k -= 1
    # A block opens with a name, not with a sign-off or a bare redaction (that is body text).
    while k < len(lines) and (
        not lines[k].strip() or _SIGNOFF_RE.match(lines[k]) or _ONLY_REDACTIONS_RE.match(lines[k])
    ):
        k += 1
    if k >= len(lines) or k <= first:
        return None
    if lines[k - 1].strip():  # starts mid-paragraph: only a bare name or initials line
        tail = [s for s in lines[k:] if s.strip()]
        if len(tail) != 1 or not _NAME_LINE_RE.fullmatch(tail[0].strip()):
            return None
    return k


def strip_signature_and_disclaimer(text: str) -> tuple[str, str, str]:
    """(own text, signature, disclaimer) of one message's unquoted text."""
    remaining, disclaimers = _strip_disclaimers(text)
    lines = remaining.split("\n")
    start = _signature_start(lines)
    signature = ""
    if start is not None:
        signature = "\n".join(lines[start:]).strip()
        lines = lines[:start]
    own = "\n".join(lines).strip()
    own = re.sub(r"\n{3,}", "\n\n", own)
    return own, signature, "\n\n".join(disclaimers)


def split_message(body: str) -> tuple[str, list[QuotedBlock], str, str]:
    """(own_text, quoted blocks in order, signature, disclaimer) of a decoded body.

    Redaction markers stay in the text as printed; offsets of blocks index ``body``.
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    try:
        own_lines, blocks = _split(_lines(body))
    except RecursionError:  # a chain nested hundreds deep: keep the text whole, unsplit
        own_lines, blocks = _lines(body), []
    own, signature, disclaimer = strip_signature_and_disclaimer(_join(own_lines))
    return own, blocks, signature, disclaimer
