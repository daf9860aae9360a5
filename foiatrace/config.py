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
    timezone: str = "America/New_York"  # printed times' zone when no cue places a mailbox
    # addresses or domains whose zone is known (offices, newsrooms): cues for printed times
    known_zones: dict[str, str] = field(default_factory=dict)

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
        if raw.get("timezone"):
            s.timezone = str(raw["timezone"])
        if raw.get("known_zones"):
            s.known_zones = parse_known_zones(raw["known_zones"])
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
        env["FOIATRACE_TIMEZONE"] = self.timezone
        if self.known_zones:
            env["FOIATRACE_KNOWN_ZONES"] = ",".join(f"{k}={v}" for k, v in self.known_zones.items())
        return env


def parse_known_zones(value: str | dict[str, str] | list[str]) -> dict[str, str]:
    """``agency.gov=America/New_York,tribune.example=America/Chicago`` (or a mapping, or a
    list of ``key=zone``) -> {address or domain: IANA zone}; a bad entry is a ValueError
    naming it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if isinstance(value, dict):
        items = list(value.items())
    else:
        parts = value if isinstance(value, list) else str(value).split(",")
        items = []
        for part in (p.strip() for p in parts):
            if not part:
                continue
            key, sep, zone = part.partition("=")
            if not sep or not key.strip() or not zone.strip():
                raise ValueError(f"{part!r}: expected ADDRESS_OR_DOMAIN=ZONE")
            items.append((key, zone))
    out = {}
    for key, zone in items:
        try:
            ZoneInfo(zone.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{key.strip()}={zone.strip()}: not an IANA time zone") from exc
        out[key.strip().lower()] = zone.strip()
    return out
