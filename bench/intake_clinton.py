"""Benchmark: the State Department's Clinton email release (27,159 text documents) through intake.

Prints, as tables: documents, crashes (exceptions escaping the reader), errors (files
refused with a reason), the share of documents with a parsed From, Sent and Subject, the
agreement of exemption codes with ``index.csv`` (banner codes, and codes anywhere), the
share of quoted blocks linked to a message of the release, and wall time. Not a test: run
``python bench/intake_clinton.py [--limit N] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tarfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from foia.link import link_production  # noqa: E402
from foia.models import IngestError, Message  # noqa: E402
from foia.text_release import parse_text_release  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "clinton-foia"
_CODE_RE = re.compile(r"B[1-9]")


def _parse(item: tuple[str, bytes]) -> tuple[str, Message | IngestError | str]:
    name, data = item
    try:
        return name, parse_text_release(data, name, "America/New_York")
    except Exception as exc:  # noqa: BLE001 - a crash is what this benchmark counts
        return name, f"CRASH {type(exc).__name__}: {exc}"


def _docs(limit: int | None) -> list[tuple[str, bytes]]:
    out = []
    with tarfile.open(DATA / "clinton_state_foia_text.tar.gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".txt"):
                f = tar.extractfile(member)
                if f is not None:
                    out.append((member.name, f.read()))
            if limit and len(out) >= limit:
                break
    return out


def _codes(text: str) -> set[str]:
    return set(_CODE_RE.findall(text or ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    docs = _docs(args.limit)
    t_read = time.perf_counter() - t0
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_parse, docs, chunksize=200))
    t_parse = time.perf_counter() - t0 - t_read
    msgs = [r for _, r in results if isinstance(r, Message)]
    t1 = time.perf_counter()
    link = link_production(msgs)
    t_link = time.perf_counter() - t1
    wall = time.perf_counter() - t0
    crashes = [r for _, r in results if isinstance(r, str)]
    errors = [r for _, r in results if isinstance(r, IngestError)]
    index = {}
    with open(DATA / "index.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            index[row["doc_id"]] = row
    n = len(msgs)

    def share(pred) -> str:  # noqa: ANN001
        k = sum(1 for m in msgs if pred(m))
        return f"{k:6d} / {n} = {k / max(n, 1):.3f}"

    print("## Clinton release through foia.text_release (+ link_production)")
    print(f"| documents | {len(docs)} |\n| messages | {n} |\n| crashes | {len(crashes)} |")
    print(f"| refused with a reason | {len(errors)} {Counter(e.reason for e in errors)} |")
    print(f"| From parsed | {share(lambda m: bool(m.email_from))} |")
    print(f"| Sent parsed (to a UTC time) | {share(lambda m: m.sent_at is not None)} |")
    print(f"| Subject parsed | {share(lambda m: bool(m.subject))} |")
    print(f"| all three | {share(lambda m: bool(m.email_from and m.sent_at and m.subject))} |")
    # index.csv's own header extraction, for reference
    idx_rows = [index.get(m.bates) for m in msgs]
    have = [r for r in idx_rows if r]
    print(f"| documents found in index.csv | {len(have)} |")
    for col in ("from_", "sent", "subject"):
        k = sum(1 for r in have if r[col])
        print(f"| index.csv has {col} | {k} / {len(have)} = {k / max(len(have), 1):.3f} |")
    for col in ("release_codes", "exemption_codes_anywhere"):
        rows = [(m, index[m.bates]) for m in msgs if m.bates in index]
        exact = tp = fp = fn = 0
        for m, r in rows:
            ours = {c[:2] for c in m.exemptions} | {
                red.code[:2] for red in m.redactions if red.code.startswith("B")
            }
            truth = _codes(r[col])
            exact += ours == truth
            tp += len(ours & truth)
            fp += len(ours - truth)
            fn += len(truth - ours)
        p = tp / max(tp + fp, 1)
        rc = tp / max(tp + fn, 1)
        same = exact / max(len(rows), 1)
        print(
            f"| exemption codes vs {col} | same set {exact}/{len(rows)} = {same:.3f};"
            f" code precision {p:.3f} recall {rc:.3f} |"
        )
    blocks, linked = link["blocks"], link["linked"]
    print(f"| quoted blocks | {blocks} (linked to a document of the release: {linked}) |")
    print(
        f"| wall time | {wall:.1f} s (read {t_read:.1f}, parse {t_parse:.1f} on"
        f" {args.workers} workers, link {t_link:.1f}) |"
    )
    if crashes:
        print("crashes:", crashes[:5])


if __name__ == "__main__":
    main()
