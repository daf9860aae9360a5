"""Benchmark: ingest's time and peak memory on the Clinton release, by production size, and
a nightly run that adds one file.

Each row is one `foiatrace ingest` process on a fresh warehouse (peak resident memory of
that process and its parse worker, summed, so pages they share count twice; polled every
20 ms): an empty folder (the baseline: interpreter, imports, DuckDB), then the first
quarter, half and all of the 27,159 documents. The last row ingests
the whole release into the full warehouse again with one file added: it must read only that
file (files that gave only errors, such as blank pages, are tried again each run: counted
as retried). Memory above the baseline, per thousand messages, says how the profile grows with the
production. Not a test: ``python bench/intake_memory.py [--docs DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "clinton-foia" / "clinton_state_foia_text.tar.gz"
FOIATRACE = Path(sys.executable).with_name("foiatrace")


def _run(db: Path, folder: Path) -> tuple[dict, float, float]:
    """(ingest stats, seconds, peak RSS in MB) of one ingest process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(FOIATRACE), "--db", str(db), "-q", "ingest", str(folder), "--production",
         "clinton", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            # the ingest process and its parse worker (a child) together
            procs = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.NoSuchProcess:
            continue
        time.sleep(0.02)
    out, errors = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed ({proc.returncode}): {(out + errors)[-2000:]}")
    return json.loads(out), seconds, peak / 2**20


def _docs(arg: str | None, tmp: Path) -> list[Path]:
    root = Path(arg) if arg else tmp / "release"
    if not arg:
        with tarfile.open(DATA) as tar:
            tar.extractall(root, filter="data")
    return sorted(p for p in root.rglob("*.txt") if p.is_file())


def _folder(tmp: Path, name: str, files: list[Path]) -> Path:
    """A production folder holding ``files`` (hard links: no copy of the bytes)."""
    folder = tmp / name
    folder.mkdir()
    for i, f in enumerate(files):
        target = folder / f"{i // 1000:03d}" / f.name
        target.parent.mkdir(exist_ok=True)
        try:
            os.link(f, target)
        except OSError:
            shutil.copy2(f, target)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", help="the release's .txt files (default: unpack the tarball)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="foiatrace-bench-") as t:
        tmp = Path(t)
        files = _docs(args.docs, tmp)
        # hold out a document with a message (the release ends with blank ones)
        keep = next(i for i in range(len(files) - 1, -1, -1) if files[i].stat().st_size > 1000)
        files.append(files.pop(keep))
        rows = []
        base = None
        for share in (0.0, 0.25, 0.5, 1.0):
            n = round(len(files) * share) - (1 if share == 1.0 else 0)
            folder = _folder(tmp, f"p{int(share * 100)}", files[:n])
            db = tmp / f"w{int(share * 100)}.duckdb"
            stats, secs, peak = _run(db, folder)
            base = peak if base is None else base
            rows.append((f"first ingest, {n} files", stats, secs, peak))
        # the nightly case: the same folder with the one file held out (one with a message)
        last = files[len(files) - 1]
        assert last.stat().st_size > 1000, f"{last}: pick a held-out file with a message"
        target = folder / "new" / last.name
        target.parent.mkdir()
        shutil.copy2(last, target)
        stats, secs, peak = _run(db, folder)
        rows.append(("same folder + 1 file", stats, secs, peak))
    print("## Clinton release: ingest time and peak memory (one process per row)")
    print("| run | files read (new + retried) | skipped | messages in production | time s |"
          " peak MB | MB over baseline per 1k messages |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, s, secs, peak in rows:
        msgs = s.get("messages", 0)
        slope = f"{(peak - base) / (msgs / 1000):.1f}" if msgs else "-"
        read, retried = s.get("files_read", 0), s.get("files_retried", 0)
        print(
            f"| {name} | {read} ({read - retried} + {retried}) | {s.get('files_skipped', 0)} |"
            f" {msgs} |"
            f" {secs:.1f} | {peak:.0f} | {slope} |"
        )


if __name__ == "__main__":
    main()
