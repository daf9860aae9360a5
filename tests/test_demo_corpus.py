"""Checks of the generated scenarios against the shared scenario format.

Parametrized over the bundled demo (foiatrace/demo/) and the held-out scenarios
tests/scenarios/inland_northwest/ and tests/scenarios/gulf_coast/ (all written by
scripts/build_demo.py).  The demo's assertions are unchanged; the held-out scenarios add
their own size and mix checks.

Fast (a few seconds per scenario); needs only the standard library plus pypdf and
reportlab (the latter only for the regeneration check).
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "foiatrace" / "demo"
BATES_RE = re.compile(r"^[A-Z]{2,6}-\d{2}-\d{7}$")
REQUIRED_HEADERS = ("Message-ID", "Date", "From", "To", "Subject", "X-Bates")
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
LABEL_KEYS = {"bates", "article", "email_quote", "article_quote", "detail_type", "note"}
DETAIL_TYPES = {
    "citizenship",
    "immigration_status",
    "criminal_history",
    "identity",
    "enforcement_action",
}
HN_REASONS = {
    "published_before_email",
    "different_person",
    "public_source",
    "boilerplate",
    "syndicated_copy",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    root: Path
    build_args: tuple[str, ...]  # arguments of scripts/build_demo.py (before --out)
    n_emails: tuple[int, int]  # inclusive bounds
    n_news: tuple[int, int]  # news articles (outlets other than agency-press)
    heldout: bool  # apply the corpus-level minimums of README section 9

    @property
    def site(self) -> Path:
        return self.root / "site"


SCENARIOS = [
    Scenario("demo", DEMO, (), (8, 20), (8, 16), False),
    Scenario(
        "inland_northwest",
        REPO / "tests" / "scenarios" / "inland_northwest",
        ("--scenario", "inland_northwest"),
        (20, 30),
        (25, 40),
        True,
    ),
    Scenario(
        "gulf_coast",
        REPO / "tests" / "scenarios" / "gulf_coast",
        ("--scenario", "gulf_coast"),
        (20, 30),
        (25, 40),
        True,
    ),
]


@pytest.fixture(params=SCENARIOS, ids=[s.name for s in SCENARIOS])
def scn(request) -> Scenario:
    return request.param


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def load_emails(scn: Scenario) -> dict[str, email.message.EmailMessage]:
    out = {}
    for path in sorted((scn.root / "emails").glob("*.eml")):
        out[path.name] = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return out


def body_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def by_bates(scn: Scenario) -> dict[str, email.message.EmailMessage]:
    return {str(m["X-Bates"]): m for m in load_emails(scn).values()}


def jsonl(scn: Scenario, name: str) -> list[dict]:
    return [
        json.loads(ln) for ln in (scn.root / name).read_text("utf-8").splitlines() if ln.strip()
    ]


def outlets(scn: Scenario) -> list[dict]:
    return tomllib.loads((scn.root / "outlets.toml").read_text("utf-8"))["outlet"]


def sitemap_entries(scn: Scenario) -> dict[str, dict]:
    """path -> {outlet, loc, lastmod, pubdate, title}"""
    out = {}
    for o in outlets(scn):
        root = ET.parse(scn.site / o["sitemap"]).getroot()
        for url in root.findall("sm:url", NS):
            loc = url.findtext("sm:loc", namespaces=NS)
            out[urlsplit(loc).path] = {
                "outlet": o,
                "loc": loc,
                "lastmod": url.findtext("sm:lastmod", namespaces=NS),
                "pubdate": url.findtext("news:news/news:publication_date", namespaces=NS),
                "title": url.findtext("news:news/news:title", namespaces=NS),
            }
    return out


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
SKIP_RE = re.compile(
    r"related|newsletter|comment|promo|trending|most-read|mostpopular|sidebar|"
    r"signup|share|widget|story-alsos"
)
VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "area", "base", "col"}


class VisibleParagraphs(HTMLParser):
    """Visible <p> text per README section 4."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.excluded: list[bool] = []
        self.paras: list[str] = []
        self.buf: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        a = {k: (v or "") for k, v in attrs}
        marks = " ".join(a.get(k, "") for k in ("class", "id", "data-testid", "data-component"))
        self.excluded.append(
            tag in SKIP_TAGS
            or bool(SKIP_RE.search(marks.lower()))
            or a.get("class", "").strip() == "ad"
        )
        if tag == "p" and not any(self.excluded):
            self.buf = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "p" and self.buf is not None:
            self.paras.append(" ".join("".join(self.buf).split()))
            self.buf = None
        if self.excluded:
            self.excluded.pop()

    def handle_data(self, data):
        if self.buf is not None:
            self.buf.append(data)


def visible_paragraphs(scn: Scenario, path: str) -> list[str]:
    p = VisibleParagraphs()
    p.feed((scn.site / path.lstrip("/")).read_text("utf-8"))
    return p.paras


def pdf_pages(scn: Scenario) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(scn.root / "production" / "production.pdf"))
    return [page.extract_text() or "" for page in reader.pages]


def footer_bates(text: str) -> str:
    m = re.search(r"([A-Z]{2,6}-\d{2}-\d{7})\s*$", text)
    assert m, f"no Bates number at the end of page text: {text[-200:]!r}"
    return m.group(1)


def bates_num(b: str) -> int:
    return int(b.rsplit("-", 1)[1])


# ---------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------


def test_layout_present(scn):
    for rel in (
        "emails",
        "production/production.pdf",
        "site/index.html",
        "outlets.toml",
        "labels.jsonl",
        "hard_negatives.jsonl",
        "README.md",
    ):
        assert (scn.root / rel).exists(), rel
    names = sorted(p.name for p in (scn.root / "emails").glob("*.eml"))
    assert names == [f"{i:03d}.eml" for i in range(1, len(names) + 1)]
    lo, hi = scn.n_emails
    assert lo <= len(names) <= hi


# ---------------------------------------------------------------------------
# emails
# ---------------------------------------------------------------------------


def test_emails_parse_with_required_headers(scn):
    msgs = load_emails(scn)
    bates, ids, years = set(), set(), set()
    prev = None
    for name, msg in msgs.items():
        for h in REQUIRED_HEADERS:
            assert msg[h], f"{name}: missing {h}"
        date_raw = str(msg["Date"])
        assert re.search(r"[+-]\d{4}$", date_raw), f"{name}: Date lacks numeric offset"
        dt = parsedate_to_datetime(date_raw)
        assert dt.tzinfo is not None
        years.add(dt.year)
        if prev is not None:
            assert dt >= prev, f"{name}: production order is not chronological"
        prev = dt
        b = str(msg["X-Bates"])
        assert BATES_RE.match(b), f"{name}: bad X-Bates {b}"
        assert b not in bates and str(msg["Message-ID"]) not in ids
        bates.add(b)
        ids.add(str(msg["Message-ID"]))
        assert not msg.is_multipart()
        assert msg.get_content_type() == "text/plain"
        body = body_of(msg)
        assert body.strip() and "\r" not in body
        subj = str(msg["Subject"])
        if re.match(r"(?i)re:", subj):
            assert msg["In-Reply-To"] and msg["References"], f"{name}: reply lacks threading"
        if re.match(r"(?i)fw:", subj):
            assert msg["References"], f"{name}: forward lacks References"
    assert len(years) >= 2 and max(years) - min(years) == len(years) - 1
    assert len({str(m["Date"])[-5:] for m in msgs.values()}) >= 2, "need several time zones"


def test_emails_quote_styles_and_redactions(scn):
    bodies = "\n".join(body_of(m) for m in load_emails(scn).values())
    assert re.search(r"^On .+ wrote:$", bodies, re.M)  # Gmail
    assert re.search(r"^> ", bodies, re.M)
    assert "\n________________________________\nFrom: " in bodies  # Outlook
    assert "-----Original Message-----\nFrom: " in bodies and "[mailto:" in bodies
    for marker in ("(b)(6)", "(b)(6); (b)(7)(C)", "(b)(5)"):
        assert marker in bodies
    if scn.heldout:
        # Apple Mail, older Gmail, Gmail forward; a phone reply
        assert re.search(
            r"^On \w{3} \d{1,2}, \d{4}, at \d{1,2}:\d{2} [AP]M, .+ wrote:$", bodies, re.M
        )
        assert re.search(r"^On \w{3}, \w{3} \d{1,2}, \d{4} at .+ [AP]M, .+ wrote:$", bodies, re.M)
        assert "---------- Forwarded message ---------\nFrom: " in bodies
        assert "Sent from my iPhone" in bodies


def test_threading_references_resolve(scn):
    msgs = load_emails(scn)
    ids = {str(m["Message-ID"]) for m in msgs.values()}
    # at least one reply points at a produced message
    assert any(str(m["In-Reply-To"]) in ids for m in msgs.values() if m["In-Reply-To"])


# ---------------------------------------------------------------------------
# PDF production
# ---------------------------------------------------------------------------


def test_pdf_bates_sequence_and_xbates(scn):
    pages = pdf_pages(scn)
    footers = [footer_bates(t) for t in pages]
    nums = [bates_num(b) for b in footers]
    assert nums == list(range(nums[0], nums[0] + len(nums))), "page Bates must increase by one"
    prefix = footers[0].rsplit("-", 1)[0]
    assert all(f.startswith(prefix + "-") for f in footers)
    page_of = {b: i for i, b in enumerate(footers)}
    msgs = load_emails(scn)
    first_pages = []
    for name, msg in msgs.items():
        b = str(msg["X-Bates"])
        assert b in page_of, f"{name}: X-Bates {b} not in the PDF text layer"
        text = pages[page_of[b]]
        subj = " ".join(str(msg["Subject"]).split())
        assert subj[:40] in " ".join(text.split()), f"{name}: page {b} does not start this message"
        first_pages.append(page_of[b])
    assert first_pages == sorted(first_pages)
    # messages span pages, so X-Bates are not contiguous; withheld pages consume numbers
    assert len(pages) > len(msgs)
    withheld = [i for i, t in enumerate(pages) if "Withheld in Full" in t]
    assert withheld and not set(withheld) & set(first_pages)


def _hour12(local: datetime) -> str:
    hr = local.hour % 12 or 12
    return f"{hr}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def test_pdf_shows_sent_times_in_mailbox_zone(scn):
    pages = pdf_pages(scn)
    footers = [footer_bates(t) for t in pages]
    if scn.heldout:
        # printed from a US Pacific mailbox, with daylight saving time: every sender whose
        # offset differs from the mailbox's on that day is shown converted
        spec = importlib.util.spec_from_file_location(
            f"scenario_{scn.name}", REPO / "scripts" / "scenario_data" / f"{scn.name}.py"
        )
        data = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(data)
        offsets, checked = set(), 0
        for msg in load_emails(scn).values():
            dt = parsedate_to_datetime(str(msg["Date"]))
            local = dt.astimezone(data.MAILBOX_TZ)
            offsets.add(local.utcoffset())
            if dt.utcoffset() == local.utcoffset():
                continue
            text = pages[footers.index(str(msg["X-Bates"]))]
            assert _hour12(local) in text, f"{msg['X-Bates']}: expected mailbox time"
            checked += 1
        assert checked >= 5 and len(offsets) == 2, "need senders in other zones, DST and not"
        return
    # the generator prints times in US Central (UTC-06:00); check one Mountain-time sender
    for msg in load_emails(scn).values():
        dt = parsedate_to_datetime(str(msg["Date"]))
        if dt.utcoffset() != timedelta(hours=-7):
            continue
        local = dt.astimezone(timezone(timedelta(hours=-6)))
        hr = local.hour % 12 or 12
        want = f"{hr}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
        text = pages[footers.index(str(msg["X-Bates"]))]
        assert want in text, f"{msg['X-Bates']}: expected Central time {want}"
        break
    else:
        pytest.fail("no Mountain-time sender in the demo")


# ---------------------------------------------------------------------------
# site
# ---------------------------------------------------------------------------


def test_outlets_and_feeds(scn):
    entries = sitemap_entries(scn)
    assert len({o["slug"] for o in outlets(scn)}) >= 3
    assert any(o["slug"] == "agency-press" for o in outlets(scn))
    for o in outlets(scn):
        assert o["domain"].endswith(".example")
        for key in ("sitemap", "rss"):
            assert (scn.site / o[key]).is_file()
        assert (scn.site / o["slug"] / "index.html").is_file()
        rss = ET.parse(scn.site / o["rss"]).getroot()
        items = rss.findall("channel/item")
        mine = {p: e for p, e in entries.items() if e["outlet"]["slug"] == o["slug"]}
        assert 0 < len(items) <= len(mine)
        for it in items:
            path = urlsplit(it.findtext("link")).path
            assert path in mine, f"RSS item not in sitemap: {path}"
            pub = parsedate_to_datetime(it.findtext("pubDate"))
            assert pub == datetime.fromisoformat(mine[path]["pubdate"])
    news = [p for p, e in entries.items() if e["outlet"]["slug"] != "agency-press"]
    lo, hi = scn.n_news
    assert lo <= len(news) <= hi


def test_sitemap_urls_map_to_files_with_required_head(scn):
    for path, e in sitemap_entries(scn).items():
        o = e["outlet"]
        assert e["loc"] == f"https://{o['domain']}{path}"
        f = scn.site / path.lstrip("/")
        assert f.is_file(), f"sitemap URL without file: {path}"
        pub = datetime.fromisoformat(e["pubdate"])
        assert pub.tzinfo is not None
        assert datetime.fromisoformat(e["lastmod"]) >= pub
        m = re.fullmatch(rf"/{o['slug']}/(\d{{4}})/(\d{{2}})/(\d{{2}})/[a-z0-9-]+\.html", path)
        assert m and tuple(map(int, m.groups())) == (pub.year, pub.month, pub.day)
        page = f.read_text("utf-8")
        assert f'<link rel="canonical" href="{e["loc"]}">' in page
        for prop in (
            "og:type",
            "og:title",
            "og:url",
            "og:description",
            "og:image",
            "og:site_name",
            "article:published_time",
        ):
            assert f'property="{prop}"' in page, f"{path}: missing {prop}"
        assert f'property="article:published_time" content="{e["pubdate"]}"' in page
        blobs = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
        assert blobs, f"{path}: no JSON-LD"
        ld = json.loads(blobs[0])
        nodes = ld.get("@graph", [ld])
        art = [n for n in nodes if n.get("@type") == "NewsArticle"]
        assert art and art[0]["datePublished"] == e["pubdate"]
        assert art[0]["headline"] == e["title"]
        assert visible_paragraphs(scn, path), f"{path}: no visible paragraphs"


# ---------------------------------------------------------------------------
# labels and hard negatives
# ---------------------------------------------------------------------------


def test_labels_quotes_are_exact(scn):
    msgs = by_bates(scn)
    entries = sitemap_entries(scn)
    labels = jsonl(scn, "labels.jsonl")
    assert len(labels) >= 8
    for lab in labels:
        assert set(lab) == LABEL_KEYS, lab
        assert lab["detail_type"] in DETAIL_TYPES
        assert lab["bates"] in msgs, lab["bates"]
        assert lab["email_quote"] in body_of(msgs[lab["bates"]]), lab
        assert lab["article"] in entries, lab["article"]
        paras = visible_paragraphs(scn, lab["article"])
        assert any(lab["article_quote"] in p for p in paras), lab
        # 0-10 days after the email (or updated then)
        sent = parsedate_to_datetime(str(msgs[lab["bates"]]["Date"]))
        e = entries[lab["article"]]
        latest = max(datetime.fromisoformat(e["pubdate"]), datetime.fromisoformat(e["lastmod"]))
        assert timedelta(0) <= latest - sent <= timedelta(days=10), lab
    assert len({lab["bates"] for lab in labels}) >= 2
    assert len({lab["article"] for lab in labels}) >= 3


def test_hard_negatives(scn):
    msgs = by_bates(scn)
    entries = sitemap_entries(scn)
    labelled = {(lab["bates"], lab["article"]) for lab in jsonl(scn, "labels.jsonl")}
    reasons = set()
    for hn in jsonl(scn, "hard_negatives.jsonl"):
        assert (
            {"bates", "article", "reason", "note"}
            <= set(hn)
            <= {"bates", "article", "reason", "note", "source", "original"}
        )
        assert hn["reason"] in HN_REASONS
        reasons.add(hn["reason"])
        assert hn["bates"] in msgs and hn["article"] in entries
        sent = parsedate_to_datetime(str(msgs[hn["bates"]]["Date"]))
        pub = datetime.fromisoformat(entries[hn["article"]]["pubdate"])
        pair = (hn["bates"], hn["article"])
        if hn["reason"] == "syndicated_copy":
            assert pair in labelled and hn["original"] in entries
            assert "originally appeared" in " ".join(
                (scn.site / hn["article"].lstrip("/")).read_text("utf-8").split()
            )
        else:
            assert pair not in labelled, pair
        if hn["reason"] == "published_before_email":
            assert pub < sent
        if hn["reason"] == "public_source":
            src = datetime.fromisoformat(entries[hn["source"]]["pubdate"])
            assert hn["source"].startswith("/agency-press/") and src < sent
    assert reasons == HN_REASONS


def test_heldout_corpus_mix(scn):
    """Corpus-level minimums of README section 9 and the patterns the held-out set must have."""
    if not scn.heldout:
        pytest.skip("the demo is smaller than a held-out set")
    msgs = by_bates(scn)
    entries = sitemap_entries(scn)
    labels = jsonl(scn, "labels.jsonl")
    hns = jsonl(scn, "hard_negatives.jsonl")
    assert 25 <= len(labels) <= 40 and 10 <= len(hns) <= 15
    counts = {r: sum(hn["reason"] == r for hn in hns) for r in HN_REASONS}
    assert counts["published_before_email"] >= 3 and counts["different_person"] >= 3
    assert counts["public_source"] >= 2 and counts["boilerplate"] >= 2
    assert counts["syndicated_copy"] >= 2
    paraphrased = [
        lab for lab in labels if lab["article_quote"].lower() not in lab["email_quote"].lower()
    ]
    assert len(paraphrased) * 2 >= len(labels), "at least half of the labels are paraphrased"
    assert len({lab["bates"] for lab in labels}) >= 5, "disclosures spread over several messages"
    assert {lab["detail_type"] for lab in labels} == DETAIL_TYPES
    # one message disclosed to two outlets; one article drawing on two messages
    outlets_of: dict[str, set] = {}
    msgs_of: dict[str, set] = {}
    for lab in labels:
        outlets_of.setdefault(lab["bates"], set()).add(entries[lab["article"]]["outlet"]["slug"])
        msgs_of.setdefault(lab["article"], set()).add(lab["bates"])
    assert any(len(v) >= 2 for v in outlets_of.values())
    assert any(len(v) >= 2 for v in msgs_of.values())
    # one article first published before its email and updated after it
    updated = False
    for lab in labels:
        e = entries[lab["article"]]
        sent = parsedate_to_datetime(str(msgs[lab["bates"]]["Date"]))
        pub, mod = (datetime.fromisoformat(e[k]) for k in ("pubdate", "lastmod"))
        updated |= pub < sent < mod
    assert updated
    # the email of each syndicated copy's original is labelled with the original as well
    labelled = {(lab["bates"], lab["article"]) for lab in labels}
    for hn in hns:
        if hn["reason"] == "syndicated_copy":
            assert (hn["bates"], hn["original"]) in labelled
    # Bates prefix differs from the demo's
    assert all(not b.startswith("ICE-") for b in msgs)


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_is_deterministic(scn, tmp_path):
    pytest.importorskip("reportlab")
    out = tmp_path / scn.name
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_demo.py"),
            *scn.build_args,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh, committed = _files(out), _files(scn.root)
    assert sorted(fresh) == sorted(committed)
    changed = [k for k in fresh if fresh[k] != committed[k]]
    assert not changed, f"regenerated files differ: {changed[:5]}"
