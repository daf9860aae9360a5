-- The evidence table points at what a lawyer checks: syndicated copies grouped under their
-- original (the crawler's `syndication` groups), and the archived bytes of the article
-- version that was matched (WARC file, record id, payload sha256).

CREATE OR REPLACE VIEW evidence AS
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
    d.detail_key,
    d.msg_key,
    d.cosine,
    d.features,
    v.warc_file,
    v.warc_record_id,
    v.warc_sha256
FROM disclosures d
JOIN emails e ON e.msg_key = d.msg_key
LEFT JOIN articles a ON a.url = d.article_url
LEFT JOIN article_versions v
       ON v.url || '#' || v.text_sha256 = d.article_key
LEFT JOIN syndication s ON s.url = d.article_url
LEFT JOIN reviews r
       ON r.msg_key = d.msg_key AND r.article_url = d.article_url AND r.detail_key = d.detail_key;
