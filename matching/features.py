"""Per-text features and corpus statistics: what the matcher computes once and keeps.

A text's sentences, details and content words (:class:`TextFeatures`) depend only on the
text, the month it was written (relative dates) and the matcher version, so they are
computed once per (text hash, month, version) and stored by the warehouse. The corpus
statistics the decisions read (how many article versions carry a detail, in how many
documents a sentence occurs, which words the corpus writes in lower case or as places) are
sums of per-document contributions (:func:`article_contribution`, :func:`email_contribution`),
so the warehouse maintains them by adding a new document's contribution and subtracting a
replaced one's: the same numbers as a recount from scratch, at the cost of the new documents.

Pure computation: no database access here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from matching.details import DETAIL_TYPES, Detail, extract
from matching.score import MATCHER_VERSION, content_words
from matching.segment import Segment, segment

# Statistics kept per matcher version (``stat`` column of the warehouse's corpus_stats).
DETAIL_DF = "detail_df"  # article versions that carry a detail key (any sentence)
ARTICLE_SENTENCE = "article_sentence"  # article versions a normalized sentence occurs in
EMAIL_SENTENCE = "email_sentence"  # messages a normalized sentence occurs in
WORD = "word"  # documents that write a word in lower case or as a place
STATS = (DETAIL_DF, ARTICLE_SENTENCE, EMAIL_SENTENCE, WORD)

_NORM = re.compile(r"[^a-z0-9]+")
_LOWER_WORD = re.compile(r"(?<![\w'’-])([a-z][a-z'’]+(?:-[a-z]+)*)(?![\w'’-])")
_CAP = r"[A-ZÀ-Ö][\w'’-]+"
_PLACE_NOUNS = (
    r"Valley|Ridge|Creek|Falls|Station|Airport|Mall|High|Elementary|University|College"
    r"|Mountain|Mount|Peak|Canyon|Trail|Trailhead|Bay|Beach|Island|Harbor|Port|Bridge|Center"
    r"|Hospital|Plaza|Square|Market|Resort|Highway|Interstate|Lake|River|Springs?|Heights"
)
_PLACE = re.compile(
    rf"\b(?:in|near|outside|at|into|through|to|across)\s+((?:{_CAP}\s+){{0,3}}{_CAP})"
    rf"|((?:{_CAP}\s+){{0,3}}{_CAP})\s+(?:County|City|Township|Parish|Borough|Police|Sheriff"
    r"|Jail|Court|Road|Street|Avenue|Boulevard|Highway|Park|Lake|River|Springs?|Heights"
    rf"|{_PLACE_NOUNS})\b"
)
PLACE_NOUN_WORDS = frozenset(w.lower() for w in re.findall(r"[A-Za-z]+", _PLACE_NOUNS))


def features_version() -> str:
    """The version features and statistics are stored under: the matcher's, plus the name
    reader when the spaCy experiment replaces the rules' names."""
    names = os.environ.get("FOIATRACE_NAMES")
    return MATCHER_VERSION + (f"+names={names}" if names == "ner" else "")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def month_of(written: datetime | None) -> datetime | None:
    """Relative dates and "prior" read the year and month only: one feature record a month."""
    return written.replace(day=1, hour=0, minute=0, second=0, microsecond=0) if written else None


def feature_key(text: str, written: datetime | None) -> str:
    """What a text's features depend on besides the matcher version: its bytes and month."""
    return (
        f"{text_sha256(text)}|{written.year:04d}-{written.month:02d}"
        if written
        else (f"{text_sha256(text)}|-")
    )


def norm(text: str) -> str:
    return _NORM.sub(" ", text.lower()).strip()


def sentence_key(text: str) -> str:
    """A sentence's identity for boilerplate counts: the hash of its normalized words."""
    return hashlib.sha1(norm(text).encode("utf-8")).hexdigest()


def place_words(texts: Iterable[str]) -> set[str]:
    """Capitalized words the corpus uses as places ("in Marrowfield", "Sallow County"): a
    town both stories name says nothing about whether they are about the same person."""
    out: set[str] = set()
    for t in texts:
        for m in _PLACE.finditer(t):
            out.update(w.lower().rstrip("'’s") for w in (m.group(1) or m.group(2)).split())
    return out | PLACE_NOUN_WORDS


def common_words(texts: Iterable[str]) -> set[str]:
    """Words the corpus also writes in lower case ("status", "spring", "van"): capitalized,
    they are a title, a place or a program, not the name of the person a story is about."""
    out: set[str] = set()
    for t in texts:
        out.update(_LOWER_WORD.findall(t))
    return out


@lru_cache(maxsize=100_000)
def _details(text: str, written: datetime | None) -> tuple[Detail, ...]:
    """A sentence's details, cached: signatures, disclaimers and quoted copies repeat."""
    return tuple(extract(text, written))


@dataclass
class TextFeatures:
    """Sentences with their details and content words, and the words the text lends to the
    corpus's vocabulary (lower-case and place words): all a text contributes, computed once."""

    segs: list[Segment]
    details: list[list[Detail]]
    words: list[set[str]]
    vocab: set[str] | None = None  # common_words | place_words of the whole text

    def to_json(self) -> str:
        return json.dumps(
            {
                "s": [[s.idx, s.para_idx, s.text] for s in self.segs],
                "d": [[[d.type, d.key, d.text] for d in ds] for ds in self.details],
                "w": [sorted(w) for w in self.words],
                "v": sorted(self.vocab) if self.vocab is not None else None,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> TextFeatures:
        r = json.loads(raw)
        return cls(
            [Segment(i, p, t) for i, p, t in r["s"]],
            [[Detail(t, k, x) for t, k, x in ds] for ds in r["d"]],
            [set(w) for w in r["w"]],
            set(r["v"]) if r.get("v") is not None else None,
        )

    def detail_keys(self) -> set[str]:
        return {d.key for ds in self.details for d in ds}

    def public_keys(self) -> set[str]:
        """Every key by which this text, as a page, can make a detail public (before the
        boilerplate filter, which the matcher applies with the current counts)."""
        return set(self.printing_sentences())

    def printing_sentences(self) -> dict[str, list[str]]:
        """Per key the page can make public: the keys (:func:`sentence_key`) of the sentences
        that print it, typed or as a crime reported as news. The detail is public only if
        one of them is not boilerplate, which the warehouse tests with the current counts."""
        out: dict[str, set[str]] = {}
        for seg, ds in zip(self.segs, self.details, strict=True):
            for d in ds:
                keys = [d.key] if d.type in DETAIL_TYPES else []
                if d.key.startswith("crime:"):
                    keys.append("criminal_history:" + d.key[6:])
                for k in keys:
                    out.setdefault(k, set()).add(sentence_key(seg.text))
        return {k: sorted(v) for k, v in out.items()}

    def name_keys(self) -> set[str]:
        """Names and identifiers whose rarity decides whether they identify a person."""
        return {
            d.key
            for ds in self.details
            for d in ds
            if d.type == "name" or d.key.startswith(("identity:age-", "identity:a-"))
        }


def prepare(
    text: str, written: datetime | None = None, segs: list[Segment] | None = None
) -> TextFeatures:
    """Sentences with their details; ``written`` resolves relative dates ("last March")."""
    segs = segment(text) if segs is None else segs
    month = month_of(written)
    details = [list(_details(s.text, month)) for s in segs]
    if os.environ.get("FOIATRACE_NAMES") == "ner":  # experiment: spaCy NER names
        from matching.ner import name_keys_batch

        for ds, keys in zip(details, name_keys_batch([s.text for s in segs]), strict=True):
            ds[:] = [d for d in ds if d.type != "name"]
            ds.extend(Detail("name", k, k) for k in sorted(keys))
    vocab = common_words([text]) | place_words([text])
    return TextFeatures(segs, details, [content_words(s.text) for s in segs], vocab)


def article_contribution(f: TextFeatures) -> dict[str, Counter[str]]:
    """What one article version adds to the corpus statistics."""
    return {
        DETAIL_DF: Counter(f.detail_keys()),
        ARTICLE_SENTENCE: Counter({sentence_key(s.text) for s in f.segs}),
        WORD: Counter(f.vocab or ()),
    }


def email_contribution(f: TextFeatures) -> dict[str, Counter[str]]:
    """What one message (its own text) adds to the corpus statistics."""
    return {
        EMAIL_SENTENCE: Counter({sentence_key(s.text) for s in f.segs}),
        WORD: Counter(f.vocab or ()),
    }


@dataclass
class CorpusStats:
    """The corpus-wide numbers the decisions read. The mappings may hold only the keys a
    batch looks up (a missing key counts zero): the warehouse fetches just those."""

    doc_freq: Mapping[str, int] = field(default_factory=dict)
    n_docs: int = 0
    article_sentences: Mapping[str, int] = field(default_factory=dict)
    email_sentences: Mapping[str, int] = field(default_factory=dict)
    words: Mapping[str, int] = field(default_factory=dict)

    @property
    def common(self) -> set[str]:
        """Lower-case and place words of the corpus (plus the place nouns themselves)."""
        return {w for w, n in self.words.items() if n > 0} | PLACE_NOUN_WORDS

    @classmethod
    def from_scratch(
        cls, articles: Iterable[TextFeatures], emails: Iterable[TextFeatures]
    ) -> CorpusStats:
        """Recount every statistic over the whole corpus (what the incremental sums equal)."""
        totals: dict[str, Counter[str]] = {s: Counter() for s in STATS}
        n = 0
        for f in articles:
            n += 1
            for stat, c in article_contribution(f).items():
                totals[stat].update(c)
        for f in emails:
            for stat, c in email_contribution(f).items():
                totals[stat].update(c)
        return cls(
            dict(totals[DETAIL_DF]),
            n,
            dict(totals[ARTICLE_SENTENCE]),
            dict(totals[EMAIL_SENTENCE]),
            dict(totals[WORD]),
        )
