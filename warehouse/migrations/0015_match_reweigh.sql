-- Re-scoring on purpose (issue 12): which pages can make a detail public, indexed by detail,
-- and what each weighed pair depended on, so a newly crawled page (or a rarity change that
-- moves a decision) re-weighs exactly the stored pairs it affects.
CREATE TABLE public_details (
    matcher_version VARCHAR NOT NULL,
    detail_key      VARCHAR NOT NULL,
    article_key     VARCHAR NOT NULL,
    published_at    TIMESTAMPTZ,
    PRIMARY KEY (matcher_version, detail_key, article_key)
);
COMMENT ON TABLE public_details IS 'Index of the pages (article versions in the corpus) that print a detail, with their publication time: "was this detail public before the message" is a lookup by detail key, not a scan of every page. A superset: the matcher drops boilerplate sentences with the current counts.';
COMMENT ON COLUMN public_details.matcher_version IS 'Matcher version of the index.';
COMMENT ON COLUMN public_details.detail_key IS 'A typed detail key the page prints (crimes it reports as news count as criminal_history).';
COMMENT ON COLUMN public_details.article_key IS 'The page: url#text_sha256.';
COMMENT ON COLUMN public_details.published_at IS 'When the page was published (NULL: unknown, never counts as before a message).';

CREATE TABLE pair_state (
    matcher_version VARCHAR NOT NULL,
    msg_key         VARCHAR NOT NULL,
    article_key     VARCHAR NOT NULL,
    shared_keys     VARCHAR[],
    name_keys       VARCHAR[],
    public_keys     VARCHAR[],
    outbound_keys   VARCHAR[],
    score           DOUBLE,
    weighed_at      TIMESTAMPTZ NOT NULL,
    reweighed       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (matcher_version, msg_key, article_key)
);
COMMENT ON TABLE pair_state IS 'What each weighed (message, article version) pair depended on: the details it shares, the names whose rarity decided whether both are about one person, the details found public before the message. A later run re-weighs a pair when a new page prints one of its shared details before the message, or when one of its keys'' rarity crosses a decision threshold.';
COMMENT ON COLUMN pair_state.matcher_version IS 'Matcher version that weighed the pair.';
COMMENT ON COLUMN pair_state.msg_key IS 'The message (emails.msg_key).';
COMMENT ON COLUMN pair_state.article_key IS 'The article version (url#text_sha256).';
COMMENT ON COLUMN pair_state.shared_keys IS 'Typed detail keys the pair shares (its evidence''s details).';
COMMENT ON COLUMN pair_state.name_keys IS 'Names, ages and A-numbers of the message''s thread and of the article (before the rarity filter).';
COMMENT ON COLUMN pair_state.public_keys IS 'Shared details found printed about the person before the message, with the page''s path.';
COMMENT ON COLUMN pair_state.outbound_keys IS 'If the message went to the outlet: the details it gave the article (they supersede internal messages'' rows of the same article).';
COMMENT ON COLUMN pair_state.score IS 'The pair''s score when last weighed.';
COMMENT ON COLUMN pair_state.weighed_at IS 'When the pair was last weighed.';
COMMENT ON COLUMN pair_state.reweighed IS 'How many times a later run re-weighed it on purpose.';
