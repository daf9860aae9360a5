"""The simple methods foiatrace is measured against, on the same candidates.

Each scores every (message, article) pair in time order (same window as the matcher) from the
message's own text alone: TF-IDF cosine of the two texts, Churnalism-style word-shingle
containment, and the best MiniLM sentence cosine. Their thresholds are tuned on the very
scenario they are scored on, so their figures are an optimistic bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta

import numpy as np

from matching.match import DEFAULT_WINDOW, ArticleDoc, EmailDoc, candidates
from matching.segment import segment

SHINGLE = 4  # words per shingle
_WORD = re.compile(r"\w+")
METHODS = ("tfidf", "shingles", "embedding")


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def pair_scores(
    emails: Sequence[EmailDoc],
    articles: Sequence[ArticleDoc],
    embed: Callable[[list[str]], np.ndarray],
    window: timedelta = DEFAULT_WINDOW,
) -> dict[str, dict[tuple[str, str], tuple[float, str, str]]]:
    """method -> (msg_key, article_url) -> (score, email quote, article quote).

    The quotes are the best MiniLM sentence pair, so every method's rows can be checked
    for detail recall the same way."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    pairs = [(e, a) for e in emails for a, _ in candidates(e, articles, window)]
    out: dict[str, dict[tuple[str, str], tuple[float, str, str]]] = {m: {} for m in METHODS}
    if not pairs:
        return out
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    tfidf.fit([e.text for e in emails] + [a.text for a in articles])
    e_sents = {e.key: [s.text for s in segment(e.text)] for e in emails}
    a_sents = {a.key: [s.text for s in segment(a.text)] for a in articles}
    texts = sorted({t for ss in [*e_sents.values(), *a_sents.values()] for t in ss})
    index = {t: i for i, t in enumerate(texts)}
    vecs = embed(texts) if texts else np.zeros((0, 384))
    a_shingles = {a.key: _shingles(a.text) for a in articles}
    for e, a in pairs:
        es, as_ = e_sents[e.key], a_sents[a.key]
        if es and as_:
            sims = vecs[[index[t] for t in es]] @ vecs[[index[t] for t in as_]].T
            i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
            best, eq, aq = float(sims[i, j]), es[i], as_[j]
        else:
            best, eq, aq = 0.0, "", ""
        m = tfidf.transform([e.text, a.text])
        cos = float((m[0] @ m[1].T).toarray()[0, 0])
        sh = _shingles(e.text)
        contain = len(sh & a_shingles[a.key]) / len(sh) if sh else 0.0
        key = (e.key, a.url)
        out["tfidf"][key] = (cos, eq, aq)
        out["shingles"][key] = (contain, eq, aq)
        out["embedding"][key] = (best, eq, aq)
    return out


def best_threshold(
    scores: dict[tuple[str, str], tuple[float, str, str]],
    is_true: Callable[[tuple[str, str]], bool],
    n_true: int,
) -> float:
    """The threshold that maximizes pair F1 on this very data (an oracle for baselines)."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
    best_t, best_f, tp = 1.0, -1.0, 0
    for k, (key, (s, _, _)) in enumerate(ranked, start=1):
        tp += is_true(key)
        p, r = tp / k, tp / n_true if n_true else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best_f:
            best_t, best_f = s, f
    return best_t
