-- Documented schema (issue 10): every table, view and column says what it holds, in what
-- unit, and what NULL means. docs/schema.md is generated from these comments
-- (python -m warehouse.schema_doc --write) and tests/test_docs_schema.py checks that every
-- object has one. DuckDB drops a view's comments when CREATE OR REPLACE VIEW redefines it,
-- and a new column or table starts without one: a later migration that adds or redefines an
-- object must COMMENT ON it too. All times are TIMESTAMPTZ, shown in UTC.

-- == views: what researchers query ===========================================================

COMMENT ON VIEW messages IS 'Contract view: one row per email message (or withheld-in-full placeholder page) of every production ingested, with its redaction codes and intake provenance. Start here for questions about emails.';
COMMENT ON COLUMN messages.msg_key IS 'Stable key of the message: production:Bates when it has a Bates number, else production:<Message-ID>, else production:file hash:position. Joins evidence, disclosures, attachments.';
COMMENT ON COLUMN messages.production IS 'Name given to the production at ingest (foiatrace ingest --production).';
COMMENT ON COLUMN messages.bates IS 'Bates number of the first page (X-Bates header or page footer); NULL when the production has none.';
COMMENT ON COLUMN messages.bates_end IS 'Bates number of the last page (printed productions); equals bates for single-record sources.';
COMMENT ON COLUMN messages.message_id IS 'RFC 5322 Message-ID without angle brackets; NULL when not shown (most printed productions).';
COMMENT ON COLUMN messages.sent_at IS 'When the message was sent, UTC. A printed time is placed in a zone (see sent_tz); NULL when no date could be read.';
COMMENT ON COLUMN messages.email_from IS 'Sender address, lower-case (the name when no address is shown): the press officer for an agency reply.';
COMMENT ON COLUMN messages.email_to IS 'To: addresses, lower-case, in header order; empty list when none.';
COMMENT ON COLUMN messages.email_cc IS 'Cc: addresses, lower-case; empty list when none.';
COMMENT ON COLUMN messages.subject IS 'Subject line as decoded or printed.';
COMMENT ON COLUMN messages.own_text IS 'The sender''s own words: body without quoted earlier messages, signature or disclaimer. This (and attachment text) is what the matcher compares with articles.';
COMMENT ON COLUMN messages.redactions IS 'Redaction codes printed in subject or body, in order, e.g. (b)(6), (b)(7)(C); empty list when none.';
COMMENT ON COLUMN messages.source_file IS 'Path of the production file the message was read from, as given to ingest (archive.zip!member inside an archive).';
COMMENT ON COLUMN messages.pages IS 'Page range in a printed source, e.g. 12-13; NULL for EML and other mail files.';
COMMENT ON COLUMN messages.withheld IS 'TRUE for a Withheld in Full placeholder page: the message exists but its text was not released.';
COMMENT ON COLUMN messages.withheld_exemption IS 'Exemption cited on a withheld-in-full page, e.g. (b)(5); NULL otherwise.';
COMMENT ON COLUMN messages.source_kind IS 'Format of the source: eml, pdf, mbox, msg, pst or txt (a plain-text release).';
COMMENT ON COLUMN messages.source_sha256 IS 'sha256 of the whole source file: provenance, to check the message against the released bytes.';
COMMENT ON COLUMN messages.sent_tz IS 'Zone a printed wall-clock Sent time was read in (IANA name or fixed offset); NULL when the source carried its own offset (an EML Date header).';
COMMENT ON COLUMN messages.sent_tz_confidence IS 'Confidence in sent_tz, 0 to 1 (foia/tzinfer.py); NULL when no zone had to be inferred.';
COMMENT ON COLUMN messages.sent_tz_basis IS 'The evidence for sent_tz, in words; NULL when no zone had to be inferred.';
COMMENT ON COLUMN messages.mailbox_owner IS 'Whose mailbox a printed page came from (its header line); NULL when not printed.';
COMMENT ON COLUMN messages.duplicate_of IS 'Bates of an earlier copy of the same message in the production; NULL for a first copy. Count only rows where this is NULL to avoid double counting.';
COMMENT ON COLUMN messages.exemptions IS 'Banner or margin exemption codes of State-style productions, e.g. B6, B1 1.4(D); empty list when none.';
COMMENT ON COLUMN messages.production_ref IS 'The production''s reference line from a page footer or stamp; NULL when none.';
COMMENT ON COLUMN messages.source_position IS '1-based message number inside its source file (MBOX, PST); NULL or 1 for one-message files.';

COMMENT ON VIEW articles IS 'Contract view: the newest version (by fetch time) of each article, one row per canonical URL. Older texts stay in article_versions.';
COMMENT ON COLUMN articles.url IS 'Canonical URL of the article: the key, joins evidence.article_url and article_versions.url.';
COMMENT ON COLUMN articles.outlet IS 'Outlet name as configured in outlets.toml.';
COMMENT ON COLUMN articles.title IS 'Headline as extracted from the page.';
COMMENT ON COLUMN articles.published_at IS 'First publication time, UTC; NULL when the page and its sitemap or feed gave none. See date_source.';
COMMENT ON COLUMN articles.modified_at IS 'Last update time the page or sitemap gave, UTC; NULL when none. An article published before an email can still print it in an update after it.';
COMMENT ON COLUMN articles.text IS 'Body text extracted from the page (boilerplate removed).';
COMMENT ON COLUMN articles.text_sha256 IS 'sha256 of text: identifies this version in article_versions.';
COMMENT ON COLUMN articles.html_sha256 IS 'sha256 of the fetched HTML bytes.';
COMMENT ON COLUMN articles.fetched_url IS 'URL actually fetched (before canonicalisation; may differ from url).';
COMMENT ON COLUMN articles.authors IS 'Bylines, in page order; empty list when none was found.';
COMMENT ON COLUMN articles.section IS 'Section or desk the page names; NULL when none.';
COMMENT ON COLUMN articles.date_source IS 'Where published_at came from: jsonld, meta, microdata, time, htmldate, sitemap or feed.';
COMMENT ON COLUMN articles.fetched_at IS 'When this version was last fetched, UTC.';

COMMENT ON VIEW evidence IS 'Contract view: one row per disclosure (email message, article, shared detail, article sentence) with both quotes, score, lag, syndication, archived bytes and the reviewer''s verdict. What exports and reviewers read; export keeps rows with score at or above the shipped threshold (matching/weights.json).';
COMMENT ON COLUMN evidence.bates IS 'Bates number of the email message; NULL when the production has none (use msg_key).';
COMMENT ON COLUMN evidence.message_id IS 'Message-ID of the email, without angle brackets; NULL when not shown.';
COMMENT ON COLUMN evidence.email_sent_at IS 'When the email was sent, UTC (messages.sent_at).';
COMMENT ON COLUMN evidence.email_from IS 'Sender address of the email, lower-case.';
COMMENT ON COLUMN evidence.email_to IS 'To: addresses of the email joined with ''; ''.';
COMMENT ON COLUMN evidence.email_quote IS 'The email sentence that carries the detail (from own text or an attachment).';
COMMENT ON COLUMN evidence.article_url IS 'Canonical URL of the article that prints the detail.';
COMMENT ON COLUMN evidence.outlet IS 'Outlet of the article (articles.outlet); NULL if the article is no longer in articles.';
COMMENT ON COLUMN evidence.article_published_at IS 'Publication time of the article, UTC. Earlier than email_sent_at when the detail was printed in an update (see lag_hours).';
COMMENT ON COLUMN evidence.article_quote IS 'The article sentence that prints the detail, verbatim from the matched version.';
COMMENT ON COLUMN evidence.detail_type IS 'Kind of detail shared: citizenship, immigration_status, criminal_history, identity, enforcement_action or other.';
COMMENT ON COLUMN evidence.shared_details IS 'Every normalized detail the two sentences share, joined with ''; '' (e.g. citizenship:ireland; date:2019-06-12).';
COMMENT ON COLUMN evidence.score IS 'Probability, 0 to 1 rounded to 4 places, that the article printed what the message disclosed; one value per (message, article version) pair. Compare with the shipped threshold (foiatrace export without --min-score).';
COMMENT ON COLUMN evidence.lag_hours IS 'Hours from the email to the article''s publication, or to its update when it was published before the email; rounded to 0.1.';
COMMENT ON COLUMN evidence.syndicated_from IS 'For a syndicated copy, the canonical URL of the original it copies (syndication.original_url); NULL for originals.';
COMMENT ON COLUMN evidence.verdict IS 'Reviewer''s verdict: confirmed, rejected or unsure; NULL when not reviewed yet.';
COMMENT ON COLUMN evidence.detail_key IS 'Normalized detail, e.g. citizenship:ireland; with msg_key and article_url, the key a review is recorded under.';
COMMENT ON COLUMN evidence.msg_key IS 'Key of the email message (messages.msg_key).';
COMMENT ON COLUMN evidence.cosine IS 'Embedding cosine similarity of email_quote and article_quote, -1 to 1.';
COMMENT ON COLUMN evidence.features IS 'JSON object of the pair features the score was computed from (n_details, best_cosine, to_outlet, public_before, lag_days ...; matching/score.py PAIR_FEATURES).';
COMMENT ON COLUMN evidence.warc_file IS 'WARC file holding the archived response of the matched article version, relative to the archive directory (archive/ beside the warehouse).';
COMMENT ON COLUMN evidence.warc_record_id IS 'WARC-Record-ID of that archived response.';
COMMENT ON COLUMN evidence.warc_sha256 IS 'sha256 of that response''s payload as archived.';
COMMENT ON COLUMN evidence.lag_hours_min IS 'Smallest lag the message''s possible send times allow, hours rounded to 0.1; equals lag_hours when the send time is exact.';
COMMENT ON COLUMN evidence.lag_hours_max IS 'Largest lag the message''s possible send times allow, hours rounded to 0.1; equals lag_hours when the send time is exact.';
COMMENT ON COLUMN evidence.lag_uncertain IS 'TRUE when the lag range is wider than the lag itself: the production alone does not settle that the email came first.';

COMMENT ON VIEW message_attachments IS 'Attachments beside their message''s production, Bates number and Message-ID: one row per attachment.';
COMMENT ON COLUMN message_attachments.msg_key IS 'Key of the message the file was attached to (messages.msg_key).';
COMMENT ON COLUMN message_attachments.production IS 'Production of that message.';
COMMENT ON COLUMN message_attachments.bates IS 'Bates number of that message; NULL when none.';
COMMENT ON COLUMN message_attachments.message_id IS 'Message-ID of that message; NULL when not shown.';
COMMENT ON COLUMN message_attachments.idx IS '0-based place among the message''s attachments.';
COMMENT ON COLUMN message_attachments.filename IS 'Attachment file name as declared; NULL when none.';
COMMENT ON COLUMN message_attachments.content_type IS 'MIME type as declared, or guessed from the file name.';
COMMENT ON COLUMN message_attachments.sha256 IS 'sha256 of the attachment''s bytes; empty string when no bytes were read.';
COMMENT ON COLUMN message_attachments.size IS 'Size of the attachment in bytes.';
COMMENT ON COLUMN message_attachments.text IS 'Text read from the attachment, matched as part of the message; NULL when the type is not read, too large or broken.';
COMMENT ON COLUMN message_attachments.error IS 'Why no (or not all) text was read; NULL when it was read.';

COMMENT ON VIEW quoted_origins IS 'Quoted earlier messages inside each message, with the message of the production that first wrote them (NULL origin: not in the production).';
COMMENT ON COLUMN quoted_origins.msg_key IS 'Key of the message that quotes.';
COMMENT ON COLUMN quoted_origins.bates IS 'Bates number of the message that quotes; NULL when none.';
COMMENT ON COLUMN quoted_origins.idx IS '0-based place of the quoted block in that message.';
COMMENT ON COLUMN quoted_origins.style IS 'How the block was quoted: gmail, apple, outlook, original_message, forward or prefixed.';
COMMENT ON COLUMN quoted_origins.header_from IS 'Sender in the quote header (address, or name when no address is shown); NULL when none.';
COMMENT ON COLUMN quoted_origins.header_sent IS 'Date in the quote header, as printed (not parsed); NULL when none.';
COMMENT ON COLUMN quoted_origins.header_subject IS 'Subject in the quote header; NULL when none.';
COMMENT ON COLUMN quoted_origins.origin_msg_key IS 'Key of the production''s message that first wrote this text; NULL when none was found.';
COMMENT ON COLUMN quoted_origins.origin_bates IS 'Bates number of that origin message; NULL when none was found or it has none.';
COMMENT ON COLUMN quoted_origins.origin_message_id IS 'Message-ID of that origin message; NULL when none was found or not shown.';
COMMENT ON COLUMN quoted_origins.origin_score IS 'How well the block matched the origin''s own text, 0 to 1; NULL when not linked.';
COMMENT ON COLUMN quoted_origins.text IS 'The quoted message''s text, quote prefixes removed.';

-- == tables ==================================================================================

COMMENT ON TABLE schema_migrations IS 'Internal: the migrations applied to this warehouse file (warehouse/migrations), so an old file is upgraded in place.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number, the NNNN of NNNN_name.sql.';
COMMENT ON COLUMN schema_migrations.name IS 'Migration name, the name part of NNNN_name.sql.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied to this file, UTC.';

COMMENT ON TABLE runs IS 'One row per pipeline step run (ingest, crawl, match, export), with its counts: when the warehouse was last refreshed and what each run did.';
COMMENT ON COLUMN runs.run_id IS 'Run id: step-YYYYMMDDTHHMMSS-random; errors.last_run_id points here.';
COMMENT ON COLUMN runs.step IS 'Step run: ingest, crawl, match or export.';
COMMENT ON COLUMN runs.started_at IS 'When the run started, UTC.';
COMMENT ON COLUMN runs.finished_at IS 'When it finished, UTC; NULL while running, or when the run was killed (interrupted).';
COMMENT ON COLUMN runs.status IS 'running, ok, failed, or interrupted (killed; marked so by a later crawl run). A running row with no finished_at may be a killed run.';
COMMENT ON COLUMN runs.stats IS 'JSON counts of the run (messages, new_versions, pairs_weighed, disclosures ...), the exception of a failed run, or who noticed an interrupted one.';

COMMENT ON TABLE errors IS 'Bad input, named and explained: one row per (step, source, reason), counted over runs. A run goes on past bad input; this is where it is recorded.';
COMMENT ON COLUMN errors.step IS 'Step that met it: ingest or crawl.';
COMMENT ON COLUMN errors.source IS 'File path (ingest) or URL (crawl) concerned.';
COMMENT ON COLUMN errors.reason IS 'Short reason, e.g. unreadable PDF or HTTP 404.';
COMMENT ON COLUMN errors.detail IS 'Longer detail (exception text); may be empty.';
COMMENT ON COLUMN errors.first_seen_at IS 'When it was first recorded, UTC.';
COMMENT ON COLUMN errors.last_seen_at IS 'When it was last recorded, UTC.';
COMMENT ON COLUMN errors.last_run_id IS 'runs.run_id of the run that last met it; NULL when recorded outside a run.';
COMMENT ON COLUMN errors.times_seen IS 'How many runs met it.';

COMMENT ON TABLE source_files IS 'One row per (production, file) ingested, with the reader version that read it: an incremental ingest skips complete files and retries those that gave only errors.';
COMMENT ON COLUMN source_files.production IS 'Production the file was ingested into.';
COMMENT ON COLUMN source_files.sha256 IS 'sha256 of the file''s bytes (messages.source_sha256).';
COMMENT ON COLUMN source_files.path IS 'Path as given to ingest; archive.zip!member inside an archive.';
COMMENT ON COLUMN source_files.kind IS 'Reader that read it: eml, pdf, text, zip, mbox, msg, pst ...';
COMMENT ON COLUMN source_files.size_bytes IS 'File size in bytes.';
COMMENT ON COLUMN source_files.reader_version IS 'foia.readers version key of the reader; NULL: recorded before versions were kept, read again next time.';
COMMENT ON COLUMN source_files.messages IS 'Records it gave (messages and withheld pages); NULL for rows recorded before counts were kept.';
COMMENT ON COLUMN source_files.errors IS 'Errors it gave (also in the errors table); NULL for rows recorded before counts were kept.';
COMMENT ON COLUMN source_files.complete IS 'TRUE: skipped next time. FALSE: it gave only errors and is retried each run. NULL: old row, read again.';
COMMENT ON COLUMN source_files.ingested_at IS 'When it was last read, UTC.';

COMMENT ON TABLE emails IS 'One row per email message (or withheld-in-full placeholder) of a production, every parsed field kept; the messages view is the stable subset to query. A corrected re-release replaces the row.';
COMMENT ON COLUMN emails.msg_key IS 'Stable key: production:Bates when there is one, else production:<Message-ID>, else production:file hash:position.';
COMMENT ON COLUMN emails.production IS 'Name given to the production at ingest.';
COMMENT ON COLUMN emails.bates IS 'Bates number of the first page; NULL when none.';
COMMENT ON COLUMN emails.bates_end IS 'Bates number of the last page (printed productions); equals bates for EML.';
COMMENT ON COLUMN emails.page_start IS '1-based first page in a PDF source; NULL for mail files.';
COMMENT ON COLUMN emails.page_end IS '1-based last page in a PDF source; NULL for mail files.';
COMMENT ON COLUMN emails.message_id IS 'Message-ID without angle brackets; NULL when not shown.';
COMMENT ON COLUMN emails.in_reply_to IS 'In-Reply-To Message-ID; NULL when none.';
COMMENT ON COLUMN emails."references" IS 'References header Message-IDs, oldest first; empty or NULL when none.';
COMMENT ON COLUMN emails.sent_at IS 'When it was sent, UTC; NULL when no date could be read. A printed time is placed in a zone (sent_tz); see sent_at_earliest and sent_at_latest for its range.';
COMMENT ON COLUMN emails.sent_at_raw IS 'The date as printed or in the Date header, verbatim.';
COMMENT ON COLUMN emails.email_from IS 'Sender address, lower-case (the name when no address is known).';
COMMENT ON COLUMN emails.from_name IS 'Sender display name; NULL when none.';
COMMENT ON COLUMN emails.email_to IS 'To: addresses, lower-case.';
COMMENT ON COLUMN emails.email_cc IS 'Cc: addresses, lower-case.';
COMMENT ON COLUMN emails.subject IS 'Subject line.';
COMMENT ON COLUMN emails.body IS 'Full decoded text body, quoted chain included.';
COMMENT ON COLUMN emails.own_text IS 'The sender''s own words: no quotes, signature or disclaimer. What the matcher reads.';
COMMENT ON COLUMN emails.signature IS 'Signature block split off the body; empty when none.';
COMMENT ON COLUMN emails.disclaimer IS 'Legal disclaimer split off the body; empty when none.';
COMMENT ON COLUMN emails.withheld IS 'TRUE for a Withheld in Full placeholder page.';
COMMENT ON COLUMN emails.withheld_exemption IS 'Exemption cited on a withheld-in-full page; NULL otherwise.';
COMMENT ON COLUMN emails.source_file IS 'Path of the source file as given to ingest.';
COMMENT ON COLUMN emails.source_sha256 IS 'sha256 of the whole source file.';
COMMENT ON COLUMN emails.source_kind IS 'Format of the source: eml, pdf, mbox, msg, pst or txt (a plain-text release).';
COMMENT ON COLUMN emails.text_sha256 IS 'sha256 of own_text: unchanged text is not matched again.';
COMMENT ON COLUMN emails.record_sha256 IS 'sha256 of every parsed field: a corrected re-release shows as a changed record.';
COMMENT ON COLUMN emails.ingested_at IS 'When this row was written, UTC.';
COMMENT ON COLUMN emails.mailbox_owner IS 'Whose mailbox a printed page came from; NULL when not printed.';
COMMENT ON COLUMN emails.sent_tz IS 'Zone a printed wall-clock time was read in; NULL when the source carried its own offset.';
COMMENT ON COLUMN emails.sent_tz_confidence IS 'Confidence in sent_tz, 0 to 1; NULL when no zone was inferred.';
COMMENT ON COLUMN emails.sent_tz_basis IS 'The evidence for sent_tz, in words; NULL when no zone was inferred.';
COMMENT ON COLUMN emails.production_ref IS 'The production''s reference line (page footer or stamp); NULL when none.';
COMMENT ON COLUMN emails.duplicate_of IS 'Bates of an earlier copy of the same message; NULL for a first copy.';
COMMENT ON COLUMN emails.exemptions IS 'Banner or margin exemption codes (State style, e.g. B6); empty or NULL when none.';
COMMENT ON COLUMN emails.source_position IS '1-based message number inside its source file (MBOX, PST); NULL or 1 for one-message files.';
COMMENT ON COLUMN emails.sent_at_earliest IS 'Earliest instant the zones still within reach give a printed time, UTC; NULL: sent_at is exact as far as the production tells.';
COMMENT ON COLUMN emails.sent_at_latest IS 'Latest such instant, UTC; NULL: sent_at is exact.';

COMMENT ON TABLE quoted_blocks IS 'Earlier messages carried inside a message (> quotes, Outlook blocks, forwards), with the production message each was linked to. quoted_origins adds the quoting message''s Bates.';
COMMENT ON COLUMN quoted_blocks.msg_key IS 'Key of the message that quotes (emails.msg_key).';
COMMENT ON COLUMN quoted_blocks.idx IS '0-based place of the block in that message.';
COMMENT ON COLUMN quoted_blocks.style IS 'gmail, apple, outlook, original_message, forward or prefixed.';
COMMENT ON COLUMN quoted_blocks.text IS 'The quoted message''s text, quote prefixes removed.';
COMMENT ON COLUMN quoted_blocks.header_from IS 'Sender in the quote header; NULL when none.';
COMMENT ON COLUMN quoted_blocks.header_sent IS 'Date in the quote header, as printed; NULL when none.';
COMMENT ON COLUMN quoted_blocks.header_subject IS 'Subject in the quote header; NULL when none.';
COMMENT ON COLUMN quoted_blocks.start_offset IS 'Character offset where the block (header included) starts in emails.body.';
COMMENT ON COLUMN quoted_blocks.end_offset IS 'Character offset where it ends in emails.body (exclusive).';
COMMENT ON COLUMN quoted_blocks.origin_msg_key IS 'Key of the production message that first wrote this text; NULL when not found.';
COMMENT ON COLUMN quoted_blocks.origin_bates IS 'Bates number of that origin; NULL when not found or none.';
COMMENT ON COLUMN quoted_blocks.origin_message_id IS 'Message-ID of that origin; NULL when not found or not shown.';
COMMENT ON COLUMN quoted_blocks.origin_score IS 'How well the block matched the origin''s own text, 0 to 1; NULL when not linked.';

COMMENT ON TABLE redactions IS 'Redaction markers printed in a message (subject and body), one row each; messages.redactions lists their codes.';
COMMENT ON COLUMN redactions.msg_key IS 'Key of the message (emails.msg_key).';
COMMENT ON COLUMN redactions.idx IS '0-based place of the marker in the message.';
COMMENT ON COLUMN redactions.code IS 'Normalized exemption code, e.g. (b)(6), (b)(7)(C), B6.';
COMMENT ON COLUMN redactions.start_offset IS 'Character offset of the marker in emails.body.';
COMMENT ON COLUMN redactions.end_offset IS 'Character offset where the marker ends (exclusive).';

COMMENT ON TABLE attachments IS 'Files attached to messages (statements, fact sheets), one row each in the message''s order, with provenance and the text read from them; the matcher reads that text as the message''s own.';
COMMENT ON COLUMN attachments.msg_key IS 'Key of the message (emails.msg_key).';
COMMENT ON COLUMN attachments.idx IS '0-based place among the message''s attachments.';
COMMENT ON COLUMN attachments.filename IS 'File name as declared; NULL when none.';
COMMENT ON COLUMN attachments.content_type IS 'MIME type as declared, or guessed from the name.';
COMMENT ON COLUMN attachments.sha256 IS 'sha256 of the attachment''s bytes; empty string when none were read.';
COMMENT ON COLUMN attachments.size IS 'Size in bytes.';
COMMENT ON COLUMN attachments.text IS 'Text read from it; NULL when the type is not read, too large or broken.';
COMMENT ON COLUMN attachments.error IS 'Why no (or not all) text was read; NULL when read.';

COMMENT ON TABLE article_versions IS 'Every distinct text of an article is its own version, never overwritten: an article whose text changed between crawls has one row per text, so what it said before and after an update stays visible. The articles view shows the newest.';
COMMENT ON COLUMN article_versions.url IS 'Canonical URL of the article.';
COMMENT ON COLUMN article_versions.text_sha256 IS 'sha256 of text: with url, the version key (article_key = url#text_sha256).';
COMMENT ON COLUMN article_versions.outlet IS 'Outlet name as configured in outlets.toml.';
COMMENT ON COLUMN article_versions.fetched_url IS 'URL actually fetched (before canonicalisation).';
COMMENT ON COLUMN article_versions.title IS 'Headline of this version.';
COMMENT ON COLUMN article_versions.published_at IS 'First publication time, UTC; NULL when none was found (see date_source).';
COMMENT ON COLUMN article_versions.modified_at IS 'Update time the page or sitemap gave at the last fetch of this version, UTC; NULL when none.';
COMMENT ON COLUMN article_versions.date_source IS 'Where published_at came from: jsonld, meta, microdata, time, htmldate, sitemap or feed.';
COMMENT ON COLUMN article_versions.text IS 'Body text of this version.';
COMMENT ON COLUMN article_versions.authors IS 'Bylines, in page order.';
COMMENT ON COLUMN article_versions.section IS 'Section or desk; NULL when none.';
COMMENT ON COLUMN article_versions.html_sha256 IS 'sha256 of the HTML bytes last fetched for this text.';
COMMENT ON COLUMN article_versions.http_status IS 'HTTP status of the fetch (200).';
COMMENT ON COLUMN article_versions.first_fetched_at IS 'When this text was first fetched, UTC: an upper bound on when this version appeared.';
COMMENT ON COLUMN article_versions.last_fetched_at IS 'When this text was last fetched, UTC.';
COMMENT ON COLUMN article_versions.warc_record_id IS 'WARC-Record-ID of the archived response this version was extracted from; NULL before archiving.';
COMMENT ON COLUMN article_versions.warc_sha256 IS 'sha256 of that response''s payload as archived.';
COMMENT ON COLUMN article_versions.warc_file IS 'WARC file holding it, relative to the archive directory (archive/ beside the warehouse).';
COMMENT ON COLUMN article_versions.warc_offset IS 'Byte offset of the record in warc_file.';
COMMENT ON COLUMN article_versions.modified_source IS 'Where modified_at came from (same values as date_source); NULL when none.';
COMMENT ON COLUMN article_versions.discovered_via IS 'How the crawler found the URL: sitemap, feed, listing or list.';

COMMENT ON TABLE crawl_state IS 'Internal crawl state: one row per canonical URL fetched or checked, with what the sitemap or feed said and the HTTP validators that make a re-crawl a conditional request.';
COMMENT ON COLUMN crawl_state.url IS 'Canonical URL.';
COMMENT ON COLUMN crawl_state.outlet IS 'Outlet name.';
COMMENT ON COLUMN crawl_state.discovered_lastmod IS 'Newest sitemap or feed date seen for the URL when it was fetched, UTC; NULL when none.';
COMMENT ON COLUMN crawl_state.etag IS 'HTTP ETag of the last 200; NULL when none.';
COMMENT ON COLUMN crawl_state.last_modified IS 'HTTP Last-Modified of the last 200, verbatim; NULL when none.';
COMMENT ON COLUMN crawl_state.last_status IS 'HTTP status of the last check (200, 304 ...).';
COMMENT ON COLUMN crawl_state.text_sha256 IS 'Text hash of the version the last 200 gave (article_versions.text_sha256).';
COMMENT ON COLUMN crawl_state.last_checked_at IS 'When the URL was last fetched or checked, UTC.';

COMMENT ON TABLE crawl_index_state IS 'Internal crawl state of sitemaps and feeds: HTTP validators and the entries parsed from the last 200, reused on a 304.';
COMMENT ON COLUMN crawl_index_state.url IS 'Canonical URL of the sitemap or feed.';
COMMENT ON COLUMN crawl_index_state.outlet IS 'Outlet name.';
COMMENT ON COLUMN crawl_index_state.kind IS 'sitemap or feed.';
COMMENT ON COLUMN crawl_index_state.etag IS 'HTTP ETag of the last 200; NULL when none.';
COMMENT ON COLUMN crawl_index_state.last_modified IS 'HTTP Last-Modified of the last 200, verbatim; NULL when none.';
COMMENT ON COLUMN crawl_index_state.entries IS 'JSON {index: bool, entries: [{url, published, modified, title}]} parsed from the last 200.';
COMMENT ON COLUMN crawl_index_state.last_status IS 'HTTP status of the last check (200, 304 ...).';
COMMENT ON COLUMN crawl_index_state.last_changed_at IS 'When entries were last parsed from a 200, UTC.';
COMMENT ON COLUMN crawl_index_state.last_checked_at IS 'When it was last checked, UTC.';

COMMENT ON TABLE syndication IS 'Near-duplicate articles across outlets: each copy points at the earliest-published member of its group. Originals have no row.';
COMMENT ON COLUMN syndication.url IS 'Canonical URL of the copy.';
COMMENT ON COLUMN syndication.original_url IS 'Canonical URL of the original (earliest published member of the group).';
COMMENT ON COLUMN syndication.similarity IS 'Share of the copy''s word shingles found in the original, 0 to 1.';
COMMENT ON COLUMN syndication.method IS 'Detection method and its parameters, e.g. shingle5-containment-modsample.';
COMMENT ON COLUMN syndication.detected_at IS 'When the group was detected, UTC.';

COMMENT ON TABLE segments IS 'Internal, reserved: sentences of emails and article versions. The current pipeline does not fill it (segmentation is recomputed in memory); kept so older warehouses stay readable.';
COMMENT ON COLUMN segments.doc_kind IS 'email or article.';
COMMENT ON COLUMN segments.doc_key IS 'msg_key, or url#text_sha256 of an article version.';
COMMENT ON COLUMN segments.idx IS '0-based sentence number in the document.';
COMMENT ON COLUMN segments.para_idx IS '0-based paragraph number of the sentence.';
COMMENT ON COLUMN segments.text IS 'Sentence text.';
COMMENT ON COLUMN segments.text_sha256 IS 'sha256 of text (the embeddings cache key).';

COMMENT ON TABLE embeddings IS 'Internal cache: each distinct sentence is embedded once per model, wherever it occurs.';
COMMENT ON COLUMN embeddings.model IS 'Sentence embedding model name, e.g. all-MiniLM-L6-v2.';
COMMENT ON COLUMN embeddings.text_sha256 IS 'sha256 of the sentence text.';
COMMENT ON COLUMN embeddings.vector IS 'Unit-length embedding vector.';

COMMENT ON TABLE matched_pairs IS 'Internal: the (message, article version) pairs a matcher version has already weighed, found or not, so a re-run weighs only new pairs.';
COMMENT ON COLUMN matched_pairs.msg_key IS 'Key of the message (emails.msg_key).';
COMMENT ON COLUMN matched_pairs.article_key IS 'Article version weighed: url#text_sha256.';
COMMENT ON COLUMN matched_pairs.matcher_version IS 'matching.score.MATCHER_VERSION that weighed it.';
COMMENT ON COLUMN matched_pairs.matched_at IS 'When it was weighed, UTC.';

COMMENT ON TABLE disclosures IS 'The matcher''s output: one row per (message, article, detail, article sentence) with quotes and features; evidence is the view to read. Rows with score below 0.05 are not stored; re-runs replace rows, never reviews.';
COMMENT ON COLUMN disclosures.msg_key IS 'Key of the message (emails.msg_key).';
COMMENT ON COLUMN disclosures.article_url IS 'Canonical URL of the article.';
COMMENT ON COLUMN disclosures.detail_key IS 'Normalized detail, e.g. citizenship:ireland.';
COMMENT ON COLUMN disclosures.article_sentence IS '0-based index of the quoted sentence in the article version''s text.';
COMMENT ON COLUMN disclosures.detail_type IS 'citizenship, immigration_status, criminal_history, identity, enforcement_action or other.';
COMMENT ON COLUMN disclosures.article_key IS 'Article version matched: url#text_sha256 (article_versions).';
COMMENT ON COLUMN disclosures.email_quote IS 'The email sentence that carries the detail.';
COMMENT ON COLUMN disclosures.article_quote IS 'The article sentence that prints it.';
COMMENT ON COLUMN disclosures.shared_details IS 'Every normalized detail the two sentences share.';
COMMENT ON COLUMN disclosures.score IS 'Probability, 0 to 1, that the article printed what the message disclosed; one value per (message, article version) pair.';
COMMENT ON COLUMN disclosures.cosine IS 'Embedding cosine of the two quotes, -1 to 1.';
COMMENT ON COLUMN disclosures.lag_hours IS 'Hours from the email to the article''s publication, or its update when published before the email (unrounded).';
COMMENT ON COLUMN disclosures.syndicated_from IS 'Original URL when the matcher knew the article as a copy; currently NULL, the evidence view fills it from syndication.';
COMMENT ON COLUMN disclosures.features IS 'JSON object of the pair features (matching/score.py PAIR_FEATURES).';
COMMENT ON COLUMN disclosures.matcher_version IS 'matching.score.MATCHER_VERSION that found it.';
COMMENT ON COLUMN disclosures.matched_at IS 'When it was found, UTC.';
COMMENT ON COLUMN disclosures.lag_hours_min IS 'Lag from the latest possible send time, hours; NULL when the send time is exact.';
COMMENT ON COLUMN disclosures.lag_hours_max IS 'Lag from the earliest possible send time, hours; NULL when the send time is exact.';

COMMENT ON TABLE reviews IS 'Reviewers'' verdicts (foiatrace review), kept apart from the matcher''s output so re-runs never touch them; keyed like a disclosure without its sentence.';
COMMENT ON COLUMN reviews.msg_key IS 'Key of the message (evidence.msg_key).';
COMMENT ON COLUMN reviews.article_url IS 'Canonical URL of the article (evidence.article_url).';
COMMENT ON COLUMN reviews.detail_key IS 'Normalized detail (evidence.detail_key).';
COMMENT ON COLUMN reviews.verdict IS 'confirmed, rejected or unsure.';
COMMENT ON COLUMN reviews.reviewer IS 'Who reviewed it; NULL when not given.';
COMMENT ON COLUMN reviews.note IS 'Why, for the record; NULL when not given.';
COMMENT ON COLUMN reviews.reviewed_at IS 'When the verdict was recorded, UTC.';
