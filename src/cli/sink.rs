//! Where extracted records go: JSON Lines (a stream, or a file appended and
//! synced record by record), the dataset store, or both. One sink for
//! `extract`, `extract --queue` and `crawl --extract`.

use std::io::Write;

use anyhow::{Context, Result};

use gongkai::record::Record;
use gongkai::store::ingest::{ingest, Outcome, Tally};
use gongkai::store::Store;

/// Where JSON Lines go.
pub enum Lines {
    /// A stream (stdout, a buffered file).
    Stream(Box<dyn Write>),
    /// A file appended one synced record at a time: a kill leaves at most a
    /// partial last line (see [`drop_partial_line`]).
    Synced(std::fs::File),
}

/// Records into JSON Lines and/or a store.
pub struct Sink<'a> {
    pub lines: Option<Lines>,
    pub pretty: bool,
    pub store: Option<&'a Store>,
    pub runtime: &'a tokio::runtime::Runtime,
    pub fingerprint: &'a str,
    pub tally: Tally,
    pub failed: usize,
    /// Flag ids a user accepted (`--accept`).
    pub accepted: std::collections::HashSet<String>,
    /// Flags written that are not accepted.
    pub open_flags: usize,
    /// Records by read verdict and failures by error kind.
    pub read: ReadTally,
}

/// Records by read verdict, failures by error kind: the one-line summary
/// `extract` ends with.
#[derive(Debug, Clone, Default)]
pub struct ReadTally {
    verdicts: std::collections::BTreeMap<&'static str, usize>,
    errors: std::collections::BTreeMap<String, usize>,
}

impl ReadTally {
    /// Counts one record.
    pub fn add(&mut self, record: &Record) {
        *self
            .verdicts
            .entry(record.read.verdict.as_str())
            .or_default() += 1;
        if let Some(e) = &record.error {
            let kind = gongkai::store::ingest::name_of(&e.kind).unwrap_or_else(|| "error".into());
            *self.errors.entry(kind).or_default() += 1;
        }
    }
}

impl std::fmt::Display for ReadTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: usize = self.verdicts.values().sum();
        write!(f, "{n} records")?;
        let order = ["complete", "partial", "not_a_disclosure", "failed"];
        let parts: Vec<String> = order
            .iter()
            .filter_map(|v| self.verdicts.get(v).map(|c| format!("{c} {v}")))
            .collect();
        if !parts.is_empty() {
            write!(f, ": {}", parts.join(", "))?;
        }
        if !self.errors.is_empty() {
            let kinds: Vec<String> = self
                .errors
                .iter()
                .map(|(k, c)| format!("{k} {c}"))
                .collect();
            write!(f, " (failed by kind: {})", kinds.join(", "))?;
        }
        Ok(())
    }
}

impl Sink<'_> {
    /// Writes and stores one record; a write or store failure is returned
    /// (it stops the command: the records so far are safe).
    pub fn put(&mut self, record: &Record) -> Result<()> {
        if record.error.is_some() {
            self.failed += 1;
        }
        self.read.add(record);
        let marked;
        let record = if record.flags.iter().any(|f| self.accepted.contains(&f.id)) {
            let mut r = record.clone();
            gongkai::check::locate::accept(&mut r, &self.accepted);
            marked = r;
            &marked
        } else {
            record
        };
        self.open_flags += record.flags.iter().filter(|f| !f.accepted).count();
        match self.lines.as_mut() {
            Some(Lines::Stream(out)) => {
                if self.pretty {
                    serde_json::to_writer_pretty(&mut **out, record)?;
                } else {
                    serde_json::to_writer(&mut **out, record)?;
                }
                out.write_all(b"\n")?;
            }
            Some(Lines::Synced(file)) => {
                // One write per line, then to disk.
                let line = serde_json::to_string(record)? + "\n";
                file.write_all(line.as_bytes())
                    .and_then(|_| file.sync_data())
                    .context("appending a record")?;
            }
            None => {}
        }
        if let Some(store) = self.store {
            let outcome = self
                .runtime
                .block_on(ingest(store, record, self.fingerprint))
                .with_context(|| format!("storing {}", record.source.path))?;
            if let Outcome::Skipped(why) = &outcome {
                tracing::warn!("not stored: {why}");
            }
            self.tally.add(&outcome);
        }
        Ok(())
    }

    /// A document not extracted because the store holds it already.
    pub fn unchanged(&mut self) {
        self.tally.add(&Outcome::Unchanged);
    }

    /// Flushes a stream.
    pub fn flush(&mut self) -> Result<()> {
        if let Some(Lines::Stream(out)) = self.lines.as_mut() {
            out.flush()?;
        }
        Ok(())
    }
}

/// Truncates `path` after its last newline (a line cut short by a kill).
pub fn drop_partial_line(path: &std::path::Path) -> std::io::Result<()> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(keep as u64)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_last_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("records.jsonl");
        std::fs::write(&p, "{\"a\":1}\n{\"b\":").unwrap_or_default();
        drop_partial_line(&p).unwrap_or_default();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap_or_default(),
            "{\"a\":1}\n"
        );
        std::fs::write(&p, "{\"b\":").unwrap_or_default();
        drop_partial_line(&p).unwrap_or_default();
        assert_eq!(std::fs::read_to_string(&p).unwrap_or_default(), "");
        assert!(drop_partial_line(&dir.path().join("none")).is_ok());
    }
}
