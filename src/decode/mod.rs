//! Decoders: each input format into the one [`Decoded`](crate::model::Decoded) block stream.
//!
//! The format is chosen by content (magic bytes), not by file name: a PDF
//! saved as `.html` is still a PDF, and an HTML error page saved as `.pdf`
//! is reported as `not_a_pdf`.

pub mod bundle;
pub mod child;
pub mod convert;
pub mod docx;
pub mod html;
pub mod isolate;
pub mod ofd;
pub mod pdf;
pub mod sheet;
pub mod text;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Decoded, Format};
use crate::settings::{DecodeOptions, Isolation, Limits};

/// Guesses the format of `bytes`, using the file name only to break ties.
pub fn sniff(bytes: &[u8], name: &str) -> Option<Format> {
    match detect(bytes, name) {
        Detected::Readable(f) => Some(f),
        _ => None,
    }
}

/// What the content is, readable or not.
#[derive(Debug, Clone, PartialEq)]
pub enum Detected {
    /// A format gongkai decodes.
    Readable(Format),
    /// A legacy binary Word file (.doc, .wps: OLE2 with a WordDocument stream).
    LegacyWord,
    /// A zip that is neither a Word nor an Excel document: a bundle of files.
    Bundle {
        /// Its members' names.
        members: Vec<String>,
    },
    /// A password-protected Office document (OLE2 holding an
    /// `EncryptedPackage` stream: an encrypted .docx or .xlsx).
    EncryptedOffice,
    /// A RAR or 7z archive (named by the string).
    Archive(&'static str),
    /// Nothing known.
    Unknown,
}

/// The format of `bytes` by content: magic bytes, a zip's member names, an
/// OLE2 file's stream names; the file name only breaks ties.
pub fn detect(bytes: &[u8], name: &str) -> Detected {
    let head = &bytes[..bytes.len().min(1024)];
    let lower_name = name.to_ascii_lowercase();
    if find(head, b"%PDF-").is_some() {
        return Detected::Readable(Format::Pdf);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // OLE2 compound file: its directory names the streams (UTF-16LE).
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let has = |s: &str| find(bytes, &utf16(s)).is_some();
        if has("EncryptedPackage") {
            return Detected::EncryptedOffice;
        }
        if has("WordDocument") && !has("Workbook") {
            return Detected::LegacyWord;
        }
        return Detected::Readable(Format::Spreadsheet);
    }
    if head.starts_with(b"PK\x05\x06") {
        // A zip's end record alone: a zip with nothing in it.
        return Detected::Bundle {
            members: Vec::new(),
        };
    }
    if head.starts_with(b"PK\x03\x04") {
        if bundle::entry_count(bytes).is_some_and(|n| n > bundle::MAX_MEMBERS as u64) {
            // Not listed: the bundle reader refuses it.
            return Detected::Bundle {
                members: Vec::new(),
            };
        }
        let members = zip_members(bytes);
        if members.iter().any(|n| n.starts_with("xl/")) {
            return Detected::Readable(Format::Spreadsheet);
        }
        if docx::is_docx(&members) {
            return Detected::Readable(Format::Docx);
        }
        if members.iter().any(|n| n.eq_ignore_ascii_case("OFD.xml")) {
            return Detected::Readable(Format::Ofd);
        }
        if members.is_empty() {
            // A zip whose directory cannot be read: left to the decoder
            // its name suggests, which says why.
            if lower_name.ends_with(".docx") {
                return Detected::Readable(Format::Docx);
            }
            return Detected::Readable(Format::Spreadsheet);
        }
        return Detected::Bundle { members };
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return Detected::Archive("RAR");
    }
    if head.starts_with(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        return Detected::Archive("7z");
    }
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    if find(&lower, b"<html").is_some()
        || find(&lower, b"<!doctype html").is_some()
        || find(&lower, b"<table").is_some()
        || find(&lower, b"<body").is_some()
        || find(&lower, b"<meta").is_some()
    {
        return Detected::Readable(Format::Html);
    }
    if lower_name.ends_with(".pdf") {
        return Detected::Readable(Format::Pdf);
    }
    if lower_name.ends_with(".html") || lower_name.ends_with(".htm") {
        return Detected::Readable(Format::Html);
    }
    if lower_name.ends_with(".xls") || lower_name.ends_with(".xlsx") {
        return Detected::Readable(Format::Spreadsheet);
    }
    if std::str::from_utf8(head).is_ok() || lower_name.ends_with(".txt") {
        return Detected::Readable(Format::Text);
    }
    Detected::Unknown
}

/// The member names of a zip (empty when its directory cannot be read).
/// The zip reader's panics are contained.
fn zip_members(bytes: &[u8]) -> Vec<String> {
    let list = || {
        Ok(zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map(|z| {
                z.file_names()
                    .filter_map(|n| n.ok())
                    .map(|n| n.into_owned())
                    .collect()
            })
            .unwrap_or_default())
    };
    contain(list, |why| why.to_string()).unwrap_or_default()
}

/// Reads `reader` to its end, at most `cap` bytes: `None` when there is
/// more (one byte past the cap is read, no further), whatever a header
/// declared. What the zip-based readers read their parts with.
pub(crate) fn read_capped(
    reader: impl std::io::Read,
    cap: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    reader.take(cap.saturating_add(1)).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= cap).then_some(out))
}

/// The character an XML entity or character reference stands for (the
/// five predefined entities and `&#…;`); `None` for another entity.
pub(crate) fn xml_reference(r: &quick_xml::events::BytesRef) -> Option<char> {
    match r.xml10_content().as_ref() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => r.resolve_char_ref().ok().flatten(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decodes one document held in memory, isolated as `options` say
/// ([`isolate`]). `name` is its file name or URL, used for messages and
/// tie-breaking; `charset` an HTTP charset if known.
pub fn decode(
    bytes: &[u8],
    name: &str,
    charset: Option<&str>,
    limits: &Limits,
    options: &DecodeOptions,
) -> Result<Decoded> {
    match &options.isolation {
        Isolation::Process(exe) => isolate::in_process(exe, bytes, name, charset, limits, options),
        Isolation::Thread => decode_here(bytes, name, charset, limits, options),
    }
}

/// The pages of a PDF (glyphs and ruling lines, what the layout reads), for
/// drawing them: isolated as `options` say, like [`decode`].
pub fn pdf_pages(bytes: &[u8], limits: &Limits, options: &DecodeOptions) -> Result<pdf::PdfPages> {
    match &options.isolation {
        Isolation::Process(exe) => isolate::pdf_pages_in_process(exe, bytes, limits, options),
        Isolation::Thread => pdf_pages_here(bytes, limits, options),
    }
}

/// [`pdf::pages`] in this process, its panics caught (what the worker of
/// [`isolate`] runs for [`pdf_pages`]).
pub fn pdf_pages_here(
    bytes: &[u8],
    limits: &Limits,
    options: &DecodeOptions,
) -> Result<pdf::PdfPages> {
    contain(
        || pdf::pages(bytes, limits, options),
        |why| format!("the PDF reader failed: {why}"),
    )
}

/// Decodes one document in this process, its panics caught (what the
/// worker of [`isolate`] runs).
pub fn decode_here(
    bytes: &[u8],
    name: &str,
    charset: Option<&str>,
    limits: &Limits,
    options: &DecodeOptions,
) -> Result<Decoded> {
    let was = DECODE_START.with(|s| s.replace(Some(std::time::Instant::now())));
    let decoded = contain(
        || dispatch(bytes, name, charset, limits, options),
        |why| format!("the decoder failed: {why}"),
    );
    DECODE_START.with(|s| s.set(was));
    decoded
}

thread_local! {
    /// When the document being decoded on this thread started (what a
    /// helper process's deadline counts from: see [`convert`]).
    static DECODE_START: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
}

/// How long the document being decoded here has been decoding.
pub(crate) fn decoding_for() -> std::time::Duration {
    DECODE_START.with(|s| s.get().map(|t| t.elapsed()).unwrap_or_default())
}

/// Runs a decoder with its panics caught and silent: a panic is
/// `decoder_failed`, in the words `say` makes of its message.
fn contain<T>(run: impl FnOnce() -> Result<T>, say: impl FnOnce(&str) -> String) -> Result<T> {
    install_quiet_hook();
    let was = QUIET_PANICS.with(|q| q.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(run));
    QUIET_PANICS.with(|q| q.set(was));
    outcome.unwrap_or_else(|payload| {
        Err(Error::new(
            ErrorKind::DecoderFailed,
            say(&panic_message(&payload)),
        ))
    })
}

thread_local! {
    /// Set while a decoder runs: its panics are expected and contained, so
    /// the panic hook stays silent for them.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Installs (once) a panic hook that is silent in decoders and delegates to
/// the previous hook everywhere else.
fn install_quiet_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Marks this thread as a decoder's: its panics are not printed.
fn quiet_panics() {
    QUIET_PANICS.with(|q| q.set(true));
}

/// The message of a caught panic.
fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    match panic_text(payload) {
        Some(s) => format!("internal panic: {s}"),
        None => "internal panic".to_string(),
    }
}

/// The text a panic was raised with, when it has one.
pub(crate) fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Chooses the decoder by content.
fn dispatch(
    bytes: &[u8],
    name: &str,
    charset: Option<&str>,
    limits: &Limits,
    options: &DecodeOptions,
) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::new(ErrorKind::Empty, "the file is empty (0 bytes)"));
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the file has {} bytes, over the limit of {} (raise --max-bytes to read it)",
                bytes.len(),
                limits.max_bytes
            ),
        ));
    }
    let lower = name.to_ascii_lowercase();
    let format = match detect(bytes, name) {
        Detected::Readable(f) => Some(f),
        Detected::LegacyWord => return legacy_word(bytes, limits, options),
        Detected::Bundle { members } => {
            let shown: Vec<&str> = members.iter().take(3).map(String::as_str).collect();
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                    "a zip bundle of {} files ({}{}), not a Word or Excel document: each member is a document of its own, read through Extractor::extract (as `gongkai extract` reads it)",
                    members.len(),
                    shown.join(", "),
                    if members.len() > 3 { ", …" } else { "" }
                ),
            ));
        }
        Detected::EncryptedOffice => {
            return Err(Error::new(
                ErrorKind::Encrypted,
                "a password-protected Office document (an OLE2 file holding an EncryptedPackage): it cannot be read without the password; ask the publisher for an open copy",
            ))
        }
        Detected::Archive(what) => {
            return Err(Error::new(
                ErrorKind::UnsupportedFormat,
                format!(
                "a {what} archive; gongkai unpacks zip bundles only: unpack it and read its files"
            ),
            ))
        }
        Detected::Unknown => None,
    };
    match format {
        Some(Format::Pdf) => {
            if find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_none() {
                return Err(Error::new(
                    ErrorKind::NotAPdf,
                    "named .pdf but the content is not a PDF (no %PDF- header): probably an error page or a partial download",
                ));
            }
            pdf::decode(bytes, limits, options)
        }
        Some(Format::Html) => {
            if lower.ends_with(".pdf") {
                return Err(Error::new(
                    ErrorKind::NotAPdf,
                    "named .pdf but the content is an HTML page (an error or login page saved in place of the document?)",
                ));
            }
            html::decode(bytes, charset, limits)
        }
        Some(Format::Spreadsheet) => match sheet::decode(bytes, name, limits) {
            Err(e) if is_ole2(bytes) && convertible(&e) => legacy_sheet(bytes, limits, options, e),
            read => read,
        },
        Some(Format::Docx) => docx::decode(bytes, limits),
        Some(Format::Ofd) => ofd::decode(bytes, limits),
        Some(Format::Text) => text::decode(bytes, charset),
        None => Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "the content is not PDF, HTML, Word .docx, a spreadsheet or UTF-8/GBK text",
        )),
    }
}

/// A legacy binary Word file (.doc, .wps), converted to .docx by
/// LibreOffice and read as one.
fn legacy_word(bytes: &[u8], limits: &Limits, options: &DecodeOptions) -> Result<Decoded> {
    let what = "legacy binary Word document (.doc/.wps)";
    let docx = convert::convert(
        bytes,
        convert::Target::Docx,
        what,
        limits,
        options.soffice.as_deref(),
    )?;
    let mut decoded = docx::decode(&docx, limits)?;
    decoded.engine = format!("{}+{}", convert::ENGINE, decoded.engine);
    Ok(decoded)
}

/// An OLE2 workbook calamine could not open (an .et, an old or odd .xls),
/// converted to .xlsx by LibreOffice; when that fails too (or LibreOffice
/// is absent), calamine's error stands, the converter's said after it.
fn legacy_sheet(
    bytes: &[u8],
    limits: &Limits,
    options: &DecodeOptions,
    first: Error,
) -> Result<Decoded> {
    let what = "binary workbook (.xls/.et) calamine cannot open";
    let converted = convert::convert(
        bytes,
        convert::Target::Xlsx,
        what,
        limits,
        options.soffice.as_deref(),
    )
    .and_then(|xlsx| sheet::decode(&xlsx, "converted.xlsx", limits));
    match converted {
        Ok(mut decoded) => {
            decoded.engine = format!("{}+{}", convert::ENGINE, decoded.engine);
            decoded.warnings.push(format!(
                "calamine could not open it ({}); converted by LibreOffice",
                first.message
            ));
            Ok(decoded)
        }
        Err(e) => Err(Error::new(
            first.kind,
            format!("{}; {}", first.message, e.message),
        )),
    }
}

fn is_ole2(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Whether a spreadsheet error is the reader's failing to open the file
/// (not a limit, which a conversion would not lift).
fn convertible(e: &Error) -> bool {
    !matches!(
        e.kind,
        ErrorKind::TooLarge | ErrorKind::Timeout | ErrorKind::Encrypted
    )
}

/// Decodes bytes of text in an unknown charset: the declared `charset` when
/// given and known, else UTF-8 (with or without BOM) when valid, else GB18030
/// (a superset of GBK and GB2312), which is what these portals use.
pub fn decode_charset(bytes: &[u8], charset: Option<&str>) -> Result<String> {
    if let Some(label) = charset {
        if let Some(enc) = encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
            let (text, _, had_errors) = enc.decode(bytes);
            if !had_errors {
                return Ok(text.into_owned());
            }
        }
    }
    let (text, _, had_errors) = encoding_rs::UTF_8.decode(bytes);
    if !had_errors {
        return Ok(text.into_owned());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if !had_errors {
        return Ok(text.into_owned());
    }
    Err(Error::new(
        ErrorKind::UnsupportedEncoding,
        "the text is neither valid UTF-8 nor GB18030/GBK; declare its charset",
    ))
}
