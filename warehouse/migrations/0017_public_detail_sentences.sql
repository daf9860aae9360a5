-- Nightly cost proportional to new work (issue 12): "which pages printed this detail before
-- the message, outside boilerplate" is answered from the index alone. Each (detail, page)
-- row carries the keys of the sentences that print the detail, so the boilerplate test is a
-- join with corpus_stats; before, it parsed every such page's JSON features record, a read
-- that grows with the warehouse's history (every page printing a common detail).
CREATE TABLE public_details_0017 (
    matcher_version VARCHAR NOT NULL,
    detail_key      VARCHAR NOT NULL,
    article_key     VARCHAR NOT NULL,
    published_at    TIMESTAMPTZ,
    sentence_keys   VARCHAR[],
    PRIMARY KEY (matcher_version, detail_key, article_key)
);
-- Rows already indexed: their sentences read from the page's stored features record, with
-- the normalized-sentence hash computed in SQL (matching.features.sentence_key). Where the
-- two hashes could differ (non-ASCII letters) the sentence counts as not boilerplate and the
-- page is kept: the index stays a superset of what the matcher counts. A page whose record
-- is missing gets NULL (kept, as before).
INSERT INTO public_details_0017
WITH rec AS (
    SELECT m.matcher_version, m.doc_key AS article_key,
           from_json(t.record, '{"s": "VARCHAR[][]", "d": "VARCHAR[][][]"}') AS j
    FROM corpus_members m JOIN text_features t
      ON t.matcher_version = m.matcher_version AND t.feature_key = m.feature_key
    WHERE m.doc_kind = 'article'
      AND m.doc_key IN (SELECT article_key FROM public_details)
), sd AS (
    SELECT matcher_version, article_key, j, unnest(range(1, len(j.s) + 1)) AS i FROM rec
), det AS (
    SELECT matcher_version, article_key, j.s[i][3] AS text, unnest(j.d[i]) AS d FROM sd
), keyed AS (
    SELECT matcher_version, article_key,
           CASE WHEN d[1] IN ('citizenship', 'immigration_status', 'criminal_history',
                              'identity', 'enforcement_action', 'other') THEN d[2]
                WHEN starts_with(d[2], 'crime:') THEN 'criminal_history:' || d[2][7:] END
               AS detail_key,
           sha1(trim(regexp_replace(lower(text), '[^a-z0-9]+', ' ', 'g'))) AS sentence_key
    FROM det
), printed AS (
    SELECT matcher_version, article_key, detail_key,
           list(DISTINCT sentence_key ORDER BY sentence_key) AS sentence_keys
    FROM keyed WHERE detail_key IS NOT NULL GROUP BY ALL
)
SELECT p.matcher_version, p.detail_key, p.article_key, p.published_at,
       CASE WHEN r.article_key IS NULL THEN NULL ELSE coalesce(s.sentence_keys, []) END
FROM public_details p
LEFT JOIN (SELECT DISTINCT matcher_version, article_key FROM rec) r
  ON r.matcher_version = p.matcher_version AND r.article_key = p.article_key
LEFT JOIN printed s ON s.matcher_version = p.matcher_version
  AND s.article_key = p.article_key AND s.detail_key = p.detail_key;
DROP TABLE public_details;
ALTER TABLE public_details_0017 RENAME TO public_details;
COMMENT ON TABLE public_details IS 'Index of the pages (article versions in the corpus) that print a detail, with their publication time and the sentences that print it: "was this detail public before the message, outside boilerplate" is a lookup by detail key and a join with corpus_stats, never a scan of every page or of their features. A superset: the matcher applies its own tests to the pages found.';
COMMENT ON COLUMN public_details.matcher_version IS 'Matcher version of the index.';
COMMENT ON COLUMN public_details.detail_key IS 'A typed detail key the page prints (crimes it reports as news count as criminal_history).';
COMMENT ON COLUMN public_details.article_key IS 'The page: url#text_sha256.';
COMMENT ON COLUMN public_details.published_at IS 'When the page was published (NULL: unknown, never counts as before a message).';
COMMENT ON COLUMN public_details.sentence_keys IS 'matching.features.sentence_key of each sentence that prints the detail (typed, or a crime reported as news): the page makes the detail public only if one of them is not boilerplate by the current counts. NULL: unknown, the page is kept.';
