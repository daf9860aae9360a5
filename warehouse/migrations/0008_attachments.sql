-- Attachments of email messages (issue 9): press offices send statements and fact sheets
-- as attached PDF, DOCX or text files. One row per attachment, in the message's order, with
-- its provenance (file name, sha256 of its bytes) and the text read from it; the matcher
-- reads that text as the message's own (foiatrace/pipeline.py load_email_docs).
-- Written with the message's row (warehouse/emails.py): replaced with it, never duplicated.
CREATE TABLE attachments (
    msg_key      VARCHAR NOT NULL,
    idx          INTEGER NOT NULL,            -- 0-based place among the message's attachments
    filename     VARCHAR,
    content_type VARCHAR,
    sha256       VARCHAR,                     -- of the attachment's bytes ('' when none read)
    size         BIGINT,                      -- bytes
    text         VARCHAR,                     -- NULL: type not read, too large or broken
    error        VARCHAR,                     -- why no (or not all) text was read
    PRIMARY KEY (msg_key, idx)
);

-- Attachments beside their message's Bates number and Message-ID.
CREATE OR REPLACE VIEW message_attachments AS
SELECT a.msg_key, e.production, e.bates, e.message_id, a.idx, a.filename, a.content_type,
       a.sha256, a.size, a.text, a.error
FROM attachments a JOIN emails e ON e.msg_key = a.msg_key;
