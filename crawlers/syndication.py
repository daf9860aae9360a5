"""Syndicated copies: near-duplicate articles across outlets, grouped under the earliest.

A copy is usually trimmed, re-headlined and carries an "originally appeared in" note, so
Jaccard similarity of the whole texts undersells it; what stays is that most of the
copy's word 5-gram shingles are in the original. The measure is therefore *containment*
``|A ∩ B| / min(|A|, |B|)`` over hashed shingles.

Finding pairs must not be all-pairs: each text is sketched by mod-p sampling of its
shingle hashes (Broder's "mod-m" sketch: keep hashes ≡ 0 mod p, an unbiased sample of the
set that two near-duplicates share proportionally), an inverted index over the sampled
hashes yields candidate pairs that share enough of them, and only candidates get the
exact containment. Shingles that occur in many documents (site furniture, standard
notes) are ignored so that they cannot glue unrelated articles together.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

METHOD = "shingle5-containment-modsample"
SHINGLE = 5
SAMPLE_MOD = 4  # keep 1 in 4 shingle hashes in the sketch
MIN_SHINGLES = 25  # shorter texts are too generic to call copies
THRESHOLD = 0.6
# A copy that says so ("This story originally appeared in ...") needs less text in common:
# short wire copies are trimmed and re-punctuated until plain containment undersells them.
NOTED_THRESHOLD = 0.35
_NOTE = re.compile(
    r"\b(?:originally (?:appeared|published|ran)|first (?:appeared|published|ran)|republished"
    r"|reprinted|shared through|used with permission|distributed by"
    r"|via the \w+ (?:news )?exchange)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")


@dataclass
class Copy:
    url: str
    original_url: str
    similarity: float


def shingles(text: str, n: int = SHINGLE) -> set[int]:
    """Hashed word n-grams (64-bit blake2b: stable across processes, unlike ``hash``)."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    out = set()
    for i in range(max(len(words) - n + 1, 0)):
        gram = " ".join(words[i : i + n]).encode("utf-8")
        out.add(int.from_bytes(hashlib.blake2b(gram, digest_size=8).digest(), "big"))
    return out


def containment(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _sort_key(doc: dict[str, Any]) -> tuple[int, Any, str]:
    published = doc.get("published_at")
    if isinstance(published, str):
        try:
            published = datetime.fromisoformat(published)
        except ValueError:
            published = None
    return (published is None, published or 0, doc["url"])


def find_copies(
    docs: Sequence[dict[str, Any]],
    threshold: float = THRESHOLD,
    *,
    max_df: int | None = None,
) -> list[Copy]:
    """Group near-duplicates of different outlets; every non-earliest member is a Copy.

    ``docs``: dicts with ``url``, ``outlet``, ``published_at`` (datetime or ISO string)
    and ``text``. Pairs in the same outlet are never linked (that is a re-post or a
    version, not syndication).
    """
    sets = {d["url"]: shingles(d.get("text") or "") for d in docs}
    noted = {d["url"] for d in docs if _NOTE.search(d.get("text") or "")}
    lowest = min(threshold, NOTED_THRESHOLD)
    by_url = {d["url"]: d for d in docs}
    df: Counter[int] = Counter(h for s in sets.values() for h in s if h % SAMPLE_MOD == 0)
    limit = max_df if max_df is not None else max(5, len(docs) // 50)
    index: dict[int, list[str]] = defaultdict(list)
    for url, s in sets.items():
        if len(s) < MIN_SHINGLES:
            continue
        for h in s:
            if h % SAMPLE_MOD == 0 and df[h] <= limit:
                index[h].append(url)
    shared: Counter[tuple[str, str]] = Counter()
    for urls in index.values():
        for i, a in enumerate(urls):
            for b in urls[i + 1 :]:
                shared[(a, b) if a < b else (b, a)] += 1
    parent = {url: url for url in sets}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), count in shared.items():
        if by_url[a].get("outlet") == by_url[b].get("outlet"):
            continue
        smaller = min(len(sets[a]), len(sets[b]))
        if count < lowest * smaller / SAMPLE_MOD / 2:  # cheap bound before the exact test
            continue
        need = min(threshold, NOTED_THRESHOLD) if noted & {a, b} else threshold
        if containment(sets[a], sets[b]) >= need:
            parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for url in sets:
        groups[find(url)].append(url)
    copies = []
    for members in groups.values():
        if len(members) < 2:
            continue
        ordered = sorted((by_url[u] for u in members), key=_sort_key)
        original = ordered[0]["url"]
        for doc in ordered[1:]:
            sim = containment(sets[doc["url"]], sets[original])
            copies.append(Copy(doc["url"], original, round(sim, 4)))
    return sorted(copies, key=lambda c: c.url)


def as_rows(copies: Iterable[Copy]) -> list[dict[str, Any]]:
    return [
        {"url": c.url, "original_url": c.original_url, "similarity": c.similarity} for c in copies
    ]
