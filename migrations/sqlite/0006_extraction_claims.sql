-- Which run is extracting a document (issue: hostile input): concurrent
-- `extract --db` runs over the same files claim each document before they
-- extract it, so that one extracts it and the others leave it. A claim is
-- held while its run's heartbeat renews it; a killed run's claims lapse.
CREATE TABLE extraction_claims (
    sha256 TEXT NOT NULL,
    patterns_hash TEXT NOT NULL,
    worker TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    PRIMARY KEY (sha256, patterns_hash)
);
CREATE INDEX extraction_claims_worker ON extraction_claims (worker);
