-- Documents carried by the queue itself: a worker on another machine needs
-- only the database URL, no shared mount.
CREATE TABLE blobs (
    sha256         TEXT PRIMARY KEY,
    bytes          BYTEA NOT NULL,
    size           BIGINT NOT NULL
);

-- The content of a job's document (null: read `path`, as jobs queued
-- before this migration did).
ALTER TABLE jobs ADD COLUMN blob TEXT REFERENCES blobs (sha256);
