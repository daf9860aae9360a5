#!/usr/bin/env python3
"""Print a scenario's .eml threads to a FOIA production PDF, as mailboxes in given zones would.

Printed times are wall-clock times in the mailbox's zone with no UTC offset, webmail style
("Tue, Mar 3, 2020 at 9:15 AM") or Outlook style ("Sent: Tuesday, March 3, 2020 9:15 AM"):
the case foia/tzinfer.py exists for. The .eml Date headers keep their offsets, so the
printout can be scored against them (`foiatrace eval intake DIR --print STYLE --zone SPEC`
does this end to end; this script only prints, for a researcher who wants the PDF).

Usage:
    python scripts/print_production.py ../shared/scenarios/dev --style outlook \\
        --zone pacific --out /tmp/dev-outlook-pacific.pdf
    python scripts/print_production.py ../shared/scenarios/dev2 --style webmail \\
        --zone pacific+alaska --out /tmp/dev2-webmail-pacific+alaska.pdf

--zone names one zone per custodian mailbox ('+'-joined): IANA names or eastern, central,
mountain, arizona, pacific, alaska, hawaii. The custodians are the agency addresses in the
most messages; each message is printed from the first custodian it involves. By default a
custodian's own quote headers show the mailbox's zone too (the custodian lives there);
--quotes-from-eml keeps them as in the .eml files (a mailbox printed by an office elsewhere).
The mailboxes and their zones (the truth) are printed to stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from foiatrace.evals.printout import STYLES, print_production, zone_spec  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", type=Path, help="scenario folder with emails/*.eml")
    ap.add_argument("--style", choices=STYLES, required=True)
    ap.add_argument("--zone", required=True, help="e.g. pacific, or pacific+alaska")
    ap.add_argument("--out", type=Path, required=True, help="PDF to write")
    ap.add_argument("--quotes-from-eml", action="store_true",
                    help="custodians' quote headers keep the .eml's zone")  # fmt: skip
    args = ap.parse_args(argv)
    emails = args.scenario / "emails"
    if not emails.is_dir():
        ap.error(f"{emails} is not a folder")
    try:
        zones = zone_spec(args.zone)
    except Exception as exc:  # noqa: BLE001 - ZoneInfo raises several kinds
        ap.error(f"unknown zone in {args.zone!r}: {exc}")
    boxes = print_production(
        emails, args.out, args.style, zones, owners_write_in_zone=not args.quotes_from_eml
    )
    for b in boxes:
        print(f"{b.address}\t{b.zone}\t{len(b.bates)} messages")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
