#!/usr/bin/env python3
"""Soak intake with the full malformed corpus (scripts/malformed_corpus.py, 500+ files).

Every file is parsed in intake's worker process (the limits of foia/limits.py at their
defaults); prints one table: files, files read, error rows, tracebacks (``unexpected
error``), the slowest file and the worst single file's peak resident memory (the worker's
high-water mark, reset before each file), then the whole ingest into a fresh warehouse.

    .venv/bin/python bench/malformed_soak.py [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import malformed_corpus  # noqa: E402

from foia.ingest import iter_files  # noqa: E402
from foia.models import IngestError  # noqa: E402
from foiatrace.ingest_step import ingest  # noqa: E402

FOLDERS = ("eml", "pdf", "mail", "text", "zips", "mixed")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="corpus folder (default: a temporary one)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="malformed-soak-")
    out = args.out or Path(tmp.name) / "corpus"
    t = time.monotonic()
    malformed_corpus.build(out, seed=args.seed)
    print(f"corpus written in {time.monotonic() - t:.1f} s")
    files = [p for f in FOLDERS for p in (out / f).rglob("*") if p.is_file()]
    t = time.monotonic()
    results = list(iter_files([out / f for f in FOLDERS]))
    walk_s = time.monotonic() - t
    read = sum(1 for r in results if r.messages)
    errors = [e for r in results for e in r.records if isinstance(e, IngestError)]
    tracebacks = [e for e in errors if "unexpected error" in e.reason or "died" in e.reason]
    slow = max(results, key=lambda r: r.seconds)
    heavy = max(results, key=lambda r: r.peak_kb)
    t = time.monotonic()
    stats = ingest(Path(tmp.name) / "soak.duckdb", [out / f for f in FOLDERS], "soak")
    ingest_s = time.monotonic() - t
    rows = [
        ("files in the corpus", f"{len(files)}"),
        ("files and archive members walked", f"{len(results)}"),
        ("read (at least one message)", f"{read}"),
        ("error rows (walk)", f"{len(errors)}"),
        ("tracebacks (unexpected error / worker died)", f"{len(tracebacks)}"),
        ("max per-file time", f"{slow.seconds:.1f} s ({Path(slow.source).name})"),
        ("peak memory, worst single file", f"{heavy.peak_kb / 1024:.0f} MB "
                                           f"({Path(heavy.source).name})"),
        ("walk time, all files", f"{walk_s:.0f} s"),
        ("ingest into a warehouse: time", f"{ingest_s:.0f} s"),
        ("ingest: messages / errors / copies / conflicts",
         f"{stats['messages']} / {stats['errors']} / {stats['copies']} / {stats['conflicts']}"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print(f"| {'measure'.ljust(width)} | value |\n|{'-' * (width + 2)}|---|")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")
    for e in tracebacks:
        print("TRACEBACK:", e.source_file, e.reason, e.detail[:200])
    tmp.cleanup()
    return 1 if tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
