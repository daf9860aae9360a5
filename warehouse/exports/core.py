"""What every export shares: the columns, the filters, the rows and their provenance.

Rows come from the ``evidence_full`` view (migration 0011): the contract's 16 columns first,
unchanged, then what a reviewer needs to check a row and record a verdict from it. Filters
are bound parameters; the SQL text is built only from fixed fragments.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

CONTRACT_COLUMNS = [
    "bates",
    "message_id",
    "email_sent_at",
    "email_from",
    "email_to",
    "email_quote",
    "article_url",
    "outlet",
    "article_published_at",
    "article_quote",
    "detail_type",
    "shared_details",
    "score",
    "lag_hours",
    "syndicated_from",
    "verdict",
]  # fmt: skip  (../shared/DESIGN.md: first, in this order, unchanged)
LAG_COLUMNS = ["lag_hours_min", "lag_hours_max", "lag_uncertain"]
REVIEW_COLUMNS = [
    "detail_key", "msg_key", "explanation", "production", "source_file", "pages",
    "warc_file", "warc_record_id", "warc_sha256", "reviewer", "note",
]  # fmt: skip
EVIDENCE_COLUMNS = CONTRACT_COLUMNS + LAG_COLUMNS + REVIEW_COLUMNS
TIME_COLUMNS = frozenset({"email_sent_at", "article_published_at"})
FLOAT_COLUMNS = frozenset({"score", "lag_hours", "lag_hours_min", "lag_hours_max"})
BOOL_COLUMNS = frozenset({"lag_uncertain"})
# read beside the exported columns: for links, the HTML report and the bundle
_HIDDEN = [
    "features", "source_sha256", "source_kind", "page_start", "page_end", "email_cc",
    "email_subject", "article_title", "article_sentence", "article_key", "matcher_version",
    "warc_offset", "reviewed_at",
]  # fmt: skip
VERDICTS = ("confirmed", "rejected", "unsure")
ORDER = (
    "bates NULLS LAST, article_url, detail_type, email_quote, detail_key, article_sentence, msg_key"
)


class ExportError(ValueError):
    """The export cannot be written as asked (unknown format, bad filter, missing writer)."""


def _tuple(values: str | Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(v for v in values if v)


@dataclass(frozen=True)
class EvidenceFilter:
    """Which evidence rows an export holds. Empty tuples mean "any"; several values of one
    option are alternatives (OR), different options all apply (AND)."""

    min_score: float
    outlets: tuple[str, ...] = ()
    since: date | None = None  # email sent on or after this day (UTC)
    until: date | None = None  # ... on or before this day (UTC), inclusive
    detail_types: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()  # confirmed | rejected | unsure | none (not reviewed)
    productions: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        min_score: float,
        *,
        outlet: str | Iterable[str] | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        detail_type: str | Iterable[str] | None = None,
        verdict: str | Iterable[str] | None = None,
        production: str | Iterable[str] | None = None,
    ) -> EvidenceFilter:
        """Build from loose values (CLI, DAG, tests); dates as ``date`` or ISO strings."""
        verdicts = tuple(v.lower() for v in _tuple(verdict))
        bad = [v for v in verdicts if v not in (*VERDICTS, "none")]
        if bad:
            raise ExportError(f"unknown verdict {bad[0]!r}: use {', '.join(VERDICTS)} or none")
        return cls(
            float(min_score),
            _tuple(outlet),
            _date(since, "since"),
            _date(until, "until"),
            _tuple(detail_type),
            verdicts,
            _tuple(production),
        )

    def where(self) -> tuple[str, list[Any]]:
        """A WHERE clause of fixed fragments and its bound parameters."""
        clauses, params = ["score >= ?"], [self.min_score]
        for column, values in (
            ("outlet", self.outlets),
            ("detail_type", self.detail_types),
            ("production", self.productions),
        ):
            if values:
                clauses.append(f"{column} IN (SELECT unnest(?::VARCHAR[]))")
                params.append(list(values))
        if self.since:
            clauses.append("email_sent_at >= ?")
            params.append(datetime.combine(self.since, time(), UTC))
        if self.until:
            clauses.append("email_sent_at < ?")
            params.append(datetime.combine(self.until + timedelta(days=1), time(), UTC))
        if self.verdicts:
            named = [v for v in self.verdicts if v != "none"]
            either = []
            if named:
                either.append("verdict IN (SELECT unnest(?::VARCHAR[]))")
                params.append(named)
            if "none" in self.verdicts:
                either.append("verdict IS NULL")
            clauses.append("(" + " OR ".join(either) + ")")
        return " AND ".join(clauses), params

    def describe(self) -> dict[str, Any]:
        """The filters as given, for metadata sheets and manifests."""
        return {
            "min_score": self.min_score,
            "outlet": list(self.outlets),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "detail_type": list(self.detail_types),
            "verdict": list(self.verdicts),
            "production": list(self.productions),
        }

    def describe_text(self) -> str:
        """``score >= 0.5; outlet = a, b`` ... for one metadata cell."""
        parts = [f"score >= {self.min_score}"]
        for k, v in self.describe().items():
            if k != "min_score" and v:
                parts.append(f"{k} = {', '.join(v) if isinstance(v, list) else v}")
        return "; ".join(parts)


def _date(value: date | str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ExportError(f"--{name} {value!r} is not an ISO date (YYYY-MM-DD)") from exc


@dataclass
class EvidenceSet:
    """The rows of one export and what the metadata sheets say about them."""

    rows: list[dict[str, Any]]
    filter: EvidenceFilter
    exported_at: datetime
    warehouse: str
    matcher_versions: list[str]
    foiatrace_version: str
    redacted: bool = False
    notes: list[str] = field(default_factory=list)
    # CSV: prefix formula-looking text with ' (off only for trusted use: --no-formula-guard)
    formula_guard: bool = True

    def summary(self) -> dict[str, Any]:
        """Counts a reader wants first: rows, disclosures (message x article), outlets,
        press officers, lag median (hours, per disclosure: its shortest lag)."""
        pairs: dict[tuple[str, str], float | None] = {}
        for r in self.rows:
            key = (r["msg_key"], r["article_url"])
            lag = r["lag_hours"]
            old = pairs.get(key)
            pairs[key] = lag if old is None else (old if lag is None else min(old, lag))
        lags = [v for v in pairs.values() if v is not None]
        verdicts: dict[str, int] = {}
        for r in self.rows:
            verdicts[r["verdict"] or "not reviewed"] = (
                verdicts.get(r["verdict"] or "not reviewed", 0) + 1
            )
        return {
            "rows": len(self.rows),
            "disclosures": len(pairs),
            "outlets": sorted({r["outlet"] for r in self.rows if r["outlet"]}),
            "press_officers": sorted({r["email_from"] for r in self.rows if r["email_from"]}),
            "lag_median_hours": round(statistics.median(lags), 1) if lags else None,
            "verdicts": dict(sorted(verdicts.items())),
        }

    def metadata(self) -> list[tuple[str, str]]:
        """(label, value) lines of the metadata sheet: what was exported, from where, how."""
        from matching.score import PAIR_FEATURES  # the glossary follows the model's features
        from warehouse.exports.explain import FEATURE_WORDS

        lines = [
            ("threshold (min score)", str(self.filter.min_score)),
            ("filters", self.filter.describe_text()),
            ("matcher version", ", ".join(self.matcher_versions) or "none"),
            ("exported at (UTC)", self.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("warehouse", self.warehouse),
            ("foiatrace version", self.foiatrace_version),
            ("times", "all times are UTC"),
            ("rows", str(len(self.rows))),
            ("names redacted", "yes (see bundle README)" if self.redacted else "no"),
        ]
        lines += [("note", n) for n in self.notes]
        lines += [(f"feature {n}", FEATURE_WORDS.get(n, "")) for n in PAIR_FEATURES]
        return lines


def foiatrace_version() -> str:
    """The installed package's version (warehouse/ does not import the application)."""
    try:
        return metadata.version("foiatrace")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def warehouse_path(con: duckdb.DuckDBPyConnection) -> str:
    """The file the connection reads (``:memory:`` for an in-memory database)."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return str(row[0]) if row and row[0] else ":memory:"


def fetch(
    con: duckdb.DuckDBPyConnection,
    filt: EvidenceFilter,
    *,
    archive_dir: Path | str | None = None,
    exported_at: datetime | None = None,
) -> EvidenceSet:
    """The rows of ``evidence_full`` that pass ``filt``, in a stable order, with their
    score explained in words and links to the archived copy and the source file."""
    from warehouse.exports.explain import explain

    where, params = filt.where()
    cols = ", ".join(c for c in EVIDENCE_COLUMNS + _HIDDEN if c not in ("explanation",))
    cur = con.execute(f"SELECT {cols} FROM evidence_full WHERE {where} ORDER BY {ORDER}", params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    copies: dict[str, list[str]] = {
        orig: list(urls)
        for orig, urls in con.execute(
            "SELECT original_url, list(url ORDER BY url) FROM syndication GROUP BY original_url"
        ).fetchall()
    }
    archive = Path(archive_dir) if archive_dir else None
    for r in rows:
        for c in TIME_COLUMNS | {"reviewed_at"}:
            if isinstance(r[c], datetime):
                r[c] = r[c].astimezone(UTC)
        feats = r["features"]
        r["features"] = json.loads(feats) if isinstance(feats, str) and feats else (feats or {})
        r["explanation"] = explain(r["features"], r["lag_hours"])
        r["_copies"] = copies.get(r["article_url"], [])
        r["_archive_href"] = _archive_href(archive, r["warc_file"])
        r["_source_href"] = _source_href(r)
    versions = sorted({r["matcher_version"] for r in rows if r["matcher_version"]})
    if not rows:
        found = con.execute("SELECT DISTINCT matcher_version FROM disclosures ORDER BY 1")
        versions = [v for (v,) in found.fetchall()]
    return EvidenceSet(
        rows,
        filt,
        (exported_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        warehouse_path(con),
        versions,
        foiatrace_version(),
    )


def _archive_href(archive: Path | None, warc_file: str | None) -> str | None:
    if not archive or not warc_file:
        return None
    path = (archive / warc_file).resolve()
    return path.as_uri() if path.is_file() else None


def _source_href(r: dict[str, Any]) -> str | None:
    """``file:///.../production.pdf#page=12`` when the source file is where ingest read it."""
    src = r.get("source_file")
    if not src or "!" in src:
        return None
    path = Path(src)
    if not path.is_absolute() or not path.is_file():
        return None
    return path.as_uri() + page_anchor(r)


def page_anchor(r: dict[str, Any]) -> str:
    """``#page=N`` for a printed source (PDF viewers open at that page), else empty."""
    if r.get("page_start") and str(r.get("source_file", "")).lower().endswith(".pdf"):
        return f"#page={int(r['page_start'])}"
    return ""


# -- cells ------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as the contract's CSV shows times."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain(value: Any) -> Any:
    """A JSON-able value: times as ISO strings, lists and dicts kept."""
    if isinstance(value, datetime):
        return iso(value)
    return value


def csv_cell(value: Any, *, guard: bool = True) -> str:
    """A CSV field: text that a spreadsheet would run as a formula is prefixed with ``'``
    (OWASP CSV injection) unless ``guard`` is off; lists and dicts as JSON; booleans as
    true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return "'" + value if guard and value.startswith(FORMULA_START) else value
    return str(value)


def uncsv_cell(value: str | None) -> str:
    """Undo ``csv_cell``'s formula guard when a sheet is read back."""
    value = value or ""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def exported(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the exported columns, in order."""
    return [{c: r[c] for c in EVIDENCE_COLUMNS} for r in rows]
