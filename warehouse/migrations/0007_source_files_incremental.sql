-- Incremental intake (issue 9): a production's file is read once per reader version.
-- source_files was keyed by sha256 alone, so the same bytes in a second production were not
-- recorded there; now one row per (production, sha256), with the reader version key that
-- read it (foia/readers.py). Rows recorded before this have no version: read once more.
-- A file that gave only errors is recorded too, not complete: it is tried again each run
-- (OCR installed, a file replaced in place), and counted as retried.
CREATE TABLE source_files_v2 (
    production     VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    path           VARCHAR NOT NULL,          -- as given; archive.zip!member inside an archive
    kind           VARCHAR NOT NULL,          -- the reader's name: eml, pdf, text, zip ...
    size_bytes     BIGINT,
    reader_version VARCHAR,                   -- foia.readers.version_key; NULL: read again
    messages       INTEGER,                   -- records it gave (messages and withheld pages)
    errors         INTEGER,                   -- errors it gave (also in the errors table)
    complete       BOOLEAN,                   -- skipped next time; FALSE: only errors, retried
    ingested_at    TIMESTAMPTZ NOT NULL,      -- when it was last read
    PRIMARY KEY (production, sha256)
);
INSERT INTO source_files_v2
SELECT production, sha256, path, kind, size_bytes, NULL, NULL, NULL, NULL, ingested_at
FROM source_files;
DROP TABLE source_files;
ALTER TABLE source_files_v2 RENAME TO source_files;
