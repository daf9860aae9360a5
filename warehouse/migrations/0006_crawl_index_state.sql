-- Conditional re-crawls of sitemaps and feeds (issue 5): the HTTP validators of each
-- sitemap or feed and the entries parsed from its last 200, so that a 304 reuses them and
-- a nightly crawl of an unchanged site costs a few 304s.
CREATE TABLE crawl_index_state (
    url             VARCHAR PRIMARY KEY,   -- canonical URL of the sitemap or feed
    outlet          VARCHAR,
    kind            VARCHAR NOT NULL,      -- sitemap | feed
    etag            VARCHAR,
    last_modified   VARCHAR,               -- HTTP Last-Modified, verbatim
    entries         JSON,                  -- {"index": bool, "entries": [{url, published, modified, title}]}
    last_status     INTEGER,               -- 200, 304 ...
    last_changed_at TIMESTAMPTZ,           -- when entries were last parsed from a 200
    last_checked_at TIMESTAMPTZ NOT NULL
);
