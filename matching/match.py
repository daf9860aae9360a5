"""Match email messages against articles: candidates in time order, scored sentence pairs,
aggregated into disclosures (message x article x detail type).

Pure computation over records; the pipeline reads them from and writes them to the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import numpy as np

from matching.details import Detail, extract
from matching.score import KEEP_FLOOR, content_words, detail_types, features, score
from matching.segment import Segment, segment

DEFAULT_WINDOW = timedelta(days=30)
TOP_K_PER_ARTICLE = 3  # per email sentence: best article sentences kept by cosine
COSINE_FLOOR = 0.3  # below this a pair is kept only when it shares a detail


@dataclass
class EmailDoc:
    key: str
    sent_at: datetime
    text: str  # the sender's own text
    addresses: set[str] = field(default_factory=set)  # every address on the thread


@dataclass
class ArticleDoc:
    key: str  # version key: url#text_sha256
    url: str
    outlet: str | None
    published_at: datetime | None
    modified_at: datetime | None
    text: str

    @property
    def domain(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass
class Disclosure:
    msg_key: str
    article_key: str
    article_url: str
    detail_type: str
    email_quote: str
    article_quote: str
    shared_details: list[str]
    score: float
    cosine: float
    lag_hours: float
    features: dict[str, object]


@dataclass
class _Doc:
    segs: list[Segment]
    details: list[list[Detail]]
    words: list[set[str]]
    offset: int = 0  # first row in the stacked vector matrix


def effective_time(sent_at: datetime, art: ArticleDoc) -> datetime | None:
    """When the article could first carry what the email said: its publication, or for an
    article published before the email, its update after it. None if neither follows."""
    if art.published_at and art.published_at >= sent_at:
        return art.published_at
    if art.modified_at and art.modified_at >= sent_at:
        return art.modified_at
    return None


def candidates(
    email: EmailDoc, articles: Sequence[ArticleDoc], window: timedelta = DEFAULT_WINDOW
) -> list[tuple[ArticleDoc, datetime]]:
    out = []
    for art in articles:
        t = effective_time(email.sent_at, art)
        if t is not None and t - email.sent_at <= window:
            out.append((art, t))
    return out


def _prepare(text: str) -> _Doc:
    segs = segment(text)
    return _Doc(segs, [extract(s.text) for s in segs], [content_words(s.text) for s in segs])


def reporter_link(addresses: Iterable[str], domain: str) -> bool:
    """A thread address on the outlet's domain (or a subdomain of it) ties reporter to outlet."""
    for addr in addresses:
        host = addr.rsplit("@", 1)[-1].lower()
        if host and (host == domain or host.endswith("." + domain) or domain.endswith("." + host)):
            return True
    return False


def match(
    emails: Sequence[EmailDoc],
    articles: Sequence[ArticleDoc],
    embed: Callable[[list[str]], np.ndarray],
    *,
    window: timedelta = DEFAULT_WINDOW,
    skip_pairs: set[tuple[str, str]] | None = None,
    corpus_articles: Sequence[ArticleDoc] | None = None,
    progress: Callable[[Iterable[EmailDoc]], Iterable[EmailDoc]] = lambda it: it,
) -> tuple[list[Disclosure], set[tuple[str, str]]]:
    """Disclosures of the new (email, article) pairs, and the pairs weighed.

    ``corpus_articles`` (default: ``articles``) sets how rare a detail is. ``embed`` maps
    sentences to L2-normalized vectors (cached by the caller).
    """
    skip_pairs = skip_pairs or set()
    corpus = corpus_articles if corpus_articles is not None else articles
    art_docs = {a.key: _prepare(a.text) for a in articles}
    doc_freq: dict[str, int] = defaultdict(int)
    for a in corpus:
        doc = art_docs.get(a.key) or _prepare(a.text)
        for key in {d.key for ds in doc.details for d in ds}:
            doc_freq[key] += 1
    n_docs = max(len(corpus), 1)

    # One embedding call for every sentence involved; one matrix for the articles.
    email_docs = {e.key: _prepare(e.text) for e in emails}
    a_texts: list[str] = []
    for doc in art_docs.values():
        doc.offset = len(a_texts)
        a_texts.extend(s.text for s in doc.segs)
    e_texts: list[str] = []
    for doc in email_docs.values():
        doc.offset = len(e_texts)
        e_texts.extend(s.text for s in doc.segs)
    vectors = embed(a_texts + e_texts) if (a_texts or e_texts) else np.zeros((0, 384))
    a_vec, e_vec = vectors[: len(a_texts)], vectors[len(a_texts) :]

    found: list[Disclosure] = []
    weighed: set[tuple[str, str]] = set()
    for email in progress(emails):
        e_doc = email_docs[email.key]
        cands = [
            (a, t)
            for a, t in candidates(email, articles, window)
            if (email.key, a.key) not in skip_pairs
        ]
        if not cands:
            continue
        weighed.update((email.key, a.key) for a, _ in cands)
        if not e_doc.segs:
            continue
        ev = e_vec[e_doc.offset : e_doc.offset + len(e_doc.segs)]
        # The blocked product: this email's sentences x all its candidates' sentences.
        rows = (
            np.concatenate(
                [
                    np.arange(
                        art_docs[a.key].offset, art_docs[a.key].offset + len(art_docs[a.key].segs)
                    )
                    for a, _ in cands
                ]
            )
            if cands
            else np.zeros(0, dtype=int)
        )
        sims = ev @ a_vec[rows].T if len(rows) else np.zeros((len(e_doc.segs), 0))
        col = 0
        for art, t in cands:
            a_doc = art_docs[art.key]
            n = len(a_doc.segs)
            block = sims[:, col : col + n]
            col += n
            if n == 0:
                continue
            found.extend(_pair_disclosures(email, e_doc, art, a_doc, block, t, doc_freq, n_docs))
    return found, weighed


def _pair_disclosures(
    email: EmailDoc,
    e_doc: _Doc,
    art: ArticleDoc,
    a_doc: _Doc,
    block: np.ndarray,
    eff_time: datetime,
    doc_freq: dict[str, int],
    n_docs: int,
) -> list[Disclosure]:
    lag = (eff_time - email.sent_at).total_seconds() / 3600.0
    link = reporter_link(email.addresses, art.domain)
    a_index: dict[str, set[int]] = defaultdict(set)
    for j, ds in enumerate(a_doc.details):
        for d in ds:
            a_index[d.key].add(j)
    best: dict[str, Disclosure] = {}
    k = min(TOP_K_PER_ARTICLE, block.shape[1])
    for i, e_details in enumerate(e_doc.details):
        row = block[i]
        top = set(np.argpartition(-row, k - 1)[:k].tolist())
        top = {j for j in top if row[j] >= COSINE_FLOOR}
        for d in e_details:
            top |= a_index.get(d.key, set())
        for j in top:
            f = features(
                float(row[j]),
                e_details,
                a_doc.details[j],
                e_doc.words[i],
                a_doc.words[j],
                doc_freq,
                n_docs,
                link,
                lag,
            )
            s = score(f)
            if s < KEEP_FLOOR:
                continue
            for dtype in detail_types(f.shared):
                cur = best.get(dtype)
                if cur is None or s > cur.score:
                    best[dtype] = Disclosure(
                        msg_key=email.key,
                        article_key=art.key,
                        article_url=art.url,
                        detail_type=dtype,
                        email_quote=e_doc.segs[i].text,
                        article_quote=a_doc.segs[j].text,
                        shared_details=[x for x in f.shared if x.startswith(dtype + ":")]
                        or f.shared,
                        score=s,
                        cosine=f.cosine,
                        lag_hours=lag,
                        features=f.as_dict(),
                    )
    return list(best.values())
