"""Score one (email sentence, article sentence) pair from features a reviewer can check.

A first, hand-set logistic score: shared concrete details weighted by rarity dominate,
embedding cosine and word overlap support, a reporter on the article's outlet's domain in
the thread adds. Every input is stored with the match, so the score can be recomputed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from matching.details import DETAIL_TYPES, Detail

MATCHER_VERSION = "0.1-skeleton"
DEFAULT_THRESHOLD = 0.5  # shipped default for `export evidence` without --min-score
KEEP_FLOOR = 0.2  # pairs below this are not stored at all

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    "the a an and or but of to in on at for from by with as is was were be been being has have "
    "had he she it they his her their its this that these those who whom which what when where "
    "said says told would could will can may also not no there than then into about after "
    "before over under more most some any all one two just very our your you we i me my us".split()
)  # fmt: skip


@dataclass
class PairFeatures:
    cosine: float
    shared: list[str] = field(default_factory=list)  # shared detail keys
    detail_weight: float = 0.0  # idf of shared typed details
    support_weight: float = 0.0  # idf of shared dates and names
    jaccard: float = 0.0
    reporter_link: bool = False
    lag_hours: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "cosine": round(self.cosine, 4), "shared": self.shared,
            "detail_weight": round(self.detail_weight, 3),
            "support_weight": round(self.support_weight, 3),
            "jaccard": round(self.jaccard, 3), "reporter_link": self.reporter_link,
            "lag_hours": round(self.lag_hours, 1),
        }  # fmt: skip


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


IDF_PRIOR_DOCS = 20  # a small corpus says little about rarity: assume at least this many pages


def idf(df: int, n_docs: int) -> float:
    """Rare details are strong evidence; one in every article is next to none."""
    n = max(n_docs, IDF_PRIOR_DOCS)
    return max(math.log((n + 1) / (df + 0.5)), 0.0)


def features(
    cosine: float,
    e_details: list[Detail],
    a_details: list[Detail],
    e_words: set[str],
    a_words: set[str],
    doc_freq: dict[str, int],
    n_docs: int,
    reporter_link: bool,
    lag_hours: float,
) -> PairFeatures:
    a_keys = {d.key for d in a_details}
    shared = [d for d in e_details if d.key in a_keys]
    typed = [d for d in shared if d.type in DETAIL_TYPES]
    support = [d for d in shared if d.type not in DETAIL_TYPES]
    return PairFeatures(
        cosine=cosine,
        shared=[d.key for d in shared],
        detail_weight=sum(idf(doc_freq.get(d.key, 0), n_docs) for d in typed),
        support_weight=sum(idf(doc_freq.get(d.key, 0), n_docs) for d in support),
        jaccard=jaccard(e_words, a_words),
        reporter_link=reporter_link,
        lag_hours=lag_hours,
    )


def score(f: PairFeatures) -> float:
    """Probability-like 0-1. A disclosure is a concrete detail: without a shared typed detail
    (only topic, wording or boilerplate in common) a pair cannot pass the threshold."""
    z = (
        -5.0
        + 3.0 * f.cosine
        + 0.9 * min(f.detail_weight, 6.0)
        + 0.35 * min(f.support_weight, 6.0)
        + 3.0 * f.jaccard
        + (0.8 if f.reporter_link else 0.0)
    )
    if f.detail_weight == 0.0:
        z -= 6.0
    return 1.0 / (1.0 + math.exp(-z))


def detail_types(shared: list[str]) -> list[str]:
    types = sorted({k.split(":", 1)[0] for k in shared} & set(DETAIL_TYPES))
    return types or ["other"]
