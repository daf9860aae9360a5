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
) -> dict[str, Any]:
    """Read FOIA productions (files or folders) into ``emails``; bad files become errors.

    ``timezone``: the zone printed PDF productions show times in (the mailbox owner's)."""
    from foia.ingest import iter_production
    from foia.models import IngestError

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
    batch = []
    sources: dict[str, tuple[str, str]] = {}
    try:
        for rec in progress_bar(
            iter_production(paths, default_tz=timezone), None, "ingest", progress
        ):
            if isinstance(rec, IngestError):
                stats["errors"] += 1
                stats["error_list"].append(f"{rec.source_file}: {rec.reason}")
                log.warning("ingest: %s: %s", rec.source_file, rec.reason)
                load.record_error(con, "ingest", rec.source_file, rec.reason, rec.detail, run_id)
                continue
            batch.append(rec)
            sources[rec.source_sha256] = (rec.source_file, rec.source_kind)
            if len(batch) >= INGEST_BATCH:
                _flush(con, production, batch, stats)
        _flush(con, production, batch, stats)
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
        batch.clear()
