"""`foiatrace eval intake`: the same production read as EML and as a printout must agree.

Builds two (or three) warehouses with the real ingest step: ``emails/*.eml`` and
``production/production.pdf`` of a scenario (and, with ``--scanned``, that PDF rendered to
page images and read back through OCR, or a scanned PDF given with ``--scanned-pdf``),
then compares them per Bates number *from the ``messages`` views*: ``sent_at`` to the
minute (UTC), ``email_from`` address, ``subject``, ``own_text`` (token F1 >= 0.95). It also
prints the quoted-chain attribution rate: each quoted block of the printout linked to the
message the EML headers (``References``) say it copies.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

F1_FLOOR = 0.95


def _rows(db: Path, sql: str) -> list[dict[str, Any]]:
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _messages(db: Path) -> dict[str, dict[str, Any]]:
    rows = _rows(
        db,
        "SELECT bates, sent_at, email_from, subject, own_text, message_id, sent_tz, "
        "sent_tz_confidence FROM messages WHERE NOT withheld",
    )
    return {r["bates"]: r for r in rows if r["bates"]}


def agreement(eml_db: Path, pdf_db: Path) -> dict[str, Any]:
    """Per-field agreement of the ``messages`` views of two warehouses, keyed by Bates."""
    from foia.link import token_f1, tokens

    eml, pdf = _messages(eml_db), _messages(pdf_db)
    fields = {"sent_at": 0, "email_from": 0, "subject": 0, "own_text": 0}
    misses: dict[str, list[str]] = {k: [] for k in fields}
    for bates, e in eml.items():
        p = pdf.get(bates)
        if p is None:
            for k in fields:
                misses[k].append(f"{bates} (missing)")
            continue
        ok = {
            "sent_at": p["sent_at"] is not None
            and e["sent_at"] is not None
            and p["sent_at"].replace(second=0, microsecond=0)
            == e["sent_at"].replace(second=0, microsecond=0),
            "email_from": (p["email_from"] or "") == (e["email_from"] or ""),
            "subject": (p["subject"] or "") == (e["subject"] or ""),
            "own_text": token_f1(tokens(e["own_text"] or ""), tokens(p["own_text"] or ""))
            >= F1_FLOOR,
        }
        for k, v in ok.items():
            fields[k] += v
            if not v:
                misses[k].append(bates)
    n = len(eml)
    return {
        "messages": n,
        "printed": len(pdf),
        "extra_in_printout": sorted(set(pdf) - set(eml)),
        "agree": {k: v / max(n, 1) for k, v in fields.items()},
        "counts": fields,
        "misses": misses,
    }


def attribution(eml_db: Path, pdf_db: Path) -> dict[str, Any]:
    """Share of the printout's quoted blocks linked to the message References name.

    The n-th quoted block (in body order) of a reply copies References[-n]; a block whose
    true origin is not in the production counts as right only when left unlinked.
    """
    eml = _rows(eml_db, 'SELECT bates, message_id, "references" FROM emails')
    by_id = {r["message_id"]: r["bates"] for r in eml}
    truth = {r["bates"]: list(reversed(r["references"] or [])) for r in eml}
    blocks = _rows(
        pdf_db, "SELECT bates, idx, origin_bates FROM quoted_origins ORDER BY bates, idx"
    )
    right = total = 0
    wrong: list[str] = []
    for b in blocks:
        chain = truth.get(b["bates"])
        if chain is None:
            continue
        total += 1
        expected = by_id.get(chain[b["idx"]]) if b["idx"] < len(chain) else None
        if b["origin_bates"] == expected:
            right += 1
        else:
            wrong.append(f"{b['bates']}#{b['idx']}: {b['origin_bates']} != {expected}")
    return {"blocks": total, "right": right, "rate": right / max(total, 1), "wrong": wrong}


def make_scanned(pdf: Path, out: Path, dpi: int = 300) -> Path:
    """Render every page to a grayscale image and rebuild an image-only PDF (a 'scan')."""
    import io

    import img2pdf
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    images = []
    for page in doc:
        buf = io.BytesIO()
        page.render(scale=dpi / 72, grayscale=True).to_pil().save(buf, format="PNG")
        images.append(buf.getvalue())
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    out.write_bytes(img2pdf.convert(images, layout_fun=layout))
    return out


def _print(title: str, res: dict[str, Any], attrib: dict[str, Any], *, verbose: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    t = Table(title=f"{title}: {res['messages']} EML messages, {res['printed']} printed")
    t.add_column("field")
    t.add_column("agree", justify="right")
    t.add_column("share", justify="right")
    t.add_column("rule")
    rules = {
        "sent_at": "same UTC minute",
        "email_from": "same address",
        "subject": "identical",
        "own_text": f"token F1 >= {F1_FLOOR}",
    }
    for k, v in res["agree"].items():
        t.add_row(k, f"{res['counts'][k]}/{res['messages']}", f"{v:.3f}", rules[k])
    t.add_row(
        "quoted blocks → origin",
        f"{attrib['right']}/{attrib['blocks']}",
        f"{attrib['rate']:.3f}",
        "linked to the References message",
    )
    out.print(t)
    if verbose:
        for k, miss in res["misses"].items():
            if miss:
                out.print(f"{k} differs: {', '.join(miss)}")
        for w in attrib["wrong"]:
            out.print(f"attribution: {w}")


def register(eval_app: typer.Typer) -> None:
    """Add `eval intake` to the `eval` group."""

    @eval_app.command("intake")
    def eval_intake(
        scenario: Annotated[Path, typer.Argument(help="Scenario folder (emails/, production/).")],
        scanned: Annotated[
            bool, typer.Option(help="Also render the PDF to images, OCR it and compare.")
        ] = False,
        scanned_pdf: Annotated[
            Path | None, typer.Option(help="An already scanned copy of the production.")
        ] = None,
        timezone: Annotated[
            str, typer.Option(help="Fallback zone for printed times.")
        ] = "America/New_York",
        workdir: Annotated[
            Path | None, typer.Option(help="Keep the warehouses here (default: a temp dir).")
        ] = None,
        verbose: Annotated[
            bool, typer.Option("--verbose", "-v", help="List disagreements.")
        ] = False,
    ) -> None:
        """Ingest a scenario's EML files and its printed PDF into two warehouses and print
        the per-field agreement of their `messages` views and the quoted-chain attribution."""
        from foiatrace.ingest_step import ingest

        emails, pdf = scenario / "emails", scenario / "production" / "production.pdf"
        if not emails.is_dir() or not pdf.is_file():
            typer.echo(f"{scenario}: needs emails/ and production/production.pdf", err=True)
            raise typer.Exit(2)
        with tempfile.TemporaryDirectory(prefix="foiatrace-intake-") as tmp:
            work = workdir or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            eml_db, pdf_db = work / "eml.duckdb", work / "pdf.duckdb"
            ingest(eml_db, [emails], "eml", timezone=timezone)
            ingest(pdf_db, [pdf], "pdf", timezone=timezone)
            _print("EML vs PDF", agreement(eml_db, pdf_db), attribution(eml_db, pdf_db),
                   verbose=verbose)  # fmt: skip
            if scanned or scanned_pdf:
                scan = scanned_pdf or make_scanned(pdf, work / "scanned.pdf")
                scan_db = work / "scan.duckdb"
                stats = ingest(scan_db, [scan], "scan", timezone=timezone)
                for e in stats["error_list"]:
                    typer.echo(f"scan: {e}", err=True)
                _print("EML vs scanned PDF (OCR)", agreement(eml_db, scan_db),
                       attribution(eml_db, scan_db), verbose=verbose)  # fmt: skip
