-- Findings an auditor can act on (issue: findings a human auditor would
-- write down): each flag's stable id (document sha256 + rule + location,
-- what `extract --accept` lists), its pages, its snippet as printed and the
-- findings folded into it (JSON array of {id, check, severity, message}).
ALTER TABLE flags ADD COLUMN flag_id TEXT;
ALTER TABLE flags ADD COLUMN pages TEXT;
ALTER TABLE flags ADD COLUMN snippet TEXT;
ALTER TABLE flags ADD COLUMN related TEXT;
CREATE INDEX flags_flag_id ON flags (flag_id);
