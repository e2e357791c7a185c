-- The shared crawl (`gongkai crawl --shared --db …`): crawl workers on any
-- machine take URLs from one frontier, keep one politeness clock per host and
-- one index of the documents found. Same tables and columns as
-- migrations/postgres/0003_crawl_frontier.sql. next_allowed_at, not_before and lease_until are
-- Unix milliseconds of the database's clock.

-- The current run: a new run starts when the last one finished; workers that
-- start while it is running join it (with the same sources).
CREATE TABLE crawl_runs (
    run            INTEGER PRIMARY KEY,
    state          TEXT NOT NULL,          -- running | finished
    sources        TEXT NOT NULL,          -- SHA-256 of the sources it crawls
    started_at     TEXT NOT NULL,
    finished_at    TEXT
);

-- Every URL found in the current run, once, by its normalized form.
CREATE TABLE frontier (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    url            TEXT NOT NULL UNIQUE,
    host           TEXT NOT NULL,
    depth          INTEGER NOT NULL,
    pages          INTEGER NOT NULL,
    source         INTEGER NOT NULL,       -- index in the run's sources
    hint           TEXT NOT NULL,          -- start | page | pagination | document
    anchor         TEXT NOT NULL,
    state          TEXT NOT NULL,          -- queued | claimed | done
    attempts       INTEGER NOT NULL,       -- failed fetches (retries) so far
    claims         INTEGER NOT NULL,       -- claims, taken-over ones included
    not_before     INTEGER NOT NULL,       -- a retry waits until then
    worker         TEXT,
    lease_until    INTEGER,
    outcome        TEXT
);
CREATE INDEX frontier_state ON frontier (state, id);

-- One politeness clock per host, whoever asks: no request to the host before
-- next_allowed_at. A claim sets it to the lease's end (the host is busy), the
-- end of the request to then + the host's delay.
CREATE TABLE hosts (
    host             TEXT PRIMARY KEY,
    next_allowed_at  INTEGER NOT NULL,
    worker           TEXT
);

-- Documents found by shared crawls (every run), by URL: what was stored
-- last, its validators for conditional requests, and its extraction job.
CREATE TABLE crawled (
    url            TEXT PRIMARY KEY,
    sha256         TEXT NOT NULL,
    ext            TEXT NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    changed        TEXT NOT NULL
);
