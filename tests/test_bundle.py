"""Evidence bundles: made from the demo with its archived records and production files,
verified, caught when one byte changes or a file is added or lost; --redact-names gives an
outside person one consistent Person number."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_exports import _small_warehouse, cli_app
from typer.testing import CliRunner

from foiatrace.demo_run import run_demo
from warehouse.bundle import payload_sha256, sha256_file
from warehouse.db import connect

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    db = tmp_path_factory.mktemp("demo-bundle") / "demo.duckdb"
    run_demo(db, use_airflow=False, quiet=True)
    return db


def _run(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli_app(), ["--db", str(db), *args])
    return result.exit_code, result.output


def test_make_verify_and_tamper(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, text = _run(demo_db, "bundle", "make", str(out))
    assert code == 0, text
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {f"evidence.{s}" for s in ("csv", "json", "parquet", "xlsx", "html")} <= names
    assert {"manifest.json", "README.txt"} <= names
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == names - {"manifest.json"}

    # each archived record is the one the warehouse names, its payload hash intact
    records = manifest["archived_records"]
    assert records and all(r["status"] == "payload sha256 matches" for r in records)
    for r in records:
        rid, digest = payload_sha256((out / r["file"]).read_bytes())
        assert (rid, digest) == (r["warc_record_id"], r["warc_sha256"])
    con = connect(demo_db, read_only=True)
    sources = {
        s: h for s, h in con.execute("SELECT source_file, source_sha256 FROM emails").fetchall()
    }
    con.close()
    assert manifest["sources"]
    for s in manifest["sources"]:
        assert s["status"] == "sha256 matches ingest"
        assert sha256_file(out / s["file"]) == sources[s["source_file"]]
    rows = list(csv.DictReader((out / "evidence.csv").open(encoding="utf-8")))
    assert len(rows) == manifest["rows"] > 0
    report = (out / "evidence.html").read_text(encoding="utf-8")
    assert 'href="archive/' in report and 'href="sources/' in report

    code, text = _run(demo_db, "bundle", "verify", str(out))
    assert code == 0, text
    assert "every file matches" in text

    target = out / records[0]["file"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    code, text = _run(demo_db, "bundle", "verify", str(out))
    assert code == 1 and records[0]["file"] in text and "changed" in text
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert _run(demo_db, "bundle", "verify", str(out))[0] == 0

    (out / "extra.txt").write_text("not in the manifest", encoding="utf-8")
    (out / "evidence.json").unlink()
    code, text = _run(demo_db, "bundle", "verify", str(out))
    assert code == 1 and "extra.txt" in text and "evidence.json: missing" in text


def test_make_refuses_a_folder_in_use(demo_db: Path, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x", encoding="utf-8")
    code, text = _run(demo_db, "bundle", "make", str(tmp_path / "b"))
    assert code == 1 and "not empty" in " ".join(text.split())


def test_redact_names_is_consistent(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _small_warehouse(db)
    con = connect(db)
    con.execute(
        "UPDATE disclosures SET email_quote = 'Luis Ortega is a citizen of Peru, press said.', "
        "article_quote = 'Ortega, a Peruvian national, told reporter Kim.' "
        "WHERE detail_key = 'citizenship:peru'"
    )
    con.execute(
        "UPDATE disclosures SET email_quote = 'Luis Ortega is 40.', article_quote = "
        "'Ortega is 40, said Vesper Falls police.' WHERE detail_key = 'identity:age-40'"
    )
    con.close()
    out = tmp_path / "public"
    code, text = _run(db, "bundle", "make", str(out), "--redact-names")
    assert code == 0, text
    rows = {
        r["detail_key"]: r for r in csv.DictReader((out / "evidence.csv").open(encoding="utf-8"))
    }
    peru, age = rows["citizenship:peru"], rows["identity:age-40"]
    assert "Ortega" not in json.dumps(list(rows.values()))
    label = peru["email_quote"].split(" is ")[0]
    assert label.startswith("Person ") and peru["article_quote"].startswith(label + ",")
    assert age["email_quote"] == f"{label} is 40." and age["article_quote"].startswith(label)
    assert "Vesper Falls" in age["article_quote"]  # a place, not a person
    assert peru["email_to"].startswith("Person ") and "kim@" not in peru["email_to"]
    assert peru["email_to"] != label and peru["email_from"] == "press@agency.example"
    for name in ("evidence.json", "evidence.html"):
        assert "Ortega" not in (out / name).read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["names_redacted"] and not (out / "sources").exists()
    assert {w["kind"] for w in manifest["withheld_originals"]} == {"production file"}
    assert "Person N" in (out / "README.txt").read_text(encoding="utf-8")
    assert _run(db, "bundle", "verify", str(out))[0] == 0
