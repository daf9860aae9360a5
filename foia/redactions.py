"""Find FOIA redaction markers in released text and normalize their codes.

Two families exist in the wild:

* 5 U.S.C. 552 exemption markers printed in place of withheld text: ``(b)(6)``,
  ``(b)(7)(C)``, ``(b)(5)``; a combined ``(b)(6); (b)(7)(C)`` is two markers.
* State Department style codes (``B6``, ``B5``, ``B1 1.4(D)``) that appear in page
  banners (``RELEASE IN PART B6``) and margin notes. ``B1``/``B2`` are also ordinary
  tokens (``B1/B2 visitor visa``), so these are only taken from banner or margin
  lines, never from running text.

The matcher treats markers as tokens, so readers keep them in the text as printed;
this module only reports where they are and what they mean.
"""

from __future__ import annotations

import re

from foia.models import Redaction

# (b)(6), (b) (7) (c), (b)(7)(C), (B)(5) ... tolerant of inner spaces and letter case.
# Only exemption 7 has lettered parts: in "(b)(6) (c)" the "(c)" marks a cell number, and
# the "(b)" of a following "(b)(7)" starts the next marker, not a part of this one.
_FOIA_RE = re.compile(
    r"\(\s*[bB]\s*\)\s*\(\s*(?:(?P<seven>7)\s*\)"
    r"(?:\s*\(\s*(?P<sub>[A-Fa-f])\s*\)(?!\s*\(\s*[1-9]\s*\)))?|(?P<num>[1-689])\s*\))"
)

# One State-style code: B1..B9 optionally followed by an E.O. 13526 1.4(x) category list.
_STATE_CODE = r"B[1-9](?:\s*,?\s*1\.4\s*\(\s*[A-Ha-h]\s*\)(?:\s*,\s*1\.4\s*\(\s*[A-Ha-h]\s*\))*)?"
_STATE_CODE_RE = re.compile(rf"(?<![A-Za-z0-9/\-])(?P<code>{_STATE_CODE})(?![A-Za-z0-9/\-])")
# A banner such as "RELEASE IN PART B6" / "RELEASED IN PART B1, 1.4(D), B6".
_BANNER_RE = re.compile(
    r"\bRELEASED?\s+IN\s+(?:PART|FULL)\b|\bDENIED\s+IN\s+(?:PART|FULL)\b"
    r"|^\s*EXEMPTIONS?\s*(?:CLAIMED|APPLIED)?\s*[:\-]",
    re.IGNORECASE,
)
# Classification marking lines of State releases ("UNCLASSIFIED ... B1 1.4(D)"); all caps only.
_MARKING_RE = re.compile(r"\bUNCLASSIFIED\b|\bClassified [Bb]y\b|\bREASON:|\bDECL:")
# A margin note: a line holding nothing but State codes and separators.
_MARGIN_LINE_RE = re.compile(rf"^\s*(?:{_STATE_CODE})(?:\s*[,;/&]?\s*(?:{_STATE_CODE}))*\s*$")
_CATEGORY_RE = re.compile(r"1\.4\s*\(\s*([A-Ha-h])\s*\)")


def normalize_foia_code(num: str, sub: str | None) -> str:
    """``(b)(7)(c)`` -> ``(b)(7)(C)``: one spelling per exemption so codes group."""
    return f"(b)({num})" + (f"({sub.upper()})" if sub else "")


def _normalize_state_code(raw: str) -> str:
    """``B1 1.4(d), 1.4(b)`` -> ``B1 1.4(D) 1.4(B)``."""
    head = raw[:2].upper()
    cats = [f"1.4({c.upper()})" for c in _CATEGORY_RE.findall(raw)]
    return " ".join([head, *cats])


def find_redactions(text: str) -> list[Redaction]:
    """All redaction markers in ``text``, in order, with offsets into ``text``."""
    found: list[Redaction] = [
        Redaction(normalize_foia_code(m["num"] or m["seven"], m["sub"]), m.start(), m.end())
        for m in _FOIA_RE.finditer(text)
    ]
    offset = 0
    for line in text.splitlines(keepends=True):
        banner = _BANNER_RE.search(line) or _MARKING_RE.search(line)
        if banner or _MARGIN_LINE_RE.match(line):
            start_at = banner.end() if banner else 0
            for m in _STATE_CODE_RE.finditer(line, start_at):
                code = m["code"].rstrip(", ")
                start = offset + m.start("code")
                found.append(Redaction(_normalize_state_code(code), start, start + len(code)))
        offset += len(line)
    found.sort(key=lambda r: (r.start, r.end))
    return found


def redaction_codes(text: str) -> list[str]:
    """Distinct codes in order of first appearance (what the warehouse stores per message)."""
    seen: dict[str, None] = {}
    for r in find_redactions(text):
        seen.setdefault(r.code, None)
    return list(seen)
