-- The views other tools rely on (DESIGN.md "Contracts"). Times are TIMESTAMPTZ; the
-- warehouse connection runs with TimeZone = 'UTC'.

CREATE OR REPLACE VIEW messages AS
SELECT
    e.msg_key,
    e.production,
    e.bates,
    e.bates_end,
    e.message_id,
    e.sent_at,
    e.email_from,
    e.email_to,
    e.email_cc,
    e.subject,
    e.own_text,
    coalesce(
        (SELECT list(r.code ORDER BY r.idx) FROM redactions r WHERE r.msg_key = e.msg_key),
        []::VARCHAR[]
    ) AS redactions,
    e.source_file,
    CASE WHEN e.page_start IS NULL THEN NULL
         ELSE e.page_start::VARCHAR || '-' || e.page_end::VARCHAR END AS pages,
    e.withheld,
    e.withheld_exemption,
    e.source_kind,
    e.source_sha256
FROM emails e;

-- The newest version of each article (by fetch time); older versions stay in article_versions.
CREATE OR REPLACE VIEW articles AS
SELECT url, outlet, title, published_at, modified_at, text,
       text_sha256, html_sha256, fetched_url, authors, section, date_source,
       last_fetched_at AS fetched_at
FROM article_versions
QUALIFY row_number() OVER (PARTITION BY url ORDER BY last_fetched_at DESC, text_sha256) = 1;

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
    d.syndicated_from,
    r.verdict,
    d.detail_key,
    d.msg_key,
    d.cosine,
    d.features
FROM disclosures d
JOIN emails e ON e.msg_key = d.msg_key
LEFT JOIN articles a ON a.url = d.article_url
LEFT JOIN reviews r
       ON r.msg_key = d.msg_key AND r.article_url = d.article_url AND r.detail_key = d.detail_key;
