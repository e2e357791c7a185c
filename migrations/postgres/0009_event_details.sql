-- Events a monitoring run can act on (issue: for the people who use it): the
-- text of the link a document was found by, and for a new URL whose content
-- the crawl already held under another URL, that URL.
ALTER TABLE crawl_events ADD COLUMN anchor TEXT;
ALTER TABLE crawl_events ADD COLUMN known_url TEXT;
