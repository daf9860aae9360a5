"""The warehouse several writers share (``warehouse.lake``): DuckLake, catalog in PostgreSQL,
data as Parquet.

DuckLake loads offline only with duckdb 1.5.5, which cannot read the main environment's
duckdb 2.x warehouses, so the lake runs in its own environment (``make lake-setup`` ->
``.venv-lake``, or ``FOIATRACE_LAKE_PYTHON``): these tests drive it in subprocesses and skip,
saying why, where that environment or PostgreSQL is absent. Backend selection itself is
tested here in any environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import distributed_run as dr  # noqa: E402


def lake_python() -> Path | None:
    env = os.environ.get("FOIATRACE_LAKE_PYTHON")
    path = Path(env) if env else REPO / ".venv-lake" / "bin" / "python"
    return path if path.exists() else None


def _skip_reason() -> str | None:
    if not dr.reachable(dr.PG["host"], int(dr.PG["port"])):
        return f"needs PostgreSQL at {dr.PG['host']}:{dr.PG['port']} for the DuckLake catalog"
    py = lake_python()
    if py is None:
        return "needs the DuckLake environment: `make lake-setup` (.venv-lake, duckdb 1.5.5)"
    proc = subprocess.run(
        [str(py), "-c", "from warehouse.lake import unavailable_reason as u; print(u() or '')"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    if proc.returncode != 0 or proc.stdout.strip():
        return f"{py}: DuckLake does not load: {proc.stdout.strip() or proc.stderr[-500:]}"
    return None


SKIP = _skip_reason()
needs_lake = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def test_backend_selection_default_is_the_duckdb_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse import lake
    from warehouse.db import WarehouseError, warehouse_backend

    monkeypatch.delenv("FOIATRACE_WAREHOUSE", raising=False)
    assert warehouse_backend() == "duckdb" and lake.configured() is None
    monkeypatch.setenv("FOIATRACE_WAREHOUSE", "duckdb")
    assert lake.configured() is None
    spec = "ducklake:postgres:dbname=x host=127.0.0.1 user=postgres"
    monkeypatch.setenv("FOIATRACE_WAREHOUSE", spec)
    monkeypatch.setenv("FOIATRACE_LAKE_DATA", "/srv/lake")
    assert lake.configured() == lake.LakeConfig(spec, Path("/srv/lake"))
    monkeypatch.setenv("FOIATRACE_WAREHOUSE", "sqlite:x")
    with pytest.raises(WarehouseError, match="FOIATRACE_WAREHOUSE"):
        warehouse_backend()


_UNIT = """
import json, sys
from pathlib import Path
from warehouse import lake
cfg = lake.configured()
work = Path(sys.argv[1])
out = work / "o.jsonl"
out.write_text('{"try": 1}\\n', encoding="utf-8")
lake.stage_crawl_output(cfg, "n", "o", 1, out)            # a first try that then failed
out.write_text('{"try": 2, "a": 1}\\n{"try": 2, "a": 2}\\n', encoding="utf-8")
Path(str(out) + ".discovery").write_text('{"type": "article", "url": "u"}\\n', "utf-8")
lake.stage_crawl_output(cfg, "n", "o", 2, out)            # its retry
got = lake.materialize_crawl_output(cfg, "n", work / "m")
for i in range(3):
    lake.record_failure(cfg, "dag:crawl", "s", "Timeout", {"i": i})
lake.record_failure(cfg, "dag:load", "s", "Boom", {})
first = lake.mark_loaded(cfg, "n")
second = lake.mark_loaded(cfg, "n")                        # a re-run changes nothing
con = lake.connect(cfg)
errors = con.execute("SELECT step, times_seen, detail FROM errors ORDER BY step").fetchall()
files = con.execute("SELECT count(*) FROM ducklake_list_files('lake', 'crawl_items')").fetchone()
print(json.dumps({
    "materialized": got,
    "items": (work / "m" / "o.jsonl").read_text(encoding="utf-8").splitlines(),
    "discovery": (work / "m" / "o.jsonl.discovery").read_text(encoding="utf-8").splitlines(),
    "first": first, "second": second, "errors": errors, "parquet_files": files[0],
}))
"""


@needs_lake
def test_lake_staging_keeps_the_latest_attempt_and_merges_errors_by_key(tmp_path: Path) -> None:
    py = lake_python()
    with dr.fresh_database("foiatrace_lake_test") as db:
        env = dict(os.environ)
        env.update(
            FOIATRACE_WAREHOUSE=f"ducklake:postgres:dbname={db} host=127.0.0.1 user=postgres",
            FOIATRACE_LAKE_DATA=str(tmp_path / "data"),
        )
        proc = subprocess.run(
            [str(py), "-c", _UNIT, str(tmp_path)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["materialized"] == {"o": 3}
    assert out["items"] == ['{"try": 2, "a": 1}', '{"try": 2, "a": 2}']  # try 1 not loaded
    assert out["discovery"] == ['{"type": "article", "url": "u"}']
    assert [(s, n) for s, n, _ in out["errors"]] == [("dag:crawl", 3), ("dag:load", 1)]
    assert json.loads(out["errors"][0][2]) == {"i": 2}  # the latest detail
    assert out["first"] == out["second"] == {"outlets": 1, "error_keys": 2}
    assert out["parquet_files"] == 2  # each attempt's rows are a Parquet file


@needs_lake
def test_concurrent_crawl_writers_on_ducklake_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """Every outlet's crawl in its own process, their lake transactions all open at once,
    then one load and the match: the warehouse equals the one-writer night's."""
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [str(lake_python()), str(REPO / "scripts" / "lake_two_writers.py"), "--workdir",
         str(tmp_path / "work"), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads(out.read_text(encoding="utf-8"))
    lk = res["lake"]
    assert lk["writers"] == 3 and lk["all_open_at_once"], lk
    assert lk["rows_written"] == lk["rows_in_lake"] > 0
    assert lk["parquet_files"] >= 3
    assert res["differences"] == []
    assert res["counts_lake"] == res["counts_one_writer"]
    assert res["evidence_lake"] == res["evidence_one_writer"]
    assert res["counts_lake"]["articles"] == 13 and res["counts_lake"]["evidence"] > 0
