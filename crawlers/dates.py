"""Date parsing shared by sitemaps, feeds and page extraction: everything ends as UTC.

Sites write W3C datetimes with offsets or ``Z``, RFC 822 dates in feeds, bare dates in
sitemaps. Comparing them (``since``, lastmod vs. seen) and storing them needs one form:
timezone-aware ``datetime`` in UTC, serialized as ISO 8601 with ``+00:00``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 / W3C or RFC 822 date string to an aware datetime.

    The original offset is kept (``since`` compares local calendar dates); ``to_iso``
    converts to UTC. A value without a time zone is taken as UTC (the least surprising
    guess for machine metadata); a bare date is midnight UTC. Unparseable gives None.
    """
    if not value:
        return None
    text = " ".join(value.split())
    if not text:
        return None
    dt: datetime | None = None
    iso = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    iso = _COMPACT_OFFSET.sub(r"\1:\2", iso) if "T" in iso else iso
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def to_iso(dt: datetime | None) -> str | None:
    """Serialize as ISO 8601 in UTC (``2018-06-21T01:30:00+00:00``)."""
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def iso_utc(value: str | None) -> str | None:
    """Parse then serialize; None when the value is missing or unparseable."""
    return to_iso(parse_datetime(value))


def utc_now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def older_than(dt: datetime, since: date) -> bool:
    """True when ``dt`` falls before ``since`` both in its own zone and in UTC.

    ``since`` is a calendar date without a zone; requiring both readings to be earlier
    never drops an article that a reader in the outlet's zone would date on ``since``.
    """
    return dt.date() < since and dt.astimezone(UTC).date() < since
