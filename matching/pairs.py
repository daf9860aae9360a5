"""Sentence-pair evidence beyond cosine: shared and conflicting concrete details.

Two sentences about the same event that differ in a number, a date or a name are different
claims; two that share them are likely the same claim, however reworded. These features are
what the matcher adds to raw embedding cosine, measured on public paraphrase data
(`foiatrace eval pairs`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import numpy as np

from matching.details import extract
from matching.score import content_words, jaccard

_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(%| percent| per cent)?")
PAIR_SENTENCE_FEATURES = ("cosine", "jaccard", "shared", "conflicts")


@lru_cache(maxsize=65536)
def detail_keys(text: str) -> frozenset[str]:
    """Detail keys plus plain numbers (counts, amounts, percentages) as ``number:...``;
    cached: ranking compares each sentence with hundreds of others."""
    keys = {d.key for d in extract(text)}
    for m in _NUMBER.finditer(text):
        value = m.group(1).replace(",", "")
        if len(value) >= 2 or m.group(2):
            keys.add(f"number:{value}{'%' if m.group(2) else ''}")
    return frozenset(keys)


@lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def _families(keys: frozenset[str]) -> dict[str, set[str]]:
    fam: dict[str, set[str]] = defaultdict(set)
    for k in keys:
        head = k.split(":", 1)[0]
        if head in ("number", "year", "date", "citizenship", "name"):
            fam[head].add(k)
    return fam


def sentence_features(a: str, b: str, cosine: float) -> list[float]:
    """[cosine, word overlap, shared details, conflicting detail kinds]."""
    ka, kb = detail_keys(a), detail_keys(b)
    fa, fb = _families(ka), _families(kb)
    conflicts = sum(1 for f in fa.keys() & fb.keys() if not fa[f] & fb[f])
    return [cosine, jaccard(set(_words(a)), set(_words(b))), float(len(ka & kb)),
            float(conflicts)]  # fmt: skip


def feature_matrix(pairs: list[tuple[str, str]], cosines: np.ndarray) -> np.ndarray:
    return np.array(
        [sentence_features(a, b, float(c)) for (a, b), c in zip(pairs, cosines, strict=True)]
    )
