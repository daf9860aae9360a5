"""Split texts into paragraphs and sentences, the unit that evidence quotes are made of.

A rule-based splitter: news and email prose, with the abbreviations that end in a period
without ending a sentence (titles, initials, "U.S.", "a.m.", "No.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "lt", "sgt", "capt", "col", "gen",
    "gov", "sen", "rep", "rev", "hon", "det", "ofc", "insp", "atty", "supt", "cpl", "maj",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "v", "inc", "co", "corp", "ltd", "dept", "est", "approx", "etc", "al",
    "u.s", "u.k", "u.n", "a.m", "p.m", "d.c", "e.g", "i.e", "ave", "blvd", "rd", "mt", "ft",
}  # fmt: skip
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace
# and an upper-case letter, digit or opening quote.
_BOUNDARY = re.compile(r"([.!?][\"'”’)\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9])")
_PARA = re.compile(r"\n\s*\n")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Segment:
    idx: int
    para_idx: int
    text: str


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks with inner line breaks joined (wrapped email lines)."""
    return [p for p in (_WS.sub(" ", block).strip() for block in _PARA.split(text or "")) if p]


def sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(paragraph):
        head = paragraph[start : m.start(1)]
        last = head.rsplit(None, 1)[-1].lower().rstrip(".") if head.split() else ""
        if last in _ABBREV or (len(last) == 1 and last.isalpha()):
            continue  # "Lt. Ray", "J. Smith", "U.S. citizen": not a boundary
        out.append(paragraph[start : m.end(1)].strip())
        start = m.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def segment(text: str, min_chars: int = 8) -> list[Segment]:
    """Sentences of ``text`` with their paragraph number; fragments shorter than
    ``min_chars`` (sign-offs like "Thanks," or initials) carry no evidence and are dropped."""
    segs: list[Segment] = []
    for p_idx, para in enumerate(paragraphs(text)):
        for sent in sentences(para):
            if len(sent) >= min_chars:
                segs.append(Segment(len(segs), p_idx, sent))
    return segs
