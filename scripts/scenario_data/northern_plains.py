# ruff: noqa: E501  (long lines are corpus text)
"""Data of the bundled demo scenario (foiatrace/demo/): everything here is invented.

Loaded by scripts/build_demo.py (the default scenario): ``python scripts/build_demo.py``.

Time zones: every e-mail keeps its sender's numeric UTC offset in the Date header
(Central -0600, Mountain -0700, Eastern -0500; all dates fall in Dec-Feb, so no DST).
The PDF production is printed from the mailbox of the press officer Delphine Okafor,
whose local time zone is US Central Standard Time (America/Chicago, UTC-06:00 in
winter): every "Sent:" time in the PDF is shown in that zone.
"""

from datetime import timedelta, timezone

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

# Generator settings (see DEFAULT_SETTINGS in scripts/build_demo.py): the demo uses the defaults.
SETTINGS = {"out": "foiatrace/demo"}
