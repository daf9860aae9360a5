"""The body-derived fields every reader fills the same way (own text, quotes, redactions).

Keeping this in one place is what makes an EML and its PDF printout agree.
"""

from __future__ import annotations

from foia import limits
from foia.models import Message, Redaction
from foia.redactions import find_redactions
from foia.threads import split_message


def finish_message(msg: Message) -> Message:
    """Fill own_text, quoted, signature, disclaimer and redactions from ``msg.body``.

    Redactions in the body carry body offsets; those in the subject are listed first with
    ``start == end == -1`` (the subject has no place in ``body``). A body over
    ``FOIATRACE_MAX_BODY_KB`` is cut to it (noted, see :func:`foia.limits.note`): the splitter
    and the matcher are bounded by it, and no real message comes near it.
    """
    cap = int(limits.get("body") * 1024)
    if len(msg.body) > cap:
        who = msg.bates or msg.message_id or msg.subject[:80] or "a message"
        limits.note(limits.over("body", len(msg.body) / 1024, what=f"of {who}") + "; body cut")
        msg.body = msg.body[:cap]
    own, quoted, signature, disclaimer = split_message(msg.body)
    msg.own_text = own
    msg.quoted = quoted
    msg.signature = signature
    msg.disclaimer = disclaimer
    subject_marks = [Redaction(r.code, -1, -1) for r in find_redactions(msg.subject)]
    msg.redactions = subject_marks + find_redactions(msg.body)
    return msg
