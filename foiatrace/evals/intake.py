"""`foiatrace eval intake`: the same production read as EML and as a printout must agree.

Builds two (or three) warehouses with the real ingest step: ``emails/*.eml`` and
``production/production.pdf`` of a scenario (and, with ``--scanned``, that PDF rendered to
page images and read back through OCR, or a scanned PDF given with ``--scanned-pdf``),
then compares them per Bates number *from the ``messages`` views*: ``sent_at`` to the
minute (UTC), ``email_from`` address, ``subject``, ``own_text`` (token F1 >= 0.95). It also
prints the quoted-chain attribution rate: each quoted block of the printout linked to the
message the EML headers (``References``) say it copies.

Printed times carry no offset, so ``sent_at`` of a printout is only as good as the zone
inferred for its mailbox (:mod:`foia.tzinfer`). ``--print STYLE --zone SPEC`` prints the
scenario's ``.eml`` files ourselves (:mod:`foiatrace.evals.printout`: webmail or Outlook
style, from custodian mailboxes in the zones named, ``pacific+alaska`` for two mailboxes)
and scores each printout the same way, beside what the ``--timezone`` default alone would
have given and the zone inferred for each mailbox against the zone it was printed in.
``--printed PDF --printed-zone SPEC`` scores a printout made elsewhere.
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
    from rich.markup import escape
    from rich.table import Table

    out = Console(emoji=False)
    t = Table(title=escape(f"{title}: {res['messages']} EML messages, {res['printed']} printed"))
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
                out.print(f"{k} differs: {', '.join(miss)}", markup=False)
        for w in attrib["wrong"]:
            out.print(f"attribution: {w}", markup=False)


DEFAULT_PRINT_ZONES = ["eastern", "pacific", "mountain", "arizona", "alaska", "pacific+alaska"]


def default_only(eml_db: Path, pdf_db: Path, zone: str) -> float:
    """``sent_at`` agreement had every printed time been read in ``zone`` (no inference)."""
    from foia.dates import printed_to_utc

    eml = _messages(eml_db)
    raw = {
        r["bates"]: r["sent_at_raw"]
        for r in _rows(pdf_db, "SELECT bates, sent_at_raw FROM emails WHERE NOT withheld")
    }
    right = 0
    for bates, e in eml.items():
        text = raw.get(bates)
        utc = printed_to_utc(text, zone) if text else None
        if utc is not None and e["sent_at"] is not None:
            right += abs((utc - e["sent_at"]).total_seconds()) < 60
    return right / max(len(eml), 1)


def mailbox_zones(pdf_db: Path) -> list[dict[str, Any]]:
    """Per printed mailbox: the zone(s) inferred, messages, mean confidence, a basis."""
    return _rows(
        pdf_db,
        "SELECT mailbox_owner AS owner, sent_tz AS zone, count(*) AS n,"
        " round(avg(sent_tz_confidence), 2) AS confidence, min(sent_tz_basis) AS basis"
        " FROM messages WHERE NOT withheld GROUP BY ALL ORDER BY n DESC, owner",
    )


def _fresh(db: Path) -> Path:
    """An empty warehouse path: a kept workdir must not skip files read on an earlier run."""
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    return db


def score_printout(eml_db: Path, pdf: Path, work: Path, name: str, timezone: str) -> dict[str, Any]:
    """Ingest one printout and score it against the EML warehouse (one row of the table)."""
    from foiatrace.ingest_step import ingest

    db = _fresh(work / f"{name}.duckdb")
    stats = ingest(db, [pdf], "pdf", timezone=timezone)
    res = agreement(eml_db, db)
    return {
        "name": name,
        "pdf": str(pdf),
        "errors": stats["error_list"],
        "agree": res["agree"],
        "counts": res["counts"],
        "messages": res["messages"],
        "misses": res["misses"],
        "default_only": default_only(eml_db, db, timezone),
        "attribution": attribution(eml_db, db),
        "mailboxes": mailbox_zones(db),
    }


def printed_agreement(
    scenario: Path,
    styles: list[str],
    zone_specs: list[str],
    *,
    timezone: str = "America/New_York",
    work: Path,
    owners_write_in_zone: bool = True,
) -> list[dict[str, Any]]:
    """Print the scenario's ``.eml`` files in each style from each zone spec and score each.

    Each row also carries the mailboxes as printed (owner, zone: the truth) so a reader
    can set them beside the inferred ``mailboxes``.
    """
    from foiatrace.evals.printout import print_production, zone_spec
    from foiatrace.ingest_step import ingest

    eml_db = _fresh(work / "eml.duckdb")
    ingest(eml_db, [scenario / "emails"], "eml", timezone=timezone)
    rows = []
    for style in styles:
        for spec in zone_specs:
            zones = zone_spec(spec)
            slug = "+".join(z.rsplit("/", 1)[-1].lower() for z in zones)
            pdf = work / f"printed-{style}-{slug}.pdf"
            boxes = print_production(
                scenario / "emails", pdf, style, zones, owners_write_in_zone=owners_write_in_zone
            )
            row = score_printout(eml_db, pdf, work, f"printed-{style}-{slug}", timezone)
            row.update(style=style, zones=zones, printed_from=[(b.address, b.zone) for b in boxes])
            rows.append(row)
    return rows


def _short(zone: str | None) -> str:
    """``America/Los_Angeles`` -> ``pacific``: the names a researcher types with --zone."""
    from foiatrace.evals.printout import ZONE_ALIASES

    names = {v: k for k, v in ZONE_ALIASES.items()}
    return names.get(zone or "", (zone or "?").rsplit("/", 1)[-1])


def _print_printouts(
    title: str, rows: list[dict[str, Any]], timezone: str, *, verbose: bool
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    out = Console(emoji=False)
    t = Table(title=escape(title))
    columns = ["style", "printed in", "sent_at", f"as {_short(timezone)}", "from", "subject"]
    for col in [*columns, "own_text", "quotes"]:
        t.add_column(col, justify="left" if col in ("style", "printed in") else "right")
    for r in rows:
        a, att = r["agree"], r["attribution"]
        t.add_row(
            r.get("style", "given"),
            "+".join(_short(z) for z in r.get("zones", [])),
            f"{a['sent_at']:.3f}",
            f"{r['default_only']:.3f}",
            f"{a['email_from']:.3f}",
            f"{a['subject']:.3f}",
            f"{a['own_text']:.3f}",
            f"{att['rate']:.3f}",
        )
    out.print(t)
    out.print(
        f"sent_at: same UTC minute as the .eml, zones inferred; as {_short(timezone)}: every "
        "printed time read in --timezone, no inference; quotes: quoted blocks linked to the "
        "message References names."
    )
    for r in rows:
        truth = dict(r.get("printed_from") or [])
        label = f"{r.get('style', 'given')} {'+'.join(_short(z) for z in r.get('zones', []))}"
        for b in r["mailboxes"]:
            shown = f" (printed in {_short(truth[b['owner']])})" if b["owner"] in truth else ""
            out.print(
                f"  {label}: mailbox {b['owner']}{shown} -> {_short(b['zone'])}, "
                f"confidence {b['confidence']}, {b['n']} messages"
                + (f": {b['basis']}" if verbose else ""),
                markup=False,
            )
        for e in r["errors"]:
            out.print(f"  {label}: {e}", markup=False)
        if verbose:
            for k, miss in r["misses"].items():
                if miss:
                    out.print(f"  {label}: {k} differs: {', '.join(miss)}", markup=False)


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
        print_style: Annotated[
            list[str] | None,
            typer.Option(
                "--print",
                help="Print the .eml files ourselves in this style "
                "(webmail|outlook; repeat for both) and score each printout.",
            ),
        ] = None,
        zone: Annotated[
            list[str] | None,
            typer.Option(
                "--zone",
                help="Zone(s) to print from with --print, one mailbox per "
                "'+'-joined zone (IANA or eastern, central, mountain, arizona, "
                "pacific, alaska, hawaii); repeat for more printouts. Default: "
                + ", ".join(DEFAULT_PRINT_ZONES)
                + ".",
            ),
        ] = None,
        quotes_from_eml: Annotated[
            bool,
            typer.Option(
                help="With --print: custodians' own quote headers keep the .eml's "
                "zone (a mailbox printed elsewhere) instead of the mailbox's zone."
            ),
        ] = False,
        printed: Annotated[
            Path | None, typer.Option(help="Score this printout of the scenario's .eml files.")
        ] = None,
        printed_zone: Annotated[
            str | None, typer.Option(help="The zone(s) --printed was printed in (for the report).")
        ] = None,
    ) -> None:
        """Ingest a scenario's EML files and its printed PDF into two warehouses and print
        the per-field agreement of their `messages` views and the quoted-chain attribution.

        With --print, print the EML files ourselves (webmail/Outlook style, from mailboxes
        in the --zone zones, no offsets) and score every printout: sent-time agreement with
        zone inference beside the --timezone default alone, and each mailbox's inferred zone."""
        from foiatrace.ingest_step import ingest

        emails = scenario / "emails"
        if print_style or printed:
            from foiatrace.evals.printout import STYLES, zone_spec

            if not emails.is_dir():
                typer.echo(f"{scenario}: needs emails/", err=True)
                raise typer.Exit(2)
            bad = [st for st in print_style or [] if st not in STYLES]
            try:
                specs = zone or DEFAULT_PRINT_ZONES
                for spec in [*specs, *([printed_zone] if printed_zone else [])]:
                    zone_spec(spec)
            except Exception as exc:  # noqa: BLE001 - an unknown zone name is a usage error
                typer.echo(f"unknown zone: {exc}", err=True)
                raise typer.Exit(2) from exc
            if bad:
                typer.echo(f"--print takes {' or '.join(STYLES)}, not {', '.join(bad)}", err=True)
                raise typer.Exit(2)
            with tempfile.TemporaryDirectory(prefix="foiatrace-intake-") as tmp:
                work = workdir or Path(tmp)
                work.mkdir(parents=True, exist_ok=True)
                rows = printed_agreement(
                    scenario,
                    list(print_style or []),
                    specs,
                    timezone=timezone,
                    work=work,
                    owners_write_in_zone=not quotes_from_eml,
                )
                if printed:
                    eml_db = work / "eml.duckdb"
                    if not rows:
                        ingest(_fresh(eml_db), [emails], "eml", timezone=timezone)
                    row = score_printout(eml_db, printed, work, "given", timezone)
                    row["zones"] = zone_spec(printed_zone) if printed_zone else []
                    rows.append(row)
                title = f"{scenario.name}: EML vs printouts without offsets (--timezone {timezone})"
                _print_printouts(title, rows, timezone, verbose=verbose)
            return
        pdf = scenario / "production" / "production.pdf"
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
