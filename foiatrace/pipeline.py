"""The pipeline's steps: one code path for the CLI, the nightly DAG and the evaluations.

Each step opens the warehouse, does only the new work, upserts, records its run and any
bad input, and returns plain stats (JSON-able, so Airflow can pass them as XCom).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from foiatrace.crawl_step import crawl, load_crawl_output
from foiatrace.ingest_step import DEFAULT_PRINT_TZ, ingest
from foiatrace.progress import progress_bar
from warehouse import load
from warehouse.db import connect, lock_wait_seconds

log = logging.getLogger("foiatrace")

__all__ = ["DEFAULT_PRINT_TZ", "crawl", "export", "ingest", "load_crawl_output", "match"]


# -- match ------------------------------------------------------------------------------------


def embedder(con: Any, model: str, progress: bool) -> Callable[[list[str]], np.ndarray]:
    """Sentence vectors through the warehouse's ``embeddings`` cache (by model, text hash)."""
    from matching.embed import embed_cached

    def lookup(hashes: list[str]) -> dict[str, np.ndarray]:
        if not hashes:
            return {}
        rows = con.execute(
            "SELECT text_sha256, vector FROM embeddings WHERE model = ? "
            "AND text_sha256 IN (SELECT unnest(?))",
            [model, hashes],
        ).fetchall()
        return {h: np.asarray(v, dtype=np.float32) for h, v in rows}

    def store(vectors: dict[str, np.ndarray]) -> None:
        import pyarrow as pa

        table = pa.table(
            {
                "model": [model] * len(vectors),
                "text_sha256": list(vectors),
                "vector": [v.tolist() for v in vectors.values()],
            }
        )
        load.insert_arrow(con, "embeddings", table, "ON CONFLICT DO NOTHING")

    stats = {"computed": 0}

    def embed(texts: list[str]) -> np.ndarray:
        vecs, computed = embed_cached(texts, lookup, store, model=model, progress=progress)
        stats["computed"] += computed
        return vecs

    embed.stats = stats  # type: ignore[attr-defined]
    return embed


def match(
    db: Path | str | None,
    *,
    window_days: int = 30,
    progress: bool = False,
) -> dict[str, Any]:
    """Match every (message, article version) pair not yet weighed by this matcher version."""
    from matching.embed import MODEL_NAME
    from matching.match import match as run_match
    from matching.score import MATCHER_VERSION

    con = connect(db)
    run_id = load.start_run(con, "match")
    try:
        emails = load_email_docs(con)
        articles = load_article_docs(con)
        done = set(
            con.execute(
                "SELECT msg_key, article_key FROM matched_pairs WHERE matcher_version = ?",
                [MATCHER_VERSION],
            ).fetchall()
        )
        embed = embedder(con, MODEL_NAME, progress)
        result = run_match(
            emails,
            articles,
            embed,
            window=timedelta(days=window_days),
            skip_pairs=done,
            participants=load_participants(con),
            progress=lambda it: progress_bar(it, len(it), "match", progress),
        )
        _store_disclosures(con, result.disclosures, result.weighed, MATCHER_VERSION)
        stats = {
            "emails": len(emails),
            "articles": len(articles),
            "pairs_weighed": len(result.weighed),
            "pairs_skipped": len(done),
            "disclosures": len(result.disclosures),
            "embeddings_computed": embed.stats["computed"],  # type: ignore[attr-defined]
        }
        load.finish_run(con, run_id, stats)
    except Exception as exc:
        load.finish_run(con, run_id, {"exception": repr(exc)}, status="failed")
        raise
    finally:
        con.close()
    return stats


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


def _store_disclosures(
    con: Any, found: list[Any], weighed: set[tuple[str, str]], version: str
) -> None:
    """Replace the evidence of every pair weighed (a new matcher version may no longer report
    what an older one did); rows of other article versions and reviewers' verdicts stay."""
    import pyarrow as pa

    t = load.now()
    con.execute("BEGIN")
    try:
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
            load.insert_arrow(
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
            load.insert_arrow(con, "matched_pairs", pairs, "ON CONFLICT DO NOTHING")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# -- export -----------------------------------------------------------------------------------


def export(
    db: Path | str | None,
    export_dir: Path | str,
    stamp: str,
    formats: Sequence[str] = ("csv", "parquet"),
    min_score: float | None = None,
) -> dict[str, Any]:
    """Write ``evidence-<stamp>.<fmt>`` files; a re-run for the same stamp overwrites them."""
    from matching.score import default_threshold
    from warehouse.export import export_evidence

    threshold = default_threshold() if min_score is None else min_score
    # the nightly export must not fail because a reviewer is recording a verdict right now
    con = connect(db, read_only=True, lock_wait=lock_wait_seconds())
    try:
        written = {}
        for fmt in formats:
            path = Path(export_dir) / f"evidence-{stamp}.{fmt}"
            written[str(path)] = export_evidence(con, fmt, path, threshold)
    finally:
        con.close()
    return {"files": written, "threshold": threshold}
