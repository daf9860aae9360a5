"""The pipeline's steps: one code path for the CLI, the nightly DAG and the evaluations.

Each step opens the warehouse, does only the new work, upserts, records its run and any
bad input, and returns plain stats (JSON-able, so Airflow can pass them as XCom).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from foiatrace.crawl_step import crawl, load_crawl_output
from foiatrace.ingest_step import DEFAULT_PRINT_TZ, ingest
from foiatrace.progress import progress_bar
from warehouse import embeddings, matches
from warehouse.db import connect, lock_wait_seconds
from warehouse.matches import load_article_docs, load_email_docs, load_participants
from warehouse.runs import step_run

log = logging.getLogger("foiatrace")

__all__ = [
    "DEFAULT_PRINT_TZ", "crawl", "embedder", "export", "ingest", "load_article_docs",
    "load_crawl_output", "load_email_docs", "load_participants", "match",
]  # fmt: skip


# -- match ------------------------------------------------------------------------------------


def embedder(con: Any, model: str, progress: bool) -> Callable[[list[str]], np.ndarray]:
    """Sentence vectors through the warehouse's ``embeddings`` cache (by model, text hash)."""
    from matching.embed import embed_cached

    def lookup(hashes: list[str]) -> dict[str, np.ndarray]:
        return embeddings.cached_vectors(con, model, hashes)

    def store(vectors: dict[str, np.ndarray]) -> None:
        embeddings.store_vectors(con, model, vectors)

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
    try:
        with step_run(con, "match") as run:
            emails = load_email_docs(con)
            articles = load_article_docs(con)
            done = matches.weighed_pairs(con, MATCHER_VERSION)
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
            matches.store_disclosures(con, result.disclosures, result.weighed, MATCHER_VERSION)
            run.stats.update(
                emails=len(emails),
                articles=len(articles),
                pairs_weighed=len(result.weighed),
                pairs_skipped=len(done),
                disclosures=len(result.disclosures),
                embeddings_computed=embed.stats["computed"],  # type: ignore[attr-defined]
            )
    finally:
        con.close()
    return run.stats


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
