"""Shared fixtures. Airflow reads its configuration at import time, so its home and
settings are fixed here, before any test module imports it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="foiatrace-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Every crawl the tests start refuses (and reports) any connection off 127.0.0.1: a test
# that would reach the real web fails instead (crawlers/loopback.py).
os.environ.setdefault("FOIATRACE_LOOPBACK_ONLY", "1")

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "foiatrace" / "demo"


def shared_path() -> Path:
    return Path(os.environ.get("FOIATRACE_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared (or $FOIATRACE_SHARED); tests that need it skip on a user's machine."""
    path = shared_path()
    if not (path / "scenarios").is_dir():
        pytest.skip(f"shared material not found at {path} (set FOIATRACE_SHARED)")
    return path


@pytest.fixture(scope="session")
def dev_scenario(shared: Path) -> Path:
    path = shared / "scenarios" / "dev"
    if not (path / "labels.jsonl").exists():
        pytest.skip(f"dev scenario not found at {path}")
    return path


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    assert (DEMO / "outlets.toml").exists(), "bundled demo corpus missing"
    return DEMO
