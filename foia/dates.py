"""Dates as printed in mail printouts and quote headers, turned into aware UTC datetimes.

Printouts show the mailbox owner's wall-clock time without an offset
(``Monday, June 18, 2018 4:05 PM``, ``Tue, Aug 14, 2018 at 3:20 PM``), so the caller
supplies the zone to read them in; RFC 5322 dates carry their own offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?\s*[Mm]\.?)?"
_MONTH_FIRST = re.compile(
    r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})(?:,?\s+(?:at\s+)?" + _TIME + ")?"
)
_DAY_FIRST = re.compile(
    r"(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>\d{4})(?:,?\s+(?:at\s+)?" + _TIME + ")?"
)
# ctime / BlackBerry style: "Thu May 07 05:06:52 2009".
_CTIME = re.compile(r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})\s+" + _TIME + r"\s+(?P<y>\d{4})\b")
_NUMERIC = re.compile(
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{2,4})(?:,?\s+(?:at\s+)?" + _TIME + ")?"
)


def zone(name: str | None) -> ZoneInfo | None:
    """A ``ZoneInfo`` or None for an empty/unknown name (callers then leave times naive)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_printed(text: str) -> datetime | None:
    """Naive local datetime from a printed date, or None when nothing date-like is found."""
    for rx in (_CTIME, _MONTH_FIRST, _DAY_FIRST, _NUMERIC):
        m = rx.search(text)
        if not m:
            continue
        gd = m.groupdict()
        month = _MONTHS.get(gd["mon"].lower()) if "mon" in gd else int(gd["m"])
        if not month:
            continue
        year = int(gd["y"])
        if year < 100:
            year += 2000 if year < 70 else 1900
        hour = int(gd["h"]) if gd.get("h") else 0
        minute = int(gd["mi"]) if gd.get("mi") else 0
        second = int(gd["s"]) if gd.get("s") else 0
        ampm = (gd.get("ampm") or "").lower().replace(".", "").replace(" ", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        try:
            return datetime(year, month, int(gd["d"]), hour, minute, second)
        except ValueError:
            continue
    return None


def printed_to_utc(text: str, tz_name: str | None) -> datetime | None:
    """A printed wall-clock time read in ``tz_name``, as aware UTC (None if unparseable).

    Without a zone the time is taken as UTC, which is wrong by the owner's offset but
    keeps every stored time aware; callers document which they did.
    """
    local = parse_printed(text)
    if local is None:
        return None
    tz = zone(tz_name) or UTC
    return local.replace(tzinfo=tz).astimezone(UTC)


def rfc5322_to_utc(text: str) -> datetime | None:
    """An RFC 5322 ``Date`` value as aware UTC; a missing offset is read as UTC."""
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
