"""Matching: segmentation, details that paraphrases share, time order, real embeddings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from matching.details import extract
from matching.embed import encode
from matching.match import ArticleDoc, EmailDoc, candidates, effective_time, match, reporter_link
from matching.segment import segment

T0 = datetime(2019, 3, 1, 15, 0, tzinfo=UTC)


def keys(text: str) -> set[str]:
    return {d.key for d in extract(text)}


def test_segment_keeps_abbreviations_inside_sentences() -> None:
    segs = segment("Lt. Ray Ortiz said the U.S. citizen left at 3 p.m. Friday. He is 41.\n\nOk?")
    assert [s.text for s in segs] == [
        "Lt. Ray Ortiz said the U.S. citizen left at 3 p.m. Friday.",
        "He is 41.",
    ]
    assert [s.para_idx for s in segs] == [0, 0]


@pytest.mark.parametrize(
    ("email", "article", "shared"),
    [
        ("He is a citizen of Guatemala.", "the Guatemalan national", "citizenship:guatemala"),
        (
            "admitted on a B1/B2 visitor visa",
            "a visa for business or pleasure",
            "immigration_status:visa-b",
        ),
        (
            "his authorized stay expired 6/2/2017",
            "stayed after his visa ran out in June 2017",
            "date:2017-06",
        ),
        ("entered in September 2015", "arrived in the fall of 2015", "season:2015-fall"),
        (
            "ICE lodged a detainer with the county jail",
            "asked the jail to hold him",
            "enforcement_action:detainer",
        ),
        (
            "He was removed to Honduras twice.",
            "had been deported two times",
            "enforcement_action:removed-x2",
        ),
    ],
)
def test_paraphrased_details_meet(email: str, article: str, shared: str) -> None:
    assert shared in keys(email) & keys(article)


def test_boilerplate_has_no_concrete_detail() -> None:
    assert not {
        k
        for k in keys("As a matter of policy, DHS does not comment on pending litigation.")
        if not k.startswith("name:")
    }


def test_time_order_and_updates() -> None:
    email = EmailDoc("m1", T0, "x")
    before = ArticleDoc("a#1", "https://n.example/a", "n", T0 - timedelta(days=1), None, "x")
    updated = ArticleDoc(
        "b#1", "https://n.example/b", "n", T0 - timedelta(days=1), T0 + timedelta(hours=5), "x"
    )
    late = ArticleDoc("c#1", "https://n.example/c", "n", T0 + timedelta(days=40), None, "x")
    ok = ArticleDoc("d#1", "https://n.example/d", "n", T0 + timedelta(days=2), None, "x")
    assert effective_time(T0, before) is None
    assert effective_time(T0, updated) == T0 + timedelta(hours=5)
    assert [a.key for a, _ in candidates(email, [before, updated, late, ok])] == ["b#1", "d#1"]


def test_reporter_link_by_domain() -> None:
    assert reporter_link({"jdoe@news.example"}, "news.example")
    assert reporter_link({"jdoe@mail.news.example"}, "news.example")
    assert not reporter_link({"jdoe@other.example"}, "news.example")


def test_embeddings_are_real_and_normalized() -> None:
    v = encode(
        [
            "The suspect is a citizen of Ireland.",
            "He is an Irish national.",
            "The city council approved a budget.",
        ]
    )
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_match_finds_the_disclosure_not_the_boilerplate() -> None:
    email = EmailDoc(
        "m1",
        T0,
        "Paulo Restrepo is a citizen of Colombia. He overstayed a B1/B2 visa that expired "
        "4/9/2017. As a matter of policy, ICE does not comment on pending litigation.",
        {"press@ice.example", "kim@tribune.example"},
    )
    printed = ArticleDoc(
        "https://tribune.example/x#1",
        "https://tribune.example/x",
        "tribune",
        T0 + timedelta(days=2),
        None,
        "Restrepo, a Colombian national, stayed after his tourist visa ran out in April 2017, "
        "federal officials said.\n\nThe school board meets Tuesday.",
    )
    unrelated = ArticleDoc(
        "https://tribune.example/y#1",
        "https://tribune.example/y",
        "tribune",
        T0 + timedelta(days=3),
        None,
        "As a matter of policy, ICE does not comment on pending litigation, a spokesman said.",
    )
    found, weighed = match([email], [printed, unrelated], encode)
    assert weighed == {("m1", printed.key), ("m1", unrelated.key)}
    best = {(d.article_url, d.detail_type): d for d in found if d.score >= 0.5}
    assert ("https://tribune.example/x", "citizenship") in best
    assert ("https://tribune.example/x", "immigration_status") in best
    assert not any(url.endswith("/y") for url, _ in best)
    d = best[("https://tribune.example/x", "citizenship")]
    assert "Colombia" in d.email_quote and "Colombian" in d.article_quote
    assert d.features["reporter_link"] is True and d.lag_hours == 48.0
    # A second run that skips weighed pairs does no work.
    again, weighed2 = match([email], [printed, unrelated], encode, skip_pairs=weighed)
    assert again == [] and weighed2 == set()
