"""Print a scenario's ``.eml`` messages as a FOIA production PDF, as mailboxes in known zones would.

Why this exists: printed productions show ``Sent`` in the wall clock of whoever printed
them and carry no UTC offset, so a printout's send times are only as good as the guess of
that zone (:mod:`foia.tzinfer`). The held-out productions that showed the problem cannot
be shipped, so ``foiatrace eval intake --print`` makes its own: the same messages as the
``.eml`` files (whose ``Date`` headers carry offsets, the truth), printed webmail style
(``Tue, Mar 3, 2020 at 9:15 AM``) or Outlook style (``Sent: Tuesday, March 3, 2020
9:15 AM``) from one or more agency mailboxes, each in a zone the researcher names. Bodies
are printed as they are: quote headers inside them keep the quoting sender's clock,
exactly as a real mailbox would show them, except the ones a custodian wrote, which show
the custodian's zone (``owners_write_in_zone``, the default: the custodian lives there).

Which mailbox prints a message: the production's agency custodians (agency addresses,
most involved first) are given the zones in order; a message is printed from the first
custodian who sent or received it, else from the first custodian. One zone therefore
means one custodian's mailbox, the common FOIA case.

The layout follows ``scripts/build_demo.py`` (the shared scenarios' printer): a page per
message, Bates number in the footer (the first page's equals ``X-Bates``), reportlab in
invariant mode so the same input gives the same bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

STYLES = ("webmail", "outlook")

# Names a researcher can type for the zones the issue is about.
ZONE_ALIASES = {
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "arizona": "America/Phoenix",
    "pacific": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
}

_REDACTION_RE = re.compile(r"\(b\)\(\d\)(?:\([A-Z]\))?")


def zone_name(value: str) -> str:
    """An IANA name for ``value`` (an alias such as ``pacific`` or an IANA name itself)."""
    name = ZONE_ALIASES.get(value.strip().lower(), value.strip())
    ZoneInfo(name)  # raises for an unknown zone: better now than after printing
    return name


def zone_spec(spec: str) -> list[str]:
    """``pacific+alaska`` -> one zone per custodian mailbox, in custodian order."""
    return [zone_name(z) for z in spec.split("+") if z.strip()]


@dataclass
class Mail:
    """What a printout shows of one ``.eml`` message."""

    bates: str
    sent: datetime  # aware, from the Date header (the truth a printout is measured against)
    sender: tuple[str, str]  # (display name, address)
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    subject: str
    body: str
    message_id: str = ""
    replies_to: str = ""  # the Message-ID the first quoted block copies (References[-1])

    def participants(self) -> list[str]:
        return [a for _, a in [self.sender, *self.to, *self.cc]]


@dataclass
class Mailbox:
    """A custodian whose mailbox prints messages, and the zone its printouts show."""

    name: str
    address: str
    zone: str
    bates: list[str] = field(default_factory=list)


def _people(value: str | None) -> list[tuple[str, str]]:
    return [(n.strip(), a.lower()) for n, a in getaddresses([value or ""]) if a]


def read_emails(folder: Path) -> list[Mail]:
    """Every ``.eml`` with an ``X-Bates`` and a dated ``Date`` header, in Bates order."""
    out: list[Mail] = []
    for path in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        bates = str(msg.get("X-Bates", "")).strip()
        try:
            sent = parsedate_to_datetime(str(msg.get("Date", "")))
        except (TypeError, ValueError):
            continue
        if not bates or sent is None or sent.tzinfo is None:
            continue
        part = msg.get_body(("plain",))
        body = part.get_content() if part is not None else ""
        sender = _people(str(msg.get("From", "")))
        out.append(
            Mail(
                bates=bates,
                sent=sent,
                sender=sender[0] if sender else ("", ""),
                to=_people(str(msg.get("To", ""))),
                cc=_people(str(msg.get("Cc", ""))),
                subject=str(msg.get("Subject", "")),
                body=body.replace("\r\n", "\n"),
                message_id=str(msg.get("Message-ID", "")).strip().strip("<>"),
                replies_to=(str(msg.get("References", "")).split() or [""])[-1].strip("<>"),
            )
        )
    return sorted(out, key=lambda m: m.bates)


def _domain(addr: str) -> str:
    """The organization part of an address: ``ice.dhs.example`` -> ``dhs.example``."""
    host = addr.rsplit("@", 1)[-1]
    return ".".join(host.split(".")[-2:])


def _agency(mails: list[Mail]) -> str:
    orgs: Counter[str] = Counter()
    for m in mails:
        orgs.update({_domain(a) for a in m.participants()})
    return min(orgs, key=lambda o: (-orgs[o], o))


def custodians(mails: list[Mail], n: int) -> list[tuple[str, str]]:
    """The ``n`` agency addresses involved in most messages (agency: the organization
    that takes part in most messages, as sender or recipient)."""
    agency = _agency(mails)
    names: dict[str, str] = {}
    involved: Counter[str] = Counter()
    for m in mails:
        for name, addr in [m.sender, *m.to, *m.cc]:
            if _domain(addr) == agency:
                names.setdefault(addr, name or addr)
                involved[addr] += 1
    ranked = sorted(involved, key=lambda a: (-involved[a], a))
    if len(ranked) < n:
        raise ValueError(f"only {len(ranked)} agency custodians for {n} mailbox zones")
    return [(names[a], a) for a in ranked[:n]]


def assign(mails: list[Mail], zones: list[str]) -> list[tuple[Mail, Mailbox]]:
    """Each message with the mailbox that prints it (first custodian it involves)."""
    boxes = [
        Mailbox(name, addr, z)
        for (name, addr), z in zip(custodians(mails, len(zones)), zones, strict=True)
    ]
    out: list[tuple[Mail, Mailbox]] = []
    for m in mails:
        involved = set(m.participants())
        box = next((b for b in boxes if b.address in involved), boxes[0])
        box.bates.append(m.bates)
        out.append((m, box))
    return out


def _hour12(dt: datetime) -> str:
    return f"{dt.hour % 12 or 12}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def outlook_sent(dt: datetime) -> str:
    """``Tuesday, March 3, 2020 9:15 AM``: Outlook's printed ``Sent:``, no offset."""
    return f"{dt:%A}, {dt:%B} {dt.day}, {dt.year} {_hour12(dt)}"


def webmail_sent(dt: datetime) -> str:
    """``Tue, Mar 3, 2020 at 9:15 AM``: a webmail printout's date, no offset."""
    return f"{dt:%a}, {dt:%b} {dt.day}, {dt.year} at {_hour12(dt)}"


def apple_sent(dt: datetime) -> str:
    """``Mar 3, 2020, at 9:15 AM``: Apple Mail's quote header."""
    return f"{dt:%b} {dt.day}, {dt.year}, at {_hour12(dt)}"


_DAYS = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_CLOCK = r"\d{1,2}:\d{2} [AP]M"
_GMAIL_DATE = rf"{_DAYS}, [A-Z][a-z]{{2}} \d{{1,2}}, \d{{4}} at {_CLOCK}"
_APPLE_DATE = rf"[A-Z][a-z]{{2}} \d{{1,2}}, \d{{4}}, at {_CLOCK}"
_OUTLOOK_DATE = rf"{_DAYS}[a-z]*day, [A-Z][a-z]+ \d{{1,2}}, \d{{4}} {_CLOCK}"
# The first quote header of a body is the one its sender's client wrote, in their clock.
_QUOTE_TIME = [
    (re.compile(rf"^On ({_GMAIL_DATE})", re.M), webmail_sent),
    (re.compile(rf"^\*?Date:\*? ({_GMAIL_DATE})$", re.M), webmail_sent),
    (re.compile(rf"^On ({_APPLE_DATE})", re.M), apple_sent),
    (re.compile(rf"^\*?(?:Sent|Date):\*? ({_OUTLOOK_DATE})$", re.M), outlook_sent),
]


def rezone_quote(m: Mail, zone: str, sent_of: dict[str, datetime]) -> tuple[int, str, str] | None:
    """(where, old, new) time of ``m``'s first quote header, the new one shown in ``zone``.

    The first header of a body is the one its sender's client wrote. The quoted
    message's instant comes from its own ``.eml`` (``References``); one quoting a message
    outside the production is shifted by the sender's change of offset.
    """
    hits = [(mm, fmt) for rx, fmt in _QUOTE_TIME if (mm := rx.search(m.body))]
    if not hits:
        return None
    mm, fmt = min(hits, key=lambda h: h[0].start(1))
    instant = sent_of.get(m.replies_to)
    if instant is None:
        from foia.dates import parse_printed

        local = parse_printed(mm.group(1))
        if local is None:
            return None
        own = m.sent.utcoffset() or timedelta(0)
        instant = (local - own).replace(tzinfo=ZoneInfo("UTC"))
    return mm.start(1), mm.group(1), fmt(instant.astimezone(ZoneInfo(zone)))


def _first_words(body: str) -> str | None:
    """A line of the sender's own text to find the message by inside later quoted copies."""
    for line in body.split("\n"):
        line = line.strip()
        if len(line) >= 20:
            return line[:50]
    return None


def rezone_owners(plan: list[tuple[Mail, Mailbox]]) -> None:
    """Custodians live in their mailbox's zone: the quote headers they wrote show it.

    A header is text: later messages quoting the custodian's message carry the same
    header, so each change is repeated inside every later quoted copy of that message.
    """
    home = {box.address: box.zone for _, box in plan}
    sent_of = {m.message_id: m.sent for m, _ in plan if m.message_id}
    changes: list[tuple[str, str, str, int]] = []  # (own words, old, new, reach)
    for m, _ in sorted(plan, key=lambda mb: mb[0].sent):
        own = rezone_quote(m, home[m.sender[1]], sent_of) if m.sender[1] in home else None
        body = m.body
        if own is not None and own[1] != own[2]:
            at, old_time, new_time = own
            body = body[:at] + new_time + body[at + len(old_time) :]
        for words, old, new, reach in changes:
            start = body.find(words)
            if start < 0:
                continue
            at = body.find(old, start, start + reach)
            if at >= 0:
                body = body[:at] + new + body[at + len(old) :]
        if own is not None and own[1] != own[2] and (words := _first_words(m.body)):
            changes.append((words, own[1], own[2], 2 * len(m.body) + 400))
        m.body = body


def _plain(person: tuple[str, str]) -> str:
    name, addr = person
    return f"{name} <{addr}>" if name else addr


class _Printer:
    """reportlab canvas with the geometry :mod:`foia.pdf` was written against."""

    W, H = 612, 792
    LM, RM, TOP, BOTTOM = 54, 54, 54, 64

    def __init__(self, path: Path, ref: str, webmail_name: str, print_date: str) -> None:
        from reportlab import rl_config
        from reportlab.pdfgen import canvas

        rl_config.invariant = 1
        self.c = canvas.Canvas(str(path), pagesize=(self.W, self.H), invariant=1)
        self.c.setTitle(ref)
        self.ref, self.webmail_name, self.print_date = ref, webmail_name, print_date
        self.y = 0.0
        self.bates_prefix, self.bates_no, self.bates_width = "", 0, 7
        self.page_header: Any = None

    def _width(self, text: str, font: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return float(stringWidth(text, font, size))

    def start_message(self, bates: str) -> None:
        m = re.fullmatch(r"(.*?)(\d+)", bates)
        if m is None:
            raise ValueError(f"Bates number without digits: {bates}")
        self.bates_prefix, self.bates_no, self.bates_width = m[1], int(m[2]), len(m[2])
        self.start_page()

    def start_page(self) -> None:
        self.y = self.H - self.TOP
        if self.page_header:
            self.page_header()

    def end_page(self) -> None:
        self.c.setFont("Helvetica", 7.5)
        self.c.drawString(self.LM, 34, self.ref)
        self.c.setFont("Helvetica-Bold", 9)
        bates = f"{self.bates_prefix}{self.bates_no:0{self.bates_width}d}"
        self.c.drawRightString(self.W - self.RM, 34, bates)
        self.c.showPage()
        self.bates_no += 1

    def need(self, height: float) -> None:
        if self.y - height < self.BOTTOM:
            self.end_page()
            self.start_page()

    def text_line(
        self, x: float, text: str, font: str = "Helvetica", size: float = 9.5, lead: float = 11.8
    ) -> None:
        self.need(lead)
        self.y -= lead
        self.c.setFont(font, size)
        self.c.drawString(x, self.y, text)
        for mm in _REDACTION_RE.finditer(text):  # redactions are boxed, as on real releases
            x0 = x + self._width(text[: mm.start()], font, size)
            w = self._width(mm.group(0), font, size)
            self.c.setLineWidth(0.6)
            self.c.rect(x0 - 1.2, self.y - 2.2, w + 2.4, size + 2.6, stroke=1, fill=0)

    def wrap(
        self, text: str, width: float, font: str = "Helvetica", size: float = 9.5
    ) -> list[str]:
        if not text:
            return [""]
        out: list[str] = []
        cur = ""
        for word in text.split(" "):
            cand = word if not cur else cur + " " + word
            if self._width(cand, font, size) <= width:
                cur = cand
                continue
            if cur:
                out.append(cur)
                cur = ""
            while self._width(word, font, size) > width:  # a URL wider than the line
                k = len(word)
                while k > 1 and self._width(word[:k], font, size) > width:
                    k -= 1
                out.append(word[:k])
                word = word[k:]
            cur = word
        out.append(cur)
        return out

    def paragraph(
        self, text: str, font: str = "Helvetica", size: float = 9.5, lead: float = 11.8
    ) -> None:
        for ln in self.wrap(text, self.W - self.RM - self.LM, font, size):
            self.text_line(self.LM, ln, font, size, lead)

    def rule(self, weight: float, gap: float) -> None:
        self.need(gap * 2)
        self.y -= gap
        self.c.setLineWidth(weight)
        self.c.line(self.LM, self.y, self.W - self.RM, self.y)
        self.y -= gap

    def body(self, text: str) -> None:
        for line in text.rstrip("\n").split("\n"):
            self.paragraph(line)

    def outlook(self, m: Mail, box: Mailbox) -> None:
        self.page_header = None
        self.start_message(m.bates)
        self.text_line(self.LM, box.name, "Helvetica-Bold", 12, 15)
        self.rule(1.6, 5)
        sent = m.sent.astimezone(ZoneInfo(box.zone))
        fields = [
            ("From:", m.sender[0] or m.sender[1]),
            ("Sent:", outlook_sent(sent)),
            ("To:", "; ".join(n or a for n, a in m.to)),
        ]
        if m.cc:
            fields.append(("Cc:", "; ".join(n or a for n, a in m.cc)))
        fields.append(("Subject:", m.subject))
        for label, value in fields:
            lines = self.wrap(value, self.W - self.RM - (self.LM + 78), "Helvetica", 10)
            self.need(13)
            self.c.setFont("Helvetica-Bold", 10)
            self.c.drawString(self.LM, self.y - 13, label)
            for ln in lines:
                self.text_line(self.LM + 78, ln, "Helvetica", 10, 13)
        self.y -= 10
        self.body(m.body)
        self.end_page()

    def webmail(self, m: Mail, box: Mailbox) -> None:
        subject = m.subject

        def header() -> None:
            self.c.setFont("Helvetica", 7.5)
            self.c.drawString(self.LM, self.H - 30, f"{self.webmail_name} - {subject}")
            self.c.drawRightString(self.W - self.RM, self.H - 30, self.print_date)

        self.page_header = header
        self.start_message(m.bates)
        self.text_line(self.LM, self.webmail_name, "Helvetica-Bold", 11, 14)
        self.c.setFont("Helvetica", 9)
        self.c.drawRightString(self.W - self.RM, self.y, _plain((box.name, box.address)))
        self.rule(0.8, 5)
        self.paragraph(subject, font="Helvetica-Bold", size=12, lead=16)
        self.rule(0.8, 5)
        sent = m.sent.astimezone(ZoneInfo(box.zone))
        name, addr = m.sender
        self.need(13)
        self.y -= 13
        self.c.setFont("Helvetica-Bold", 9.5)
        self.c.drawString(self.LM, self.y, name or addr)
        x = self.LM + self._width(name or addr, "Helvetica-Bold", 9.5) + 4
        self.c.setFont("Helvetica", 9.5)
        self.c.drawString(x, self.y, f"<{addr}>")
        self.c.drawRightString(self.W - self.RM, self.y, webmail_sent(sent))
        self.paragraph("To: " + ", ".join(_plain(p) for p in m.to), size=9, lead=11.5)
        if m.cc:
            self.paragraph("Cc: " + ", ".join(_plain(p) for p in m.cc), size=9, lead=11.5)
        self.y -= 8
        self.body(m.body)
        self.end_page()
        self.page_header = None


def print_production(
    emails: Path,
    out: Path,
    style: str,
    zones: list[str],
    *,
    ref: str | None = None,
    owners_write_in_zone: bool = True,
) -> list[Mailbox]:
    """Print ``emails/*.eml`` to ``out`` in ``style``; return the mailboxes (zone = truth).

    ``zones`` gives one zone per custodian mailbox (see the module docstring). With
    ``owners_write_in_zone`` (a custodian who lives there) the quote headers a custodian
    wrote show that zone too; without it they keep the zone of the ``.eml`` (a mailbox
    printed elsewhere, e.g. by a FOIA office in its own zone).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
    mails = read_emails(emails)
    if not mails:
        raise ValueError(f"{emails}: no .eml files with X-Bates and Date")
    plan = assign(mails, [zone_name(z) for z in zones])
    if owners_write_in_zone:
        rezone_owners(plan)
    agency = _agency(mails)
    webmail_name = f"{agency.split('.')[0].upper()} Mail"
    last = max(m.sent for m in mails) + timedelta(days=30)
    print_date = f"{last.month}/{last.day}/{last.year}"
    out.parent.mkdir(parents=True, exist_ok=True)
    printer = _Printer(
        out, ref or f"Printed production - {emails.parent.name}", webmail_name, print_date
    )
    for m, box in plan:
        (printer.webmail if style == "webmail" else printer.outlook)(m, box)
    printer.c.save()
    boxes: dict[str, Mailbox] = {}
    for _, box in plan:
        boxes.setdefault(box.address, box)
    return list(boxes.values())
