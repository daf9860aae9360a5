"""Helpers the benchmarks share: where the real data is, a measured sgemm, real text readers,
tables, and the peak memory of a process, so every bench measures the same way."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
_WS = re.compile(r"\s+")


def shared_dir() -> Path:
    """../shared (or $FOIATRACE_SHARED): the real data the benches read, never copied."""
    return Path(os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared"))


def cache_dir() -> Path:
    """Where slow-to-build inputs (vectors, base warehouses) are kept between runs."""
    env = os.environ.get("FOIATRACE_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "foiatrace" / "bench"


def sgemm_gflops(m: int, k: int, n: int, seconds: float = 0.5) -> float:
    """Best GFLOP/s of a float32 (m x k) @ (k x n) product: the machine's compute ceiling
    measured in this run, so ratios against it hold whatever else the machine is doing."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    a @ b  # warm-up: thread pool start, page faults
    best = 0.0
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter()
        a @ b
        best = max(best, 2.0 * m * k * n / (time.perf_counter() - t0) / 1e9)
    return best


def msrp_sentences(shared: Path) -> list[str]:
    """Distinct MSRP news sentences (both sides of each pair), sorted for a stable order."""
    text = (shared / "data/msrp/msr_paraphrase_train.txt").read_text(encoding="utf-8-sig")
    rows = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    return sorted({s.strip() for r in rows if len(r) == 5 for s in (r[3], r[4])} - {""})


def insciout_sentences(shared: Path) -> list[str]:
    """Press-release and paper conclusion sentences of InSciOut (both splits)."""
    out: set[str] = set()
    for path in sorted((shared / "data/insciout").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                for k in ("press_release_conclusion", "abstract_conclusion"):
                    if row.get(k):
                        out.add(_WS.sub(" ", row[k]).strip())
    return sorted(out)


def article_bodies(shared: Path) -> list[str]:
    """The ground-truth article bodies of the Zyte extraction benchmark (real news prose)."""
    gt = json.loads((shared / "data/article-extraction/ground-truth.json").read_text("utf-8"))
    return [v["articleBody"] for _, v in sorted(gt.items()) if v.get("articleBody")]


def foia_texts(shared: Path, n: int, skip: int = 0) -> list[str]:
    """Released State Department documents' text (Clinton FOIA), whitespace-collapsed and cut
    to a message-sized body; the first ``skip`` usable ones are passed over."""
    out: list[str] = []
    seen = 0
    with tarfile.open(shared / "data/clinton-foia/clinton_state_foia_text.tar.gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            body = _WS.sub(" ", f.read().decode("utf-8", "replace")).strip()
            if len(body) <= 400:
                continue
            seen += 1
            if seen > skip:
                out.append(body[:900])
            if len(out) >= n:
                break
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB: Linux's VmHWM, the high-water mark of
    this process's own memory since its exec. ``ru_maxrss`` is the fallback elsewhere; on
    Linux it keeps the RSS of the parent it was forked from, so a child of a big process
    would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def fmt(x: Any, digits: int = 2) -> str:
    """A table cell: numbers rounded, missing values blank, text as is."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        return f"{x:.{digits}f}" if abs(x) < 1e5 else f"{x:.3g}"
    return str(x)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (what the README's performance section quotes)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
