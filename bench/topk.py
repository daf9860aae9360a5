"""Top-k sentence search over a time window's block: NumPy, faiss, the matcher's way, and the
compute ceiling, measured in one run.

The problem each path solves is the same: ``--queries`` email sentences (``--per-email`` to
a message) against the ``--block`` article sentences of their time window (unit vectors,
dimension 384, the model's), keeping the ``--k`` best article sentences of each by cosine.

- NumPy baseline: one matmul of all queries against the block, then ``argpartition``;
- faiss ``IndexFlatIP`` (exact inner-product search), when faiss-cpu is installed;
- project (matcher today): per email, ``ev @ a_vec[rows].T`` over its candidates' rows
  (``matching/match.py``: a gathered copy of the window's rows, then a product of a few
  rows), then ``argpartition``;
- blocked BLAS: query blocks x column blocks, top-k kept per tile and merged: memory is one
  tile (512 x 8192 floats, 16 MB), never the queries x block matrix, and each query block
  reads the window's rows once for 512 queries instead of once per email;
- ceiling: the FLOPs of the product (2 x queries x block x 384) at the GFLOP/s of an sgemm
  measured in the same run (a compute-bound float32 matmul).

Vectors are random unit vectors: the cost depends on the shapes only. Each time is the best
of ``--repeats`` interleaved runs (noise only ever slows a run). Recall@k is against the
NumPy result (exact paths agree up to ties).

Usage: .venv/bin/python bench/topk.py [--queries 1000] [--block 40000] [--k 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.common import markdown_table, sgemm_gflops  # noqa: E402

DIM = 384
Search = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def unit_vectors(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _topk_rows(sims: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k largest values, best first."""
    k = min(k, sims.shape[1])
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def numpy_topk(q: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """Baseline: the whole queries x block product at once, then argpartition."""
    return _topk_rows(q @ x.T, k)


def project_topk(q: np.ndarray, x: np.ndarray, k: int, per_email: int) -> np.ndarray:
    """The matcher's way: one email at a time, its sentences against a gathered copy of its
    candidates' rows (``ev @ a_vec[rows].T``)."""
    rows = np.arange(len(x))  # the window's candidates: here, the whole block
    out = np.empty((len(q), min(k, len(x))), dtype=np.int64)
    for lo in range(0, len(q), per_email):
        ev = q[lo : lo + per_email]
        out[lo : lo + per_email] = _topk_rows(ev @ x[rows].T, k)
    return out


def blocked_topk(
    q: np.ndarray, x: np.ndarray, k: int, q_block: int = 512, x_block: int = 8192
) -> np.ndarray:
    """Tiles of ``q_block`` queries x ``x_block`` block rows; each tile's top-k is kept
    (values and global indices) and the candidates are merged once per query block."""
    k = min(k, len(x))
    out = np.empty((len(q), k), dtype=np.int64)
    for qlo in range(0, len(q), q_block):
        qb = q[qlo : qlo + q_block]
        vals, idxs = [], []
        for xlo in range(0, len(x), x_block):
            tile = qb @ x[xlo : xlo + x_block].T
            kk = min(k, tile.shape[1])
            part = np.argpartition(-tile, kk - 1, axis=1)[:, :kk]
            vals.append(np.take_along_axis(tile, part, axis=1))
            idxs.append(part + xlo)
        v, i = np.concatenate(vals, axis=1), np.concatenate(idxs, axis=1)
        best = _topk_rows(v, k)
        out[qlo : qlo + q_block] = np.take_along_axis(i, best, axis=1)
    return out


def faiss_search() -> Search | None:
    """faiss ``IndexFlatIP`` search, or None when faiss-cpu is not installed."""
    try:
        import faiss  # type: ignore[import-not-found]
    except ImportError:
        return None
    faiss.omp_set_num_threads(os.cpu_count() or 1)

    def search(q: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
        index = faiss.IndexFlatIP(x.shape[1])
        index.add(x)  # the window's block: building it is part of each search
        _, ids = index.search(q, min(k, len(x)))
        return ids.astype(np.int64)

    return search


def recall(got: np.ndarray, ref: np.ndarray) -> float:
    """Mean share of the reference top-k found."""
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(got, ref, strict=True)]))


def run(
    queries: int, block: int, k: int, per_email: int, repeats: int, seed: int = 0
) -> dict[str, Any]:
    """Time every path on the same vectors; ratios are against NumPy in this run."""
    q, x = unit_vectors(queries, seed), unit_vectors(block, seed + 1)
    paths: dict[str, Search | None] = {
        "numpy: matmul + argpartition": numpy_topk,
        "faiss IndexFlatIP": faiss_search(),
        "project: per-email ev @ a_vec[rows].T": lambda a, b, kk: project_topk(a, b, kk, per_email),
        "blocked BLAS, top-k per tile": blocked_topk,
    }
    live = {name: fn for name, fn in paths.items() if fn is not None}
    for fn in live.values():  # warm-up: thread pools, first-call costs
        fn(q[: min(64, queries)], x, k)
    best: dict[str, float] = {}
    found: dict[str, np.ndarray] = {}
    names = list(live)
    gflops = 0.0
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            found[name] = live[name](q, x, k)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
        gflops = max(gflops, sgemm_gflops(1024, DIM, 4096, seconds=0.4))
    flops = 2.0 * queries * block * DIM
    ceiling_s = flops / (gflops * 1e9)
    base_name = names[0]
    ref, base = found[base_name], best[base_name]
    rows = []
    for name, fn in paths.items():
        if fn is None:
            rows.append({"path": name, "status": "faiss: not installed"})
            continue
        s = best[name]
        rows.append(
            {
                "path": name,
                "seconds": s,
                "queries_per_s": queries / s,
                "vs_numpy": base / s,
                "vs_ceiling": ceiling_s / s,
                "recall": recall(found[name], ref),
            }
        )
    rows.append(
        {
            "path": "ceiling: measured sgemm",
            "seconds": ceiling_s,
            "queries_per_s": queries / ceiling_s,
            "vs_numpy": base / ceiling_s,
            "vs_ceiling": 1.0,
            "recall": None,
        }
    )
    return {
        "bench": "topk",
        "queries": queries,
        "block": block,
        "k": k,
        "per_email": per_email,
        "dim": DIM,
        "repeats": repeats,
        "sgemm_gflops": gflops,
        "cpus": os.cpu_count(),
        "rows": rows,
    }


def report(res: dict[str, Any]) -> str:
    headers = ["path", "seconds", "queries/s", "x numpy", "x ceiling", "recall@k"]
    table = []
    for r in res["rows"]:
        if "status" in r:
            table.append([r["path"], r["status"], "", "", "", ""])
        else:
            table.append(
                [
                    r["path"],
                    f"{r['seconds']:.3f}",
                    f"{r['queries_per_s']:.0f}",
                    r["vs_numpy"],
                    f"{r['vs_ceiling']:.0%}",
                    r["recall"],
                ]
            )
    head = (
        f"{res['queries']} queries ({res['per_email']} per email) x {res['block']} block "
        f"sentences, dim {res['dim']}, k {res['k']}; {res['cpus']} cpus; best of "
        f"{res['repeats']}; sgemm {res['sgemm_gflops']:.1f} GFLOP/s"
    )
    return head + "\n" + markdown_table(headers, table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--block", type=int, default=40_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--per-email", type=int, default=10, help="sentences to an email")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args(argv)
    if args.quick:
        args.queries, args.block, args.repeats = min(args.queries, 400), min(args.block, 10_000), 2
    res = run(args.queries, args.block, args.k, args.per_email, args.repeats)
    print(report(res))
    if args.json:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
