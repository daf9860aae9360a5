"""Matching cost proportional to new work (issue 12): stored features and incrementally kept
corpus statistics give the numbers a recount would, a warm run with nothing new does no
work and says so, and a page that makes a detail public re-weighs exactly the pairs it
affects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from foia.models import Message
from foiatrace import pipeline
from matching.embed import encode
from matching.features import CorpusStats, features_version, prepare
from matching.match import match
from matching.score import MATCHER_VERSION
from warehouse import features as wf
from warehouse import load
from warehouse.db import connect
from warehouse.matches import load_article_docs, load_email_docs, load_participants

T0 = datetime(2019, 3, 1, 15, 0, tzinfo=UTC)
REPLY = (
    "Paulo Restrepo is a citizen of Colombia. He overstayed a B1/B2 visa that expired "
    "4/9/2017. As a matter of policy, ICE does not comment on pending litigation."
)
PRINTED = (
    "Restrepo, a Colombian national, stayed after his tourist visa ran out in April 2017, "
    "federal officials said.\n\nThe school board meets Tuesday."
)
RELEASE = "Paulo Restrepo, a citizen of Colombia, overstayed his visa, ICE said."


def _msg(bates: str, sent: datetime, text: str, to: str) -> Message:
    return Message(
        source_file=f"{bates}.eml", source_sha256=bates.ljust(64, "0"), source_kind="eml",
        bates=bates, sent_at=sent, email_from="press@ice.agency.gov", email_to=[to],
        subject="Restrepo", own_text=text,
    )  # fmt: skip


def _article(url: str, published: datetime, text: str, fetched: datetime | None = None) -> dict:
    return {
        "url": url, "outlet": "tribune", "text": text, "published_at": published.isoformat(),
        "fetched_at": (fetched or datetime.now(UTC)).isoformat(),
    }  # fmt: skip


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = connect(path)
    load.upsert_messages(
        con,
        "p",
        [
            _msg("B-1", T0, REPLY, "kim@tribune.example"),
            _msg("B-2", T0 + timedelta(days=10), REPLY, "kim@tribune.example"),
            _msg("B-3", T0 + timedelta(days=1), "Can you check it?", "ero@ice.agency.gov"),
        ],
    )  # fmt: skip
    load.upsert_article_versions(
        con, [_article("https://tribune.example/x", T0 + timedelta(days=12), PRINTED)]
    )
    con.close()
    return path


def _recount(con) -> CorpusStats:  # type: ignore[no-untyped-def]
    arts = load_article_docs(con)
    emails = load_email_docs(con)
    return CorpusStats.from_scratch(
        [prepare(a.text, a.published_at) for a in arts],
        [prepare(e.text, e.sent_at) for e in emails],
    )


def _evidence(con) -> list[tuple]:  # type: ignore[no-untyped-def]
    return con.execute(
        "SELECT msg_key, article_key, detail_key, article_sentence, round(score, 6), features, "
        "matched_at FROM disclosures ORDER BY ALL"
    ).fetchall()


def test_incremental_statistics_equal_a_recount(db: Path) -> None:
    pipeline.match(db)
    con = connect(db)
    # new pages, a newer version of one (the old leaves the corpus), a changed message
    load.upsert_article_versions(
        con,
        [
            _article("https://agency.gov/r", T0 + timedelta(days=5), RELEASE),
            _article("https://tribune.example/x", T0 + timedelta(days=12), PRINTED + " Updated.",
                     datetime.now(UTC) + timedelta(hours=1)),
        ],
    )  # fmt: skip
    con.close()
    pipeline.match(db)
    pipeline.match(db)  # re-adding nothing never double-counts
    con = connect(db)
    try:
        got, want = wf.all_stats(con, features_version()), _recount(con)
        assert got.n_docs == want.n_docs == 2
        assert got.doc_freq == want.doc_freq
        assert got.article_sentences == want.article_sentences
        assert got.email_sentences == want.email_sentences
        assert got.words == want.words
    finally:
        con.close()


def test_the_incremental_path_reports_what_a_run_from_scratch_reports(db: Path) -> None:
    con = connect(db)
    emails, arts, people = load_email_docs(con), load_article_docs(con), load_participants(con)
    con.close()
    scratch = match(emails, arts, encode, participants=people).disclosures
    pipeline.match(db)
    con = connect(db)
    stored = con.execute(
        "SELECT msg_key, article_key, detail_key, article_sentence, round(score, 6) "
        "FROM disclosures ORDER BY ALL"
    ).fetchall()
    con.close()
    assert stored and stored == sorted(
        (d.msg_key, d.article_key, d.detail_key, d.article_sentence, round(d.score, 6))
        for d in scratch
    )


def test_a_warm_run_with_nothing_new_does_no_work_and_says_so(db: Path) -> None:
    cold = pipeline.match(db)
    assert cold["pairs_weighed"] > 0 and cold["texts_computed"] > 0
    assert cold["pages_scope"] == "all" and cold["pages_compared"] == 1
    warm = pipeline.match(db)
    # only pages written since the last run are compared: none
    assert warm["pages_scope"] == "written" and warm["pages_compared"] == 0
    assert warm["texts_computed"] == 0 and warm["texts_reused"] == 0
    assert warm["embeddings_computed"] == 0
    assert warm["pairs_weighed"] == 0 and warm["pairs_reweighed"] == 0
    assert warm["pairs_skipped"] == cold["pairs_weighed"]
    assert "0 new pairs weighed" in warm["summary"] and "skipped" in warm["summary"]


def test_a_page_that_makes_a_detail_public_reweighs_exactly_the_pairs_it_affects(
    db: Path,
) -> None:
    first = pipeline.match(db)
    assert first["pairs_reweighed"] == 0
    con = connect(db)
    art = con.execute("SELECT DISTINCT article_key FROM pair_state").fetchall()
    assert len(art) == 1
    art_key = art[0][0]
    before = {r[0]: r for r in con.execute(
        "SELECT msg_key, public_keys, score, reweighed FROM pair_state"
    ).fetchall()}  # fmt: skip
    assert set(before) == {"p:B-1", "p:B-2"} and not before["p:B-2"][1]
    old = _evidence(con)
    b1_rows = [r for r in old if r[0] == "p:B-1"]
    b2_rows = [r for r in old if r[0] == "p:B-2"]
    assert b1_rows and b2_rows
    con.execute(
        "INSERT INTO reviews VALUES ('p:B-2', 'https://tribune.example/x', ?, 'confirmed', 'rk', "
        "'checked', now())",
        [b2_rows[0][2]],
    )
    # the agency's release, published between the two messages, prints the same details
    load.upsert_article_versions(
        con, [_article("https://agency.gov/r", T0 + timedelta(days=5), RELEASE)]
    )
    con.close()
    second = pipeline.match(db)
    # B-2 (sent after the release) x the article is re-weighed; B-1 (sent before) is not
    assert second["pairs_reweighed"] == 1
    assert "1 re-weighed" in second["summary"]
    con = connect(db)
    try:
        after = {(r[0], r[1]): r for r in con.execute(
            "SELECT msg_key, article_key, public_keys, score, reweighed FROM pair_state"
        ).fetchall()}  # fmt: skip
        assert after[("p:B-2", art_key)][2] and after[("p:B-2", art_key)][4] == 1
        assert after[("p:B-1", art_key)][4] == 0 and not after[("p:B-1", art_key)][2]
        new = _evidence(con)
        assert [r for r in new if r[0] == "p:B-1" and r[1] == art_key] == b1_rows  # untouched
        b2_new = [r for r in new if r[0] == "p:B-2" and r[1] == art_key]
        assert b2_new != b2_rows
        assert all(json.loads(r[5])["public_before"] > 0 for r in b2_new)
        assert after[("p:B-2", art_key)][3] < before["p:B-2"][2]
        assert con.execute("SELECT verdict FROM reviews WHERE msg_key = 'p:B-2'").fetchall() == [
            ("confirmed",)
        ]
    finally:
        con.close()
    # and nothing again: a third run re-weighs nothing
    third = pipeline.match(db)
    assert third["pairs_reweighed"] == 0 and third["pairs_weighed"] == 0
    assert MATCHER_VERSION in features_version()


NEWS = "Police arrested Paulo Restrepo on Monday in Marrowfield, the sheriff said."


def test_the_public_index_lists_the_sentences_that_print_each_detail(db: Path) -> None:
    """public_details answers "printed before, outside boilerplate" without reading a page's
    features: its sentence keys are the page's own, a crime reported as news included."""
    con = connect(db)
    load.upsert_article_versions(
        con, [_article("https://tribune.example/n", T0 - timedelta(days=3), NEWS)]
    )
    con.close()
    pipeline.match(db)
    version = features_version()
    con = connect(db)
    try:
        got = {
            (a.split("#")[0], k): s
            for a, k, s in con.execute(
                "SELECT article_key, detail_key, sentence_keys FROM public_details"
            ).fetchall()
        }
        want = {
            (a.url, k): s
            for a in load_article_docs(con)
            for k, s in prepare(a.text, a.published_at).printing_sentences().items()
        }
        assert got == want and ("https://tribune.example/n", "criminal_history:arrest") in got
        # the news page printed the arrest before B-1: found, as the matcher counts it
        news = load_article_docs(con, None)
        news_key = next(a.key for a in news if a.url.endswith("/n"))
        found = wf.pages_printing(con, version, {"p:B-1": (T0, {"criminal_history:arrest"})})
        assert found == {"p:B-1": {news_key}}
        # once the sentence is boilerplate (printed by many pages), it makes nothing public
        con.execute(
            "UPDATE corpus_stats SET n = 1000 WHERE stat = 'article_sentence' AND key = ?",
            [got[("https://tribune.example/n", "criminal_history:arrest")][0]],
        )
        found = wf.pages_printing(con, version, {"p:B-1": (T0, {"criminal_history:arrest"})})
        assert found == {"p:B-1": set()}
    finally:
        con.close()


def test_migration_0017_derives_the_public_index_sentences_from_stored_features(
    db: Path,
) -> None:
    """A warehouse matched before 0017 gets each (detail, page) row's sentence keys from the
    stored features records: the same keys the matcher computes for new pages."""
    from warehouse.db import migrate

    con = connect(db)
    load.upsert_article_versions(
        con, [_article("https://tribune.example/n", T0 - timedelta(days=3), NEWS)]
    )
    con.close()
    pipeline.match(db)
    con = connect(db)
    try:
        want = con.execute("SELECT * FROM public_details ORDER BY ALL").fetchall()
        assert want and all(r[4] for r in want)
        # back to the 0015 shape, as an older foiatrace left it
        con.execute(
            "CREATE TEMP TABLE keep AS SELECT * EXCLUDE (sentence_keys) FROM public_details"
        )
        con.execute("DROP TABLE public_details")
        con.execute(
            "CREATE TABLE public_details (matcher_version VARCHAR NOT NULL, detail_key VARCHAR "
            "NOT NULL, article_key VARCHAR NOT NULL, published_at TIMESTAMPTZ, "
            "PRIMARY KEY (matcher_version, detail_key, article_key))"
        )
        con.execute("INSERT INTO public_details SELECT * FROM keep")
        con.execute("DELETE FROM schema_migrations WHERE version = 17")
        assert migrate(con) == ["0017_public_detail_sentences"]
        assert con.execute("SELECT * FROM public_details ORDER BY ALL").fetchall() == want
    finally:
        con.close()


# Bookkeeping tables without a key index (migrations 0018, 0020): one row per key anyway.
UNKEYED = {
    "matched_pairs": "msg_key, article_key, matcher_version",
    "text_features": "matcher_version, feature_key",
    "corpus_members": "matcher_version, doc_kind, doc_key",
    "public_details": "matcher_version, detail_key, article_key",
    "matched_docs": "matcher_version, doc_kind, doc_key",
}


def test_matched_pairs_holds_each_weighed_pair_once_through_reweighs_and_returns(
    db: Path,
) -> None:
    """The bookkeeping tables keep no key index (its upkeep grew with every row ever stored):
    the match itself must add each row once, through a re-weigh, a corrected message (its
    pairs dropped), a page's new version and the old text coming back as the newest."""
    from warehouse.matches import unweighed_pairs

    def run_and_check() -> dict:
        stats = pipeline.match(db)
        con = connect(db)
        try:
            for table, key in UNKEYED.items():
                dupes = con.execute(
                    f"SELECT {key}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1"
                ).fetchall()
                assert dupes == [], table
            assert unweighed_pairs(con, MATCHER_VERSION, 30) == set()
            # every document with a stored pair has a matched_docs row
            orphans = con.execute(
                "SELECT count(*) FROM matched_pairs m WHERE NOT EXISTS (SELECT 1 FROM "
                "matched_docs d WHERE d.doc_kind = 'article' AND d.doc_key = m.article_key) "
                "OR NOT EXISTS (SELECT 1 FROM matched_docs d WHERE d.doc_kind = 'email' "
                "AND d.doc_key = m.msg_key)"
            ).fetchall()[0][0]
            assert orphans == 0
        finally:
            con.close()
        return stats

    first = run_and_check()
    assert first["pairs_weighed"] > 0
    con = connect(db)
    load.upsert_article_versions(
        con, [_article("https://agency.gov/r", T0 + timedelta(days=5), RELEASE)]
    )
    con.close()
    assert run_and_check()["pairs_reweighed"] == 1
    con = connect(db)  # B-2 corrected: its pairs are dropped and weighed again
    load.upsert_messages(
        con, "p", [_msg("B-2", T0 + timedelta(days=10), REPLY + " Thanks.", "kim@tribune.example")]
    )
    con.close()
    assert run_and_check()["pairs_weighed"] >= 1
    t_new = datetime.now(UTC) + timedelta(hours=1)
    con = connect(db)
    load.upsert_article_versions(
        con,
        [_article("https://tribune.example/x", T0 + timedelta(days=12), PRINTED + " Updated.",
                  t_new)],
    )  # fmt: skip
    con.close()
    updated = run_and_check()
    assert updated["pairs_weighed"] >= 1
    con = connect(db)  # the old text is served again: the newest version once more
    load.upsert_article_versions(
        con,
        [_article("https://tribune.example/x", T0 + timedelta(days=12), PRINTED,
                  t_new + timedelta(hours=1))],
    )  # fmt: skip
    left = con.execute("SELECT count(*) FROM matched_docs WHERE left_at IS NOT NULL").fetchall()
    con.close()
    assert left[0][0] >= 1
    back = run_and_check()
    # its pairs with the messages were weighed before it left: none is weighed again
    assert back["pairs_weighed"] == 0


def test_a_run_compares_only_the_pages_written_since_the_last(db: Path) -> None:
    """Pages are read by their write order (article_versions.change_seq): a re-fetch or a
    new page is compared, the rest of the warehouse is not, and a wider window than the
    documents were matched with compares every page."""
    pipeline.match(db)
    con = connect(db)
    load.upsert_article_versions(con, [
        _article("https://tribune.example/x", T0 + timedelta(days=12), PRINTED),  # re-fetch
        _article("https://agency.gov/r", T0 + timedelta(days=5), RELEASE),
    ])  # fmt: skip
    con.close()
    second = pipeline.match(db)
    assert second["pages_scope"] == "written" and second["pages_compared"] == 2
    assert pipeline.match(db)["pages_compared"] == 0
    wider = pipeline.match(db, window_days=60)
    assert wider["pages_scope"] == "all" and wider["pages_compared"] == 2
    assert pipeline.match(db, window_days=60)["pages_compared"] == 0
