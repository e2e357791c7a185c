-- The dataset store (SQLite). Same tables, columns and keys as
-- migrations/postgres/0001_dataset.sql; amounts are exact decimal TEXT here
-- (NUMERIC there), never REAL.

CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    sha256         TEXT NOT NULL UNIQUE,
    source         TEXT NOT NULL,          -- path or URL first ingested from
    bytes          INTEGER NOT NULL,
    format         TEXT,
    engine         TEXT,
    pages          INTEGER,
    unit           TEXT,
    region         TEXT,
    year           INTEGER,
    kind           TEXT,                   -- final_account | budget
    scope          TEXT,                   -- department | unit
    title          TEXT,
    error_kind     TEXT,
    error_message  TEXT,
    tool_version   TEXT NOT NULL,          -- gongkai version that extracted it
    patterns_hash  TEXT NOT NULL,          -- SHA-256 of the pattern set used
    extracted_at   TEXT NOT NULL,          -- RFC 3339, UTC
    record         TEXT NOT NULL           -- the full record as JSON
);
CREATE INDEX documents_year_kind ON documents (year, kind);

CREATE TABLE document_sources (
    document_id    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    source         TEXT NOT NULL,
    PRIMARY KEY (document_id, source)
);

CREATE TABLE tables (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal        INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    label          TEXT,
    title          TEXT NOT NULL,
    unit_name      TEXT,
    year           INTEGER,
    amount_unit    TEXT,
    pages          TEXT NOT NULL,          -- JSON array
    empty          INTEGER NOT NULL,       -- 0 | 1
    columns        TEXT NOT NULL,          -- JSON array of {key, header, side}
    UNIQUE (document_id, ordinal)
);

CREATE TABLE rows (
    id             INTEGER PRIMARY KEY,
    table_id       INTEGER NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
    ordinal        INTEGER NOT NULL,
    code           TEXT,
    name           TEXT,
    level          TEXT,
    parent         TEXT,
    line           TEXT,
    line_no        TEXT,
    side           TEXT,
    UNIQUE (table_id, ordinal)
);

CREATE TABLE amounts (
    id             INTEGER PRIMARY KEY,
    row_id         INTEGER NOT NULL REFERENCES rows (id) ON DELETE CASCADE,
    document_id    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    code           TEXT,
    column_key     TEXT NOT NULL,
    amount_yuan    TEXT,                   -- exact decimal; NULL for counts and marks
    count          TEXT,                   -- vehicles and other counts
    printed        TEXT,
    flags          INTEGER NOT NULL,       -- flags pointing at this cell
    UNIQUE (row_id, column_key)
);
CREATE INDEX amounts_document ON amounts (document_id);
CREATE INDEX amounts_code ON amounts (code);

CREATE TABLE narrative_facts (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal        INTEGER NOT NULL,
    fact           TEXT NOT NULL,
    section        TEXT,
    subject        TEXT,
    project        TEXT,
    amount_yuan    TEXT,
    percent        TEXT,
    count          TEXT,
    score          TEXT,
    max_score      TEXT,
    printed        TEXT NOT NULL,
    printed_percent TEXT,
    sentence       TEXT NOT NULL,
    UNIQUE (document_id, ordinal)
);

CREATE TABLE flags (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal        INTEGER NOT NULL,
    check_id       TEXT NOT NULL,
    severity       TEXT NOT NULL,
    message        TEXT NOT NULL,
    locations      TEXT NOT NULL,          -- JSON array
    expected       TEXT,
    found          TEXT,
    difference     TEXT,
    UNIQUE (document_id, ordinal)
);
CREATE INDEX flags_check ON flags (check_id);

CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    path           TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL,          -- queued | claimed | done | failed
    worker         TEXT,
    lease_until    INTEGER,                -- Unix milliseconds
    attempts       INTEGER NOT NULL,
    enqueued_at    TEXT NOT NULL,
    finished_at    TEXT,
    sha256         TEXT,
    error          TEXT
);
CREATE INDEX jobs_state ON jobs (state, id);
