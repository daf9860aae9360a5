-- Nightly cost proportional to new work (issue 12). matched_pairs grows by every pair ever
-- weighed (a million rows for 200,000 articles), and DuckDB loads a table's whole primary-key
-- index to add rows to it and writes it again at checkpoint: with the key, storing one
-- night's pairs cost time and memory in proportion to every pair ever weighed. The match
-- already knows which pairs are new (it found them by their documents), so the table keeps
-- no key and the match inserts only pairs it has not stored (a test asserts no duplicates).
CREATE TABLE matched_pairs_0018 (
    msg_key         VARCHAR NOT NULL,
    article_key     VARCHAR NOT NULL,
    matcher_version VARCHAR NOT NULL,
    matched_at      TIMESTAMPTZ NOT NULL
);
INSERT INTO matched_pairs_0018 SELECT * FROM matched_pairs;
DROP TABLE matched_pairs;
ALTER TABLE matched_pairs_0018 RENAME TO matched_pairs;
COMMENT ON TABLE matched_pairs IS 'Internal: the (message, article version) pairs a matcher version has already weighed, found or not, so a re-run weighs only new pairs. One row per pair and version: the match inserts only pairs not stored (no key index, whose upkeep would grow with every pair ever weighed).';
COMMENT ON COLUMN matched_pairs.msg_key IS 'Key of the message (emails.msg_key).';
COMMENT ON COLUMN matched_pairs.article_key IS 'Article version weighed: url#text_sha256.';
COMMENT ON COLUMN matched_pairs.matcher_version IS 'matching.score.MATCHER_VERSION that weighed it.';
COMMENT ON COLUMN matched_pairs.matched_at IS 'When it was weighed, UTC.';

-- A document that leaves the warehouse (an article version replaced by a newer one) keeps its
-- matched_docs row, marked: every document with a pair in matched_pairs then has a row, so a
-- document with none is new and none of its candidate pairs needs looking up in matched_pairs.
ALTER TABLE matched_docs ADD COLUMN left_at TIMESTAMPTZ;
COMMENT ON COLUMN matched_docs.left_at IS 'When the document left the warehouse (NULL: present). A document that comes back is matched again, and its pairs already weighed are skipped.';
-- documents of stored pairs that an earlier version of this table had dropped
INSERT INTO matched_docs
SELECT DISTINCT m.matcher_version, 'email', m.msg_key, NULL::TIMESTAMPTZ, NULL::TIMESTAMPTZ, 0, 0,
       now()
FROM matched_pairs m WHERE NOT EXISTS (
    SELECT 1 FROM matched_docs d WHERE d.matcher_version = m.matcher_version
      AND d.doc_kind = 'email' AND d.doc_key = m.msg_key);
INSERT INTO matched_docs
SELECT DISTINCT m.matcher_version, 'article', m.article_key, NULL::TIMESTAMPTZ,
       NULL::TIMESTAMPTZ, 0, 0, now()
FROM matched_pairs m WHERE NOT EXISTS (
    SELECT 1 FROM matched_docs d WHERE d.matcher_version = m.matcher_version
      AND d.doc_kind = 'article' AND d.doc_key = m.article_key);
