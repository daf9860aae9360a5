"""The README's limits table is the one `foia/limits.py` builds: they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from foia.limits import readme_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_exactly_the_limits() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- limits -->\n(.*?)\n<!-- /limits -->", text, re.S)
    assert found, "README lacks the <!-- limits --> block"
    assert found.group(1).strip() == readme_table().strip()
