"""Why a label pair was missed and why a pair was reported: error analysis without a debugger.

For every missed label pair, the first rule that stopped it (message not in the production,
article not crawled, out of time order, a reporter's own message, no typed detail in common,
every shared detail already public, superseded by the message that reached the outlet) or, when
the pair model decided, its features and what each contributed. For every false report (and
every reported look-alike), the same features and the evidence rows behind it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from matching.score import PAIR_FEATURES, ScoreModel


def contributions(model: ScoreModel, features: dict[str, float]) -> dict[str, float]:
    """Each feature's share of the logit: weight x standardized value."""
    out = {}
    for name in PAIR_FEATURES:
        w = model.weights.get(name, 0.0)
        x = features.get(name, 0.0)
        out[name] = round(w * (x - model.mean.get(name, 0.0)) / (model.scale.get(name) or 1.0), 3)
    return out


def _why_not_weighed(run: Any, bates: str, path: str) -> str:
    from matching.match import DEFAULT_WINDOW, effective_time
    from matching.parties import sender_role

    emails = [e for e in run.emails if run.bates.get(e.key) == bates]
    if not emails:
        return "no such message with text in the production (withheld, or not read)"
    arts = [a for a in run.articles if urlsplit(a.url).path == path]
    if not arts:
        return "article not crawled"
    e, a = emails[0], arts[0]
    t = effective_time(e.first, a)
    if t is None:
        return (
            f"out of time order: article published {a.published_at}, modified "
            f"{a.modified_at}, email sent {e.sent_at}"
        )
    if t - e.first > DEFAULT_WINDOW:
        return f"outside the {DEFAULT_WINDOW.days}-day window (lag {t - e.first})"
    outlets = {x.domain for x in run.articles}
    if sender_role(e.sender, run.agency, outlets) == "external":
        return f"sender {e.sender} is outside the agency (a reporter's own text)"
    return "no typed detail in common (nothing the details rules read is on both sides)"


def _pair_record(run: Any, p: Any, model: ScoreModel, threshold: float) -> dict[str, Any]:
    f = p.features
    if f.get("new_details", 0.0) <= 0:
        decided = "rule: every shared detail was printed about the person before the email"
    elif f.get("superseded"):
        decided = "rule: superseded by an outbound message to the outlet with the same details"
    else:
        decided = f"pair model: score {p.score:.3f} vs threshold {threshold:g}"
    return {
        "bates": run.bates.get(p.msg_key),
        "article": urlsplit(p.article_url).path,
        "score": round(p.score, 4),
        "decided_by": decided,
        "features": {k: round(v, 3) for k, v in f.items()},
        "contributions": contributions(model, f),
        "public_before": sorted(p.public_keys),
        "rows": [
            {
                "detail": r.detail_key,
                "email": r.email_quote,
                "article": r.article_quote,
                "cosine": round(r.cosine, 3),
            }
            for r in p.rows
        ],
        "best_sentence_pairs": [
            {"p": round(sp.p, 3), "email": sp.email_text, "article": sp.article_text}
            for sp in sorted(p.sentence_pairs, key=lambda s: -s.p)[:3]
        ],
    }


def explain(run: Any, model: ScoreModel, threshold: float) -> dict[str, list[dict[str, Any]]]:
    """Missed label pairs and false reports of ``run`` scored by ``model`` (already applied:
    see ``foiatrace.evals.calibrate.predict_rows``)."""
    from foiatrace.evals.scenario import _norm

    pairs = {run.key(p): p for p in run.result.pairs}
    reported = {k for k, p in pairs.items() if p.score >= threshold and p.rows}
    bodies = {b: _norm(t) for b, t in run.bodies.items()}

    def lenient_hit(label: tuple[str, str]) -> bool:
        quotes = [q["email_quote"] for q in run.quotes if (q["bates"], q["article"]) == label]
        return any(
            k[1] == label[1] and (k[0] == label[0] or any(_norm(q) in bodies.get(k[0], "")
                                                          for q in quotes))
            for k in reported
        )  # fmt: skip

    hard = {}
    from foiatrace.evals.scenario import read_jsonl

    for h in read_jsonl(run.scenario / "hard_negatives.jsonl"):
        hard[(h["bates"], h["article"])] = h["reason"]
    missed = []
    for label in sorted(run.labels):
        if label in reported:
            continue
        rec: dict[str, Any]
        if label in pairs:
            rec = _pair_record(run, pairs[label], model, threshold)
        else:
            rec = {
                "bates": label[0],
                "article": label[1],
                "decided_by": "rule: " + _why_not_weighed(run, *label),
            }
        rec["lenient_hit"] = lenient_hit(label)
        rec["label_quotes"] = [
            {"email": q["email_quote"], "article": q["article_quote"], "type": q["detail_type"]}
            for q in run.quotes
            if (q["bates"], q["article"]) == label
        ]
        missed.append(rec)
    false = []
    for key in sorted(reported - run.labels):
        rec = _pair_record(run, pairs[key], model, threshold)
        rec["hard_negative"] = hard.get(key, "")
        rec["lenient_hit"] = any(
            key[1] == lab[1] and lenient_hit(lab) for lab in run.labels if lab[1] == key[1]
        )
        false.append(rec)
    details = []
    from foiatrace.evals.scenario import _WORDS, _covers

    for q in run.quotes:
        label = (q["bates"], q["article"])
        hits = [pairs[k] for k in reported if k[1] == label[1]]
        if not hits:
            continue
        want = {w.lower() for w in _WORDS.findall(q["article_quote"])}
        if not any(_covers(r.article_quote, want) for p in hits for r in p.rows):
            details.append(
                {"bates": label[0], "article": label[1], "type": q["detail_type"],
                 "email": q["email_quote"], "article_quote": q["article_quote"]}
            )  # fmt: skip
    return {"missed": missed, "false_reports": false, "details_missed": details}


def print_explanation(out: Any, title: str, report: dict[str, list[dict[str, Any]]]) -> None:
    """Plain, greppable text: one block per pair."""
    out.print(f"== {title}: {len(report['missed'])} label pairs missed (strict), "
              f"{len(report['false_reports'])} pairs reported without a label",
              markup=False)  # fmt: skip
    for kind in ("missed", "false_reports"):
        for r in report[kind]:
            tag = "MISSED" if kind == "missed" else "FALSE REPORT"
            extra = ""
            if r.get("hard_negative"):
                extra = f" [look-alike: {r['hard_negative']}]"
            if r.get("lenient_hit"):
                extra += " [a quoted copy was reported: lenient hit]"
            out.print(f"\n{tag} {r['bates']} -> {r['article']}{extra}", markup=False)
            out.print(f"  decided by: {r['decided_by']}", markup=False)
            if "features" in r:
                feats = ", ".join(f"{k}={v:g}" for k, v in r["features"].items())
                out.print(f"  features: {feats}", markup=False)
                top = sorted(r["contributions"].items(), key=lambda kv: -abs(kv[1]))[:6]
                out.print(
                    "  largest contributions: " + ", ".join(f"{k} {v:+.2f}" for k, v in top),
                    markup=False,
                )
                if r["public_before"]:
                    out.print(f"  printed before: {', '.join(r['public_before'])}", markup=False)
                for row in r["rows"][:6]:
                    out.print(
                        f"  row {row['detail']} (cos {row['cosine']}): "
                        f"{row['email']!r} ~ {row['article']!r}",
                        markup=False,
                    )
            for q in r.get("label_quotes", []):
                out.print(f"  label {q['type']}: {q['email']!r} ~ {q['article']!r}", markup=False)
    for d in report.get("details_missed", []):
        out.print(
            f"\nDETAIL MISSED in a reported pair {d['bates']} -> {d['article']} "
            f"({d['type']}): {d['email']!r} ~ {d['article_quote']!r}",
            markup=False,
        )
