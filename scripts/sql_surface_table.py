"""Throw ``foiatrace.sql_guard.HOSTILE_EXAMPLES`` at the real `foiatrace sql` command (one
process each, on a fresh warehouse beside another DuckDB file) and print a Markdown table:
statement | expected | outcome (exit code, first line of stderr) | files unchanged.

    .venv/bin/python scripts/sql_surface_table.py [--timeout 1]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from foia.models import Message
from foiatrace.sql_guard import HOSTILE_EXAMPLES
from warehouse import load
from warehouse.db import connect

CLI = "from foiatrace.cli import run; run()"


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _warehouse(root: Path) -> Path:
    """A warehouse with one message, and another DuckDB file beside it."""
    db = root / "w.duckdb"
    con = connect(db)
    load.upsert_messages(
        con,
        "p",
        [
            Message(
                source_file="a.eml", source_sha256="0" * 64, source_kind="eml", bates="B-1",
                message_id="m@x", sent_at=datetime(2019, 3, 1, 15, tzinfo=UTC),
                email_from="press@agency.example", own_text="He is a citizen of Peru.",
            )
        ],
    )  # fmt: skip
    con.close()
    other = duckdb.connect(str(root / "other.duckdb"))
    other.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    other.close()
    return db


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", default="1", help="--timeout given to `foiatrace sql`")
    ap.add_argument("--max-rows", default="5", help="--max-rows given to `foiatrace sql`")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = _warehouse(root)
        print("| statement | expected | outcome | files unchanged |")
        print("|---|---|---|---|")
        for h in HOSTILE_EXAMPLES:
            query = h.sql.format(other=root / "other.duckdb", out=root / "out.file")
            shown = h.sql.format(other="other.duckdb", out="out.file")
            before = _tree(root)
            proc = subprocess.run(
                [sys.executable, "-c", CLI, "--db", str(db), "sql", query, "--live",
                 "--timeout", args.timeout, "--max-rows", args.max_rows],
                capture_output=True, text=True, cwd=root, timeout=120,
            )  # fmt: skip
            said = (proc.stderr.strip().splitlines() or [""])[0]
            if proc.returncode == 0:
                rows = max(len(proc.stdout.strip().splitlines()) - 1, 0)
                said = f"{rows} rows" + (f"; {said}" if said else "")
            same = "yes" if _tree(root) == before else "**NO**"
            print(
                f"| `{_cell(shown)}` | {h.expect} | exit {proc.returncode}: {_cell(said)} "
                f"| {same} |"
            )


if __name__ == "__main__":
    main()
