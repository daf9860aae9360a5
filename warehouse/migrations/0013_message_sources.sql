-- Nothing lost under a shared key (issue 11): a message's Bates number or Message-ID is its
-- key, so a second source with the same key used to overwrite the first silently (a PDF
-- printout replaced the .eml it was printed from; two different messages sharing a Bates
-- number became one). Now a second source of the same message is kept here as a copy, and a
-- different message under a taken key is stored under a key of its own and recorded here
-- (and in errors) as a conflict. See warehouse/emails.py message_key.
CREATE TABLE message_sources (
    production      VARCHAR NOT NULL,
    msg_key         VARCHAR NOT NULL,
    relation        VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    source_sha256   VARCHAR NOT NULL,
    source_kind     VARCHAR,
    position        INTEGER NOT NULL,
    other_key       VARCHAR,
    note            VARCHAR,
    run_id          VARCHAR,
    ingested_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (production, source_sha256, position, relation)
);
COMMENT ON TABLE message_sources IS 'Sources that share a message''s key (Bates number or Message-ID) with the message stored under it: a copy of the same message from another file (the PDF printout of an .eml, a message in two mailbox folders), kept as provenance instead of a second row or an overwrite; or a conflict, a different message that carried the same key and is stored under a key of its own (other_key). One row per (production, source file, position, relation).';
COMMENT ON COLUMN message_sources.production IS 'Production the message and the source belong to.';
COMMENT ON COLUMN message_sources.msg_key IS 'The emails row that holds the shared key (the richer copy, or the first message that carried the key).';
COMMENT ON COLUMN message_sources.relation IS 'copy: the same message (same key, sender''s text and time modulo printing), not stored twice; conflict: a different message under the same key, stored under other_key.';
COMMENT ON COLUMN message_sources.source_file IS 'The other source: file path as given to ingest (archive.zip!member inside an archive).';
COMMENT ON COLUMN message_sources.source_sha256 IS 'sha256 of the other source file''s bytes.';
COMMENT ON COLUMN message_sources.source_kind IS 'Reader of the other source: eml, pdf, ocr, mbox, msg, pst, txt.';
COMMENT ON COLUMN message_sources.position IS 'Where in its file the other source''s message is: first page in a PDF, message number in a mailbox, 0 for a one-message file.';
COMMENT ON COLUMN message_sources.other_key IS 'conflict: the msg_key the different message is stored under (the shared key with a ~ suffix of its source''s sha256 and position); copy: NULL.';
COMMENT ON COLUMN message_sources.note IS 'What was found, in words (e.g. same Bates as another file, different text).';
COMMENT ON COLUMN message_sources.run_id IS 'The ingest run that found it (runs.run_id).';
COMMENT ON COLUMN message_sources.ingested_at IS 'When it was recorded (last time, if found again).';
