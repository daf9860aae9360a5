"""Which time zone each printed mailbox shows, inferred from every cue the production carries.

A printout shows ``Sent`` in the wall clock of the mailbox it was printed from, with no
offset, and a quote header shows the quoted message's time in the *quoting sender's* wall
clock. One message is therefore read on several clocks: printed in a mailbox, quoted by
replies, and, when the production also holds its ``.eml``/``.msg`` copy, stamped with a
``Date`` that carries the sender's offset. Relative readings (the same message on two
clocks) fix the differences between clocks; absolute cues fix where the whole set sits:

* a sibling copy with an offset in its ``Date`` (EML, MSG, MBOX ingested with the PDF),
  which also pins that message's printed time exactly;
* an offset or zone printed in a quote header (``-0500``, ``PDT``; ``EST`` is read as the
  Eastern zone, since people write it in summer too);
* daylight saving: a clock whose difference to another changes in March and November
  observes DST and the other does not (Arizona, Hawaii);
* plausibility: correspondents of a U.S. agency sit in U.S. zones; a hypothesis that puts
  most of them at ``UTC-2`` or in Halifax is a worse one;
* places in signatures (``Public Affairs Officer | Arizona``) and zones the caller knows
  (``known``: the agency's or an outlet's domain -> zone).

**How it is decided.** Per connected group of clocks, every zone is tried for its largest
printed mailbox; the other clocks follow from the readings (most evidence first, then each
re-chosen against what the *other* clocks say of its messages until nothing changes), and
each hypothesis is scored: readings that do not fit, the plausibility of every clock's
zone, the place/known-zone cues, and a bonus when the largest mailbox is in the configured
default zone.
The default (``--timezone``) is kept unless another hypothesis beats it by ``MARGIN``:
the inference never trades the default for a weak or contested guess, and says so in the
basis. (The earlier version assumed the largest mailbox showed the default and spread
zones greedily from there, and let a single printed offset pin a whole group; a misread
offset, a mislinked quote or a mailbox printed in another zone than its owner writes in
could move every printed time away from a default that was right.)

Printed mailboxes are read two ways: as the owner's own clock (a custodian printing their
mailbox, the usual case, which ties the printout to the owner's quote headers) and as a
clock of their own (a FOIA office printing in its zone); the first is kept unless the
second fits clearly better. Each message records the zone, a 0-1 confidence and the
evidence in words.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from foia.dates import parse_printed, zone
from foia.link import subject_key
from foia.models import Message

PRINTED_KINDS = {"pdf", "ocr"}

# Zones tried for a clock, and how plausible each is for a U.S. agency's correspondents, in
# units of one reading that does not fit (about 3 nats: a mislinked quote is rare): roughly
# the log share of the U.S. population in the zone, scaled. Alaska, Hawaii and the
# territories are possible but need readings to say so; abroad and bare offsets more.
ZONE_PRIOR: dict[str, float] = {
    "America/New_York": 0.2, "America/Chicago": 0.1, "America/Los_Angeles": 0.0,
    "America/Denver": -0.3, "America/Phoenix": -0.8, "Pacific/Honolulu": -1.3,
    "America/Anchorage": -1.5, "America/Puerto_Rico": -1.5, "Pacific/Guam": -2.0,
    "UTC": -2.5, "Europe/London": -2.5, "Europe/Paris": -2.5, "Europe/Athens": -2.5,
    "Europe/Moscow": -2.5, "Asia/Dubai": -2.5, "Asia/Kolkata": -2.5, "Asia/Shanghai": -2.5,
    "Asia/Tokyo": -2.5, "Australia/Sydney": -2.5, "America/Halifax": -2.5,
    "America/Sao_Paulo": -2.5, "America/Mexico_City": -2.5, "America/Bogota": -2.5,
}  # fmt: skip
CANDIDATE_ZONES = list(ZONE_PRIOR)
FIXED_PRIOR = -4.0  # a bare offset with no DST: the last resort for a clock no zone fits
DEFAULT_BONUS = 1.5  # once per hypothesis: its largest mailbox in the configured zone
SECONDARY_BONUS = 0.5  # another printed mailbox in the configured zone: breaks ties only
HINT_BONUS = 2.0  # a place named in the person's signatures
KNOWN_BONUS = 3.0  # a zone the caller knows for the address or its office (``known``)
MERGED_BONUS = 1.0  # printout and owner share one clock unless that fits clearly worse
SENT_WEIGHT = 5  # a copy's RFC 5322 Date (with offset) against one printed or quoted time
MARGIN = 3.0  # how much better than the default a hypothesis must score to replace it

# Places named in signatures ("Public Affairs Officer | Arizona").
_PLACE_HINTS = {
    "arizona": "America/Phoenix", "phoenix": "America/Phoenix", "tucson": "America/Phoenix",
    "hawaii": "Pacific/Honolulu", "honolulu": "Pacific/Honolulu", "alaska": "America/Anchorage",
    "anchorage": "America/Anchorage", "puerto rico": "America/Puerto_Rico",
    "san juan": "America/Puerto_Rico", "guam": "Pacific/Guam", "california": "America/Los_Angeles",
    "los angeles": "America/Los_Angeles", "san francisco": "America/Los_Angeles",
    "san diego": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "nevada": "America/Los_Angeles", "las vegas": "America/Los_Angeles",
    "oregon": "America/Los_Angeles", "colorado": "America/Denver", "denver": "America/Denver",
    "utah": "America/Denver", "salt lake": "America/Denver", "new mexico": "America/Denver",
    "el paso": "America/Denver", "houston": "America/Chicago", "dallas": "America/Chicago",
    "san antonio": "America/Chicago", "chicago": "America/Chicago", "illinois": "America/Chicago",
    "minnesota": "America/Chicago", "louisiana": "America/Chicago",
    "new orleans": "America/Chicago", "miami": "America/New_York", "florida": "America/New_York",
    "new york": "America/New_York", "washington, d.c.": "America/New_York",
    "atlanta": "America/New_York", "boston": "America/New_York",
}  # fmt: skip
# Literal offsets of abbreviations, and the zone an abbreviation names when people use it
# loosely ("EST" in July means Eastern time): those are read in the zone, not literally.
_ABBREV = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "UTC": 0, "GMT": 0,
}  # fmt: skip
_ABBREV_ZONE = {
    "EST": "America/New_York", "ET": "America/New_York", "CST": "America/Chicago",
    "CT": "America/Chicago", "PST": "America/Los_Angeles", "PT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
}  # fmt: skip
_NAMED_ZONE = {
    "eastern": "America/New_York", "central": "America/Chicago", "mountain": "America/Denver",
    "pacific": "America/Los_Angeles", "alaska": "America/Anchorage", "arizona": "America/Phoenix",
    "hawaii": "Pacific/Honolulu",
}  # fmt: skip
_OFFSET_RE = re.compile(r"(?:UTC|GMT)?\s*([+-])(\d{2}):?(\d{2})\b")
_ABBREV_RE = re.compile(r"\b(" + "|".join(_ABBREV) + r")\b")
_TIME_THEN_ABBREV_RE = re.compile(
    r"\d:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?\s*\(?("
    + "|".join([*_ABBREV, "ET", "CT", "PT"])
    + r")\)?(?![A-Za-z])"
)
_NAMED_RE = re.compile(
    r"\b(" + "|".join(_NAMED_ZONE) + r")\s+(?:standard\s+|daylight\s+)?time\b", re.IGNORECASE
)


@dataclass
class ZoneGuess:
    """A clock's zone: a ``tzinfo``, its name, 0-1 confidence and the evidence in words."""

    tz: tzinfo
    name: str
    confidence: float
    basis: str
    # Zones that fit this clock's readings as well; printed times on dates where they give
    # another offset are less certain (see :func:`resolve_print_times`).
    alternatives: list[str] = field(default_factory=list)
    # Zones still within reach: what this clock would be under the hypotheses that scored
    # within ``MARGIN`` of the one chosen. The spread of a printed time over them is how
    # far its instant (and any lag measured from it) may be off.
    plausible: list[str] = field(default_factory=list)


def explicit_offset(text: str) -> timedelta | None:
    """A numeric offset or US zone abbreviation printed with a time, taken literally."""
    m = _OFFSET_RE.search(text)
    if m and re.search(r"\d:\d{2}", text[: m.start()]):
        sign = -1 if m.group(1) == "-" else 1
        return sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    m = _ABBREV_RE.search(text)
    if m and re.search(r"\d:\d{2}", text):
        return timedelta(hours=_ABBREV[m.group(1)])
    return None


def stated_offset(text: str, local: datetime) -> tuple[timedelta, str] | None:
    """The offset a printed time states, as (offset at ``local``, how it was read).

    A named zone ("Eastern Time", Outlook's "(UTC-05:00) Eastern Time (US & Canada)") and
    the loosely used standard-time abbreviations (EST, CST, PST, ET) are read as their
    zone at that date; a numeric offset or a daylight-time abbreviation literally.
    """
    m = _NAMED_RE.search(text)
    if m and re.search(r"\d:\d{2}", text):
        name = _NAMED_ZONE[m.group(1).lower()]
        return _offset_at_local(name, local), f"zone named with the time ({name})"
    m = _TIME_THEN_ABBREV_RE.search(text)
    if m:
        ab = m.group(1)
        if ab in _ABBREV_ZONE:
            name = _ABBREV_ZONE[ab]
            return _offset_at_local(name, local), f"'{ab}' printed with the time ({name})"
        return timedelta(hours=_ABBREV[ab]), f"'{ab}' printed with the time"
    m = _OFFSET_RE.search(text)
    if m and re.search(r"\d:\d{2}", text[: m.start()]):
        sign = -1 if m.group(1) == "-" else 1
        off = sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return off, "offset printed with the time"
    return None


# --------------------------------------------------------------------------- zone arithmetic


@lru_cache(maxsize=256)
def _tz(name: str) -> tzinfo:
    """A zone by IANA name, or a fixed offset written ``UTC-02:00``."""
    m = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    return ZoneInfo(name)


def _fixed_name(off: timedelta) -> str:
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@lru_cache(maxsize=65536)
def _offset_at_utc(name: str, utc: datetime) -> timedelta:
    return utc.astimezone(_tz(name)).utcoffset() or timedelta(0)


@lru_cache(maxsize=65536)
def _offset_at_local(name: str, local: datetime) -> timedelta:
    return local.replace(tzinfo=_tz(name)).utcoffset() or timedelta(0)


def _to_utc(local: datetime, name: str) -> datetime:
    return (local - _offset_at_local(name, local)).replace(tzinfo=UTC)


def _round(td: timedelta) -> timedelta:
    return timedelta(minutes=15 * round(td.total_seconds() / 900))


# --------------------------------------------------------------------------- readings


def _clock(value: str | None) -> str | None:
    return " ".join(value.lower().split()) if value else None


_Obs = tuple[datetime, timedelta, float]  # (UTC instant, offset a reading implies, weight)


@dataclass
class _Reading:
    """One message (``event``) read on one clock at wall-clock time ``local``."""

    event: str
    clock: str  # a person (address) or, for printouts, the mailbox
    local: datetime
    kind: str  # "printed" | "quote" | "sent" (a copy whose Date carries an offset)
    stated: timedelta | None = None  # offset printed with this reading


def _event_key(m: Message, canon: Mapping[str, str]) -> str | None:
    ref = m.bates or m.message_id
    return canon.get(ref, ref) if ref else None


def _readings(messages: Sequence[Message]) -> list[_Reading]:
    """Every dated reading of a message in the production (printed, quoted, sent)."""
    canon = {m.bates: m.duplicate_of for m in messages if m.bates and m.duplicate_of}
    by_id = {m.message_id: m.bates for m in messages if m.message_id and m.bates}
    out: list[_Reading] = []
    for m in messages:
        if m.withheld:
            continue
        event = _event_key(m, canon)
        if event and m.source_kind in PRINTED_KINDS and m.sent_at_raw:
            local = parse_printed(m.sent_at_raw)
            if local is not None:
                owner = _clock(m.mailbox_owner) or f"file:{m.source_file}"
                st = stated_offset(m.sent_at_raw, local)
                out.append(_Reading(event, owner, local, "printed", st and st[0]))
        elif event and m.sent_at is not None and m.sent_at_raw:
            off = explicit_offset(m.sent_at_raw)  # an RFC 5322 Date carries its offset
            sender = _clock(m.email_from)
            if off is not None and sender:
                local = m.sent_at.astimezone(UTC).replace(tzinfo=None) + off
                out.append(_Reading(event, sender, local, "sent", off))
        for i, b in enumerate(m.quoted):
            # A nested header was written by whoever sent the block around it.
            outer = [o for o in m.quoted[:i] if o.start <= b.start <= o.end and o is not b]
            quoting = _clock(outer[-1].header_from if outer else m.email_from)
            if not quoting or not b.header_sent:
                continue
            local = parse_printed(b.header_sent)
            if local is None:
                continue
            origin = b.origin_bates or by_id.get(b.origin_message_id or "", b.origin_message_id)
            if origin:
                qevent = canon.get(origin, origin)
            else:
                words = quote_key_text(b.text)
                if len(words.split()) < 8:
                    continue  # "Thanks." quoted twice is not one message
                qevent = f"q|{_clock(b.header_from)}|{subject_key(b.header_subject)}|{words[:200]}"
            st = stated_offset(b.header_sent, local)
            out.append(_Reading(qevent, quoting, local, "quote", st and st[0]))
    return out


def quote_key_text(text: str) -> str:
    """The part of a quoted block's text that zone inference reads (an unlinked quote is
    known by its first 200 characters, and only when it has 8 words or more): lower-cased,
    spaces collapsed, cut there. ``quote_key_text(quote_key_text(t)) == quote_key_text(t)``,
    so an ingest may hold only this much of each quoted text in memory."""
    words = " ".join(text.lower().split())
    head = words.split(" ", 8)[:8]
    return words[: max(200, len(" ".join(head)))].rstrip()


def _hints(messages: Sequence[Message], known: Mapping[str, str] | None) -> dict[str, str]:
    """Clock -> zone named by a place in that person's signatures or by ``known``."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for m in messages:
        who = _clock(m.email_from)
        if not who or not m.signature:
            continue
        sig = m.signature.lower()
        for place, name in _PLACE_HINTS.items():
            if re.search(rf"\b{re.escape(place)}\b", sig):
                votes[who][name] += 1
    out = {who: c.most_common(1)[0][0] for who, c in votes.items()}
    for key, name in (known or {}).items():
        if zone(name) is not None:
            out[f"known:{key.lower()}"] = name
    return out


# --------------------------------------------------------------------------- the solver


@dataclass
class _Solution:
    """Zones of one group of clocks under one hypothesis, and how well they fit."""

    zones: dict[str, str]
    alternatives: dict[str, list[str]]
    misfits: dict[str, int]
    observed: dict[str, int]
    score: float


class _Group:
    """One connected group of clocks (they share messages), solved hypothesis by hypothesis."""

    def __init__(
        self, readings: list[_Reading], printed: set[str], default: str, hints: Mapping[str, str]
    ) -> None:
        self.readings = readings
        self.printed = printed
        self.default = default
        self.hints = hints
        self.by_clock: dict[str, list[_Reading]] = defaultdict(list)
        self.by_event: dict[str, list[_Reading]] = defaultdict(list)
        for r in readings:
            self.by_clock[r.clock].append(r)
            self.by_event[r.event].append(r)
        self.anchors = self._anchors()
        sizes = Counter(r.clock for r in readings if r.kind == "printed")
        self.root = min(sizes, key=lambda c: (-sizes[c], c)) if sizes else None
        self.candidates = list(CANDIDATE_ZONES)
        if default not in ZONE_PRIOR:
            self.candidates.append(default)

    def _anchors(self) -> dict[str, datetime]:
        """Events whose UTC instant a copy states: sent copies first, then stated offsets."""
        votes: dict[str, Counter[datetime]] = defaultdict(Counter)
        for r in self.readings:
            if r.stated is not None:
                weight = SENT_WEIGHT if r.kind == "sent" else 1
                votes[r.event][(r.local - r.stated).replace(tzinfo=UTC)] += weight
        self.anchor_votes = votes
        return {ev: c.most_common(1)[0][0] for ev, c in votes.items()}

    def prior(self, clock: str, name: str) -> float:
        p = ZONE_PRIOR.get(name, FIXED_PRIOR if name.startswith("UTC") else -1.0)
        if clock in self.printed and clock != self.root and name == self.default:
            p += SECONDARY_BONUS
        person = clock
        if self.hints.get(person) == name:
            p += HINT_BONUS
        domain = person.rsplit("@", 1)[-1]
        for key in (
            f"known:{person}",
            f"known:{domain}",
            f"known:{'.'.join(domain.split('.')[-2:])}",
        ):
            if self.hints.get(key) == name:
                p += KNOWN_BONUS
                break
        return p

    def _choose(self, clock: str, obs: list[_Obs]) -> tuple[str, list[str]]:
        """Best zone for a clock's (utc, offset seen, weight), and the zones fitting as well."""
        samples = Counter(off for _, off, _ in obs)
        names = self.candidates + [_fixed_name(o) for o, _ in samples.most_common(2)]
        scored: list[tuple[float, float, int, str]] = []
        for i, name in enumerate(names):
            bad = sum(w for utc, off, w in obs if _offset_at_utc(name, utc) != off)
            scored.append((-bad + self.prior(clock, name), -bad, -i, name))
        best = max(scored)
        alts = [n for s, b, _, n in scored if b == best[1] and n != best[3]]
        return best[3], alts

    def solve(self, root_zone: str) -> _Solution:
        """Zones of every clock if the root mailbox shows ``root_zone``: most evidence first."""
        utc: dict[str, datetime] = dict(self.anchors)
        zones: dict[str, str] = {}
        alts: dict[str, list[str]] = {}
        known = Counter()
        heap: list[tuple[int, str]] = []

        def learn(event: str, instant: datetime) -> None:
            utc[event] = instant
            for o in self.by_event[event]:
                if o.clock not in zones:
                    known[o.clock] += 1
                    heapq.heappush(heap, (-known[o.clock], o.clock))

        for ev in utc:
            for o in self.by_event[ev]:
                known[o.clock] += 1
        for c, n in known.items():
            heapq.heappush(heap, (-n, c))

        deferred: list[tuple[str, datetime]] = []

        def settle(clock: str, name: str, others: list[str]) -> None:
            zones[clock], alts[clock] = name, others
            for r in self.by_clock[clock]:
                if r.event in utc:
                    continue
                here = _offset_at_local(name, r.local)
                instant = (r.local - here).replace(tzinfo=UTC)
                if any(_offset_at_local(a, r.local) != here for a in others):
                    deferred.append((r.event, instant))  # an equally fitting zone differs
                    continue
                learn(r.event, instant)

        if self.root is not None:
            settle(self.root, root_zone, [])
        while heap or deferred:
            if not heap:  # stuck: use the ambiguous readings rather than leave clocks out
                for event, instant in deferred:
                    if event not in utc:
                        learn(event, instant)
                deferred.clear()
                continue
            n, clock = heapq.heappop(heap)
            if clock in zones or -n != known[clock]:
                continue
            obs = [
                (utc[r.event], _round(r.local - utc[r.event].replace(tzinfo=None)), 1.0)
                for r in self.by_clock[clock]
                if r.event in utc
            ]
            name, others = self._choose(clock, obs)
            settle(clock, name, others)
        # Greedy choices can fulfil themselves: a clock settled early sets its own messages'
        # instants and then fits them. Re-choose each clock against what the *other* clocks
        # say of the messages it reads, until nothing changes.
        for _ in range(6):
            changed = False
            votes = self._votes(zones)
            for clock in sorted(zones):
                if clock == self.root:
                    continue
                obs = self._observations(clock, votes)
                if not obs:
                    continue
                name, others = self._choose(clock, obs)
                alts[clock] = others
                if name != zones[clock]:
                    zones[clock], changed = name, True
            if not changed:
                break
        votes = self._votes(zones)
        misfits: dict[str, int] = Counter()
        observed: dict[str, int] = Counter()
        penalty = 0.0
        for clock, name in zones.items():
            for instant, seen, weight in self._observations(clock, votes):
                observed[clock] += 1
                if seen != _offset_at_utc(name, instant):
                    misfits[clock] += 1
                    penalty += weight
        score = sum(self.prior(c, z) for c, z in zones.items()) - penalty
        score += DEFAULT_BONUS if root_zone == self.default else 0.0
        return _Solution(zones, alts, dict(misfits), dict(observed), score)

    def _votes(self, zones: Mapping[str, str]) -> dict[str, list[tuple[str, datetime]]]:
        """Per message, the instant each reading implies: (clock, UTC)."""
        out: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for r in self.readings:
            name = zones.get(r.clock)
            if name is not None:
                out[r.event].append((r.clock, _to_utc(r.local, name)))
        return out

    def _observations(
        self, clock: str, votes: Mapping[str, list[tuple[str, datetime]]]
    ) -> list[_Obs]:
        """(instant, offset it implies, weight) for each reading of ``clock``, the instant
        taken from the copies and the *other* clocks' readings of the same message. A
        reading that contradicts a copy's dated ``Date`` weighs as five that do not fit."""
        out = []
        for r in self.by_clock[clock]:
            tally: Counter[datetime] = Counter(self.anchor_votes.get(r.event, {}))
            for other, instant in votes.get(r.event, ()):
                if other != clock:
                    tally[instant] += 1
            if tally:
                instant = min(tally, key=lambda t: (-tally[t], t))
                dated = self.anchor_votes.get(r.event, {}).get(instant, 0) >= SENT_WEIGHT
                seen = _round(r.local - instant.replace(tzinfo=None))
                out.append((instant, seen, float(SENT_WEIGHT) if dated else 1.0))
        return out


def _groups(readings: list[_Reading]) -> list[list[_Reading]]:
    """Readings split into groups of clocks that share at least one message."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[str, str] = {}
    for r in readings:
        find(r.clock)
        if r.event in first:
            parent[find(r.clock)] = find(first[r.event])
        else:
            first[r.event] = r.clock
    out: dict[str, list[_Reading]] = defaultdict(list)
    for r in readings:
        out[find(r.clock)].append(r)
    return [out[k] for k in sorted(out)]


@dataclass
class _Decision:
    """What one group settled on: the solution used and the words that justify it."""

    solution: _Solution
    confidence: dict[str, float]
    basis: dict[str, str]
    plausible: dict[str, list[str]]


def _decide(group: _Group, mode: str) -> _Decision | None:
    """Try every zone for the root mailbox; keep the default unless beaten by ``MARGIN``."""
    if group.root is None:
        return None
    results = {z: group.solve(z) for z in group.candidates}
    default_sol = results[group.default]
    ranked = sorted(results.items(), key=lambda kv: (-kv[1].score, group.candidates.index(kv[0])))
    best_zone, best = ranked[0]
    gap = best.score - default_sol.score
    evidence = sum(default_sol.observed.values()) - default_sol.observed.get(group.root, 0)
    evidence += sum(1 for r in group.by_clock[group.root] if r.event in group.anchors)
    runner = next((s for z, s in ranked if z != group.default), None)
    if best_zone != group.default and gap >= MARGIN:
        chosen, root_zone = best, best_zone
        second = ranked[1][1].score if len(ranked) > 1 else best.score - 10
        sure = 1 - math.exp(-(best.score - second) / 3)
        root_conf = min(0.95, 0.55 + 0.4 * sure)
        root_basis = (
            f"{best_zone}: fits the readings better than the default {group.default} "
            f"(score {best.score:.1f} vs {default_sol.score:.1f}; "
            f"{_fit_words(best)})"
        )
    else:
        chosen, root_zone = default_sol, group.default
        if best_zone != group.default:
            root_conf = 0.35
            root_basis = (
                f"kept the default {group.default} (--timezone): {best_zone} fits a little "
                f"better (by {gap:.1f} < {MARGIN:g}), too weak to replace it"
            )
        elif evidence == 0:
            root_conf = 0.3
            root_basis = (
                f"no message shared with another clock; assumed {group.default} (--timezone)"
            )
        else:
            margin = default_sol.score - (runner.score if runner else default_sol.score - 10)
            sure = 1 - math.exp(-margin / 3)
            root_conf = 0.4 + 0.55 * sure
            root_basis = (
                f"assumed the default {group.default} (--timezone); the readings fit it "
                f"(next best zone by {margin:.1f}; {_fit_words(default_sol)})"
            )
    confidence: dict[str, float] = {}
    basis: dict[str, str] = {}
    root = group.root
    n_root = chosen.observed.get(root, 0)
    fit_root = 1 - chosen.misfits.get(root, 0) / max(n_root, 1)
    contested = root_zone == group.default and best_zone != group.default
    # A default kept against weak contrary readings is a guess, not a measurement: its
    # confidence says so rather than the share of readings it fits (which may be none).
    confidence[root] = round(root_conf if contested else max(0.05, root_conf * fit_root), 3)
    basis[root] = root_basis + (f"; {mode}" if mode else "")
    for clock, name in chosen.zones.items():
        if clock == root:
            continue
        n = chosen.observed.get(clock, 0)
        fit = 1 - chosen.misfits.get(clock, 0) / max(n, 1)
        conf = root_conf * fit * (0.95 if n >= 2 else 0.8)
        if chosen.alternatives.get(clock):
            conf *= 0.8
        confidence[clock] = round(conf, 3)
        hint = group.hints.get(clock)
        basis[clock] = (
            f"{name}: {n} reading(s) of messages shared with {root} ({root_zone})"
            + (f", {chosen.misfits[clock]} not fitting" if chosen.misfits.get(clock) else "")
            + (f"; signature names a place in {hint}" if hint == name else "")
            + (
                f"; {', '.join(chosen.alternatives[clock][:2])} fit as well"
                if chosen.alternatives.get(clock)
                else ""
            )
        )
    near = [s for _, s in ranked if s is not chosen and s.score >= chosen.score - MARGIN]
    plausible: dict[str, list[str]] = {}
    for clock, name in chosen.zones.items():
        other = {s.zones[clock] for s in near if s.zones.get(clock, name) != name}
        plausible[clock] = sorted(other)
    return _Decision(chosen, confidence, basis, plausible)


def _fit_words(sol: _Solution) -> str:
    clocks = len(sol.zones)
    n = sum(sol.observed.values())
    bad = sum(sol.misfits.values())
    plain = sum(1 for z in sol.zones.values() if ZONE_PRIOR.get(z, FIXED_PRIOR) > -2.5)
    return f"{n - bad}/{n} readings on {clocks} clocks fit, {plain} of them in U.S. zones"


def _as_split(readings: Iterable[_Reading], owners: set[str]) -> list[_Reading]:
    """The same readings with the printouts of ``owners`` on clocks of their own."""
    out = []
    for r in readings:
        if r.kind == "printed" and r.clock in owners:
            r = _Reading(r.event, f"print:{r.clock}", r.local, r.kind, r.stated)
        out.append(r)
    return out


def _run(
    readings: list[_Reading], default: str, hints: Mapping[str, str], mode: str
) -> tuple[dict[str, ZoneGuess], float, dict[str, int]]:
    """Decide every group: guesses per printed clock, total score, misfits per clock."""
    guesses: dict[str, ZoneGuess] = {}
    total = 0.0
    misfits: dict[str, int] = {}
    for group_readings in _groups(readings):
        printed = {r.clock for r in group_readings if r.kind == "printed"}
        if not printed:
            continue
        g = _Group(group_readings, printed, default, hints)
        d = _decide(g, mode if any(c.startswith("print:") for c in printed) else "")
        if d is None:
            continue
        total += d.solution.score
        misfits.update(d.solution.misfits)
        for clock in printed:
            guesses[clock] = _guess(d, clock, default)
    return guesses, total, misfits


def infer_zones(
    messages: Sequence[Message], default_tz: str, known: Mapping[str, str] | None = None
) -> dict[str, ZoneGuess]:
    """Zone per printed mailbox (keyed by its owner as stored in ``mailbox_owner``).

    ``known`` maps addresses or domains whose zone the caller knows (the agency's office,
    an outlet's newsroom) to IANA names; they weigh a little more than a place named in a
    signature, and never alone against the default: readings must agree.
    """
    default = default_tz if zone(default_tz) is not None else "UTC"
    readings = _readings(messages)
    hints = _hints(messages, known)
    guesses, score, misfits = _run(readings, default, hints, "")
    # A mailbox printed in another zone than its owner writes quote headers in shows as
    # readings of the owner's clock that do not fit: give those printouts clocks of their
    # own and keep that reading if it fits clearly better.
    size = Counter(r.clock for r in readings)
    owners = {r.clock for r in readings if r.kind == "printed"}
    # One clock cannot show one message at two times: the owner's quote header of a
    # message printed in their mailbox at another time says the printout's clock differs.
    printed_at = {(r.clock, r.event): r.local for r in readings if r.kind == "printed"}
    clash = Counter(
        r.clock
        for r in readings
        if r.kind != "printed" and printed_at.get((r.clock, r.event), r.local) != r.local
    )
    suspects = {
        o
        for o in owners
        if clash[o] >= 2 or (misfits.get(o, 0) >= 3 and misfits[o] >= 0.15 * size[o])
    }
    if suspects:
        split_hints = {**hints, **{f"print:{o}": hints[o] for o in suspects if o in hints}}
        mode = "printout read on a clock of its own (its owner's quote headers are in another zone)"
        g2, score2, _ = _run(_as_split(readings, suspects), default, split_hints, mode)
        if score2 > score + MERGED_BONUS:
            guesses = {k.removeprefix("print:"): v for k, v in g2.items()}
    return guesses


def _guess(d: _Decision, clock: str, default: str) -> ZoneGuess:
    name = d.solution.zones.get(clock)
    if name is None:  # never reached: nothing ties it to the rest of its group
        return ZoneGuess(_tz(default), default, 0.3, f"no usable readings; assumed {default}")
    return ZoneGuess(
        _tz(name),
        name,
        d.confidence.get(clock, 0.3),
        d.basis.get(clock, ""),
        list(d.solution.alternatives.get(clock, [])),
        list(d.plausible.get(clock, [])),
    )


def resolve_print_times(
    messages: Sequence[Message], default_tz: str, known: Mapping[str, str] | None = None
) -> dict[str, ZoneGuess]:
    """Set ``sent_at``/``sent_tz*`` of printed messages from the best cue for each.

    In order: an offset printed with the time; the same message's copy with a dated
    offset (EML/MSG ingested together); the zone inferred for its mailbox; the default.
    """
    default_name = default_tz if zone(default_tz) is not None else "UTC"
    guesses = infer_zones(messages, default_name, known)
    canon = {m.bates: m.duplicate_of for m in messages if m.bates and m.duplicate_of}
    sibling: dict[str, datetime] = {}
    for m in messages:
        key = _event_key(m, canon)
        if (
            key
            and not m.withheld
            and m.source_kind not in PRINTED_KINDS
            and m.sent_at
            and m.sent_at_raw
            and explicit_offset(m.sent_at_raw) is not None
        ):
            sibling[key] = m.sent_at.astimezone(UTC)
    for m in messages:
        if m.withheld or m.source_kind not in PRINTED_KINDS or not m.sent_at_raw:
            continue
        local = parse_printed(m.sent_at_raw)
        if local is None:
            continue
        stated = stated_offset(m.sent_at_raw, local)
        if stated is not None:
            off, how = stated
            m.sent_at = (local - off).replace(tzinfo=UTC)
            m.sent_tz, m.sent_tz_confidence = _fixed_name(off), 0.99
            m.sent_tz_basis = how
            m.sent_at_earliest = m.sent_at_latest = None
            continue
        owner = _clock(m.mailbox_owner) or f"file:{m.source_file}"
        g = guesses.get(owner)
        key = _event_key(m, canon)
        if key in sibling:
            m.sent_at = sibling[key]
            seen = _round(local - sibling[key].replace(tzinfo=None))
            m.sent_tz = (
                g.name if g and _offset_at_utc(g.name, sibling[key]) == seen else _fixed_name(seen)
            )
            m.sent_tz_confidence = 0.99
            m.sent_tz_basis = "the same message's copy with a dated offset (Date header)"
            m.sent_at_earliest = m.sent_at_latest = None
            continue
        if g is None:
            g = ZoneGuess(
                _tz(default_name),
                default_name,
                0.3,
                f"mailbox not tied to any other clock; assumed {default_name}",
            )
        m.sent_at = _to_utc(local, g.name)
        m.sent_tz, m.sent_tz_basis = g.name, g.basis
        conf = g.confidence
        here = _offset_at_local(g.name, local)
        other = [a for a in g.alternatives if _offset_at_local(a, local) != here]
        if other:
            conf *= 0.6
            m.sent_tz_basis += f"; on this date {other[0]} would read it otherwise"
        spread = reach(local, g)
        m.sent_at_earliest = m.sent_at_latest = None
        if spread:
            hours = [h for _, h in spread]
            m.sent_at_earliest = m.sent_at + timedelta(hours=min(0.0, *hours))
            m.sent_at_latest = m.sent_at + timedelta(hours=max(0.0, *hours))
            worst = max(abs(h) for _, h in spread)
            m.sent_tz_basis += (
                f"; uncertain by up to {worst:g} h ("
                + ", ".join(
                    f"{z}: {abs(h):g} h {'earlier' if h < 0 else 'later'}" for z, h in spread
                )
                + ")"
            )
        m.sent_tz_confidence = round(conf, 3)
    return guesses


def reach(local: datetime, guess: ZoneGuess) -> list[tuple[str, float]]:
    """(zone, hours) for each zone still within reach that would place a printed wall-clock
    time ``local`` at another instant: hours > 0 later than the chosen zone puts it.

    This is the range a lag measured from the message should carry: an article printed
    two hours after an email whose instant may be three hours later is not known to follow
    it. :func:`resolve_print_times` stores the range as ``sent_at_earliest``/``_latest``.
    """
    chosen = _to_utc(local, guess.name)
    out: list[tuple[str, float]] = []
    for name in sorted({*guess.alternatives, *guess.plausible} - {guess.name}):
        hours = (_to_utc(local, name) - chosen).total_seconds() / 3600
        if hours:
            out.append((name, hours))
    return out
