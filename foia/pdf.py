"""Split a printed, Bates-stamped FOIA production (PDF text layer) into email messages.

Layout cues only, no production's names or wording:

* **Bates numbers** sit in the page footer (or header): a token like ``ABC-19-0004131``,
  ``EOUSA_0001234`` that changes from page to page, unlike the production reference
  beside it. Footer and page-header lines are removed from the text.
* **A message starts** on a page that opens with a mail printout header:
  Outlook style (optional mailbox-owner line, then ``From:/Sent:/To:/Cc:/Subject:`` rows
  whose labels are separate, usually bold, spans) or webmail style (bold subject, a
  sender line with an address and a date, then ``To:``/``Cc:``). Any other page
  continues the previous message.
* **"Withheld in Full"** placeholder pages become ``Message(withheld=True)`` records.
* **Body text** is rebuilt from line geometry: a vertical gap means a blank line, and a
  line is joined to the next when the next line's first word would not have fitted on
  it (the printer wrapped it); a token too long for any line (a URL) is rejoined with no
  space.

Printed ``Sent`` times carry no offset. Each page records whose mailbox printed it (Outlook's
bold owner line, the account at the right of a webmail title bar) and :mod:`foia.tzinfer`
infers that mailbox's zone from the production's other readings of the same messages,
keeping ``default_tz`` (the production's zone, America/New_York unless told otherwise)
unless the evidence clearly says otherwise; ``sent_at_raw`` keeps what was printed.
Outlook printouts show display names, not addresses: names are resolved against the
``Name <addr>`` pairs printed anywhere in the same production (quote headers, webmail
headers), else kept as the lower-cased name.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from foia.assemble import finish_message
from foia.dates import parse_printed, printed_to_utc
from foia.link import link_production
from foia.models import IngestError, Message
from foia.ocr import ocr_layout
from foia.pdf_layout import Line, Page, Span, body_font_size, extract_pages, line_pitch
from foia.redactions import find_redactions
from foia.tzinfer import resolve_print_times

DEFAULT_TZ = "America/New_York"

BATES_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2,}[A-Z0-9]*(?:[-_ ][A-Z0-9]+)*?[-_ ]?\d{4,}(?![A-Za-z0-9])"
)
_LABEL_RE = re.compile(
    r"^(?P<label>From|Sent|Date|To|Cc|CC|Bcc|Subject|Importance|Attachments)\s*:\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_WITHHELD_RE = re.compile(
    r"withheld\s+in\s+(?:full|its\s+entirety)|withheld\s+entirely|pages?\s+withheld"
    r"|document\s+withheld|denied\s+in\s+full",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}")
_SEPARATOR_RE = re.compile(r"^\s*(?:_{8,}|-{2,}\s*(?:Original|Forwarded)\b.*)\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------- Bates / bands


def _bates_candidates(page: Page) -> list[tuple[Line, str]]:
    """(line, token) pairs of Bates-like tokens in the bottom band, else the top band."""
    bottom = [ln for ln in page.lines if ln.y < 0.12 * page.height]
    if not bottom and page.lines:
        bottom = [page.lines[-1]]
    top = [ln for ln in page.lines if ln.y > 0.9 * page.height]
    for band in (bottom, top):
        found = []
        for line in band:
            for span in sorted(line.spans, key=lambda s: s.x):
                found.extend((line, m.group(0)) for m in BATES_RE.finditer(span.text))
        if found:
            return found
    return []


def _choose_bates(pages: list[Page]) -> list[tuple[Line | None, str | None]]:
    """Per page, the Bates token: rightmost candidate that is not repeated on most pages."""
    per_page = [_bates_candidates(p) for p in pages]
    counts = Counter(tok for cands in per_page for tok in {t for _, t in cands})
    common = {t for t, n in counts.items() if len(pages) > 2 and n > len(pages) / 2}
    out: list[tuple[Line | None, str | None]] = []
    for cands in per_page:
        varying = [(ln, t) for ln, t in cands if t not in common]
        pick = (varying or cands or [(None, None)])[-1]
        out.append(pick)
    return out


@dataclass
class _PageText:
    page: Page
    bates: str | None
    lines: list[Line]  # body lines: page header and footer removed
    header_text: str  # removed top-band text (webmail print header)


def _strip_bands(page: Page, bates_line: Line | None, body_size: float) -> _PageText:
    """Drop the Bates footer and the small-print runs at the very top and bottom of the page."""
    lines = [
        ln
        for ln in page.lines
        if bates_line is None
        or not (
            abs(ln.y - bates_line.y) < 0.5 * bates_line.size
            or (bates_line.y < page.height / 2 and ln.y < bates_line.y)
            or (bates_line.y > page.height / 2 and ln.y > bates_line.y)
        )
    ]

    def small(ln: Line) -> bool:
        return ln.size < 0.9 * body_size

    top = 0
    while top < len(lines) and small(lines[top]) and lines[top].y > 0.88 * page.height:
        top += 1
    bottom = len(lines)
    while bottom > top and small(lines[bottom - 1]) and lines[bottom - 1].y < 0.12 * page.height:
        bottom -= 1
    header = " ".join(ln.text for ln in lines[:top])
    return _PageText(page, None, lines[top:bottom], header)


# --------------------------------------------------------------------------- headers


@dataclass
class _Header:
    style: str  # "outlook" | "webmail"
    fields: dict[str, str] = field(default_factory=dict)
    owner: str | None = None
    body_start: int = 0


def _label_of(span: Span) -> tuple[str, str] | None:
    m = _LABEL_RE.match(span.text)
    return (m["label"].lower(), m["rest"].strip()) if m else None


def _outlook_header(lines: list[Line], body_size: float, after_separator: bool) -> _Header | None:
    """``From:/Sent:/To:/Subject:`` rows at the top of the page, labels as their own spans."""
    start = None
    for i, line in enumerate(lines[:6]):
        lab = _label_of(line.spans[0])
        if lab and lab[0] == "from":
            start = i
            break
        if lab:
            return None
    if start is None:
        return None
    fields: dict[str, str] = {}
    separate = 0
    label_x = lines[start].x0
    j = start
    last = None
    while j < len(lines):
        line = lines[j]
        lab = _label_of(line.spans[0])
        if lab and abs(line.x0 - label_x) < 2:
            name, rest = lab
            value = " ".join([rest, *(s.text for s in line.spans[1:])]).strip()
            if not rest and len(line.spans) > 1 or line.spans[0].bold:
                separate += 1
            fields.setdefault(name, value)
            last = name
        elif last and line.x0 > label_x + 5 and abs(line.size - lines[j - 1].size) < 0.5:
            fields[last] = (fields[last] + " " + line.text).strip()
        else:
            break
        j += 1
    if not ({"sent", "date"} & fields.keys() and {"to", "subject"} & fields.keys()):
        return None
    owner_lines = lines[:start]
    owner_cue = any(ln.bold or ln.size > body_size * 1.1 for ln in owner_lines)
    if not separate and not (owner_cue and not after_separator):
        return None  # a quoted header block carried over from the previous page
    owner = " ".join(ln.text for ln in owner_lines).strip() or None
    return _Header("outlook", fields, owner, j)


def _is_date_line(text: str) -> bool:
    return bool(_TIME_RE.search(text)) and parse_printed(text) is not None


def _webmail_header(lines: list[Line]) -> _Header | None:
    """Subject line(s), a sender line with an address and a date, then ``To:``/``Cc:``."""
    for s, line in enumerate(lines[:5]):
        text = line.text
        if "wrote:" in text.lower() or _LABEL_RE.match(text) or not _EMAIL_RE.search(text):
            continue
        if not _is_date_line(text):
            continue
        nxt = lines[s + 1 : s + 3]
        if not any((lab := _LABEL_RE.match(n.text)) and lab["label"].lower() == "to" for n in nxt):
            continue
        date_spans = [sp for sp in line.spans if _is_date_line(sp.text)]
        if date_spans and len(line.spans) > 1:
            sent = date_spans[-1].text
            sender = " ".join(sp.text for sp in line.spans if sp is not date_spans[-1])
        else:
            m = re.search(r"^(.*?[>\w])\s+((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,?\s.*)$", text)
            sender, sent = (m.group(1), m.group(2)) if m else (text, text)
        above = [
            ln
            for ln in lines[:s]
            if not _EMAIL_RE.search(ln.text) and not re.fullmatch(r"\d+ messages?", ln.text)
        ]
        title = [ln for ln in above if ln.bold] or above
        # The account the page was printed from sits at the right of the title bar
        # ("DHS Mail ... Name <addr>", not bold, unlike a subject that names an address):
        # it tells mailboxes apart, and so their clocks.
        owner = next(
            (
                sp.text
                for ln in lines[:s]
                for sp in reversed(ln.spans)
                if not sp.bold and _EMAIL_RE.search(sp.text)
            ),
            None,
        )
        fields = {
            "subject": " ".join(ln.text for ln in title).strip(),
            "from": sender.strip(),
            "sent": sent.strip(),
        }
        j = s + 1
        last = None
        while j < len(lines):
            lab = _LABEL_RE.match(lines[j].text)
            if lab and lab["label"].lower() in ("to", "cc", "bcc"):
                last = lab["label"].lower()
                fields[last] = lab["rest"].strip()
            elif last and not _LABEL_RE.match(lines[j].text) and _EMAIL_RE.search(lines[j].text):
                if not fields[last].rstrip().endswith((",", ";")):
                    break
                fields[last] += " " + lines[j].text
            else:
                break
            j += 1
        return _Header("webmail", fields, owner, j)
    return None


# --------------------------------------------------------------------------- names -> addresses


def _name_key(name: str) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return frozenset(words)


class _Directory:
    """Display names resolved to addresses seen in the same production."""

    def __init__(self) -> None:
        self.by_name: dict[frozenset[str], Counter[str]] = defaultdict(Counter)
        self.addresses: set[str] = set()

    def learn(self, text: str) -> None:
        pair = re.compile(
            r"(?P<name>[^<>\[\]\n:;]{1,80}?)\s*(?:<\s*(?:mailto:)?(?P<a1>[^<>\s]+@[^<>\s]+)\s*>"
            r"|\[\s*mailto:(?P<a2>[^\]\s]+)\s*\])"
        )
        for m in pair.finditer(text):
            addr = (m["a1"] or m["a2"]).lower()
            self.addresses.add(addr)
            name = re.sub(r"^.*\b(?:From|To|Cc|Bcc|wrote|PM|AM)\b\W*", "", m["name"])
            name = name.strip(" \"',")
            key = _name_key(name)
            if key and len(key) <= 5:
                self.by_name[key][addr] += 1
                self._learn_convention(name, addr)
        for addr in _EMAIL_RE.findall(text):
            self.addresses.add(addr.lower().strip("."))

    def resolve(self, value: str) -> str:
        """Address for a printed name (or ``Name <addr>``); the lower-cased name if unknown."""
        value = value.strip().strip(";,")
        m = _EMAIL_RE.search(value)
        if m:
            return m.group(0).lower()
        key = _name_key(value)
        if key in self.by_name:
            return self.by_name[key].most_common(1)[0][0]
        local_hits = [
            a for a in self.addresses if key and key <= set(re.split(r"[._+-]", a.split("@")[0]))
        ]
        if len(local_hits) == 1:
            return local_hits[0]
        guess = self._by_convention(value)
        return guess or " ".join(value.lower().split())

    # An organization names its mailboxes one way (first.last@agency): a colleague whose
    # address is never printed is given the address the convention makes of their name,
    # when at least three colleagues printed in the same "Last, First" style follow it.
    _TEMPLATES: dict[str, Callable[[str, str], str]] = {
        "first.last": lambda f, la: f"{f}.{la}",
        "first_last": lambda f, la: f"{f}_{la}",
        "flast": lambda f, la: f"{f[0]}{la}",
        "firstl": lambda f, la: f"{f}{la[0]}",
        "last.first": lambda f, la: f"{la}.{f}",
        "lastf": lambda f, la: f"{la}{f[0]}",
        "firstlast": lambda f, la: f"{f}{la}",
    }

    @staticmethod
    def _first_last(name: str) -> tuple[str, str, str] | None:
        """(style, first, last) of ``Last, First`` or ``First Last``; None otherwise."""
        name = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
        m = re.fullmatch(r"([A-Za-z'-]+),\s*([A-Za-z'-]+)(?:\s+[A-Za-z]\.?)?", name)
        if m:
            return "last_first", m.group(2).lower(), m.group(1).lower()
        m = re.fullmatch(r"([A-Za-z'-]+)(?:\s+[A-Za-z]\.?)?\s+([A-Za-z'-]+)", name)
        if m:
            return "first_last", m.group(1).lower(), m.group(2).lower()
        return None

    def _learn_convention(self, name: str, addr: str) -> None:
        parts = self._first_last(name)
        if parts is None or "@" not in addr:
            return
        style, first, last = parts
        local, domain = addr.split("@", 1)
        if not hasattr(self, "conventions"):
            self.conventions: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
            self.seen_pairs: set[tuple[str, str]] = set()
        if (name, addr) in self.seen_pairs:
            return
        self.seen_pairs.add((name, addr))
        fits = [t for t, fn in self._TEMPLATES.items() if fn(first, last) == local]
        self.conventions[(style, domain)][fits[0] if fits else "other"] += 1

    def _by_convention(self, value: str) -> str | None:
        parts = self._first_last(value)
        conventions = getattr(self, "conventions", {})
        if parts is None or not conventions:
            return None
        style, first, last = parts
        best: tuple[int, str] | None = None
        for (st, domain), counts in conventions.items():
            template, n = counts.most_common(1)[0]
            total = sum(counts.values())
            if st != style or template == "other" or n < 3 or n < 0.8 * total:
                continue
            if best is None or n > best[0]:
                best = (n, f"{self._TEMPLATES[template](first, last)}@{domain}")
        return best[1] if best else None


def _split_recipients(value: str) -> list[str]:
    """Outlook separates recipients with ';' (names hold commas); webmail uses ','."""
    if not value:
        return []
    if "@" in value and ";" not in value:
        return [f"{n} <{a}>" if a else n for n, a in getaddresses([value]) if n or a]
    return [p.strip() for p in value.split(";") if p.strip()]


# --------------------------------------------------------------------------- body geometry


@dataclass
class _Geometry:
    size: float
    pitch: float
    right: float  # right margin: the furthest any body line reaches
    top: float  # baseline of the first line on a full continuation page
    bottom: float  # lowest baseline any body line reaches


def _geometry(pages: list[_PageText], size: float, pitch: float) -> _Geometry:
    right = 0.0
    bottom = float("inf")
    tops: Counter[float] = Counter()
    for pt in pages:
        body = [ln for ln in pt.lines if abs(ln.size - size) < 0.3]
        if body:
            right = max(right, max(ln.x1 for ln in body))
            bottom = min(bottom, body[-1].y)
            tops[round(body[0].y, 1)] += 1
    top = max(tops) if tops else 0.0
    return _Geometry(size, pitch, right, top, bottom if bottom != float("inf") else 0.0)


def _first_token(text: str) -> str:
    parts = text.split()
    return parts[0] if parts else ""


def _joins(prev: Line, nxt: Line, geo: _Geometry) -> str | None:
    """How ``nxt`` continues ``prev`` when no blank line separates them.

    None: a hard line break. " ": the printer wrapped at a space. "": a token broken
    mid-way because it was wider than the line (long URLs).
    """
    text = nxt.text
    if not text or text.startswith(">") or _LABEL_RE.match(text) and prev.text.startswith(">"):
        return None
    span = nxt.spans[0]
    prev_span = prev.spans[-1]
    first = _first_token(text)
    space = prev_span.measure(" ")
    if prev.x1 + space + span.measure(first) <= geo.right:
        return None  # the next word would have fitted: the author broke the line
    last = prev.text.split()[-1] if prev.text.split() else ""
    avail = geo.right - prev.x0
    long_token = len(last) >= 20 or "://" in last or last.lower().startswith("www.")
    if long_token and prev_span.measure(last) + span.measure(first) > 0.97 * avail:
        return ""
    if re.search(r"[A-Za-z]-$", last) and len(last) > 2:
        return ""  # broken after a hyphen inside a word
    return " "


_SENTENCE_END_RE = re.compile(r"(?:[.!?]|\(b\)\(\d\)(?:\([A-Z]\))?)[\"')\u201d]?$")
_NAME_ONLY_RE = re.compile(r"^[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}$")


def _gaps(chunks: list[tuple[list[Line], bool]], geo: _Geometry) -> list[tuple[Line, int]]:
    """Every body line with the number of blank lines before it."""
    out: list[tuple[Line, int]] = []
    prev: Line | None = None
    for lines, continued in chunks:
        for idx, line in enumerate(lines):
            if prev is None:
                gap = 0
            elif idx == 0:
                # A blank line at a page break shows as room left at the bottom of the
                # previous page, or as a lower first line on this one.
                room = prev.y - geo.pitch >= geo.bottom - 0.1 * geo.pitch
                top_gap = round((geo.top - line.y) / geo.pitch)
                gap = int(room) + max(0, top_gap) if continued else 0
            else:
                gap = round((prev.y - line.y) / geo.pitch) - 1
            out.append((line, min(max(gap, 0), 2)))
            prev = line
    return out


def _body_text(chunks: list[tuple[list[Line], bool]], geo: _Geometry) -> str:
    """Rebuild the body from per-page line lists; bool = page continues a message."""
    items = _gaps(chunks, geo)
    out: list[str] = []
    for i, (line, gap) in enumerate(items):
        text = line.text
        if i == 0 or gap:
            out.extend([""] * gap)
            out.append(text)
            continue
        joint = _joins(items[i - 1][0], line, geo)
        ends_paragraph = i + 1 == len(items) or items[i + 1][1] > 0
        if (
            joint is not None
            and ends_paragraph
            and _NAME_ONLY_RE.match(text)
            and _SENTENCE_END_RE.search(out[-1])
        ):
            joint = None  # a sign-off name under a full last line, not a wrapped word
        if joint is None:
            out.append(text)
        else:
            out[-1] = out[-1] + joint + text
    return "\n".join(out).strip("\n")


# --------------------------------------------------------------------------- assembly


@dataclass
class _Draft:
    header: _Header
    first_page: int
    last_page: int
    bates: str | None
    bates_end: str | None
    chunks: list[tuple[list[Line], bool]]


def _withheld(pt: _PageText) -> Message | None:
    text = "\n".join(ln.text for ln in pt.lines)
    if len(pt.lines) > 12 or not _WITHHELD_RE.search(text):
        return None
    codes: list[str] = []
    for r in find_redactions(text):
        if r.code not in codes:
            codes.append(r.code)
    return Message(
        source_file="",
        source_sha256="",
        source_kind="pdf",
        bates=pt.bates,
        bates_end=pt.bates,
        page_start=pt.page.number,
        page_end=pt.page.number,
        body=text,
        withheld=True,
        withheld_exemption="; ".join(codes) or None,
    )


def parse_pdf(
    path: str | Path, default_tz: str = DEFAULT_TZ, ocr_pages: set[int] | None = None
) -> list[Message | IngestError]:
    """Messages (and withheld placeholders) of one production PDF, in page order.

    Never raises for bad input: an unreadable, encrypted or empty file gives a single
    :class:`IngestError`; pages that precede any message header give one too.
    """
    path = Path(path)
    src = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [IngestError(src, f"cannot read file: {exc.strerror or exc}")]
    if not data:
        return [IngestError(src, "empty file (0 bytes)")]
    if not data.lstrip()[:5].startswith(b"%PDF"):
        return [IngestError(src, "not a PDF (no %PDF header)")]
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                return [IngestError(src, "encrypted PDF: cannot decrypt", str(exc))]
            if not ok:
                return [IngestError(src, "encrypted PDF: password required")]
        pages = extract_pages(list(reader.pages))
        if ocr_pages:  # OCR'd pages: rebuild lines from the word boxes (foia.ocr)
            rebuilt = ocr_layout(path, ocr_pages)
            pages = [rebuilt.get(p.number, p) for p in pages]
    except FileNotDecryptedError as exc:
        return [IngestError(src, "encrypted PDF: password required", str(exc))]
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on corrupt input
        return [IngestError(src, f"corrupt or unreadable PDF: {type(exc).__name__}", str(exc))]
    if not pages:
        return [IngestError(src, "PDF has no pages")]
    return _assemble(pages, src, hashlib.sha256(data).hexdigest(), default_tz)


def _assemble(
    pages: list[Page], src: str, sha: str, default_tz: str
) -> list[Message | IngestError]:
    size = body_font_size(pages)
    pitch = line_pitch(pages, size)
    texts: list[_PageText] = []
    for page, (bline, bates) in zip(pages, _choose_bates(pages), strict=True):
        pt = _strip_bands(page, bline, size)
        pt.bates = bates
        texts.append(pt)
    geo = _geometry(texts, size, pitch)

    directory = _Directory()
    for pt in texts:
        directory.learn("\n".join(ln.text for ln in pt.lines))

    records: list[Message | IngestError] = []
    drafts: list[_Draft] = []
    orphans: list[int] = []
    current: _Draft | None = None
    prev_last_line = ""
    for pt in texts:
        withheld = _withheld(pt)
        if withheld is not None:
            withheld.source_file, withheld.source_sha256 = src, sha
            records.append(withheld)
            continue
        after_sep = bool(_SEPARATOR_RE.match(prev_last_line))
        header = _outlook_header(pt.lines, size, after_sep) or _webmail_header(pt.lines)
        if pt.lines:
            prev_last_line = pt.lines[-1].text
        if header is not None:
            if header.style == "webmail":
                if not header.fields.get("subject"):
                    header.fields["subject"] = _subject_from_page_header(pt.header_text)
                header.fields["mailbox"] = (
                    pt.header_text.split(" - ")[0] if " - " in pt.header_text else ""
                )
            current = _Draft(header, pt.page.number, pt.page.number, pt.bates, pt.bates, [])
            current.chunks.append((pt.lines[header.body_start :], False))
            drafts.append(current)
        elif current is not None:
            current.chunks.append((pt.lines, True))
            current.last_page = pt.page.number
            current.bates_end = pt.bates
        elif pt.lines:
            orphans.append(pt.page.number)
    if orphans:
        pages_txt = ", ".join(str(n) for n in orphans)
        records.append(
            IngestError(src, f"pages before the first email header not parsed: {pages_txt}")
        )
    ref = _production_ref(texts)
    for d in drafts:
        records.append(_to_message(d, src, sha, geo, directory, default_tz))
    records.sort(key=lambda r: r.page_start if isinstance(r, Message) and r.page_start else 0)
    msgs = [r for r in records if isinstance(r, Message)]
    for m in msgs:
        m.production_ref = ref
    link_production(msgs)
    resolve_print_times(msgs, default_tz)
    return records


def _production_ref(texts: list[_PageText]) -> str | None:
    """The footer text repeated on most pages beside the Bates number (case, release name)."""
    counts: Counter[str] = Counter()
    for pt in texts:
        foot = [ln for ln in pt.page.lines if ln.y < 0.12 * pt.page.height]
        for ln in foot:
            text = ln.text.replace(pt.bates or "\0", "").strip()
            if text:
                counts[text] += 1
    if not counts:
        return None
    text, n = counts.most_common(1)[0]
    return " ".join(text.split()) if n > len(texts) / 2 else None


def _subject_from_page_header(text: str) -> str:
    """``<Mailbox> Mail - <subject>   <date>`` -> ``<subject>``."""
    m = re.search(r"\s-\s(.*?)(?:\s+\d{1,2}/\d{1,2}/\d{2,4}.*)?$", text)
    return m.group(1).strip() if m else ""


def _to_message(
    d: _Draft, src: str, sha: str, geo: _Geometry, directory: _Directory, default_tz: str
) -> Message:
    f = d.header.fields
    sender = f.get("from", "")
    pairs = getaddresses([sender]) if "@" in sender else []
    from_name = (pairs[0][0] if pairs and pairs[0][0] else re.sub(r"<.*?>", "", sender)).strip()
    sent_raw = f.get("sent") or f.get("date") or None
    msg = Message(
        source_file=src,
        source_sha256=sha,
        source_kind="pdf",
        bates=d.bates,
        bates_end=d.bates_end,
        page_start=d.first_page,
        page_end=d.last_page,
        sent_at=printed_to_utc(sent_raw, default_tz) if sent_raw else None,
        sent_at_raw=sent_raw,
        email_from=directory.resolve(sender) if sender else None,
        from_name=from_name.strip('"') or None,
        email_to=[directory.resolve(v) for v in _split_recipients(f.get("to", ""))],
        email_cc=[directory.resolve(v) for v in _split_recipients(f.get("cc", ""))],
        subject=f.get("subject", ""),
        body=_body_text(d.chunks, geo),
        mailbox_owner=_owner(d.header, directory),
    )
    return finish_message(msg)


def _owner(header: _Header, directory: _Directory) -> str | None:
    """Whose mailbox the page was printed from: Outlook's bold name line; the account on a
    webmail title bar, else the title (``webmail:dhs mail``)."""
    if header.style == "outlook" or header.owner:
        return directory.resolve(header.owner) if header.owner else None
    title = header.fields.get("mailbox", "")
    return f"webmail:{' '.join(title.lower().split())}" if title else "webmail"
