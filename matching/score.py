"""Turn a (message, article) pair's features into a calibrated 0-1 score.

A logistic model over a handful of features a reviewer can check (``PAIR_FEATURES``), fit
on labelled scenarios by ``python -m matching.train`` and shipped as ``weights.json`` with
the threshold chosen on that data. Every score can be recomputed from the stored features.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

MATCHER_VERSION = "0.5"
KEEP_FLOOR = 0.05  # pairs scoring below this are not stored at all
WEIGHTS_FILE = Path(__file__).with_name("weights.json")

PAIR_FEATURES = (
    "n_details",  # distinct concrete details shared (typed: citizenship, status, ...)
    "detail_idf",  # their summed rarity in the article corpus
    "best_cosine",  # embedding cosine of the best detail-sharing sentence pair
    "max_cosine",  # best cosine of any sentence pair weighed
    "support_idf",  # rarity of shared dates and names inside those sentence pairs
    "anchor_idf",  # rare names/ages shared by the whole thread and the article: same person
    "name_conflict",  # both name rare people, none in common: likely a different person
    "age_conflict",  # both give ages, none within a year of the other's: another person
    "to_outlet",  # the message was sent to the article's outlet
    "to_internal",  # the message stayed inside the agency
    "thread_link",  # someone on the thread writes from the outlet's domain
    "public_before",  # share of the details already printed about the person before the email
    "new_details",  # shared details not printed about the person before the email
    "lag_days",  # days from the email to the article (or its update)
    "sent_max",  # the sentence model's best probability that an email sentence is printed
    "sent_sum",  # the sum of its three best (distinct article sentences)
    "n_sent",  # article sentences the sentence model finds printed from the email (p >= 0.5)
    "typed_p",  # the sentence model's best probability among pairs sharing a typed detail
)

# One (email sentence, article sentence) pair: does the article print what the email says?
SENTENCE_FEATURES = (
    "cosine",  # embedding cosine
    "jaccard",  # content-word overlap
    "n_typed",  # typed details (citizenship, status, ...) both sentences carry
    "typed_idf",  # their rarity in the article corpus
    "support_idf",  # rarity of shared dates, names, numbers
    "same_type",  # both carry a typed detail of one type, whatever the keys
    "conflicts",  # kinds of detail (year, number, country, name) both give, differently
    "e_typed",  # the email sentence carries a typed detail
    "a_typed",  # the article sentence carries a typed detail
    "mutual_best",  # each is the other's best cosine match within the pair
    "attributed",  # the article sentence attributes to an official ("said", "according to")
    "other_source",  # ... or to someone else: a lawyer, the police, family, an employer
    "personal",  # the email sentence speaks of one person ("he", "her", "Mr.")
    "generic",  # ... or of people in general, as policy does ("individuals", "as a matter of")
    "a_generic",  # the article sentence speaks of people in general ("people who overstayed")
)
SENT_ROW = 0.5  # a sentence pair the sentence model gives this much is an evidence row

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    "the a an and or but of to in on at for from by with as is was were be been being has have "
    "had he she it they his her their its this that these those who whom which what when where "
    "said says told would could will can may also not no there than then into about after "
    "before over under more most some any all one two just very our your you we i me my us".split()
)
IDF_PRIOR_DOCS = 20  # a small corpus says little about rarity: assume at least this many pages


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def idf(df: int, n_docs: int) -> float:
    """Rare details are strong evidence; one in every article is next to none."""
    n = max(n_docs, IDF_PRIOR_DOCS)
    return max(math.log((n + 1) / (df + 0.5)), 0.0)


@dataclass
class ScoreModel:
    """Logistic regression on standardized features."""

    weights: dict[str, float]
    intercept: float
    mean: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.5
    trained_on: list[str] = field(default_factory=list)
    report: dict[str, object] = field(default_factory=dict)
    sentence: dict[str, object] = field(default_factory=dict)  # the sentence model, nested

    def predict(self, features: dict[str, float]) -> float:
        z = self.intercept
        for name, w in self.weights.items():
            x = features.get(name, 0.0)
            z += w * (x - self.mean.get(name, 0.0)) / (self.scale.get(name, 1.0) or 1.0)
        z = max(min(z, 40.0), -40.0)
        return 1.0 / (1.0 + math.exp(-z))

    def predict_many(self, X: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """Probabilities for the rows of ``X`` (columns named by ``names``)."""
        if not len(X):
            return np.zeros(0)
        w = np.array([self.weights.get(n, 0.0) for n in names])
        mu = np.array([self.mean.get(n, 0.0) for n in names])
        sd = np.array([self.scale.get(n, 1.0) or 1.0 for n in names])
        z = np.clip(self.intercept + ((X - mu) / sd) @ w, -40.0, 40.0)
        return 1.0 / (1.0 + np.exp(-z))

    def sentence_model(self) -> ScoreModel:
        """The nested sentence model (or the hand-set one before any training)."""
        return ScoreModel(**self.sentence) if self.sentence else HAND_SENTENCE

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> ScoreModel:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


# Before any training: shared rare details decide, the outlet link and same person help.
HAND_SET = ScoreModel(
    weights={
        "n_details": 1.0, "detail_idf": 0.8, "best_cosine": 0.6, "anchor_idf": 0.6,
        "name_conflict": -0.8, "to_outlet": 0.8, "to_internal": -0.8, "public_before": -1.0,
    },
    intercept=-1.0,
    mean={"n_details": 2.0, "detail_idf": 5.0, "best_cosine": 0.5, "anchor_idf": 2.0},
    scale={"n_details": 1.5, "detail_idf": 4.0, "best_cosine": 0.2, "anchor_idf": 3.0},
)  # fmt: skip


HAND_SENTENCE = ScoreModel(
    weights={"cosine": 1.5, "n_typed": 1.0, "support_idf": 0.3, "mutual_best": 0.5},
    intercept=-1.5,
    mean={"cosine": 0.5, "n_typed": 0.5, "support_idf": 1.0},
    scale={"cosine": 0.15, "n_typed": 0.7, "support_idf": 2.0},
)  # fmt: skip


INTERNAL_SUPERSEDED = 0.2  # factor for an internal message whose details went out later


def pair_score(model: ScoreModel, f: dict[str, float]) -> float:
    """The matcher's final score of a pair: the model's probability, zero when no shared detail
    is new (all were printed about the person before the email: DESIGN's rejection), scaled
    down when an outbound message to the outlet carried the same details (``superseded``)."""
    if f.get("new_details", 0.0) <= 0:
        return 0.0
    score = model.predict(f)
    return score * INTERNAL_SUPERSEDED if f.get("superseded") else score


@lru_cache(maxsize=1)
def load_model(path: Path | None = None) -> ScoreModel:
    """The shipped model (``weights.json``), or the hand-set one before any training."""
    path = path or WEIGHTS_FILE
    return ScoreModel.from_file(path) if path.exists() else HAND_SET


def default_threshold() -> float:
    """The shipped threshold: `export evidence` without --min-score uses it."""
    return load_model().threshold
