"""The matcher's stored features and incrementally kept corpus statistics (issue 12).

``text_features`` holds each text's sentences, details and words once per (text, month,
matcher version); ``corpus_members`` says which documents ``corpus_stats`` counts, so a run
adds the contributions of new documents, subtracts those of documents that left the corpus
(an article's newer version replaced it, a message's text changed) and never counts one
twice; ``public_details`` indexes, per detail key, the pages that print it. The numbers are
those :meth:`matching.features.CorpusStats.from_scratch` would recount (tested).

Computation is :mod:`matching.features`'; this module only reads and writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from matching.features import (
    ARTICLE_SENTENCE,
    DETAIL_DF,
    EMAIL_SENTENCE,
    WORD,
    CorpusStats,
    TextFeatures,
    article_contribution,
    email_contribution,
    feature_key,
    prepare,
)
from warehouse.runs import insert_arrow, now

# The matchable messages, each with the text the matcher reads as its own (own text, then
# attachments' text); every reader of matchable messages selects from it.
EMAIL_TEXT_SQL = """
    WITH att AS (
        SELECT msg_key, string_agg(text, '\n\n' ORDER BY idx) AS text
        FROM attachments WHERE length(text) > 0 GROUP BY msg_key
    ), own AS (
        SELECT e.*, concat_ws('\n\n', nullif(e.own_text, ''), att.text) AS own_all
        FROM emails e LEFT JOIN att ON att.msg_key = e.msg_key
    )
    SELECT * FROM own e
    WHERE NOT e.withheld AND e.sent_at IS NOT NULL AND length(e.own_all) > 0
"""


# The newest version of each page: the rule of the ``articles`` view (migration 0002), for
# queries that read ``article_versions`` directly (a test holds the two equal).
NEWEST_VERSION = (
    "QUALIFY row_number() OVER (PARTITION BY url ORDER BY last_fetched_at DESC, text_sha256) = 1"
)
# The current article versions as the match's set queries read them.
ARTICLE_KEYS_SQL = (
    "(SELECT url || '#' || text_sha256 AS article_key, url, outlet, published_at, modified_at "
    f"FROM article_versions {NEWEST_VERSION})"
)
_CURRENT = "_scope_current"
_VERSIONS = "_scope_versions"
CORPUS, MATCHED_DOCS = "corpus", "matched_docs"  # sync_state scopes


@dataclass(frozen=True)
class ArticleScope:
    """The pages a match run reads: every page (``versions`` None), or the pages written
    since the run before (``article_versions.change_seq`` above its watermark). ``current``
    holds the newest version of each page in scope, ``versions`` every version key of them
    (what a document that left is looked up in); ``upto`` is the highest write taken in."""

    current: str = ARTICLE_KEYS_SQL
    versions: str | None = None
    upto: int = 0
    replaced: int = 0  # versions in scope that are not their page's newest

    @property
    def full(self) -> bool:
        return self.versions is None

    @property
    def may_have_left(self) -> bool:
        """Whether a version can have left the warehouse: with every page read, or when a
        page in scope has an older version (else the members need no looking up)."""
        return self.full or self.replaced > 0

    def size(self, con: Any) -> int:
        """How many pages the run compares."""
        return int(con.execute(f"SELECT count(*) FROM {self.current}").fetchall()[0][0])

    def within(self, column: str) -> str:
        """SQL condition: ``column`` (an article key) is a version of a page in scope."""
        return (
            "TRUE"
            if self.versions is None
            else f"{column} IN (SELECT article_key FROM {self.versions})"
        )


def watermark(con: Any, scope: str, version: str) -> int | None:
    rows = con.execute(
        "SELECT change_seq FROM sync_state WHERE scope = ? AND version = ?", [scope, version]
    ).fetchall()
    return rows[0][0] if rows else None


def article_scope(con: Any, marks: Iterable[tuple[str, str]], full: bool = False) -> ArticleScope:
    """Snapshot (temporary tables) of the pages this run reads: those written since the
    oldest of the ``marks`` (sync_state scopes and versions), or every page when one is
    missing or ``full``. Ranking versions is then paid for the written pages only; the
    whole warehouse only on a first run or a new matcher version."""
    upto = con.execute("SELECT coalesce(max(change_seq), 0) FROM article_versions").fetchall()
    upto = int(upto[0][0])
    seen = [watermark(con, s, v) for s, v in marks]
    if full or not seen or any(w is None for w in seen):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_CURRENT} AS SELECT * FROM {ARTICLE_KEYS_SQL}")
        con.execute(f"DROP TABLE IF EXISTS {_VERSIONS}")
        return ArticleScope(_CURRENT, None, upto)
    since = min(w for w in seen if w is not None)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_VERSIONS} AS SELECT url, url || '#' || text_sha256 "
        "AS article_key, text_sha256, outlet, published_at, modified_at, last_fetched_at "
        "FROM article_versions WHERE url IN (SELECT url FROM article_versions "
        "WHERE change_seq > ? AND change_seq <= ?)",
        [since, upto],
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_CURRENT} AS SELECT article_key, url, outlet, "
        f"published_at, modified_at FROM {_VERSIONS} {NEWEST_VERSION}"
    )
    replaced = con.execute(
        f"SELECT (SELECT count(*) FROM {_VERSIONS}) - (SELECT count(*) FROM {_CURRENT})"
    ).fetchall()[0][0]
    return ArticleScope(_CURRENT, _VERSIONS, upto, int(replaced))


def save_watermarks(con: Any, scope: ArticleScope, marks: Iterable[tuple[str, str]]) -> None:
    """Record that the run took in every article write up to ``scope.upto``."""
    for s, v in marks:
        con.execute(
            "INSERT INTO sync_state VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "change_seq = excluded.change_seq, synced_at = excluded.synced_at",
            [s, v, scope.upto, now()],
        )


def drop_scope(con: Any) -> None:
    con.execute(f"DROP TABLE IF EXISTS {_CURRENT}")
    con.execute(f"DROP TABLE IF EXISTS {_VERSIONS}")


@dataclass
class SyncResult:
    """What a sync changed: the documents added and removed, the texts computed or reused,
    and how the detail counts moved (the re-weighing reads them)."""

    articles_added: list[str] = field(default_factory=list)
    articles_removed: int = 0
    emails_added: int = 0
    emails_removed: int = 0
    texts_computed: int = 0
    texts_reused: int = 0
    n_before: int = 0
    n_after: int = 0
    df_delta: Counter[str] = field(default_factory=Counter)
    # (detail key, page url, published_at) of every page added: what it may make public
    new_public: list[tuple[str, str, datetime | None]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.articles_added or self.articles_removed or self.emails_added or self.emails_removed
        )


def load_records(con: Any, version: str, keys: Iterable[str]) -> dict[str, TextFeatures]:
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = fetch_by_rowid(
        con,
        "text_features",
        "feature_key, record",
        "matcher_version = ? AND feature_key IN (SELECT unnest(?))",
        [version, keys],
    )
    return {k: TextFeatures.from_json(r) for k, r in rows}


def fetch_by_rowid(
    con: Any, table: str, columns: str, where: str, params: list[Any]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE where``, in two steps: the matching rows' ids from
    the filter's columns alone, then the wanted columns of just those rows. A key lookup
    in a big table then never scans its large columns (text, records), whose blocks would
    otherwise fill the buffer pool in proportion to the warehouse. Falls back to the plain
    query should the row ids not find every row."""
    ids = [r[0] for r in con.execute(f"SELECT rowid FROM {table} WHERE {where}", params).fetchall()]
    if not ids:
        return []
    rows = con.execute(
        f"SELECT {columns} FROM {table} WHERE rowid IN (SELECT unnest(?::BIGINT[]))", [ids]
    ).fetchall()
    if len(rows) != len(ids):
        rows = con.execute(f"SELECT {columns} FROM {table} WHERE {where}", params).fetchall()
    return rows


def ensure_records(
    con: Any, version: str, texts: Iterable[tuple[str, datetime | None]], result: SyncResult
) -> dict[str, TextFeatures]:
    """Features of each (text, written) by feature key: stored ones read back, the others
    computed once and stored."""
    wanted: dict[str, tuple[str, datetime | None]] = {}
    for text, written in texts:
        wanted.setdefault(feature_key(text, written), (text, written))
    have = load_records(con, version, wanted)
    new = {k: prepare(*wanted[k]) for k in wanted if k not in have}
    result.texts_reused += len(have)
    result.texts_computed += len(new)
    if new:
        insert_arrow(
            con,
            "text_features",
            pa.table(
                {
                    "matcher_version": [version] * len(new),
                    "feature_key": list(new),
                    "record": [f.to_json() for f in new.values()],
                    "computed_at": [now()] * len(new),
                }
            ),
        )  # only keys load_records did not find: one row per key without a key index
    return {**have, **new}


def _apply(con: Any, version: str, delta: dict[str, Counter[str]]) -> None:
    rows = [(stat, k, n) for stat, c in delta.items() for k, n in c.items() if n]
    if not rows:
        return
    insert_arrow(
        con,
        "corpus_stats",
        pa.table(
            {
                "matcher_version": [version] * len(rows),
                "stat": [r[0] for r in rows],
                "key": [r[1] for r in rows],
                "n": pa.array([r[2] for r in rows], pa.int64()),
            }
        ),
        "ON CONFLICT DO UPDATE SET n = corpus_stats.n + excluded.n",
    )
    con.execute("DELETE FROM corpus_stats WHERE matcher_version = ? AND n <= 0", [version])


def article_texts(con: Any, keys: Iterable[str]) -> dict[str, str | None]:
    """The text of each article version (url#text_sha256), read from ``article_versions``
    by row id: the ``articles`` view would rank every version's text to find the newest."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = fetch_by_rowid(
        con,
        "article_versions",
        "url || '#' || text_sha256, text",
        "url || '#' || text_sha256 IN (SELECT unnest(?))",
        [keys],
    )
    return dict(rows)


def n_docs(con: Any, version: str) -> int:
    return con.execute(
        "SELECT count(*) FROM corpus_members WHERE matcher_version = ? AND doc_kind = 'article'",
        [version],
    ).fetchall()[0][0]


def sync_corpus(con: Any, version: str, scope: ArticleScope | None = None) -> SyncResult:
    """Bring corpus_members, corpus_stats and public_details up to the warehouse's current
    articles and messages: only documents that arrived or left are read and counted.
    ``scope``: the pages to compare (:func:`article_scope`; default every page)."""
    scope = scope or ArticleScope()
    articles = scope.current
    res = SyncResult(n_before=n_docs(con, version))
    delta: dict[str, Counter[str]] = {
        s: Counter() for s in (DETAIL_DF, ARTICLE_SENTENCE, EMAIL_SENTENCE, WORD)
    }

    def add(contrib: dict[str, Counter[str]], sign: int) -> None:
        for stat, c in contrib.items():
            for k, n in c.items():
                delta[stat][k] += sign * n

    # articles that left the corpus (a newer version of the page replaced them)
    gone = (
        con.execute(
            "SELECT m.doc_key, m.feature_key FROM corpus_members m WHERE m.matcher_version = ? "
            f"AND m.doc_kind = 'article' AND {scope.within('m.doc_key')} "
            f"AND m.doc_key NOT IN (SELECT article_key FROM {articles})",
            [version],
        ).fetchall()
        if scope.may_have_left
        else []
    )
    # messages that left or whose text or time changed
    gone_emails = con.execute(
        f"SELECT m.doc_key, m.feature_key FROM corpus_members m WHERE m.matcher_version = ? "
        f"AND m.doc_kind = 'email' AND NOT EXISTS (SELECT 1 FROM ({EMAIL_TEXT_SQL}) e "
        "WHERE e.msg_key = m.doc_key AND sha256(e.own_all) = split_part(m.feature_key, '|', 1) "
        "AND e.sent_at = m.published_at)",
        [version],
    ).fetchall()
    old = load_records(con, version, [fk for _, fk in gone + gone_emails])
    for _, fk in gone:
        add(article_contribution(old[fk]), -1)
    for _, fk in gone_emails:
        add(email_contribution(old[fk]), -1)
    if gone:
        keys = [k for k, _ in gone]
        con.execute(
            "DELETE FROM corpus_members WHERE matcher_version = ? AND doc_kind = 'article' "
            "AND doc_key IN (SELECT unnest(?))",
            [version, keys],
        )
        con.execute(
            "DELETE FROM public_details WHERE matcher_version = ? "
            "AND article_key IN (SELECT unnest(?))",
            [version, keys],
        )
    if gone_emails:
        con.execute(
            "DELETE FROM corpus_members WHERE matcher_version = ? AND doc_kind = 'email' "
            "AND doc_key IN (SELECT unnest(?))",
            [version, [k for k, _ in gone_emails]],
        )
    res.articles_removed, res.emails_removed = len(gone), len(gone_emails)

    new_keys = con.execute(
        # a left join, not NOT IN: its hash table is built on the pages in scope, not on
        # every member
        "SELECT a.article_key, a.url, a.outlet, a.published_at "
        f"FROM {articles} a LEFT JOIN (SELECT doc_key FROM corpus_members "
        "WHERE matcher_version = ? AND doc_kind = 'article') m ON m.doc_key = a.article_key "
        "WHERE m.doc_key IS NULL "
        # in time order: a night's window then reads neighbouring rows of text_features
        # even when one run computed them all (a first run, a new matcher version)
        "ORDER BY a.published_at NULLS FIRST, 1",
        [version],
    ).fetchall()
    texts = article_texts(con, [k for k, *_ in new_keys])
    new_articles = [(k, url, outlet, pub, texts.get(k) or "") for k, url, outlet, pub in new_keys]
    new_emails = con.execute(
        f"SELECT e.msg_key, e.own_all, e.sent_at FROM ({EMAIL_TEXT_SQL}) e WHERE e.msg_key NOT IN "
        "(SELECT doc_key FROM corpus_members WHERE matcher_version = ? AND doc_kind = 'email') "
        "ORDER BY 1",
        [version],
    ).fetchall()
    feats = ensure_records(
        con,
        version,
        [(r[4], r[3]) for r in new_articles] + [(r[1], r[2]) for r in new_emails],
        res,
    )
    members: list[dict[str, Any]] = []
    public: list[dict[str, Any]] = []
    t = now()
    from urllib.parse import urlsplit

    for key, url, outlet, pub, text in new_articles:
        fk = feature_key(text, pub)
        contrib = article_contribution(feats[fk])
        add(contrib, 1)
        res.df_delta.update(contrib[DETAIL_DF])
        domain = (urlsplit(url).hostname or "").lower()
        members.append(dict(doc_kind="article", doc_key=key, feature_key=fk, domain=domain,
                            outlet=outlet, published_at=pub))  # fmt: skip
        for k, sentences in sorted(feats[fk].printing_sentences().items()):
            public.append(dict(detail_key=k, article_key=key, published_at=pub,
                               sentence_keys=sentences))  # fmt: skip
            res.new_public.append((k, url, pub))
        res.articles_added.append(key)
    for _, fk in gone:
        res.df_delta.subtract(article_contribution(old[fk])[DETAIL_DF])
    for msg_key, text, sent_at in new_emails:
        fk = feature_key(text, sent_at)
        add(email_contribution(feats[fk]), 1)
        members.append(dict(doc_kind="email", doc_key=msg_key, feature_key=fk, domain=None,
                            outlet=None, published_at=sent_at))  # fmt: skip
    res.emails_added = len(new_emails)
    if members:
        insert_arrow(
            con,
            "corpus_members",
            pa.Table.from_pylist(
                [{"matcher_version": version, **m, "added_at": t} for m in members]
            ),
        )
    if public:
        insert_arrow(
            con,
            "public_details",
            pa.Table.from_pylist([{"matcher_version": version, **p} for p in public]),
        )  # pages new to the corpus: a page that left had its rows deleted
    _apply(con, version, delta)
    res.n_after = n_docs(con, version)
    return res


def fetch_stats(
    con: Any,
    version: str,
    detail_keys: Iterable[str] = (),
    article_sentences: Iterable[str] = (),
    email_sentences: Iterable[str] = (),
    words: Iterable[str] = (),
) -> CorpusStats:
    """The statistics of just the keys a batch looks up (any other key counts zero there)."""
    wanted = {
        DETAIL_DF: set(detail_keys),
        ARTICLE_SENTENCE: set(article_sentences),
        EMAIL_SENTENCE: set(email_sentences),
        WORD: set(words),
    }
    rows = [(s, k) for s, ks in wanted.items() for k in ks]
    got: dict[str, dict[str, int]] = {s: {} for s in wanted}
    if rows:
        con.register(
            "_wanted_stats", pa.table({"stat": [r[0] for r in rows], "key": [r[1] for r in rows]})
        )
        try:
            for stat, key, n in con.execute(
                "SELECT s.stat, s.key, s.n FROM corpus_stats s JOIN _wanted_stats w "
                "ON s.stat = w.stat AND s.key = w.key WHERE s.matcher_version = ?",
                [version],
            ).fetchall():
                got[stat][key] = int(n)
        finally:
            con.unregister("_wanted_stats")
    return CorpusStats(
        got[DETAIL_DF], n_docs(con, version), got[ARTICLE_SENTENCE], got[EMAIL_SENTENCE], got[WORD]
    )


def all_stats(con: Any, version: str) -> CorpusStats:
    """Every statistic (tests compare it with a recount from scratch)."""
    got: dict[str, dict[str, int]] = {
        s: {} for s in (DETAIL_DF, ARTICLE_SENTENCE, EMAIL_SENTENCE, WORD)
    }
    for stat, key, n in con.execute(
        "SELECT stat, key, n FROM corpus_stats WHERE matcher_version = ?", [version]
    ).fetchall():
        got[stat][key] = int(n)
    return CorpusStats(
        got[DETAIL_DF], n_docs(con, version), got[ARTICLE_SENTENCE], got[EMAIL_SENTENCE], got[WORD]
    )


def corpus_outlets(con: Any, version: str) -> list[tuple[str | None, str]]:
    """(outlet, host) of the corpus's articles: outlet names identify no one."""
    return con.execute(
        "SELECT DISTINCT outlet, domain FROM corpus_members WHERE matcher_version = ? "
        "AND doc_kind = 'article'",
        [version],
    ).fetchall()


def pages_printing(
    con: Any, version: str, wanted: dict[str, tuple[datetime, set[str]]]
) -> dict[str, set[str]]:
    """Per message (its earliest send time, its detail keys): the pages published before it
    that print any of those details outside boilerplate (an index lookup: a superset of what
    the matcher counts, which applies its own tests to the pages found).

    Answered from ``public_details`` and ``corpus_stats`` alone: each (detail, page) row
    lists the sentences printing the detail, and one of them must occur in fewer than
    ``BOILERPLATE_DOCS`` article versions. No page's text or features record is read, so the
    cost is the index rows of the wanted details, not the pages' size."""
    from matching.match import BOILERPLATE_DOCS

    rows = [(m, first, k) for m, (first, keys) in wanted.items() for k in keys]
    out: dict[str, set[str]] = {m: set() for m in wanted}
    if not rows:
        return out
    con.register(
        "_wanted_public",
        pa.table({"msg_key": [r[0] for r in rows], "first": [r[1] for r in rows],
                  "detail_key": [r[2] for r in rows]}),
    )  # fmt: skip
    try:
        for m, page in con.execute(
            """
            WITH p AS (
                SELECT w.msg_key, p.article_key, p.sentence_keys
                FROM _wanted_public w JOIN public_details p ON p.detail_key = w.detail_key
                WHERE p.matcher_version = $version AND p.published_at < w.first
            ), s AS (
                SELECT msg_key, article_key, unnest(sentence_keys) AS sentence_key
                FROM p WHERE sentence_keys IS NOT NULL
            )
            SELECT msg_key, article_key FROM p WHERE sentence_keys IS NULL
            UNION
            SELECT s.msg_key, s.article_key FROM s LEFT JOIN corpus_stats c
              ON c.matcher_version = $version AND c.stat = 'article_sentence'
             AND c.key = s.sentence_key
            WHERE coalesce(c.n, 0) < $boiler
            """,
            {"version": version, "boiler": BOILERPLATE_DOCS},
        ).fetchall():
            out[m].add(page)
    finally:
        con.unregister("_wanted_public")
    return out


def keys_crossing(
    con: Any, version: str, n_old: int, n_new: int, df_delta: Counter[str], threshold: float
) -> set[str]:
    """Detail keys whose rarity (``matching.score.idf``) crossed ``threshold`` between the
    corpus before and after a sync: those whose count moved, checked one by one, and, when
    the corpus size moved the prior, every key in the band it sweeps (a range query)."""
    from matching.score import IDF_PRIOR_DOCS, idf

    out: set[str] = set()
    moved = {k: d for k, d in df_delta.items() if d}
    if moved:
        now_df = fetch_stats(con, version, detail_keys=moved).doc_freq
        for k, d in moved.items():
            new = now_df.get(k, 0)
            if (idf(new - d, n_old) >= threshold) != (idf(new, n_new) >= threshold):
                out.add(k)
    if max(n_old, IDF_PRIOR_DOCS) != max(n_new, IDF_PRIOR_DOCS):
        a, b = max(n_old, IDF_PRIOR_DOCS), max(n_new, IDF_PRIOR_DOCS)
        rows = con.execute(
            "SELECT key FROM corpus_stats WHERE matcher_version = ? AND stat = 'detail_df' "
            "AND (greatest(ln((? + 1) / (n + 0.5)), 0) >= ?) "
            "<> (greatest(ln((? + 1) / (n + 0.5)), 0) >= ?)",
            [version, a, threshold, b, threshold],
        ).fetchall()
        out.update(k for (k,) in rows if k not in moved)
    return out
