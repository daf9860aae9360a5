"""Run configuration shared by the CLI's demo and the nightly DAG.

Read from environment variables (``FOIATRACE_*``), optionally overridden by a JSON Airflow
Variable named ``foiatrace`` with the same keys in lower case (``db``, ``outlets``, ...), so
an operator can repoint the nightly run without editing the DAG file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass
class Settings:
    db: Path = Path("foiatrace.duckdb")
    outlets: Path | None = None  # outlets TOML; no crawl without it
    base_url: str | None = None  # fetch every outlet from this origin (tests, demo)
    productions: list[Path] = field(default_factory=list)  # folders/files to ingest
    production: str | None = None  # production name (default: the first path's name)
    export_dir: Path | None = None  # evidence exports per data interval
    window_days: int = 30

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, override: dict[str, Any] | None = None
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        raw: dict[str, Any] = {
            f.name: env[f"FOIATRACE_{f.name.upper()}"]
            for f in fields(cls)
            if f"FOIATRACE_{f.name.upper()}" in env
        }
        raw.update({k: v for k, v in (override or {}).items() if v is not None})
        s = cls()
        if "db" in raw:
            s.db = Path(raw["db"])
        if raw.get("outlets"):
            s.outlets = Path(raw["outlets"])
        if raw.get("base_url"):
            s.base_url = str(raw["base_url"])
        if raw.get("productions"):
            prods = raw["productions"]
            items = prods if isinstance(prods, list) else str(prods).split(os.pathsep)
            s.productions = [Path(p) for p in items if str(p).strip()]
        if raw.get("production"):
            s.production = str(raw["production"])
        if raw.get("export_dir"):
            s.export_dir = Path(raw["export_dir"])
        if raw.get("window_days"):
            s.window_days = int(raw["window_days"])
        return s

    def to_env(self) -> dict[str, str]:
        env = {"FOIATRACE_DB": str(self.db), "FOIATRACE_WINDOW_DAYS": str(self.window_days)}
        if self.outlets:
            env["FOIATRACE_OUTLETS"] = str(self.outlets)
        if self.base_url:
            env["FOIATRACE_BASE_URL"] = self.base_url
        if self.productions:
            env["FOIATRACE_PRODUCTIONS"] = os.pathsep.join(str(p) for p in self.productions)
        if self.production:
            env["FOIATRACE_PRODUCTION"] = self.production
        if self.export_dir:
            env["FOIATRACE_EXPORT_DIR"] = str(self.export_dir)
        return env
