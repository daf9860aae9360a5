-- Matching cost proportional to new work (issue 12): a text's sentences, details and content
-- words are computed once per (text, month, matcher version) and kept here; the corpus
-- statistics the matcher's decisions read are kept as running sums, one contribution per
-- member document, so a run adds what is new instead of recounting the warehouse.
CREATE TABLE text_features (
    matcher_version VARCHAR NOT NULL,
    feature_key     VARCHAR NOT NULL,      -- sha256(text) | written month (YYYY-MM or -)
    record          VARCHAR NOT NULL,      -- JSON: sentences, details, content words, vocabulary
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (matcher_version, feature_key)
);
COMMENT ON TABLE text_features IS 'Per-text features of the matcher, computed once per (text, month written, matcher version): sentences, their details, content words and the words the text lends to the corpus vocabulary. A text seen again (a syndicated copy, a re-crawl, a quoted message) is not re-segmented.';
COMMENT ON COLUMN text_features.matcher_version IS 'Matcher version (matching.score.MATCHER_VERSION, plus +names=ner under the spaCy names experiment) the record was computed by.';
COMMENT ON COLUMN text_features.feature_key IS 'sha256 of the text, a bar, and the year-month it was written (relative dates such as "last March" read it), or - when unknown.';
COMMENT ON COLUMN text_features.record IS 'JSON object: s = [[idx, para_idx, sentence]], d = per sentence [[type, key, words]] details, w = per sentence content words, v = lower-case and place words of the whole text (matching.features.TextFeatures).';
COMMENT ON COLUMN text_features.computed_at IS 'When the record was computed.';

CREATE TABLE corpus_members (
    matcher_version VARCHAR NOT NULL,
    doc_kind        VARCHAR NOT NULL,      -- article | email
    doc_key         VARCHAR NOT NULL,      -- url#text_sha256 | msg_key
    feature_key     VARCHAR NOT NULL,
    domain          VARCHAR,
    outlet          VARCHAR,
    published_at    TIMESTAMPTZ,
    added_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (matcher_version, doc_kind, doc_key)
);
COMMENT ON TABLE corpus_members IS 'The documents whose contributions corpus_stats holds, per matcher version: the newest version of every article and every matchable message. A document is added once (re-adding never double-counts) and subtracted when it leaves the corpus (an article''s newer version replaces it, a message''s text changes).';
COMMENT ON COLUMN corpus_members.matcher_version IS 'Matcher version of the statistics.';
COMMENT ON COLUMN corpus_members.doc_kind IS 'article (an article version) or email (a message''s own text with its attachments).';
COMMENT ON COLUMN corpus_members.doc_key IS 'url#text_sha256 of an article version, or msg_key of a message.';
COMMENT ON COLUMN corpus_members.feature_key IS 'text_features.feature_key of the text counted (what is subtracted when the document leaves).';
COMMENT ON COLUMN corpus_members.domain IS 'Articles: host of the URL (outlet domains, and outlet names that identify no one). Emails: NULL.';
COMMENT ON COLUMN corpus_members.outlet IS 'Articles: outlet name as crawled. Emails: NULL.';
COMMENT ON COLUMN corpus_members.published_at IS 'Articles: publication time (what was public before a message). Emails: the earliest the message can have been sent.';
COMMENT ON COLUMN corpus_members.added_at IS 'When the document''s contribution was added.';

CREATE TABLE corpus_stats (
    matcher_version VARCHAR NOT NULL,
    stat            VARCHAR NOT NULL,      -- detail_df | article_sentence | email_sentence | word
    key             VARCHAR NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (matcher_version, stat, key)
);
COMMENT ON TABLE corpus_stats IS 'Corpus statistics the matcher''s decisions read, kept as sums over corpus_members (equal to a recount from scratch): in how many article versions a detail occurs (its rarity), in how many article versions or messages a sentence occurs (boilerplate), in how many documents a word is written in lower case or as a place (not a person''s name). Rows reaching zero are deleted.';
COMMENT ON COLUMN corpus_stats.matcher_version IS 'Matcher version of the statistic.';
COMMENT ON COLUMN corpus_stats.stat IS 'detail_df (key: detail key, over article versions), article_sentence and email_sentence (key: sha1 of the normalized sentence), word (key: the word).';
COMMENT ON COLUMN corpus_stats.key IS 'What is counted (see stat).';
COMMENT ON COLUMN corpus_stats.n IS 'How many member documents carry it.';
