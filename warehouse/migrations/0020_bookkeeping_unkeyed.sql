-- Nightly cost proportional to new work (issue 12): the match's per-document bookkeeping
-- tables grow with the warehouse (a row per text, document or printed detail), and DuckDB
-- loads a table's whole key index into memory to add rows to it: keyed, each night's few new
-- rows cost memory in proportion to every row ever stored. These tables are derived (a new
-- matcher version rebuilds them) and the match adds only rows it has found missing in the
-- same transaction (tests assert one row per key), so they keep no key index. Tables of
-- record (messages, article versions, evidence, reviews) keep theirs.
CREATE TABLE text_features_0020 (
    matcher_version VARCHAR NOT NULL,
    feature_key VARCHAR NOT NULL,
    record VARCHAR NOT NULL,
    computed_at TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO text_features_0020 SELECT matcher_version, feature_key, record, computed_at FROM text_features;
DROP TABLE text_features;
ALTER TABLE text_features_0020 RENAME TO text_features;
COMMENT ON TABLE text_features IS 'Per-text features of the matcher, computed once per (text, month written, matcher version): sentences, their details, content words and the words the text lends to the corpus vocabulary. A text seen again (a syndicated copy, a re-crawl, a quoted message) is not re-segmented. One row per key: the match adds only rows it found missing (no key index, whose upkeep grows with the table).';
COMMENT ON COLUMN text_features.matcher_version IS 'Matcher version (matching.score.MATCHER_VERSION, plus +names=ner under the spaCy names experiment) the record was computed by.';
COMMENT ON COLUMN text_features.feature_key IS 'sha256 of the text, a bar, and the year-month it was written (relative dates such as "last March" read it), or - when unknown.';
COMMENT ON COLUMN text_features.record IS 'JSON object: s = [[idx, para_idx, sentence]], d = per sentence [[type, key, words]] details, w = per sentence content words, v = lower-case and place words of the whole text (matching.features.TextFeatures).';
COMMENT ON COLUMN text_features.computed_at IS 'When the record was computed.';
CREATE TABLE corpus_members_0020 (
    matcher_version VARCHAR NOT NULL,
    doc_kind VARCHAR NOT NULL,
    doc_key VARCHAR NOT NULL,
    feature_key VARCHAR NOT NULL,
    domain VARCHAR,
    outlet VARCHAR,
    published_at TIMESTAMP WITH TIME ZONE,
    added_at TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO corpus_members_0020 SELECT matcher_version, doc_kind, doc_key, feature_key, domain, outlet, published_at, added_at FROM corpus_members;
DROP TABLE corpus_members;
ALTER TABLE corpus_members_0020 RENAME TO corpus_members;
COMMENT ON TABLE corpus_members IS 'The documents whose contributions corpus_stats holds, per matcher version: the newest version of every article and every matchable message. A document is added once (re-adding never double-counts) and subtracted when it leaves the corpus (an article''s newer version replaces it, a message''s text changes). One row per key: the match adds only rows it found missing (no key index, whose upkeep grows with the table).';
COMMENT ON COLUMN corpus_members.matcher_version IS 'Matcher version of the statistics.';
COMMENT ON COLUMN corpus_members.doc_kind IS 'article (an article version) or email (a message''s own text with its attachments).';
COMMENT ON COLUMN corpus_members.doc_key IS 'url#text_sha256 of an article version, or msg_key of a message.';
COMMENT ON COLUMN corpus_members.feature_key IS 'text_features.feature_key of the text counted (what is subtracted when the document leaves).';
COMMENT ON COLUMN corpus_members.domain IS 'Articles: host of the URL (outlet domains, and outlet names that identify no one). Emails: NULL.';
COMMENT ON COLUMN corpus_members.outlet IS 'Articles: outlet name as crawled. Emails: NULL.';
COMMENT ON COLUMN corpus_members.published_at IS 'Articles: publication time (what was public before a message). Emails: the earliest the message can have been sent.';
COMMENT ON COLUMN corpus_members.added_at IS 'When the document''s contribution was added.';
CREATE TABLE public_details_0020 (
    matcher_version VARCHAR NOT NULL,
    detail_key VARCHAR NOT NULL,
    article_key VARCHAR NOT NULL,
    published_at TIMESTAMP WITH TIME ZONE,
    sentence_keys VARCHAR[]
);
INSERT INTO public_details_0020 SELECT matcher_version, detail_key, article_key, published_at, sentence_keys FROM public_details;
DROP TABLE public_details;
ALTER TABLE public_details_0020 RENAME TO public_details;
COMMENT ON TABLE public_details IS 'Index of the pages (article versions in the corpus) that print a detail, with their publication time and the sentences that print it: "was this detail public before the message, outside boilerplate" is a lookup by detail key and a join with corpus_stats, never a scan of every page or of their features. A superset: the matcher applies its own tests to the pages found. One row per key: the match adds only rows it found missing (no key index, whose upkeep grows with the table).';
COMMENT ON COLUMN public_details.matcher_version IS 'Matcher version of the index.';
COMMENT ON COLUMN public_details.detail_key IS 'A typed detail key the page prints (crimes it reports as news count as criminal_history).';
COMMENT ON COLUMN public_details.article_key IS 'The page: url#text_sha256.';
COMMENT ON COLUMN public_details.published_at IS 'When the page was published (NULL: unknown, never counts as before a message).';
COMMENT ON COLUMN public_details.sentence_keys IS 'matching.features.sentence_key of each sentence that prints the detail (typed, or a crime reported as news): the page makes the detail public only if one of them is not boilerplate by the current counts. NULL: unknown, the page is kept.';
CREATE TABLE matched_docs_0020 (
    matcher_version VARCHAR NOT NULL,
    doc_kind VARCHAR NOT NULL,
    doc_key VARCHAR NOT NULL,
    first_at TIMESTAMP WITH TIME ZONE,
    modified_at TIMESTAMP WITH TIME ZONE,
    window_days INTEGER NOT NULL,
    pairs BIGINT NOT NULL DEFAULT 0,
    left_at TIMESTAMP WITH TIME ZONE
);
INSERT INTO matched_docs_0020 SELECT matcher_version, doc_kind, doc_key, first_at, modified_at, window_days, pairs, left_at FROM matched_docs;
DROP TABLE matched_docs;
ALTER TABLE matched_docs_0020 RENAME TO matched_docs;
COMMENT ON TABLE matched_docs IS 'Documents a matcher version has matched against every candidate of their time window: each pair of two documents listed here (with unchanged times) is in matched_pairs. A run finds its new pairs from the documents not listed (or whose times or window changed); a document that leaves the warehouse leaves this table. One row per key: the match adds only rows it found missing (no key index, whose upkeep grows with the table).';
COMMENT ON COLUMN matched_docs.matcher_version IS 'Matcher version (matching.score.MATCHER_VERSION) whose pairs are weighed.';
COMMENT ON COLUMN matched_docs.doc_kind IS 'article (an article version) or email (a matchable message).';
COMMENT ON COLUMN matched_docs.doc_key IS 'url#text_sha256 of an article version, or msg_key of a message.';
COMMENT ON COLUMN matched_docs.first_at IS 'Articles: published_at. Emails: the earliest the message can have been sent (the start of its window). A change makes the document new again.';
COMMENT ON COLUMN matched_docs.modified_at IS 'Articles: modified_at (an update can put it in a window). Emails: NULL.';
COMMENT ON COLUMN matched_docs.window_days IS 'Window (days) the document was matched with; a run with a wider window matches it again.';
COMMENT ON COLUMN matched_docs.pairs IS 'Emails: how many matched_pairs rows of this matcher version the message had after its last run (fewer now: a pair was deleted to be weighed again, so the message is matched again). Articles: 0.';
COMMENT ON COLUMN matched_docs.left_at IS 'When the document left the warehouse (NULL: present). A document that comes back is matched again, and its pairs already weighed are skipped.';
