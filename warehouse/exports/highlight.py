"""Where a shared detail sits in a quote, so the report can mark it in both texts.

The detail rules of ``matching/details.py`` say which words gave a key (``Detail.text``);
when they do not find it again (a name found by NER, a date resolved against another
reference day), the key's own words are looked for ("citizenship:peru" marks "Peruvian").
Deterministic; the result is HTML with everything but the marks escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime

_WORDISH = re.compile(r"[a-z]{3,}|\d+")


def spans_of(
    text: str, keys: Iterable[str], ref: datetime | None = None
) -> list[tuple[int, int, str]]:
    """(start, end, key) of each place in ``text`` that carries one of ``keys``, merged."""
    from matching.details import extract

    keys = [k for k in dict.fromkeys(keys) if k]
    if not text or not keys:
        return []
    found: list[tuple[int, int, str]] = []
    by_key: dict[str, list[str]] = {}
    try:
        for d in extract(text, ref):
            by_key.setdefault(d.key, []).append(d.text)
    except Exception:  # noqa: BLE001 - a rule failing on odd text must not stop a report
        by_key = {}
    low = text.lower()
    for key in keys:
        hits = []
        for piece in by_key.get(key, []):
            start = text.find(piece)
            while piece and start >= 0:
                hits.append((start, start + len(piece), key))
                start = text.find(piece, start + len(piece))
        if not hits:
            value = key.split(":", 1)[-1].replace("-none", "")
            for word in _WORDISH.findall(value.lower()):
                for m in re.finditer(rf"(?<![a-z0-9]){re.escape(word)}[a-z]*", low):
                    hits.append((m.start(), m.end(), key))
        found.extend(hits)
    found.sort()
    merged: list[tuple[int, int, str]] = []
    for s, e, k in found:
        if merged and s <= merged[-1][1]:
            ps, pe, pk = merged[-1]
            merged[-1] = (ps, max(pe, e), pk if k in pk.split(" ") else f"{pk} {k}")
        else:
            merged.append((s, e, k))
    return merged


def marked(text: str | None, keys: Iterable[str], ref: datetime | None = None) -> str:
    """``text`` as escaped HTML with each shared detail in ``<mark>``."""
    text = text or ""
    out, pos = [], 0
    for s, e, k in spans_of(text, keys, ref):
        out.append(html.escape(text[pos:s]))
        out.append(f'<mark title="{html.escape(k)}">{html.escape(text[s:e])}</mark>')
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)
