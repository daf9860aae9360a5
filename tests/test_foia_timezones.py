"""Printed productions without UTC offsets: the mailbox's zone, inferred, never worse than
the configured default.

A small production is written as ``.eml`` files (every ``Date`` with its sender's offset:
the truth), printed to real PDFs by :mod:`foiatrace.evals.printout` from mailboxes in
several zones, read back by :func:`foia.pdf.parse_pdf` and compared per Bates number.
The correspondents sit where a U.S. agency's do: headquarters in Eastern time, a reporter
in Chicago, a public affairs officer in Arizona (no DST; her signature says so), and the
threads run in winter, in summer and across the March 2019 change to daylight time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from foia.eml import parse_eml
from foia.link import link_production
from foia.models import Message
from foia.pdf import parse_pdf
from foia.tzinfer import resolve_print_times, stated_offset
from foiatrace.evals.printout import outlook_sent, print_production, zone_spec

EASTERN, CENTRAL = ZoneInfo("America/New_York"), ZoneInfo("America/Chicago")
ARIZONA = ZoneInfo("America/Phoenix")

PEOPLE = {
    # key: (display name, address, zone in the .eml files, signature)
    "ana": ("Reyes, Ana", "ana.reyes@agency.example", EASTERN, "Ana Reyes\nPress Secretary"),
    "paul": ("Stone, Paul", "paul.stone@hq.agency.example", EASTERN, "Paul Stone\nDeputy"),
    "dina": ("Lake, Dina", "dina.lake@agency.example", ARIZONA,
             "Dina Lake\nPublic Affairs Officer | Arizona"),
    "sam": ("Sam Ortiz", "sortiz@paper.example", CENTRAL, "Sam Ortiz\nReporter, The Paper"),
    "kim": ("Kim Boyd", "kboyd@wire.example", EASTERN, "Kim Boyd\nCorrespondent, The Wire"),
}  # fmt: skip

# (subject, [(sender, recipient, local time in the sender's zone, words)]); each reply
# quotes the whole message before it, Outlook style, in the replier's clock.
THREADS = [
    ("Harbor arrest - status?", [
        ("sam", "ana", "2019-01-08 09:10", "Can you confirm the man arrested at the harbor is "
         "a citizen of Freedonia and whether ICE placed a detainer on him this week?"),
        ("ana", "paul", "2019-01-08 10:25", "Paul, reporter question below about the harbor "
         "arrest. Can you check the detainer and the status with the field office?"),
        ("paul", "ana", "2019-01-08 11:40", "He is a Freedonian national who overstayed a "
         "tourist visa in 2016. A detainer was lodged with the county jail on Monday."),
        ("ana", "sam", "2019-01-08 13:05", "Sam, he is a national of Freedonia who overstayed "
         "his visa, and ICE lodged a detainer with the county jail. Attribute to a spokesperson."),
    ]),
    ("Valley crash driver", [
        ("kim", "dina", "2019-07-16 08:30", "Is the driver in the valley crash in ICE custody, "
         "and does he have any prior removals on his record that you can share?"),
        ("dina", "ana", "2019-07-16 09:15", "Ana, the wire is asking about the valley crash "
         "driver. ERO shows two prior removals, in 2012 and 2015. OK to release?"),
        ("ana", "dina", "2019-07-16 12:20", "Dina, yes, fine to share the two prior removals "
         "and the dates. Please copy me on the reply to the wire."),
        ("dina", "kim", "2019-07-16 10:05", "Kim, he was removed twice before, in 2012 and in "
         "2015, and ICE has lodged a detainer with the sheriff this morning."),
    ]),
    ("Courthouse arrest - DST week", [
        ("sam", "ana", "2019-03-08 15:40", "Following up on the courthouse arrest: was he in "
         "removal proceedings, and when was his last hearing before the judge?"),
        ("ana", "dina", "2019-03-08 16:10", "Dina, can you pull the proceedings history for the "
         "courthouse arrest? Reporter on deadline Monday morning."),
        ("dina", "ana", "2019-03-11 09:05", "Ana, he was ordered removed in absentia in 2017 "
         "after he missed a hearing; no appeal was filed with the board."),
        ("ana", "sam", "2019-03-11 11:50", "Sam, an immigration judge ordered him removed in "
         "absentia in 2017 after he failed to appear. He did not appeal."),
    ]),
    ("Shelter fire suspect", [
        ("kim", "paul", "2019-11-05 07:45", "Does DHS have anything on the shelter fire "
         "suspect, including whether he held temporary protected status at any point?"),
        ("paul", "ana", "2019-11-05 08:30", "Ana, over to you on the shelter fire question. "
         "USCIS says his TPS lapsed in 2018 when he did not re-register."),
        ("ana", "kim", "2019-11-05 10:15", "Kim, his temporary protected status lapsed in "
         "2018 after he did not re-register. He has no pending applications."),
    ]),
]  # fmt: skip


def _name(key: str) -> str:
    name, addr, _, _ = PEOPLE[key]
    return f'"{name}" <{addr}>' if "," in name else f"{name} <{addr}>"


def write_production(folder: Path) -> dict[str, datetime]:
    """The threads as ``.eml`` files; returns Bates -> true UTC send time."""
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, datetime] = {}
    bates = 1
    for t, (subject, msgs) in enumerate(THREADS):
        refs: list[str] = []
        quoted = ""
        for i, (who, to, when, words) in enumerate(msgs):
            name, addr, tz, sig = PEOPLE[who]
            sent = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
            body = f"{words}\n\n{sig}\n"
            if quoted:
                body += quoted
            m = EmailMessage()
            m["From"], m["To"] = _name(who), _name(to)
            m["Subject"] = subject if i == 0 else f"RE: {subject}"
            m["Date"] = format_datetime(sent)
            mid = f"t{t}m{i}@{addr.split('@')[1]}"
            m["Message-ID"] = f"<{mid}>"
            if refs:
                m["In-Reply-To"] = f"<{refs[-1]}>"
                m["References"] = " ".join(f"<{r}>" for r in refs)
            code = f"TST-19-{bates:07d}"
            m["X-Bates"] = code
            m.set_content(body)
            (folder / f"{bates:03d}.eml").write_bytes(bytes(m))
            truth[code] = sent.astimezone(UTC)
            bates += 3  # room for continuation pages
            refs.append(mid)
            # The next sender quotes this message in their own clock.
            nxt = msgs[i + 1][0] if i + 1 < len(msgs) else who
            shown = sent.astimezone(PEOPLE[nxt][2])
            quoted = (
                f"\n________________________________\nFrom: {_name(who)}\n"
                f"Sent: {outlook_sent(shown)}\nTo: {_name(to)}\n"
                f"Subject: {m['Subject']}\n\n{body}"
            )
    return truth


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, datetime]]:
    root = tmp_path_factory.mktemp("tz") / "scenario"
    truth = write_production(root / "emails")
    return root, truth


def _printed(root: Path, style: str, spec: str, default: str = "America/New_York",
             **kw: bool) -> list[Message]:  # fmt: skip
    out = root.parent / f"{style}-{spec}-{sorted(kw.items())}.pdf"
    print_production(root / "emails", out, style, zone_spec(spec), **kw)
    return [m for m in parse_pdf(out, default_tz=default) if isinstance(m, Message)]


def _agree(msgs: list[Message], truth: dict[str, datetime]) -> float:
    right = sum(
        1 for m in msgs if m.sent_at and abs((m.sent_at - truth[m.bates]).total_seconds()) < 60
    )
    return right / len(truth)


@pytest.mark.parametrize(
    ("style", "spec", "zone"),
    [
        ("webmail", "pacific", "America/Los_Angeles"),
        ("outlook", "alaska", "America/Anchorage"),
        ("outlook", "arizona", "America/Phoenix"),
        ("webmail", "mountain", "America/Denver"),
    ],
)
def test_mailbox_printed_elsewhere_is_placed_in_its_zone(
    production: tuple[Path, dict[str, datetime]], style: str, spec: str, zone: str
) -> None:
    root, truth = production
    msgs = _printed(root, style, spec)
    assert len(msgs) == len(truth)
    assert _agree(msgs, truth) == 1.0
    assert {m.sent_tz for m in msgs} == {zone}
    assert all(0.5 < (m.sent_tz_confidence or 0) < 1 for m in msgs)
    assert "better than the default America/New_York" in (msgs[0].sent_tz_basis or "")


def test_the_default_zone_is_kept_when_it_is_right(
    production: tuple[Path, dict[str, datetime]],
) -> None:
    root, truth = production
    msgs = _printed(root, "outlook", "eastern")
    assert _agree(msgs, truth) == 1.0
    assert {m.sent_tz for m in msgs} == {"America/New_York"}
    assert "assumed the default America/New_York" in (msgs[0].sent_tz_basis or "")


def test_two_mailboxes_in_two_zones(production: tuple[Path, dict[str, datetime]]) -> None:
    root, truth = production
    msgs = _printed(root, "webmail", "pacific+arizona")
    owners = {m.mailbox_owner: m.sent_tz for m in msgs}
    assert owners == {
        "ana.reyes@agency.example": "America/Los_Angeles",
        "dina.lake@agency.example": "America/Phoenix",
    }
    assert _agree(msgs, truth) == 1.0


def test_printout_in_another_zone_than_its_owner_writes_in(
    production: tuple[Path, dict[str, datetime]],
) -> None:
    """A FOIA office prints an Eastern custodian's mailbox on a Pacific clock: the owner's
    own quote headers (Eastern) contradict the printout, which gets a clock of its own."""
    root, truth = production
    msgs = _printed(root, "outlook", "pacific", owners_write_in_zone=False)
    assert _agree(msgs, truth) == 1.0
    assert {m.sent_tz for m in msgs} == {"America/Los_Angeles"}


def test_weak_cues_fall_back_to_the_default(tmp_path: Path) -> None:
    """One reply quoting one message is not enough to move a mailbox off the default."""
    emails = tmp_path / "s" / "emails"
    truth = write_production(emails)
    for p in sorted(emails.glob("*.eml"))[3:]:
        p.unlink()  # one thread: a question, a forward, one quoted reply from Eastern time
    msgs = _printed(tmp_path / "s", "outlook", "pacific")
    assert {m.sent_tz for m in msgs} == {"America/New_York"}
    assert all((m.sent_tz_confidence or 0) <= 0.5 for m in msgs)
    assert "default America/New_York" in (msgs[0].sent_tz_basis or "")
    # Exactly what the default alone gives: hours off, but never worse than it, and the
    # basis says how far off it may be (Pacific, the truth, among the zones within reach).
    assert all(m.sent_at - truth[m.bates] == timedelta(hours=-3) for m in msgs)
    assert "America/Los_Angeles: 3 h later" in (msgs[0].sent_tz_basis or "")
    # ... and the range stored with each time holds the truth (evidence lags carry it).
    assert all(m.sent_at_earliest <= truth[m.bates] <= m.sent_at_latest for m in msgs)
    assert all(m.sent_at_latest - m.sent_at_earliest >= timedelta(hours=3) for m in msgs)


def test_known_zones_tip_weak_readings(tmp_path: Path) -> None:
    """The weak case above, with the offices' zones known (``known``): now they agree with
    the one reading, and together they beat the default."""
    emails = tmp_path / "s" / "emails"
    truth = write_production(emails)
    for p in sorted(emails.glob("*.eml"))[3:]:
        p.unlink()
    msgs = _printed(tmp_path / "s", "outlook", "pacific")
    known = {"agency.example": "America/Los_Angeles", "hq.agency.example": "America/New_York"}
    resolve_print_times(msgs, "America/New_York", known)
    assert {m.sent_tz for m in msgs} == {"America/Los_Angeles"}
    assert _agree(msgs, {m.bates: truth[m.bates] for m in msgs}) == 1.0


def test_ingest_takes_known_zones_from_the_command_line(tmp_path: Path) -> None:
    """The same weak production through `foiatrace ingest --known-zone`: stored times agree
    with the .eml files; a malformed --known-zone is a usage error naming it."""
    import duckdb
    from typer.testing import CliRunner

    from foiatrace.cli import app

    emails = tmp_path / "s" / "emails"
    truth = write_production(emails)
    for p in sorted(emails.glob("*.eml"))[3:]:
        p.unlink()
    pdf = tmp_path / "printed.pdf"
    print_production(emails, pdf, "outlook", zone_spec("pacific"))
    db = tmp_path / "w.duckdb"
    args = ["--db", str(db), "-q", "ingest", str(pdf), "--production", "p"]
    known = ["--known-zone", "agency.example=America/Los_Angeles",
             "--known-zone", "hq.agency.example=America/New_York"]  # fmt: skip
    result = CliRunner().invoke(app, args + known)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT bates, sent_at, sent_tz FROM emails").fetchall()
    con.close()
    assert {tz for _, _, tz in rows} == {"America/Los_Angeles"}
    assert all(abs((t - truth[b]).total_seconds()) < 60 for b, t, _ in rows)
    bad = CliRunner().invoke(app, args + ["--known-zone", "agency.example=Mars/Olympus"])
    assert bad.exit_code == 2 and "Mars/Olympus" in bad.output


def test_a_copy_of_the_same_message_pins_its_printed_time(tmp_path: Path) -> None:
    """With the .eml files ingested beside the printout, each printed time is exact."""
    emails = tmp_path / "s" / "emails"
    truth = write_production(emails)
    for p in sorted(emails.glob("*.eml"))[2:]:
        p.unlink()
    printed = _printed(tmp_path / "s", "outlook", "alaska", owners_write_in_zone=False)
    copies = [parse_eml(p) for p in sorted(emails.glob("*.eml"))]
    everything = [*copies, *printed]
    link_production(everything)
    resolve_print_times(everything, "America/New_York")
    assert _agree(printed, {m.bates: truth[m.bates] for m in printed}) == 1.0
    assert all("copy" in (m.sent_tz_basis or "") for m in printed)
    assert all(m.sent_tz == "America/Anchorage" for m in printed)


def test_a_misleading_zone_label_does_not_move_a_right_default(tmp_path: Path) -> None:
    """One quote header stamped 'PST' in summer (a wrong label) is outvoted."""
    emails = tmp_path / "s" / "emails"
    truth = write_production(emails)
    victim = sorted(emails.glob("*.eml"))[6]
    text = victim.read_bytes().decode()
    sent = text.split("\nSent: ", 1)
    assert len(sent) == 2
    line, rest = sent[1].split("\n", 1)
    victim.write_bytes(f"{sent[0]}\nSent: {line} PDT\n{rest}".encode())
    msgs = _printed(tmp_path / "s", "webmail", "eastern")
    assert _agree(msgs, truth) == 1.0
    assert {m.sent_tz for m in msgs} == {"America/New_York"}


def test_stated_offsets_read_loose_abbreviations_as_their_zone() -> None:
    july = datetime(2019, 7, 16, 9, 15)
    assert stated_offset("Tuesday, July 16, 2019 9:15 AM EST", july) == (
        timedelta(hours=-4),
        "'EST' printed with the time (America/New_York)",
    )
    assert stated_offset("July 16, 2019 9:15 AM PDT", july)[0] == timedelta(hours=-7)
    assert stated_offset("Tue, Jul 16, 2019 at 9:15 AM -0500", july)[0] == timedelta(hours=-5)
    named = "Tuesday, July 16, 2019 9:15 AM (UTC-08:00) Pacific Time (US & Canada)"
    assert stated_offset(named, july)[0] == timedelta(hours=-7)
    assert stated_offset("Tuesday, July 16, 2019 9:15 AM", july) is None


def test_eval_intake_prints_and_scores(
    production: tuple[Path, dict[str, datetime]], tmp_path: Path
) -> None:
    """The researcher's entry point: `foiatrace eval intake DIR --print STYLE --zone SPEC`."""
    from typer.testing import CliRunner

    from foiatrace.cli import app

    root, _ = production
    args = ["eval", "intake", str(root), "--print", "outlook", "--zone", "alaska",
            "--workdir", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    row = next(ln for ln in result.output.splitlines() if ln.startswith("│ outlook"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[:4] == ["outlook", "alaska", "1.000", "0.000"]  # inferred vs default alone
    assert cells[4:7] == ["1.000", "1.000", "1.000"]
    assert "(printed in alaska) -> alaska" in result.output
    bad = CliRunner().invoke(app, ["eval", "intake", str(root), "--print", "fax"])
    assert bad.exit_code == 2


def test_the_quote_key_text_is_all_zone_inference_reads_of_a_quote() -> None:
    """Ingest holds only ``quote_key_text`` of each quoted text while zones are inferred
    (the rest waits on disk): cutting must not change what inference reads."""
    import random

    from foia.tzinfer import quote_key_text

    rng = random.Random(7)
    words = ["a", "bb", "Ccc", "x" * 48, "\n", "  ", "Harbor", "détainer"]
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 150)))
        key = quote_key_text(text)
        assert quote_key_text(key) == key
        full = " ".join(text.lower().split())
        assert (len(full.split()) < 8) == (len(key.split()) < 8)
        assert full[:200].rstrip() == key[:200].rstrip()
