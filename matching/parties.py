"""Who is who on a thread: the agency's people, outside people (reporters), outlets.

A production is one agency's mail, so the agency's domains are the ones its messages come
from most; a message from anyone else (a reporter's question, a lawyer's letter) cannot be
the agency disclosing anything. Which message *gave* a detail to an outlet is the one sent to
that outlet's domain, not the internal draft that preceded it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

AGENCY_SHARE = 0.5  # on more than this share of the top domain's messages: agency too


def address_domain(addr: str | None) -> str | None:
    """Host part of an address, lower-case; None for a bare display name."""
    if not addr or "@" not in addr:
        return None
    return addr.rsplit("@", 1)[1].strip().strip(">").lower() or None


def registered_domain(host: str) -> str:
    """Last two labels (``ice.dhs.gov`` -> ``dhs.gov``): mailboxes of one organization meet."""
    parts = host.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 else host


def same_site(host: str | None, domain: str) -> bool:
    """``host`` is ``domain`` or a subdomain of it (or vice versa)."""
    if not host or not domain:
        return False
    return host == domain or host.endswith("." + domain) or domain.endswith("." + host)


def agency_domains(
    messages: Iterable[tuple[str | None, Iterable[str]]], outlet_domains: Iterable[str] = ()
) -> set[str]:
    """Registered domains of the agency whose production this is.

    Its mailboxes are on (nearly) every message, as sender or recipient, while a reporter's
    domain is only on that reporter's threads: the domain on most messages is the agency, and
    so is any non-outlet domain on more than half as many (other components of it). The top
    domain counts even when the agency also publishes releases there.
    """
    outlets = {registered_domain(d) for d in outlet_domains if d}
    counts: Counter[str] = Counter()
    for sender, recipients in messages:
        hosts = {address_domain(a) for a in [sender, *recipients]}
        counts.update({registered_domain(h) for h in hosts if h})
    if not counts:
        return set()
    top_domain, top = counts.most_common(1)[0]
    return {top_domain} | {
        d for d, n in counts.items() if n > AGENCY_SHARE * top and d not in outlets
    }


def sender_role(sender: str | None, agency: set[str], outlet_domains: Iterable[str]) -> str:
    """'agency', 'external' (can't disclose the agency's information) or 'unknown'."""
    host = address_domain(sender)
    if host is None:
        return "unknown"  # printed name without an address: give it the benefit of the doubt
    if registered_domain(host) in agency:
        return "agency"
    if any(same_site(host, d) for d in outlet_domains):
        return "external"
    return "external" if agency else "unknown"


def recipient_class(recipients: Iterable[str], agency: set[str], article_domain: str) -> str:
    """'outlet' (sent to the article's outlet), 'external' (to someone outside the agency)
    or 'internal' (agency mailboxes only)."""
    hosts = [h for h in (address_domain(r) for r in recipients) if h]
    if any(same_site(h, article_domain) for h in hosts):
        return "outlet"
    if any(registered_domain(h) not in agency for h in hosts) or not hosts:
        return "external"
    return "internal"
