-- Court-ready exports and reviews (issue 10). The evidence view stays as it is (the
-- contract; CREATE OR REPLACE VIEW would drop its comments); evidence_full is what the
-- exports and review sheets read: the contract's columns first, with the same expressions,
-- then everything a reviewer needs to check a row and record a verdict from an export: the
-- review key (msg_key, article_url, detail_key), which article sentence and version matched,
-- the production, source file and pages, the archived record, the review itself.
-- tests/test_exports.py checks that its contract columns equal the evidence view's.

CREATE VIEW evidence_full AS
SELECT
    e.bates,
    e.message_id,
    e.sent_at                AS email_sent_at,
    e.email_from,
    array_to_string(e.email_to, '; ') AS email_to,
    d.email_quote,
    d.article_url,
    a.outlet,
    a.published_at           AS article_published_at,
    d.article_quote,
    d.detail_type,
    array_to_string(d.shared_details, '; ') AS shared_details,
    round(d.score, 4)        AS score,
    round(d.lag_hours, 1)    AS lag_hours,
    coalesce(d.syndicated_from, s.original_url) AS syndicated_from,
    r.verdict,
    round(coalesce(d.lag_hours_min, d.lag_hours), 1) AS lag_hours_min,
    round(coalesce(d.lag_hours_max, d.lag_hours), 1) AS lag_hours_max,
    coalesce(d.lag_hours_max - d.lag_hours_min > abs(d.lag_hours), FALSE) AS lag_uncertain,
    d.detail_key,
    d.msg_key,
    d.features,
    e.production,
    e.source_file,
    e.source_sha256,
    e.source_kind,
    e.page_start,
    e.page_end,
    CASE WHEN e.page_start IS NULL THEN NULL
         ELSE e.page_start::VARCHAR || '-' || e.page_end::VARCHAR END AS pages,
    array_to_string(e.email_cc, '; ') AS email_cc,
    e.subject                AS email_subject,
    a.title                  AS article_title,
    d.article_sentence,
    d.article_key,
    d.matcher_version,
    v.warc_file,
    v.warc_record_id,
    v.warc_sha256,
    v.warc_offset,
    r.reviewer,
    r.note,
    r.reviewed_at
FROM disclosures d
JOIN emails e ON e.msg_key = d.msg_key
LEFT JOIN articles a ON a.url = d.article_url
LEFT JOIN article_versions v
       ON v.url || '#' || v.text_sha256 = d.article_key
LEFT JOIN syndication s ON s.url = d.article_url
LEFT JOIN reviews r
       ON r.msg_key = d.msg_key AND r.article_url = d.article_url AND r.detail_key = d.detail_key;

COMMENT ON VIEW evidence_full IS 'The evidence view''s columns, in its order and with its values, then the keys and provenance a reviewer needs: what every export (foiatrace export evidence, bundle make) and review sheet reads. One row per disclosure (email message, article, detail, article sentence).';
COMMENT ON COLUMN evidence_full.bates IS 'Bates number of the email message; NULL when the production has none (use msg_key).';
COMMENT ON COLUMN evidence_full.message_id IS 'Message-ID of the email, without angle brackets; NULL when not shown.';
COMMENT ON COLUMN evidence_full.email_sent_at IS 'When the email was sent, UTC (messages.sent_at).';
COMMENT ON COLUMN evidence_full.email_from IS 'Sender address of the email, lower-case.';
COMMENT ON COLUMN evidence_full.email_to IS 'To: addresses of the email joined with ''; ''.';
COMMENT ON COLUMN evidence_full.email_quote IS 'The email sentence that carries the detail (from own text or an attachment).';
COMMENT ON COLUMN evidence_full.article_url IS 'Canonical URL of the article that printed the detail.';
COMMENT ON COLUMN evidence_full.outlet IS 'Outlet slug of the article (outlets file); NULL when the article row is gone.';
COMMENT ON COLUMN evidence_full.article_published_at IS 'When the article was first published, UTC; NULL when no date was found.';
COMMENT ON COLUMN evidence_full.article_quote IS 'The article sentence that prints the detail.';
COMMENT ON COLUMN evidence_full.detail_type IS 'Kind of detail: citizenship, immigration_status, criminal_history, identity, enforcement_action or other.';
COMMENT ON COLUMN evidence_full.shared_details IS 'Every normalized detail the two quotes share, joined with ''; '' (supporting dates and names included).';
COMMENT ON COLUMN evidence_full.score IS 'The matcher''s probability-like score of the (message, article) pair, 0 to 1, rounded to 4 places.';
COMMENT ON COLUMN evidence_full.lag_hours IS 'Hours from the email to the article (or its update that printed the detail), rounded to 0.1.';
COMMENT ON COLUMN evidence_full.syndicated_from IS 'URL of the original article when this one is a syndicated copy; NULL for originals.';
COMMENT ON COLUMN evidence_full.verdict IS 'Reviewer''s verdict (confirmed, rejected, unsure); NULL when not reviewed.';
COMMENT ON COLUMN evidence_full.lag_hours_min IS 'Smallest lag the email''s possible send times allow (equals lag_hours when the time is exact).';
COMMENT ON COLUMN evidence_full.lag_hours_max IS 'Largest lag the email''s possible send times allow (equals lag_hours when the time is exact).';
COMMENT ON COLUMN evidence_full.lag_uncertain IS 'TRUE when the lag''s range is wider than the lag: the order "said, then printed" is not settled by the production alone.';
COMMENT ON COLUMN evidence_full.detail_key IS 'Normalized detail, e.g. citizenship:peru: with msg_key and article_url the key of a review verdict.';
COMMENT ON COLUMN evidence_full.msg_key IS 'Stable key of the email message (production:Bates, or production:Message-ID): part of the review key.';
COMMENT ON COLUMN evidence_full.features IS 'JSON of the pair features the score was computed from (matching/score.py PAIR_FEATURES); exports explain them in words.';
COMMENT ON COLUMN evidence_full.production IS 'Production the email was released in (ingest --production).';
COMMENT ON COLUMN evidence_full.source_file IS 'Path of the production file the email was read from, as given to ingest (archive.zip!member inside an archive).';
COMMENT ON COLUMN evidence_full.source_sha256 IS 'sha256 of the whole source file as released.';
COMMENT ON COLUMN evidence_full.source_kind IS 'Reader that read the source file: eml, pdf, mbox, msg, pst, text ...';
COMMENT ON COLUMN evidence_full.page_start IS 'First page of the email in a printed source (1-based); NULL for EML and other mail files.';
COMMENT ON COLUMN evidence_full.page_end IS 'Last page of the email in a printed source; NULL for EML and other mail files.';
COMMENT ON COLUMN evidence_full.pages IS 'Page range of the email in a printed source, e.g. 12-13 (as messages.pages); NULL for mail files.';
COMMENT ON COLUMN evidence_full.email_cc IS 'Cc: addresses of the email joined with ''; ''; empty when none.';
COMMENT ON COLUMN evidence_full.email_subject IS 'Subject line of the email as decoded or printed.';
COMMENT ON COLUMN evidence_full.article_title IS 'Headline of the newest version of the article; NULL when none was found.';
COMMENT ON COLUMN evidence_full.article_sentence IS 'Index (0-based) of the article sentence that prints the detail: tells apart rows of one review key.';
COMMENT ON COLUMN evidence_full.article_key IS 'The article version matched: url#sha256 of its text.';
COMMENT ON COLUMN evidence_full.matcher_version IS 'Version of the matcher that found the disclosure (matching/score.py MATCHER_VERSION).';
COMMENT ON COLUMN evidence_full.warc_file IS 'WARC file (relative to the crawl archive directory) holding the response the matched version was extracted from; NULL when not archived.';
COMMENT ON COLUMN evidence_full.warc_record_id IS 'WARC-Record-ID of that response, e.g. <urn:uuid:...>; NULL when not archived.';
COMMENT ON COLUMN evidence_full.warc_sha256 IS 'Hex sha256 of the archived HTTP payload (the body as served); NULL when not archived.';
COMMENT ON COLUMN evidence_full.warc_offset IS 'Byte offset of the record''s gzip member in warc_file; NULL when not archived.';
COMMENT ON COLUMN evidence_full.reviewer IS 'Who recorded the verdict; NULL when not reviewed or not named.';
COMMENT ON COLUMN evidence_full.note IS 'The reviewer''s note, for the record; NULL when none.';
COMMENT ON COLUMN evidence_full.reviewed_at IS 'When the verdict was last recorded, UTC; NULL when not reviewed.';
