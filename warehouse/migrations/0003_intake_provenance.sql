-- Intake of real productions (issue 3): how printed times were placed in a zone, whose
-- mailbox a page was printed from, repeated copies, State-style exemption codes, and each
-- quoted block's link to the message of the production that first wrote it.

ALTER TABLE emails ADD COLUMN mailbox_owner VARCHAR;
ALTER TABLE emails ADD COLUMN sent_tz VARCHAR;
ALTER TABLE emails ADD COLUMN sent_tz_confidence DOUBLE;   -- 0-1; see foia/tzinfer.py
ALTER TABLE emails ADD COLUMN sent_tz_basis VARCHAR;       -- the evidence, in words
ALTER TABLE emails ADD COLUMN production_ref VARCHAR;      -- footer/stamp reference line
ALTER TABLE emails ADD COLUMN duplicate_of VARCHAR;        -- Bates of an earlier copy
ALTER TABLE emails ADD COLUMN exemptions VARCHAR[];        -- banner/margin codes (B6, B1 1.4(D))
ALTER TABLE emails ADD COLUMN source_position INTEGER;     -- message number in a mailbox file

ALTER TABLE quoted_blocks ADD COLUMN origin_msg_key VARCHAR;
ALTER TABLE quoted_blocks ADD COLUMN origin_bates VARCHAR;
ALTER TABLE quoted_blocks ADD COLUMN origin_message_id VARCHAR;
ALTER TABLE quoted_blocks ADD COLUMN origin_score DOUBLE;

-- The contract columns first, unchanged; intake provenance after them.
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
    e.source_sha256,
    e.sent_tz,
    e.sent_tz_confidence,
    e.sent_tz_basis,
    e.mailbox_owner,
    e.duplicate_of,
    coalesce(e.exemptions, []::VARCHAR[]) AS exemptions,
    e.production_ref,
    e.source_position
FROM emails e;

-- One row per quoted block with the message it was linked to (NULL: not in the production).
CREATE OR REPLACE VIEW quoted_origins AS
SELECT q.msg_key, e.bates, q.idx, q.style, q.header_from, q.header_sent, q.header_subject,
       q.origin_msg_key, q.origin_bates, q.origin_message_id, q.origin_score, q.text
FROM quoted_blocks q JOIN emails e ON e.msg_key = q.msg_key;
