"""The nightly DAG on Airflow's CeleryExecutor, for real, on this machine, then torn down.

    .venv/bin/python scripts/distributed_run.py [--workdir DIR] [--keep] [--lake]
                                                [--reference DB] [--json OUT]
    make distributed

Started here, each in its own process group (killed as a group at the end, also on error
or Ctrl-C): ``airflow api-server``, ``scheduler``, ``dag-processor`` and TWO ``celery
worker``s (``--celery-hostname worker1@`` / ``worker2@``, concurrency 1 each, their own
queue). Airflow's metadata lives in a fresh PostgreSQL database (dropped at the end), the
Celery broker is Redis, Celery's results go to PostgreSQL; ``AIRFLOW_HOME`` is a temporary
folder. The demo DAG is triggered with ``airflow dags trigger``, waited for, and its task
instances listed with the worker that ran each (``FOIATRACE_WORKER_NAME``, set per worker and
returned by every task) and the pid. Then the warehouse is compared with the one ``airflow
dags test`` writes (or ``--reference``): row counts of every table and view and an evidence
hash, floats rounded (``scripts/kill_soak.py``'s ``fingerprint``).

``--lake``: the crawls write their rows to a DuckLake (catalog in another fresh PostgreSQL
database, Parquet under the work folder) instead of staged files (needs duckdb 1.5.5 and
the ``lake`` extra). Exit status 0 only when the run succeeded, the mapped crawl tasks ran on
two workers and the warehouses are equal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DAG_ID = "foiatrace_nightly"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = ("127.0.0.1", 6379)
DEMO_CONF = '{"export_window": "all"}'
PAGE_DELAY_S = 2.0  # seconds each demo page takes to answer (see run())
WORKERS = ("worker1", "worker2")
# processing times of tables kill_soak.VOLATILE does not list yet (newer migrations)
EXTRA_VOLATILE_SUFFIX = "_at"
DATA_TIMES = frozenset({"sent_at", "published_at", "modified_at", "email_sent_at"})


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections there (PostgreSQL, Redis)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    """What this run needs and cannot reach, in words (empty: ready)."""
    out = []
    if not reachable(PG["host"], int(PG["port"])):
        out.append(f"PostgreSQL at {PG['host']}:{PG['port']}")
    if not reachable(*REDIS):
        out.append(f"Redis at {REDIS[0]}:{REDIS[1]}")
    try:
        import airflow.providers.celery  # noqa: F401
        import psycopg2  # noqa: F401
    except ImportError as exc:
        out.append(f"Python package ({exc.name}): pip install -e .[dev]")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg(dbname: str = "postgres") -> Any:
    import psycopg2

    con = psycopg2.connect(dbname=dbname, **PG)
    con.autocommit = True
    return con


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database for this run, dropped (connections forced out) after."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    con = _pg()
    try:
        con.cursor().execute(f'CREATE DATABASE "{name}"')
    finally:
        con.close()
    try:
        yield name
    finally:
        con = _pg()
        try:
            con.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            con.close()


@dataclass
class Services:
    """The Airflow processes of the run, each in its own process group."""

    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(self.log_dir),
        )  # fmt: skip
        log.close()

    def dead(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM every process group, then SIGKILL what is left after ``grace`` seconds."""
        for p in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for p in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
        for p in self.procs.values():  # the group too: task processes of a worker
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each service's process group now (Linux /proc), in MB."""
        groups = {p.pid: name for name, p in self.procs.items()}
        out = dict.fromkeys(self.procs, 0.0)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pgid = int(fields[2])
                if pgid in groups:
                    status = (stat.parent / "status").read_text()
                    kb = next(
                        int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS")
                    )
                    out[groups[pgid]] += kb / 1024
            except (OSError, ValueError, IndexError, StopIteration):
                continue
        return {k: round(v, 1) for k, v in out.items()}

    def tail(self, name: str, lines: int = 25) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def forget_queue(queue: str) -> None:
    """Remove the run's queue (and kombu's bindings of it) from Redis."""
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=0)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def celery_env(base: dict[str, str], home: Path, meta_db: str, queue: str, port: int) -> dict:
    """Airflow's configuration for the run: CeleryExecutor, PostgreSQL metadata, Redis
    broker, one queue of its own, cron schedule off (only the triggered run runs)."""
    pg = f"postgres@{PG['host']}:{PG['port']}/{meta_db}"
    env = dict(base)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{pg}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "FOIATRACE_DAG_RETRIES": base.get("FOIATRACE_DAG_RETRIES", "1"),
            "FOIATRACE_DAG_RETRY_DELAY_S": base.get("FOIATRACE_DAG_RETRY_DELAY_S", "5"),
        }
    )
    return env


def _airflow(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    proc = subprocess.run(
        [airflow_bin(), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{proc.stdout[-2000:]}"
                           f"\n{proc.stderr[-3000:]}")  # fmt: skip
    return proc.stdout


def _wait(what: str, check: Any, timeout: float, services: Services) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = services.dead()
        if dead:
            raise RuntimeError(
                f"{', '.join(dead)} exited while waiting for {what}:\n{services.tail(dead[0])}"
            )
        with contextlib.suppress(Exception):
            got = check()
            if got:
                return got
        time.sleep(1)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def _api_healthy(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as r:
        return r.status == 200


def _query(meta_db: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    con = _pg(meta_db)
    try:
        cur = con.cursor()
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        con.close()


def task_instances(meta_db: str, run_id: str) -> list[dict[str, Any]]:
    """The run's task instances with state, hostname, pid, times and what each returned
    (the worker name, seconds and peak memory the task measured)."""
    rows = _query(
        meta_db,
        "SELECT ti.task_id, ti.map_index, ti.state, ti.hostname, ti.pid, ti.try_number, "
        "ti.start_date, ti.end_date, x.value FROM task_instance ti LEFT JOIN xcom x ON "
        "x.dag_id = ti.dag_id AND x.run_id = ti.run_id AND x.task_id = ti.task_id AND "
        "x.map_index = ti.map_index AND x.key = 'return_value' "
        "WHERE ti.dag_id = %s AND ti.run_id = %s ORDER BY ti.start_date",
        (DAG_ID, run_id),
    )
    out = []
    for task_id, map_index, state, host, pid, tries, start, end, value in rows:
        ret = value if isinstance(value, dict | list) else (json.loads(value) if value else None)
        ret_d = ret if isinstance(ret, dict) else {}
        out.append(
            {
                "task": task_id if map_index < 0 else f"{task_id}[{map_index}]",
                "state": state,
                "hostname": host,
                "pid": pid,
                "try": tries,
                "worker": ret_d.get("worker"),
                "outlet": ret_d.get("outlet"),
                "seconds": ret_d.get("seconds"),
                "peak_rss_mb": ret_d.get("peak_rss_mb"),
                "children_peak_rss_mb": ret_d.get("children_peak_rss_mb"),
                "start": start.isoformat() if start else None,
                "end": end.isoformat() if end else None,
                "wall_s": round((end - start).total_seconds(), 2) if start and end else None,
            }
        )
    return out


def fingerprint(db: Path) -> Any:
    """``kill_soak.fingerprint``, with the processing times of tables it does not know yet
    (``*_at`` columns that are not data times) left out too."""
    import duckdb

    sys.path.insert(0, str(REPO / "scripts"))
    import kill_soak as ks

    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main'"
        ).fetchall()
    finally:
        con.close()
    extra: dict[str, set[str]] = {}
    for table, col in cols:
        if table in ks.VOLATILE or col in DATA_TIMES:
            continue
        if col.endswith(EXTRA_VOLATILE_SUFFIX):
            extra.setdefault(table, set()).add(col)
    saved = dict(ks.VOLATILE)
    ks.VOLATILE.update({t: frozenset(c) for t, c in extra.items()})
    try:
        return ks.fingerprint(db)
    finally:
        ks.VOLATILE.clear()
        ks.VOLATILE.update(saved)


def reference_run(work: Path, settings: Any) -> Path:
    """The same DAG through ``airflow dags test`` (SQLite metadata, the default one-file
    warehouse, one writer): the reference warehouse."""
    from foiatrace.demo_run import run_dag_test

    run_dag_test(work / "reference-airflow", settings, quiet=True)
    return Path(settings.db)


@dataclass
class Result:
    """What the run showed."""

    run_id: str = ""
    state: str = ""
    task_instances: list[dict[str, Any]] = field(default_factory=list)
    crawl_workers: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    evidence_hash: str = ""
    reference_evidence_hash: str = ""
    differences: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    lake: dict[str, Any] = field(default_factory=dict)
    services_rss_mb: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.state == "success" and len(set(self.crawl_workers)) >= 2 and not self.differences
        )


def run(
    work: Path,
    reference: Path | None = None,
    lake: bool = False,
    timeout: float = 600,
    log: Any = print,
) -> Result:
    """Start everything, trigger the demo DAG, wait, list, compare, tear down."""
    from crawlers.serve import serve_site
    from foiatrace.dag_tasks import WORKER_ENV, WRITER_POOL
    from foiatrace.demo_run import DEMO_DIR, airflow_env, demo_settings

    result = Result()
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    home = work / "airflow"
    home.mkdir(exist_ok=True)
    t0 = time.monotonic()
    with contextlib.ExitStack() as stack:
        meta_db = stack.enter_context(fresh_database("foiatrace_airflow"))
        # Each page answers after PAGE_DELAY_S, so a crawl outlasts the ingest that may start
        # beside it: a worker that finishes first then takes the next queued crawl, and the
        # crawls spread over both workers whatever order the scheduler queued them in (without
        # it one worker could take every sub-second crawl while the other ingested).
        base_url = stack.enter_context(serve_site(DEMO_DIR / "site", delay=PAGE_DELAY_S))
        settings = demo_settings(work / "celery" / "foiatrace.duckdb", base_url)
        base = airflow_env(home, settings)
        if lake:
            lake_db = stack.enter_context(fresh_database("foiatrace_lake"))
            base["FOIATRACE_WAREHOUSE"] = (
                f"ducklake:postgres:dbname={lake_db} host={PG['host']} user={PG['user']}"
            )
            base["FOIATRACE_LAKE_DATA"] = str(work / "lake-data")
        queue = f"foiatrace-{os.getpid()}-{secrets.token_hex(3)}"
        stack.callback(forget_queue, queue)
        port = free_port()
        env = celery_env(base, home, meta_db, queue, port)
        log(f"metadata: postgresql {meta_db}; broker: redis queue {queue}; AIRFLOW_HOME {home}")
        _airflow(env, "db", "migrate", timeout=300)
        _airflow(env, "pools", "set", WRITER_POOL, "1", "foiatrace warehouse writer")
        result.seconds["setup"] = round(time.monotonic() - t0, 1)

        services = Services(work)
        stack.callback(services.stop)
        af = airflow_bin()
        services.start("api-server", [af, "api-server", "--port", str(port), "-w", "1"], env)
        services.start("scheduler", [af, "scheduler"], env)
        services.start("dag-processor", [af, "dag-processor"], env)
        for name in WORKERS:
            services.start(
                name,
                [af, "celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency",
                 "1", "--queues", queue, "--skip-serve-logs", "--without-mingle",
                 "--without-gossip"],
                {**env, WORKER_ENV: name},
            )  # fmt: skip
        _wait("the api-server", lambda: _api_healthy(port), 120, services)
        for name in WORKERS:  # both consuming before the trigger, or one takes every task
            _wait(
                f"{name} to be ready",
                lambda n=name: " ready." in services.tail(n, 400) or None,
                120,
                services,
            )
        _wait(
            "the DAG to be parsed",
            lambda: _query(meta_db, "SELECT 1 FROM dag WHERE dag_id = %s", (DAG_ID,)),
            120,
            services,
        )
        result.seconds["services_up"] = round(time.monotonic() - t0, 1)
        run_id = f"distributed__{int(time.time())}"
        log(f"airflow dags trigger {DAG_ID} -r {run_id} -c '{DEMO_CONF}'")
        _airflow(env, "dags", "trigger", DAG_ID, "-r", run_id, "-c", DEMO_CONF)
        result.run_id = run_id
        started = time.monotonic()

        def finished() -> str | None:
            rows = _query(
                meta_db,
                "SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s",
                (DAG_ID, run_id),
            )
            state = rows[0][0] if rows else None
            return state if state in ("success", "failed") else None

        result.state = _wait(f"DAG run {run_id}", finished, timeout, services)
        result.services_rss_mb = services.rss_mb()  # idle again, after the run
        result.seconds["dag_run"] = round(time.monotonic() - started, 1)
        result.task_instances = task_instances(meta_db, run_id)
        result.crawl_workers = [
            str(ti["worker"]) for ti in result.task_instances if ti["task"].startswith("crawl[")
        ]
        if result.state != "success":
            log(services.tail("worker1", 60))
        if lake:
            result.lake = lake_summary(base)
        services.stop()
        result.seconds["teardown_done"] = round(time.monotonic() - t0, 1)

        if result.state == "success":
            ref = reference or reference_run(work, _ref_settings(work, base_url))
            got, want = fingerprint(settings.db), fingerprint(ref)
            result.counts = got.counts
            result.evidence_hash = got.evidence
            result.reference_evidence_hash = want.evidence
            result.differences = got.diff(want)
    result.seconds["total"] = round(time.monotonic() - t0, 1)
    return result


def _ref_settings(work: Path, base_url: str) -> Any:
    from foiatrace.demo_run import demo_settings

    return demo_settings(work / "reference" / "foiatrace.duckdb", base_url)


def lake_summary(env: dict[str, str]) -> dict[str, Any]:
    """The lake's crawl attempts (who wrote, when, which snapshot) after a --lake run."""
    old = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("FOIATRACE_")})
    try:
        from warehouse import lake

        cfg = lake.configured()
        assert cfg is not None
        con = lake.connect(cfg)
        try:
            rows = con.execute(
                "SELECT outlet, attempt, host, pid, items, discovery, started_at, committing_at "
                "FROM crawl_attempts ORDER BY started_at"
            ).fetchall()
            staged = con.execute("SELECT count(*) FROM crawl_items").fetchone()
        finally:
            con.close()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return {
        "attempts": [
            {
                "outlet": r[0],
                "attempt": r[1],
                "pid": r[3],
                "items": r[4],
                "discovery": r[5],
                "started_at": r[6].isoformat(),
                "committing_at": r[7].isoformat(),
            }
            for r in rows
        ],  # fmt: skip
        "crawl_items": staged[0] if staged else 0,
    }


def report(result: Result, out: Any = print) -> None:
    out(f"DAG run {result.run_id}: {result.state}")
    out(f"{'task':<16} {'state':<8} {'worker':<8} {'hostname':<10} {'pid':>7} {'wall_s':>7} "
        f"{'task_s':>7} {'rss_mb':>7} {'child_mb':>8}")  # fmt: skip
    for ti in result.task_instances:
        out(
            f"{ti['task']:<16} {ti['state'] or '-':<8} {ti['worker'] or '-':<8} "
            f"{ti['hostname'] or '-':<10} {ti['pid'] or 0:>7} {ti['wall_s'] or 0:>7} "
            f"{ti['seconds'] or 0:>7} {ti['peak_rss_mb'] or 0:>7} "
            f"{ti['children_peak_rss_mb'] or 0:>8}"
        )
    out(f"mapped crawl tasks ran on: {sorted(set(result.crawl_workers))}")
    if result.lake:
        out("lake crawl attempts: " + json.dumps(result.lake, indent=1))
    if result.counts:
        out("warehouse rows: " + json.dumps(result.counts, sort_keys=True))
        out(f"evidence hash {result.evidence_hash[:16]} (dags test: "
            f"{result.reference_evidence_hash[:16]})")  # fmt: skip
        out("warehouse equal to the `airflow dags test` one: "
            + ("yes" if not result.differences else f"NO: {result.differences}"))  # fmt: skip
    out("services' resident memory after the run (MB): " + json.dumps(result.services_rss_mb))
    out("seconds: " + json.dumps(result.seconds))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workdir", type=Path, help="keep everything here (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="do not delete the temp dir")
    p.add_argument("--lake", action="store_true", help="crawls write to a DuckLake")
    p.add_argument("--reference", type=Path, help="compare with this warehouse instead")
    p.add_argument("--json", type=Path, help="write the result as JSON here")
    p.add_argument("--timeout", type=float, default=600, help="seconds for the DAG run")
    args = p.parse_args(argv)
    missing = missing_services()
    if missing:
        print("cannot run: " + "; ".join(missing), file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="foiatrace-distributed-"))

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds the ExitStack: processes killed, databases dropped

    signal.signal(signal.SIGTERM, on_term)
    try:
        result = run(work, args.reference, args.lake, args.timeout)
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result.__dict__, indent=1, default=str), encoding="utf-8")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
