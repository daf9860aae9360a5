"""What the matcher reads from the warehouse and what it writes back: messages and articles
as the matcher's records, the pairs already weighed, and the evidence of each pair weighed.

The matcher (``matching/``) never touches the database; ``foiatrace.pipeline.match`` reads
with these functions, runs it, and stores its result here, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import nullcontext
from typing import Any

from warehouse.runs import insert_arrow, now, transaction


def load_article_docs(con: Any, keys: Iterable[str] | None = None) -> list[Any]:
    """The newest version of every article (or of those of ``keys``), keyed url#text_sha256."""
    from matching.match import ArticleDoc
    from warehouse.features import NEWEST_VERSION, article_texts

    source, where, params = "articles", "", []
    if keys is not None:
        # only the versions of these pages are ranked, not every page's (a key is
        # url#sha256-hex, so the url is all but its last 65 characters)
        keys = sorted(keys)
        source = (
            "(SELECT url, text_sha256, outlet, published_at, modified_at FROM article_versions "
            f"WHERE url IN (SELECT unnest($urls)) {NEWEST_VERSION})"
        )
        where = "WHERE a.url || '#' || a.text_sha256 IN (SELECT unnest($keys))"
        params = {"urls": sorted({k[:-65] for k in keys}), "keys": keys}
    rows = con.execute(
        "SELECT a.url, a.text_sha256, a.outlet, a.published_at, a.modified_at, "
        f"s.original_url FROM {source} a LEFT JOIN syndication s ON s.url = a.url {where} "
        "ORDER BY a.url",
        params,
    ).fetchall()
    # the texts by row id: the view would rank every version's text to find the newest
    texts = article_texts(con, [url + "#" + sha for url, sha, *_ in rows])
    return [
        ArticleDoc(url + "#" + sha, url, outlet, pub, mod, texts.get(url + "#" + sha) or "", orig)
        for url, sha, outlet, pub, mod, orig in rows
    ]


def load_participants(con: Any) -> list[str]:
    """Display names of the production's senders (and quoted senders without an address)."""
    rows = con.execute(
        "SELECT DISTINCT from_name FROM emails WHERE from_name IS NOT NULL UNION "
        "SELECT DISTINCT header_from FROM quoted_blocks WHERE header_from NOT LIKE '%@%'"
    ).fetchall()
    return [r[0] for r in rows if r[0]]


def load_email_docs(con: Any, keys: Iterable[str] | None = None) -> list[Any]:
    """Messages that can be matched, with who sent them to whom and their thread's text.

    The text the matcher reads as the sender's own is the message's own text followed by
    its attachments' text, in order: a statement attached to a reply is the office's own
    words, so a disclosure made only in it is found (its quote is then in ``attachments``,
    not in ``own_text``). A message whose own words are all in an attachment is matched too.
    """
    from matching.match import EmailDoc
    from warehouse.features import EMAIL_TEXT_SQL

    where, params = "", []
    if keys is not None:
        where, params = "WHERE e.msg_key IN (SELECT unnest(?))", [sorted(keys)]
    rows = con.execute(
        """
        SELECT e.msg_key, e.sent_at, e.sent_at_earliest, e.sent_at_latest, e.own_all,
               e.email_from, e.email_to, e.email_cc,
               coalesce((SELECT list(q.header_from) FROM quoted_blocks q
                         WHERE q.msg_key = e.msg_key), []),
               concat_ws('\n\n', e.subject, e.own_all,
                         (SELECT string_agg(q.text, '\n\n' ORDER BY q.idx) FROM quoted_blocks q
                          WHERE q.msg_key = e.msg_key))
        FROM ({email_text}) e {where}
        ORDER BY e.sent_at, e.msg_key
        """.replace("{email_text}", EMAIL_TEXT_SQL).replace("{where}", where),
        params,
    ).fetchall()
    docs = []
    for key, sent_at, earliest, latest, text, sender, to, cc, quoted_from, context in rows:
        recipients = {a for a in [*(to or []), *(cc or [])] if a}
        thread = {a for a in [sender, *recipients, *(quoted_from or [])] if a}
        docs.append(
            EmailDoc(
                key, sent_at, text or "", sender, recipients, thread, context, earliest, latest
            )
        )
    return docs


_DISCLOSURE_KEY = ("msg_key", "article_url", "detail_key", "article_sentence")


def store_disclosures(
    con: Any,
    found: list[Any],
    weighed: set[tuple[str, str]],
    version: str,
    *,
    own_transaction: bool = True,
    unstored: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """Replace the evidence of every pair weighed (a new matcher version may no longer report
    what an older one did); rows of other article versions and reviewers' verdicts stay.
    ``own_transaction=False``: the caller's transaction holds this write. ``unstored``:
    pairs of ``weighed`` known to have no ``matched_pairs`` row (found by
    :func:`unweighed_pairs` in the same transaction); the others are looked up."""
    with transaction(con) if own_transaction else nullcontext():
        _store_disclosures(con, found, weighed, version, unstored)


def stored_pairs(con: Any, version: str, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``pairs`` have a ``matched_pairs`` row for ``version`` (a join from the few
    pairs asked; matched_pairs has no key index to look them up by)."""
    import pyarrow as pa

    pairs = sorted(set(pairs))
    if not pairs:
        return set()
    con.register(
        "_asked_pairs",
        pa.table({"msg_key": [m for m, _ in pairs], "article_key": [a for _, a in pairs]}),
    )
    try:
        rows = con.execute(
            "SELECT DISTINCT m.msg_key, m.article_key FROM matched_pairs m JOIN _asked_pairs q "
            "ON q.msg_key = m.msg_key AND q.article_key = m.article_key "
            "WHERE m.matcher_version = ?",
            [version],
        ).fetchall()
    finally:
        con.unregister("_asked_pairs")
    return set(rows)


def _store_disclosures(
    con: Any,
    found: list[Any],
    weighed: set[tuple[str, str]],
    version: str,
    unstored: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> None:
    import pyarrow as pa

    t = now()
    if weighed:
        pairs = pa.table(
            {"msg_key": [m for m, _ in weighed], "article_key": [a for _, a in weighed]}
        )
        con.register("_weighed", pairs)
        con.execute(
            "DELETE FROM disclosures WHERE (msg_key, article_key) IN "
            "(SELECT (msg_key, article_key) FROM _weighed)"
        )
        con.unregister("_weighed")
    if found:
        best: dict[tuple[str, str, str, int], Any] = {}
        for d in found:
            k = (d.msg_key, d.article_url, d.detail_key, d.article_sentence)
            if k not in best or d.score > best[k].score:
                best[k] = d
        rows = [
            {
                "msg_key": d.msg_key,
                "article_url": d.article_url,
                "detail_type": d.detail_type,
                "detail_key": d.detail_key,
                "article_sentence": d.article_sentence,
                "article_key": d.article_key,
                "email_quote": d.email_quote,
                "article_quote": d.article_quote,
                "shared_details": d.shared_details,
                "score": d.score,
                "cosine": d.cosine,
                "lag_hours": d.lag_hours,
                "lag_hours_min": d.lag_hours_min,
                "lag_hours_max": d.lag_hours_max,
                "syndicated_from": None,
                "features": json.dumps(d.features),
                "matcher_version": version,
                "matched_at": t,
            }
            for d in best.values()
        ]
        updates = ", ".join(f"{c} = excluded.{c}" for c in rows[0] if c not in _DISCLOSURE_KEY)
        insert_arrow(
            con,
            "disclosures",
            pa.Table.from_pylist(rows),
            f"ON CONFLICT DO UPDATE SET {updates}",
        )
    # one row per pair: only pairs not stored yet are added (the table keeps no key index)
    add = sorted(
        (weighed & unstored) | (weighed - unstored - stored_pairs(con, version, weighed - unstored))
    )
    if add:
        pairs = pa.table(
            {
                "msg_key": [m for m, _ in add],
                "article_key": [a for _, a in add],
                "matcher_version": [version] * len(add),
                "matched_at": [t] * len(add),
            }
        )
        insert_arrow(con, "matched_pairs", pairs)


# -- incremental matching (issue 12) -----------------------------------------------------------


# The matchable messages' window starts and the article versions' times, and which of them
# this matcher version has not matched yet (or matched with other times or a narrower window).
# {articles}: the articles a new message can pair with, {new_articles}: those that may be new.
_DOCS_SQL = """
    pc AS (
        SELECT msg_key, count(*) AS n FROM matched_pairs WHERE matcher_version = $version
        GROUP BY msg_key
    ), e AS (
        SELECT msg_key, least(coalesce(sent_at_earliest, sent_at), sent_at) AS first
        FROM ({email_text})
    ), ed AS (
        -- known: the document has a matched_docs row (only then can a pair of it be stored)
        SELECT e.*, d.doc_key IS NOT NULL AS known, coalesce(
            d.doc_key IS NOT NULL AND d.left_at IS NULL AND d.window_days >= $window
            AND d.first_at IS NOT DISTINCT FROM e.first
            -- a pair deleted from matched_pairs (to be weighed again) makes it new
            AND d.pairs <= coalesce(pc.n, 0), false) AS done
        FROM e LEFT JOIN matched_docs d ON d.matcher_version = $version
          AND d.doc_kind = 'email' AND d.doc_key = e.msg_key
        LEFT JOIN pc ON pc.msg_key = e.msg_key
    ), new_e AS (
        SELECT * FROM ed WHERE NOT done
    ), a AS (
        {articles}
    ), ad AS (
        SELECT a.*, d.doc_key IS NOT NULL AS known, coalesce(
            d.doc_key IS NOT NULL AND d.left_at IS NULL AND d.window_days >= $window
            AND d.first_at IS NOT DISTINCT FROM a.published_at
            AND d.modified_at IS NOT DISTINCT FROM a.modified_at, false) AS done
        FROM a LEFT JOIN matched_docs d ON d.matcher_version = $version
          AND d.doc_kind = 'article' AND d.doc_key = a.article_key
    ), new_a AS (
        SELECT * FROM ad WHERE NOT done AND {new_articles}
    )
"""


def _docs_sql(scope: Any = None) -> str:
    """``_DOCS_SQL`` for a scope (``warehouse.features.ArticleScope``; default every page).
    A partial scope reads the pages written since the last run, and the pages published or
    updated inside a new message's window (its candidates), ranked for those pages only."""
    from warehouse.features import EMAIL_TEXT_SQL, NEWEST_VERSION, ArticleScope

    scope = scope or ArticleScope()
    articles = f"SELECT article_key, published_at, modified_at FROM {scope.current}"
    if not scope.full:
        articles += f"""
        UNION
        SELECT url || '#' || text_sha256, published_at, modified_at FROM article_versions
        WHERE url IN (
            SELECT v.url FROM article_versions v, (
                SELECT min(first) AS lo, max(first) + to_days($window) AS hi FROM new_e) w
            WHERE v.published_at BETWEEN w.lo AND w.hi OR v.modified_at BETWEEN w.lo AND w.hi)
        {NEWEST_VERSION}"""
    return (
        _DOCS_SQL.replace("{email_text}", EMAIL_TEXT_SQL)
        .replace("{articles}", articles)
        .replace("{new_articles}", scope.within("article_key"))
    )


def unweighed_pairs(
    con: Any, version: str, window_days: int, scope: Any = None
) -> set[tuple[str, str]]:
    """(msg_key, article_key) pairs in the time window that this matcher version has not
    weighed: the candidates of ``matching.match.candidates`` (an article published after the
    message's earliest time, or updated after it, within the window).

    Found from the documents not yet matched only (``matched_docs``: every pair of two matched
    documents is weighed already), by a range join on the times from those few rows to the
    other side. A pair with a document ``matched_docs`` has never listed cannot be stored;
    only the others (a document matched again: its times, window or pairs changed, or it
    came back) are looked up in ``matched_pairs``, so a night of new documents never reads
    it. ``scope``: the pages to read (``warehouse.features.article_scope``; default all).
    """
    docs = _docs_sql(scope)
    # new messages x their window's articles, and every message x the new articles; one
    # range join per time column (an OR of two ranges is no range join)
    c = "\n            UNION\n".join(
        f"""            SELECT e.msg_key, e.first, e.known AND a.known AS known, a.article_key,
                   a.published_at, a.modified_at
            FROM {emails} e JOIN {articles} a
              ON a.{col} >= e.first AND a.{col} <= e.first + to_days($window)"""
        for emails, articles in (("new_e", "ad"), ("ed", "new_a"))
        for col in ("published_at", "modified_at")
    )
    rows = con.execute(
        f"""
        WITH {docs}, c AS (
{c}
        ), t AS (
            SELECT msg_key, article_key, first, known,
                   CASE WHEN published_at >= first THEN published_at
                        WHEN modified_at >= first THEN modified_at END AS eff
            FROM c
        )
        SELECT DISTINCT msg_key, article_key, known FROM t
        WHERE eff IS NOT NULL AND eff - first <= to_days($window)
        """,
        {"version": version, "window": window_days},
    ).fetchall()
    fresh = {(m, a) for m, a, known in rows if not known}
    check = {(m, a) for m, a, known in rows if known}
    return fresh | (check - stored_pairs(con, version, check))


def mark_matched_docs(con: Any, version: str, window_days: int, scope: Any = None) -> None:
    """Record that every matchable message and article version now in the warehouse has been
    matched against its window's candidates (call after their new pairs are stored, in the
    same transaction), and mark the documents that left the warehouse."""
    from warehouse.features import EMAIL_TEXT_SQL, ArticleScope

    scope = scope or ArticleScope()
    docs = _docs_sql(scope)
    # a document that left keeps its row, marked (the rows say which documents can have
    # stored pairs: see unweighed_pairs)
    con.execute(
        f"""
        UPDATE matched_docs d SET left_at = now()
        WHERE d.matcher_version = $version AND d.left_at IS NULL AND d.doc_kind = 'email'
          AND d.doc_key NOT IN (SELECT msg_key FROM ({EMAIL_TEXT_SQL}))
        """,
        {"version": version},
    )
    if scope.may_have_left:
        con.execute(
            f"""
            UPDATE matched_docs d SET left_at = now()
            WHERE d.matcher_version = $version AND d.left_at IS NULL AND d.doc_kind = 'article'
              AND {scope.within("d.doc_key")}
              AND d.doc_key NOT IN (SELECT article_key FROM {scope.current})
            """,
            {"version": version},
        )
    con.execute(
        f"""
        UPDATE matched_docs d SET first_at = n.first_at, modified_at = n.modified_at,
            window_days = $window, left_at = NULL
        FROM (
            WITH {docs}
            SELECT 'email' AS doc_kind, msg_key AS doc_key, first AS first_at,
                   NULL::TIMESTAMPTZ AS modified_at
            FROM new_e WHERE known
            UNION ALL
            SELECT 'article', article_key, published_at, modified_at FROM new_a WHERE known
        ) n
        WHERE d.matcher_version = $version AND d.doc_kind = n.doc_kind
          AND d.doc_key = n.doc_key
        """,
        {"version": version, "window": window_days},
    )
    # matched_docs keeps no key index: documents it lists are updated above, only the
    # others are added
    con.execute(
        f"""
        INSERT INTO matched_docs
            (matcher_version, doc_kind, doc_key, first_at, modified_at, window_days, pairs)
        WITH {docs}
        SELECT $version, 'email', msg_key, first, NULL, $window, 0 FROM new_e WHERE NOT known
        UNION ALL
        SELECT $version, 'article', article_key, published_at, modified_at, $window, 0
        FROM new_a WHERE NOT known
        """,
        {"version": version, "window": window_days},
    )
    con.execute(
        "UPDATE matched_docs d SET pairs = c.n FROM (SELECT msg_key, count(*) AS n "
        "FROM matched_pairs WHERE matcher_version = $version GROUP BY msg_key) c "
        "WHERE d.matcher_version = $version AND d.doc_kind = 'email' AND d.doc_key = c.msg_key "
        "AND d.pairs <> c.n",
        {"version": version},
    )


def window_widened(con: Any, version: str, window_days: int) -> bool:
    """Whether a present article was matched with a narrower window than ``window_days``
    (then every page is read: its new candidates can be anywhere)."""
    rows = con.execute(
        "SELECT count(*) FROM matched_docs WHERE matcher_version = ? AND doc_kind = 'article' "
        "AND left_at IS NULL AND window_days < ?",
        [version, window_days],
    ).fetchall()
    return bool(rows[0][0])


def email_headers(con: Any) -> list[tuple[str | None, set[str]]]:
    """(sender, To and Cc) of every matchable message, in the matcher's order: whose domain
    is the agency's is read from all of them."""
    from warehouse.features import EMAIL_TEXT_SQL

    rows = con.execute(
        f"SELECT email_from, email_to, email_cc FROM ({EMAIL_TEXT_SQL}) ORDER BY sent_at, msg_key"
    ).fetchall()
    return [(s, {a for a in [*(to or []), *(cc or [])] if a}) for s, to, cc in rows]


def weighed_count(con: Any, version: str) -> int:
    return con.execute(
        "SELECT count(*) FROM matched_pairs WHERE matcher_version = ?", [version]
    ).fetchall()[0][0]


def store_pair_state(
    con: Any, version: str, states: list[dict[str, Any]], reweighed: set[tuple[str, str]]
) -> None:
    """Record what each weighed pair depended on (``pair_state``); a re-weighed pair's count
    goes up by one."""
    import pyarrow as pa

    if not states:
        return
    t = now()
    rows = [
        {
            "matcher_version": version,
            **s,
            "weighed_at": t,
            "reweighed": int((s["msg_key"], s["article_key"]) in reweighed),
        }
        for s in states
    ]
    insert_arrow(
        con,
        "pair_state",
        pa.Table.from_pylist(rows),
        "ON CONFLICT DO UPDATE SET shared_keys = excluded.shared_keys, "
        "name_keys = excluded.name_keys, public_keys = excluded.public_keys, "
        "outbound_keys = excluded.outbound_keys, score = excluded.score, "
        "weighed_at = excluded.weighed_at, reweighed = pair_state.reweighed + excluded.reweighed",
    )


def earlier_outbound(
    con: Any, version: str, article_keys: Iterable[str], batch: set[tuple[str, str]]
) -> dict[str, set[str]]:
    """Per article version: the details messages to its outlet gave it, from pairs weighed
    in earlier runs and not in this batch."""
    out: dict[str, set[str]] = {}
    keys = sorted(set(article_keys))
    if not keys:
        return out
    for msg, art, details in con.execute(
        "SELECT msg_key, article_key, outbound_keys FROM pair_state WHERE matcher_version = ? "
        "AND len(outbound_keys) > 0 AND article_key IN (SELECT unnest(?))",
        [version, keys],
    ).fetchall():
        if (msg, art) not in batch:
            out.setdefault(art, set()).update(details)
    return out


def pairs_made_public(
    con: Any, version: str, new_public: list[tuple[str, str, Any]]
) -> set[tuple[str, str]]:
    """Stored pairs that share a detail a newly added page prints, where the page was
    published before the message (and is not the pair's article): their "already public"
    feature may have changed."""
    import pyarrow as pa

    if not new_public:
        return set()
    con.register(
        "_new_public",
        pa.table(
            {
                "detail_key": [k for k, _, _ in new_public],
                "url": [u for _, u, _ in new_public],
                "published_at": pa.array([p for _, _, p in new_public], pa.timestamp("us", "UTC")),
            }
        ),
    )
    try:
        rows = con.execute(
            """
            SELECT DISTINCT ps.msg_key, ps.article_key
            FROM pair_state ps
            JOIN _new_public np ON list_contains(ps.shared_keys, np.detail_key)
            JOIN emails e ON e.msg_key = ps.msg_key
            WHERE ps.matcher_version = ? AND np.published_at IS NOT NULL
              AND np.published_at < least(coalesce(e.sent_at_earliest, e.sent_at), e.sent_at)
              AND NOT starts_with(ps.article_key, np.url || '#')
            """,
            [version],
        ).fetchall()
    finally:
        con.unregister("_new_public")
    return set(rows)


def pairs_with_keys(
    con: Any, version: str, names: set[str], details: set[str]
) -> set[tuple[str, str]]:
    """Stored pairs whose names (``names``) or shared details (``details``) include a key:
    those whose decision a rarity change can move."""
    if not names and not details:
        return set()
    rows = con.execute(
        "SELECT msg_key, article_key FROM pair_state WHERE matcher_version = ? AND "
        "(list_has_any(name_keys, ?::VARCHAR[]) OR list_has_any(shared_keys, ?::VARCHAR[]))",
        [version, sorted(names), sorted(details)],
    ).fetchall()
    return set(rows)
