-- Core tables. Every table is keyed by a stable id so that a step re-run upserts
-- instead of duplicating (DESIGN.md "Idempotent steps").

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    step        VARCHAR NOT NULL,          -- ingest | crawl | match | export
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,          -- running | ok | failed
    stats       JSON
);

-- Bad input, named and explained; one row per (step, source, reason), counted over runs.
CREATE TABLE errors (
    step          VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,        -- file path or URL
    reason        VARCHAR NOT NULL,
    detail        VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    last_run_id   VARCHAR,
    times_seen    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (step, source, reason)
);

-- One row per production file ingested (provenance: its bytes' sha256).
CREATE TABLE source_files (
    sha256      VARCHAR PRIMARY KEY,
    path        VARCHAR NOT NULL,
    production  VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    size_bytes  BIGINT,
    ingested_at TIMESTAMPTZ NOT NULL
);

-- One row per email message (or withheld-in-full placeholder) of a production.
-- msg_key = production + Bates when there is one, else Message-ID, else a content hash.
CREATE TABLE emails (
    msg_key            VARCHAR PRIMARY KEY,
    production         VARCHAR NOT NULL,
    bates              VARCHAR,
    bates_end          VARCHAR,
    page_start         INTEGER,
    page_end           INTEGER,
    message_id         VARCHAR,
    in_reply_to        VARCHAR,
    "references"       VARCHAR[],
    sent_at            TIMESTAMPTZ,
    sent_at_raw        VARCHAR,
    email_from         VARCHAR,
    from_name          VARCHAR,
    email_to           VARCHAR[],
    email_cc           VARCHAR[],
    subject            VARCHAR,
    body               VARCHAR,
    own_text           VARCHAR,
    signature          VARCHAR,
    disclaimer         VARCHAR,
    withheld           BOOLEAN NOT NULL DEFAULT FALSE,
    withheld_exemption VARCHAR,
    source_file        VARCHAR,
    source_sha256      VARCHAR,
    source_kind        VARCHAR,
    text_sha256        VARCHAR NOT NULL,   -- of own_text: unchanged text is not re-matched
    record_sha256      VARCHAR NOT NULL,   -- of every parsed field: a corrected re-release shows
    ingested_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE quoted_blocks (
    msg_key        VARCHAR NOT NULL,
    idx            INTEGER NOT NULL,
    style          VARCHAR,
    text           VARCHAR,
    header_from    VARCHAR,
    header_sent    VARCHAR,
    header_subject VARCHAR,
    start_offset   INTEGER,
    end_offset     INTEGER,
    PRIMARY KEY (msg_key, idx)
);

CREATE TABLE redactions (
    msg_key      VARCHAR NOT NULL,
    idx          INTEGER NOT NULL,
    code         VARCHAR NOT NULL,
    start_offset INTEGER,
    end_offset   INTEGER,
    PRIMARY KEY (msg_key, idx)
);

-- Every distinct text of an article is kept as its own version: an update never overwrites.
CREATE TABLE article_versions (
    url          VARCHAR NOT NULL,         -- canonical
    text_sha256  VARCHAR NOT NULL,
    outlet       VARCHAR,
    fetched_url  VARCHAR,
    title        VARCHAR,
    published_at TIMESTAMPTZ,
    modified_at  TIMESTAMPTZ,
    date_source  VARCHAR,
    text         VARCHAR,
    authors      VARCHAR[],
    section      VARCHAR,
    html_sha256  VARCHAR,
    http_status  INTEGER,
    first_fetched_at TIMESTAMPTZ NOT NULL,
    last_fetched_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (url, text_sha256)
);

-- Sentences of emails (own text only) and article versions.
CREATE TABLE segments (
    doc_kind    VARCHAR NOT NULL,          -- email | article
    doc_key     VARCHAR NOT NULL,          -- msg_key, or url || '#' || text_sha256
    idx         INTEGER NOT NULL,
    para_idx    INTEGER NOT NULL,
    text        VARCHAR NOT NULL,
    text_sha256 VARCHAR NOT NULL,
    PRIMARY KEY (doc_kind, doc_key, idx)
);

-- Embedding cache: the same sentence is embedded once per model, wherever it occurs.
CREATE TABLE embeddings (
    model       VARCHAR NOT NULL,
    text_sha256 VARCHAR NOT NULL,
    vector      FLOAT[] NOT NULL,
    PRIMARY KEY (model, text_sha256)
);

-- Which (message, article version) pairs a matcher version has already weighed.
CREATE TABLE matched_pairs (
    msg_key         VARCHAR NOT NULL,
    article_key     VARCHAR NOT NULL,
    matcher_version VARCHAR NOT NULL,
    matched_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (msg_key, article_key, matcher_version)
);

-- A disclosure: (email message, article, detail) with its best quotes and features.
CREATE TABLE disclosures (
    msg_key          VARCHAR NOT NULL,
    article_url      VARCHAR NOT NULL,
    detail_key       VARCHAR NOT NULL,     -- normalized detail, e.g. citizenship:ireland
    article_sentence INTEGER NOT NULL,     -- which sentence of the article prints it
    detail_type      VARCHAR NOT NULL,
    article_key      VARCHAR NOT NULL,     -- the article version matched
    email_quote      VARCHAR,
    article_quote    VARCHAR,
    shared_details   VARCHAR[],
    score            DOUBLE NOT NULL,
    cosine           DOUBLE,
    lag_hours        DOUBLE,
    syndicated_from  VARCHAR,
    features         JSON,
    matcher_version  VARCHAR NOT NULL,
    matched_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (msg_key, article_url, detail_key, article_sentence)
);

-- Reviewers' verdicts live apart from the matcher's output, so re-runs never touch them.
CREATE TABLE reviews (
    msg_key     VARCHAR NOT NULL,
    article_url VARCHAR NOT NULL,
    detail_key  VARCHAR NOT NULL,
    verdict     VARCHAR NOT NULL,          -- confirmed | rejected | unsure
    reviewer    VARCHAR,
    note        VARCHAR,
    reviewed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (msg_key, article_url, detail_key)
);
