"""What the matcher reads from the warehouse and what it writes back: messages and articles
as the matcher's records, the pairs already weighed, and the evidence of each pair weighed.

The matcher (``matching/``) never touches the database; ``foiatrace.pipeline.match`` reads
with these functions, runs it, and stores its result here, in one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from warehouse.runs import insert_arrow, now, transaction


def weighed_pairs(con: Any, matcher_version: str) -> set[tuple[str, str]]:
    """(msg_key, article_key) pairs this matcher version has already weighed."""
    return set(
        con.execute(
            "SELECT msg_key, article_key FROM matched_pairs WHERE matcher_version = ?",
            [matcher_version],
        ).fetchall()
    )


def load_article_docs(con: Any) -> list[Any]:
    """The newest version of every article, keyed url#text_sha256."""
    from matching.match import ArticleDoc

    return [
        ArticleDoc(url + "#" + sha, url, outlet, pub, mod, text or "", original)
        for url, sha, outlet, pub, mod, text, original in con.execute(
            "SELECT a.url, a.text_sha256, a.outlet, a.published_at, a.modified_at, a.text, "
            "s.original_url FROM articles a LEFT JOIN syndication s ON s.url = a.url "
            "ORDER BY a.url"
        ).fetchall()
    ]


def load_participants(con: Any) -> list[str]:
    """Display names of the production's senders (and quoted senders without an address)."""
    rows = con.execute(
        "SELECT DISTINCT from_name FROM emails WHERE from_name IS NOT NULL UNION "
        "SELECT DISTINCT header_from FROM quoted_blocks WHERE header_from NOT LIKE '%@%'"
    ).fetchall()
    return [r[0] for r in rows if r[0]]


def load_email_docs(con: Any) -> list[Any]:
    """Messages that can be matched, with who sent them to whom and their thread's text.

    The text the matcher reads as the sender's own is the message's own text followed by
    its attachments' text, in order: a statement attached to a reply is the office's own
    words, so a disclosure made only in it is found (its quote is then in ``attachments``,
    not in ``own_text``). A message whose own words are all in an attachment is matched too.
    """
    from matching.match import EmailDoc

    rows = con.execute(
        """
        WITH att AS (
            SELECT msg_key, string_agg(text, '\n\n' ORDER BY idx) AS text
            FROM attachments WHERE length(text) > 0 GROUP BY msg_key
        ), own AS (
            SELECT e.*, concat_ws('\n\n', nullif(e.own_text, ''), att.text) AS own_all
            FROM emails e LEFT JOIN att ON att.msg_key = e.msg_key
        )
        SELECT e.msg_key, e.sent_at, e.sent_at_earliest, e.sent_at_latest, e.own_all,
               e.email_from, e.email_to, e.email_cc,
               coalesce((SELECT list(q.header_from) FROM quoted_blocks q
                         WHERE q.msg_key = e.msg_key), []),
               concat_ws('\n\n', e.subject, e.own_all,
                         (SELECT string_agg(q.text, '\n\n' ORDER BY q.idx) FROM quoted_blocks q
                          WHERE q.msg_key = e.msg_key))
        FROM own e
        WHERE NOT e.withheld AND e.sent_at IS NOT NULL AND length(e.own_all) > 0
        ORDER BY e.sent_at, e.msg_key
        """
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
    con: Any, found: list[Any], weighed: set[tuple[str, str]], version: str
) -> None:
    """Replace the evidence of every pair weighed (a new matcher version may no longer report
    what an older one did); rows of other article versions and reviewers' verdicts stay."""
    import pyarrow as pa

    t = now()
    with transaction(con):
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
        if weighed:
            pairs = pa.table(
                {
                    "msg_key": [m for m, _ in weighed],
                    "article_key": [a for _, a in weighed],
                    "matcher_version": [version] * len(weighed),
                    "matched_at": [t] * len(weighed),
                }
            )
            insert_arrow(con, "matched_pairs", pairs, "ON CONFLICT DO NOTHING")
