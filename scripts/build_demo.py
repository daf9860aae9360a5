#!/usr/bin/env python3
# ruff: noqa: E501  (long lines are corpus text and HTML templates)
"""Build a fictional scenario (by default the bundled demo, foiatrace/demo/) from a data module.

A scenario is a small, fully fictional corpus in the shared scenario format
(see shared/scenarios/README.md): a FOIA production of a press officer's mailbox
(emails/*.eml + production/production.pdf), a static site with news outlets
and an agency newsroom (site/), outlets.toml, labels.jsonl and hard_negatives.jsonl.
The data (people, messages, outlets, articles, labels, hard negatives, time zones,
mailbox owner, per-outlet template choice) lives in scripts/scenario_data/NAME.py;
this file is the machinery.

Usage:
    python scripts/build_demo.py                          # demo: writes foiatrace/demo/
    python scripts/build_demo.py --out DIR                # the demo into DIR
    python scripts/build_demo.py --scenario NAME          # scripts/scenario_data/NAME.py
                                                          # into its default directory
    python scripts/build_demo.py --scenario NAME --out DIR

Output is deterministic: running it twice gives byte-identical files
(reportlab runs in invariant mode; no clocks, no randomness).

Time zones: every e-mail keeps its sender's numeric UTC offset in the Date header;
the PDF shows "Sent:" times in the mailbox owner's zone (MAILBOX_TZ of the data module).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import importlib.util
import json
import quopri
import re
import shutil
import sys
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = Path(__file__).resolve().parent / "scenario_data"
DEFAULT_SCENARIO = "northern_plains"

# ---------------------------------------------------------------------------
# Scenario data: filled in by load_scenario() from scripts/scenario_data/NAME.py
# ---------------------------------------------------------------------------

TZ: dict = {}  # zone key -> tzinfo (fixed offsets or a DST-aware tzinfo)
MAILBOX_OWNER = ""  # display name printed in bold on Outlook printouts
MAILBOX_TZ = None  # "Sent:" times in the PDF are shown in this zone
META: dict = {}
DISCLAIMERS: dict = {}
PEOPLE: dict = {}
MESSAGES: list = []
EXTERNAL: dict = {}
OUTLETS: list = []
ARTICLES: list = []
LABELS: list = []
HARD_NEGATIVES: list = []
README = ""
OUTLET: dict = {}
ART: dict = {}
MSG: dict = {}

# Settings a data module may override (SETTINGS dict); the defaults are the demo's.
DEFAULT_SETTINGS = {
    "set": "demo",
    "out": "foiatrace/demo",
    "cases_note": "Export of the data in scripts/build_demo.py; the script is the generator input.",
    "mailbox_person": "okafor",  # webmail printouts show this person's address
    "pdf_title": "FOIA production 2021-ICFO-31572",
    "pdf_author": "U.S. Immigration and Customs Enforcement FOIA Office",
    "pdf_creator": "foiatrace demo generator",
    "exchange_host": "NPEXMB0{n}.opa.ice.example",  # Message-ID host of Outlook senders
    "site_title": "foiatrace demo scenario sites",
    "site_heading": "Outlets in the foiatrace demo scenario",
    "toml_comment": "# Outlets of the foiatrace demo scenario.  Paths are relative to site/, which is",
    "copyright_year": "2021",
    "metrics_js": "window.__demoMetrics=window.__demoMetrics||[];\n",
}
SETTINGS: dict = dict(DEFAULT_SETTINGS)
DATA_NAMES = (
    "TZ",
    "MAILBOX_OWNER",
    "MAILBOX_TZ",
    "META",
    "DISCLAIMERS",
    "PEOPLE",
    "MESSAGES",
    "EXTERNAL",
    "OUTLETS",
    "ARTICLES",
    "LABELS",
    "HARD_NEGATIVES",
    "README",
)


def load_scenario(name: str):
    """Import scripts/scenario_data/NAME.py and make its data the generator's input."""
    path = SCENARIO_DIR / f"{name}.py"
    if not path.is_file():
        raise SystemExit(f"no scenario data module {path}")
    spec = importlib.util.spec_from_file_location(f"scenario_data_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    g = globals()
    for n in DATA_NAMES:
        g[n] = getattr(mod, n)
    g["SETTINGS"] = {**DEFAULT_SETTINGS, **getattr(mod, "SETTINGS", {})}
    g["OUTLET"] = {o["slug"]: o for o in OUTLETS}
    g["ART"] = {a["id"]: a for a in ARTICLES}
    g["MSG"] = {m["id"]: m for m in MESSAGES}
    raw_full_text.__dict__.pop("cache", None)
    return mod


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def h(text: str) -> str:
    return html.escape(text, quote=True)


def ht(text: str) -> str:
    """Escape element text (quotes kept as typed)."""
    return html.escape(text, quote=False)


def parse_local(s: str, tz) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)


def hexid(*parts: str, n: int = 32) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:n].upper()


def hour12(dt: datetime) -> str:
    hr = dt.hour % 12 or 12
    return f"{hr}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def outlook_sent(dt: datetime) -> str:  # Tuesday, December 8, 2020 10:52 AM
    return f"{dt:%A}, {dt:%B} {dt.day}, {dt.year} {hour12(dt)}"


def gmail_when(dt: datetime) -> str:  # Tue, Dec 8, 2020 at 10:52 AM
    return f"{dt:%a}, {dt:%b} {dt.day}, {dt.year} at {hour12(dt)}"


def w3c(dt: datetime) -> str:
    return dt.isoformat()


def rfc822(dt: datetime) -> str:
    return format_datetime(dt)


def person_hdr(pid: str) -> str:
    p = PEOPLE[pid]
    disp = p["display"]
    if "," in disp:
        disp = f'"{disp}"'
    return f"{disp} <{p['addr']}>"


def person_plain(pid: str) -> str:
    p = PEOPLE[pid]
    return f"{p['display']} <{p['addr']}>"


def redact(text: str, rules) -> str:
    for needle, marker in rules or []:
        text = text.replace(needle, marker)
    return text


LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
TAG_RE = re.compile(r"<[^>]+>")


def visible(par: str) -> str:
    """Visible text of a paragraph source (links and inline tags removed)."""
    return re.sub(r"\s+", " ", TAG_RE.sub("", LINK_RE.sub(r"\1", par))).strip()


def straight(text: str) -> str:
    return (
        text.replace("’", "'")
        .replace("‘", "'")
        .replace("“", '"')
        .replace("”", '"')
        .replace("—", "--")
    )


# ---------------------------------------------------------------------------
# Articles: resolve outlet, times, paths
# ---------------------------------------------------------------------------


def prepare_articles() -> None:
    for a in ARTICLES:
        o = OUTLET[a["outlet"]]
        tz = TZ[o["tz"]]
        a["pub_dt"] = parse_local(a["published"], tz)
        a["mod_dt"] = parse_local(a["modified"], tz) if a.get("modified") else None
        a["path"] = f"/{o['slug']}/{a['pub_dt']:%Y/%m/%d}/{a['slug']}.html"
        a["url"] = f"https://{o['domain']}{a['path']}"
    for a in ARTICLES:
        if "copy_of" in a:
            src = ART[a["copy_of"]["article"]]
            a["paras"] = [straight(src["paras"][i]) for i in a["copy_of"]["paragraphs"]]
        if o_straight(OUTLET[a["outlet"]]):
            a["paras"] = [straight(p) for p in a["paras"]]


def o_straight(o) -> bool:
    """Outlets typeset with straight quotes (the legacy template by default)."""
    return o.get("straight_quotes", o["template"] == "legacy")


def resolve_links(par: str) -> str:
    def sub(m):
        target = m.group(2)
        if target.startswith("@"):
            target = ART[target[1:]]["path"]
        return f'<a href="{h(target)}">{h_keep_tags(m.group(1))}</a>'

    return LINK_RE.sub(sub, h_keep_tags_outside_links(par))


def h_keep_tags(text: str) -> str:
    # escape text but keep the few inline tags we author (<b>, <i>, <strong>, <em>)
    parts = re.split(r"(</?(?:b|i|strong|em)>)", text)
    return "".join(p if re.fullmatch(r"</?(?:b|i|strong|em)>", p) else h(p) for p in parts)


def h_keep_tags_outside_links(par: str) -> str:
    out, pos = [], 0
    for m in LINK_RE.finditer(par):
        out.append(h_keep_tags(par[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(h_keep_tags(par[pos:]))
    return "".join(out)


# ---------------------------------------------------------------------------
# E-mails
# ---------------------------------------------------------------------------


def msg_client(m) -> str:
    """Mail client of a message: the sender's, unless the message says otherwise."""
    return m.get("client") or PEOPLE[m["from"]]["client"]


def msg_dt(m) -> datetime:
    return parse_local(m["date"], TZ[PEOPLE[m["from"]]["tz"]])


def message_id(mid: str, m) -> str:
    p = PEOPLE[m["from"]]
    client = msg_client(m)
    dom = p.get("msgid_domain")
    if client == "outlook":
        n = int(hexid(mid, n=2), 16) % 7 + 1
        host = SETTINGS["exchange_host"].format(n=n)
        return f"<{hexid('msg', mid)}@{host}>"
    if client == "gmail":
        return f"<CAK{hexid('gm', mid, n=40).lower()}@{dom or 'mail.redrivercourier.example'}>"
    if client in ("apple", "iphone"):
        u = hexid("ap", mid)
        return f"<{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}@{dom or 'me.example'}>"
    # Outlook 2010 style
    a, b, c = hexid("o1", mid, n=12), hexid("o2", mid, n=8), hexid("o3", mid, n=8)
    return f"<{a.lower()}${b.lower()}${c.lower()}$@{dom or 'prairiestargazette.example'}>"


def any_msg(mid: str):
    return MSG.get(mid) or EXTERNAL[mid]


def raw_full_text(mid: str) -> str:
    """Unredacted full body of a message (own text + signature + quoted chain)."""
    cache = raw_full_text.__dict__.setdefault("cache", {})
    if mid in cache:
        return cache[mid]
    m = any_msg(mid)
    own, quote = compose_parts(mid, m)
    text = own + quote
    cache[mid] = text
    return text


def compose_parts(mid: str, m) -> tuple[str, str]:
    """Return (own part incl. signature/disclaimer/clip, quoted part) unredacted."""
    if "release" in m:  # external release blast
        rel = ART[m["release"]]
        own = "\n\n".join(visible(p) for p in rel["paras"]) + "\n\n" + rel["url"] + "\n"
        own = rel["headline"] + "\n\n" + own
        return own, ""
    p = PEOPLE[m["from"]]
    lines = list(m["own"])
    if m.get("clip"):
        art = ART[m["clip"]["article"]]
        lines += [
            "",
            "",
            art["headline"],
            f"By {', '.join(art['authors'])}, {OUTLET[art['outlet']]['name']}",
            f"{art['pub_dt']:%B} {art['pub_dt'].day}, {art['pub_dt'].year}",
            "",
        ]
        for i in m["clip"]["paragraphs"]:
            lines += [visible(art["paras"][i]), ""]
        lines.pop()
    if p.get("sig") and m.get("sig", True):
        lines += [""] + p["sig"]
    if p.get("disclaimer"):
        lines += ["", DISCLAIMERS[p["disclaimer"]]]
    own = "\n".join(lines) + "\n"
    quote = ""
    if m.get("quote"):
        quote = quote_block(m, m["quote"])
    return own, quote


def quote_block(m, parent_id: str) -> str:
    parent = any_msg(parent_id)
    ptext = raw_full_text(parent_id)
    style = m.get("style", "outlook")
    sender_tz = TZ[PEOPLE[m["from"]]["tz"]]
    pdt = parse_local(parent["date"], TZ[PEOPLE[parent["from"]]["tz"]]).astimezone(sender_tz)
    if style in ("gmail", "gmail_old", "apple"):
        if style == "gmail":  # On Tue, Dec 8, 2020 at 10:52 AM Name <addr> wrote:
            head = f"On {gmail_when(pdt)} {person_plain(parent['from'])} wrote:\n"
        elif style == "gmail_old":  # On Tue, Dec 8, 2020 at 10:52 AM, Name <addr> wrote:
            head = f"On {gmail_when(pdt)}, {person_plain(parent['from'])} wrote:\n"
        else:  # Apple Mail / iPhone: On Dec 8, 2020, at 10:52 AM, Name <addr> wrote:
            head = (
                f"On {pdt:%b} {pdt.day}, {pdt.year}, at {hour12(pdt)}, "
                f"{person_plain(parent['from'])} wrote:\n\n"
            )
        body = "".join(("> " + ln if ln else ">") + "\n" for ln in ptext.rstrip("\n").split("\n"))
        return "\n" + head + body
    if style == "gmail_forward":
        to = ", ".join(person_plain(t) for t in parent["to"])
        head = (
            "---------- Forwarded message ---------\n"
            f"From: {person_plain(parent['from'])}\n"
            f"Date: {gmail_when(pdt)}\n"
            f"Subject: {parent['subject']}\n"
            f"To: {to}\n"
        )
        if parent.get("cc"):
            head += f"Cc: {', '.join(person_plain(c) for c in parent['cc'])}\n"
        return "\n\n" + head + "\n\n" + ptext
    if style == "original":
        pp = PEOPLE[parent["from"]]
        to = "; ".join(PEOPLE[t]["display"] for t in parent["to"])
        head = (
            "-----Original Message-----\n"
            f"From: {pp['display']} [mailto:{pp['addr']}]\n"
            f"Sent: {outlook_sent(pdt)}\n"
            f"To: {to}\n"
        )
        if parent.get("cc"):
            head += f"Cc: {'; '.join(PEOPLE[c]['display'] for c in parent['cc'])}\n"
        head += f"Subject: {parent['subject']}\n\n"
        return "\n" + head + ptext
    # Outlook underscore block, unprefixed
    to = "; ".join(person_plain(t) for t in parent["to"])
    head = (
        "________________________________\n"
        f"From: {person_plain(parent['from'])}\n"
        f"Sent: {outlook_sent(pdt)}\n"
        f"To: {to}\n"
    )
    if parent.get("cc"):
        head += f"Cc: {'; '.join(person_plain(c) for c in parent['cc'])}\n"
    head += f"Subject: {parent['subject']}\n\n"
    return "\n" + head + ptext


def final_body(m) -> str:
    own, quote = compose_parts(m["id"], m)
    return redact(own, m.get("redact_own")) + redact(quote, m.get("redact_quote"))


def build_messages() -> None:
    for m in MESSAGES:
        m["dt"] = msg_dt(m)
        m["msgid"] = message_id(m["id"], m)
        m["body"] = final_body(m)
    for eid, e in EXTERNAL.items():
        e["id"] = eid
        e["msgid"] = message_id(eid, e)


def thread_refs(mid: str) -> list[str]:
    m = any_msg(mid)
    parent = m.get("reply_to") or m.get("forward_of")
    if not parent:
        return []
    return thread_refs(parent) + [any_msg(parent)["msgid"]]


def fold_refs(refs: list[str]) -> str:
    return "\n ".join(refs)


def eml_bytes(m, bates: str) -> bytes:
    hdr = [
        ("Message-ID", m["msgid"]),
        ("Date", format_datetime(m["dt"])),
        ("From", person_hdr(m["from"])),
        ("To", ", ".join(person_hdr(t) for t in m["to"])),
    ]
    if m.get("cc"):
        hdr.append(("Cc", ", ".join(person_hdr(c) for c in m["cc"])))
    hdr.append(("Subject", m["subject"]))
    if m.get("reply_to"):
        hdr.append(("In-Reply-To", any_msg(m["reply_to"])["msgid"]))
    refs = thread_refs(m["id"])
    if refs:
        hdr.append(("References", fold_refs(refs)))
    client = msg_client(m)
    if client == "outlook":
        topic = re.sub(r"^(?:RE|FW|Re|Fwd): ", "", m["subject"])
        hdr.append(("Thread-Topic", topic))
        hdr.append(("X-MS-Has-Attach", "yes" if m.get("has_attach") else ""))
    elif client == "outlook2010":
        hdr.append(("X-Mailer", "Microsoft Outlook 14.0"))
    elif client == "apple":
        hdr.append(("X-Mailer", "Apple Mail (2.3731.700.6)"))
    elif client == "iphone":
        hdr.append(("X-Mailer", "iPhone Mail (21B101)"))
    hdr.append(("X-Bates", bates))
    hdr += [
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
        ("MIME-Version", "1.0"),
    ]
    head = "".join(f"{k}: {v}\n" if v else f"{k}:\n" for k, v in hdr)
    body = quopri.encodestring(m["body"].encode("utf-8"))
    data = head.encode("ascii") + b"\n" + body
    # round-trip check
    parsed = message_from_bytes(data, policy=policy.default)
    if parsed.get_body(("plain",)).get_content() != m["body"]:
        raise SystemExit(f"{m['id']}: body does not round-trip through quoted-printable")
    return data


# ---------------------------------------------------------------------------
# PDF production
# ---------------------------------------------------------------------------

REDACTION_RE = re.compile(r"\(b\)\(\d\)(?:\([A-Z]\))?")


class Production:
    W, H = 612, 792
    LM, RM, TOP, BOTTOM = 54, 54, 54, 64

    def __init__(self, path: Path):
        from reportlab import rl_config
        from reportlab.pdfgen import canvas

        rl_config.invariant = 1
        self.c = canvas.Canvas(str(path), pagesize=(self.W, self.H), invariant=1, pageCompression=0)
        self.c.setTitle(SETTINGS["pdf_title"])
        self.c.setAuthor(SETTINGS["pdf_author"])
        self.c.setCreator(SETTINGS["pdf_creator"])
        self.c.setProducer(SETTINGS["pdf_creator"])
        self.bates = META["bates_start"]
        self.y = None
        self.header_fn = None
        self.page_open = False

    def bates_str(self, n: int) -> str:
        return f"{META['bates_prefix']}{n:0{META['bates_width']}d}"

    # -- page handling --------------------------------------------------
    def start_page(self):
        self.page_open = True
        self.y = self.H - self.TOP
        if self.header_fn:
            self.header_fn()

    def end_page(self):
        c = self.c
        c.setFont("Helvetica", 7.5)
        c.drawString(self.LM, 34, META["production_ref"])
        c.setFont("Helvetica-Bold", 9)
        c.drawRightString(self.W - self.RM, 34, self.bates_str(self.bates))
        c.showPage()
        self.bates += 1
        self.page_open = False

    def need(self, height: float):
        if self.y - height < self.BOTTOM:
            self.end_page()
            self.start_page()

    # -- text -------------------------------------------------------------
    def text_line(self, x: float, text: str, font="Helvetica", size=9.5, lead=11.8):
        from reportlab.pdfbase.pdfmetrics import stringWidth

        self.need(lead)
        self.y -= lead
        c = self.c
        c.setFont(font, size)
        c.drawString(x, self.y, text)
        for mm in REDACTION_RE.finditer(text):
            x0 = x + stringWidth(text[: mm.start()], font, size)
            w = stringWidth(mm.group(0), font, size)
            c.setLineWidth(0.6)
            c.rect(x0 - 1.2, self.y - 2.2, w + 2.4, size + 2.6, stroke=1, fill=0)

    def wrap(self, text: str, width: float, font="Helvetica", size=9.5) -> list[str]:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        if not text:
            return [""]
        out, cur = [], ""
        for word in text.split(" "):
            cand = word if not cur else cur + " " + word
            if stringWidth(cand, font, size) <= width:
                cur = cand
                continue
            if cur:
                out.append(cur)
                cur = ""
            # break over-long tokens (URLs) mid-token
            while stringWidth(word, font, size) > width:
                k = len(word)
                while k > 1 and stringWidth(word[:k], font, size) > width:
                    k -= 1
                out.append(word[:k])
                word = word[k:]
            cur = word
        out.append(cur)
        return out

    def paragraph(self, text: str, x=None, font="Helvetica", size=9.5, lead=11.8):
        x = self.LM if x is None else x
        for ln in self.wrap(text, self.W - self.RM - x, font, size):
            self.text_line(x, ln, font, size, lead)

    def rule(self, weight=1.2, gap=6):
        self.need(gap * 2)
        self.y -= gap
        self.c.setLineWidth(weight)
        self.c.line(self.LM, self.y, self.W - self.RM, self.y)
        self.y -= gap

    # -- message layouts ----------------------------------------------------
    def outlook_message(self, m):
        self.header_fn = None
        self.start_page()
        self.text_line(self.LM, MAILBOX_OWNER, "Helvetica-Bold", 12, 15)
        self.rule(1.6, 5)
        sent = m["dt"].astimezone(MAILBOX_TZ)
        fields = [
            ("From:", PEOPLE[m["from"]]["display"]),
            ("Sent:", outlook_sent(sent)),
            ("To:", "; ".join(PEOPLE[t]["display"] for t in m["to"])),
        ]
        if m.get("cc"):
            fields.append(("Cc:", "; ".join(PEOPLE[c]["display"] for c in m["cc"])))
        fields.append(("Subject:", m["subject"]))
        for label, value in fields:
            lines = self.wrap(value, self.W - self.RM - (self.LM + 78), "Helvetica", 10)
            self.need(13)
            self.c.setFont("Helvetica-Bold", 10)
            self.c.drawString(self.LM, self.y - 13, label)
            for ln in lines:
                self.text_line(self.LM + 78, ln, "Helvetica", 10, 13)
        self.y -= 10
        self.body(m["body"])
        self.end_page()

    def webmail_message(self, m):
        subj = m["subject"]

        def header():
            self.c.setFont("Helvetica", 7.5)
            self.c.drawString(self.LM, self.H - 30, f"{META['webmail_name']} - {subj}")
            self.c.drawRightString(self.W - self.RM, self.H - 30, META["print_date"])

        self.header_fn = header
        self.start_page()
        self.text_line(self.LM, f"{META['webmail_name']}", "Helvetica-Bold", 11, 14)
        self.c.setFont("Helvetica", 9)
        self.c.drawRightString(self.W - self.RM, self.y, person_plain(SETTINGS["mailbox_person"]))
        self.rule(0.8, 5)
        self.paragraph(subj, font="Helvetica-Bold", size=12, lead=16)
        self.rule(0.8, 5)
        sent = m["dt"].astimezone(MAILBOX_TZ)
        p = PEOPLE[m["from"]]
        self.need(13)
        self.y -= 13
        self.c.setFont("Helvetica-Bold", 9.5)
        self.c.drawString(self.LM, self.y, p["display"])
        from reportlab.pdfbase.pdfmetrics import stringWidth

        x = self.LM + stringWidth(p["display"], "Helvetica-Bold", 9.5) + 4
        self.c.setFont("Helvetica", 9.5)
        self.c.drawString(x, self.y, f"<{p['addr']}>")
        self.c.drawRightString(self.W - self.RM, self.y, gmail_when(sent))
        self.paragraph("To: " + ", ".join(person_plain(t) for t in m["to"]), size=9, lead=11.5)
        if m.get("cc"):
            self.paragraph("Cc: " + ", ".join(person_plain(c) for c in m["cc"]), size=9, lead=11.5)
        self.y -= 8
        self.body(m["body"])
        self.end_page()
        self.header_fn = None

    def body(self, text: str):
        for line in text.rstrip("\n").split("\n"):
            self.paragraph(line)

    def withheld(self, info):
        self.header_fn = None
        self.start_page()
        self.y -= 200
        self.c.setFont("Helvetica-Bold", 20)
        self.c.drawCentredString(self.W / 2, self.y, "Withheld in Full")
        self.y -= 36
        self.c.setFont("Helvetica-Bold", 14)
        ex = info["exemption"]
        from reportlab.pdfbase.pdfmetrics import stringWidth

        w = stringWidth(ex, "Helvetica-Bold", 14)
        self.c.drawCentredString(self.W / 2, self.y, ex)
        self.c.rect(self.W / 2 - w / 2 - 3, self.y - 4, w + 6, 19, stroke=1, fill=0)
        self.y -= 28
        self.c.setFont("Helvetica", 11)
        self.c.drawCentredString(self.W / 2, self.y, info["reason"])
        self.end_page()

    def save(self):
        self.c.save()


def build_pdf(path: Path) -> dict[str, str]:
    prod = Production(path)
    bates = {}
    for m in MESSAGES:
        bates[m["id"]] = prod.bates_str(prod.bates)
        if m["print"] == "webmail":
            prod.webmail_message(m)
        else:
            prod.outlook_message(m)
        if m.get("withheld_after"):
            prod.withheld(m["withheld_after"])
    prod.save()
    return bates


# ---------------------------------------------------------------------------
# Site
# ---------------------------------------------------------------------------


def slugify(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def outlet_articles(slug: str) -> list[dict]:
    return sorted(
        (a for a in ARTICLES if a["outlet"] == slug), key=lambda a: a["pub_dt"], reverse=True
    )


def long_date(dt: datetime) -> str:
    return f"{dt:%B} {dt.day}, {dt.year}"


def time12(dt: datetime) -> str:
    hr = dt.hour % 12 or 12
    return f"{hr}:{dt.minute:02d} {'a.m.' if dt.hour < 12 else 'p.m.'}"


def jsonld(obj) -> str:
    return json.dumps(obj, ensure_ascii=False).replace("</", "<\\/")


def head_common(a, o, title: str) -> str:
    mod = a["mod_dt"]
    lines = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(title)}</title>",
        f'<meta name="description" content="{h(a["dek"])}">',
        f'<link rel="canonical" href="{h(a["url"])}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{h(a["headline"])}">',
        f'<meta property="og:url" content="{h(a["url"])}">',
        f'<meta property="og:description" content="{h(a["dek"])}">',
        f'<meta property="og:image" content="https://{o["domain"]}/{o["slug"]}/media/{hexid(a["id"], n=8).lower()}.jpg">',
        f'<meta property="og:site_name" content="{h(o["name"])}">',
        f'<meta property="article:published_time" content="{w3c(a["pub_dt"])}">',
    ]
    if mod or o.get("always_modified", o["template"] == "legacy"):
        lines.append(f'<meta property="article:modified_time" content="{w3c(mod or a["pub_dt"])}">')
    lines.append(f'<meta property="article:section" content="{h(a["section"])}">')
    if a["authors"]:
        lines.append(f'<meta name="author" content="{h(", ".join(a["authors"]))}">')
    lines += [
        f'<link rel="stylesheet" href="/{o["slug"]}/static/site.css">',
        f'<link rel="alternate" type="application/rss+xml" title="{h(o["name"])}" href="/{o["slug"]}/rss.xml">',
    ]
    return "\n".join(lines)


def org_name(a, o) -> str:
    """Institution behind an agency page (article "org", else outlet "org_name")."""
    return a.get("org") or o.get("org_name", "U.S. Immigration and Customs Enforcement")


def authors_ld(a, o):
    if not a["authors"]:
        return {"@type": "Organization", "name": org_name(a, o)}
    people = [
        {
            "@type": "Person",
            "name": n,
            "url": f"https://{o['domain']}/{o['slug']}/author/{slugify(n)}.html",
        }
        for n in a["authors"]
    ]
    return people[0] if len(people) == 1 else people


def related_items(a) -> list[dict]:
    return [ART[r] for r in a.get("related", [])]


def render_wordpress(a, o) -> str:
    mod = a["mod_dt"]
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "@id": a["url"] + "#article",
                "isPartOf": {"@id": a["url"]},
                "headline": a["headline"],
                "description": a["dek"],
                "datePublished": w3c(a["pub_dt"]),
                "dateModified": w3c(mod or a["pub_dt"]),
                "author": authors_ld(a, o),
                "mainEntityOfPage": {"@id": a["url"]},
                "publisher": {"@id": f"https://{o['domain']}/#organization"},
                "articleSection": [a["section"]],
                "inLanguage": "en-US",
            },
            {
                "@type": "WebPage",
                "@id": a["url"],
                "url": a["url"],
                "name": a["headline"],
                "datePublished": w3c(a["pub_dt"]),
                "dateModified": w3c(mod or a["pub_dt"]),
            },
            {
                "@type": "Organization",
                "@id": f"https://{o['domain']}/#organization",
                "name": o["name"],
                "url": f"https://{o['domain']}/{o['slug']}/",
            },
        ],
    }
    post_id = int(hexid(a["id"], n=5), 16) % 90000 + 10000
    sec_slug = slugify(a["section"])
    menu = "".join(
        f'<li class="menu-item"><a href="/{o["slug"]}/section/{slugify(s)}.html">{h(s)}</a></li>'
        for s in o["sections"]
    )
    byline = " and ".join(
        f'<span class="author vcard"><a class="url fn n" href="/{o["slug"]}/author/{slugify(n)}.html">{h(n)}</a></span>'
        for n in a["authors"]
    )
    times = (
        f'<time class="entry-date published" datetime="{w3c(a["pub_dt"])}">'
        f"{long_date(a['pub_dt'])} at {time12(a['pub_dt'])}</time>"
    )
    if mod:
        times += (
            f' <time class="updated" datetime="{w3c(mod)}">Updated '
            f"{long_date(mod)} at {time12(mod)}</time>"
        )
    paras = "\n".join(f"<p>{resolve_links(p)}</p>" for p in a["paras"])
    related = "".join(
        f'<li class="jp-relatedposts-post"><a href="{r["path"]}">{h(r["headline"])}</a>'
        f' <span class="jp-relatedposts-post-date">{long_date(r["pub_dt"])}</span></li>'
        for r in related_items(a)
    )
    trending = "".join(
        f'<li><a href="{r["path"]}">{h(r["headline"])}</a></li>'
        for r in outlet_articles(o["slug"])[:4]
    )
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
{head_common(a, o, a["headline"] + " – " + o["name"])}
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="{h(a["headline"])}">
<script type="application/ld+json" class="yoast-schema-graph">{jsonld(graph)}</script>
<script src="/{o["slug"]}/static/metrics.js" defer></script>
</head>
<body class="post-template-default single single-post postid-{post_id} single-format-standard">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#primary">Skip to content</a>
<header id="masthead" class="site-header">
<div class="site-branding"><p class="site-title"><a href="/{o["slug"]}/" rel="home">{h(o["name"])}</a></p><p class="site-description">{h(o["tagline"])}</p></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu"><li class="menu-item"><a href="/{o["slug"]}/">Home</a></li>{menu}</ul></nav>
</header>
<div id="content" class="site-content">
<main id="primary" class="site-main">
<header class="entry-header">
<span class="cat-links"><a href="/{o["slug"]}/section/{sec_slug}.html" rel="category tag">{h(a["section"])}</a></span>
<h1 class="entry-title">{h(a["headline"])}</h1>
<p class="entry-dek">{h(a["dek"])}</p>
<div class="entry-meta"><span class="byline">By {byline}</span> <span class="posted-on">{times}</span></div>
</header>
<article id="post-{post_id}" class="entry-content post-{post_id} post type-post status-publish format-standard">
{paras}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3><ul><li><a class="share-email" href="#">Email</a></li><li><a class="share-facebook" href="#">Facebook</a></li></ul></div>
</article>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3><ul>{related}</ul></div>
<section class="newsletter-signup"><h2>{h(o.get("newsletter_title", "The Courier Morning Brief"))}</h2><p>{h(o.get("newsletter_text", "Get the day’s top stories from the Red River Valley in your inbox every weekday at 6 a.m."))}</p><form action="#"><input type="email" placeholder="Email address"><button type="submit">Sign up</button></form></section>
<div id="comments" class="comments-area"><p class="comments-closed">Comments are closed on this story.</p></div>
</main>
<aside id="secondary" class="widget-area"><section class="widget widget_trending"><h2 class="widget-title">Trending</h2><ul>{trending}</ul></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info"><p>© {SETTINGS["copyright_year"]} {h(o["name"])}. All rights reserved.</p></div></footer>
</div>
</body>
</html>
"""


def render_legacy(a, o) -> str:
    mod = a["mod_dt"] or a["pub_dt"]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": a["url"]},
        "headline": a["headline"],
        "description": a["dek"],
        "datePublished": w3c(a["pub_dt"]),
        "dateModified": w3c(mod),
        "author": authors_ld(a, o),
        "publisher": {"@type": "Organization", "name": o["name"]},
        "articleSection": a["section"],
    }
    if a.get("author_org"):
        ld["sourceOrganization"] = {"@type": "Organization", "name": a["author_org"]}
    nav = " | ".join(
        [f'<a href="/{o["slug"]}/">Home</a>']
        + [f'<a href="/{o["slug"]}/section/{slugify(s)}.html">{h(s)}</a>' for s in o["sections"]]
    )
    by = " and ".join(
        f'<a href="/{o["slug"]}/author/{slugify(n)}.html">{h(n.upper())}</a>' for n in a["authors"]
    )
    role = a.get("author_org") or o.get("staff_role", "Star-Gazette Staff Writer")
    stamp = (
        f"Posted: {a['pub_dt']:%A}, {long_date(a['pub_dt'])} "
        f"{a['pub_dt'].hour % 12 or 12}:{a['pub_dt'].minute:02d} "
        f"{'am' if a['pub_dt'].hour < 12 else 'pm'}"
    )
    if a["mod_dt"]:
        md = a["mod_dt"]
        stamp += (
            f"<br>Updated: {md:%A}, {long_date(md)} {md.hour % 12 or 12}:"
            f"{md.minute:02d} {'am' if md.hour < 12 else 'pm'}"
        )
    dateline = f'<span class="dateline">{h(a["dateline"])}</span>\n' if a.get("dateline") else ""
    paras = "\n".join(f"<p>{resolve_links(p)}</p>" for p in a["paras"])
    if a.get("syndication_note"):
        paras += f'\n<p class="syndication-note"><i>{h(a["syndication_note"])}</i></p>'
    related = "".join(
        f'<li><a href="{r["path"]}">{h(r["headline"])}</a></li>' for r in related_items(a)
    )
    most = "".join(
        f'<li><a href="{r["path"]}">{h(r["headline"])}</a></li>'
        for r in outlet_articles(o["slug"])[:5]
    )
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
<head>
{head_common(a, o, o["name"] + ": " + a["headline"])}
<script type="application/ld+json">{jsonld(ld)}</script>
<script type="text/javascript" src="/{o["slug"]}/static/metrics.js"></script>
</head>
<body bgcolor="#ffffff" topmargin="0" leftmargin="0" marginheight="0" marginwidth="0">
<table width="980" border="0" cellpadding="0" cellspacing="0" align="center" id="wrapper">
<tr><td colspan="2" class="masthead"><a href="/{o["slug"]}/"><img src="/{o["slug"]}/static/logo.gif" alt="{h(o["name"])}" width="420" height="64" border="0"></a><br><font size="1">{h(o["tagline"])}</font></td></tr>
<tr><td colspan="2" class="navbar"><font size="2">{nav}</font></td></tr>
<tr>
<td width="660" valign="top" class="storycell">
<div class="kicker">{h(a["section"].upper())}</div>
<h1 class="headline">{h(a["headline"])}</h1>
<div class="subhead">{h(a["dek"])}</div>
<div class="byline">By {by}<br><font size="1">{h(role)}</font></div>
<div class="timestamp"><font size="1">{stamp}</font></div>
<div class="storytext">
{dateline}{paras}
</div>
<table class="related-stories" width="100%" border="0" cellpadding="4"><tr><td><b>Related Stories</b><ul>{related}</ul></td></tr></table>
<div id="newsletter-box"><p><b>{ht(o.get("newsletter_title", "Star-Gazette Headlines:"))}</b> {ht(o.get("newsletter_text", "the day's local news, delivered free every evening."))}</p><form action="#"><input type="text" name="email" size="24"> <input type="submit" value="Subscribe"></form></div>
</td>
<td width="300" valign="top" class="rightrail">
<div class="most-read"><b>Most Read</b><ol>{most}</ol></div>
<div class="ad"><p>ADVERTISEMENT</p></div>
</td>
</tr>
<tr><td colspan="2" class="bottom"><font size="1">Copyright {SETTINGS["copyright_year"]} {h(o["name"])}, {h(o.get("place", "Korsvik, N.D."))} All rights reserved.</font></td></tr>
</table>
</body>
</html>
"""


def render_agency(a, o) -> str:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a["headline"],
        "description": a["dek"],
        "datePublished": w3c(a["pub_dt"]),
        "dateModified": w3c(a["mod_dt"] or a["pub_dt"]),
        "author": authors_ld(a, o),
        "publisher": {"@type": "Organization", "name": org_name(a, o)},
        "mainEntityOfPage": a["url"],
    }
    paras = "\n".join(f"<p>{resolve_links(p)}</p>" for p in a["paras"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
{head_common(a, o, a["headline"] + " | " + a.get("org_short", o.get("org_short", "ICE")))}
<script type="application/ld+json">{jsonld(ld)}</script>
</head>
<body>
<header class="usa-header"><a class="usa-logo" href="/{o["slug"]}/">{h(org_name(a, o))}</a>
<nav class="usa-nav"><a href="/{o["slug"]}/">Newsroom</a> <a href="/{o["slug"]}/section/news-releases.html">News Releases</a></nav></header>
<main id="main-content" class="usa-layout-docs">
<div class="release-type">News Release</div>
<h1 class="release-title">{h(a["headline"])}</h1>
<div class="release-date"><time datetime="{w3c(a["pub_dt"])}">{long_date(a["pub_dt"])}</time></div>
<div class="field--body usa-prose">
{paras}
</div>
<div class="release-contact">{h(a.get("contact", o.get("contact", "Media contact: ICE Office of Public Affairs, (202) 555-0107")))}</div>
</main>
<footer class="usa-footer"><p>{h(org_name(a, o))} (fictional fixture)</p></footer>
</body>
</html>
"""


def css_class(*parts: str) -> str:
    """CSS-in-JS style hashed class name (deterministic)."""
    return "css-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:6]


def render_nextjs(a, o) -> str:
    """React/Next.js-style page: hashed classes, data-testid hooks, a __NEXT_DATA__ blob,
    the dateline inside the first paragraph, a photo caption, inline ads and an
    'also read' rail (excluded from visible paragraphs by its data-testid)."""
    mod = a["mod_dt"]
    c = lambda *k: css_class(o["slug"], *k)  # noqa: E731
    people = [
        {
            "@type": "Person",
            "name": n,
            "url": f"https://{o['domain']}/{o['slug']}/author/{slugify(n)}.html",
        }
        for n in a["authors"]
    ]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a["headline"],
        "description": a["dek"],
        "datePublished": w3c(a["pub_dt"]),
        "dateModified": w3c(mod or a["pub_dt"]),
        "author": people or {"@type": "Organization", "name": o["name"]},
        "publisher": {"@type": "NewsMediaOrganization", "name": o["name"]},
        "mainEntityOfPage": {"@type": "WebPage", "@id": a["url"]},
        "isAccessibleForFree": True,
    }
    next_data = {
        "props": {
            "pageProps": {
                "story": {
                    "id": hexid("story", a["id"], n=12).lower(),
                    "headline": a["headline"],
                    "summary": a["dek"],
                    "section": a["section"],
                    "canonicalPath": a["path"],
                    "byline": [{"name": n} for n in a["authors"]],
                    "firstPublished": w3c(a["pub_dt"]),
                    "lastUpdated": w3c(mod or a["pub_dt"]),
                }
            }
        },
        "page": "/[section]/[...slug]",
        "buildId": hexid("build", o["slug"], n=21).lower(),
        "isFallback": False,
    }
    menu = "".join(
        f'<li class="{c("navitem")}"><a href="/{o["slug"]}/section/{slugify(s)}.html">{h(s)}</a></li>'
        for s in o["sections"]
    )
    byline = ", ".join(
        f'<a class="{c("author")}" href="/{o["slug"]}/author/{slugify(n)}.html">{h(n)}</a>'
        for n in a["authors"]
    )
    if a.get("author_org"):
        byline += f", {h(a['author_org'])}"
    zone = o.get("zone_label", "")

    def stamp(dt):
        return f"{dt:%b}. {dt.day}, {dt.year} {time12(dt)} {zone}".replace("May.", "May").strip()

    times = f'<time datetime="{w3c(a["pub_dt"])}">Published {stamp(a["pub_dt"])}</time>'
    if mod:
        times += f' <time datetime="{w3c(mod)}">Updated {stamp(mod)}</time>'
    paras = []
    for i, par in enumerate(a["paras"]):
        body = resolve_links(par)
        if i == 0 and a.get("dateline"):
            body = f'<span class="{c("dateline")}">{h(a["dateline"])}</span> ' + body
        paras.append(f'<p class="{c("p")} e1xq0b2">{body}</p>')
        if i == 2 and len(a["paras"]) > 4:
            paras.append(f'<div class="ad" id="ad-slot-{i}"><p>Advertisement</p></div>')
    if a.get("syndication_note"):
        paras.append(f'<p class="{c("p")} e1xq0b2"><em>{h(a["syndication_note"])}</em></p>')
    photo = ""
    if a.get("photo"):
        photo = (
            f'<figure class="{c("figure")}"><img src="/{o["slug"]}/media/{hexid(a["id"], n=8).lower()}.jpg" alt="">'
            f'<figcaption class="{c("caption")}"><p>{h(a["photo"])}</p></figcaption></figure>'
        )
    also = "".join(
        f'<li><a href="{r["path"]}">{h(r["headline"])}</a></li>' for r in related_items(a)
    )
    latest = "".join(
        f'<li><a href="{r["path"]}">{h(r["headline"])}</a></li>'
        for r in outlet_articles(o["slug"])[:5]
    )
    paras_html = "\n".join(paras)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
{head_common(a, o, a["headline"] + " | " + o["name"])}
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@{o["slug"].replace("-", "")}">
<script type="application/ld+json">{jsonld(ld)}</script>
<style data-emotion="css">.{c("p")}{{font-size:1.1rem;line-height:1.6}}.{c("dateline")}{{font-weight:700;text-transform:uppercase}}</style>
</head>
<body>
<div id="__next">
<header class="{c("header")}"><a class="{c("brand")}" href="/{o["slug"]}/">{h(o["name"])}</a>
<nav class="{c("nav")}" aria-label="Sections"><ul>{menu}</ul></nav></header>
<main class="{c("main")}">
<article class="{c("article")}" data-testid="story">
<div class="{c("kicker")}"><a href="/{o["slug"]}/section/{slugify(a["section"])}.html">{h(a["section"])}</a></div>
<h1 class="{c("headline")}" data-testid="headline">{h(a["headline"])}</h1>
<h2 class="{c("dek")}" data-testid="summary">{h(a["dek"])}</h2>
<div class="{c("byline")}" data-testid="byline">By {byline}</div>
<div class="{c("timestamp")}" data-testid="timestamp">{times}</div>
{photo}
<div class="{c("body")}" data-testid="story-body">
{paras_html}
</div>
<section class="{c("alsos")}" data-testid="story-alsos"><h3>Read more</h3><ul>{also}</ul></section>
<div class="{c("cta")}" data-testid="newsletter-cta"><p>{ht(o.get("newsletter_text", "Get our morning newsletter."))}</p></div>
</article>
<aside class="{c("rail")}"><h3>Latest</h3><ol>{latest}</ol></aside>
</main>
<footer class="{c("footer")}"><p>© {SETTINGS["copyright_year"]} {h(o["name"])}</p></footer>
</div>
<script id="__NEXT_DATA__" type="application/json">{jsonld(next_data)}</script>
<script src="/{o["slug"]}/static/metrics.js" async></script>
</body>
</html>
"""


def listing_page(o, title: str, items: list[dict]) -> str:
    lis = "\n".join(
        f'<li><a href="{a["path"]}">{h(a["headline"])}</a> <span class="date">{a["pub_dt"]:%Y-%m-%d}</span></li>'
        for a in items
    )
    nav = " | ".join(
        [f'<a href="/{o["slug"]}/">Home</a>']
        + [f'<a href="/{o["slug"]}/section/{slugify(s)}.html">{h(s)}</a>' for s in o["sections"]]
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{h(title)} | {h(o["name"])}</title>
<link rel="stylesheet" href="/{o["slug"]}/static/site.css">
<link rel="alternate" type="application/rss+xml" title="{h(o["name"])}" href="/{o["slug"]}/rss.xml">
</head>
<body class="listing">
<header><a href="/{o["slug"]}/">{h(o["name"])}</a></header>
<nav>{nav}</nav>
<main><h1>{h(title)}</h1>
<ul class="story-list">
{lis}
</ul></main>
<footer>&copy; {SETTINGS["copyright_year"]} {h(o["name"])}</footer>
</body>
</html>
"""


def sitemap_xml(o) -> str:
    items = []
    for a in outlet_articles(o["slug"]):
        items.append(f"""  <url>
    <loc>{h(a["url"])}</loc>
    <lastmod>{w3c(a["mod_dt"] or a["pub_dt"])}</lastmod>
    <news:news>
      <news:publication>
        <news:name>{h(o["name"])}</news:name>
        <news:language>en</news:language>
      </news:publication>
      <news:publication_date>{w3c(a["pub_dt"])}</news:publication_date>
      <news:title>{h(a["headline"])}</news:title>
    </news:news>
  </url>
""")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
        '        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "".join(items)
        + "</urlset>\n"
    )


def rss_xml(o) -> str:
    arts = outlet_articles(o["slug"])
    newest = arts[: o["rss_n"]]
    base = f"https://{o['domain']}/{o['slug']}/"
    items = []
    for a in newest:
        creator = ", ".join(a["authors"]) or org_name(a, o)
        items.append(f"""    <item>
      <title>{h(a["headline"])}</title>
      <link>{h(a["url"])}</link>
      <guid isPermaLink="true">{h(a["url"])}</guid>
      <pubDate>{rfc822(a["pub_dt"])}</pubDate>
      <dc:creator>{h(creator)}</dc:creator>
      <category>{h(a["section"])}</category>
      <description>{h(a["dek"])}</description>
    </item>
""")
    build = max((a["mod_dt"] or a["pub_dt"]) for a in arts)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n  <channel>\n'
        f"    <title>{h(o['name'])}</title>\n    <link>{base}</link>\n"
        f'    <atom:link href="{base}rss.xml" rel="self" type="application/rss+xml"/>\n'
        f"    <description>{h(o['tagline'])}</description>\n    <language>en-us</language>\n"
        f"    <lastBuildDate>{rfc822(build)}</lastBuildDate>\n"
        + "".join(items)
        + "  </channel>\n</rss>\n"
    )


SITE_CSS = """body{font-family:Georgia,serif;margin:0;color:#222}
a{color:#1a4d8f}
.site-header,.masthead,.usa-header{padding:12px 20px;border-bottom:2px solid #333}
.entry-content p,.storytext p,.usa-prose p{line-height:1.55;max-width:40em}
.jp-relatedposts,.related-stories,.newsletter-signup,#newsletter-box{background:#f4f4f4;padding:10px;margin:16px 0}
.widget-area,.rightrail{font-size:90%}
.dateline{font-weight:bold}
"""


def build_site(site: Path) -> None:
    renderers = {
        "wordpress": render_wordpress,
        "legacy": render_legacy,
        "agency": render_agency,
        "nextjs": render_nextjs,
    }
    for o in OUTLETS:
        root = site / o["slug"]
        arts = outlet_articles(o["slug"])
        for a in arts:
            write(site / a["path"].lstrip("/"), renderers[o["template"]](a, o))
        write(root / "sitemap.xml", sitemap_xml(o))
        write(root / "rss.xml", rss_xml(o))
        write(root / "index.html", listing_page(o, "Latest stories", arts))
        for s in o["sections"]:
            write(
                root / "section" / f"{slugify(s)}.html",
                listing_page(o, s, [a for a in arts if a["section"] == s]),
            )
        for n in sorted({n for a in arts for n in a["authors"]}):
            write(
                root / "author" / f"{slugify(n)}.html",
                listing_page(o, n, [a for a in arts if n in a["authors"]]),
            )
        write(root / "static" / "site.css", SITE_CSS)
        write(root / "static" / "metrics.js", SETTINGS["metrics_js"])
    lis = "\n".join(
        f'<li><a href="/{o["slug"]}/">{h(o["name"])}</a> ({o["domain"]})</li>' for o in OUTLETS
    )
    write(
        site / "index.html",
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{h(SETTINGS["site_title"])}</title></head>
<body><h1>{h(SETTINGS["site_heading"])}</h1><ul>
{lis}
</ul></body></html>
""",
    )


def outlets_toml() -> str:
    out = [
        SETTINGS["toml_comment"],
        "# served as the HTTP document root; canonical URLs are https://<domain>/<slug>/...",
        "",
    ]
    for o in OUTLETS:
        out += [
            "[[outlet]]",
            f'slug = "{o["slug"]}"',
            f'name = "{o["name"]}"',
            f'domain = "{o["domain"]}"',
            f'sitemap = "{o["slug"]}/sitemap.xml"',
            f'rss = "{o["slug"]}/rss.xml"',
            "",
        ]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Verification of quotes (independent of the tests, fails the build)
# ---------------------------------------------------------------------------

SKIP_TAGS = {
    "head",
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "figure",
    "figcaption",
    "button",
}
SKIP_ATTR_RE = re.compile(
    r"related|newsletter|comment|promo|trending|most-read|mostpopular|"
    r"sidebar|signup|share|widget|story-alsos"
)
VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "area", "base", "col"}


class ParaExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # excluded flag per open element
        self.paras: list[str] = []
        self.cur: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        a = dict(attrs)
        keys = " ".join(a.get(k) or "" for k in ("class", "id", "data-testid", "data-component"))
        excl = (
            tag in SKIP_TAGS
            or bool(SKIP_ATTR_RE.search(keys.lower()))
            or (a.get("class") or "").strip() == "ad"
        )
        self.stack.append(excl)
        if tag == "p" and not any(self.stack):
            self.cur = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "p" and self.cur is not None:
            self.paras.append(re.sub(r"\s+", " ", "".join(self.cur)).strip())
            self.cur = None
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.cur is not None:
            self.cur.append(data)


def visible_paragraphs(page: str) -> list[str]:
    p = ParaExtractor()
    p.feed(page)
    return p.paras


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)


def export_cases() -> dict:
    """JSON export of the data above (cases.json slot of the scenario layout)."""
    return {
        "set": SETTINGS["set"],
        "note": SETTINGS["cases_note"],
        "meta": META,
        "disclaimers": DISCLAIMERS,
        "people": PEOPLE,
        "outlets": OUTLETS,
        "threads": [
            {k: v for k, v in m.items() if k not in ("dt", "body", "msgid")} for m in MESSAGES
        ],
        "external_messages": {
            k: {kk: vv for kk, vv in v.items() if kk not in ("msgid",)} for k, v in EXTERNAL.items()
        },
        "articles": [
            {k: v for k, v in a.items() if k not in ("pub_dt", "mod_dt", "url")} for a in ARTICLES
        ],
        "labels": [
            dict(
                zip(
                    ("message", "article", "email_quote", "article_quote", "detail_type", "note"),
                    lab,
                    strict=True,
                )
            )
            for lab in LABELS
        ],
        "hard_negatives": [
            {"message": b, "article": a, "reason": r, "note": n, **x}
            for b, a, r, n, x in HARD_NEGATIVES
        ],
    }


def build(out: Path) -> None:
    prepare_articles()
    build_messages()
    for sub in ("emails", "production", "site"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    (out / "production").mkdir(parents=True, exist_ok=True)
    bates = build_pdf(out / "production" / "production.pdf")
    for i, m in enumerate(MESSAGES, 1):
        m["bates"] = bates[m["id"]]
        write(out / "emails" / f"{i:03d}.eml", eml_bytes(m, bates[m["id"]]))
    build_site(out / "site")
    write(out / "outlets.toml", outlets_toml())

    # labels, verified
    pages = {
        a["id"]: visible_paragraphs((out / "site" / a["path"].lstrip("/")).read_text("utf-8"))
        for a in ARTICLES
    }
    lines = []
    for mid, aid, eq, aq, dt_, note in LABELS:
        m, a = MSG[mid], ART[aid]
        if eq not in m["body"]:
            raise SystemExit(f"label {mid}/{aid}: email quote not in body: {eq!r}")
        if not any(aq in p for p in pages[aid]):
            raise SystemExit(f"label {mid}/{aid}: article quote not visible: {aq!r}")
        lag = (a["mod_dt"] or a["pub_dt"]) - m["dt"]
        if not timedelta(0) <= lag <= timedelta(days=10):
            raise SystemExit(f"label {mid}/{aid}: article not 0-10 days after the email")
        lines.append(
            json.dumps(
                {
                    "bates": m["bates"],
                    "article": a["path"],
                    "email_quote": eq,
                    "article_quote": aq,
                    "detail_type": dt_,
                    "note": note,
                },
                ensure_ascii=False,
            )
        )
    write(out / "labels.jsonl", "\n".join(lines) + "\n")

    labelled = {(mid, aid) for mid, aid, *_ in LABELS}
    lines = []
    for mid, aid, reason, note, extra in HARD_NEGATIVES:
        m, a = MSG[mid], ART[aid]
        rec = {"bates": m["bates"], "article": a["path"], "reason": reason}
        if reason == "syndicated_copy":
            orig = ART[extra["original"]]
            if (mid, aid) not in labelled:
                raise SystemExit(f"syndicated copy {mid}/{aid} must also be labelled")
            rec["note"] = f"republished copy of {orig['path']}; group with the original"
            rec["original"] = orig["path"]
        else:
            if (mid, aid) in labelled:
                raise SystemExit(f"hard negative {mid}/{aid} is labelled")
            if reason == "published_before_email" and not a["pub_dt"] < m["dt"]:
                raise SystemExit(f"{mid}/{aid}: article not published before the email")
            rec["note"] = note
            if "source" in extra:
                src = ART[extra["source"]]
                if not src["pub_dt"] < m["dt"]:
                    raise SystemExit(f"{mid}/{aid}: public source not before the email")
                rec["source"] = src["path"]
        lines.append(json.dumps(rec, ensure_ascii=False))
    write(out / "hard_negatives.jsonl", "\n".join(lines) + "\n")

    write(out / "cases.json", json.dumps(export_cases(), ensure_ascii=False, indent=1) + "\n")
    write(out / "README.md", README)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help="data module scripts/scenario_data/NAME.py (default: the demo)",
    )
    ap.add_argument("--out", type=Path, default=None, help="output directory")
    args = ap.parse_args(argv)
    load_scenario(args.scenario)
    out = args.out or REPO / SETTINGS["out"]
    build(out)
    print(f"wrote scenario {args.scenario} to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
