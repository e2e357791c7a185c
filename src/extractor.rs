//! The top of the library: an [`Extractor`] runs every stage for one
//! document (decode → layout → recognize → narrative → normalize → check)
//! and produces a [`Record`]; a [`Batch`] runs it over many documents in
//! parallel, in order, into a sink.
//!
//! Never panics on input: every failure becomes the record's `error`, and a
//! batch goes on.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::check;
use crate::decode;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Decoded;
use crate::narrative;
use crate::normalize;
use crate::patterns::Patterns;
use crate::recognize;
use crate::record::{BundleSource, DocumentMeta, Read, Record, RecordError, Source};
use crate::settings::{DecodeOptions, Limits};
use crate::text::sha256_hex;

/// Reads documents into records with one pattern set, one set of limits and
/// one way of decoding PDFs. Cheap to share between threads (`&Extractor` is
/// `Sync`).
///
/// ```
/// let extractor = gongkai::Extractor::bundled().unwrap();
/// let record = extractor.extract_path(std::path::Path::new("samples/seed_changzhi_2022_final.txt"));
/// assert_eq!(record.tables.len(), 10);
/// ```
#[derive(Debug, Clone)]
pub struct Extractor {
    patterns: Patterns,
    limits: Limits,
    decode: DecodeOptions,
}

impl Extractor {
    /// An extractor with these patterns, the default limits and the default
    /// PDF options (pdf-extract in a thread, pdftotext as the fallback).
    pub fn new(patterns: Patterns) -> Extractor {
        Extractor {
            patterns,
            limits: Limits::default(),
            decode: DecodeOptions::default(),
        }
    }

    /// An extractor with the bundled patterns.
    pub fn bundled() -> Result<Extractor> {
        Patterns::bundled().map(Extractor::new)
    }

    /// The same extractor with other limits.
    pub fn with_limits(mut self, limits: Limits) -> Extractor {
        self.limits = limits;
        self
    }

    /// The same extractor with other decoding options (isolation, the PDF
    /// fallback engine).
    pub fn with_decode(mut self, decode: DecodeOptions) -> Extractor {
        self.decode = decode;
        self
    }

    /// The pattern set (its `fingerprint` identifies it in the store).
    pub fn patterns(&self) -> &Patterns {
        &self.patterns
    }

    /// The limits applied to each document.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How documents are decoded.
    pub fn decode_options(&self) -> &DecodeOptions {
        &self.decode
    }

    /// Reads and extracts one file as one document. A bundle (a zip of
    /// documents) is not one: its record says so, and [`Extractor::extract`]
    /// reads its members.
    pub fn extract_path(&self, path: &Path) -> Record {
        self.read_and_extract(path, &path.display().to_string(), None)
    }

    /// Reads the file at `path` and extracts it as the document `name`.
    ///
    /// Only a regular file (or a link to one) is opened: a FIFO would block
    /// the batch, a device never end; they, a directory, a dangling link
    /// and a missing path are `io` records. A file that grows while read
    /// is cut at the size limit, not read on.
    fn read_and_extract(&self, path: &Path, name: &str, charset: Option<&str>) -> Record {
        let mut record = match self.read_file(path, name) {
            Ok(bytes) => self.extract_bytes(&bytes, name, charset),
            Err(record) => *record,
        };
        record.source.path_hex = raw_path_hex(path);
        record
    }

    fn read_file(&self, path: &Path, name: &str) -> std::result::Result<Vec<u8>, Box<Record>> {
        read_input(path, self.limits.max_bytes)
            .map_err(|(e, len)| Box::new(failed(name, &[], len, e)))
    }

    /// Extracts one document held in memory. `name` is its path or URL;
    /// `charset` an HTTP charset when known. A bundle is not one document
    /// (see [`Extractor::extract_path`]).
    pub fn extract_bytes(&self, bytes: &[u8], name: &str, charset: Option<&str>) -> Record {
        let limits = &self.limits;
        if bytes.len() as u64 > limits.max_bytes {
            return too_large(name, bytes.len() as u64, limits);
        }
        let decoded = match decode::decode(bytes, name, charset, limits, &self.decode) {
            Ok(d) => d,
            Err(e) => return failed(name, bytes, bytes.len() as u64, e),
        };
        // Our own stages run on what a stranger's file decoded to: a bug
        // they hit costs that document, never the batch.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.read_decoded(&decoded, bytes, name)
        }));
        run.unwrap_or_else(|payload| {
            let what = decode::panic_text(&payload).unwrap_or_default();
            failed(
                name,
                bytes,
                bytes.len() as u64,
                Error::new(
                    ErrorKind::DecoderFailed,
                    format!(
                        "gongkai failed on what this file decoded to (an internal error: {what}); \
                         the document was skipped"
                    ),
                ),
            )
        })
    }

    /// Recognition, narrative, checks and the read verdict of a decoded document.
    fn read_decoded(&self, decoded: &Decoded, bytes: &[u8], name: &str) -> Record {
        let patterns = &self.patterns;
        let narrative::Narrative {
            facts: narrative,
            grids,
            headings,
        } = narrative::read(&decoded.blocks, &patterns.narrative);
        let recognize::Recognized {
            meta: document,
            mut tables,
            coverage,
        } = recognize::recognize(decoded, &patterns.tables, &grids);
        recognize::infer_units_from_narrative(&mut tables, &narrative);
        let mut document = document;
        normalize::place::settle(&mut document, &patterns.places);
        let read = Read {
            table_amounts: coverage.table_amounts,
            narrative_amounts: narrative::coverage(&decoded.blocks, &narrative),
            pages: coverage.pages,
            ..Read::default()
        };
        let mut record = Record {
            source: Source {
                path: name.to_string(),
                path_hex: None,
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
                format: Some(decoded.format),
                engine: Some(decoded.engine.clone()),
                pages: Some(decoded.pages),
                warnings: decoded.warnings.clone(),
                patterns: Some(patterns.fingerprint.clone()),
                bundle: None,
            },
            document,
            tables,
            narrative,
            flags: Vec::new(),
            error: None,
            read,
        };
        let text = check::Text::new(&decoded.blocks, headings, decoded.pages);
        record.flags = check::run(&record, &text, patterns);
        check::read::settle(&mut record, &patterns.checks);
        record
    }

    /// Extracts one input of a batch: the record of its document, or, for a
    /// bundle (a zip of documents), one record per member (see
    /// [`decode::bundle`]); nothing for [`Content::Skip`].
    pub fn extract(&self, document: &Document) -> Vec<Record> {
        let name = &document.name;
        let charset = document.charset.as_deref();
        match &document.content {
            Content::Path(path) => {
                let mut records = match self.read_file(path, name) {
                    Ok(bytes) => self.extract_input(&bytes, name, charset),
                    Err(record) => vec![*record],
                };
                // The file's own bytes: a member's path is the bundle's
                // and more, its bundle path says which file.
                let hex = raw_path_hex(path);
                for r in records.iter_mut().filter(|r| r.source.bundle.is_none()) {
                    r.source.path_hex.clone_from(&hex);
                }
                records
            }
            Content::Bytes(bytes) => self.extract_input(bytes, name, charset),
            Content::Skip => Vec::new(),
            Content::Unreadable(message) => vec![failed(
                name,
                &[],
                0,
                Error::new(ErrorKind::Io, message.clone()),
            )],
        }
    }

    /// The records of one input held in memory: a bundle's members, else
    /// the one document.
    fn extract_input(&self, bytes: &[u8], name: &str, charset: Option<&str>) -> Vec<Record> {
        if bytes.len() as u64 > self.limits.max_bytes {
            return vec![too_large(name, bytes.len() as u64, &self.limits)];
        }
        if !matches!(decode::detect(bytes, name), decode::Detected::Bundle { .. }) {
            return vec![self.extract_bytes(bytes, name, charset)];
        }
        let top = BundleSource {
            path: name.to_string(),
            sha256: sha256_hex(bytes),
            members: Vec::new(),
        };
        let mut budget = self.limits.max_decoded_bytes;
        let mut records = Vec::new();
        self.unpack(bytes, &top, 1, &mut budget, &mut records);
        records
    }

    /// Extracts each member of the bundle `bytes`, found at `at` (the
    /// top bundle, with the members nesting it), `depth` bundles deep.
    fn unpack(
        &self,
        bytes: &[u8],
        at: &BundleSource,
        depth: u32,
        budget: &mut u64,
        records: &mut Vec<Record>,
    ) {
        let shown = bundle_path(at);
        let inside = |mut record: Record| {
            if !at.members.is_empty() {
                record.source.bundle = Some(at.clone());
            }
            record
        };
        let mut bundle = match decode::bundle::open(bytes, &self.limits) {
            Ok(b) => b,
            Err(e) => return records.push(inside(failed(&shown, bytes, bytes.len() as u64, e))),
        };
        let members = bundle.members().to_vec();
        if members.is_empty() {
            let e = Error::new(ErrorKind::Empty, "a zip bundle with no files in it");
            return records.push(inside(failed(&shown, bytes, bytes.len() as u64, e)));
        }
        for member in &members {
            let mut here = at.clone();
            here.members.push(member.name.clone());
            let path = bundle_path(&here);
            let record = match bundle.read(member, budget, &self.limits) {
                Err(e) => {
                    // Not unpacked: no content to hash, whatever size its
                    // header declares.
                    let mut r = failed(&path, &[], member.declared, e);
                    r.source.sha256.clear();
                    r
                }
                Ok(content) => {
                    if let decode::Detected::Bundle { .. } = decode::detect(&content, &member.name)
                    {
                        if depth < decode::bundle::MAX_DEPTH {
                            self.unpack(&content, &here, depth + 1, budget, records);
                            continue;
                        }
                        let e = Error::new(
                            ErrorKind::BundleRefused,
                            format!(
                                "a zip bundle nested {} deep, past the {} levels unpacked: not unpacked",
                                depth + 1,
                                decode::bundle::MAX_DEPTH
                            ),
                        );
                        failed(&path, &content, content.len() as u64, e)
                    } else {
                        self.extract_bytes(&content, &path, None)
                    }
                }
            };
            let mut record = record;
            record.source.bundle = Some(here);
            records.push(record);
        }
    }
}

/// The path of a document in a bundle: the bundle's, then each member's,
/// joined by `!/`.
fn bundle_path(at: &BundleSource) -> String {
    std::iter::once(at.path.as_str())
        .chain(at.members.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("!/")
}

/// One document of a batch.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its path or URL, as the record's `source.path`.
    pub name: String,
    /// Where its content is.
    pub content: Content,
    /// An HTTP charset, when known.
    pub charset: Option<String>,
}

impl Document {
    /// A file, read when its turn comes.
    pub fn path(path: impl Into<PathBuf>) -> Document {
        let path = path.into();
        Document {
            name: path.display().to_string(),
            content: Content::Path(path),
            charset: None,
        }
    }

    /// Content held in memory, named by its path or URL.
    pub fn bytes(name: impl Into<String>, bytes: Vec<u8>) -> Document {
        Document {
            name: name.into(),
            content: Content::Bytes(bytes),
            charset: None,
        }
    }
}

/// Where a document's content is.
#[derive(Debug, Clone)]
pub enum Content {
    /// A file.
    Path(PathBuf),
    /// In memory.
    Bytes(Vec<u8>),
    /// Nothing to extract (already stored): the sink gets no record.
    Skip,
    /// Could not even be listed (a directory that cannot be read): an `io`
    /// record with this message.
    Unreadable(String),
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Inputs handed to the sink.
    pub documents: usize,
    /// Records extracted (a bundle gives one per member).
    pub extracted: usize,
    /// Records with an error.
    pub failed: usize,
    /// Inputs skipped ([`Content::Skip`] or the skip test).
    pub skipped: usize,
}

/// Runs an [`Extractor`] over many documents: in parallel on a thread pool,
/// a chunk at a time (memory stays bounded by the chunk), each record handed
/// to the sink in input order. A document that cannot be read yields a
/// record with `error`; only the sink can stop a batch.
pub struct Batch<'a> {
    extractor: &'a Extractor,
    pool: rayon::ThreadPool,
    chunk: usize,
}

impl<'a> Batch<'a> {
    /// A batch on `threads` worker threads (`None`: one per core).
    pub fn new(extractor: &'a Extractor, threads: Option<usize>) -> Result<Batch<'a>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .thread_name(|i| format!("gongkai-extract-{i}"))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the worker threads: {e}"),
                )
            })?;
        let chunk = pool.current_num_threads().max(1) * 4;
        Ok(Batch {
            extractor,
            pool,
            chunk,
        })
    }

    /// The extractor.
    pub fn extractor(&self) -> &Extractor {
        self.extractor
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads().max(1)
    }

    /// Documents extracted at a time (those pulled from the input before
    /// the first of them reaches the sink).
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Extracts every `(tag, document)` of `items` and hands `(tag,
    /// records)` to `sink` in input order: one record for a document, one
    /// per member for a bundle, none for a skipped document. `skip` runs on the worker threads before extraction (e.g.
    /// "the store already holds this content"). The first sink error stops
    /// the batch and is returned.
    pub fn run<T, E, I, S, F>(&self, items: I, skip: S, sink: F) -> std::result::Result<Summary, E>
    where
        T: Send,
        I: IntoIterator<Item = (T, Document)>,
        S: Fn(&Document) -> bool + Sync,
        F: FnMut(T, Vec<Record>) -> std::result::Result<(), E>,
    {
        let mut items = items.into_iter().peekable();
        let chunk = self.chunk;
        let chunks = std::iter::from_fn(move || {
            items.peek()?;
            Some(items.by_ref().take(chunk).collect::<Vec<_>>())
        });
        self.run_chunks(chunks, skip, sink)
    }

    /// [`Batch::run`] over chunks the caller forms (e.g. whatever a channel
    /// holds now, so that documents arriving one by one are not held back
    /// until a chunk fills). Each chunk is extracted in parallel.
    pub fn run_chunks<T, E, C, S, F>(
        &self,
        chunks: C,
        skip: S,
        mut sink: F,
    ) -> std::result::Result<Summary, E>
    where
        T: Send,
        C: IntoIterator<Item = Vec<(T, Document)>>,
        S: Fn(&Document) -> bool + Sync,
        F: FnMut(T, Vec<Record>) -> std::result::Result<(), E>,
    {
        let mut summary = Summary::default();
        for chunk in chunks {
            let records: Vec<(T, Vec<Record>)> = self.pool.install(|| {
                chunk
                    .into_par_iter()
                    .map(|(tag, doc)| {
                        let records = if skip(&doc) {
                            Vec::new()
                        } else {
                            self.extractor.extract(&doc)
                        };
                        (tag, records)
                    })
                    .collect()
            });
            for (tag, records) in records {
                summary.documents += 1;
                if records.is_empty() {
                    summary.skipped += 1;
                }
                summary.extracted += records.len();
                summary.failed += records.iter().filter(|r| r.error.is_some()).count();
                sink(tag, records)?;
            }
        }
        Ok(summary)
    }
}

/// The record of a document over `limits.max_bytes` (not read, not hashed).
/// Reads an input file: only a regular file (or a link to one), at most
/// `max_bytes` (a file that grows while read is cut there, not read on).
/// A FIFO, a device, a socket or a directory is refused without being
/// opened; a dangling link is named as one. The error comes with the size
/// seen (for `too_large`).
pub fn read_input(path: &Path, max_bytes: u64) -> std::result::Result<Vec<u8>, (Error, u64)> {
    use std::io::Read as _;
    let io = |message: String| (Error::new(ErrorKind::Io, message), 0);
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let dangling =
                std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(io(if dangling {
                format!("{shown} is a symbolic link to a file that does not exist ({e})")
            } else {
                format!("cannot read {shown}: {e}")
            }));
        }
    };
    if !meta.is_file() {
        return Err(io(format!(
            "{shown} is {}, not a regular file: not opened",
            file_kind(&meta.file_type())
        )));
    }
    let too_large = |len: u64| (too_large_error(len, max_bytes), len);
    if meta.len() > max_bytes {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes));
    match read {
        Ok(_) if bytes.len() as u64 > max_bytes => Err(too_large(bytes.len() as u64)),
        Ok(_) => Ok(bytes),
        Err(e) => Err(io(format!("cannot read {shown}: {e}"))),
    }
}

/// What a file that is not a regular file is, in words.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The bytes of a path that is not UTF-8, in hex.
fn raw_path_hex(path: &Path) -> Option<String> {
    if path.to_str().is_some() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(hex::encode(path.as_os_str().as_bytes()))
    }
    #[cfg(not(unix))]
    {
        Some(hex::encode(path.as_os_str().to_string_lossy().as_bytes()))
    }
}

fn too_large(name: &str, len: u64, limits: &Limits) -> Record {
    failed(name, &[], len, too_large_error(len, limits.max_bytes))
}

/// A file of `len` bytes over the `max` of `--max-bytes`.
fn too_large_error(len: u64, max: u64) -> Error {
    Error::new(
        ErrorKind::TooLarge,
        format!("the file has {len} bytes, over the limit of {max} (raise --max-bytes to read it)"),
    )
}

fn failed(name: &str, bytes: &[u8], len: u64, e: Error) -> Record {
    Record {
        source: Source {
            path: name.to_string(),
            path_hex: None,
            sha256: if bytes.is_empty() && len > 0 {
                String::new()
            } else {
                sha256_hex(bytes)
            },
            bytes: len,
            format: None,
            engine: None,
            pages: None,
            warnings: Vec::new(),
            patterns: None,
            bundle: None,
        },
        document: DocumentMeta::default(),
        tables: Vec::new(),
        narrative: Vec::new(),
        flags: Vec::new(),
        error: Some(RecordError {
            kind: e.kind,
            message: e.message,
        }),
        read: Read::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_input_order_and_counts_failures() {
        let extractor = Extractor::bundled().unwrap_or_else(|e| panic!("{e}"));
        let batch = Batch::new(&extractor, Some(2)).unwrap_or_else(|e| panic!("{e}"));
        let docs: Vec<(usize, Document)> = (0..11)
            .map(|i| {
                let doc = match i % 3 {
                    0 => Document::bytes(format!("{i}.txt"), Vec::new()),
                    1 => Document::bytes(format!("{i}.txt"), "公开01表\n".as_bytes().to_vec()),
                    _ => Document {
                        name: format!("{i}.txt"),
                        content: Content::Skip,
                        charset: None,
                    },
                };
                (i, doc)
            })
            .collect();
        let mut seen = Vec::new();
        let summary = batch
            .run(
                docs,
                |_| false,
                |i, r| {
                    for r in &r {
                        assert_eq!(r.source.path, format!("{i}.txt"));
                    }
                    seen.push(i);
                    Ok::<(), ()>(())
                },
            )
            .unwrap_or_default();
        assert_eq!(seen, (0..11).collect::<Vec<_>>());
        assert_eq!(summary.documents, 11);
        assert_eq!(summary.skipped, 3);
        assert_eq!(summary.extracted, 8);
        assert_eq!(summary.failed, 4, "the empty documents");
    }

    #[test]
    fn a_sink_error_stops_the_batch() {
        let extractor = Extractor::bundled().unwrap_or_else(|e| panic!("{e}"));
        let batch = Batch::new(&extractor, Some(1)).unwrap_or_else(|e| panic!("{e}"));
        let docs = (0..10).map(|i| (i, Document::bytes("x.txt", b"x".to_vec())));
        let mut n = 0;
        let r = batch.run(
            docs,
            |_| false,
            |i, _| {
                n += 1;
                if i == 2 {
                    Err("full")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err("full"));
        assert_eq!(n, 3);
    }
}
