"""The HTML report, organised as a reader checks a claim: the summary first, then one
section per disclosure (email message x article) with both texts side by side, the shared
details marked in both, the score in words, who received the email, syndicated copies, and
links to the archived page and the production page.

Self-contained (inline CSS, no scripts, no external assets); every text from a production or
a page is escaped: it is data, never markup. Printed, each disclosure starts a page and long
tables repeat their header.
"""

from __future__ import annotations

import html
from itertools import groupby
from pathlib import Path
from typing import Any

from warehouse.exports.core import EvidenceSet, iso
from warehouse.exports.highlight import marked

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#111;
line-height:1.35}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:2px solid #444}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}
thead th{background:#eee}
td.q{width:40%}
mark{background:#ffe066;padding:0 1px}
dl.facts{display:grid;grid-template-columns:12em 1fr;gap:2px 10px;margin:.5em 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
.meta{color:#444;font-size:.9em}.why{background:#f4f6fb;padding:6px;border-left:3px solid #557}
small{color:#555}
@media print{
 body{margin:0;font-size:10pt}
 thead{display:table-header-group}
 tr{break-inside:avoid;page-break-inside:avoid}
 section.disclosure{break-before:page;page-break-before:always}
 a{color:#000}
}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _link(href: str | None, text: Any) -> str:
    """A link only to http(s) pages and to files this export pointed at itself."""
    if href and href.startswith(("http://", "https://", "file:", "archive/", "sources/")):
        return f'<a href="{html.escape(href, quote=True)}">{_e(text)}</a>'
    return _e(text)


def _when(value: Any) -> str:
    return (iso(value) or "?").replace("T", " ").replace("Z", " UTC")


def _lag(r: dict[str, Any]) -> str:
    lag, lo, hi = r["lag_hours"], r.get("lag_hours_min"), r.get("lag_hours_max")
    if lag is None:
        return "unknown"
    text = f"{lag:.1f} h after the email"
    if lo is not None and hi is not None and (lo, hi) != (lag, lag):
        text += f" ({lo:.1f} to {hi:.1f} h: the email's time zone is not settled"
        text += "; order uncertain)" if r.get("lag_uncertain") else ")"
    return text


def _keys(items: list[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for r in items:
        keys.append(r["detail_key"])
        keys.extend(k.strip() for k in (r["shared_details"] or "").split(";"))
    return list(dict.fromkeys(k for k in keys if k))


def _section(n: int, items: list[dict[str, Any]]) -> str:
    r0 = items[0]
    who = r0["bates"] or r0["msg_key"]
    source = r0["source_file"] or ""
    pages = f", pages {r0['pages']}" if r0.get("pages") else ""
    copies = r0.get("_copies") or []
    facts = [
        ("Email", f"{_e(who)}, sent {_e(_when(r0['email_sent_at']))}"),
        ("Subject", _e(r0.get("email_subject"))),
        ("From", _e(r0["email_from"])),
        ("To", _e(r0["email_to"])),
    ]
    if r0.get("email_cc"):
        facts.append(("Cc", _e(r0["email_cc"])))
    facts += [
        ("Production", f"{_e(r0['production'])}: {_link(r0.get('_source_href'), source)}"
         f"{_e(pages)}"),
        ("Article", _link(r0["article_url"], r0["article_url"])),
        ("Headline", _e(r0.get("article_title"))),
        ("Outlet", f"{_e(r0['outlet'])}, published {_e(_when(r0['article_published_at']))}"),
        ("Lag", _e(_lag(r0))),
    ]  # fmt: skip
    if r0["syndicated_from"]:
        facts.append(("Copy of", _link(r0["syndicated_from"], r0["syndicated_from"])))
    if copies:
        facts.append(("Syndicated copies", "<br>".join(_link(u, u) for u in copies)))
    if r0["warc_file"]:
        facts.append(
            (
                "Archived page",
                f"{_link(r0.get('_archive_href'), r0['warc_file'])}<br><small>record "
                f"{_e(r0['warc_record_id'])}, payload sha256 {_e(r0['warc_sha256'])}</small>",
            )
        )
    else:
        facts.append(("Archived page", "not archived"))
    facts.append(("Score", f"{max(r['score'] for r in items):.2f}"))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)

    def quotes(r: dict[str, Any]) -> tuple[str, str]:
        return (r["email_quote"] or "", r["article_quote"] or "")

    body = []
    for (eq, aq), group in groupby(sorted(items, key=quotes), key=quotes):
        rows = list(group)
        keys = _keys(rows)
        details = "<br>".join(
            f"{_e(r['detail_type'])}: <code>{_e(r['detail_key'])}</code>"
            f" <small>({_e(r['verdict'] or 'not reviewed')}"
            f"{', ' + _e(r['reviewer']) if r.get('reviewer') else ''})</small>"
            + (f"<br><small>note: {_e(r['note'])}</small>" if r.get("note") else "")
            for r in rows
        )
        body.append(
            f"<tr><td>{details}</td>"
            f"<td class=q>{marked(eq, keys, r0['email_sent_at'])}</td>"
            f"<td class=q>{marked(aq, keys, r0['article_published_at'])}</td></tr>"
        )
    return (
        f'<section class="disclosure" id="d{n}"><h2>{n}. {_e(who)} &rarr; {_e(r0["outlet"])}'
        f"</h2><dl class=facts>{dl}</dl>"
        f'<p class="why"><b>Why it was reported:</b> {_e(r0["explanation"])}</p>'
        "<table><thead><tr><th>Shared details (verdict)</th><th>Email says</th>"
        "<th>Article prints</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>"
        "</section>"
    )


def render_html(ev: EvidenceSet) -> str:
    """The whole report as one HTML string."""

    def pair(r: dict[str, Any]) -> tuple[str, str]:
        return (r["msg_key"], r["article_url"])

    order = {}
    for r in ev.rows:  # first appearance in the export's order, by email time within it
        order.setdefault(
            pair(r), (r["email_sent_at"] is None, iso(r["email_sent_at"]) or "", pair(r))
        )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in ev.rows:
        groups.setdefault(pair(r), []).append(r)
    keys = sorted(groups, key=lambda k: order[k])
    s = ev.summary()
    summary = [
        ("Disclosures (email message &times; article)", str(s["disclosures"])),
        ("Evidence rows (one per shared detail)", str(s["rows"])),
        ("Outlets", f"{len(s['outlets'])}: {_e(', '.join(s['outlets']))}"),
        ("Press officers", f"{len(s['press_officers'])}: {_e(', '.join(s['press_officers']))}"),
        ("Median lag", "n/a" if s["lag_median_hours"] is None else f"{s['lag_median_hours']} h"),
        ("Verdicts", _e(", ".join(f"{k}: {v}" for k, v in s["verdicts"].items()))),
    ]
    index = "".join(
        f'<tr><td><a href="#d{i}">{i}</a></td><td>{_e(g[0]["bates"] or g[0]["msg_key"])}</td>'
        f"<td>{_e(_when(g[0]['email_sent_at']))}</td><td>{_e(g[0]['outlet'])}</td>"
        f"<td>{_e(', '.join(dict.fromkeys(r['detail_type'] for r in g)))}</td>"
        f"<td>{max(r['score'] for r in g):.2f}</td></tr>"
        for i, g in enumerate((groups[k] for k in keys), start=1)
    )
    meta = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in ev.metadata()[:9])
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width">'
        f"<title>foiatrace evidence report</title><style>{CSS}</style></head><body>"
        "<h1>Evidence report</h1>"
        f'<section class="summary"><h2>Summary</h2><table><tbody>'
        + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in summary)
        + "</tbody></table>"
        "<table><thead><tr><th>#</th><th>Email</th><th>Sent</th><th>Outlet</th>"
        f"<th>Details</th><th>Score</th></tr></thead><tbody>{index}</tbody></table>"
        f'<dl class="facts meta">{meta}</dl></section>'
        + "".join(_section(i, groups[k]) for i, k in enumerate(keys, start=1))
        + "</body></html>\n"
    )


def write_html(ev: EvidenceSet, output: Path) -> None:
    """Write the report (UTF-8)."""
    output.write_text(render_html(ev), encoding="utf-8")
