"""Exports for a lawyer: every format holds the same rows and columns (the contract's 16
first), the filters narrow as asked, the workbook is typed and opens in LibreOffice, the
report renders in Chromium with the shared details marked, and text stays text."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from foia.models import Message
from foiatrace.demo_run import run_demo
from matching.score import PAIR_FEATURES
from warehouse import load
from warehouse.db import connect
from warehouse.export import CONTRACT_COLUMNS, EVIDENCE_COLUMNS, EXPORTERS, export_evidence
from warehouse.exports.explain import FEATURE_WORDS, explain

runner = CliRunner()
URL = "https://news.example/a.html"
URL2 = "https://other.example/b.html"


def cli_app() -> typer.Typer:
    """foiatrace's app with the evidence commands (wired in cli.py, or here until it is)."""
    from typer.main import get_command

    from foiatrace import cli
    from foiatrace.cli_evidence import register

    if "bundle" in get_command(cli.app).commands:  # type: ignore[attr-defined]
        return cli.app
    app = typer.Typer()
    app.callback()(cli.main)
    register(app)
    return app


def _small_warehouse(db: Path) -> None:
    """Two messages, two articles (two outlets), three disclosures; the second message's
    quote is a formula and a script tag, as text from a production may be."""
    con = connect(db)
    msgs = [
        Message(source_file="a.eml", source_sha256="0" * 64, source_kind="eml", bates="B-1",
                message_id="m1@x", sent_at=datetime(2019, 3, 1, 15, tzinfo=UTC),
                email_from="press@agency.example", email_to=["kim@news.example"],
                own_text="He is a citizen of Peru."),
        Message(source_file="b.eml", source_sha256="1" * 64, source_kind="eml", bates="B-2",
                message_id="m2@x", sent_at=datetime(2019, 4, 10, 9, tzinfo=UTC),
                email_from="press@agency.example", email_to=["lee@other.example"],
                own_text="=1+1 <script>alert(1)</script> He overstayed a visa."),
    ]  # fmt: skip
    load.upsert_messages(con, "p", msgs[:1])
    load.upsert_messages(con, "q", msgs[1:])
    load.upsert_article_versions(
        con,
        [
            {"url": URL, "outlet": "news", "text": "A Peruvian national.",
             "published_at": "2019-03-02T15:00:00+00:00",
             "fetched_at": "2019-03-03T00:00:00+00:00"},
            {"url": URL2, "outlet": "other", "text": "He overstayed.",
             "published_at": "2019-04-11T09:00:00+00:00",
             "fetched_at": "2019-04-12T00:00:00+00:00"},
        ],
    )  # fmt: skip
    feats = json.dumps({"n_details": 2.0, "new_details": 2.0, "to_outlet": 1.0, "lag_days": 1.0})
    con.execute(
        "INSERT INTO disclosures VALUES "
        "('p:B-1', ?, 'citizenship:peru', 0, 'citizenship', 'k', 'He is a citizen of Peru.', "
        " 'A Peruvian national.', ['citizenship:peru'], 0.9, 0.7, 24.0, NULL, ?, 'test', now(), "
        " NULL, NULL),"
        "('p:B-1', ?, 'identity:age-40', 1, 'identity', 'k', 'He is 40.', 'He is 40.', "
        " ['identity:age-40'], 0.6, 0.7, 24.0, NULL, ?, 'test', now(), NULL, NULL),"
        "('q:B-2', ?, 'immigration_status:overstay', 0, 'immigration_status', 'k2', "
        " '=1+1 <script>alert(1)</script> He overstayed a visa.', '@SUM(A1) He overstayed.', "
        " ['immigration_status:overstay'], 0.8, 0.7, 24.0, NULL, ?, 'test', now(), NULL, NULL)",
        [URL, feats, URL, feats, URL2, feats],
    )
    con.execute(
        "INSERT INTO reviews VALUES ('p:B-1', ?, 'citizenship:peru', 'confirmed', 'ann', "
        "'checked the page', now())",
        [URL],
    )
    con.close()


@pytest.fixture()
def small_db(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    _small_warehouse(db)
    return db


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    db = tmp_path_factory.mktemp("demo-exports") / "demo.duckdb"
    run_demo(db, use_airflow=False, quiet=True)
    return db


def _columns(path: Path, fmt: str) -> tuple[list[str], int]:
    """Header and row count of an export, read back with the format's own reader."""
    if fmt == "csv":
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        return rows[0], len(rows) - 1
    if fmt == "json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        return (list(rows[0]) if rows else []), len(rows)
    if fmt == "parquet":
        rel = duckdb.sql(f"SELECT * FROM '{path}'")
        return rel.columns, len(rel.fetchall())
    if fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(path)["evidence"]
        return [c.value for c in ws[1]], ws.max_row - 1
    text = path.read_text(encoding="utf-8")
    return [], text.count('<section class="disclosure"')


def _export(db: Path, fmt: str, out: Path, *args: str) -> None:
    result = runner.invoke(
        cli_app(), ["--db", str(db), "export", "evidence", "-f", fmt, "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output


def test_registry_has_every_format_and_the_cli_offers_them() -> None:
    assert list(EXPORTERS) == ["csv", "json", "parquet", "xlsx", "html"]
    help_text = runner.invoke(cli_app(), ["export", "evidence", "--help"]).output
    for name in EXPORTERS:
        assert name in help_text


def test_columns_contract_first_then_review_keys() -> None:
    assert EVIDENCE_COLUMNS[:16] == CONTRACT_COLUMNS
    assert CONTRACT_COLUMNS == [
        "bates", "message_id", "email_sent_at", "email_from", "email_to", "email_quote",
        "article_url", "outlet", "article_published_at", "article_quote", "detail_type",
        "shared_details", "score", "lag_hours", "syndicated_from", "verdict",
    ]  # fmt: skip
    for c in ("detail_key", "msg_key", "explanation", "production", "source_file", "pages",
              "warc_file", "warc_record_id", "warc_sha256", "reviewer", "note"):  # fmt: skip
        assert c in EVIDENCE_COLUMNS[19:]


def test_every_format_has_the_same_columns_and_rows(demo_db: Path, tmp_path: Path) -> None:
    counts = {}
    for fmt, ex in EXPORTERS.items():
        out = tmp_path / f"e{ex.suffix}"
        _export(demo_db, fmt, out)
        cols, counts[fmt] = _columns(out, fmt)
        if fmt != "html":
            assert cols == EVIDENCE_COLUMNS, fmt
    tabular = {counts[f] for f in ("csv", "json", "parquet", "xlsx")}
    assert len(tabular) == 1 and tabular.pop() > 0
    con = connect(demo_db, read_only=True)
    pairs = con.execute(
        "SELECT count(DISTINCT (msg_key, article_url)) FROM evidence_full WHERE score >= 0.5"
    ).fetchone()[0]  # type: ignore[index]
    con.close()
    assert counts["html"] == pairs  # one section per disclosure (message x article)


def test_evidence_full_agrees_with_the_evidence_view(demo_db: Path) -> None:
    con = connect(demo_db, read_only=True)
    cols = ", ".join(CONTRACT_COLUMNS + ["lag_hours_min", "lag_hours_max", "lag_uncertain",
                                         "detail_key", "msg_key", "features::VARCHAR"])  # fmt: skip
    a = con.execute(f"SELECT {cols} FROM evidence EXCEPT ALL SELECT {cols} FROM evidence_full")
    b = con.execute(f"SELECT {cols} FROM evidence_full EXCEPT ALL SELECT {cols} FROM evidence")
    assert a.fetchall() == [] and b.fetchall() == []
    comments = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'evidence_full' "
        "AND (comment IS NULL OR comment = '')"
    ).fetchall()
    con.close()
    assert comments == []


def _keys(path: Path) -> set[tuple[str, str]]:
    return {(r["msg_key"], r["detail_key"]) for r in csv.DictReader(path.open(encoding="utf-8"))}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {("p:B-1", "citizenship:peru"), ("p:B-1", "identity:age-40"),
              ("q:B-2", "immigration_status:overstay")}),
        (["--outlet", "other"], {("q:B-2", "immigration_status:overstay")}),
        (["--outlet", "news", "--outlet", "other"], {("p:B-1", "citizenship:peru"),
         ("p:B-1", "identity:age-40"), ("q:B-2", "immigration_status:overstay")}),
        (["--since", "2019-04-10"], {("q:B-2", "immigration_status:overstay")}),
        (["--until", "2019-03-01"], {("p:B-1", "citizenship:peru"), ("p:B-1", "identity:age-40")}),
        (["--until", "2019-02-28"], set()),
        (["--detail-type", "identity"], {("p:B-1", "identity:age-40")}),
        (["--min-score", "0.85"], {("p:B-1", "citizenship:peru")}),
        (["--verdict", "confirmed"], {("p:B-1", "citizenship:peru")}),
        (["--verdict", "none"], {("p:B-1", "identity:age-40"),
                                 ("q:B-2", "immigration_status:overstay")}),
        (["--production", "q"], {("q:B-2", "immigration_status:overstay")}),
        (["--production", "p", "--detail-type", "citizenship", "--verdict", "confirmed"],
         {("p:B-1", "citizenship:peru")}),
    ],
)  # fmt: skip
def test_each_filter_narrows(
    small_db: Path, tmp_path: Path, args: list[str], expected: set
) -> None:
    out = tmp_path / "e.csv"
    _export(small_db, "csv", out, *args)
    assert _keys(out) == expected


def test_filters_are_bound_not_spliced(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    _export(small_db, "csv", out, "--outlet", "news' OR 1=1 --")
    assert _keys(out) == set()
    bad = runner.invoke(
        cli_app(), ["--db", str(small_db), "export", "evidence", "-f", "csv", "-o", str(out),
                    "--since", "2019-13-01"],
    )  # fmt: skip
    assert bad.exit_code == 2 and "2019-13-01" in bad.output


def test_filters_narrow_the_demo(demo_db: Path, tmp_path: Path) -> None:
    everything = tmp_path / "all.csv"
    _export(demo_db, "csv", everything)
    rows = list(csv.DictReader(everything.open(encoding="utf-8")))
    outlet = rows[0]["outlet"]
    day = rows[-1]["email_sent_at"][:10]
    dtype = rows[0]["detail_type"]
    for args, keep in (
        (["--outlet", outlet], lambda r: r["outlet"] == outlet),
        (["--since", day], lambda r: r["email_sent_at"][:10] >= day),
        (["--until", day], lambda r: r["email_sent_at"][:10] <= day),
        (["--detail-type", dtype], lambda r: r["detail_type"] == dtype),
        (["--production", "demo"], lambda r: True),
        (["--verdict", "none"], lambda r: not r["verdict"]),
    ):
        out = tmp_path / "f.csv"
        _export(demo_db, "csv", out, *args)
        got = list(csv.DictReader(out.open(encoding="utf-8")))
        assert got == [r for r in rows if keep(r)], args


def test_rows_carry_the_review_key_and_provenance(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.json"
    _export(demo_db, "json", out)
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert all(r["detail_key"] and r["msg_key"] and r["production"] == "demo" for r in rows)
    assert all(r["source_file"] for r in rows)
    assert all(r["warc_file"] and r["warc_record_id"] and r["warc_sha256"] for r in rows)
    assert all(r["explanation"].startswith(("sent", "internal", "on a thread")) for r in rows)
    keys = [(r["msg_key"], r["article_url"], r["detail_key"], r["article_quote"]) for r in rows]
    assert len(set(keys)) == len(keys)  # no two rows look alike any more


def test_explanation_is_words_for_every_feature() -> None:
    assert set(PAIR_FEATURES) <= set(FEATURE_WORDS)
    f = {"to_outlet": 1.0, "n_details": 2.0, "new_details": 2.0, "lag_days": 26 / 24}
    text = explain(f, None)
    assert (
        text
        == "sent to the outlet's reporter; 2 shared details not public before; published 26 h later"
    )
    assert explain(f, None) == text and explain({}, 3.0) == ""


def test_text_that_looks_like_a_formula_stays_text(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    _export(small_db, "csv", out, "--production", "q")
    raw = out.read_text(encoding="utf-8")
    assert "\r" not in raw
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["email_quote"].startswith("'=1+1") and row["article_quote"].startswith("'@SUM")
    xlsx = tmp_path / "e.xlsx"
    _export(small_db, "xlsx", xlsx, "--production", "q")
    from openpyxl import load_workbook

    ws = load_workbook(xlsx)["evidence"]
    col = EVIDENCE_COLUMNS.index("email_quote") + 1
    cell = ws.cell(2, col)
    assert cell.data_type == "s" and cell.value.startswith("=1+1")
    assert ws.cell(2, EVIDENCE_COLUMNS.index("article_quote") + 1).data_type == "s"


def test_xlsx_is_typed_linked_filtered_and_documented(demo_db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "e.xlsx"
    _export(demo_db, "xlsx", out, "--outlet", "red-river-courier")
    wb = load_workbook(out)
    assert wb.sheetnames == ["evidence", "summary", "metadata"]
    ws = wb["evidence"]
    sent = ws.cell(2, EVIDENCE_COLUMNS.index("email_sent_at") + 1)
    assert isinstance(sent.value, datetime) and "UTC" in sent.number_format
    url = ws.cell(2, EVIDENCE_COLUMNS.index("article_url") + 1)
    assert url.hyperlink is not None and url.hyperlink.target == url.value
    warc = ws.cell(2, EVIDENCE_COLUMNS.index("warc_file") + 1)
    # a local file link (xlsxwriter writes it Excel's way, with backslashes)
    assert warc.hyperlink is not None
    assert warc.hyperlink.target.replace("\\", "/").endswith("/archive/" + warc.value)
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["F"].width >= 50  # email_quote, wrapped
    assert ws.cell(2, 6).alignment.wrap_text
    assert isinstance(ws.cell(2, EVIDENCE_COLUMNS.index("score") + 1).value, float)
    meta = {r[0].value: r[1].value for r in wb["metadata"].iter_rows(min_row=2)}
    assert meta["threshold (min score)"] == "0.5"
    assert meta["matcher version"] == "0.5"
    assert "outlet = red-river-courier" in meta["filters"]
    assert meta["warehouse"].endswith("demo.duckdb")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["exported at (UTC)"])
    assert meta["foiatrace version"]
    summary = {r[0].value: r[1].value for r in wb["summary"].iter_rows(min_row=2)}
    assert summary["outlets"] == 1 and summary["disclosures (message x article)"] >= 1
    assert summary["lag median (hours)"] is not None


def test_xlsx_opens_in_libreoffice(demo_db: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    if not Path(soffice).exists():
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "e.xlsx"
    _export(demo_db, "xlsx", out)
    conv = tmp_path / "conv"
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--convert-to", "csv", "--outdir", str(conv), str(out)],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader((conv / "e.csv").open(encoding="utf-8", errors="replace")))
    assert rows[0][:16] == CONTRACT_COLUMNS
    # a typed date, shown by its number format (stored text would read 2020-12-08T16:52:17Z)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[1][2]), rows[1][2]
    assert "T" not in rows[1][2]


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("Chromium is not installed")
    return path


def _chrome(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={tmp_path / 'chrome'}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_html_report_renders_with_marks_and_text_as_text(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _export(small_db, "html", out)
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http" not in re.sub(r'href="https?://[^"]*"|https?://[\w./-]+', "", html)
    assert "thead{display:table-header-group}" in html and "break-before:page" in html
    assert html.index("Summary") < html.index('class="disclosure"')
    shot = tmp_path / "shot.png"
    proc = _chrome(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", out.as_uri())
    assert shot.exists() and shot.stat().st_size > 1000, proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = _chrome(tmp_path, "--dump-dom", out.as_uri()).stdout
    assert "A <mark" in dom and ">Peruvian</mark> national." in dom
    assert re.search(r"<mark[^>]*>Peru</mark>", dom)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script>alert" not in dom
    assert dom.count('class="disclosure"') == 2  # two disclosures: one section each
    assert "checked the page" in dom and "confirmed" in dom


def test_html_groups_a_disclosures_details_and_marks_the_demo(
    demo_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    _export(demo_db, "html", out)
    dom = _chrome(tmp_path, "--dump-dom", out.as_uri()).stdout
    assert dom.count("<mark") >= 10
    # one table row per pair of quotes, however many details they share
    for section in dom.split('<section class="disclosure"')[1:]:
        quotes = re.findall(r'<td class="q">(.*?)</td><td class="q">(.*?)</td>', section, re.S)
        assert quotes
        assert len(quotes) == len(set(quotes))
    assert "Archived page" in dom and "Why it was reported" in dom


def test_pipeline_export_keeps_its_signature(small_db: Path, tmp_path: Path) -> None:
    con = connect(small_db, read_only=True)
    n = export_evidence(con, "csv", tmp_path / "e.csv", 0.5)
    m = export_evidence(con, "csv", tmp_path / "f.csv", 0.5, outlet="news", verdict="confirmed")
    con.close()
    assert (n, m) == (3, 1)
