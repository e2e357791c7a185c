-- How much of its document each record read (issue: no silent misreads):
-- the verdict (complete | partial | not_a_disclosure | failed) and the table
-- amounts printed and captured, so that a dataset can select the complete
-- records and list the partial ones. The reasons stay in `record`.
ALTER TABLE documents ADD COLUMN read_verdict TEXT;
ALTER TABLE documents ADD COLUMN amounts_printed INTEGER;
ALTER TABLE documents ADD COLUMN amounts_captured INTEGER;
CREATE INDEX documents_read_verdict ON documents (read_verdict);
