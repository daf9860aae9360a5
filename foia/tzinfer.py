"""Which time zone each printed mailbox shows, inferred from the thread's other copies.

A printout shows ``Sent`` in the mailbox owner's wall clock, with no offset, and a quote
header shows the quoted message's time in the *quoting sender's* wall clock. The same
message is therefore read on several clocks: printed in one mailbox, quoted by one or more
replies. Two readings of one message on clocks A and B give ``offset(A) - offset(B)``.

The clocks form a graph. Each connected part is pinned by absolute evidence where a quote
header carries an offset or zone abbreviation (``-0500``, ``EST``); otherwise by assuming
its largest mailbox shows ``default_tz`` (the production's zone, ``--timezone``). Every
other clock gets the IANA zone that fits all its dated differences (so DST tells Arizona
from California when the evidence spans seasons), and a signature naming a place breaks
ties. Each message records the zone, a 0-1 confidence and the evidence in words.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from foia.dates import parse_printed, zone
from foia.link import subject_key
from foia.models import Message

PRINTED_KINDS = {"pdf", "ocr"}

# Zones tried for a clock, in order of preference when several fit the evidence equally.
CANDIDATE_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
    "Pacific/Guam", "UTC", "Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "America/Halifax", "America/Sao_Paulo", "America/Mexico_City", "America/Bogota",
]  # fmt: skip

# Places named in signatures ("Public Affairs Officer | Arizona") that settle a tie.
_PLACE_HINTS = {
    "arizona": "America/Phoenix", "phoenix": "America/Phoenix", "tucson": "America/Phoenix",
    "hawaii": "Pacific/Honolulu", "honolulu": "Pacific/Honolulu", "alaska": "America/Anchorage",
    "anchorage": "America/Anchorage", "puerto rico": "America/Puerto_Rico",
    "san juan": "America/Puerto_Rico", "guam": "Pacific/Guam", "california": "America/Los_Angeles",
    "los angeles": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "san diego": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "portland": "America/Los_Angeles", "nevada": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles", "colorado": "America/Denver", "denver": "America/Denver",
    "utah": "America/Denver", "salt lake": "America/Denver", "new mexico": "America/Denver",
    "el paso": "America/Denver", "texas": "America/Chicago", "houston": "America/Chicago",
    "dallas": "America/Chicago", "san antonio": "America/Chicago", "chicago": "America/Chicago",
    "illinois": "America/Chicago", "minnesota": "America/Chicago", "louisiana": "America/Chicago",
    "new orleans": "America/Chicago", "miami": "America/New_York", "florida": "America/New_York",
    "new york": "America/New_York", "washington, d.c.": "America/New_York",
    "atlanta": "America/New_York", "boston": "America/New_York",
}  # fmt: skip
_ABBREV = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "UTC": 0, "GMT": 0, "Z": 0,
}  # fmt: skip
_OFFSET_RE = re.compile(r"(?:UTC|GMT)?\s*([+-])(\d{2}):?(\d{2})\b")
_ABBREV_RE = re.compile(r"\b(" + "|".join(_ABBREV) + r")\b")


@dataclass
class ZoneGuess:
    """A clock's zone: a ``tzinfo``, its name, 0-1 confidence and the evidence in words."""

    tz: tzinfo
    name: str
    confidence: float
    basis: str


def explicit_offset(text: str) -> timedelta | None:
    """A numeric offset or US zone abbreviation printed with a time, if any."""
    m = _OFFSET_RE.search(text)
    if m and re.search(r"\d:\d{2}", text[: m.start()]):
        sign = -1 if m.group(1) == "-" else 1
        return sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    m = _ABBREV_RE.search(text)
    if m and re.search(r"\d:\d{2}", text):
        return timedelta(hours=_ABBREV[m.group(1)])
    return None


def _clock(value: str | None) -> str | None:
    return " ".join(value.lower().split()) if value else None


@dataclass
class _Reading:
    event: str
    clock: str
    local: datetime
    absolute: timedelta | None = None  # offset printed with this reading


def _readings(messages: Sequence[Message]) -> list[_Reading]:
    canon = {m.bates: m.duplicate_of for m in messages if m.bates and m.duplicate_of}
    out: list[_Reading] = []
    for m in messages:
        if m.withheld:
            continue
        ref = m.bates or m.message_id
        if m.source_kind in PRINTED_KINDS and m.mailbox_owner and m.sent_at_raw and ref:
            local = parse_printed(m.sent_at_raw)
            if local is not None:
                event = canon.get(ref, ref)
                out.append(_Reading(event, _clock(m.mailbox_owner) or "", local))
        for i, b in enumerate(m.quoted):
            # A nested header was written by whoever sent the block around it.
            outer = [o for o in m.quoted[:i] if o.start <= b.start <= o.end and o is not b]
            quoting = _clock(outer[-1].header_from if outer else m.email_from)
            if not quoting or not b.header_sent:
                continue
            local = parse_printed(b.header_sent)
            if local is None:
                continue
            if b.origin_bates or b.origin_message_id:
                ev = b.origin_bates or b.origin_message_id or ""
                event = canon.get(ev, ev)
            else:
                words = " ".join(b.text.lower().split())[:200]
                event = f"q|{_clock(b.header_from)}|{subject_key(b.header_subject)}|{words}"
            out.append(_Reading(event, quoting, local, explicit_offset(b.header_sent)))
    return out


def _offset(tz: tzinfo, local: datetime) -> timedelta:
    return local.replace(tzinfo=tz).utcoffset() or timedelta(0)


def _round(td: timedelta) -> timedelta:
    return timedelta(minutes=15 * round(td.total_seconds() / 900))


def _choose(
    obs: list[tuple[datetime, timedelta]], hint: str | None, dates: list[datetime]
) -> tuple[tzinfo, str, float, bool]:
    """(tz, name, share of observations fitted, ambiguous on ``dates``) for UTC instants."""
    best: list[tuple[float, str]] = []
    for name in CANDIDATE_ZONES:
        tz = ZoneInfo(name)
        fit = sum(
            1 for utc, off in obs if utc.replace(tzinfo=UTC).astimezone(tz).utcoffset() == off
        )
        best.append((fit / len(obs), name))
    top = max(s for s, _ in best)
    fitting = [n for s, n in best if s == top]
    if top < 0.5:
        off = Counter(o for _, o in obs).most_common(1)[0][0]
        hours = off.total_seconds() / 3600
        return timezone(off), f"UTC{hours:+.2f}", top, False
    name = hint if hint in fitting else fitting[0]
    chosen = ZoneInfo(name)
    ambiguous = any(
        _offset(ZoneInfo(other), d) != _offset(chosen, d) for other in fitting for d in dates
    )
    return chosen, name, top, ambiguous


def _hints(messages: Sequence[Message]) -> dict[str, str]:
    """Clock -> zone named by a place in that person's signatures (a tie-breaker only)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for m in messages:
        who = _clock(m.email_from)
        if not who or not m.signature:
            continue
        sig = m.signature.lower()
        for place, name in _PLACE_HINTS.items():
            if re.search(rf"\b{re.escape(place)}\b", sig):
                votes[who][name] += 1
    return {who: c.most_common(1)[0][0] for who, c in votes.items()}


def infer_zones(messages: Sequence[Message], default_tz: str) -> dict[str, ZoneGuess]:
    """Zone per clock (mailbox owner or quoting sender) from the readings of shared messages."""
    readings = _readings(messages)
    by_event: dict[str, list[_Reading]] = defaultdict(list)
    for r in readings:
        by_event[r.event].append(r)
    # Edges: clock a shows (offset(a) - offset(b)) more than clock b at time `local` of a.
    edges: dict[str, list[tuple[str, datetime, timedelta]]] = defaultdict(list)
    for group in by_event.values():
        for a in group:
            for b in group:
                if a.clock != b.clock:
                    delta = _round(a.local - b.local)
                    if abs(delta) <= timedelta(hours=15):
                        edges[a.clock].append((b.clock, a.local, delta))
    absolute: dict[str, list[tuple[datetime, timedelta]]] = defaultdict(list)
    for r in readings:
        if r.absolute is not None:
            absolute[r.clock].append((r.local - r.absolute, r.absolute))
    printed = Counter(
        _clock(m.mailbox_owner)
        for m in messages
        if m.source_kind in PRINTED_KINDS and m.mailbox_owner and not m.withheld
    )
    dates: dict[str, list[datetime]] = defaultdict(list)
    for r in readings:
        dates[r.clock].append(r.local)
    hints = _hints(messages)
    clocks = set(edges) | set(printed) | set(absolute)
    clocks.discard(None)
    guesses: dict[str, ZoneGuess] = {}
    default = zone(default_tz) or UTC
    default_name = default_tz if zone(default_tz) else "UTC"

    def spread(start: list[str]) -> None:
        queue = deque(start)
        while queue:
            a = queue.popleft()
            ga = guesses[a]
            pending: dict[str, list[tuple[datetime, timedelta]]] = defaultdict(list)
            for b, local_a, delta in edges.get(a, ()):
                if b in guesses:
                    continue
                off_a = _offset(ga.tz, local_a)
                pending[b].append((local_a - off_a, off_a - delta))
            for b, obs in pending.items():
                for c, local_b, delta in edges.get(b, ()):  # b's other assigned neighbours
                    if c in guesses and c != a:
                        off_b = _offset(guesses[c].tz, local_b - delta) + delta
                        obs.append((local_b - off_b, off_b))
                tz, name, fit, ambiguous = _choose(obs, hints.get(b), dates.get(b, []))
                n = len(obs)
                conf = min(ga.confidence, 0.95) * (0.95 if n >= 2 else 0.85) * fit
                if ambiguous:
                    conf *= 0.7
                basis = (
                    f"{n} reading(s) of shared messages against {a} ({ga.name})"
                    + ("; zones fitting equally differ in DST" if ambiguous else "")
                    + (f"; {int(round((1 - fit) * n))} disagreeing" if fit < 1 else "")
                )
                guesses[b] = ZoneGuess(tz, name, round(conf, 3), basis)
                queue.append(b)

    # 1. Clocks with printed offsets are pinned absolutely.
    pinned = []
    for c, obs in sorted(absolute.items(), key=lambda kv: -len(kv[1])):
        if c in guesses:
            continue
        tz, name, fit, ambiguous = _choose(obs, hints.get(c), dates.get(c, []))
        conf = 0.95 * fit * (0.8 if ambiguous else 1.0)
        guesses[c] = ZoneGuess(tz, name, round(conf, 3), f"{len(obs)} printed offset(s)")
        pinned.append(c)
    spread(pinned)
    # 2. Each remaining part: its largest mailbox is assumed to show the production's zone.
    order = sorted(clocks - set(guesses), key=lambda c: (-printed.get(c, 0), c))
    for c in order:
        if c in guesses:
            continue
        if edges.get(c):
            basis = f"largest mailbox of its thread group; assumed {default_name} (--timezone)"
            guesses[c] = ZoneGuess(default, default_name, 0.6, basis)
            spread([c])
        else:
            basis = f"no shared messages with other mailboxes; assumed {default_name}"
            guesses[c] = ZoneGuess(default, default_name, 0.3, basis)
    return guesses


def resolve_print_times(messages: Sequence[Message], default_tz: str) -> dict[str, ZoneGuess]:
    """Set ``sent_at``/``sent_tz*`` of printed messages from their mailbox's inferred zone."""
    guesses = infer_zones(messages, default_tz)
    default = zone(default_tz) or UTC
    default_name = default_tz if zone(default_tz) else "UTC"
    for m in messages:
        if m.withheld or m.source_kind not in PRINTED_KINDS or not m.sent_at_raw:
            continue
        local = parse_printed(m.sent_at_raw)
        if local is None:
            continue
        explicit = explicit_offset(m.sent_at_raw)
        if explicit is not None:
            m.sent_at = (local - explicit).replace(tzinfo=UTC)
            m.sent_tz, m.sent_tz_confidence = f"UTC{explicit.total_seconds() / 3600:+.2f}", 0.99
            m.sent_tz_basis = "offset printed with the time"
            continue
        g = guesses.get(_clock(m.mailbox_owner) or "")
        if g is None:
            g = ZoneGuess(default, default_name, 0.3, "mailbox owner unknown; assumed default")
        m.sent_at = local.replace(tzinfo=g.tz).astimezone(UTC)
        m.sent_tz, m.sent_tz_confidence, m.sent_tz_basis = g.name, g.confidence, g.basis
    return guesses
