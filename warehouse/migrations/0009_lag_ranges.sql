-- Lag ranges (issue 9). A printed message's time is read in its mailbox's zone; when more
-- than one zone stays within reach (foia/tzinfer.py), its instant is a range, and so is the
-- lag of any evidence measured from it. An evidence row whose lag is uncertain by more than
-- its size says so: the order "said, then printed" is not settled by the production alone.
ALTER TABLE emails ADD COLUMN sent_at_earliest TIMESTAMPTZ;  -- NULL: sent_at is exact
ALTER TABLE emails ADD COLUMN sent_at_latest TIMESTAMPTZ;
ALTER TABLE disclosures ADD COLUMN lag_hours_min DOUBLE;      -- from the latest send time
ALTER TABLE disclosures ADD COLUMN lag_hours_max DOUBLE;      -- from the earliest

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
    v.warc_sha256,
    round(coalesce(d.lag_hours_min, d.lag_hours), 1) AS lag_hours_min,
    round(coalesce(d.lag_hours_max, d.lag_hours), 1) AS lag_hours_max,
    -- the range is wider than the lag itself: the order may be the other way round
    coalesce(d.lag_hours_max - d.lag_hours_min > abs(d.lag_hours), FALSE) AS lag_uncertain
FROM disclosures d
JOIN emails e ON e.msg_key = d.msg_key
LEFT JOIN articles a ON a.url = d.article_url
LEFT JOIN article_versions v
       ON v.url || '#' || v.text_sha256 = d.article_key
LEFT JOIN syndication s ON s.url = d.article_url
LEFT JOIN reviews r
       ON r.msg_key = d.msg_key AND r.article_url = d.article_url AND r.detail_key = d.detail_key;
