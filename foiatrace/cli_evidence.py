"""Evidence commands: ``export evidence``, ``review`` (one verdict, or a sheet at scale) and
``bundle`` (make, verify). ``register(app)`` adds them to the ``foiatrace`` app.

Every command that selects evidence takes the same options (``--outlet``, ``--since``,
``--until``, ``--detail-type``, ``--min-score``, ``--verdict``, ``--production``), built once
here into a ``warehouse.exports.core.EvidenceFilter``; the formats and their help come from
the registry ``warehouse.exports.EXPORTERS``.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from warehouse.exports import EXPORTERS, formats_help

ExportFormat = StrEnum("ExportFormat", {name: name for name in EXPORTERS})  # type: ignore[misc]


class VerdictChoice(StrEnum):
    confirmed = "confirmed"
    rejected = "rejected"
    unsure = "unsure"


class VerdictFilter(StrEnum):
    confirmed = "confirmed"
    rejected = "rejected"
    unsure = "unsure"
    none = "none"


# -- option validators (shared with foiatrace/cli.py) -------------------------------------------


def finite(value: float | None) -> float | None:
    """Typer callback: a number option is a finite number (``nan``, ``inf`` are usage errors)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def non_negative(value: float | None) -> float | None:
    """Typer callback: a finite number, 0 or more."""
    finite(value)
    if value is not None and value < 0:
        raise typer.BadParameter(f"{value} is negative: give 0 or more")
    return value


# -- the one set of options every evidence selection shares ------------------------------------

Outlet = Annotated[
    list[str] | None,
    typer.Option("--outlet", help="Only this outlet (slug); repeat for several."),
]
Since = Annotated[
    str | None,
    typer.Option("--since", help="Only emails sent on or after this day (YYYY-MM-DD, UTC)."),
]
Until = Annotated[
    str | None,
    typer.Option("--until", help="Only emails sent on or before this day (YYYY-MM-DD, UTC)."),
]
DetailType = Annotated[
    list[str] | None,
    typer.Option(
        "--detail-type",
        help="Only this kind of detail (citizenship, immigration_status, criminal_history, "
        "identity, enforcement_action, other); repeat for several.",
    ),
]
MinScore = Annotated[
    float | None,
    typer.Option(
        "--min-score",
        help="Lowest score kept, a finite number (default: the shipped threshold).",
        callback=finite,
    ),
]
Verdict = Annotated[
    list[VerdictFilter] | None,
    typer.Option(
        "--verdict", help="Only rows with this verdict (none: not reviewed); repeat for several."
    ),
]
Production = Annotated[
    list[str] | None,
    typer.Option("--production", help="Only emails of this production; repeat for several."),
]


def _filter(
    min_score: float | None,
    outlet: list[str] | None,
    since: str | None,
    until: str | None,
    detail_type: list[str] | None,
    verdict: list[VerdictFilter] | None,
    production: list[str] | None,
) -> Any:
    """The options as an EvidenceFilter; a bad date is a usage error (exit 2)."""
    from foiatrace.cli import _fail
    from matching.score import default_threshold
    from warehouse.exports.core import EvidenceFilter, ExportError

    try:
        return EvidenceFilter.of(
            default_threshold() if min_score is None else min_score,
            outlet=outlet,
            since=since,
            until=until,
            detail_type=detail_type,
            verdict=[v.value for v in verdict or []],
            production=production,
        )
    except ExportError as exc:
        raise _fail(str(exc), 2) from exc


def _archive_dir() -> Path:
    from foiatrace.cli import _db
    from foiatrace.crawl_step import archive_dir_for

    return archive_dir_for(_db())


# -- export evidence ---------------------------------------------------------------------------


def export_evidence(
    fmt: Annotated[
        ExportFormat,  # type: ignore[valid-type]
        typer.Option("--format", "-f", help="Output format: " + formats_help() + "."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    min_score: MinScore = None,
    outlet: Outlet = None,
    since: Since = None,
    until: Until = None,
    detail_type: DetailType = None,
    verdict: Verdict = None,
    production: Production = None,
    formula_guard: Annotated[
        bool,
        typer.Option(
            "--formula-guard/--no-formula-guard",
            help="CSV: prefix cells starting with = + - @, a tab or a CR with ' so a spreadsheet "
            "shows them as text (default). Turn off only for trusted use (a script reading the "
            "CSV back). XLSX never writes formulas either way.",
        ),
    ] = True,
) -> None:
    """Export the evidence table: one row per email message x article x detail, with both
    quotes, shared details, score (and why, in words), lag, the review key (msg_key,
    article_url, detail_key), the production's source file and pages, the archived record and
    the reviewer's verdict. Every format has the same columns, the 16 of the contract first."""
    from foiatrace.cli import State, _fail, _open, out
    from warehouse.export import ExportError, write
    from warehouse.exports.core import fetch

    filt = _filter(min_score, outlet, since, until, detail_type, verdict, production)
    con = _open(read_only=True)
    try:
        ev = fetch(con, filt, archive_dir=_archive_dir())
        if not formula_guard:
            ev.formula_guard = False
            ev.notes.append("formula guard off (--no-formula-guard): CSV cells written as read")
        n = write(ev, fmt.value, output)
    except (ExportError, OSError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        con.close()
    if not State.quiet:
        out.print(
            f"{n} evidence rows ({filt.describe_text()}) written to {output}",
            markup=False,
            soft_wrap=True,
        )


# -- review ------------------------------------------------------------------------------------


class _ReviewGroup(TyperGroup):
    """``foiatrace review BATES URL DETAIL --verdict X`` still works: an argument that is not
    a subcommand's name is read as ``review set``'s."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["set", *args]
        return super().parse_args(ctx, args)


review_app = typer.Typer(
    cls=_ReviewGroup,
    rich_markup_mode="markdown",
    no_args_is_help=True,
    help="Record reviewers' verdicts: one (`review set`), or a whole sheet exported, filled in "
    "and read back (`review export-sheet`, `review import`). Verdicts are keyed by message, "
    "article and detail: they survive re-runs and re-scoring and show in every export.",
)


@review_app.command("set")
def review_set(
    bates: Annotated[str, typer.Argument(help="Bates number (or msg_key) of the email message.")],
    article_url: Annotated[str, typer.Argument(help="Canonical URL of the article.")],
    detail: Annotated[
        str, typer.Argument(help="Detail key as in the exports' detail_key, e.g. citizenship:peru.")
    ],
    verdict: Annotated[VerdictChoice, typer.Option(help="The reviewer's verdict.")],
    reviewer: Annotated[str | None, typer.Option(help="Who reviewed it.")] = None,
    note: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
) -> None:
    """Record a reviewer's verdict on one disclosure (replacing an earlier one). Also
    `foiatrace review BATES URL DETAIL --verdict X` without `set`."""
    from foiatrace.cli import State, _fail, _open, out
    from warehouse import reviews

    con = _open(read_only=False)
    try:
        keys = reviews.keys_for_bates(con, bates, article_url, detail)
        if not keys:
            raise _fail(f"no evidence row for {bates} x {article_url} x {detail}", 2)
        for msg_key in keys:
            reviews.upsert(con, msg_key, article_url, detail, verdict.value, reviewer, note)
    finally:
        con.close()
    if not State.quiet:
        out.print(
            f"{bates} x {article_url} x {detail}: {verdict.value}", markup=False, soft_wrap=True
        )


@review_app.command("export-sheet")
def review_export_sheet(
    output: Annotated[Path, typer.Argument(help="Sheet to write: .xlsx or .csv.")],
    min_score: MinScore = None,
    outlet: Outlet = None,
    since: Since = None,
    until: Until = None,
    detail_type: DetailType = None,
    verdict: Verdict = None,
    production: Production = None,
) -> None:
    """Write a review sheet: one row per disclosure key (msg_key, article_url, detail_key)
    with Bates, both quotes, the score in words and what is recorded so far, and empty
    verdict, reviewer and note columns to fill in (XLSX: verdict is a drop-down list)."""
    from foiatrace.cli import State, _fail, _open, out
    from warehouse.reviews import ReviewError, write_sheet

    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise _fail(f"{output}: a review sheet is .xlsx or .csv", 2)
    filt = _filter(min_score, outlet, since, until, detail_type, verdict, production)
    con = _open(read_only=True)
    try:
        n = write_sheet(con, filt, output)
    except (ReviewError, OSError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        con.close()
    if not State.quiet:
        out.print(f"{n} rows to review written to {output}", markup=False, soft_wrap=True)


@review_app.command("import")
def review_import(
    sheet: Annotated[
        Path, typer.Argument(help="A filled-in sheet from `review export-sheet` (.xlsx or .csv).")
    ],
    reviewer: Annotated[
        str | None, typer.Option(help="Reviewer for rows whose reviewer cell is empty.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite verdicts another reviewer recorded differently."),
    ] = False,
) -> None:
    """Record the verdicts of a filled-in review sheet. Rows with an empty verdict are
    skipped; a row whose key no longer exists (unknown) or whose verdict differs from one
    another reviewer recorded (conflict) is reported and not written (`--force` overwrites
    conflicts). Prints recorded, unchanged, conflicts, unknown; exit 1 when any row was
    reported."""
    from foiatrace.cli import State, _fail, _open, err, out
    from warehouse.reviews import ReviewError, import_sheet

    con = _open(read_only=False)
    try:
        res = import_sheet(con, sheet, reviewer=reviewer, force=force)
    except ReviewError as exc:
        raise _fail(str(exc), 2) from exc
    finally:
        con.close()
    for p in res.problems:
        err.print(p, markup=False, soft_wrap=True)
    summary = res.summary()
    if not State.quiet or res.problems:
        out.print(", ".join(f"{k} {v}" for k, v in summary.items()), markup=False)
    if summary["conflicts"] or summary["unknown"] or summary["invalid"]:
        raise typer.Exit(1)


# -- bundle ------------------------------------------------------------------------------------

bundle_app = typer.Typer(
    rich_markup_mode="markdown",
    no_args_is_help=True,
    help="Evidence bundles: the exports, the archived pages and the production files, with "
    "a manifest of sha256 that `bundle verify` checks.",
)


@bundle_app.command("make")
def bundle_make(
    directory: Annotated[Path, typer.Argument(help="Folder to write (new, or empty).")],
    min_score: MinScore = None,
    outlet: Outlet = None,
    since: Since = None,
    until: Until = None,
    detail_type: DetailType = None,
    verdict: Verdict = None,
    production: Production = None,
    redact_names: Annotated[
        bool,
        typer.Option(
            "--redact-names",
            help="Public bundle: people outside the agency become 'Person N' in every export; "
            "the originals (which carry the names) are left out unless --include-originals.",
        ),
    ] = False,
    include_originals: Annotated[
        bool | None,
        typer.Option(
            "--include-originals/--no-originals",
            help="Copy the production files and archived records (default: yes, unless "
            "--redact-names).",
        ),
    ] = None,
) -> None:
    """Make an evidence bundle in DIRECTORY: the exports in every format (same rows and
    columns), the archived WARC records of the article versions matched, the production files
    the emails were read from, a README and manifest.json with the sha256 of every file."""
    from foiatrace.cli import State, _fail, _open, err, out
    from warehouse.bundle import BundleError, make

    filt = _filter(min_score, outlet, since, until, detail_type, verdict, production)
    con = _open(read_only=True)
    try:
        res = make(
            con,
            directory,
            filt,
            archive_dir=_archive_dir(),
            redact_names=redact_names,
            include_originals=include_originals,
        )
    except (BundleError, OSError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        con.close()
    for w in res.warnings:
        err.print("warning: " + w, markup=False, soft_wrap=True)
    if not State.quiet:
        out.print(
            f"{res.rows} evidence rows, {len(res.manifest['files'])} files in {directory}; "
            f"manifest.json sha256 {res.manifest_sha256}",
            markup=False,
            soft_wrap=True,
        )


@bundle_app.command("verify")
def bundle_verify(
    directory: Annotated[Path, typer.Argument(help="A bundle folder from `bundle make`.")],
) -> None:
    """Check a bundle: every file's sha256 against manifest.json, none missing, none extra.
    Names each file that fails; exit 1 if any does."""
    from foiatrace.cli import State, err, out
    from warehouse.bundle import MANIFEST, sha256_file, verify

    problems = verify(directory)
    for p in problems:
        err.print(p, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    if not State.quiet:
        out.print(
            f"{directory}: every file matches manifest.json "
            f"(sha256 {sha256_file(Path(directory) / MANIFEST)})",
            markup=False,
            soft_wrap=True,
        )


# -- wiring ------------------------------------------------------------------------------------


def _export_group(app: typer.Typer) -> typer.Typer:
    """The app's ``export`` group (made when it has none)."""
    for info in app.registered_groups:
        if info.name == "export" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(
        rich_markup_mode="markdown",
        no_args_is_help=True,
        help="Export tables for review and court (" + ", ".join(EXPORTERS) + ").",
    )
    app.add_typer(group, name="export")
    return group


def register(app: typer.Typer) -> None:
    """Add ``export evidence``, ``review`` and ``bundle`` to the ``foiatrace`` app."""
    _export_group(app).command("evidence")(export_evidence)
    app.add_typer(review_app, name="review")
    app.add_typer(bundle_app, name="bundle")
