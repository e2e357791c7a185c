-- One disclosure per unit-year and its place (issue: for the people who use
-- it). Each document names the disclosure it is a version of (unit, year,
-- kind, scope: the PDF and HTML of one document, a corrected re-upload) and
-- the administrative division its unit is in (GB/T 2260); `first_seen` is
-- when the store first held the file, which orders versions. Rows carry the
-- page they are printed on.
ALTER TABLE documents ADD COLUMN disclosure_id TEXT;
ALTER TABLE documents ADD COLUMN unit_spelling TEXT;
ALTER TABLE documents ADD COLUMN division_code TEXT;
ALTER TABLE documents ADD COLUMN province TEXT;
ALTER TABLE documents ADD COLUMN city TEXT;
ALTER TABLE documents ADD COLUMN county TEXT;
ALTER TABLE documents ADD COLUMN first_seen TEXT;
UPDATE documents SET first_seen = extracted_at;
CREATE INDEX documents_disclosure ON documents (disclosure_id);
CREATE INDEX documents_division ON documents (division_code);
ALTER TABLE rows ADD COLUMN page INTEGER;
