"""Pinned quality floors (trafilatura-style gate): they only move up.

The whole pipeline on labelled scenarios: the bundled demo always, the shared dev scenario
when ../shared is present, from the .eml files and from the printed PDF.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from foiatrace.evals.scenario import run_scenario

# Floors a little under the figures measured when they were pinned (README, issue notes).
FLOORS = {
    "dev": {"strict_f1": 0.95, "lenient_f1": 0.95, "lenient_p": 0.97, "details": 0.95},
    "demo": {"strict_f1": 0.95, "lenient_f1": 0.95, "lenient_p": 0.97, "details": 0.90},
}
NEVER_REPORTED = ("published_before_email", "different_person", "public_source", "boilerplate")


def _check(name: str, scenario: Path, source: str) -> None:
    res = run_scenario(scenario, source, baselines=False)
    floor = FLOORS[name]
    assert res.strict.f1 >= floor["strict_f1"], res.strict
    assert res.lenient.f1 >= floor["lenient_f1"], res.lenient
    assert res.lenient.precision >= floor["lenient_p"], res.lenient
    assert res.detail_recall >= floor["details"], (res.details_found, res.details_total)
    for reason in NEVER_REPORTED:
        reported = res.lookalikes_reported.get(reason, "0/0").split("/")[0]
        assert reported == "0", f"{reason} look-alikes reported: {res.lookalikes_reported}"


@pytest.mark.parametrize("source", ["eml", "pdf"])
def test_dev_scenario_gate(dev_scenario: Path, source: str) -> None:
    _check("dev", dev_scenario, source)


def test_demo_gate(demo_dir: Path) -> None:
    _check("demo", demo_dir, "eml")
