"""The pipeline's steps: one code path for the CLI, the nightly DAG and the evaluations.

Each step opens the warehouse, does only the new work, upserts, records its run and any
bad input, and returns plain stats (JSON-able, so Airflow can pass them as XCom).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
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
    """Match every (message, article version) pair not yet weighed by this matcher version,
    and re-weigh on purpose the stored pairs that new pages changed (a detail printed before
    the message, a rarity that crossed a decision threshold). The work is proportional to
    what is new: stored features and corpus statistics are updated by the new documents only,
    and only the messages and pages of the pairs weighed are read."""
    from matching.embed import MODEL_NAME
    from matching.features import features_version, sentence_key
    from matching.match import RARE_DETAIL_IDF, RARE_NAME_IDF, effective_time, not_about, weigh
    from matching.match import outbound_keys as pair_outbound
    from matching.parties import agency_domains
    from matching.score import MATCHER_VERSION
    from warehouse import features as wf
    from warehouse.runs import transaction

    fversion = features_version()
    con = connect(db)
    try:
        with step_run(con, "match") as run, transaction(con):
            # the pages written since the last run (every page on a first run or a new
            # matcher version, or when the window is wider than the documents matched with)
            marks = [(wf.CORPUS, fversion), (wf.MATCHED_DOCS, MATCHER_VERSION)]
            scope = wf.article_scope(
                con, marks, full=matches.window_widened(con, MATCHER_VERSION, window_days)
            )
            sync = wf.sync_corpus(con, fversion, scope)
            new_pairs = matches.unweighed_pairs(con, MATCHER_VERSION, window_days, scope)
            reweigh: set[tuple[str, str]] = set()
            if sync.new_public:
                reweigh |= matches.pairs_made_public(con, fversion, sync.new_public)
            if sync.changed:
                crossed_names = wf.keys_crossing(
                    con, fversion, sync.n_before, sync.n_after, sync.df_delta, RARE_NAME_IDF
                )
                crossed_details = wf.keys_crossing(
                    con, fversion, sync.n_before, sync.n_after, sync.df_delta, RARE_DETAIL_IDF
                )
                reweigh |= matches.pairs_with_keys(con, fversion, crossed_names, crossed_details)
            reweigh -= new_pairs
            done = matches.weighed_count(con, MATCHER_VERSION)
            todo = new_pairs | reweigh
            stats = dict(
                pages_compared=scope.size(con), pages_scope="all" if scope.full else "written",
                pairs_weighed=0, pairs_reweighed=0, pairs_skipped=done, disclosures=0,
                embeddings_computed=0, texts_computed=sync.texts_computed,
                texts_reused=sync.texts_reused, articles_added=len(sync.articles_added),
                articles_removed=sync.articles_removed, emails_added=sync.emails_added,
                emails_removed=sync.emails_removed,
            )  # fmt: skip
            if todo:
                emails = matches.load_email_docs(con, {m for m, _ in todo})
                cand_arts = {a.key: a for a in load_article_docs(con, {a for _, a in todo})}
                by_email: dict[str, list[str]] = {}
                for m, a in todo:
                    if a in cand_arts:
                        by_email.setdefault(m, []).append(a)
                plan = []
                for e in emails:
                    keys = sorted(by_email.get(e.key, []), key=lambda k: cand_arts[k].url)
                    cands = [(cand_arts[k], effective_time(e.first, cand_arts[k])) for k in keys]
                    cands = [(a, t) for a, t in cands if t is not None]
                    if cands:
                        plan.append((e, cands))
                from matching.features import feature_key

                res = wf.SyncResult()
                e_feats = wf.ensure_records(
                    con, fversion, [(e.text, e.sent_at) for e in emails], res
                )
                c_feats = wf.ensure_records(
                    con, fversion, [(e.context, e.sent_at) for e in emails if e.context], res
                )
                email_feats = {e.key: e_feats[feature_key(e.text, e.sent_at)] for e in emails}
                context_feats = {
                    e.key: c_feats[feature_key(e.context, e.sent_at)] for e in emails if e.context
                }
                a_feats = wf.ensure_records(
                    con, fversion, [(a.text, a.published_at) for a in cand_arts.values()], res
                )
                art_feats = {
                    k: a_feats[feature_key(a.text, a.published_at)] for k, a in cand_arts.items()
                }
                # a page can make public only a detail the message shares with a candidate
                cand_public = {k: f.public_keys() for k, f in art_feats.items()}
                public = wf.pages_printing(
                    con,
                    fversion,
                    {
                        e.key: (
                            e.first,
                            email_feats[e.key].public_keys()
                            & set().union(*(cand_public[a.key] for a, _ in cands)),
                        )
                        for e, cands in plan
                    },
                )
                page_keys = set().union(*public.values()) - set(cand_arts) if public else set()
                more = load_article_docs(con, page_keys)
                p_feats = wf.ensure_records(
                    con,
                    fversion,
                    [
                        (a.text, a.published_at)
                        for a in more
                        if feature_key(a.text, a.published_at) not in a_feats
                    ],
                    res,
                )
                pages = {**cand_arts, **{a.key: a for a in more}}
                for a in more:
                    fk = feature_key(a.text, a.published_at)
                    art_feats[a.key] = a_feats[fk] if fk in a_feats else p_feats[fk]
                everything = [*art_feats.values(), *email_feats.values(), *context_feats.values()]
                corpus = wf.fetch_stats(
                    con,
                    fversion,
                    detail_keys={k for f in everything for k in f.detail_keys()},
                    article_sentences={
                        sentence_key(s.text) for f in art_feats.values() for s in f.segs
                    },
                    email_sentences={
                        sentence_key(s.text) for f in email_feats.values() for s in f.segs
                    },
                    words={
                        k[5:] for f in everything for k in f.name_keys() if k.startswith("name:")
                    },
                )
                outlets = wf.corpus_outlets(con, fversion)
                outlet_domains = {d for _, d in outlets}
                embed = embedder(con, MODEL_NAME, progress)
                result = weigh(
                    plan,
                    pages,
                    art_feats,
                    email_feats,
                    corpus,
                    embed,
                    agency=agency_domains(matches.email_headers(con), outlet_domains),
                    outlet_domains=outlet_domains,
                    not_about=not_about(load_participants(con), outlets),
                    public_before=lambda e: public.get(e.key, ()),
                    context_feats=context_feats,
                    progress=lambda it: progress_bar(it, len(it), "match", progress),
                    outbound=matches.earlier_outbound(con, fversion, cand_arts, todo),
                )
                matches.store_disclosures(
                    con, result.disclosures, todo, MATCHER_VERSION, own_transaction=False,
                    unstored=new_pairs,
                )  # fmt: skip
                names = {
                    e.key: (context_feats.get(e.key) or email_feats[e.key]).name_keys()
                    for e in emails
                }
                matches.store_pair_state(
                    con,
                    fversion,
                    [
                        {
                            "msg_key": p.msg_key,
                            "article_key": p.article_key,
                            "shared_keys": sorted({k for k, _ in p.typed_best}),
                            "name_keys": sorted(
                                names[p.msg_key] | art_feats[p.article_key].name_keys()
                            ),
                            "public_keys": sorted(p.public_keys),
                            "outbound_keys": sorted(pair_outbound(p)),
                            "score": p.score,
                        }
                        for p in result.pairs
                    ],
                    reweigh,
                )
                stats.update(
                    pairs_weighed=len(new_pairs),
                    pairs_reweighed=len(reweigh),
                    pairs_skipped=done - len(reweigh),
                    disclosures=len(result.disclosures),
                    embeddings_computed=embed.stats["computed"],  # type: ignore[attr-defined]
                    texts_computed=sync.texts_computed + res.texts_computed,
                )
            matches.mark_matched_docs(con, MATCHER_VERSION, window_days, scope)
            wf.save_watermarks(con, scope, marks)
            wf.drop_scope(con)
            run.stats.update(stats)
            line = (
                f"match: {stats['pairs_weighed']} new pairs weighed, "
                f"{stats['pairs_reweighed']} re-weighed, {stats['pairs_skipped']} skipped "
                f"(weighed before), {stats['texts_computed']} texts segmented, "
                f"{stats['texts_reused']} reused, "
                f"{stats['embeddings_computed']} embeddings computed"
            )
            log.info(line)
            run.stats["summary"] = line
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
