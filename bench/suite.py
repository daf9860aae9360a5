"""The benchmark suite of issue 12: every bench run once, one table of ratios against
baselines measured in the same run, and whether each target is met.

Each bench runs as a subprocess (its own interpreter: one bench's threads, caches and
memory never colour another's) with ``--json``; its figures are read from its output.

    .venv/bin/python bench/suite.py [--quick] [--only NAME[,NAME]] [--json]

NAME: embedding, topk, crawl_speed, nightly_scaling. ``--quick`` runs each at small sizes
(minutes in all; the figures are then only indicative). The full nightly_scaling builds its
base warehouses once (tens of minutes) and reuses them from its cache afterwards; see
bench/nightly_scaling.py for ``--any-code``. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, fmt, markdown_table  # noqa: E402

BENCH = REPO / "bench"
Row = dict[str, Any]


def _row(
    bench: str,
    baseline: float | None,
    project: float | None,
    target: str,
    met: bool | None,
    ratio: float | None = None,
    unit: str = "",
    digits: int = 2,
) -> Row:
    if ratio is None and baseline and project is not None:
        ratio = project / baseline
    return {
        "bench": bench, "baseline": baseline, "project": project, "ratio": ratio,
        "target": target, "met": met, "unit": unit, "digits": digits,
    }  # fmt: skip


def _json_tail(out: str) -> dict[str, Any]:
    """The JSON a bench printed last: one line, or an indented block starting at '{'."""
    lines = out.rstrip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("{"):
            try:
                return json.loads("\n".join(lines[i:]))
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON in the bench's output")


def embedding_rows(res: dict[str, Any]) -> list[Row]:
    paths = res["paths"]
    default = next(v for k, v in paths.items() if k.startswith("sentence-transformers"))
    proj = next(v for k, v in paths.items() if k.startswith("project"))
    return [
        _row("embedding: sentences/s, project vs sentence-transformers default",
             default["sentences_per_s"], proj["sentences_per_s"], ">= 1.6x",
             proj["vs_default"] >= 1.6, proj["vs_default"]),
        _row("embedding: sentences/s, project vs fp32 ceiling (measured sgemm)",
             res["ceiling"], proj["sentences_per_s"], ">= 0.70x",
             proj["vs_ceiling"] >= 0.70, proj["vs_ceiling"]),
        _row("embedding: min cosine vs default path", 1.0, proj["min_cosine"], ">= 0.999",
             proj["min_cosine"] >= 0.999, digits=6),
    ]  # fmt: skip


def topk_rows(res: dict[str, Any]) -> list[Row]:
    rows = {r["path"]: r for r in res["rows"]}
    base = next(r for p, r in rows.items() if p.startswith("numpy"))
    out = []
    for path, r in rows.items():
        if path.startswith("numpy"):
            continue
        name = f"topk: queries/s, {path} vs numpy"
        if "status" in r:
            out.append(_row(name, base["queries_per_s"], None, "measured", None, unit=r["status"]))
        else:
            out.append(
                _row(
                    name, base["queries_per_s"], r["queries_per_s"], "measured", None, r["vs_numpy"]
                )
            )
    return out


_CRAWL = re.compile(r"^(?P<name>.+?)\s+(?P<pages>\d+)\s+(?P<rate>[\d.]+)\s+(?P<ratio>[\d.]+)x$")


def crawl_rows(out: str) -> list[Row]:
    """crawl_speed.py prints a plain table: pages/s per path and the ratio to trafilatura."""
    rates = {}
    for line in out.splitlines():
        m = _CRAWL.match(line.strip())
        if m:
            rates[m["name"].strip()] = float(m["rate"])
    plain = next(v for k, v in rates.items() if k.startswith("plain trafilatura"))
    crawl = next(v for k, v in rates.items() if k.startswith("crawl step"))
    return [
        _row("crawl: pages/s, crawl+extract+store vs plain trafilatura extract", plain, crawl,
             ">= 30 pages/s", crawl >= 30.0),
    ]  # fmt: skip


def scaling_rows(res: dict[str, Any]) -> list[Row]:
    small, big = res["rows"]
    r = res["config"]["ratio"]
    return [
        _row(f"nightly scaling: match seconds, {r}xS vs S ({small['articles']} articles)",
             small["seconds"], big["seconds"], f"<= {res['time_target']}x",
             res["time_ratio"] <= res["time_target"], res["time_ratio"]),
        _row(f"nightly scaling: peak RSS MB, {r}xS vs S ({small['articles']} articles)",
             small["peak_rss_mb"], big["peak_rss_mb"], f"<= {res['memory_target']}x",
             res["memory_ratio"] <= res["memory_target"], res["memory_ratio"]),
    ]  # fmt: skip


# name: (script, normal args, quick args, rows from (JSON or None, stdout))
BENCHES: dict[str, tuple[str, list[str], list[str], Callable[[Any, str], list[Row]]]] = {
    "embedding": (
        "embedding.py", ["--json"], ["--json", "--n", "300", "--repeats", "1"],
        lambda res, _out: embedding_rows(res),
    ),
    "topk": ("topk.py", ["--json"], ["--json", "--quick"], lambda res, _out: topk_rows(res)),
    "crawl_speed": ("crawl_speed.py", [], ["--repeat", "1"], lambda _res, out: crawl_rows(out)),
    "nightly_scaling": (
        "nightly_scaling.py", ["--json"],
        ["--json", "--s", "500", "--per-day", "5", "--batch-articles", "40",
         "--batch-messages", "20"],
        lambda res, _out: scaling_rows(res),
    ),
}  # fmt: skip


def run_bench(
    name: str, quick: bool, log: Callable[[str], None], extra: list[str] | None = None
) -> tuple[list[Row], float]:
    script, args, quick_args, rows = BENCHES[name]
    cmd = [sys.executable, str(BENCH / script), *(quick_args if quick else args), *(extra or [])]
    log(f"[suite] {name}: {' '.join(cmd[1:])}")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        return [_row(name, None, None, "", False, unit=f"error {proc.returncode}: {tail[0]}")], took
    res = _json_tail(proc.stdout) if "--json" in cmd else None
    return rows(res, proc.stdout), took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: indicative figures")
    ap.add_argument("--only", default="", help=f"comma-separated: {', '.join(BENCHES)}")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON instead")
    ap.add_argument(
        "--any-code",
        action="store_true",
        help="nightly_scaling: reuse cached bases matched by other matcher code (quick look)",
    )
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown bench {unknown}; known: {', '.join(BENCHES)}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    rows: list[Row] = []
    timings: dict[str, float] = {}
    for name in names:
        extra = ["--any-code"] if args.any_code and name == "nightly_scaling" else []
        got, took = run_bench(name, args.quick, log, extra)
        rows.extend(got)
        timings[name] = took
    if args.json:
        print(json.dumps({"quick": args.quick, "rows": rows, "seconds": timings}))
    else:
        table = [
            [r["bench"], fmt(r["baseline"], r["digits"]), fmt(r["project"], r["digits"]),
             f"{r['ratio']:.{r['digits']}f}x" if r["ratio"] is not None else r["unit"],
             r["target"], r["met"] if r["met"] is not None else "-"]
            for r in rows
        ]  # fmt: skip
        print(markdown_table(["bench", "baseline", "project", "ratio", "target", "met?"], table))
        print("seconds per bench: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    return 0 if all(r["met"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
