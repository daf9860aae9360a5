-- Nightly cost proportional to new work (issue 12): which pages changed since a run is read
-- from a write counter, not by ranking every page's versions and comparing them with every
-- document the match has seen. Every write of an article_versions row (a new version, a
-- re-fetch, a re-derived date) takes the next value of a sequence; a match records the
-- highest value it has taken in (sync_state) and next time reads only the pages written
-- after it, and the articles inside the new messages' time windows.
CREATE SEQUENCE IF NOT EXISTS article_change_seq START 1;
ALTER TABLE article_versions ADD COLUMN change_seq BIGINT;
ALTER TABLE article_versions ALTER COLUMN change_seq SET DEFAULT nextval('article_change_seq');
COMMENT ON COLUMN article_versions.change_seq IS 'Order of the row''s last write (sequence article_change_seq; NULL: written before migration 0019). A match reads the pages written after the highest value it has taken in (sync_state).';

CREATE TABLE sync_state (
    scope       VARCHAR NOT NULL,      -- corpus | matched_docs
    version     VARCHAR NOT NULL,
    change_seq  BIGINT NOT NULL,
    synced_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, version)
);
COMMENT ON TABLE sync_state IS 'How far each incrementally kept table has taken in the article writes: corpus (corpus_members, corpus_stats, public_details) per features version, matched_docs per matcher version. A missing row makes the next match compare every page (the first run, a new matcher version).';
COMMENT ON COLUMN sync_state.scope IS 'corpus (the corpus statistics and the public-detail index) or matched_docs (which documents are matched).';
COMMENT ON COLUMN sync_state.version IS 'Features version (corpus) or matcher version (matched_docs).';
COMMENT ON COLUMN sync_state.change_seq IS 'Highest article_versions.change_seq taken in: pages written after it are read next time.';
COMMENT ON COLUMN sync_state.synced_at IS 'When the match that took them in committed its transaction''s work.';
