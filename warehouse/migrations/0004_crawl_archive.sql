-- Crawl provenance (issue 5): where each article version's bytes live in the WARC archive,
-- where its dates came from, the crawl state that makes re-crawls incremental, and
-- syndicated copies grouped under their original.

-- The archived response a version was extracted from: record id, sha256 of the payload as
-- archived, the WARC file (relative to the archive directory) and the record's offset.
ALTER TABLE article_versions ADD COLUMN warc_record_id VARCHAR;
ALTER TABLE article_versions ADD COLUMN warc_sha256 VARCHAR;
ALTER TABLE article_versions ADD COLUMN warc_file VARCHAR;
ALTER TABLE article_versions ADD COLUMN warc_offset BIGINT;
-- date_source says where published_at came from; modified_source the same for modified_at
-- (jsonld | meta | microdata | time | htmldate | sitemap | feed).
ALTER TABLE article_versions ADD COLUMN modified_source VARCHAR;
ALTER TABLE article_versions ADD COLUMN discovered_via VARCHAR;   -- sitemap | feed | listing | list

-- One row per canonical URL the crawler has fetched or checked: what the sitemap/feed said
-- last time and the HTTP validators for a conditional re-fetch. Survives killed runs
-- because it is written from the staged items, which are flushed line by line.
CREATE TABLE crawl_state (
    url                VARCHAR PRIMARY KEY,   -- canonical
    outlet             VARCHAR,
    discovered_lastmod TIMESTAMPTZ,           -- newest sitemap/feed date seen when fetched
    etag               VARCHAR,
    last_modified      VARCHAR,               -- HTTP Last-Modified, verbatim
    last_status        INTEGER,               -- 200, 304 ...
    text_sha256        VARCHAR,               -- the version the last 200 gave
    last_checked_at    TIMESTAMPTZ NOT NULL
);

-- Near-duplicate articles across outlets: each copy points at the earliest-published
-- member of its group. Originals have no row. The matcher reads original_url for the
-- evidence table's syndicated_from.
CREATE TABLE syndication (
    url          VARCHAR PRIMARY KEY,         -- canonical URL of the copy
    original_url VARCHAR NOT NULL,
    similarity   DOUBLE NOT NULL,             -- shingle containment of the copy in the original
    method       VARCHAR NOT NULL,
    detected_at  TIMESTAMPTZ NOT NULL
);
