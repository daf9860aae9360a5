"""The benchmark suite at tiny sizes: each bench runs end to end, prints its table with the
columns the README quotes, and its figures are finite; the scaling bench's two warehouses
really hold S and 10 x S articles and get the same batch. Seconds, not minutes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import suite, topk  # noqa: E402


def _run(args: list[str]) -> tuple[str, dict]:
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(proc.stdout.strip().splitlines()[-1])


def test_blocked_and_per_email_topk_agree_with_numpy() -> None:
    """Tiles smaller than the block and a ragged last email: same top-k, same order."""
    q, x = topk.unit_vectors(37, 1), topk.unit_vectors(1000, 2)
    ref = topk.numpy_topk(q, x, 7)
    assert np.array_equal(topk.blocked_topk(q, x, 7, q_block=16, x_block=300), ref)
    assert np.array_equal(topk.project_topk(q, x, 7, per_email=10), ref)
    sims = q @ x.T
    assert (np.diff(np.take_along_axis(sims, ref, axis=1), axis=1) <= 0).all()


def test_topk_bench_table() -> None:
    out, res = _run(
        ["bench/topk.py", "--queries", "40", "--block", "2000", "--k", "5", "--repeats", "1"]
        + ["--json"]
    )
    assert "| path | seconds | queries/s | x numpy | x ceiling | recall@k |" in out
    rows = {r["path"].split(":")[0].split(" ")[0]: r for r in res["rows"]}
    assert {"numpy", "faiss", "project", "blocked", "ceiling"} <= set(rows)
    assert math.isfinite(res["sgemm_gflops"]) and res["sgemm_gflops"] > 0
    for r in res["rows"]:
        if "status" in r:  # faiss absent: said so in its column, not a failure
            assert r["status"] == "faiss: not installed"
            assert "faiss: not installed" in out
            continue
        for key in ("seconds", "queries_per_s", "vs_numpy", "vs_ceiling"):
            assert math.isfinite(r[key]) and r[key] > 0, (r["path"], key)
        if r["recall"] is not None:  # every path is exact
            assert r["recall"] == pytest.approx(1.0)
    assert rows["numpy"]["vs_numpy"] == pytest.approx(1.0)


def test_nightly_scaling_bench(tmp_path: Path) -> None:
    shared = Path(__import__("os").environ.get("FOIATRACE_SHARED", REPO.parent / "shared"))
    if not (shared / "data" / "msrp").is_dir():
        pytest.skip(f"real data not found at {shared}/data (set FOIATRACE_SHARED)")
    s = 100
    out, res = _run(
        ["bench/nightly_scaling.py", "--s", str(s), "--per-day", "1", "--sentences", "3"]
        + ["--batch-articles", "20", "--batch-messages", "8", "--pool", "120"]
        + ["--cache", str(tmp_path), "--json"]
    )
    assert "| warehouse | base articles | base messages | batch articles | batch messages |" in out
    small, big = res["rows"]
    assert small["counts"]["base_articles"] == s
    assert big["counts"]["base_articles"] == 10 * s
    assert small["counts"]["batch_articles"] == big["counts"]["batch_articles"] == 20
    assert small["counts"]["batch_messages"] == big["counts"]["batch_messages"] == 8
    assert big["counts"]["base_messages"] > small["counts"]["base_messages"] > 0
    for r in (small, big):
        assert math.isfinite(r["seconds"]) and r["seconds"] > 0
        assert math.isfinite(r["peak_rss_mb"]) and r["peak_rss_mb"] > 0
    for key in ("time_ratio", "memory_ratio"):
        assert math.isfinite(res[key]) and res[key] > 0
    # the small warehouse is the big one's newest part: the batch meets the same candidates
    w_small, w_big = small["stats"].get("pairs_weighed"), big["stats"].get("pairs_weighed")
    if w_small is not None and w_big is not None:
        assert w_small == w_big > 0
    assert sorted(p.suffix for p in tmp_path.iterdir()).count(".duckdb") == 2  # bases cached


def test_suite_reads_bench_outputs() -> None:
    out = (
        "path  pages  pages/s  vs plain\n"
        "plain trafilatura extract (in process)                181      58.2     1.00x\n"
        "crawl step: fetch+extract+WARC+DuckDB+WACZ            181      31.0     0.53x\n"
    )
    (row,) = suite.crawl_rows(out)
    assert (row["baseline"], row["project"], row["met"]) == (58.2, 31.0, True)
    assert suite._json_tail('table\n{\n  "a": 1\n}\n') == {"a": 1}
    assert suite._json_tail('x\n{"b": 2}') == {"b": 2}
