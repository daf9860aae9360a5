"""Quote styles, signatures and disclaimers on small fictional bodies."""

from __future__ import annotations

from foia.threads import is_disclaimer, split_message

GMAIL_NESTED = """\
Got it, thanks. Running it tomorrow.

On Tue, Mar 5, 2019 at 4:12 PM Pat Example <pat@agency.example> wrote:

> He is a citizen of Freedonia and overstayed a visitor visa.
>
> On Tue, Mar 5, 2019 at 9:01 AM Robin Writer <robin@paper.example> wrote:
>
> > What is his immigration status?
> >
"""

APPLE = """\
Can I quote a spokesman?

Sent from my iPhone

On Mar 5, 2019, at 4:12 PM, Pat Example <pat@agency.example> wrote:

> ICE lodged a detainer on 3/4/2019.
"""

GMAIL_OLD_COMMA = """\
Thanks!

On Wed, Oct 3, 2018 at 5:58 PM, Pat Example <pat@agency.example> wrote:

> He was admitted as an LPR in 2004.
"""

OUTLOOK = """\
Sam -- see below; he was removed in 2011 and 2014.

Pat

________________________________
From: Lee Asker <lee@paper.example>
Sent: Monday, June 18, 2018 4:05 PM
To: Example, Pat <pat@agency.example>
Subject: RE: question

Any prior removals?

________________________________
From: Example, Pat <pat@agency.example>
Sent: Monday, June 18, 2018 1:00 PM
To: Lee Asker <lee@paper.example>
Subject: question

Checking on it.
"""

ORIGINAL_MESSAGE = """\
Can I attribute this to the department?

-----Original Message-----
From: Example, Pat [mailto:pat@agency.example]
Sent: Tuesday, April 2, 2019 1:22 PM
To: Lee Asker <lee@paper.example>
Subject: RE: visa

He entered on a B-2 visitor visa in July 2008.
"""

GMAIL_FORWARD = """\
FYI, see the inquiry below.

---------- Forwarded message ---------
From: Lee Asker <lee@paper.example>
Date: Mon, Jan 7, 2019 at 10:00 AM
Subject: detainer?
To: <press@agency.example>

Is there a detainer on (b)(6)?
"""

OUTLOOK_FW = """\
Pat -- can you pull his file? (b)(5)

________________________________
From: Lee Asker <lee@paper.example>
Sent: Monday, January 7, 2019 10:00 AM
To: Press Desk <press@agency.example>
Subject: detainer?

Is there a detainer?
"""

SIGNED = """\
Lee,

He is a citizen of Freedonia, (b)(6); (b)(7)(C) was arrested in 2017.

Thanks,
Pat

Pat Example
Deputy Press Secretary
Office: (b)(6) | Cell: (b)(6)

WARNING: This message is FOR OFFICIAL USE ONLY. It may contain information exempt \
from release under the Freedom of Information Act and must not be disseminated \
without prior approval.
"""


def test_gmail_nested_quotes_become_blocks_in_order() -> None:
    own, quoted, _sig, _disc = split_message(GMAIL_NESTED)
    assert own == "Got it, thanks. Running it tomorrow."
    assert [q.style for q in quoted] == ["gmail", "gmail"]
    assert quoted[0].text == "He is a citizen of Freedonia and overstayed a visitor visa."
    assert quoted[0].header_from == "pat@agency.example"
    assert quoted[0].header_sent == "Tue, Mar 5, 2019 at 4:12 PM"
    assert quoted[1].text == "What is his immigration status?"
    assert quoted[1].header_from == "robin@paper.example"
    assert GMAIL_NESTED[quoted[0].start :].startswith("On Tue, Mar 5")


def test_gmail_older_comma_variant() -> None:
    own, quoted, _, _ = split_message(GMAIL_OLD_COMMA)
    assert own == "Thanks!"
    assert quoted[0].style == "gmail"
    assert quoted[0].header_from == "pat@agency.example"
    assert quoted[0].text == "He was admitted as an LPR in 2004."


def test_apple_mail_quote_and_device_signature() -> None:
    own, quoted, sig, _ = split_message(APPLE)
    assert own == "Can I quote a spokesman?"
    assert sig == "Sent from my iPhone"
    assert quoted[0].style == "apple"
    assert quoted[0].header_sent == "Mar 5, 2019, at 4:12 PM"
    assert quoted[0].text == "ICE lodged a detainer on 3/4/2019."


def test_outlook_unprefixed_chain() -> None:
    own, quoted, sig, _ = split_message(OUTLOOK)
    assert own == "Sam -- see below; he was removed in 2011 and 2014."
    assert sig == "Pat"
    assert [q.style for q in quoted] == ["outlook", "outlook"]
    assert quoted[0].text == "Any prior removals?"
    assert quoted[0].header_from == "lee@paper.example"
    assert quoted[0].header_subject == "RE: question"
    assert quoted[1].text == "Checking on it."
    assert quoted[1].header_sent == "Monday, June 18, 2018 1:00 PM"


def test_original_message_with_mailto() -> None:
    own, quoted, _, _ = split_message(ORIGINAL_MESSAGE)
    assert own == "Can I attribute this to the department?"
    assert quoted[0].style == "original_message"
    assert quoted[0].header_from == "pat@agency.example"
    assert quoted[0].text == "He entered on a B-2 visitor visa in July 2008."


def test_gmail_forward_block() -> None:
    own, quoted, _, _ = split_message(GMAIL_FORWARD)
    assert own == "FYI, see the inquiry below."
    assert quoted[0].style == "forward"
    assert quoted[0].header_from == "lee@paper.example"
    assert quoted[0].header_subject == "detainer?"
    assert quoted[0].text == "Is there a detainer on (b)(6)?"


def test_outlook_forward_keeps_redaction_in_own_text() -> None:
    own, quoted, _, _ = split_message(OUTLOOK_FW)
    assert own == "Pat -- can you pull his file? (b)(5)"
    assert quoted[0].text == "Is there a detainer?"


def test_signature_and_disclaimer_are_separated() -> None:
    own, quoted, sig, disc = split_message(SIGNED)
    assert quoted == []
    assert own.endswith("arrested in 2017.\n\nThanks,")
    assert "(b)(6); (b)(7)(C)" in own
    assert sig.startswith("Pat\n\nPat Example")
    assert disc.startswith("WARNING:")


def test_bare_prefixed_block() -> None:
    own, quoted, _, _ = split_message("Agreed.\n\n> earlier words here\n> more words\n")
    assert own == "Agreed."
    assert quoted[0].style == "prefixed"
    assert quoted[0].text == "earlier words here\nmore words"


def test_text_after_quote_is_own_text() -> None:
    body = (
        "On Mon, Jan 7, 2019 at 10:00 AM Lee <lee@p.example> wrote:\n> question?\n\nAnswer below."
    )
    own, quoted, _, _ = split_message(body)
    assert own == "Answer below."
    assert quoted[0].text == "question?"


def test_disclaimer_detected_by_vocabulary_not_exact_string() -> None:
    assert is_disclaimer(
        "NOTICE: The information in this email is confidential and intended solely for the "
        "addressee. If you received this message in error please notify the sender."
    )
    assert is_disclaimer(
        "This e-mail, including any attachments, is for the sole use of the intended "
        "recipient and may contain privileged information; unauthorized use is prohibited."
    )
    assert not is_disclaimer(
        "ICE lodged a detainer with the county jail; he remains in custody pending trial."
    )


def test_short_message_is_not_eaten_as_signature() -> None:
    own, _, sig, _ = split_message("FYI\n")
    assert own == "FYI"
    assert sig == ""
    own, _, sig, _ = split_message("DHS is fine.\nTB\n")
    assert (own, sig) == ("DHS is fine.", "TB")


def test_apple_forward_with_prefixed_header() -> None:
    body = (
        "See below.\n\nBegin forwarded message:\n\n"
        "> From: Lee Asker <lee@paper.example>\n> Subject: detainer?\n"
        "> Date: March 5, 2019 at 4:12:00 PM EST\n> To: press@agency.example\n>\n"
        "> Is there a detainer?\n"
    )
    own, quoted, _, _ = split_message(body)
    assert own == "See below."
    assert (quoted[0].style, quoted[0].header_from) == ("forward", "lee@paper.example")
    assert quoted[0].text == "Is there a detainer?"
