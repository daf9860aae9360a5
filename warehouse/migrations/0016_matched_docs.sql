-- Matching cost proportional to new work (issue 12): which documents a matcher version has
-- already matched against every candidate in their time window, so a run finds its new pairs
-- from the documents not yet matched (a range join from those few rows to the other side)
-- instead of anti-joining every candidate pair of the warehouse against matched_pairs.
CREATE TABLE matched_docs (
    matcher_version VARCHAR NOT NULL,
    doc_kind        VARCHAR NOT NULL,      -- article | email
    doc_key         VARCHAR NOT NULL,      -- url#text_sha256 | msg_key
    first_at        TIMESTAMPTZ,
    modified_at     TIMESTAMPTZ,
    window_days     INTEGER NOT NULL,
    pairs           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (matcher_version, doc_kind, doc_key)
);
COMMENT ON TABLE matched_docs IS 'Documents a matcher version has matched against every candidate of their time window: each pair of two documents listed here (with unchanged times) is in matched_pairs. A run finds its new pairs from the documents not listed (or whose times or window changed); a document that leaves the warehouse leaves this table.';
COMMENT ON COLUMN matched_docs.matcher_version IS 'Matcher version (matching.score.MATCHER_VERSION) whose pairs are weighed.';
COMMENT ON COLUMN matched_docs.doc_kind IS 'article (an article version) or email (a matchable message).';
COMMENT ON COLUMN matched_docs.doc_key IS 'url#text_sha256 of an article version, or msg_key of a message.';
COMMENT ON COLUMN matched_docs.first_at IS 'Articles: published_at. Emails: the earliest the message can have been sent (the start of its window). A change makes the document new again.';
COMMENT ON COLUMN matched_docs.modified_at IS 'Articles: modified_at (an update can put it in a window). Emails: NULL.';
COMMENT ON COLUMN matched_docs.window_days IS 'Window (days) the document was matched with; a run with a wider window matches it again.';
COMMENT ON COLUMN matched_docs.pairs IS 'Emails: how many matched_pairs rows of this matcher version the message had after its last run (fewer now: a pair was deleted to be weighed again, so the message is matched again). Articles: 0.';

-- Warehouses matched before this table: the documents of the pairs already weighed, with
-- their current times and the pipeline's default 30-day window (a document with no pair is
-- simply matched again, finding nothing new).
INSERT INTO matched_docs
SELECT DISTINCT m.matcher_version, 'email', e.msg_key,
       least(coalesce(e.sent_at_earliest, e.sent_at), e.sent_at), NULL, 30, 0
FROM matched_pairs m JOIN emails e ON e.msg_key = m.msg_key
WHERE e.sent_at IS NOT NULL;
UPDATE matched_docs d SET pairs = c.n FROM (
    SELECT matcher_version, msg_key, count(*) AS n FROM matched_pairs GROUP BY ALL
) c WHERE d.doc_kind = 'email' AND d.matcher_version = c.matcher_version
  AND d.doc_key = c.msg_key;
INSERT INTO matched_docs
SELECT DISTINCT m.matcher_version, 'article', a.url || '#' || a.text_sha256,
       a.published_at, a.modified_at, 30, 0
FROM matched_pairs m JOIN articles a ON a.url || '#' || a.text_sha256 = m.article_key;
