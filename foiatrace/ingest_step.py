"""The ingest step: FOIA productions into the warehouse's ``emails`` (and errors)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foiatrace.progress import progress_bar
from warehouse import load
from warehouse.db import connect

log = logging.getLogger("foiatrace")

INGEST_BATCH = 500
DEFAULT_PRINT_TZ = "America/New_York"  # printed productions rarely state their zone


def ingest(
    db: Path | str | None,
    paths: Sequence[Path | str],
    production: str | None = None,
    *,
    timezone: str = DEFAULT_PRINT_TZ,
    progress: bool = False,
    max_bytes: int | None = None,
    ocr: str = "auto",
) -> dict[str, Any]:
    """Read FOIA productions (files, folders, zips) into ``emails``; bad files become errors.

    The whole production is read before it is written: quoted blocks are linked to the
    message that first wrote them and printed mailboxes' zones inferred across all files
    (``timezone`` is only the fallback for mailboxes no evidence places, see
    :mod:`foia.tzinfer`). ``max_bytes`` caps one file's size; ``ocr`` is auto|force|never."""
    from foia.ingest import DEFAULT_MAX_BYTES, iter_production
    from foia.link import link_production
    from foia.models import IngestError, Message
    from foia.tzinfer import resolve_print_times

    paths = [Path(p) for p in paths]
    production = production or (paths[0].resolve().name if paths else "production")
    con = connect(db)
    run_id = load.start_run(con, "ingest")
    stats: dict[str, Any] = {
        "production": production,
        "messages": 0,
        "new": 0,
        "changed": 0,
        "unchanged": 0,
        "errors": 0,
        "error_list": [],
    }
    everything: list[Message] = []
    sources: dict[str, tuple[str, str]] = {}
    records = iter_production(
        paths, default_tz=timezone, max_bytes=max_bytes or DEFAULT_MAX_BYTES, ocr=ocr
    )
    try:
        for rec in progress_bar(records, None, "ingest", progress):
            if isinstance(rec, IngestError):
                stats["errors"] += 1
                stats["error_list"].append(f"{rec.source_file}: {rec.reason}")
                log.warning("ingest: %s: %s", rec.source_file, rec.reason)
                load.record_error(con, "ingest", rec.source_file, rec.reason, rec.detail, run_id)
                continue
            everything.append(rec)
            sources[rec.source_sha256] = (rec.source_file, rec.source_kind)
        stats["links"] = link_production(everything)
        resolve_print_times(everything, timezone)
        for start in range(0, len(everything), INGEST_BATCH):
            _flush(con, production, everything[start : start + INGEST_BATCH], stats)
        for sha, (path, kind) in sources.items():
            size = Path(path).stat().st_size if Path(path).exists() else None
            load.record_source_file(con, sha, path, production, kind, size or 0)
        load.finish_run(con, run_id, stats)
    except Exception as exc:
        load.finish_run(con, run_id, {**stats, "exception": repr(exc)}, status="failed")
        raise
    finally:
        con.close()
    return stats


def _flush(con: Any, production: str, batch: list[Any], stats: dict[str, Any]) -> None:
    if batch:
        res = load.upsert_messages(con, production, batch)
        stats["messages"] += len(batch)
        for k in ("new", "changed", "unchanged"):
            stats[k] += res[k]
