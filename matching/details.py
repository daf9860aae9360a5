"""Concrete details in a sentence, as normalized keys that paraphrases share.

"is a citizen of Ireland" and "an Irish citizen" both give ``citizenship:ireland``;
"B1/B2 visitor visa" and "a visa that allowed him to visit for business or pleasure" both
give ``immigration_status:visa-b``; "3/14/2016" and "March 2016" both give
``date:2016-03``. Rules are general English and US immigration vocabulary, never the names
or wording of one corpus: how rare a key is (its weight) is learned from the corpus itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from matching.lexicon import COUNTRIES, DEMONYMS

DETAIL_TYPES = (
    "citizenship", "immigration_status", "criminal_history", "identity",
    "enforcement_action", "other",
)  # fmt: skip


@dataclass(frozen=True)
class Detail:
    type: str  # one of DETAIL_TYPES, or "date"/"name" (supporting details)
    key: str  # normalized value, e.g. "citizenship:ireland"
    text: str  # the words it was read from


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (type, key, pattern): the key is fixed when a pattern matches.
_RULES: list[tuple[str, str, re.Pattern[str]]] = [
    # immigration status
    (
        "immigration_status",
        "visa-b",
        _rx(
            r"\bB-?1\s*/\s*B-?2\b|\bB-?[12]\b(?=\s+(?:non-?immigrant\s+)?(?:visa|visitor|status))"
            r"|\b(?:tourist|visitor(?:'s)?|travel)\s+visa|business or pleasure|visa waiver"
            r"|\bas an? (?:tourist|visitor)\b|\bon an? (?:tourist|visitor)\b"
        ),
    ),
    (
        "immigration_status",
        "visa-f",
        _rx(
            r"\bF-?1\b|\bM-?1\b(?=\s+(?:student\s+)?(?:visa|status))|\bstudent (?:visa|status)"
            r"|\bSEVIS\b|(?:came|arrived|admitted|entered)\b[^;]{0,30}?\bto study\b"
        ),
    ),
    (
        "immigration_status",
        "visa-h",
        _rx(
            r"\bH-?[12][AB]\b|\bH-?[12]\b(?=\s+(?:visa|status|worker))"
            r"|\b(?:work|guest[- ]worker|temporary work|seasonal(?: \w+)? worker|farm ?worker"
            r"|agricultural(?: \w+)? worker|H-?2[AB]) visa|\bH-?2[AB]\b"
            r"|to work (?:the|in the|on (?:a|the)) (?:harvest|fields?|farms?|crops?)"
            r"|seasonal (?:farm )?work"
        ),
    ),
    (
        "immigration_status",
        "visa-j",
        _rx(
            r"\bJ-?1\b|exchange (?:visitor|program|visa|student)|cultural exchange|au pair"
            r"|work[- ]and[- ]travel|work[- ]travel"
        ),
    ),
    (
        "immigration_status",
        "visa-k",
        _rx(
            r"\bK-?1\b(?=\s+visa)|\bfianc[ée]e?(?:\(e\))?\b"
            r"|to marry (?:his|her|an?) (?:American|U\.S\.)"
        ),
    ),
    (
        "immigration_status",
        "overstay",
        _rx(
            r"\boverst(?:ay|ayed|aying|ays)\b|over-?stayed|never left|did not (?:leave|depart)"
            r"|never (?:went|returned|flew|go) (?:home|back)|(?:stayed|remained) (?:on )?after"
            r"|stayed behind|(?:ship|vessel|plane) (?:sailed|left|departed) without"
            r"|did not depart with"
            r"|(?:supposed|required|due|expected|authorized) to (?:leave|depart"
            r"|remain)\b[^.;]{0,60}"
            r"\b(?:never did|did not|didn't|but (?:stayed|remained))"
            r"|failed to (?:leave|depart)"
            r"|(?:remained|stayed|stayed on|lived)\b[^.;]{0,60}\b(?:after|beyond|past)\b[^.;]{0,40}"
            r"\b(?:visa|status|authorized|admission|permit)"
            r"|(?:visa|authorized (?:period of )?stay|status|admission)\b[^.;]{0,30}"
            r"\b(?:expired|lapsed|ran out|run out|ended)"
        ),
    ),
    ("immigration_status", "refugee", _rx(r"\brefugees?\b")),
    (
        # crew members of ships and aircraft (C-1/D), who may not stay when the vessel leaves
        "immigration_status",
        "visa-crew",
        _rx(
            r"\bC-?1/D\b|\bD-?[12]\b(?=\s+(?:visa|crew|status))|\bcrew ?m[ae]n\b|\bcrew members?\b"
            r"|\bseam[ae]n\b|\bsailors?\b|\bship'?s crew|jumped ship|left (?:his|her) ship"
        ),
    ),
    (
        "immigration_status",
        "asylum",
        _rx(r"\basyl(?:um|ee|ees)\b|\brefuge\b|protection from persecution|fear of persecution"),
    ),
    (
        "immigration_status",
        "application-denied",
        _rx(
            r"\bturned (?:him|her|them) down\b"
            r"|\b(?:denied|rejected|refused|turned down)\b[^.;]{0,30}\b(?:asylum|application|claim"
            r"|petition|bid|request|case|refuge)"
            r"|\b(?:asylum|application|claim|petition|bid|request)\b[^.;]{0,30}\b(?:was|were"
            r"|had been)"
            r" (?:denied|rejected|refused|turned down)"
        ),
    ),
    ("immigration_status", "siv", _rx(r"\bspecial immigrant visa|\bSIVs?\b")),
    (
        "immigration_status",
        "lpr",
        _rx(
            r"lawful(?:ly)? permanent resident|\bLPRs?\b|green card"
            r"|permanent residen(?:t|cy)"
        ),
    ),
    ("immigration_status", "daca", _rx(r"\bDACA\b|deferred action|\bDreamers?\b")),
    ("immigration_status", "tps", _rx(r"\bTPS\b|(?:temporary )?protected status")),
    (
        # what TPS, DACA and parole have in common, in plain words
        "immigration_status",
        "protected",
        _rx(
            r"\bTPS\b|\bDACA\b|protected status|deferred action|humanitarian (?:program|protection"
            r"|parole)|protection from (?:deportation|removal)|allowed to (?:live and work"
            r"|stay|remain)"
            r"|\bwork permit|employment authorization"
        ),
    ),
    (
        # a status that ended: expired, lapsed, terminated, withdrawn, lost
        "immigration_status",
        "status-ended",
        _rx(
            r"\b(?:TPS|DACA|status|protection|green card|visa|parole|SEVIS record|residency)\b"
            r"[^.;]{0,40}\b(?:expired|lapsed|ended|ran out|terminated|revoked|rescinded|withdrawn"
            r"|cancell?ed|was not renewed)"
            r"|\b(?:withdrew|revoked|terminated|rescinded|stripped|lost|ended|cancell?ed|lapse of)"
            r"\b[^.;]{0,30}\b(?:TPS|DACA|status|protection|green card|visa|parole|residency)\b"
            r"|no longer (?:a student|enrolled|in status|had (?:legal )?status|protected)"
        ),
    ),
    (
        "immigration_status",
        "diversity-visa",
        _rx(r"diversity (?:immigrant )?visa|visa lottery|green[- ]card lottery|\bDV-\d"),
    ),
    (
        "immigration_status",
        "application-pending",
        _rx(
            r"application (?:remains |is |was |has been )?pending|pending application"
            r"|has not (?:yet )?been (?:decided|approved|adjudicated)|awaiting a decision"
        ),
    ),
    (
        # an entry event: admitted at a port, crossed, flew in, encountered at the border
        "immigration_status",
        "entry",
        _rx(
            r"\badmitted (?:to|into|at|as|in|on)\b|port of entry|border crossing"
            r"|crossed (?:into|the)"
            r"|(?:came|entered|arrived|admitted)(?: (?:here|to the (?:U\.?S\.?|United States"
            r"|country)))?"
            r" (?:legally|lawfully)|(?:legally|lawfully) (?:admitted|entered|came)"
            r"|(?:waded|swam|walked|came|snuck|sneaked|slipped) (?:across"
            r"|over) (?:the )?(?:border|river|Rio)"
            r"|flew into|entered (?:the (?:U\.?S\.?|United States|country)|at)\b"
            r"|\b(?:encountered|apprehended|caught|picked (?:him|her|them) up|stopped|detained)"
            r"\b[^.;]{0,40}\b(?:Border Patrol|at the border|near the border|crossing)"
            r"|Border Patrol[^.;]{0,40}\b(?:encountered|apprehended|caught|picked|stopped|arrested)"
        ),
    ),
    (
        "immigration_status",
        "unaccompanied-minor",
        _rx(
            r"unaccompanied (?:alien |immigrant |migrant )?(?:child|minor|juvenile|teen)|\bUACs?\b"
            r"|without (?:a parent|his parents|her parents|their parents|an adult|a guardian)"
            r"|(?:crossed|came|arrived|traveled|travelling|traveling|entered)[^.;]{0,40}\balone\b"
        ),
    ),
    (
        "immigration_status",
        "sponsor",
        _rx(r"(?:to|with) (?:a |his |her |their )?(?:sponsors?|relatives?|family members?)\b"),
    ),
    (
        "immigration_status",
        "entry-without-inspection",
        _rx(
            r"without (?:inspection|being inspected|authorization)|entered[^.;]{0,40}illegally"
            r"|(?:waded|swam|snuck|sneaked|slipped|walked|climbed) (?:across|over|into|through)\b"
            r"|crossed[^.;]{0,40}(?:illegally|unlawfully)|illegal(?:ly)? (?:entry|entered|crossed)"
            r"|unlawful(?:ly)? (?:entry|entered|present)|\bEWI\b"
        ),
    ),
    (
        "immigration_status",
        "parole",
        _rx(
            r"\b(?:humanitarian |immigration )?parole(?:d)?\b"
            r"(?![^.;]{0,20}\b(?:board|officer|violation))"
        ),
    ),
    ("immigration_status", "naturalization", _rx(r"naturaliz(?:ation|ed|e)")),
    ("immigration_status", "nonimmigrant", _rx(r"non-?immigrant")),
    # citizenship
    (
        "citizenship",
        "united states",
        _rx(
            r"(?:\bU\.\s?S\.|\bUS\b|\bAmerican|United States)[- ](?:born )?citizen"
            r"|citizen of the United States"
        ),
    ),
    (
        "citizenship",
        "noncitizen",
        _rx(
            r"\bnon-?citizen|not an? (?:U\.?S\.? )?citizen"
            r"|(?:is|was) not (?:a )?(?:U\.?S\.? )?citizen"
        ),
    ),
    # criminal history
    (
        "criminal_history",
        "no-record",
        _rx(
            r"\bno (?:known |prior |previous )?(?:criminal (?:history|record|convictions?)"
            r"|(?:prior |previous )?(?:arrests?|convictions?|record))"
            r"|(?:has|had) (?:never|not) been (?:arrested|convicted|charged)"
            r"|(?:clean|spotless) (?:criminal )?record"
            r"|\b(?:neither|none)\b[^.;]{0,50}\b(?:had|has|have)\b[^.;]{0,15}\b(?:prior |previous |"
            r"earlier )?(?:arrests?|convictions?|criminal|record)"
            r"|not aware of any\b[^.;]{0,20}\b(?:arrests?|convictions?|criminal|record|history)"
            r"|nothing prior|no record of (?:any )?(?:prior |previous )?(?:arrests?|convictions?)"
            r"|(?:don't|do not|doesn't|does not|did not|didn't) have any (?:record|history)"
            r"|never been in trouble|no (?:known )?(?:criminal )?(?:history|record)\b"
            r"|no (?:prior |previous |earlier )?(?:arrests|convictions|criminal)"
        ),
    ),
    (
        "criminal_history",
        "conviction",
        _rx(r"\bconvict(?:ed|ion|ions)\b|pleaded guilty|pled guilty|found guilty|\bsentenced\b"),
    ),
    ("criminal_history", "arrest", _rx(r"\barrest(?:ed|s)?\b")),
    ("criminal_history", "charge", _rx(r"\bcharg(?:ed|es)\b|\bindicted\b|\bindictment\b")),
    (
        "criminal_history",
        "dui",
        _rx(
            r"\bDUI\b|\bDWI\b|drunk(?:en)?[- ]driving|driving under the"
            r"|driving while (?:intoxicated|impaired)"
        ),
    ),
    ("criminal_history", "assault", _rx(r"\bassault|\bbattery\b")),
    ("criminal_history", "domestic-violence", _rx(r"domestic (?:violence|abuse|battery)")),
    (
        "criminal_history",
        "drugs",
        _rx(
            r"\bdrug|narcotic|cocaine|heroin|fentanyl|methamphetamine"
            r"|marijuana|controlled substance"
        ),
    ),
    ("criminal_history", "theft", _rx(r"\btheft|\bburglar|\brobber|\bshoplift|larceny")),
    (
        "criminal_history",
        "homicide",
        _rx(r"\bmurder|\bmanslaughter|\bhomicide|vehicular (?:homicide|manslaughter)"),
    ),  # noqa: E501
    (
        "criminal_history",
        "sex-offense",
        _rx(
            r"sexual(?:ly)? (?:assault|abuse|offen)|\brape\b"
            r"|child (?:molestation|abuse)|indecen"
        ),
    ),
    (
        "criminal_history",
        "weapons",
        _rx(r"\bfirearm|\bweapons? (?:charge|offense|violation)|\bgun\b"),
    ),  # noqa: E501
    (
        "criminal_history",
        "illegal-reentry",
        _rx(
            r"illegal re-?entry|unlawful re-?entry"
            r"|re-?entered[^.;]{0,40}(?:illegally|after)|re-?entry after (?:removal|deportation)"
            r"|(?:sneak\w*|slipp\w*|came|coming|returned|returning|crossed) back\b[^.;]{0,30}"
            r"(?:illegally|in\b|into|across)"
        ),
    ),
    # enforcement actions
    (
        "enforcement_action",
        "detainer",
        _rx(
            r"\bdetainers?\b|immigration hold|\bICE hold|hold request"
            r"|asked[^.;]{0,40}\b(?:jail|sheriff|county|police|authorities)\b[^.;]{0,20}"
            r"\b(?:hold|keep|detain)"
            r"|(?:asked|asking|requested|requesting|wants?|sought|seeking)\b[^.;]{0,60}"
            r"\b(?:to|that \w+(?: \w+)?(?: be)?) (?:hold|held|keep|kept|detain|detained"
            r"|turn (?:him|her|them) over"
            r"|hand (?:him|her|them) over)\b"
            r"|notif(?:y|ied)\b[^.;]{0,40}\b(?:before|prior to|when)\b[^.;]{0,40}\breleas"
            r"|(?:let|tell) (?:them|it|ICE|agents|officers|immigration)\b[^.;]{0,15}\bknow\b"
            r"[^.;]{0,40}\b(?:before|prior to|when)\b[^.;]{0,40}\breleas"
            r"|\b(?:placed|put|lodged|filed) an? (?:immigration |ICE )?hold\b"
            r"|\bhold on (?:him|her|them)\b"
            r"|not (?:to )?release (?:him|her|them) without"
            r"|(?:turned|handed) over to (?:ICE|federal|immigration)"
            r"|(?:hand|turn) (?:him|her|them) over|notif(?:y|ied) (?:ICE|immigration|federal)"
            r"[^.;]{0,40}\brelease"
        ),
    ),
    (
        "enforcement_action",
        "removal-order",
        _rx(
            r"order(?:ed)? (?:of )?(?:removal|removed|deported|deportation)|removal order"
            r"|ordered (?:him|her|them) (?:removed|deported)"
            r"|deportation order|final order"
        ),
    ),
    (
        "enforcement_action",
        "removed",
        _rx(
            r"\bdeport(?:ed|ation|ations)\b|\bremoved (?:from|to)\b|prior removals?"
            r"|\b(?:was|been|were|being) removed\b"
            # not the agency's name, "Enforcement and Removal Operations"
            r"|\bremovals?\b(?! operations| and removal)"
            r"|sent back to|returned to (?:his|her|their) (?:home )?country"
        ),
    ),
    (
        "enforcement_action",
        "proceedings",
        _rx(
            r"removal proceedings|deportation proceedings|notice to appear|immigration court"
            r"|immigration judge|(?:deportation|removal|immigration) (?:hearing|case)"
            r"|papers to appear"
        ),
    ),
    (
        "enforcement_action",
        "in-absentia",
        _rx(
            r"in absentia|without (?:him|her|them) (?:being )?(?:present|there)"
            r"|(?:did not|didn't|failed to) (?:show up|appear)|no-show"
            r"|(?:failed|did not show up|didn't show up) (?:to appear|for (?:a|his|her"
            r"|the) hearing)"
            r"|missed (?:a|his|her|the|an) (?:\d{4} )?(?:court )?hearing"
        ),
    ),
    (
        "enforcement_action",
        "country-refused",
        _rx(
            r"(?:would not|wouldn't|refused to|refuses to|will not|won't|declined to|did not)"
            r" (?:accept|take (?:him|her|them) back|issue (?:travel|a travel)|repatriate)"
            r"|recalcitrant country"
        ),
    ),
    (
        "enforcement_action",
        "investigation",
        _rx(
            r"\b(?:HSI|Homeland Security Investigations|FBI|NCIS|federal agents?)\b[^.;]{0,60}"
            r"\binvestigat|\binvestigat\w*[^.;]{0,40}\b(?:HSI|FBI|NCIS|federal agents?)\b"
            r"|working the case|joint investigation"
        ),
    ),
    (
        "enforcement_action",
        "release",
        # custody, not a "press release" or a "released statement"
        _rx(
            r"\breleased (?:from|on|him|her|them|after|in|to)\b|\b(?:his|her|their) release\b"
            r"|\brelease from\b|\bon bond\b|\bbond hearing|\blet (?:him |her |them )?go\b"
            r"|\bfreed\b|\bwas released\b"
        ),
    ),
    (
        "enforcement_action",
        "voluntary-departure",
        _rx(
            r"voluntary departure|voluntarily (?:depart|leave|left|return)"
            r"|(?:leave|depart)\b[^.;]{0,40}\bvoluntarily"
        ),
    ),
    (
        "enforcement_action",
        "supervision",
        _rx(
            r"order of supervision|supervised release"
            r"|ankle monitor|alternatives to detention"
            r"|check[- ]?in[^.;]{0,30}\b(?:immigration|ICE|deportation) (?:officers?|officials?)"
            r"|check(?:s|ed|ing)?[- ]in (?:with|at) (?:ICE|immigration|federal immigration)"
            r"|report(?:ing)? (?:regularly |periodically )?to (?:ICE|immigration)"
        ),
    ),
    (
        "enforcement_action",
        "ice-arrest",
        _rx(
            r"\b(?:ICE|immigration (?:officers|agents|authorities|officials)|federal immigration)"
            r"\b[^.;]{0,30}\b(?:arrested|took[^.;]{0,10}custody|apprehended|detained"
            r"|picked\b[^.;]{0,20}\bup\b)"
            r"|(?:taken|took) into (?:ICE|immigration|federal immigration) custody"
            r"|(?:taken|took) into custody by (?:ICE|federal immigration|immigration)"
            r"|(?:arrested|apprehended) by (?:ICE|immigration)"
        ),
    ),
    # identity
    (
        "identity",
        "gang",
        _rx(
            r"\bgangs?\b|\bMS-?13\b|\bcartel\b|\b18th Street\b|Sure[ñn]os|Norte[ñn]os"
            r"|\bBarrio Azteca\b|\bLatin Kings\b|\bTren de Aragua\b|\bclique\b"
        ),
    ),
    (
        "identity",
        "us-military-work",
        _rx(
            r"(?:interpreter|translator|translat\w+|worked|served)\b[^.;]{0,30}\b(?:for|with) "
            r"(?:the )?(?:U\.\s?S\.|US|American|coalition) (?:forces|troops|military|army|soldiers)"
        ),
    ),
    (
        "identity",
        "alias",
        _rx(
            r"additional names?|also identif(?:y|ies|ied) (?:him|her|them) as|goes by|went by"
            r"|list(?:s|ed)? (?:him|her|them) (?:as|under)|known to (?:police|authorities) as|"
            r"\balias(?:es)?\b|also known as|\ba\.?k\.?a\.?\b"
            r"|other names?|used the names?|(?:second|another|different|false) name"
            r"|under (?:the )?names?\b"
        ),
    ),
]

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")]
    )
    for m in names
}  # fmt: skip
_SEASONS = {
    "spring": (3, 4, 5),
    "summer": (6, 7, 8),
    "fall": (9, 10, 11),
    "autumn": (9, 10, 11),
    "winter": (12, 1, 2),
}
_MONTH_SEASON = {m: s for s, ms in _SEASONS.items() if s != "autumn" for m in ms}

_NUM_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\b")
_ISO_DATE = re.compile(r"\b((?:19|20)\d{2})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(
    r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?"
    r"|dec(?:ember)?)\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?,?)?"
    r"\s+((?:19|20)\d{2})\b",
    re.IGNORECASE,
)
_MONTH_NAMES = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Mar\.|Apr\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
# A month without a year after it ("last March", "in March", "on Dec. 15"): capitalized, and
# after a cue word, so the modal "may" and "March" the verb stay out.
_REL_MONTH = re.compile(
    r"\b(?i:last|this|in|since|early|late|mid-?|by|until|on|through)\s+"
    + _MONTH_NAMES
    + r"(?!\s*\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2})(?!,?\s*(?:19|20)\d{2})"
    + r"(?:\s+\d{1,2}(?:st|nd|rd|th)?(?!\d))?"
)
_REL_YEAR = re.compile(r"\b(last|this|next) year\b", re.IGNORECASE)
_REL_SEASON = re.compile(r"\b(last|this) (spring|summer|fall|autumn|winter)\b", re.IGNORECASE)
_YEARS_AGO = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a) years? ago\b", re.IGNORECASE
)
_SEASONS_AGO = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a) "
    r"(spring|summer|fall|autumn|winter)s? ago\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\d/-])((?:19[5-9]|20[0-3])\d)(?![\d/-])")
_SEASON_YEAR = re.compile(
    r"\b(spring|summer|fall|autumn|winter)\s+(?:of\s+)?((?:19|20)\d{2})\b", re.IGNORECASE
)
_AGE = re.compile(
    r"\b(\d{1,2})-year-old\b|\b(?:age|aged)\s+(\d{1,2})\b|,\s(\d{1,2}),\s", re.IGNORECASE
)
_ANUMBER = re.compile(r"\bA[- ]?(\d{3})[- ]?(\d{3})[- ]?(\d{3})\b")
# an A-number partly redacted: "A(b)(6)123", "A-XXX-XXX-123": its visible digits still identify
_ANUMBER_PART = re.compile(r"\bA[- ]?(?:\(b\)\(\d\)|[X*#]{3}[- ]?[X*#]{3})[- ]?(\d{3,4})\b", re.I)
_COUNT_WORDS = {
    "one": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "once": 1,
    "twice": 2,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_REMOVAL_COUNT = re.compile(
    r"\b(?:deported|removed|sent back|returned|kicked out)\b[^.;]{0,40}?"
    r"\b(?:(once|twice)\b|(two|three|four|five|six|seven|eight|nine|ten|\d{1,2})"
    r"\s+(?:prior\s+|previous\s+|separate\s+|different\s+)?(?:times|occasions)\b)"
    r"|\b(two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:prior\s+|previous\s+|times?\s+)?"
    r"(?:removals|deportations)\b"
    r"|\b(?:deported|removed|sent back)\b[^.;]{0,30}?\b(?:for )?(?:the|a) "
    r"(second|third|fourth|fifth) time\b",
    re.IGNORECASE,
)
_CITIZEN_CTX = re.compile(r"citizen|national(?:ity)?\b|native|born in|from|passport", re.I)
_COUNTRY_RX = re.compile(
    r"\b(" + "|".join(sorted((re.escape(c) for c in COUNTRIES), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_DEMONYM_RX = re.compile(
    r"\b("
    + "|".join(sorted((re.escape(d.title()) for d in DEMONYMS), key=len, reverse=True))
    + r")\b"
)  # capitalized only: "Polish" is a nationality, "polish" is not
# Capitalized words, accents and inner capitals included: José, McDonald, O'Brien,
# Campos-Mejía (a possessive 's is not part of the name).
_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_NAME = re.compile(
    rf"(?<![\w'’])((?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?"
    rf"(?:-[{_UP}]?[{_LO}]+(?:[{_UP}][{_LO}]+)?)*)(?:['’]s)?(?!\w)"
)
_NOT_NAMES = {
    "the", "a", "an", "he", "she", "it", "they", "his", "her", "their", "this", "that", "these",
    "those", "we", "i", "you", "our", "on", "in", "at", "as", "by", "for", "from", "of", "to",
    "and", "but", "or", "if", "when", "while", "after", "before", "since", "thanks", "thank",
    "hi", "hello", "dear", "please", "yes", "no", "also", "according", "authorities", "officials",
    "police", "federal", "state", "county", "city", "department", "office", "court", "judge",
    "sheriff", "immigration", "customs", "enforcement", "homeland", "security", "agency",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mr", "mrs",
    "ms", "dr", "lt", "sgt", "det", "officer", "deputy", "spokesman", "spokeswoman", "reporter",
    "news", "united", "states", "border", "patrol", "attorney", "district", "jail", "prison",
    "is", "was", "has", "had", "there", "here", "what", "who", "how", "why", "any", "can",
    "could", "would", "will", "not", "all", "one", "two", "street", "road", "avenue", "high",
    "school", "university", "center", "north", "south", "east", "west", "update", "related",
    "read", "more", "see", "ice", "dhs", "ero", "uscis", "cbp", "removal", "operations",
    "public", "affairs", "press", "media", "relations", "communications", "spokesperson",
    "inquiry", "inquiries", "newsroom", "release", "statement", "team", "desk", "editor",
}  # fmt: skip


# every word of a country's name ("El", "Salvador", "Republic"): a place, not a person
_PLACE_WORDS = {w for c in COUNTRIES for w in re.split(r"[^a-z]+", c.lower()) if w}


# Findings of absence: "ICE has not lodged a detainer", "he is not a refugee", "no arrests".
_NEGATABLE = {
    "detainer", "removal-order", "removed", "arrest", "conviction", "charge", "refugee",
    "asylum", "lpr", "gang", "alias", "ice-arrest", "proceedings", "release", "daca", "tps",
}  # fmt: skip
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|without|none)\b|n't\b|\bno longer\b", re.IGNORECASE
)
_CLAUSE_END = re.compile(r"[.;:!?]|\b(?:but|although|though|however|while|after|because)\b", re.I)


def _negated(text: str, start: int) -> bool:
    """A negation in the same clause, at most a few words before the match."""
    before = text[max(0, start - 45) : start]
    tail = _CLAUSE_END.split(before)[-1]
    return bool(_NEGATION.search(tail))


# "removed to Mexico in 2006, 2010 and 2016": three removals
_DATE_TOKEN = (
    r"(?:\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|[A-Z][a-z]{2,8}\.? (?:\d{1,2}, )?(?:19|20)\d\d"
    r"|(?:19|20)\d\d)"
)
_REMOVAL_YEARS = re.compile(
    r"\b(?:deported|removed|sent back|returned)\b[^.;]{0,60}?\b(?:in|on)\s+"
    rf"({_DATE_TOKEN}(?:(?:,\s*(?:and\s+)?(?:again\s+)?(?:in\s+|on\s+)?"
    rf"|,?\s+and\s+(?:again\s+)?(?:in\s+|on\s+)?){_DATE_TOKEN})+)",
)


# Crime words are criminal *history* only when the sentence places them in the past.
_CRIME_KINDS = {
    "arrest", "charge", "dui", "assault", "domestic-violence", "drugs", "theft", "homicide",
    "sex-offense", "weapons", "conviction",
}  # fmt: skip
_PRIOR = re.compile(
    r"\b(?:prior|previous(?:ly)?|earlier|past|history|record|former(?:ly)?|had been|was once"
    r"|years? ago|served|before (?:this|the|his|her|that)|since)\b",
    re.IGNORECASE,
)


def _is_history(text: str, dates: list[Detail], ref: datetime | None) -> bool:
    """A cue of the past ("prior", "had been", "served") or a date two months or more
    before the text was written."""
    if _PRIOR.search(text):
        return True
    if ref is None:
        return False
    now = ref.year * 12 + ref.month
    for d in dates:
        kind, _, value = d.key.partition(":")
        if kind == "date":
            y, m = value.split("-")
            if now - (int(y) * 12 + int(m)) >= 2:
                return True
        elif kind == "year" and int(value) < ref.year:
            return True
    return False


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


def _date_keys(text: str, ref: datetime | None = None) -> list[Detail]:
    """Month, season and year keys; with ``ref`` (when the text was written: an article's
    publication, an email's sending) relative dates too: "last March" in an article of
    June 2016 is March 2016, "six years ago" in 2019 is 2013."""
    out: list[Detail] = []

    def month(y: int, m: int, src: str) -> None:
        if 1 <= m <= 12:
            out.append(Detail("date", f"date:{y:04d}-{m:02d}", src))
            winter_of = y - 1 if m <= 2 else y  # winter is named by the year of its December
            out.append(Detail("date", f"season:{winter_of:04d}-{_MONTH_SEASON[m]}", src))
            out.append(Detail("date", f"year:{y:04d}", src))

    for m in _NUM_DATE.finditer(text):
        month(_year(m.group(3)), int(m.group(1)), m.group(0))
    for m in _ISO_DATE.finditer(text):
        month(int(m.group(1)), int(m.group(2)), m.group(0))
    for m in _MONTH_YEAR.finditer(text):
        month(int(m.group(2)), _MONTHS[m.group(1).lower().rstrip(".")], m.group(0))
    for m in _YEAR.finditer(text):
        out.append(Detail("date", f"year:{m.group(1)}", m.group(0)))
    if ref is not None:
        out.extend(_relative_dates(text, ref, month))
    for m in _SEASON_YEAR.finditer(text):
        season = "fall" if m.group(1).lower() == "autumn" else m.group(1).lower()
        out.append(Detail("date", f"season:{int(m.group(2)):04d}-{season}", m.group(0)))
    return out


_REFUSAL = _rx(
    r"\b(?:not able|unable|cannot|can't|can not|won't|will not|would not|does not|do not|did not"
    r"|declined?|declines|refused?|refuses)\b(?:\s+\w+){0,2}?\s+(?:to\s+)?"
    r"(?:comment|discuss|confirm|say|provide|release|disclose|share|answer|speak)"
)


def is_refusal(text: str) -> bool:
    """ "ICE declined to say whether...", "we are not able to comment on...": a sentence that
    withholds carries no disclosed detail, whatever words it shares."""
    return bool(_REFUSAL.search(text))


def _relative_dates(
    text: str, ref: datetime, month: Callable[[int, int, str], None]
) -> list[Detail]:
    out: list[Detail] = []
    for m in _REL_MONTH.finditer(text):
        mon = _MONTHS[m.group(1).lower().rstrip(".")]
        # news reports the past: the latest such month not after the reference date
        year = ref.year if mon <= ref.month else ref.year - 1
        if m.group(0).lower().startswith("last") and mon == ref.month:
            year -= 1
        month(year, mon, m.group(0))
    for m in _REL_YEAR.finditer(text):
        delta = {"last": -1, "this": 0, "next": 1}[m.group(1).lower()]
        out.append(Detail("date", f"year:{ref.year + delta}", m.group(0)))
    for m in _REL_SEASON.finditer(text):
        season = "fall" if m.group(2).lower() == "autumn" else m.group(2).lower()
        months = _SEASONS[season]
        # the season's most recent start (winter is named by the year of its December)
        recent = ref.year if ref.month >= months[0] else ref.year - 1
        if m.group(1).lower() == "last":
            year = recent - 1 if ref.month in months else recent
        else:
            year = ref.year - 1 if season == "winter" and ref.month <= 2 else ref.year
        out.append(Detail("date", f"season:{year:04d}-{season}", m.group(0)))
    for m in _SEASONS_AGO.finditer(text):
        word = m.group(1).lower()
        n = 1 if word == "a" else _COUNT_WORDS.get(word) or int(word)
        season = "fall" if m.group(2).lower() == "autumn" else m.group(2).lower()
        months = _SEASONS[season]
        recent = ref.year if ref.month >= months[0] else ref.year - 1  # its latest start
        out.append(Detail("date", f"season:{recent - n:04d}-{season}",
                          m.group(0)))  # fmt: skip
    for m in _YEARS_AGO.finditer(text):
        word = m.group(1).lower()
        n = 1 if word == "a" else _COUNT_WORDS.get(word) or int(word)
        out.append(Detail("date", f"year:{ref.year - n}", m.group(0)))
    return out


def extract(text: str, ref: datetime | None = None) -> list[Detail]:
    """All details of one sentence; duplicates by key removed, first occurrence kept.

    ``ref``: when the text was written, to resolve relative dates ("last March")."""
    found: list[Detail] = []
    spans: list[tuple[int, int]] = []  # words a typed rule read are no one's name
    for dtype, key, rx in _RULES:
        m = rx.search(text)
        if m:
            spans.append(m.span())
            if key in _NEGATABLE and _negated(text, m.start()):
                key += "-none"  # "has not lodged a detainer" is a finding of its own
            found.append(Detail(dtype, f"{dtype}:{key}", m.group(0)))
    for m in _REMOVAL_YEARS.finditer(text):
        n = len(set(re.findall(_DATE_TOKEN, m.group(1))))
        if n > 1:
            found.append(
                Detail("enforcement_action", f"enforcement_action:removed-x{n}", m.group(0))
            )
    for m in _DEMONYM_RX.finditer(text):
        country = DEMONYMS[m.group(1).lower()]
        if country != "united states":
            found.append(Detail("citizenship", f"citizenship:{country}", m.group(0)))
    for m in _COUNTRY_RX.finditer(text):
        window = text[max(0, m.start() - 40) : m.end() + 25]
        country = COUNTRIES[m.group(1).lower()]
        if country == "united states" and "citizen" not in window.lower():
            continue  # "came to the United States from X" says nothing of US citizenship
        if _CITIZEN_CTX.search(window):
            found.append(Detail("citizenship", f"citizenship:{country}", m.group(0)))
    for m in _AGE.finditer(text):
        age = next(g for g in m.groups() if g)
        found.append(Detail("identity", f"identity:age-{int(age)}", m.group(0)))
    for m in _ANUMBER.finditer(text):
        found.append(Detail("identity", "identity:a-" + "".join(m.groups()), m.group(0)))
        found.append(Detail("identity", "identity:a-end-" + m.group(3), m.group(0)))
    for m in _ANUMBER_PART.finditer(text):
        found.append(Detail("identity", "identity:a-end-" + m.group(1)[-3:], m.group(0)))
    for m in _REMOVAL_COUNT.finditer(text):
        word = next(g for g in m.groups() if g).lower()
        n = _COUNT_WORDS.get(word) or (int(word) if word.isdigit() else 0)
        if 0 < n < 30:
            found.append(
                Detail("enforcement_action", f"enforcement_action:removed-x{n}", m.group(0))
            )
    dates = _date_keys(text, ref)
    found.extend(dates)
    if not _is_history(text, dates, ref):
        # "Police arrested him Thursday": the crime of the story, not his criminal history
        found = [
            Detail("crime", "crime:" + d.key.split(":", 1)[1], d.text)
            if d.key.split(":", 1)[1] in _CRIME_KINDS
            else d
            for d in found
        ]
    for i, m in enumerate(_NAME.finditer(text)):
        word = m.group(1)
        low = word.lower()
        if low in _NOT_NAMES or low in _MONTHS or low in _PLACE_WORDS or low in DEMONYMS:
            continue
        if m.start() == 0 and i == 0:
            continue  # sentence-initial capital says nothing
        if any(a <= m.start() < b for a, b in spans):
            continue  # "Temporary Protected Status", "Border Patrol": vocabulary, not names
        found.append(Detail("name", f"name:{low}", word))
    unique: dict[str, Detail] = {}
    for d in found:
        unique.setdefault(d.key, d)
    return list(unique.values())
