"""Records that FOIA intake produces; the warehouse loads them as they are.

Every reader (EML, PDF, MBOX, MSG, PST, plain-text releases; see :mod:`foia.readers`)
yields these same records, so the warehouse and the matcher never care which format a
production arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Redaction:
    """A withheld-text marker as printed, e.g. ``(b)(6)`` or ``(b)(7)(C)``; offsets in ``body``."""

    code: str  # normalized: "(b)(6)", "(b)(7)(C)", "B6" (State style)
    start: int
    end: int


@dataclass(slots=True)  # tens of thousands live through one ingest: no __dict__ each
class QuotedBlock:
    """An earlier message carried inside this one (``>`` quotes, Outlook blocks, forwards)."""

    style: str  # "gmail" | "apple" | "outlook" | "original_message" | "forward" | "prefixed"
    text: str  # the quoted message's own text, '>' prefixes removed
    start: int  # offsets of the whole block (header included) in ``body``
    end: int
    header_from: str | None = None  # address (or name when no address is shown)
    header_sent: str | None = None  # the quote header's date as printed
    header_subject: str | None = None
    # Set by :func:`foia.link.link_production`: the production's message that first wrote
    # this text (its Bates, else Message-ID), and how well the block matched its own text.
    origin_bates: str | None = None
    origin_message_id: str | None = None
    origin_score: float | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message (statements, fact sheets) and the text read from it.

    Provenance is the message (its record), the attachment's place in it, its name and the
    sha256 of its bytes, so an evidence quote from an attachment can be checked against the
    file. ``text`` is None when no text was read: a type we do not read (images, spreadsheets),
    one over the size cap, or a broken file; ``error`` then says which.
    """

    filename: str | None
    content_type: str  # as declared (EML) or guessed from the name (MSG/PST without one)
    sha256: str
    size: int
    text: str | None = None
    error: str | None = None


@dataclass(slots=True)
class Message:
    """One email message of a production, whatever the source format."""

    source_file: str  # path as given to ingest
    source_sha256: str  # sha256 of the whole source file
    source_kind: str  # "eml" | "pdf" | ...
    bates: str | None = None  # first-page Bates number (X-Bates or page footer)
    bates_end: str | None = None  # last page's Bates number (PDF); == bates for EML
    page_start: int | None = None  # 1-based page range in a PDF source
    page_end: int | None = None
    message_id: str | None = None  # without angle brackets
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    sent_at: datetime | None = None  # timezone-aware, UTC
    sent_at_raw: str | None = None  # as printed / as in the header
    email_from: str | None = None  # address, lower-case ("name" if no address is known)
    from_name: str | None = None
    email_to: list[str] = field(default_factory=list)  # addresses, lower-case
    email_cc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""  # full decoded text/plain body (quoted chain included)
    own_text: str = ""  # the sender's own words: no quotes, signature or disclaimer
    signature: str = ""
    disclaimer: str = ""
    quoted: list[QuotedBlock] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)  # found in subject and body
    withheld: bool = False  # a "Withheld in Full" placeholder page
    withheld_exemption: str | None = None
    # Printed productions: whose mailbox the page was printed from, and how its wall-clock
    # ``Sent`` time was turned into UTC (zone, 0-1 confidence, the evidence in words).
    mailbox_owner: str | None = None
    sent_tz: str | None = None
    sent_tz_confidence: float | None = None
    sent_tz_basis: str | None = None
    production_ref: str | None = None  # the production's reference line (page footer/stamp)
    duplicate_of: str | None = None  # Bates of an earlier copy of the same message
    exemptions: list[str] = field(default_factory=list)  # banner/margin codes (State style)
    source_position: int | None = None  # 1-based message number inside a mailbox file
    attachments: list[Attachment] = field(default_factory=list)  # in the message's order
    # A printed time whose zone is not settled: the earliest and latest instants the zones
    # still within reach give it (``sent_at`` lies between). None: ``sent_at`` is exact as
    # far as the production tells (a dated offset, or one zone clearly ahead of the rest).
    sent_at_earliest: datetime | None = None
    sent_at_latest: datetime | None = None


@dataclass
class IngestError:
    """Bad input: named file, reason; recorded in the warehouse, the run goes on."""

    source_file: str
    reason: str
    detail: str = ""
