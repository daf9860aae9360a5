"""Names of people outside the agency, replaced consistently ("Person 1") for public bundles.

Who counts as a person outside the agency, from what the warehouse knows:

- addresses on the exported emails (sender, To, Cc) whose domain is not the agency's
  (``matching/parties.py`` agency_domains: the domains on most of the production's mail):
  reporters, lawyers, the public. Their display names (``emails.from_name``) and the local
  part of the address are the same person.
- names in the exported texts: the capitalized-word rule of ``matching/details.py``
  (``name:`` details) finds them; words next to each other are one person ("Luis Ortega",
  then "Ortega" alone, is the same Person). Names of the agency's own senders are kept:
  press officers speak for the agency in public.

Limits (said in the bundle's README too): the rule cannot tell a person from a place or an
organization that is not in its word lists, so it over-redacts those ("Vesper Falls" may
become "Person 3"); a name written in lower case or only inside a URL is not found; URLs and
hashes are kept so the copies can be checked, and an article's URL often carries a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from warehouse.exports.core import EvidenceSet

REDACTED_COLUMNS = (
    "email_from",
    "email_to",
    "email_quote",
    "article_quote",
    "note",
    "message_id",
    "source_file",
    "shared_details",
    "detail_key",
    "explanation",
)  # fmt: skip  (URLs, hashes and keys of records stay: they are what a reader checks)
_HIDDEN_TEXT = ("email_cc", "email_subject", "article_title")
_ADDR = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


# words that make a run of capitalized words a place or a body, not a person
_PLACE_CUES = {
    "airport", "county", "city", "plains", "river", "lake", "falls", "street", "road",
    "avenue", "company", "co", "inc", "llc", "corp", "feed", "seed", "school", "university",
    "college", "hospital", "church", "park", "valley", "mountain", "international", "center",
    "courthouse", "jail", "police", "department", "office", "bank", "hotel", "market", "store",
    "warehouse", "news", "times", "post", "courier", "gazette", "herald", "tribune", "journal",
    "press", "star", "radio", "tv", "court", "prison", "detention", "facility", "field", "port",
    "station", "bridge", "highway", "county's", "state", "district", "operations", "agency",
    "tavern", "bar", "restaurant", "cafe", "club", "mall", "plaza", "square",
}  # fmt: skip
# US states and their usual abbreviations: places, never people
_STATES = {
    "alabama", "ala", "alaska", "arizona", "ariz", "arkansas", "ark", "california", "calif",
    "colorado", "colo", "connecticut", "conn", "delaware", "del", "florida", "fla", "georgia",
    "ga", "hawaii", "idaho", "illinois", "ill", "indiana", "ind", "iowa", "kansas", "kan",
    "kentucky", "ky", "louisiana", "la", "maine", "maryland", "md", "massachusetts", "mass",
    "michigan", "mich", "minnesota", "minn", "mississippi", "miss", "missouri", "mo", "montana",
    "mont", "nebraska", "neb", "nevada", "nev", "hampshire", "jersey", "mexico", "york",
    "carolina", "dakota", "ohio", "oklahoma", "okla", "oregon", "ore", "pennsylvania", "pa",
    "rhode", "island", "tennessee", "tenn", "texas", "tex", "utah", "vermont", "vt", "virginia",
    "va", "washington", "wash", "wisconsin", "wis", "wyoming", "wyo", "chicago", "rio",
}  # fmt: skip


def _capital_runs_at(text: str) -> list[tuple[int, list[tuple[int, str]]]]:
    """Runs of capitalized words (joined by spaces, '&' or "of"), with their offsets."""
    runs: list[list[tuple[int, str]]] = []
    cur: list[tuple[int, str]] = []
    last_end = 0
    for m in _WORD.finditer(text):
        w = m.group(0)
        gap = text[last_end : m.start()]
        joined = cur and gap.strip() in ("", "&") and "\n" not in gap
        if w[:1].isupper() or (joined and w in ("of", "and")):
            if not joined and cur:
                runs.append(cur)
                cur = []
            cur.append((m.start(), w))
        elif cur:
            runs.append(cur)
            cur = []
        last_end = m.end()
    if cur:
        runs.append(cur)
    return [(i, run) for i, run in enumerate(runs)]


def _capital_runs(text: str) -> list[list[str]]:
    return [[w for _, w in run] for _, run in _capital_runs_at(text)]


def _is_place(run: list[str]) -> bool:
    return any(w.lower().strip("'’") in _PLACE_CUES for w in run)


class NameRedactor:
    """One consistent Person number per person, for every text of one export."""

    def __init__(self, agency: set[str], keep_words: Iterable[str] = ()) -> None:
        self.agency = agency
        self.keep = {w.lower() for w in keep_words}
        self._parent: dict[str, str] = {}
        self._label: dict[str, str] = {}

    # union-find over "word" and "@address" tokens: one component is one person
    def _find(self, t: str) -> str:
        self._parent.setdefault(t, t)
        while self._parent[t] != t:
            self._parent[t] = self._parent[self._parent[t]]
            t = self._parent[t]
        return t

    def _union(self, tokens: list[str]) -> None:
        for t in tokens[1:]:
            a, b = self._find(tokens[0]), self._find(t)
            if a != b:
                self._parent[b] = a

    def outside(self, address: str) -> bool:
        from matching.parties import address_domain, registered_domain

        host = address_domain(address)
        return bool(host) and registered_domain(host) not in self.agency  # type: ignore[arg-type]

    def add_address(self, address: str, display_name: str | None = None) -> None:
        """An outside address, with the name shown beside it (the same person); a
        first.last local part names them too."""
        addr = address.strip().lower()
        tokens = ["@" + addr]
        local = re.split(r"[._+-]", addr.split("@", 1)[0])
        if len(local) > 1:
            tokens += [w for w in local if len(w) > 2 and w.isalpha() and w not in self.keep]
        if display_name:
            words = [w.lower() for w in _WORD.findall(display_name) if len(w) > 1]
            tokens += [w for w in words if w not in self.keep]
        self._find(tokens[0])
        self._union(tokens)

    def add_text(self, text: str | None) -> None:
        """Names the detail rules find in ``text``; name words in one run of capitalized
        words are one person, unless the run names a place or a body ("Vesper Falls",
        "Northland Seed & Feed", "O'Hare International Airport")."""
        from matching.details import extract

        if not text:
            return
        from matching.details import _MONTHS, _NOT_NAMES, _PLACE_WORDS, DEMONYMS

        found = {d.text.lower() for d in extract(text) if d.type == "name"} - self.keep
        for run in _capital_runs(text):
            if _is_place(run) or not any(w.lower() in found for w in run):
                continue
            # the whole run is the name ("Vilius Kazlauskas": the rule skips a first word)
            names = [
                low
                for w in run
                if len(low := w.lower()) > 1
                and low not in self.keep
                and low not in _NOT_NAMES
                and low not in _MONTHS
                and low not in _PLACE_WORDS
                and low not in DEMONYMS
                and low not in _STATES
                and low not in ("of", "and")
            ]
            if names:
                self._find(names[0])
                self._union(names)

    def _labels(self) -> None:
        """Person numbers in the order people were first met."""
        for t in self._parent:
            root = self._find(t)
            if root not in self._label:
                self._label[root] = f"Person {len(self._label) + 1}"

    def label(self, token: str) -> str | None:
        if token not in self._parent:
            return None
        self._labels()
        return self._label[self._find(token)]

    def text(self, value: str | None) -> str | None:
        """``value`` with every known outside address and name replaced."""
        if not value:
            return value
        self._labels()

        def addr(m: re.Match[str]) -> str:
            return self.label("@" + m.group(0).lower()) or m.group(0)

        value = _ADDR.sub(addr, value)
        skip = {
            i
            for i, run in _capital_runs_at(value)
            if _is_place([w for _, w in run])
            for i, _ in run
        }
        out, pos, last_label = [], 0, None
        for m in _WORD.finditer(value):
            w = m.group(0)
            lab = None
            if m.start() not in skip and (w[:1].isupper() or w.isupper()):
                lab = self.label(w.lower())
            if lab is None:
                if value[pos : m.start()].strip():
                    last_label = None
                continue
            between = value[pos : m.start()]
            if last_label == lab and between.strip() == "":
                pos = m.end()  # "Luis Ortega": one "Person 1", not two
                continue
            out.append(between + lab)
            pos, last_label = m.end(), lab
        out.append(value[pos:])
        text = "".join(out)
        # name detail keys (name:ortega) name the person too
        return re.sub(
            r"\bname:([a-z'’-]+)",
            lambda m: "name:" + (self.label(m.group(1)) or m.group(1)).lower().replace(" ", "-"),
            text,
        )


def redactor_for(con: Any, rows: list[dict[str, Any]]) -> NameRedactor:
    """A redactor knowing the agency's domains and the outside people of ``rows``."""
    from matching.parties import address_domain, agency_domains, registered_domain

    mail = con.execute(
        "SELECT email_from, from_name, coalesce(email_to, []) || coalesce(email_cc, []) FROM emails"
    ).fetchall()
    agency = agency_domains((s, rcpt) for s, _, rcpt in mail)
    keep = set()
    for sender, name, _ in mail:  # the agency's own people speak for it in public
        host = address_domain(sender)
        if name and host and registered_domain(host) in agency:
            keep.update(w.lower() for w in _WORD.findall(name))
    outlets = {str(r["outlet"]) for r in rows if r.get("outlet")}
    keep.update(w for o in outlets for w in re.split(r"[^a-z]+", o.lower()) if w)
    red = NameRedactor(agency, keep)
    names = {s.lower(): n for s, n, _ in mail if s}
    for r in rows:
        addrs = [r.get("email_from") or ""]
        for col in ("email_to", "email_cc"):
            addrs += [a.strip() for a in (r.get(col) or "").split(";")]
        for a in addrs:
            if a and "@" in a and red.outside(a):
                red.add_address(a, names.get(a.lower()))
    for r in rows:
        for col in ("email_quote", "article_quote", "note", "email_subject", "article_title"):
            red.add_text(r.get(col))
    return red


def redact(ev: EvidenceSet, red: NameRedactor) -> EvidenceSet:
    """A copy of ``ev`` with every exported text (and the report's hidden ones) redacted."""
    rows = []
    for r in ev.rows:
        r = dict(r)
        for c in (*REDACTED_COLUMNS, *_HIDDEN_TEXT):
            if isinstance(r.get(c), str):
                r[c] = red.text(r[c])
        r["_source_href"] = None  # the originals are not in a public bundle
        rows.append(r)
    out = EvidenceSet(
        rows,
        ev.filter,
        ev.exported_at,
        ev.warehouse,
        ev.matcher_versions,
        ev.foiatrace_version,
        redacted=True,
        notes=[*ev.notes, "names of people outside the agency replaced by Person N"],
    )
    return out
