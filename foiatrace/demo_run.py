"""`foiatrace demo`: the nightly DAG once, through Airflow, on the bundled demo corpus.

The demo outlets' site is served on 127.0.0.1 for the duration; Airflow keeps its own SQLite
metadata under a project-local ``AIRFLOW_HOME`` (``./.airflow``), so nothing outside the
working folder is touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from crawlers.serve import serve_site
from foiatrace import pipeline
from foiatrace.config import Settings

DEMO_DIR = Path(__file__).parent / "demo"
DAG_ID = "foiatrace_nightly"
# the demo exports its whole evidence table, not only the window of today's data interval
DEMO_CONF = '{"export_window": "all"}'


def dags_folder() -> Path:
    """The repository's ``dags/`` (the package is installed editable from the checkout)."""
    return Path(__file__).resolve().parents[1] / "dags"


def airflow_env(airflow_home: Path, settings: Settings) -> dict[str, str]:
    """Environment for an `airflow` subprocess: local SQLite metadata, few workers."""
    env = dict(os.environ)
    env.update(settings.to_env())
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            # one interactive run on loopback: a failure is shown now, not after retries
            "FOIATRACE_DAG_RETRIES": os.environ.get("FOIATRACE_DAG_RETRIES", "0"),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    return env


def setup_commands(airflow: Path) -> list[tuple[str, list[str]]]:
    """Before any run of the DAG: the metadata schema, and the warehouse writer's pool
    (one slot: the tasks that open the DuckDB file take turns)."""
    from foiatrace.dag_tasks import WRITER_POOL

    return [
        ("Airflow metadata", [str(airflow), "db", "migrate"]),
        (
            f"pool {WRITER_POOL}",
            [str(airflow), "pools", "set", WRITER_POOL, "1", "foiatrace warehouse writer"],
        ),
    ]


def run_dag_test(
    airflow_home: Path, settings: Settings, quiet: bool = False, verbose: bool = False
) -> Path:
    """`airflow db migrate`, the writer pool, then `airflow dags test` in subprocesses;
    raises on failure.

    Airflow's own output goes to ``<AIRFLOW_HOME>/demo-run.log`` (streamed with ``verbose``),
    so the demo's result is not lost in it; a failure shows the log's tail."""
    airflow = Path(sys.executable).with_name("airflow")
    if not airflow.exists():
        raise RuntimeError(f"{airflow}: Airflow is not installed in this environment")
    if not (dags_folder() / f"{DAG_ID}.py").exists():
        raise RuntimeError(f"{dags_folder()}: DAG file not found (use --no-airflow)")
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(airflow_home, settings)
    log_path = airflow_home / "demo-run.log"
    with log_path.open("w", encoding="utf-8") as log:
        for label, cmd in (
            *setup_commands(airflow),
            (f"DAG {DAG_ID}", [str(airflow), "dags", "test", DAG_ID, "-c", DEMO_CONF]),
        ):
            if not quiet:
                print(f"{label}: airflow {' '.join(cmd[1:])} ...", flush=True)
            sink = None if verbose else log
            proc = subprocess.run(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False)
            if proc.returncode != 0:
                log.flush()
                tail = "\n".join(log_path.read_text(encoding="utf-8").splitlines()[-30:])
                raise RuntimeError(
                    f"`airflow {' '.join(cmd[1:])}` failed (exit {proc.returncode}); "
                    f"log: {log_path}\n{tail}"
                )
    if not quiet:
        print(f"Airflow log: {log_path}", flush=True)
    return log_path


def demo_settings(db: Path, base_url: str) -> Settings:
    """The bundled demo's settings: its outlets served at ``base_url``, its production, the
    warehouse ``db`` with the exports beside it (the demo, the DAG tests, the Celery run)."""
    return Settings(
        db=db,
        outlets=DEMO_DIR / "outlets.toml",
        base_url=base_url,
        productions=[DEMO_DIR / "emails"],
        production="demo",
        export_dir=db.parent / "exports",
    )


def run_demo(
    db: Path,
    use_airflow: bool = True,
    quiet: bool = False,
    airflow_home: Path | None = None,
    verbose: bool = False,
) -> list[dict[str, Any]]:
    """Run the pipeline on the demo corpus; returns the evidence rows at the default threshold."""
    if not (DEMO_DIR / "outlets.toml").exists():
        raise RuntimeError(f"{DEMO_DIR}: the bundled demo corpus is missing")
    db = db.resolve()
    with serve_site(DEMO_DIR / "site") as base_url:
        settings = demo_settings(db, base_url)
        if use_airflow:
            home = (airflow_home or Path.cwd() / ".airflow").resolve()
            run_dag_test(home, settings, quiet, verbose)
        else:
            pipeline.ingest(db, settings.productions, settings.production)
            pipeline.crawl(db, settings.outlets, base_url=base_url)  # type: ignore[arg-type]
            pipeline.match(db)
    return evidence_rows(db)


def evidence_rows(db: Path, min_score: float | None = None) -> list[dict[str, Any]]:
    from matching.score import default_threshold
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        cur = con.execute(
            "SELECT * FROM evidence WHERE score >= ? ORDER BY email_sent_at, article_url, "
            "detail_type",
            [default_threshold() if min_score is None else min_score],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
