"""Embedding of new sentences in shards (``foiatrace.embed_step``, the DAG's ``embed_plan`` →
``embed[shard]`` → ``load_embeddings``): on the demo corpus ingested and crawled, plan two
shards, embed each in its own process without the warehouse, load, then match: the match
computes no embedding and finds what a match without the shard step finds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.serve import serve_site
from foiatrace import embed_step, pipeline
from warehouse.db import connect

_EMBED_ONE = """
import json, sys
from foiatrace.embed_step import embed_shard
print(json.dumps(embed_shard(sys.argv[1])))
"""


@pytest.fixture(scope="module")
def unmatched_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    """The demo's productions ingested and its outlets crawled; nothing matched yet."""
    db = tmp_path_factory.mktemp("embed") / "base.duckdb"
    pipeline.ingest(db, [demo_dir / "emails"], "demo")
    with serve_site(demo_dir / "site") as base_url:
        pipeline.crawl(db, demo_dir / "outlets.toml", base_url=base_url)
    return db


def _copy(db: Path, to: Path) -> Path:
    to.mkdir(parents=True, exist_ok=True)
    shutil.copy(db, to / db.name)
    return to / db.name


def _disclosures(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT msg_key, article_key, detail_key, article_sentence, email_quote, "
            "article_quote, round(score, 4), round(cosine, 4) FROM disclosures ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return rows


def _embeddings(db: Path) -> set[str]:
    con = connect(db, read_only=True)
    try:
        return {h for (h,) in con.execute("SELECT text_sha256 FROM embeddings").fetchall()}
    finally:
        con.close()


def test_shard_count_caps_and_never_makes_empty_shards() -> None:
    assert embed_step.shard_count(0, 4, 10) == 0
    assert embed_step.shard_count(5, 4, 10) == 1  # too few for two: one shard of all
    assert embed_step.shard_count(25, 4, 10) == 3
    assert embed_step.shard_count(1000, 4, 10) == 4
    assert embed_step.shard_count(3, 8, 1) == 3


def test_sharded_embedding_leaves_the_match_nothing_to_embed(
    unmatched_db: Path, tmp_path: Path
) -> None:
    sharded = _copy(unmatched_db, tmp_path / "sharded")
    plain = _copy(unmatched_db, tmp_path / "plain")
    staging = tmp_path / "staging"

    con = connect(sharded, read_only=True)
    try:
        plan = embed_step.plan_shards(con, staging, max_shards=2, min_size=1)
    finally:
        con.close()
    assert plan["shards"] == ["shard-000.parquet", "shard-001.parquet"], plan
    assert plan["to_embed"] > 0 and plan["cached"] == 0

    # each shard in its own process, the warehouse not opened (it is locked for writing here)
    con = connect(sharded)
    try:
        outs = []
        for name in plan["shards"]:
            proc = subprocess.run(
                [sys.executable, "-c", _EMBED_ONE, str(staging / name)],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            outs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        assert sum(o["sentences"] for o in outs) == plan["to_embed"]
        assert all(o["sentences"] > 0 and o["dim"] == 384 for o in outs)
        loaded = embed_step.load_vectors(con, staging)
        again = embed_step.load_vectors(con, staging)  # idempotent: nothing stored twice
    finally:
        con.close()
    assert loaded["stored"] == plan["to_embed"] and loaded["files"] == 2, loaded
    assert again["stored"] == 0 and again["vectors"] == plan["to_embed"], again

    # nothing new now: zero shards, and a stale shard of the earlier plan is cleared
    con = connect(sharded, read_only=True)
    try:
        replan = embed_step.plan_shards(con, staging, max_shards=2, min_size=1)
    finally:
        con.close()
    assert replan["shards"] == [] and replan["to_embed"] == 0, replan
    assert list(staging.glob("*.parquet")) == []

    stats = pipeline.match(sharded)
    assert stats["embeddings_computed"] == 0, stats
    assert stats["disclosures"] > 0
    assert len(_embeddings(sharded)) == plan["to_embed"]  # it found all it needed cached

    plain_stats = pipeline.match(plain)
    assert plain_stats["embeddings_computed"] > 0
    assert plain_stats["disclosures"] == stats["disclosures"]
    assert _disclosures(sharded) == _disclosures(plain)
    # the plan is a superset of what the match embeds: the plain match's sentences are in it
    assert _embeddings(plain) <= _embeddings(sharded)


def test_dag_tasks_plan_embed_load_and_clean_up(
    unmatched_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task bodies as the DAG calls them: shards capped by the configured size, vectors
    loaded, the night's staging removed; a second night plans nothing."""
    from foiatrace import dag_tasks

    db = _copy(unmatched_db, tmp_path / "tasks")
    monkeypatch.setenv("FOIATRACE_DB", str(db))
    monkeypatch.delenv("FOIATRACE_WAREHOUSE", raising=False)
    monkeypatch.setenv(embed_step.SHARDS_ENV, "8")
    monkeypatch.setenv(embed_step.MIN_SHARD_ENV, "100")
    shards = dag_tasks.embed_plan(run_id="manual__2026-01-02T03:00:00+00:00")
    folder = dag_tasks.embed_dir(db, "manual__2026-01-02T03:00:00+00:00")
    con = connect(db, read_only=True)
    try:
        n = embed_step.plan_shards(con, tmp_path / "count", max_shards=1, min_size=1)["to_embed"]
    finally:
        con.close()
    assert len(shards) == embed_step.shard_count(n, 8, 100) >= 1
    assert len(shards) < 8  # capped by size: no shard under 100 sentences
    for shard in shards:
        assert dag_tasks.embed_shard(shard, run_id="manual__2026-01-02T03:00:00+00:00")["sentences"]
    res = dag_tasks.load_embeddings(run_id="manual__2026-01-02T03:00:00+00:00")
    assert res["stored"] == n and res["shards_without_vectors"] == 0
    assert not folder.exists() and not folder.parent.exists()
    assert dag_tasks.load_embeddings(run_id="manual__2026-01-02T03:00:00+00:00")["stored"] == 0
    assert dag_tasks.embed_plan(run_id="scheduled__2026-01-03T03:00:00+00:00") == []
