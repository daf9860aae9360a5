"""Match email messages against articles: candidates in time order, sentence pairs compared,
evidence aggregated per (message, article) pair, one evidence row per shared detail.

Pure computation over records; the pipeline reads them from and writes them to the warehouse.
The decision is made per pair from features a reviewer can check (``PAIR_FEATURES``):
how many concrete details the message and the article share and how rare they are, whether
they are about the same person, whether the message went to that outlet, whether the details
were already public before the message was sent.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from matching.details import DETAIL_TYPES, Detail, extract, is_refusal
from matching.parties import agency_domains, recipient_class, same_site, sender_role
from matching.score import (
    KEEP_FLOOR,
    ScoreModel,
    content_words,
    idf,
    jaccard,
    load_model,
    pair_score,
)
from matching.segment import Segment, segment

DEFAULT_WINDOW = timedelta(days=30)
TOP_K_PER_ARTICLE = 3  # per email sentence: best article sentences kept by cosine
COSINE_FLOOR = 0.3  # below this a sentence pair is weighed only when it shares a detail
BOILERPLATE_DOCS = 3  # a sentence found in this many messages (or articles) is boilerplate
RARE_NAME_IDF = 1.5  # a name this rare in the corpus identifies a person (or a place)
RARE_DETAIL_IDF = 2.0  # a detail this rare, three of them shared, points at the same person
IDF_CAP = 15.0
ROWS_PER_DETAIL = 3  # an article may print one detail in several sentences: each is a row

_NORM = re.compile(r"[^a-z0-9]+")


@dataclass
class EmailDoc:
    key: str
    sent_at: datetime
    text: str  # the sender's own text: the only words that can disclose
    sender: str | None = None
    recipients: set[str] = field(default_factory=set)  # To and Cc
    thread_addresses: set[str] = field(default_factory=set)  # everyone on the thread
    context: str = ""  # subject, own text, quoted texts: says who the message is about


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
    detail_key: str
    article_sentence: int  # index of the quoted sentence in the article version's text
    email_quote: str
    article_quote: str
    shared_details: list[str]
    score: float
    cosine: float
    lag_hours: float
    features: dict[str, float]


@dataclass
class PairEvidence:
    """Everything weighed for one (message, article version) pair."""

    msg_key: str
    article_key: str
    article_url: str
    features: dict[str, float]
    score: float
    rows: list[Disclosure] = field(default_factory=list)


@dataclass
class MatchResult:
    disclosures: list[Disclosure]
    weighed: set[tuple[str, str]]
    pairs: list[PairEvidence]


@dataclass
class _Doc:
    segs: list[Segment]
    details: list[list[Detail]]
    words: list[set[str]]
    boiler: list[bool] = field(default_factory=list)
    offset: int = 0  # first row in the stacked vector matrix

    def keys(self, typed_only: bool = False) -> set[str]:
        return {
            d.key
            for ds, b in zip(self.details, self.boiler or [False] * len(self.details), strict=True)
            if not b
            for d in ds
            if not typed_only or d.type in DETAIL_TYPES
        }


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


def reporter_link(addresses: Iterable[str], domain: str) -> bool:
    """A thread address on the outlet's domain (or a subdomain of it) ties reporter to outlet."""
    return any(same_site(a.rsplit("@", 1)[-1].lower(), domain) for a in addresses if "@" in a)


def _prepare(text: str, written: datetime | None = None) -> _Doc:
    """Sentences with their details; ``written`` resolves relative dates ("last March")."""
    segs = segment(text)
    details = [extract(s.text, written) for s in segs]
    if os.environ.get("FOIATRACE_NAMES") == "ner":  # experiment: spaCy NER names
        from matching.ner import name_keys_batch

        for ds, keys in zip(details, name_keys_batch([s.text for s in segs]), strict=True):
            ds[:] = [d for d in ds if d.type != "name"]
            ds.extend(Detail("name", k, k) for k in sorted(keys))
    return _Doc(segs, details, [content_words(s.text) for s in segs])


def _norm(text: str) -> str:
    return _NORM.sub(" ", text.lower()).strip()


def _mark_boilerplate(docs: Iterable[_Doc]) -> None:
    """Sentences repeated across many documents (policy lines, disclaimers) and refusals
    ("declined to say whether...") carry no disclosed detail."""
    docs = list(docs)
    counts: Counter[str] = Counter()
    for doc in docs:
        counts.update({_norm(s.text) for s in doc.segs})
    for doc in docs:
        doc.boiler = [
            counts[_norm(s.text)] >= BOILERPLATE_DOCS or is_refusal(s.text) for s in doc.segs
        ]


def _names(
    doc: _Doc, doc_freq: dict[str, int], n_docs: int, exclude: set[str] = frozenset()
) -> dict[str, float]:
    """Rare names and identifiers (ages, A-numbers) of a document, with their weights;
    ``exclude`` holds names that say nothing of whom the text is about (the thread's
    participants, the outlets' own names)."""
    out = {}
    for ds in doc.details:
        for d in ds:
            if d.key in exclude:
                continue
            if d.type == "name" or d.key.startswith(("identity:age-", "identity:a-")):
                w = idf(doc_freq.get(d.key, 0), n_docs)
                if w >= RARE_NAME_IDF:
                    out[d.key] = w
    return out


def _not_about(participants: Iterable[str], articles: Iterable[ArticleDoc]) -> set[str]:
    """Name keys that identify no one the story is about: the thread's own people and the
    outlets' names (a reporter's "told The Patriot Wire" is no anchor)."""
    words: set[str] = set()
    for name in participants:
        words.update(w.lower() for w in re.findall(r"[A-Za-z][a-z]+(?:[-'][A-Za-z]?[a-z]+)?", name))
    for a in articles:
        words.update(p for p in re.split(r"[^a-z]+", (a.outlet or "").lower()) if p)
        words.update(p for p in re.split(r"[^a-z]+", a.domain.split(".")[0]) if p)
    return {f"name:{w}" for w in words if len(w) > 2}


def match(
    emails: Sequence[EmailDoc],
    articles: Sequence[ArticleDoc],
    embed: Callable[[list[str]], np.ndarray],
    *,
    window: timedelta = DEFAULT_WINDOW,
    skip_pairs: set[tuple[str, str]] | None = None,
    corpus_articles: Sequence[ArticleDoc] | None = None,
    model: ScoreModel | None = None,
    keep_floor: float = KEEP_FLOOR,
    participants: Iterable[str] = (),
    progress: Callable[[list[Any]], Iterable[Any]] = lambda it: it,
) -> MatchResult:
    """Evidence for every new (email, article) pair in time order.

    ``corpus_articles`` (default: ``articles``) sets how rare a detail is, which sentences are
    boilerplate and what was public before each email. ``embed`` maps sentences to
    L2-normalized vectors (cached by the caller). ``participants``: display names of the
    production's senders, whose names identify no suspect.
    """
    model = model or load_model()
    skip_pairs = skip_pairs or set()
    corpus = list(corpus_articles) if corpus_articles is not None else list(articles)
    by_key = {a.key: a for a in corpus}
    for a in articles:
        by_key.setdefault(a.key, a)
    art_docs = {k: _prepare(a.text, a.published_at) for k, a in by_key.items()}
    email_docs = {e.key: _prepare(e.text, e.sent_at) for e in emails}
    _mark_boilerplate(art_docs.values())
    _mark_boilerplate(email_docs.values())
    doc_freq: Counter[str] = Counter()
    for doc in art_docs.values():
        doc_freq.update({d.key for ds in doc.details for d in ds})
    n_docs = max(len(art_docs), 1)
    not_about = _not_about(participants, by_key.values())
    art_names = {k: _names(d, doc_freq, n_docs, not_about) for k, d in art_docs.items()}
    art_typed = {k: d.keys(typed_only=True) for k, d in art_docs.items()}

    outlet_domains = {a.domain for a in by_key.values()}
    agency = agency_domains(((e.sender, e.recipients) for e in emails), outlet_domains)

    # Candidates first: only their sentences are embedded.
    plan: list[tuple[EmailDoc, list[tuple[ArticleDoc, datetime]]]] = []
    weighed: set[tuple[str, str]] = set()
    for email in emails:
        cands = [
            (a, t)
            for a, t in candidates(email, articles, window)
            if (email.key, a.key) not in skip_pairs
        ]
        if not cands:
            continue
        weighed.update((email.key, a.key) for a, _ in cands)
        if sender_role(email.sender, agency, outlet_domains) == "external":
            continue  # a reporter's own question discloses nothing of the agency's
        plan.append((email, cands))
    needed = {a.key for _, cands in plan for a, _ in cands}
    texts: list[str] = []
    for k in sorted(needed):
        art_docs[k].offset = len(texts)
        texts.extend(s.text for s in art_docs[k].segs)
    n_art = len(texts)
    for email, _ in plan:
        doc = email_docs[email.key]
        doc.offset = len(texts)
        texts.extend(s.text for s in doc.segs)
    vectors = embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    a_vec, e_vec = vectors[:n_art], vectors[n_art:]
    e_vec_offset = n_art

    pairs: list[PairEvidence] = []
    ctx = _PairContext(by_key, art_docs, art_names, art_typed, doc_freq, n_docs, agency, model)
    for email, cands in progress(plan):
        e_doc = email_docs[email.key]
        if not e_doc.segs:
            continue
        ev = e_vec[e_doc.offset - e_vec_offset : e_doc.offset - e_vec_offset + len(e_doc.segs)]
        rows = np.concatenate(
            [
                np.arange(
                    art_docs[a.key].offset, art_docs[a.key].offset + len(art_docs[a.key].segs)
                )
                for a, _ in cands
            ]
        )
        # The blocked product: this email's sentences x all its candidates' sentences.
        sims = ev @ a_vec[rows].T if len(rows) else np.zeros((len(e_doc.segs), 0))
        col = 0
        e_ctx = _prepare(email.context, email.sent_at) if email.context else e_doc
        e_names = _names(e_ctx, doc_freq, n_docs, not_about)
        e_typed_all = e_doc.keys(typed_only=True)
        public_pages = [
            (k, a.url)
            for k, a in by_key.items()
            if a.published_at and a.published_at < email.sent_at
        ]
        for art, t in cands:
            n = len(art_docs[art.key].segs)
            block = sims[:, col : col + n]
            col += n
            pair = ctx.evaluate(email, e_doc, e_names, e_typed_all, public_pages, art, block, t)
            pairs.append(pair)
    _supersede_internal(pairs, model)
    found = [r for p in pairs if p.score >= keep_floor for r in p.rows]
    return MatchResult(found, weighed, pairs)


def _supersede_internal(pairs: list[PairEvidence], model: ScoreModel) -> None:
    """The disclosure is the message that reached the outlet: an internal message (a draft,
    a briefing) whose shared details an outbound message to the same outlet also shares with
    the article is superseded by it."""
    outbound: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        if p.features["to_outlet"] and p.rows:
            outbound[p.article_key].update(r.detail_key for r in p.rows)
    for p in pairs:
        if p.features["to_internal"] and p.rows:
            overlap = {r.detail_key for r in p.rows} & outbound.get(p.article_key, set())
            p.features["superseded"] = float(bool(overlap))
            p.score = pair_score(model, p.features)
            for r in p.rows:
                r.score = p.score


@dataclass
class _PairContext:
    by_key: dict[str, ArticleDoc]
    art_docs: dict[str, _Doc]
    art_names: dict[str, dict[str, float]]
    art_typed: dict[str, set[str]]
    doc_freq: Counter[str]
    n_docs: int
    agency: set[str]
    model: ScoreModel

    def w(self, key: str) -> float:
        return idf(self.doc_freq.get(key, 0), self.n_docs)

    def evaluate(
        self,
        email: EmailDoc,
        e_doc: _Doc,
        e_names: dict[str, float],
        e_typed_all: set[str],
        public_pages: list[tuple[str, str]],
        art: ArticleDoc,
        block: np.ndarray,
        eff_time: datetime,
    ) -> PairEvidence:
        a_doc = self.art_docs[art.key]
        lag = (eff_time - email.sent_at).total_seconds() / 3600.0
        # Best sentence pair per shared typed detail key.
        a_index: dict[str, set[int]] = defaultdict(set)
        for j, ds in enumerate(a_doc.details):
            if not a_doc.boiler[j]:
                for d in ds:
                    a_index[d.key].add(j)
        # per (detail, article sentence): the best email sentence
        best: dict[tuple[str, int], tuple[float, int, list[str]]] = {}
        support: set[str] = set()
        max_cos = 0.0
        k = min(TOP_K_PER_ARTICLE, block.shape[1]) if block.shape[1] else 0
        for i, e_details in enumerate(e_doc.details):
            if e_doc.boiler[i] or not k:
                continue
            row = block[i]
            top = {int(j) for j in np.argpartition(-row, k - 1)[:k] if row[j] >= COSINE_FLOOR}
            for d in e_details:
                top |= a_index.get(d.key, set())
            e_keys = {d.key: d for d in e_details}
            for j in top:
                if a_doc.boiler[j]:
                    continue
                cos = float(row[j])
                max_cos = max(max_cos, cos)
                shared = [key for key in (d.key for d in a_doc.details[j]) if key in e_keys]
                typed = [key for key in shared if e_keys[key].type in DETAIL_TYPES]
                support.update(key for key in shared if e_keys[key].type not in DETAIL_TYPES)
                rank = cos + 0.05 * len(shared) + 0.03 * jaccard(e_doc.words[i], a_doc.words[j])
                for key in typed:
                    if (key, j) not in best or rank > best[(key, j)][0]:
                        best[(key, j)] = (rank, i, shared)
        keys = {key for key, _ in best}
        anchor_keys = set(e_names) & set(self.art_names[art.key])
        anchor = sum(e_names[key] for key in anchor_keys)
        conflict = float(bool(e_names) and bool(self.art_names[art.key]) and not anchor_keys)
        public, new = self._public_share(keys, e_names, e_typed_all, public_pages, art.url)
        rcpt = recipient_class(email.recipients, self.agency, art.domain)
        f = {
            "n_details": float(len(keys)),
            "detail_idf": min(sum(self.w(key) for key in keys), IDF_CAP),
            "best_cosine": max(
                (float(block[i, j]) for (_, j), (_, i, _) in best.items()), default=0.0
            ),
            "max_cosine": max_cos,
            "support_idf": min(sum(self.w(key) for key in support), IDF_CAP),
            "anchor_idf": min(anchor, IDF_CAP),
            "name_conflict": conflict,
            "to_outlet": float(rcpt == "outlet"),
            "to_internal": float(rcpt == "internal"),
            "thread_link": float(reporter_link(email.thread_addresses, art.domain)),
            "public_before": public,
            "new_details": float(new),
            "lag_days": lag / 24.0,
        }
        score = pair_score(self.model, f)
        pair = PairEvidence(email.key, art.key, art.url, f, score)
        by_key: dict[str, list[tuple[float, int, int, list[str]]]] = defaultdict(list)
        for (key, j), (rank, i, shared) in best.items():
            by_key[key].append((rank, i, j, shared))
        for key in sorted(by_key):
            for _, i, j, shared in sorted(by_key[key], reverse=True)[:ROWS_PER_DETAIL]:
                pair.rows.append(
                    Disclosure(
                        msg_key=email.key,
                        article_key=art.key,
                        article_url=art.url,
                        detail_type=key.split(":", 1)[0],
                        detail_key=key,
                        article_sentence=j,
                        email_quote=e_doc.segs[i].text,
                        article_quote=a_doc.segs[j].text,
                        shared_details=shared,
                        score=score,
                        cosine=float(block[i, j]),
                        lag_hours=lag,
                        features=f,
                    )
                )
        return pair

    def _public_share(
        self,
        keys: set[str],
        e_names: dict[str, float],
        e_typed_all: set[str],
        public_pages: list[tuple[str, str]],
        url: str,
    ) -> tuple[float, int]:
        """Share of the pair's details already printed, about the same person, before the
        email: a page that names the same rare person or shares three of its rare details. The
        article itself does not count (published before and updated after the email, its
        text before the update is not known here)."""
        if not keys:
            return 0.0, 0
        public: set[str] = set()
        for page, page_url in public_pages:
            if page_url == url:
                continue
            typed = self.art_typed[page]
            if not keys & typed:
                continue
            rare_shared = [k for k in e_typed_all & typed if self.w(k) >= RARE_DETAIL_IDF]
            same_person = bool(set(e_names) & set(self.art_names[page])) or len(rare_shared) >= 3
            if same_person:
                public |= keys & typed
        return len(public) / len(keys), len(keys - public)
