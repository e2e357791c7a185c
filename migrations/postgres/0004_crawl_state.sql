-- One crawl state for both crawls (src/crawl/state.rs, docs/crawl-state.md):
-- a local crawl keeps 0003's crawl_runs, frontier and crawled and these in
-- DIR/state.sqlite, a shared crawl (`--shared --db`) in the shared database.
-- Same tables and columns as migrations/sqlite/0004_crawl_state.sql.

-- The document index gains where the content is under the crawl directory,
-- what the server said it was, and whether a `crawl --extract` run still has
-- to confirm its record (1 until confirmed, so a killed run extracts it on
-- resume).
ALTER TABLE crawled ADD COLUMN path TEXT;
ALTER TABLE crawled ADD COLUMN content_type TEXT;
ALTER TABLE crawled ADD COLUMN charset TEXT;
ALTER TABLE crawled ADD COLUMN extract_pending BIGINT NOT NULL DEFAULT 0;
-- The same content under another URL is stored once.
CREATE INDEX crawled_sha256 ON crawled (sha256);
CREATE INDEX crawled_pending ON crawled (extract_pending);

-- Every request's outcome (worker: the shared crawl's worker, NULL locally).
CREATE TABLE crawl_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run            BIGINT NOT NULL,
    worker         TEXT,
    at             TEXT NOT NULL,
    url            TEXT NOT NULL,
    status         BIGINT,
    bytes          BIGINT NOT NULL,
    millis         BIGINT NOT NULL,
    outcome        TEXT NOT NULL        -- page, document, not_modified, retry …, failed: …, skipped: …
);

-- The events the crawl printed (new, changed, unchanged, failed).
CREATE TABLE crawl_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run            BIGINT NOT NULL,
    worker         TEXT,
    at             TEXT NOT NULL,
    event          TEXT NOT NULL,
    url            TEXT NOT NULL,
    sha256         TEXT,
    path           TEXT,
    reason         TEXT
);
