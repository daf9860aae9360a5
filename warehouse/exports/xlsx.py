"""The evidence workbook: typed, readable, filterable, and never a formula.

Sheets: ``evidence`` (every column, real Excel dates in UTC, wrapped quotes, links to the
article and to the archived copy, autofilter, frozen header), ``summary`` and ``metadata``.
Text from productions and pages is data: xlsxwriter is told never to turn a string into a
formula, a number or a link; the only links are the ones written here on purpose.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from warehouse.exports.core import (
    BOOL_COLUMNS,
    EVIDENCE_COLUMNS,
    FLOAT_COLUMNS,
    TIME_COLUMNS,
    EvidenceSet,
)

WIDTHS = {
    "bates": 16, "message_id": 28, "email_sent_at": 22, "email_from": 28, "email_to": 30,
    "email_quote": 60, "article_url": 40, "outlet": 16, "article_published_at": 22,
    "article_quote": 60, "detail_type": 18, "shared_details": 30, "score": 8, "lag_hours": 9,
    "syndicated_from": 30, "verdict": 11, "lag_hours_min": 9, "lag_hours_max": 9,
    "lag_uncertain": 9, "detail_key": 26, "msg_key": 22, "explanation": 50, "production": 14,
    "source_file": 30, "pages": 8, "warc_file": 30, "warc_record_id": 30, "warc_sha256": 20,
    "reviewer": 14, "note": 40,
}  # fmt: skip
WRAPPED = {"email_quote", "article_quote", "explanation", "note", "shared_details"}
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}
MAX_URL = 2079  # Excel's limit on a hyperlink's length


def web_link(url: Any) -> str | None:
    """An http(s) URL Excel can hold as a link; anything else stays text."""
    if isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) <= MAX_URL:
        return url
    return None


def file_link(href: str | None) -> str | None:
    """A link to a local copy: a file URI, or a path relative to the workbook."""
    if not href or len(href) > MAX_URL:
        return None
    if href.startswith("file:"):
        return href
    return "external:" + href


def write_xlsx(ev: EvidenceSet, output: Path) -> None:
    """Write the three sheets (xlsxwriter)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(output), WORKBOOK_OPTIONS)
    wb.set_properties(
        {"title": "foiatrace evidence", "comments": ev.filter.describe_text(), "author": ""}
    )
    head = wb.add_format({"bold": True, "bg_color": "#DDDDDD", "text_wrap": True, "valign": "top"})
    top = wb.add_format({"valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    when = wb.add_format({"num_format": 'yyyy-mm-dd hh:mm:ss "UTC"', "valign": "top"})
    num = wb.add_format({"num_format": "0.0###", "valign": "top"})
    link = wb.add_format({"font_color": "blue", "underline": 1, "valign": "top"})

    ws = wb.add_worksheet("evidence")
    for j, c in enumerate(EVIDENCE_COLUMNS):
        ws.write_string(0, j, c, head)
        ws.set_column(j, j, WIDTHS.get(c, 14), wrap if c in WRAPPED else top)
    hrefs = {
        "article_url": lambda r: web_link(r["article_url"]),
        "syndicated_from": lambda r: web_link(r["syndicated_from"]),
        "warc_file": lambda r: file_link(r.get("_archive_href")),
        "source_file": lambda r: file_link(r.get("_source_href")),
    }
    for i, r in enumerate(ev.rows, start=1):
        for j, c in enumerate(EVIDENCE_COLUMNS):
            v = r[c]
            if v is None:
                continue
            if c in TIME_COLUMNS:
                ws.write_datetime(i, j, v.astimezone(UTC).replace(tzinfo=None), when)
            elif c in FLOAT_COLUMNS:
                ws.write_number(i, j, float(v), num)
            elif c in BOOL_COLUMNS:
                ws.write_boolean(i, j, bool(v), top)
            elif c in hrefs and (url := hrefs[c](r)):
                ws.write_url(i, j, url, link, string=str(v), tip=url[:255])
            else:
                ws.write_string(i, j, str(v), wrap if c in WRAPPED else top)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(ev.rows), 1), len(EVIDENCE_COLUMNS) - 1)

    summary = ev.summary()
    ss = wb.add_worksheet("summary")
    ss.set_column(0, 0, 24)
    ss.set_column(1, 1, 60, wrap)
    lines: list[tuple[str, Any]] = [
        ("rows", summary["rows"]),
        ("disclosures (message x article)", summary["disclosures"]),
        ("outlets", len(summary["outlets"])),
        ("press officers", len(summary["press_officers"])),
        ("lag median (hours)", summary["lag_median_hours"]),
        ("outlet names", ", ".join(summary["outlets"])),
        ("press officer addresses", ", ".join(summary["press_officers"])),
    ] + [(f"verdict: {k}", n) for k, n in summary["verdicts"].items()]
    ss.write_row(0, 0, ["measure", "value"], head)
    for i, (k, v) in enumerate(lines, start=1):
        ss.write_string(i, 0, k, top)
        if isinstance(v, (int, float)):
            ss.write_number(i, 1, v, top)
        elif v is not None:
            ss.write_string(i, 1, str(v), wrap)

    ms = wb.add_worksheet("metadata")
    ms.set_column(0, 0, 26)
    ms.set_column(1, 1, 90, wrap)
    ms.write_row(0, 0, ["key", "value"], head)
    for i, (k, v) in enumerate(ev.metadata(), start=1):
        ms.write_string(i, 0, k, top)
        ms.write_string(i, 1, v, wrap)
    wb.close()
