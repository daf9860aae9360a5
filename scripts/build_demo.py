#!/usr/bin/env python3
# ruff: noqa: E501  (long lines are corpus text and HTML templates)
"""Build the bundled demo scenario (foiatrace/demo/) from the data in this file.

The demo is a small, fully fictional corpus in the shared scenario format
(see shared/scenarios/README.md): a FOIA production of a press officer's mailbox
(emails/*.eml + production/production.pdf), a static site with two news outlets
and an agency newsroom (site/), outlets.toml, labels.jsonl and hard_negatives.jsonl.

Usage:
    python scripts/build_demo.py               # writes foiatrace/demo/
    python scripts/build_demo.py --out DIR     # writes the scenario into DIR

Output is deterministic: running it twice gives byte-identical files
(reportlab runs in invariant mode; no clocks, no randomness).

Time zones: every e-mail keeps its sender's numeric UTC offset in the Date header
(Central -0600, Mountain -0700, Eastern -0500; all dates fall in Dec-Feb, so no DST).
The PDF production is printed from the mailbox of the press officer Delphine Okafor,
whose local time zone is US Central Standard Time (America/Chicago, UTC-06:00 in
winter): every "Sent:" time in the PDF is shown in that zone.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import quopri
import re
import shutil
import sys
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "foiatrace" / "demo"

CST = timezone(timedelta(hours=-6))  # America/Chicago in winter
MST = timezone(timedelta(hours=-7))  # America/Denver, western North Dakota
EST = timezone(timedelta(hours=-5))  # America/New_York (agency newsroom)
TZ = {"CST": CST, "MST": MST, "EST": EST}
# The PDF is printed from Delphine Okafor's mailbox: times shown in her zone.
MAILBOX_OWNER = "Okafor, Delphine"
MAILBOX_TZ = CST

# ---------------------------------------------------------------------------
# Data: everything below is invented.
# ---------------------------------------------------------------------------

META = {
    "bates_prefix": "ICE-21-",
    "bates_start": 18240,
    "bates_width": 7,
    "production_ref": "ICE FOIA 2021-ICFO-31572   Release 1 - Office of Public Affairs, Northern Plains",
    "print_date": "4/6/2021",
    "webmail_name": "ICE Mail",
}

DISCLAIMERS = {
    "ice": (
        "CAUTION: This email and any attachments may contain law enforcement sensitive "
        "information or personally identifiable information protected by the Privacy Act. "
        "It is intended only for the individual(s) named above. If you are not an intended "
        "recipient, do not read, copy, use or disclose it; notify the sender and delete all copies."
    ),
    "courier": (
        "Red River Courier newsroom: messages to and from our journalists may contain "
        "unpublished reporting. Please do not forward without permission."
    ),
}

PEOPLE = {
    "okafor": {
        "name": "Delphine Okafor",
        "display": "Okafor, Delphine",
        "addr": "delphine.okafor@opa.ice.example",
        "tz": "CST",
        "client": "outlook",
        "sig": [
            "Delphine Okafor",
            "Public Affairs Officer | Northern Plains",
            "Office of Public Affairs",
            "U.S. Immigration and Customs Enforcement",
            "Office: (b)(6) | Mobile: (b)(6)",
        ],
        "disclaimer": "ice",
    },
    "strand": {
        "name": "Peter Strand",
        "display": "Strand, Peter",
        "addr": "peter.strand@opa.ice.example",
        "tz": "MST",
        "client": "outlook",
    },
    "mediarel": {
        "name": "ICE Media Relations",
        "display": "ICE Media Relations",
        "addr": "media.relations@opa.ice.example",
        "tz": "EST",
        "client": "outlook",
    },
    "icepa": {
        "name": "ICE Public Affairs",
        "display": "ICE Public Affairs",
        "addr": "icepublicaffairs@opa.ice.example",
        "tz": "EST",
        "client": "outlook",
    },
    "fenwick": {
        "name": "Marisol Fenwick",
        "display": "Marisol Fenwick",
        "addr": "mfenwick@redrivercourier.example",
        "tz": "CST",
        "client": "gmail",
        "sig": [
            "--",
            "Marisol Fenwick",
            "Public Safety Reporter | Red River Courier",
            "Cell: (b)(6)",
            "Newsroom tips: (218) 555-0142",
        ],
        "disclaimer": "courier",
    },
    "achterberg": {
        "name": "Gordon Achterberg",
        "display": "Gordon Achterberg",
        "addr": "gachterberg@prairiestargazette.example",
        "tz": "MST",
        "client": "outlook2010",
        "sig": [
            "Gordon Achterberg",
            "City Editor",
            "Prairie Star-Gazette",
            "(b)(6)",
        ],
    },
}

NAME1 = "Vilius Kazlauskas"
NAME2 = "Efraín Toledo-Guzmán"
NAME4 = "Kwame Asante-Boateng"
R67C = "(b)(6); (b)(7)(C)"

RELEASE_URL = (
    "https://ice-newsroom.example/agency-press/2021/01/27/"
    "ice-removes-vietnamese-national-convicted-of-manslaughter-in-north-dakota.html"
)

# Messages in production order.  `own` is the sender's text as written (before
# FOIA redaction); `sig`/`disclaimer` are appended; `quote` (a message id or an
# inline external message) is appended in `style`; `redact_own`/`redact_quote`
# are applied by the FOIA reviewer to the sender's text / the quoted chain.
MESSAGES = [
    {
        "id": "m01",
        "thread": "fire",
        "from": "fenwick",
        "to": ["okafor"],
        "date": "2020-12-07 14:12:08",
        "subject": "Vesper Falls warehouse fire suspect - ICE?",
        "own": [
            "Hi Delphine,",
            "",
            f"I'm working on a follow-up to Thursday's fire at the Northland Seed & Feed warehouse in Vesper Falls. Sheriff Holmquist said Saturday that the man charged, {NAME1}, is Lithuanian and that her office notified ICE.",
            "",
            "A few questions:",
            "- Does ICE have a detainer on him?",
            "- What is his immigration status? When and how did he come to the U.S.?",
            "- Any prior arrests or removals?",
            "",
            "My deadline is 4 p.m. tomorrow (Tuesday). Thanks so much.",
            "",
            "Marisol",
        ],
        "redact_own": [(NAME1, R67C)],
        "print": "outlook",
    },
    {
        "id": "m02",
        "thread": "fire",
        "from": "okafor",
        "to": ["fenwick"],
        "date": "2020-12-07 15:05:44",
        "reply_to": "m01",
        "style": "outlook",
        "subject": "RE: Vesper Falls warehouse fire suspect - ICE?",
        "own": [
            "Hi Marisol,",
            "",
            "Got it, thanks. Let me check with our ERO folks and I'll get back to you tomorrow morning, ahead of your deadline.",
            "",
            "Delphine",
        ],
        "quote": "m01",
        "redact_quote": [(NAME1, R67C)],
        "print": "outlook",
    },
    {
        "id": "m03",
        "thread": "fire",
        "from": "okafor",
        "to": ["strand"],
        "date": "2020-12-07 15:09:02",
        "forward_of": "m01",
        "style": "outlook",
        "subject": "FW: Vesper Falls warehouse fire suspect - ICE?",
        "has_attach": True,
        "own": [
            "Peter,",
            "",
            "FYSA, inquiry below from Marisol Fenwick at the Red River Courier about the Vesper Falls warehouse fire suspect. ERO Northern Plains says the detainer went in this afternoon. (b)(5)",
            "",
            "Draft response attached for your review. I told her I'd get back to her tomorrow morning.",
            "",
            "Delphine",
        ],
        "quote": "m01",
        "redact_quote": [(NAME1, R67C)],
        "print": "outlook",
        "withheld_after": {
            "exemption": "(b)(5)",
            "reason": "Draft media response - Deliberative Process Privilege",
        },
    },
    {
        "id": "m04",
        "thread": "fire",
        "from": "okafor",
        "to": ["fenwick"],
        "date": "2020-12-08 10:52:17",
        "reply_to": "m02",
        "style": "outlook",
        "subject": "RE: Vesper Falls warehouse fire suspect - ICE?",
        "own": [
            "Marisol,",
            "",
            "Thanks for your patience. Here is what I can share:",
            "",
            f"{NAME1}, 29, is a citizen of Lithuania. He was admitted to the United States at Chicago O'Hare International Airport on 12/4/2018 as a B1/B2 nonimmigrant visitor and overstayed; his authorized period of stay expired 6/2/2019.",
            "",
            "On 12/7/2020, ICE Enforcement and Removal Operations (ERO) Northern Plains lodged an immigration detainer with the Aldrich County Jail.",
            "",
            "An immigration detainer is a request that a jail or other law enforcement agency notify ICE before it releases a removable alien and keep that person in custody for up to 48 hours so that ICE can take custody safely.",
            "",
            "You can attribute this to ICE spokeswoman Delphine Okafor.",
            "",
            "Delphine",
        ],
        "redact_own": [(NAME1, R67C)],
        "quote": "m02",
        "redact_quote": [(NAME1, R67C)],
        "print": "outlook",
    },
    {
        "id": "m05",
        "thread": "fire",
        "from": "fenwick",
        "to": ["okafor"],
        "date": "2020-12-08 11:31:50",
        "reply_to": "m04",
        "style": "gmail",
        "subject": "Re: Vesper Falls warehouse fire suspect - ICE?",
        "own": [
            "Thank you, this is really helpful. One more: does ICE show any criminal history for him? The sheriff's office won't discuss it.",
            "",
            "M.",
        ],
        "quote": "m04",
        "redact_quote": [(NAME1, R67C)],
        "print": "outlook",
    },
    {
        "id": "m06",
        "thread": "fire",
        "from": "okafor",
        "to": ["fenwick"],
        "date": "2020-12-08 13:47:29",
        "reply_to": "m05",
        "style": "outlook",
        "subject": "RE: Vesper Falls warehouse fire suspect - ICE?",
        "own": [
            "Marisol,",
            "",
            "Per ERO, he was arrested by the Vesper Falls Police Department for DWI on 10/12/2019 and was convicted of fourth-degree DWI, a misdemeanor, on 1/21/2020. We don't show any other criminal history for him.",
            "",
            "Delphine",
        ],
        "quote": "m05",
        "redact_quote": [(NAME1, R67C)],
        "print": "outlook",
    },
    {
        "id": "m07",
        "thread": "fire",
        "from": "okafor",
        "to": ["strand"],
        "cc": ["mediarel"],
        "date": "2020-12-09 08:15:40",
        "subject": "Clip: Red River Courier - Vesper Falls warehouse fire suspect",
        "own": [
            "Peter,",
            "",
            "FYSA, the Courier ran its story last night with our statement. Clip below.",
            "",
            "Delphine",
        ],
        "clip": {"article": "rc_fire_visa", "paragraphs": [0, 1, 2, 3]},
        "print": "outlook",
    },
    {
        "id": "m08",
        "thread": "stab",
        "from": "achterberg",
        "to": ["okafor"],
        "date": "2021-01-11 13:26:55",
        "subject": "Efrain Toledo-Guzman / Korsvik stabbing",
        "own": [
            "Ms. Okafor,",
            "",
            f"Korsvik police say {NAME2}, 38, was charged today with second-degree murder in Saturday's stabbing outside the Gullwing Tavern. Chief Arlen Voegele said at this morning's briefing that he \"may have immigration issues\" and referred questions to ICE.",
            "",
            "Can you tell me:",
            "1. Is he in the country legally? What is his citizenship?",
            "2. Has ICE placed a detainer?",
            "3. Any prior deportations or criminal history?",
            "",
            "We're updating our story tonight.",
            "",
            "Thank you,",
        ],
        "redact_own": [(NAME2, R67C)],
        "print": "outlook",
    },
    {
        "id": "m09",
        "thread": "stab",
        "from": "okafor",
        "to": ["achterberg"],
        "cc": ["strand"],
        "date": "2021-01-11 17:48:12",
        "reply_to": "m08",
        "style": "outlook",
        "subject": "RE: Efrain Toledo-Guzman / Korsvik stabbing",
        "own": [
            "Gordon,",
            "",
            f"{NAME2}, 38, is a citizen of Mexico. He was removed to Mexico through Del Rio, Texas, on 8/19/2014 after an immigration judge ordered him removed. At an unknown date and location, he reentered the United States without inspection.",
            "",
            "He was convicted of second-degree assault in Tamarack County District Court on 3/22/2017 and sentenced to 26 months. He is also known as Efrén Toledo.",
            "",
            "On 1/11/2021, ERO Northern Plains lodged an immigration detainer with the Tamarack County Correctional Center.",
            "",
            "Please attribute to ICE spokeswoman Delphine Okafor.",
            "",
            "Delphine",
        ],
        "redact_own": [(NAME2, R67C)],
        "quote": "m08",
        "redact_quote": [],  # inconsistent redaction: the quoted inquiry keeps the name
        "print": "outlook",
    },
    {
        "id": "m10",
        "thread": "lam",
        "from": "achterberg",
        "to": ["okafor"],
        "date": "2021-01-27 15:02:10",
        "reply_to": "ext_release_blast",
        "style": "original",
        "subject": "RE: ICE removes Vietnamese national convicted of manslaughter in North Dakota",
        "own": [
            "Delphine -- anything beyond the release on Lam? Was he still a green card holder when he was convicted, and why did it take almost two years after the judge's order to remove him?",
            "",
            "Thanks,",
            "Gordon",
        ],
        "quote": "ext_release_blast",
        "print": "outlook",
    },
    {
        "id": "m11",
        "thread": "lam",
        "from": "okafor",
        "to": ["achterberg"],
        "date": "2021-01-28 09:41:33",
        "reply_to": "m10",
        "style": "outlook",
        "subject": "RE: ICE removes Vietnamese national convicted of manslaughter in North Dakota",
        "own": [
            "Gordon,",
            "",
            "I don't have anything beyond the release. As it states, Tuan Minh Lam, 47, a citizen of Vietnam, was admitted as a refugee in 1993, was convicted of first-degree manslaughter in Tamarack County District Court in 2015, and was ordered removed by an immigration judge on March 14, 2019. ERO removed him on Jan. 26.",
            "",
            "Delphine",
        ],
        "quote": "m10",
        "print": "webmail",
    },
    {
        "id": "m12",
        "thread": "suit",
        "from": "okafor",
        "to": ["fenwick"],
        "cc": ["strand"],
        "date": "2021-02-09 15:20:06",
        "reply_to": "ext_suit_inquiry",
        "style": "outlook",
        "subject": "RE: Lawsuit - ICE detainee at Aldrich County Jail",
        "own": [
            "Hi Marisol,",
            "",
            "As a matter of policy, ICE does not comment on pending litigation. I'm not able to discuss his custody or immigration case.",
            "",
            "Thanks,",
            "Delphine",
        ],
        "quote": "ext_suit_inquiry",
        "redact_quote": [(NAME4, "(b)(6)")],
        "print": "webmail",
    },
]

# Messages referenced by the production but not themselves produced.
EXTERNAL = {
    "ext_release_blast": {
        "from": "icepa",
        "to": ["icepa"],
        "date": "2021-01-27 11:04:00",
        "subject": "ICE removes Vietnamese national convicted of manslaughter in North Dakota",
        "release": "ap_lam_removed",
    },
    "ext_suit_inquiry": {
        "from": "fenwick",
        "to": ["okafor"],
        "date": "2021-02-09 10:18:44",
        "subject": "Lawsuit - ICE detainee at Aldrich County Jail",
        "own": [
            "Hi Delphine,",
            "",
            f"{NAME4}, who is being held at the Aldrich County Jail for ICE, filed a federal lawsuit yesterday saying jail staff withheld his insulin for four days in October. Does ICE have a response? And can you tell me his current immigration status and whether he is still in ICE custody?",
            "",
            "Thanks,",
            "Marisol",
        ],
    },
}

OUTLETS = [
    {
        "slug": "red-river-courier",
        "name": "Red River Courier",
        "domain": "redrivercourier.example",
        "template": "wordpress",
        "tz": "CST",
        "tagline": "News from both banks of the Red",
        "rss_n": 3,
        "sections": ["News", "Crime", "Courts", "Opinion"],
    },
    {
        "slug": "prairie-star-gazette",
        "name": "Prairie Star-Gazette",
        "domain": "prairiestargazette.example",
        "template": "legacy",
        "tz": "MST",
        "tagline": "Western North Dakota's newspaper since 1906",
        "rss_n": 4,
        "sections": ["Local", "Region", "Public Safety", "Government"],
    },
    {
        "slug": "agency-press",
        "name": "ICE Newsroom (news releases)",
        "domain": "ice-newsroom.example",
        "template": "agency",
        "tz": "EST",
        "tagline": "News releases of U.S. Immigration and Customs Enforcement (fictional fixture)",
        "rss_n": 1,
        "sections": ["News Releases"],
    },
]

# Articles.  `paras` use [text](/path-or-@article-id) for inline links; "@id" is
# resolved to the article's path.  Courier text is typeset with typographic quotes.
ARTICLES = [
    # ---- Red River Courier (WordPress-like, Central time) -------------------------
    {
        "id": "rc_fire_visa",
        "outlet": "red-river-courier",
        "published": "2020-12-08 18:40:00",
        "slug": "suspect-in-vesper-falls-warehouse-fire-overstayed-tourist-visa-ice-says",
        "section": "Crime",
        "authors": ["Marisol Fenwick"],
        "headline": "Suspect in Vesper Falls warehouse fire overstayed tourist visa, ICE says",
        "dek": "Federal immigration officials have asked the county jail to hold the man charged with setting last week’s blaze.",
        "paras": [
            "VESPER FALLS, Minn. — The man charged with setting the fire that destroyed the Northland Seed & Feed warehouse last week is a Lithuanian citizen who stayed after his tourist visa ran out in June 2019, federal immigration officials said Tuesday.",
            "Vilius Kazlauskas, 29, flew into Chicago in December 2018 on a visitor visa, according to U.S. Immigration and Customs Enforcement.",
            "ICE has asked the Aldrich County Jail to hold him for federal immigration officers, agency spokeswoman Delphine Okafor said in an email. He remains jailed on first-degree arson charges.",
            "He also has a criminal record. Kazlauskas was convicted of misdemeanor drunken driving in January 2020, three months after Vesper Falls police arrested him, Okafor said.",
            "The Dec. 3 fire burned for nearly six hours and forced the evacuation of two nearby homes. No one was hurt. Fire Chief Lyle Brekke put the loss at more than $1.4 million.",
            "Aldrich County Sheriff Renata Holmquist said last week that investigators found a gas can and a lighter in Kazlauskas’ pickup, which was parked a block from the warehouse. He had worked at Northland for about eight months before he was fired in November, according to the criminal complaint.",
            "Kazlauskas’ public defender, Tobias Wrede, did not return a message Tuesday.",
        ],
        "related": ["rc_fire_plea", "rc_ostby_fire", "rc_stabbing"],
    },
    {
        "id": "rc_fire_plea",
        "outlet": "red-river-courier",
        "published": "2020-12-15 09:30:00",
        "slug": "warehouse-arson-suspect-pleads-not-guilty-immigration-hold-remains",
        "section": "Courts",
        "authors": ["Marisol Fenwick"],
        "headline": "Warehouse arson suspect pleads not guilty; immigration hold remains",
        "dek": "A trial in the Northland Seed & Feed fire is set for March.",
        "paras": [
            "VESPER FALLS, Minn. — The man accused of torching a Vesper Falls feed warehouse pleaded not guilty Monday to first-degree arson and second-degree burglary.",
            "Vilius Kazlauskas, 29, appeared by video from the Aldrich County Jail. Judge Corinne Maaske kept his bail at $250,000 and set trial for March.",
            "ICE has lodged a detainer with the jail, meaning federal officers could take him into custody if he posts bail. The agency has said he overstayed a visitor visa that expired in 2019.",
            "<strong>READ MORE:</strong> [Suspect in Vesper Falls warehouse fire overstayed tourist visa, ICE says](@rc_fire_visa)",
            "Northland Seed & Feed owner Harriet Solberg said the company plans to rebuild on the same site by fall. “We’ve got farmers counting on us,” she said.",
        ],
        "related": ["rc_fire_visa", "rc_ostby_fire"],
    },
    {
        "id": "rc_ostby_fire",
        "outlet": "red-river-courier",
        "published": "2020-12-18 14:05:00",
        "slug": "ostby-grain-elevator-fire-was-set-farmworker-charged",
        "section": "Crime",
        "authors": ["Nils Thorvaldsen"],
        "headline": "Ostby grain elevator fire was set, investigators say; farmworker charged",
        "dek": "The seasonal worker’s attorney says he will plead not guilty.",
        "paras": [
            "OSTBY, Minn. — A seasonal farmworker has been charged with arson in the fire that gutted the Ostby Cooperative grain elevator on Sunday, the Kittredge County attorney’s office said Friday.",
            "Oleksandr Hrytsenko, 24, a Ukrainian citizen, came to the United States on an H-2A agricultural work visa that expired in November, his attorney, Paula Engstrom, said. She said he had planned to fly home before Christmas.",
            "Engstrom said her client has no criminal record. Prosecutors allege he set the fire after a dispute over unpaid wages.",
            "It was the second suspicious fire at a Red River Valley farm business this month. A Vesper Falls man is charged in a Dec. 3 warehouse fire.",
            "Kittredge County Jail records did not show an immigration hold as of Friday afternoon.",
        ],
        "related": ["rc_fire_visa", "rc_fire_plea"],
    },
    {
        "id": "rc_license_bill",
        "outlet": "red-river-courier",
        "published": "2021-01-06 07:15:00",
        "slug": "lawmakers-revive-drivers-license-bill-for-immigrants-without-legal-status",
        "section": "News",
        "authors": ["Nils Thorvaldsen"],
        "headline": "Lawmakers revive driver’s license bill for immigrants without legal status",
        "dek": "Supporters say the bill would make roads safer; opponents say it rewards people who overstayed visas.",
        "paras": [
            "A bipartisan group of legislators on Tuesday reintroduced a bill that would let immigrants without legal status apply for driver’s licenses, the fourth attempt in six years.",
            "Supporters, including several county sheriffs, say unlicensed and uninsured drivers are a hazard. “People are driving to work either way,” said state Sen. Ingrid Halvorsen.",
            "Opponents argue the bill would reward people who overstayed their visas or crossed the border illegally. Rep. Dale Unseth said he worries the licenses could be used to register to vote.",
            "The bill would not change how jails respond to immigration detainers, its sponsors said.",
        ],
        "related": ["rc_asylum_suit"],
    },
    {
        "id": "rc_stabbing",
        "outlet": "red-river-courier",
        "published": "2021-01-19 17:20:00",
        "slug": "man-charged-in-fatal-vesper-falls-apartment-stabbing",
        "section": "Crime",
        "authors": ["Nils Thorvaldsen"],
        "headline": "Man charged in fatal Vesper Falls apartment stabbing",
        "dek": "Prosecutors say an argument between roommates turned deadly.",
        "paras": [
            "VESPER FALLS, Minn. — A 31-year-old man was charged Tuesday with second-degree murder in the stabbing death of his roommate at an apartment on the city’s north side.",
            "Denis Aguilar-Reyes is accused of stabbing Marco Lindqvist, 27, during an argument early Sunday at the Birchwood Terrace apartments, according to the criminal complaint.",
            "Aguilar-Reyes is a citizen of Honduras who has lived in the United States since 1999 under Temporary Protected Status, his attorney, Gwen Oduya, said. He has no prior convictions, she said.",
            "Last week a man was charged with murder in a stabbing outside a bar in Korsvik, N.D. Police there said that suspect may have been in the country illegally.",
            "Aguilar-Reyes is being held in the Aldrich County Jail on $1 million bail.",
        ],
        "related": ["rc_fire_visa", "rc_license_bill"],
    },
    {
        "id": "rc_asylum_suit",
        "outlet": "red-river-courier",
        "published": "2021-02-11 11:00:00",
        "slug": "lawsuit-diabetic-detainee-went-days-without-insulin-at-aldrich-county-jail",
        "section": "Courts",
        "authors": ["Marisol Fenwick"],
        "headline": "Lawsuit: Diabetic detainee went days without insulin at Aldrich County jail",
        "dek": "The suit names the county, its medical contractor and federal immigration authorities.",
        "paras": [
            "A man held at the Aldrich County Jail on behalf of federal immigration authorities says in a lawsuit that jail staff withheld his insulin for four days last fall, sending him to the hospital.",
            "Kwame Asante-Boateng, 52, filed the suit Monday in U.S. District Court. It names Aldrich County, its jail medical contractor and U.S. Immigration and Customs Enforcement.",
            "According to the complaint, Asante-Boateng came from Ghana on a student visa in 1991 and later married a U.S. citizen. He was detained by ICE in September after a dispute over his green card application, the complaint says.",
            "An ICE spokeswoman said the agency does not comment on pending litigation. County Administrator Bruce Lindahl said the county had not been served.",
            "The jail has held ICE detainees under a federal contract since 2017.",
        ],
        "related": ["rc_license_bill", "rc_stabbing"],
    },
    # ---- Prairie Star-Gazette (legacy table layout, Mountain time) ---------------
    {
        "id": "sg_sheriff_lithuanian",
        "outlet": "prairie-star-gazette",
        "published": "2020-12-05 16:45:00",
        "slug": "sheriff-man-charged-in-vesper-falls-fire-is-lithuanian-citizen",
        "section": "Region",
        "authors": ["Ruth Engebretson"],
        "headline": "Sheriff: Man charged in Vesper Falls fire is Lithuanian citizen",
        "dek": "Federal immigration authorities have been notified, the sheriff said.",
        "dateline": "VESPER FALLS, Minn. --",
        "paras": [
            "A former employee charged with setting the fire that destroyed a Vesper Falls feed warehouse is a Lithuanian citizen, Aldrich County Sheriff Renata Holmquist said Saturday.",
            "Vilius Kazlauskas, 29, was charged Friday with first-degree arson. Holmquist said her office notified federal immigration authorities but she did not know whether he was in the country legally.",
            '"We\'ve made the notification. What happens next is up to them," Holmquist said at a news conference.',
            "The fire broke out shortly before 11 p.m. Thursday at the Northland Seed & Feed warehouse on Depot Street.",
        ],
        "related": ["sg_fire_copy", "sg_detainer_board"],
    },
    {
        "id": "sg_fire_copy",
        "outlet": "prairie-star-gazette",
        "published": "2020-12-09 06:15:00",
        "slug": "ice-minnesota-warehouse-fire-suspect-overstayed-visa",
        "section": "Region",
        "authors": ["Marisol Fenwick"],
        "author_org": "Red River Courier",
        "headline": "ICE: Minnesota warehouse fire suspect overstayed visa",
        "dek": "Immigration officials say the man charged in the Vesper Falls fire has a 2020 drunken-driving conviction.",
        "copy_of": {"article": "rc_fire_visa", "paragraphs": [0, 2, 3, 4]},
        "syndication_note": "This story originally appeared in the Red River Courier and is republished under a content-sharing agreement.",
        "related": ["sg_sheriff_lithuanian", "sg_detainer_board"],
    },
    {
        "id": "sg_tavern_stabbing",
        "outlet": "prairie-star-gazette",
        "published": "2021-01-11 10:05:00",
        "modified": "2021-01-12 07:30:00",
        "slug": "man-charged-in-fatal-stabbing-outside-korsvik-tavern",
        "section": "Public Safety",
        "authors": ["Gordon Achterberg"],
        "headline": "UPDATED: Korsvik stabbing suspect had been deported, ICE says",
        "dek": "A 38-year-old man is charged with second-degree murder in the death of a Korsvik welder.",
        "dateline": "KORSVIK --",
        "paras": [
            "<b>UPDATE, Jan. 12, 7:30 a.m.:</b> Toledo-Guzmán is a Mexican citizen who was deported in August 2014 and later returned to the United States illegally, U.S. Immigration and Customs Enforcement said Monday evening. ICE has asked the Tamarack County Correctional Center to hold him for immigration officers.",
            "He was convicted of second-degree assault in Tamarack County in 2017, ICE spokeswoman Delphine Okafor said. Federal records also list him under the name Efrén Toledo.",
            "<i>Earlier story:</i>",
            "A 38-year-old Korsvik man was charged Monday with second-degree murder in the stabbing death of a man outside the Gullwing Tavern early Saturday.",
            "Efraín Toledo-Guzmán is accused of stabbing Dustin Ahlgren, 41, of Korsvik, in the parking lot after the two were asked to leave the bar around 1:15 a.m., according to a police affidavit.",
            'Police Chief Arlen Voegele said at a briefing Monday that Toledo-Guzmán "may have immigration issues" and referred questions to federal authorities.',
            "Ahlgren, a welder, was pronounced dead at Tamarack Regional Medical Center. A fundraiser for his two children had raised more than $18,000 by Monday morning.",
        ],
        "related": ["sg_detainer_board", "sg_lam_deported"],
    },
    {
        "id": "sg_detainer_board",
        "outlet": "prairie-star-gazette",
        "published": "2021-01-21 18:30:00",
        "slug": "tamarack-county-commissioners-split-over-honoring-ice-detainers",
        "section": "Government",
        "authors": ["Ruth Engebretson"],
        "headline": "Tamarack County commissioners split over honoring ICE detainers",
        "dek": "A 2-2 vote leaves the jail's current practice in place for now.",
        "dateline": "KORSVIK --",
        "paras": [
            "Tamarack County commissioners deadlocked 2-2 on Wednesday over whether the county jail should keep honoring immigration detainers that are not signed by a judge.",
            "Commissioner Al Frisvold said the county risks lawsuits if it holds people past their release dates. Commissioner Janelle Stroup said ending cooperation would make Korsvik less safe.",
            "In a statement read to the board, ICE said an immigration detainer is a request that a jail or other law enforcement agency notify ICE before it releases a removable alien.",
            "The jail currently holds four people on ICE detainers, Jail Administrator Wes Haugland said. The board will take up the question again Feb. 3.",
        ],
        "related": ["sg_tavern_stabbing"],
    },
    {
        "id": "sg_lam_deported",
        "outlet": "prairie-star-gazette",
        "published": "2021-01-29 16:10:00",
        "slug": "korsvik-man-convicted-in-2014-killing-deported-to-vietnam",
        "section": "Public Safety",
        "authors": ["Gordon Achterberg"],
        "headline": "Korsvik man convicted in 2014 killing deported to Vietnam",
        "dek": "An immigration judge ordered Tuan Minh Lam removed in 2019.",
        "dateline": "KORSVIK --",
        "paras": [
            "A Korsvik man who served prison time for a 2014 killing has been deported to Vietnam, U.S. Immigration and Customs Enforcement announced this week.",
            "Tuan Minh Lam, 47, was removed Tuesday, according to an [ICE news release](@ap_lam_removed). He was convicted of first-degree manslaughter in Tamarack County in 2015, and an immigration judge ordered him deported in March 2019.",
            "Lam came to the United States as a refugee in 1993, the release said. ICE would not say why nearly two years passed between the order and his removal.",
            "Lam was convicted in the beating death of Korsvik businessman Harold Tinjum during a robbery. Tinjum's daughter, Carla Tinjum-Ross, said Thursday the family was relieved.",
        ],
        "related": ["sg_tavern_stabbing", "sg_detainer_board"],
    },
    # ---- Agency newsroom (Eastern time) -----------------------------------------
    {
        "id": "ap_canadian_fugitive",
        "outlet": "agency-press",
        "published": "2020-12-16 13:00:00",
        "slug": "ice-arrests-canadian-fugitive-wanted-for-fraud",
        "section": "News Releases",
        "authors": [],
        "headline": "ICE arrests Canadian fugitive wanted for fraud",
        "dek": "ERO Northern Plains officers arrested a Canadian citizen wanted by Canadian authorities.",
        "paras": [
            "GRENVILLE, N.D. — U.S. Immigration and Customs Enforcement’s Enforcement and Removal Operations (ERO) Northern Plains officers arrested Martin Desrochers-Pelletier, 56, a citizen of Canada, on Dec. 15. Canadian authorities have charged him with fraud in connection with an investment scheme.",
            "Desrochers-Pelletier was admitted to the United States as a visitor in 2017 and overstayed. He will remain in ICE custody pending removal proceedings.",
            "ICE remains committed to removing noncitizens who pose a threat to public safety and to working with foreign partners to return fugitives to face justice.",
        ],
    },
    {
        "id": "ap_lam_removed",
        "outlet": "agency-press",
        "published": "2021-01-27 11:00:00",
        "slug": "ice-removes-vietnamese-national-convicted-of-manslaughter-in-north-dakota",
        "section": "News Releases",
        "authors": [],
        "headline": "ICE removes Vietnamese national convicted of manslaughter in North Dakota",
        "dek": "Tuan Minh Lam was ordered removed by an immigration judge in 2019.",
        "paras": [
            "KORSVIK, N.D. — U.S. Immigration and Customs Enforcement’s Enforcement and Removal Operations (ERO) Northern Plains removed Tuan Minh Lam, 47, a citizen of Vietnam, on Jan. 26. Lam was turned over to Vietnamese authorities on arrival.",
            "Lam was admitted to the United States as a refugee in 1993 and later adjusted to lawful permanent resident status. In 2015, he was convicted in Tamarack County District Court of first-degree manslaughter and sentenced to 96 months in prison.",
            "ERO Northern Plains officers took Lam into custody upon his release from state prison in 2018. An immigration judge ordered him removed to Vietnam on March 14, 2019.",
            "ICE remains committed to removing noncitizens who have been convicted of serious crimes and who have received final orders of removal from an immigration judge.",
        ],
    },
]

# Labels: message id -> article id; quotes are verified by the generator.
LABELS = [
    # m04 -> Courier original
    (
        "m04",
        "rc_fire_visa",
        "is a citizen of Lithuania",
        "a Lithuanian citizen",
        "citizenship",
        "nationality paraphrased; the name is redacted in the production",
    ),
    (
        "m04",
        "rc_fire_visa",
        "overstayed; his authorized period of stay expired 6/2/2019",
        "stayed after his tourist visa ran out in June 2019",
        "immigration_status",
        "overstay paraphrased (expired 6/2/2019 -> ran out in June 2019)",
    ),
    (
        "m04",
        "rc_fire_visa",
        "admitted to the United States at Chicago O'Hare International Airport on 12/4/2018 as a B1/B2 nonimmigrant visitor",
        "flew into Chicago in December 2018 on a visitor visa",
        "immigration_status",
        "port, date and visa class paraphrased",
    ),
    (
        "m04",
        "rc_fire_visa",
        "lodged an immigration detainer with the Aldrich County Jail",
        "asked the Aldrich County Jail to hold him for federal immigration officers",
        "enforcement_action",
        "detainer paraphrased as a request to hold him",
    ),
    (
        "m06",
        "rc_fire_visa",
        "was convicted of fourth-degree DWI, a misdemeanor, on 1/21/2020",
        "convicted of misdemeanor drunken driving in January 2020",
        "criminal_history",
        "follow-up message the same day; DWI -> drunken driving",
    ),
    (
        "m06",
        "rc_fire_visa",
        "arrested by the Vesper Falls Police Department for DWI on 10/12/2019",
        "three months after Vesper Falls police arrested him",
        "criminal_history",
        "arrest date expressed relative to the conviction",
    ),
    # m04 -> Courier follow-up a week later
    (
        "m04",
        "rc_fire_plea",
        "lodged an immigration detainer with the Aldrich County Jail",
        "ICE has lodged a detainer with the jail",
        "enforcement_action",
        "follow-up story six days later reuses the detainer",
    ),
    (
        "m04",
        "rc_fire_plea",
        "overstayed; his authorized period of stay expired 6/2/2019",
        "overstayed a visitor visa that expired in 2019",
        "immigration_status",
        "follow-up story reuses the overstay",
    ),
    # syndicated copy on the Star-Gazette
    (
        "m04",
        "sg_fire_copy",
        "is a citizen of Lithuania",
        "a Lithuanian citizen",
        "citizenship",
        "syndicated copy of the Courier story",
    ),
    (
        "m04",
        "sg_fire_copy",
        "overstayed; his authorized period of stay expired 6/2/2019",
        "stayed after his tourist visa ran out in June 2019",
        "immigration_status",
        "syndicated copy of the Courier story",
    ),
    (
        "m06",
        "sg_fire_copy",
        "was convicted of fourth-degree DWI, a misdemeanor, on 1/21/2020",
        "convicted of misdemeanor drunken driving in January 2020",
        "criminal_history",
        "syndicated copy of the Courier story",
    ),
    # m09 -> Star-Gazette story published before the email and updated after it
    (
        "m09",
        "sg_tavern_stabbing",
        "is a citizen of Mexico",
        "is a Mexican citizen",
        "citizenship",
        "article first published before the email; UPDATE paragraph after it",
    ),
    (
        "m09",
        "sg_tavern_stabbing",
        "He was removed to Mexico through Del Rio, Texas, on 8/19/2014",
        "was deported in August 2014",
        "enforcement_action",
        "prior removal paraphrased (8/19/2014 -> August 2014)",
    ),
    (
        "m09",
        "sg_tavern_stabbing",
        "reentered the United States without inspection",
        "later returned to the United States illegally",
        "immigration_status",
        "entry without inspection paraphrased",
    ),
    (
        "m09",
        "sg_tavern_stabbing",
        "convicted of second-degree assault in Tamarack County District Court on 3/22/2017",
        "convicted of second-degree assault in Tamarack County in 2017",
        "criminal_history",
        "conviction; court and date shortened",
    ),
    (
        "m09",
        "sg_tavern_stabbing",
        "He is also known as Efrén Toledo",
        "Federal records also list him under the name Efrén Toledo",
        "identity",
        "alias survives although the name is redacted",
    ),
    (
        "m09",
        "sg_tavern_stabbing",
        "lodged an immigration detainer with the Tamarack County Correctional Center",
        "asked the Tamarack County Correctional Center to hold him for immigration officers",
        "enforcement_action",
        "detainer paraphrased",
    ),
]

HARD_NEGATIVES = [
    (
        "m01",
        "sg_sheriff_lithuanian",
        "published_before_email",
        "the reporter's inquiry repeats what the sheriff said publicly two days earlier",
        {},
    ),
    (
        "m04",
        "sg_sheriff_lithuanian",
        "published_before_email",
        "Lithuanian citizenship was reported from the sheriff's news conference three days before the email",
        {},
    ),
    (
        "m07",
        "rc_fire_visa",
        "published_before_email",
        "internal clip forward that quotes the already-published article",
        {},
    ),
    (
        "m04",
        "rc_ostby_fire",
        "different_person",
        "another arson suspect in the same region with visa details from his attorney",
        {},
    ),
    (
        "m06",
        "rc_ostby_fire",
        "different_person",
        "another arson suspect; his (absent) criminal record comes from his attorney",
        {},
    ),
    (
        "m09",
        "rc_stabbing",
        "different_person",
        "another stabbing suspect; Honduran citizenship and TPS come from his attorney",
        {},
    ),
    (
        "m11",
        "ap_lam_removed",
        "public_source",
        "the ICE news release itself; published the day before the email",
        {"source": "ap_lam_removed"},
    ),
    (
        "m11",
        "sg_lam_deported",
        "public_source",
        "citizenship, refugee admission, conviction and removal order were all in the news release of Jan. 27",
        {"source": "ap_lam_removed"},
    ),
    (
        "m12",
        "rc_asylum_suit",
        "boilerplate",
        "only the no-comment-on-pending-litigation line is shared; other details come from the lawsuit",
        {},
    ),
    (
        "m04",
        "sg_detainer_board",
        "boilerplate",
        "only the generic immigration detainer definition is shared; policy story, no individual",
        {},
    ),
    ("m04", "sg_fire_copy", "syndicated_copy", None, {"original": "rc_fire_visa"}),
    ("m06", "sg_fire_copy", "syndicated_copy", None, {"original": "rc_fire_visa"}),
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def h(text: str) -> str:
    return html.escape(text, quote=True)


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

OUTLET = {o["slug"]: o for o in OUTLETS}
ART = {a["id"]: a for a in ARTICLES}
MSG = {m["id"]: m for m in MESSAGES}


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
        if a["outlet"] == "prairie-star-gazette":
            a["paras"] = [straight(p) for p in a["paras"]]


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


def msg_dt(m) -> datetime:
    return parse_local(m["date"], TZ[PEOPLE[m["from"]]["tz"]])


def message_id(mid: str, m) -> str:
    p = PEOPLE[m["from"]]
    client = p["client"]
    if client == "outlook":
        host = f"NPEXMB0{int(hexid(mid, n=2), 16) % 7 + 1}.opa.ice.example"
        return f"<{hexid('msg', mid)}@{host}>"
    if client == "gmail":
        return f"<CAK{hexid('gm', mid, n=40).lower()}@mail.redrivercourier.example>"
    # Outlook 2010 style
    a, b, c = hexid("o1", mid, n=12), hexid("o2", mid, n=8), hexid("o3", mid, n=8)
    return f"<{a.lower()}${b.lower()}${c.lower()}$@prairiestargazette.example>"


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
    if p.get("sig"):
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
    if style == "gmail":
        head = f"On {gmail_when(pdt)} {person_plain(parent['from'])} wrote:\n"
        body = "".join(("> " + ln if ln else ">") + "\n" for ln in ptext.rstrip("\n").split("\n"))
        return "\n" + head + body
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
    p = PEOPLE[m["from"]]
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
    if p["client"] == "outlook":
        topic = re.sub(r"^(?:RE|FW|Re|Fwd): ", "", m["subject"])
        hdr.append(("Thread-Topic", topic))
        hdr.append(("X-MS-Has-Attach", "yes" if m.get("has_attach") else ""))
    elif p["client"] == "outlook2010":
        hdr.append(("X-Mailer", "Microsoft Outlook 14.0"))
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
        self.c.setTitle("FOIA production 2021-ICFO-31572")
        self.c.setAuthor("U.S. Immigration and Customs Enforcement FOIA Office")
        self.c.setCreator("foiatrace demo generator")
        self.c.setProducer("foiatrace demo generator")
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
        self.c.drawRightString(self.W - self.RM, self.y, person_plain("okafor"))
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
    if mod or o["template"] == "legacy":
        lines.append(f'<meta property="article:modified_time" content="{w3c(mod or a["pub_dt"])}">')
    lines.append(f'<meta property="article:section" content="{h(a["section"])}">')
    if a["authors"]:
        lines.append(f'<meta name="author" content="{h(", ".join(a["authors"]))}">')
    lines += [
        f'<link rel="stylesheet" href="/{o["slug"]}/static/site.css">',
        f'<link rel="alternate" type="application/rss+xml" title="{h(o["name"])}" href="/{o["slug"]}/rss.xml">',
    ]
    return "\n".join(lines)


def authors_ld(a, o):
    if not a["authors"]:
        return {"@type": "Organization", "name": "U.S. Immigration and Customs Enforcement"}
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
<section class="newsletter-signup"><h2>The Courier Morning Brief</h2><p>Get the day’s top stories from the Red River Valley in your inbox every weekday at 6 a.m.</p><form action="#"><input type="email" placeholder="Email address"><button type="submit">Sign up</button></form></section>
<div id="comments" class="comments-area"><p class="comments-closed">Comments are closed on this story.</p></div>
</main>
<aside id="secondary" class="widget-area"><section class="widget widget_trending"><h2 class="widget-title">Trending</h2><ul>{trending}</ul></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info"><p>© 2021 {h(o["name"])}. All rights reserved.</p></div></footer>
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
    role = a.get("author_org") or "Star-Gazette Staff Writer"
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
<div id="newsletter-box"><p><b>Star-Gazette Headlines:</b> the day's local news, delivered free every evening.</p><form action="#"><input type="text" name="email" size="24"> <input type="submit" value="Subscribe"></form></div>
</td>
<td width="300" valign="top" class="rightrail">
<div class="most-read"><b>Most Read</b><ol>{most}</ol></div>
<div class="ad"><p>ADVERTISEMENT</p></div>
</td>
</tr>
<tr><td colspan="2" class="bottom"><font size="1">Copyright 2021 {h(o["name"])}, Korsvik, N.D. All rights reserved.</font></td></tr>
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
        "publisher": {"@type": "Organization", "name": "U.S. Immigration and Customs Enforcement"},
        "mainEntityOfPage": a["url"],
    }
    paras = "\n".join(f"<p>{resolve_links(p)}</p>" for p in a["paras"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
{head_common(a, o, a["headline"] + " | ICE")}
<script type="application/ld+json">{jsonld(ld)}</script>
</head>
<body>
<header class="usa-header"><a class="usa-logo" href="/{o["slug"]}/">U.S. Immigration and Customs Enforcement</a>
<nav class="usa-nav"><a href="/{o["slug"]}/">Newsroom</a> <a href="/{o["slug"]}/section/news-releases.html">News Releases</a></nav></header>
<main id="main-content" class="usa-layout-docs">
<div class="release-type">News Release</div>
<h1 class="release-title">{h(a["headline"])}</h1>
<div class="release-date"><time datetime="{w3c(a["pub_dt"])}">{long_date(a["pub_dt"])}</time></div>
<div class="field--body usa-prose">
{paras}
</div>
<div class="release-contact">Media contact: ICE Office of Public Affairs, (202) 555-0107</div>
</main>
<footer class="usa-footer"><p>U.S. Immigration and Customs Enforcement (fictional fixture)</p></footer>
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
<footer>&copy; 2021 {h(o["name"])}</footer>
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
        creator = ", ".join(a["authors"]) or "U.S. Immigration and Customs Enforcement"
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
METRICS_JS = "window.__demoMetrics=window.__demoMetrics||[];\n"


def build_site(site: Path) -> None:
    renderers = {"wordpress": render_wordpress, "legacy": render_legacy, "agency": render_agency}
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
        write(root / "static" / "metrics.js", METRICS_JS)
    lis = "\n".join(
        f'<li><a href="/{o["slug"]}/">{h(o["name"])}</a> ({o["domain"]})</li>' for o in OUTLETS
    )
    write(
        site / "index.html",
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>foiatrace demo scenario sites</title></head>
<body><h1>Outlets in the foiatrace demo scenario</h1><ul>
{lis}
</ul></body></html>
""",
    )


def outlets_toml() -> str:
    out = [
        "# Outlets of the foiatrace demo scenario.  Paths are relative to site/, which is",
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
        "set": "demo",
        "note": "Export of the data in scripts/build_demo.py; the script is the generator input.",
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


README = """# foiatrace demo scenario

A small, entirely fictional scenario bundled with foiatrace so that the pipeline
(and `foiatrace eval scenario`) can be tried end to end without the development set.
It follows the shared scenario format (`shared/scenarios/README.md`): `emails/`,
`production/production.pdf`, `site/`, `outlets.toml`, `labels.jsonl`,
`hard_negatives.jsonl`; `cases.json` is a JSON export of the data in the generator.

* Press office: Delphine Okafor, a (fictional) ICE public affairs officer for a
  "Northern Plains" area; FOIA production `ICE FOIA 2021-ICFO-31572`, Bates prefix `ICE-21-`.
* 12 produced messages in 4 threads (Dec 2020 - Feb 2021) plus one "Withheld in Full"
  (b)(5) page: a warehouse-fire inquiry answered the next day and followed up, with an
  internal forward and a clip forward; a tavern stabbing; a question about a public ICE
  news release; a pending-litigation refusal.
* Sites: `red-river-courier` (WordPress-like), `prairie-star-gazette` (legacy tables),
  `agency-press` (ICE newsroom).  11 news articles + 2 releases; 17 labels, 12 hard negatives.
* The PDF prints Sent times in the mailbox owner's time zone, US Central (UTC-06:00).

Everything here is generated; do not edit by hand.  Rebuild with

    python scripts/build_demo.py

(deterministic, byte-identical output).  Serve the sites with
`python3 -m http.server 8000 --bind 127.0.0.1 --directory foiatrace/demo/site`.
"""


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
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    build(args.out)
    print(f"wrote demo scenario to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
