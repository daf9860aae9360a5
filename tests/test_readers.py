"""One table of readers: ingest's dispatch, `ingest --help` and the README list the same formats."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from foia.readers import BY_EXTENSION, READERS, ReadOptions, reader_for, readme_formats, version_key
from foiatrace.cli import app

REPO = Path(__file__).resolve().parents[1]
_EXT_RE = re.compile(r"(?<![\w./])\.[a-z]{2,5}\b")


def _readme_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- formats:[^>]*-->\n(.*?)\n<!-- /formats -->", readme, re.S)
    assert m, "README has no <!-- formats --> block"
    return m.group(1)


def test_readme_lists_exactly_the_readers_table() -> None:
    block = _readme_block()
    assert block == readme_formats(), "README's formats differ from foia/readers.py READERS"
    assert set(_EXT_RE.findall(block)) == set(BY_EXTENSION)


def test_ingest_help_lists_exactly_the_readers_table() -> None:
    result = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert set(_EXT_RE.findall(text)) == set(BY_EXTENSION)
    assert "not yet supported" not in text
    for r in READERS:
        assert r.description.split(",")[0] in text


def test_dispatch_is_the_table() -> None:
    for r in READERS:
        for ext in r.extensions:
            assert reader_for(f"x{ext}") is r and reader_for(f"DIR/X{ext.upper()}") is r
    assert reader_for("notes.docx") is None and reader_for("README") is None
    assert len(BY_EXTENSION) == sum(len(r.extensions) for r in READERS)  # no ext claimed twice


def test_version_key_names_what_the_output_depends_on() -> None:
    by = {r.name: r for r in READERS}
    ny, chi = ReadOptions("America/New_York"), ReadOptions("America/Chicago")
    assert version_key(by["eml"], ny) == version_key(by["eml"], chi)
    assert version_key(by["text"], ny) != version_key(by["text"], chi)
    assert version_key(by["pdf"], ny) != version_key(by["pdf"], ReadOptions(ny.tz, ocr="force"))
    assert version_key(by["pdf"], ny) in version_key(by["zip"], ny)  # archives re-open on bumps
