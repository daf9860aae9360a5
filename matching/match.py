"""Match email messages against articles: candidates in time order, sentence pairs compared,
evidence aggregated per (message, article) pair, one evidence row per shared detail.

Pure computation over records; the pipeline reads them from and writes them to the warehouse.
The decision is made per pair from features a reviewer can check (``PAIR_FEATURES``):
how many concrete details the message and the article share and how rare they are, whether
they are about the same person, whether the message went to that outlet, whether the details
were already public before the message was sent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from matching.details import DETAIL_TYPES, Detail, is_refusal
from matching.features import (
    CorpusStats,
    TextFeatures,
    norm,
    prepare,
    sentence_key,
)
from matching.parties import agency_domains, recipient_class, same_site, sender_role
from matching.score import (
    KEEP_FLOOR,
    SENT_ROW,
    SENTENCE_FEATURES,
    ScoreModel,
    idf,
    jaccard,
    load_model,
    pair_score,
)
from matching.segment import Segment

DEFAULT_WINDOW = timedelta(days=30)
TOP_K_PER_ARTICLE = 3  # per email sentence: best article sentences kept by cosine
COSINE_FLOOR = 0.3  # below this a sentence pair is weighed only when it shares a detail
BOILERPLATE_DOCS = 3  # a sentence found in this many messages (or articles) is boilerplate
RARE_NAME_IDF = 1.5  # a name this rare in the corpus identifies a person (or a place)
RARE_DETAIL_IDF = 2.0  # a detail this rare, three of them shared, points at the same person
IDF_CAP = 15.0
ROWS_PER_DETAIL = 3  # an article may print one detail in several sentences: each is a row

_NORM = re.compile(r"[^a-z0-9]+")
# an email sentence about one person, or about people in general (a policy line)
_PERSONAL = re.compile(
    r"\b(?:he|she|him|her|his|hers|himself|herself|mr|mrs|ms|the (?:man|woman|suspect|driver"
    r"|defendant|individual|subject))\b",
    re.IGNORECASE,
)
_GENERIC = re.compile(
    r"\b(?:policy|generally|individuals|aliens|noncitizens|persons|people|those who|anyone"
    r"|typically|routinely|as a matter of|in general|all (?:foreign|removable)|priorit\w+"
    r"|immigrants|inmates|migrants|residents|program|agreement|ordinance|law)\b",
    re.IGNORECASE,
)
_POLICY = re.compile(
    r"\b(?:individuals|aliens|noncitizens|those who|anyone who|as a matter of policy|generally"
    r"|in general|typically|routinely|all (?:foreign|removable))\b",
    re.IGNORECASE,
)
# an article sentence that attributes what it prints to a source outside the agency
_SOURCES = (
    r"(?:attorney|lawyer|defen[cs]e|prosecutors?|police|sheriff|deput(?:y|ies)|detectives?"
    r"|family|relatives?|brother|sister|mother|father|wife|husband|friends?|neighbou?rs?"
    r"|employer|boss|co-?workers?|school|university|college|church|pastor|court (?:records"
    r"|documents|filings)|records show|complaint|affidavit|the resort|the company)"
)
_OTHER_SOURCE = re.compile(
    rf"\b{_SOURCES}\b[^.;]{{0,50}}\b(?:said|says|told|knew|stated|wrote|confirmed|show)"
    rf"|\b(?:said|says|told|according to)\b[^.;]{{0,25}}\b{_SOURCES}\b|\b(?:his|her) client\b",
    re.IGNORECASE,
)
# an article sentence that attributes what it prints to someone ("officials said")
_ATTRIBUTED = re.compile(
    r"\b(?:said|says|told|according to|confirmed|spokes(?:man|woman|person)|officials?)\b",
    re.IGNORECASE,
)


@dataclass
class EmailDoc:
    key: str
    sent_at: datetime
    text: str  # the sender's own text: the only words that can disclose
    sender: str | None = None
    recipients: set[str] = field(default_factory=set)  # To and Cc
    thread_addresses: set[str] = field(default_factory=set)  # everyone on the thread
    context: str = ""  # subject, own text, quoted texts: says who the message is about
    # A printed time whose zone is unsettled lies in [earliest, latest] (foia.tzinfer);
    # None: ``sent_at`` is exact.
    earliest: datetime | None = None
    latest: datetime | None = None

    @property
    def first(self) -> datetime:
        """The earliest the message can have been sent: what the time window starts at, so
        an article whose order against an uncertain time is unsettled is weighed, flagged."""
        return min(self.earliest or self.sent_at, self.sent_at)

    @property
    def last(self) -> datetime:
        return max(self.latest or self.sent_at, self.sent_at)


@dataclass
class ArticleDoc:
    key: str  # version key: url#text_sha256
    url: str
    outlet: str | None
    published_at: datetime | None
    modified_at: datetime | None
    text: str
    original_url: str | None = None  # a syndicated copy's original (crawler's grouping)

    @property
    def domain(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def domains(self) -> list[str]:
        """The outlet's domain and, for a syndicated copy, the original's: a message that
        reached the original's outlet reached the copy too."""
        orig = (urlsplit(self.original_url).hostname or "").lower() if self.original_url else ""
        return [self.domain] + ([orig] if orig and orig != self.domain else [])


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
    # the lag's range when the message's time is a range: from its latest and earliest time
    lag_hours_min: float | None = None
    lag_hours_max: float | None = None


@dataclass
class SentencePair:
    """One (email sentence, article sentence) pair weighed, with what the sentence model
    needs; ``typed`` are the typed detail keys both carry."""

    i: int
    j: int
    email_text: str
    article_text: str
    cosine: float
    shared: list[str]
    typed: list[str]
    e_type: str  # the email sentence's first typed detail's type ("other" if none)
    features: dict[str, float]
    p: float = 0.0  # the sentence model's probability


@dataclass
class PairEvidence:
    """Everything weighed for one (message, article version) pair."""

    msg_key: str
    article_key: str
    article_url: str
    features: dict[str, float]
    score: float
    rows: list[Disclosure] = field(default_factory=list)
    sentence_pairs: list[SentencePair] = field(default_factory=list)
    lag_hours: float = 0.0
    lag_range: tuple[float, float] | None = None  # (min, max) when the send time is a range
    public_keys: set[str] = field(default_factory=set)  # shared details printed before
    # per (typed detail, article sentence): (rank, email sentence, shared keys) of the best pair
    typed_best: dict[tuple[str, int], tuple[float, int, list[str]]] = field(default_factory=dict)
    sentence_matrix: np.ndarray | None = None  # SENTENCE_FEATURES of sentence_pairs, built once


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
        t = effective_time(email.first, art)
        if t is not None and t - email.first <= window:
            out.append((art, t))
    return out


def reporter_link(addresses: Iterable[str], domain: str) -> bool:
    """A thread address on the outlet's domain (or a subdomain of it) ties reporter to outlet."""
    return any(same_site(a.rsplit("@", 1)[-1].lower(), domain) for a in addresses if "@" in a)


def _doc(f: TextFeatures) -> _Doc:
    """The matcher's working copy of a text's stored features (boilerplate marked later)."""
    return _Doc(f.segs, f.details, f.words)


def _prepare(text: str, written: datetime | None = None, segs: list[Segment] | None = None) -> _Doc:
    """Sentences with their details; ``written`` resolves relative dates ("last March")."""
    return _doc(prepare(text, written, segs))


def _norm(text: str) -> str:
    return norm(text)


def is_policy(text: str) -> bool:
    """ "ICE lodges detainers against individuals arrested on criminal charges": a sentence
    about people in general and about no one in particular states a policy, not a detail."""
    return bool(_POLICY.search(text)) and not _PERSONAL.search(text)


def _boiler(segs: list[Segment], counts: Mapping[str, int]) -> list[bool]:
    """Sentences repeated across many documents (policy lines, disclaimers), policy
    statements and refusals ("declined to say whether...") carry no disclosed detail.
    ``counts``: in how many documents each sentence (by :func:`sentence_key`) occurs."""
    return [
        counts.get(sentence_key(s.text), 0) >= BOILERPLATE_DOCS
        or is_refusal(s.text)
        or is_policy(s.text)
        for s in segs
    ]


_URL = re.compile(r"https?://[^\s<>\"')]+", re.IGNORECASE)


def linked_paths(text: str) -> set[str]:
    """Paths of the pages a message links to: what it points a reporter at is public."""
    return {urlsplit(u.rstrip(".,;")).path for u in _URL.findall(text or "")} - {"", "/"}


def _names(
    doc: _Doc,
    doc_freq: Mapping[str, int],
    n_docs: int,
    exclude: set[str] = frozenset(),
    common: set[str] = frozenset(),
) -> dict[str, float]:
    """Rare names and identifiers (ages, A-numbers) of a document, with their weights;
    ``exclude`` holds names that say nothing of whom the text is about (the thread's
    participants, the outlets' own names); ``common`` words are no names at all."""
    out = {}
    for ds in doc.details:
        for d in ds:
            if d.key in exclude or (d.type == "name" and d.key[5:] in common):
                continue
            if d.type == "name" or d.key.startswith(("identity:age-", "identity:a-")):
                w = idf(doc_freq.get(d.key, 0), n_docs)
                if w >= RARE_NAME_IDF:
                    out[d.key] = w
    return out


def not_about(participants: Iterable[str], outlets: Iterable[tuple[str | None, str]]) -> set[str]:
    """Name keys that identify no one the story is about: the thread's own people and the
    outlets' names (a reporter's "told The Patriot Wire" is no anchor). ``outlets``:
    (outlet name, article host) of every article in the corpus."""
    words: set[str] = set()
    for name in participants:
        words.update(w.lower() for w in re.findall(r"[A-Za-z][a-z]+(?:[-'][A-Za-z]?[a-z]+)?", name))
    for outlet, domain in outlets:
        words.update(p for p in re.split(r"[^a-z]+", (outlet or "").lower()) if p)
        words.update(p for p in re.split(r"[^a-z]+", domain.split(".")[0]) if p)
    return {f"name:{w}" for w in words if len(w) > 2}


def _not_about(participants: Iterable[str], articles: Iterable[ArticleDoc]) -> set[str]:
    return not_about(participants, ((a.outlet, a.domain) for a in articles))


Plan = list[tuple[EmailDoc, list[tuple[ArticleDoc, datetime]]]]


def plan_pairs(
    emails: Sequence[EmailDoc],
    articles: Sequence[ArticleDoc],
    window: timedelta = DEFAULT_WINDOW,
    skip_pairs: set[tuple[str, str]] | None = None,
) -> tuple[Plan, set[tuple[str, str]]]:
    """Every (email, article) pair in the time window not yet weighed, in email order: the
    plan, and the pairs it weighs (recorded as weighed whatever the filters decide)."""
    skip_pairs = skip_pairs or set()
    plan: Plan = []
    weighed: set[tuple[str, str]] = set()
    for email in emails:
        cands = [
            (a, t)
            for a, t in candidates(email, articles, window)
            if (email.key, a.key) not in skip_pairs
        ]
        if cands:
            weighed.update((email.key, a.key) for a, _ in cands)
            plan.append((email, cands))
    return plan, weighed


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
    """Evidence for every new (email, article) pair in time order, everything computed from
    the records given (the warehouse's incremental path calls :func:`weigh` directly).

    ``corpus_articles`` (default: ``articles``) sets how rare a detail is, which sentences are
    boilerplate and what was public before each email. ``embed`` maps sentences to
    L2-normalized vectors (cached by the caller). ``participants``: display names of the
    production's senders, whose names identify no suspect.
    """
    corpus = list(corpus_articles) if corpus_articles is not None else list(articles)
    by_key = {a.key: a for a in corpus}
    for a in articles:
        by_key.setdefault(a.key, a)
    art_feats = {k: prepare(a.text, a.published_at) for k, a in by_key.items()}
    email_feats = {e.key: prepare(e.text, e.sent_at) for e in emails}
    stats = CorpusStats.from_scratch(art_feats.values(), email_feats.values())
    plan, weighed = plan_pairs(emails, articles, window, skip_pairs)
    outlet_domains = {a.domain for a in by_key.values()}
    result = weigh(
        plan,
        by_key,
        art_feats,
        email_feats,
        stats,
        embed,
        agency=agency_domains(((e.sender, e.recipients) for e in emails), outlet_domains),
        outlet_domains=outlet_domains,
        not_about=_not_about(participants, by_key.values()),
        public_before=lambda email: list(by_key),
        model=model,
        keep_floor=keep_floor,
        progress=progress,
    )
    result.weighed = weighed
    return result


def weigh(
    plan: Plan,
    pages: Mapping[str, ArticleDoc],
    art_feats: Mapping[str, TextFeatures],
    email_feats: Mapping[str, TextFeatures],
    stats: CorpusStats,
    embed: Callable[[list[str]], np.ndarray],
    *,
    agency: set[str],
    outlet_domains: set[str],
    not_about: set[str],
    public_before: Callable[[EmailDoc], Iterable[str]],
    context_feats: Mapping[str, TextFeatures] | None = None,
    model: ScoreModel | None = None,
    keep_floor: float = KEEP_FLOOR,
    progress: Callable[[list[Any]], Iterable[Any]] = lambda it: it,
    outbound: Mapping[str, set[str]] | None = None,
) -> MatchResult:
    """Weigh the planned pairs. The corpus enters only through ``stats`` (whose mappings
    need hold just the keys of the texts given), the ``pages`` (the candidates and any page
    that may have printed an email's details before it: ``public_before(email)`` names them,
    a superset is fine) and ``outbound`` (detail keys that messages to the outlet, weighed
    in earlier runs, share with each article version). ``weighed`` is left to the caller."""
    model = model or load_model()
    context_feats = context_feats or {}
    art_docs = {k: _doc(art_feats[k]) for k in pages}
    for doc in art_docs.values():
        doc.boiler = _boiler(doc.segs, stats.article_sentences)
    email_docs: dict[str, _Doc] = {}

    def email_doc(e: EmailDoc) -> _Doc:
        if e.key not in email_docs:
            doc = _doc(email_feats[e.key])
            doc.boiler = _boiler(doc.segs, stats.email_sentences)
            email_docs[e.key] = doc
        return email_docs[e.key]

    doc_freq = stats.doc_freq
    n_docs = max(stats.n_docs, 1)
    common = stats.common
    art_names = {k: _names(d, doc_freq, n_docs, not_about, common) for k, d in art_docs.items()}
    art_typed = {k: d.keys(typed_only=True) for k, d in art_docs.items()}

    # Candidates first: only their sentences are embedded.
    todo: Plan = []
    for email, cands in plan:
        if sender_role(email.sender, agency, outlet_domains) == "external":
            continue  # a reporter's own question discloses nothing of the agency's
        # no typed detail in common: never a disclosure, so its sentences are not embedded
        e_typed = email_doc(email).keys(typed_only=True)
        cands = [(a, t) for a, t in cands if e_typed & art_typed[a.key]]
        if cands:
            todo.append((email, cands))
    needed = {a.key for _, cands in todo for a, _ in cands}
    texts: list[str] = []
    for k in sorted(needed):
        art_docs[k].offset = len(texts)
        texts.extend(s.text for s in art_docs[k].segs)
    n_art = len(texts)
    for email, _ in todo:
        doc = email_docs[email.key]
        doc.offset = len(texts)
        texts.extend(s.text for s in doc.segs)
    vectors = embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    a_vec, e_vec = vectors[:n_art], vectors[n_art:]
    e_vec_offset = n_art

    pairs: list[PairEvidence] = []
    # what a page makes public: its typed details, and the crimes it reports as news ("ICE
    # arrested him Monday" makes the arrest public, whatever a later sentence calls it)
    art_public = {
        k: art_typed[k] | {"criminal_history:" + x[6:] for x in d.keys() if x.startswith("crime:")}
        for k, d in art_docs.items()
    }
    ctx = _PairContext(pages, art_docs, art_names, art_public, doc_freq, n_docs, agency, model)
    for email, cands in progress(todo):
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
        if not email.context:
            e_ctx = e_doc
        elif email.key in context_feats:
            e_ctx = _doc(context_feats[email.key])
        else:
            e_ctx = _prepare(email.context, email.sent_at)
        e_names = _names(e_ctx, doc_freq, n_docs, not_about, common)
        e_typed_all = e_doc.keys(typed_only=True)
        linked = linked_paths(email.context or email.text)
        public_pages = [
            (k, pages[k].url)
            for k in public_before(email)
            if k in pages and pages[k].published_at and pages[k].published_at < email.first
        ]
        for art, t in cands:
            n = len(art_docs[art.key].segs)
            block = sims[:, col : col + n]
            col += n
            pair = ctx.evaluate(
                email, e_doc, e_names, e_typed_all, public_pages, art, block, t, linked
            )
            pairs.append(pair)
    sentence = model.sentence_model()
    for pair in pairs:
        rescore_pair(pair, sentence)
    finalize_pairs(pairs, model, outbound)
    found = [r for p in pairs if p.score >= keep_floor for r in p.rows]
    return MatchResult(found, set(), pairs)


def _conflicts(a: list[Detail], b: list[Detail]) -> int:
    """Kinds of detail both sentences give with no value in common (another year, another
    country, another count): two such sentences make different claims."""
    fam_a: dict[str, set[str]] = defaultdict(set)
    fam_b: dict[str, set[str]] = defaultdict(set)
    for ds, fam in ((a, fam_a), (b, fam_b)):
        for d in ds:
            head = d.key.split(":", 1)[0]
            if head in ("year", "citizenship", "name") or d.key.startswith(
                ("identity:age-", "enforcement_action:removed-x")
            ):
                fam[head if head != "identity" else d.key.rsplit("-", 1)[0]].add(d.key)
    return sum(1 for k in fam_a.keys() & fam_b.keys() if not fam_a[k] & fam_b[k])


def rescore_pair(pair: PairEvidence, sentence: ScoreModel) -> None:
    """Apply the sentence model: its probabilities, the pair features it feeds, and the
    evidence rows (one per shared typed detail and article sentence that prints it, plus each
    article sentence the model finds printed from an email sentence)."""
    sps = pair.sentence_pairs
    X = pair.sentence_matrix
    if X is None:
        X = np.array([[sp.features[n] for n in SENTENCE_FEATURES] for sp in sps], dtype=float)
        pair.sentence_matrix = X
    probs = sentence.predict_many(X.reshape(-1, len(SENTENCE_FEATURES)), SENTENCE_FEATURES)
    per_article_sentence: dict[int, float] = {}
    for sp, pv in zip(sps, probs, strict=True):
        sp.p = float(pv)
        per_article_sentence[sp.j] = max(per_article_sentence.get(sp.j, 0.0), sp.p)
    top = sorted(per_article_sentence.values(), reverse=True)
    f = pair.features
    f["sent_max"] = top[0] if top else 0.0
    f["sent_sum"] = float(sum(top[:3]))
    f["n_sent"] = float(sum(1 for v in top if v >= SENT_ROW))
    f["typed_p"] = max((sp.p for sp in sps if sp.typed), default=0.0)
    pair.rows = _rows(pair)


def _rows(pair: PairEvidence) -> list[Disclosure]:
    by_pos = {(sp.i, sp.j): sp for sp in pair.sentence_pairs}
    best = pair.typed_best
    by_key: dict[str, list[tuple[float, int, int, list[str]]]] = defaultdict(list)
    for (key, j), (rank, i, shared) in best.items():
        by_key[key].append((rank, i, j, shared))
    rows: list[Disclosure] = []
    covered: set[int] = set()

    def row(key: str, i: int, j: int, shared: list[str]) -> Disclosure:
        sp = by_pos[(i, j)]
        return Disclosure(
            msg_key=pair.msg_key,
            article_key=pair.article_key,
            article_url=pair.article_url,
            detail_type=key.split(":", 1)[0],
            detail_key=key,
            article_sentence=j,
            email_quote=sp.email_text,
            article_quote=sp.article_text,
            shared_details=shared,
            score=pair.score,
            cosine=sp.cosine,
            lag_hours=pair.lag_hours,
            features=pair.features,
            lag_hours_min=pair.lag_range[0] if pair.lag_range else None,
            lag_hours_max=pair.lag_range[1] if pair.lag_range else None,
        )

    for key in sorted(by_key):
        for _, i, j, shared in sorted(by_key[key], reverse=True)[:ROWS_PER_DETAIL]:
            rows.append(row(key, i, j, shared))
            covered.add(j)
    if rows:  # the model's paraphrase rows back a pair that shares a concrete detail
        for sp in sorted(pair.sentence_pairs, key=lambda s: -s.p):
            if sp.p >= SENT_ROW and sp.j not in covered:
                rows.append(row(f"{sp.e_type}:paraphrase", sp.i, sp.j, sp.shared))
                covered.add(sp.j)
    return rows


def outbound_keys(pair: PairEvidence) -> set[str]:
    """The detail keys a message to the article's outlet gave it: what supersedes an
    internal message's rows of the same article (kept by the warehouse for later runs)."""
    if not (pair.features.get("to_outlet") and pair.rows):
        return set()
    return {r.detail_key for r in pair.rows if not r.detail_key.endswith(":paraphrase")}


def finalize_pairs(
    pairs: list[PairEvidence], model: ScoreModel, earlier: Mapping[str, set[str]] | None = None
) -> None:
    """Score every pair, then let outbound messages supersede internal ones.

    The disclosure is the message that reached the outlet: an internal message (a draft,
    a briefing) whose shared details an outbound message to the same outlet also shares with
    the article is superseded by it. ``earlier``: per article version, the outbound keys of
    pairs weighed in earlier runs (a batch then decides as one run over everything would)."""
    outbound: dict[str, set[str]] = defaultdict(set)
    for key, details in (earlier or {}).items():
        outbound[key].update(details)
    for p in pairs:
        p.features["superseded"] = 0.0
        outbound[p.article_key].update(outbound_keys(p))
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
    doc_freq: Mapping[str, int]
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
        linked: set[str] = frozenset(),
    ) -> PairEvidence:
        """The pair's features and every sentence pair weighed; rows and score come later
        (:func:`rescore_pair`, :func:`finalize_pairs`), once the models are known."""
        a_doc = self.art_docs[art.key]
        lag = (eff_time - email.sent_at).total_seconds() / 3600.0
        lag_range = None
        if email.first != email.sent_at or email.last != email.sent_at:
            lag_range = (
                (eff_time - email.last).total_seconds() / 3600.0,
                (eff_time - email.first).total_seconds() / 3600.0,
            )
        a_index: dict[str, set[int]] = defaultdict(set)
        for j, ds in enumerate(a_doc.details):
            if not a_doc.boiler[j]:
                for d in ds:
                    a_index[d.key].add(j)
        # per (typed detail, article sentence): the best email sentence
        best: dict[tuple[str, int], tuple[float, int, list[str]]] = {}
        sentence_pairs: list[SentencePair] = []
        support: set[str] = set()
        max_cos = 0.0
        k = min(TOP_K_PER_ARTICLE, block.shape[1]) if block.shape[1] else 0
        masked = block.copy()
        if masked.size:
            masked[[i for i, b in enumerate(e_doc.boiler) if b], :] = -1.0
            masked[:, [j for j, b in enumerate(a_doc.boiler) if b]] = -1.0
            row_best, col_best = masked.argmax(axis=1), masked.argmax(axis=0)
        a_types = [{d.type for d in ds if d.type in DETAIL_TYPES} for ds in a_doc.details]
        for i, e_details in enumerate(e_doc.details):
            if e_doc.boiler[i] or not k:
                continue
            row = block[i]
            top = {int(j) for j in np.argpartition(-row, k - 1)[:k] if row[j] >= COSINE_FLOOR}
            for d in e_details:
                top |= a_index.get(d.key, set())
            e_keys = {d.key: d for d in e_details}
            e_types = [d.type for d in e_details if d.type in DETAIL_TYPES]
            for j in sorted(top):
                if a_doc.boiler[j]:
                    continue
                cos = float(row[j])
                max_cos = max(max_cos, cos)
                shared = [key for key in (d.key for d in a_doc.details[j]) if key in e_keys]
                typed = [key for key in shared if e_keys[key].type in DETAIL_TYPES]
                untyped = [key for key in shared if e_keys[key].type not in DETAIL_TYPES]
                support.update(untyped)
                jac = jaccard(e_doc.words[i], a_doc.words[j])
                rank = cos + 0.05 * len(shared) + 0.03 * jac
                for key in typed:
                    if (key, j) not in best or rank > best[(key, j)][0]:
                        best[(key, j)] = (rank, i, shared)
                a_text = a_doc.segs[j].text
                sentence_pairs.append(
                    SentencePair(
                        i, j, e_doc.segs[i].text, a_text, cos, shared, typed,
                        e_types[0] if e_types else "other",
                        {
                            "cosine": cos,
                            "jaccard": jac,
                            "n_typed": float(len(typed)),
                            "typed_idf": min(sum(self.w(key) for key in typed), IDF_CAP),
                            "support_idf": min(sum(self.w(key) for key in untyped), IDF_CAP),
                            "same_type": float(bool(set(e_types) & a_types[j])),
                            "conflicts": float(
                                _conflicts(e_doc.details[i], a_doc.details[j])
                            ),
                            "e_typed": float(bool(e_types)),
                            "a_typed": float(bool(a_types[j])),
                            "mutual_best": float(
                                int(row_best[i]) == j and int(col_best[j]) == i
                            ),
                            "attributed": float(bool(_ATTRIBUTED.search(a_text))),
                            "other_source": float(bool(_OTHER_SOURCE.search(a_text))),
                            "personal": float(bool(_PERSONAL.search(e_doc.segs[i].text))),
                            "generic": float(bool(_GENERIC.search(e_doc.segs[i].text))),
                            "a_generic": float(
                                bool(_GENERIC.search(a_text)) and not _PERSONAL.search(a_text)
                            ),
                        },
                    )
                )  # fmt: skip
        keys = {key for key, _ in best}
        anchor_keys = set(e_names) & set(self.art_names[art.key])
        anchor = sum(e_names[key] for key in anchor_keys)
        conflict = float(bool(e_names) and bool(self.art_names[art.key]) and not anchor_keys)
        e_ages = {k for k in e_names if k.startswith("identity:age-")}
        a_ages = {k for k in self.art_names[art.key] if k.startswith("identity:age-")}
        near = {f"identity:age-{int(k[13:]) + d}" for k in e_ages for d in (-1, 0, 1)}
        age_conflict = float(bool(e_ages) and bool(a_ages) and not near & a_ages)
        public, new, public_keys = self._public_share(
            keys, e_names, e_typed_all, public_pages, art.url, linked
        )
        classes = {recipient_class(email.recipients, self.agency, d) for d in art.domains}
        rcpt = "outlet" if "outlet" in classes else min(classes)
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
            "age_conflict": age_conflict,
            "to_outlet": float(rcpt == "outlet"),
            "to_internal": float(rcpt == "internal"),
            "thread_link": float(
                any(reporter_link(email.thread_addresses, d) for d in art.domains)
            ),
            "public_before": public,
            "new_details": float(new),
            "lag_days": max(lag, 0.0) / 24.0,
            "sent_max": 0.0,
            "sent_sum": 0.0,
            "n_sent": 0.0,
            "typed_p": 0.0,
        }
        pair = PairEvidence(
            email.key, art.key, art.url, f, 0.0, [], sentence_pairs, lag, public_keys=public_keys
        )
        pair.typed_best = best
        pair.lag_range = lag_range
        return pair

    def _public_share(
        self,
        keys: set[str],
        e_names: dict[str, float],
        e_typed_all: set[str],
        public_pages: list[tuple[str, str]],
        url: str,
        linked: set[str] = frozenset(),
    ) -> tuple[float, int, set[str]]:
        """Share of the pair's details already printed, about the same person, before the
        email: a page the email links to ("please see the release: URL"), or one that names
        the same rare person or shares three of its rare details. The article itself does not
        count (published before and updated after the email, its text before the update is
        not known here)."""
        if not keys:
            return 0.0, 0, set()
        public: set[str] = set()
        for page, page_url in public_pages:
            if page_url == url:
                continue
            typed = self.art_typed[page]
            if not keys & typed:
                continue
            rare_shared = [k for k in e_typed_all & typed if self.w(k) >= RARE_DETAIL_IDF]
            page_names = self.art_names[page]
            # rare details alone make the same person only where the email's thread names
            # nobody (redacted): a page about a named person names him
            same_person = (
                urlsplit(page_url).path in linked
                or bool(set(e_names) & set(page_names))
                or (len(rare_shared) >= 3 and not e_names)
            )
            if same_person:
                for key in keys & typed:
                    public.add(f"{key} ({urlsplit(page_url).path})")
        public_keys = {p.split(" (", 1)[0] for p in public}
        return len(public_keys) / len(keys), len(keys - public_keys), public
