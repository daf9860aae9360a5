"""The score's features in words, so a reader can check why a row was reported.

Built from the stored ``features`` JSON (``matching/score.py`` PAIR_FEATURES): the same
features always give the same sentence. ``FEATURE_WORDS`` is the glossary printed on the
metadata sheet; tests check it names every feature the model uses.
"""

from __future__ import annotations

from typing import Any

FEATURE_WORDS = {
    "n_details": "distinct concrete details the email and the article share",
    "detail_idf": "how rare those details are in the article corpus (summed)",
    "best_cosine": "meaning similarity (cosine) of the best detail-sharing sentence pair",
    "max_cosine": "best meaning similarity of any sentence pair weighed",
    "support_idf": "rarity of dates and names shared inside those sentence pairs",
    "anchor_idf": "rare names or ages shared by the thread and the article: the same person",
    "name_conflict": "both name rare people, none in common: likely a different person",
    "age_conflict": "both give ages more than a year apart: likely another person",
    "to_outlet": "the email was sent to the article's outlet",
    "to_internal": "the email stayed inside the agency",
    "thread_link": "someone on the email's thread writes from the outlet's domain",
    "public_before": "share of the details already printed about the person before the email",
    "new_details": "shared details not printed about the person before the email",
    "lag_days": "days from the email to the article (or its update)",
    "sent_max": "the sentence model's best probability that an email sentence was printed",
    "sent_sum": "the sum of its three best (distinct article sentences)",
    "n_sent": "article sentences the sentence model finds printed from the email",
    "typed_p": "the sentence model's best probability among pairs sharing a typed detail",
    "superseded": "an internal email whose details went out later to the outlet (score cut)",
}


def _n(f: dict[str, Any], name: str) -> float:
    try:
        return float(f.get(name) or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def explain(features: dict[str, Any] | None, lag_hours: float | None = None) -> str:
    """``sent to the outlet's reporter; 2 shared details not public before; published 26 h
    later; ...`` from a disclosure's stored features (empty when none were stored)."""
    f = features or {}
    if not f:
        return ""
    parts = []
    if _n(f, "to_outlet"):
        parts.append("sent to the outlet's reporter")
    elif _n(f, "to_internal"):
        parts.append("internal agency email, not sent to the outlet")
    elif _n(f, "thread_link"):
        parts.append("on a thread with the outlet's reporter")
    else:
        parts.append("sent outside the agency, not to the outlet")
    n, new = int(round(_n(f, "n_details"))), int(round(_n(f, "new_details")))
    if n and new == n:
        parts.append(f"{_plural(n, 'shared detail')} not public before")
    elif n:
        parts.append(f"{_plural(n, 'shared detail')}, {new} not public before")
    if _n(f, "anchor_idf") > 0:
        parts.append("same person: rare names or ages shared")
    if _n(f, "name_conflict"):
        parts.append("names a different person")
    if _n(f, "age_conflict"):
        parts.append("ages differ")
    if "best_cosine" in f:
        parts.append(f"closest sentences' similarity {_n(f, 'best_cosine'):.2f}")
    if "sent_max" in f:
        n_sent = int(round(_n(f, "n_sent")))
        parts.append(
            f"sentence model {_n(f, 'sent_max'):.2f} that the email's words were printed"
            + (f" ({_plural(n_sent, 'article sentence')})" if n_sent else "")
        )
    lag = (
        lag_hours
        if lag_hours is not None
        else (_n(f, "lag_days") * 24 if "lag_days" in f else None)
    )
    if lag is not None:
        parts.append(
            f"published {lag:.0f} h later" if lag >= 0 else f"published {-lag:.0f} h before"
        )
    if _n(f, "superseded"):
        parts.append("a later email to the outlet carried the same details (score cut)")
    return "; ".join(parts)
