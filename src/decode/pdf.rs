//! PDF decoding: pdf-extract with our own [`OutputDev`] collects positioned
//! glyphs and ruling lines per page ([`model::Page`](crate::model::Page));
//! [`layout`](crate::layout) turns them into blocks.
//!
//! The steps, for one document:
//!
//! 1. lopdf parses the file (a broken structure is `truncated`); an encrypted
//!    file is opened with the empty user password or reported `encrypted`.
//! 2. pdf-extract walks every page in a worker thread, each page inside
//!    `catch_unwind` (it panics on some fonts and may loop); the caller waits
//!    at most `limits.timeout`. Its `OutputDev` gives the glyphs, mapped to
//!    the page as displayed (media box and `/Rotate`, [`space`]); ruling
//!    lines come from our own pass over the content stream ([`rules`]),
//!    because pdf-extract drops paths painted with `f*`, `B`, `b` and `s`.
//! 3. When pdf-extract failed, its text looks garbled (U+FFFD, private-use
//!    code points, no CJK at all) or a page uses a font whose widths it
//!    misreads and we could not repair ([`fonts`]), poppler's `pdftotext -bbox-layout` is tried
//!    ([`pdftotext`]); its words become glyphs, the rules still come from
//!    step 2. Without pdftotext, unreadable text is an error naming the
//!    cause, misread widths a warning.
//! 4. Each page goes through [`layout::page_blocks`](crate::layout::page_blocks)
//!    ([`decode`]; [`pages`] stops before layout).

pub mod fonts;
pub mod guard;
pub mod pdftotext;
pub mod rules;
pub mod space;
pub mod thread;

use std::panic::{self, AssertUnwindSafe};

use lopdf::Document;
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use space::PageSpace;

use super::panic_message;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Decoded, Format, Glyph, Page};
use crate::settings::{DecodeOptions, Limits};
use crate::text::{is_cjk, normalize};

/// Share of garbled characters (U+FFFD, private use) above which the text
/// layer of pdf-extract is distrusted.
pub const MAX_GARBLED_SHARE: f64 = 0.02;

/// Advance (in text space units) assumed for a glyph without a width.
const DEFAULT_ADVANCE: f64 = 0.5;

/// The engine names recorded in [`Decoded::engine`].
pub const ENGINE_PDF_EXTRACT: &str = "pdf-extract";

/// What the pdf-extract pass made of a document.
struct Extracted {
    pages: Vec<Page>,
    /// Pages (1-based) whose extraction failed, with the cause.
    failed: Vec<(u32, String)>,
    /// Pages using a font whose widths pdf-extract misreads ([`fonts`]).
    misread: Vec<u32>,
    /// Pages not read because they are over a work limit, with the limit.
    over_limit: Vec<(u32, String)>,
    /// The page count the file declares (see [`declared_pages`]).
    declared: Option<u32>,
}

/// Decodes a PDF held in memory into blocks.
pub fn decode(bytes: &[u8], limits: &Limits, options: &DecodeOptions) -> Result<Decoded> {
    let read = pages(bytes, limits, options)?;
    let blocks = read
        .pages
        .iter()
        .flat_map(crate::layout::page_blocks)
        .collect();
    Ok(Decoded {
        format: Format::Pdf,
        engine: read.engine.to_string(),
        pages: read.pages.len() as u32,
        blocks,
        warnings: read.warnings,
    })
}

/// The positioned glyphs and rules of a PDF, before layout.
#[derive(Debug, Clone)]
pub struct PdfPages {
    /// [`ENGINE_PDF_EXTRACT`] or [`pdftotext::ENGINE`].
    pub engine: &'static str,
    /// The pages.
    pub pages: Vec<Page>,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
}

/// Reads the glyphs and ruling lines of every page (steps 1–3 of the module doc).
pub fn pages(bytes: &[u8], limits: &Limits, options: &DecodeOptions) -> Result<PdfPages> {
    super::install_quiet_hook();
    let fallback = options.pdftotext.as_deref();
    let extracted = thread::run(bytes, limits)?;
    let extracted = match extracted {
        Ok(x) => x,
        // Structural errors: no point trying another engine on the same bytes
        // unless pdftotext can read them.
        Err(e) if matches!(e.kind, ErrorKind::Encrypted | ErrorKind::TooLarge) => return Err(e),
        // A guard tripped: cut off, not retried with another engine.
        Err(e) if e.kind == ErrorKind::Timeout => return Err(e),
        Err(e) if e.kind == ErrorKind::Truncated => {
            return match pdftotext::decode(bytes, limits, fallback) {
                Ok(mut d) if has_glyphs(&d.1) => {
                    d.0.push(format!(
                        "lopdf could not parse the file ({}); read by pdftotext",
                        e.message
                    ));
                    Ok(assemble(pdftotext::ENGINE, d.1, d.0))
                }
                _ => Err(e),
            };
        }
        Err(e) => Extracted {
            pages: Vec::new(),
            failed: vec![(0, e.message)],
            misread: Vec::new(),
            over_limit: Vec::new(),
            declared: None,
        },
    };
    finish(bytes, limits, fallback, extracted)
}

/// Chooses between the pdf-extract result and the pdftotext fallback and
/// assembles the blocks.
fn finish(
    bytes: &[u8],
    limits: &Limits,
    fallback: Option<&std::path::Path>,
    extracted: Extracted,
) -> Result<PdfPages> {
    let Extracted {
        pages,
        failed,
        misread,
        over_limit,
        declared,
    } = extracted;

    let mut warnings: Vec<String> = failed
        .iter()
        .map(|(p, m)| {
            if *p == 0 {
                format!("pdf-extract failed: {m}")
            } else {
                format!("pdf-extract failed on page {p}: {m}")
            }
        })
        .collect();
    let quality = TextQuality::of(&pages);
    let garbled = quality.is_garbled();
    if !failed.is_empty()
        || garbled
        || (quality.chars == 0 && over_limit.is_empty())
        || !misread.is_empty()
    {
        let why = if !failed.is_empty() {
            "pdf-extract failed".to_string()
        } else if !misread.is_empty() {
            format!(
                "pdf-extract misreads the glyph widths of a font on {} page(s), from page {}",
                misread.len(),
                misread[0]
            )
        } else if garbled {
            format!(
                "the text layer looks garbled ({} of {} characters unmapped, {} CJK)",
                quality.bad, quality.chars, quality.cjk
            )
        } else {
            "pdf-extract found no text".to_string()
        };
        match pdftotext::decode(bytes, limits, fallback) {
            Ok((mut w, mut fallback_pages)) => {
                // pdftotext has no ruling lines; ours come from lopdf and
                // do not depend on the fonts.
                for fp in &mut fallback_pages {
                    if let Some(p) = pages.iter().find(|p| p.number == fp.number) {
                        fp.rules = p.rules.clone();
                    }
                }
                let fq = TextQuality::of(&fallback_pages);
                if fq.chars > 0 && (!fq.is_garbled() || quality.chars == 0) {
                    warnings.push(format!("{why}; text read by pdftotext"));
                    warnings.append(&mut w);
                    // pdftotext pads a broken tree with empty pages: a
                    // page counts as reached when lopdf reached it or
                    // pdftotext found text on it.
                    let reached = fallback_pages
                        .iter()
                        .filter(|p| !p.glyphs.is_empty())
                        .count()
                        .max(pages.len());
                    warnings.extend(lost_pages(declared, reached));
                    return Ok(assemble(pdftotext::ENGINE, fallback_pages, warnings));
                }
            }
            Err(e) if e.kind == ErrorKind::Timeout => warnings.push(e.message),
            Err(e) => {
                tracing::debug!("pdftotext fallback unavailable: {}", e.message);
                if quality.chars == 0 && !failed.is_empty() {
                    let cause = failed
                        .first()
                        .map(|f| f.1.as_str())
                        .unwrap_or("unknown cause");
                    return Err(Error::new(
                        ErrorKind::DecoderFailed,
                        format!(
                            "pdf-extract could not read the text ({cause}; typically a CJK font with a predefined CMap \
                             and no ToUnicode map) and the pdftotext fallback is unavailable ({}); installing \
                             poppler-utils (with poppler-data) would help",
                            e.message
                        ),
                    ));
                }
                if garbled || !misread.is_empty() {
                    warnings.push(format!(
                        "{why}; the pdftotext fallback is unavailable ({}); installing poppler-utils would help",
                        e.message
                    ));
                }
            }
        }
    }
    if let (0, Some((page, why))) = (quality.chars, over_limit.first()) {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("page {page} was not read: {why}; no other page has text"),
        ));
    }
    warnings.extend(
        over_limit
            .iter()
            .map(|(page, why)| format!("page {page} not read: {why}")),
    );
    if quality.chars == 0 {
        return Err(Error::new(
            ErrorKind::NoTextLayer,
            format!(
                "none of the {} pages has any text: a scan without a text layer; it needs OCR",
                pages.len()
            ),
        ));
    }
    warnings.extend(lost_pages(declared, pages.len()));
    Ok(assemble(ENGINE_PDF_EXTRACT, pages, warnings))
}

/// The warning for pages the file declares that could not be reached.
fn lost_pages(declared: Option<u32>, read: usize) -> Option<String> {
    let declared = declared? as usize;
    (declared > read).then(|| {
        format!(
            "pages lost: the file declares {declared} pages, {read} could be reached \
             (a damaged page tree; {} not read)",
            declared - read
        )
    })
}

fn has_glyphs(pages: &[Page]) -> bool {
    pages.iter().any(|p| !p.glyphs.is_empty())
}

/// Packs a result.
fn assemble(engine: &'static str, pages: Vec<Page>, warnings: Vec<String>) -> PdfPages {
    PdfPages {
        engine,
        pages,
        warnings,
    }
}

/// Counts that tell whether a text layer is usable.
#[derive(Debug, Default)]
struct TextQuality {
    chars: usize,
    bad: usize,
    cjk: usize,
}

impl TextQuality {
    fn of(pages: &[Page]) -> Self {
        let mut q = TextQuality::default();
        for c in pages
            .iter()
            .flat_map(|p| &p.glyphs)
            .flat_map(|g| g.text.chars())
        {
            q.chars += 1;
            if is_garbled_char(c) {
                q.bad += 1;
            }
            if is_cjk(c) {
                q.cjk += 1;
            }
        }
        q
    }

    fn is_garbled(&self) -> bool {
        self.chars > 0 && (self.cjk == 0 || self.bad as f64 > self.chars as f64 * MAX_GARBLED_SHARE)
    }
}

/// U+FFFD, private-use code points and C0/C1 controls: what a font without
/// a Unicode mapping decodes to.
fn is_garbled_char(c: char) -> bool {
    matches!(c as u32, 0xFFFD | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF | 0x00..=0x08 | 0x0E..=0x1F | 0x80..=0x9F)
}

/// Parses the document and runs pdf-extract page by page (in the worker thread).
fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted> {
    let max_pages = limits.max_pages;
    let mut doc = load(bytes)?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Error::new(
            ErrorKind::Encrypted,
            "the PDF is encrypted and does not open with an empty password",
        ));
    }
    let sizes = guard::check(&doc, limits)?;
    let repaired = fonts::repair_widths(&mut doc);
    if repaired > 0 {
        tracing::debug!("repaired the /W widths of {repaired} CID fonts for pdf-extract");
    }
    let ids = doc.get_pages();
    let numbers: Vec<u32> = ids.keys().copied().collect();
    if numbers.is_empty() {
        return Err(Error::new(
            ErrorKind::Truncated,
            "the PDF has no readable pages: its page tree is empty, broken or loops back on itself \
             (a damaged or partial file; download it again)",
        ));
    }
    if numbers.len() as u64 > u64::from(max_pages) {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the PDF has {} pages, over the limit of {max_pages} (raise --max-pages to read it)",
                numbers.len()
            ),
        ));
    }
    let mut out = Extracted {
        pages: Vec::with_capacity(numbers.len()),
        failed: Vec::new(),
        misread: Vec::new(),
        over_limit: Vec::new(),
        declared: declared_pages(&doc),
    };
    // One processor for the whole document: fonts are built once, not per page.
    let no_resources = lopdf::Dictionary::new();
    let mut processor = pdf_extract::Processor::new();
    for number in numbers {
        let Some(&id) = ids.get(&number) else {
            continue;
        };
        let mut dev = Collector {
            page: None,
            space: PageSpace::read(&doc, id),
            id,
            max_glyphs: limits.max_page_glyphs,
            overflowed: false,
        };
        // A page whose content floods operators would be held in memory
        // whole, twice (pdf-extract's parse and ours): it is not read.
        let flood = panic::catch_unwind(AssertUnwindSafe(|| {
            operator_problem(&doc, id, &sizes, limits)
        }))
        .unwrap_or_else(|payload| Some(panic_message(&payload)));
        let flooded = flood.is_some();
        // What went wrong (left to the fallback), and the work limit the
        // page is over (not read, and said).
        let (failure, over) = match flood {
            Some(why) => (None, Some(why)),
            // pdf-extract would recurse until its stack overflows (an
            // abort, not a panic): such a page is left to the fallback.
            None => {
                match panic::catch_unwind(AssertUnwindSafe(|| guard::page_forms_problem(&doc, id)))
                    .unwrap_or_else(|payload| Some(panic_message(&payload)))
                {
                    Some(problem) => (Some(format!("not read: {problem}")), None),
                    None => {
                        let run = panic::catch_unwind(AssertUnwindSafe(|| {
                            pdf_extract::output_page(
                                &doc,
                                &mut processor,
                                &mut dev,
                                number,
                                id,
                                &no_resources,
                            )
                        }));
                        match run {
                            Ok(Ok(())) => (None, None),
                            Ok(Err(_)) if dev.overflowed => (
                                None,
                                Some(format!(
                                "it draws more than {} glyphs (raise --max-page-glyphs to read it)",
                                limits.max_page_glyphs
                            )),
                            ),
                            Ok(Err(e)) => (Some(format!("{e:?}")), None),
                            Err(payload) => (Some(panic_message(&payload)), None),
                        }
                    }
                }
            }
        };
        let mut page = dev.page.take().unwrap_or_default();
        page.number = number;
        if dev.overflowed {
            page.glyphs.clear();
        }
        if let (Some(space), false) = (dev.space, flooded) {
            let found =
                panic::catch_unwind(AssertUnwindSafe(|| rules::page_rules(&doc, dev.id, space)));
            page.rules = found.unwrap_or_default();
        }
        if panic::catch_unwind(AssertUnwindSafe(|| fonts::has_misread_widths(&doc, dev.id)))
            .unwrap_or(false)
        {
            out.misread.push(number);
        }
        if let Some(f) = failure {
            tracing::debug!(page = number, "pdf-extract failed: {f}");
            out.failed.push((number, f));
        }
        if let Some(why) = over {
            out.over_limit.push((number, why));
        }
        out.pages.push(page);
    }
    Ok(out)
}

/// Why a page's content must not be parsed: more operators than
/// [`Limits::max_page_operators`]. Counted only when the decoded content is
/// large enough to hold that many (an operator takes two bytes at least).
fn operator_problem(
    doc: &Document,
    page: lopdf::ObjectId,
    sizes: &guard::StreamSizes,
    limits: &Limits,
) -> Option<String> {
    let max = limits.max_page_operators;
    if guard::page_content_size(doc, page, sizes) < max.saturating_mul(2) {
        return None;
    }
    let content = doc.get_page_content(page).ok()?;
    let count = guard::count_operators(&content, max);
    (count > max).then(|| {
        format!(
            "its content stream has more than {max} operators (raise --max-page-operators to read it)"
        )
    })
}

/// How many pages the file says it has: the page tree root's `/Count`
/// (when the trailer reaches it), else nothing. A damaged tree reaches
/// fewer.
fn declared_pages(doc: &Document) -> Option<u32> {
    let pages = doc.catalog().ok()?.get(b"Pages").ok()?;
    let root = match pages {
        lopdf::Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        lopdf::Object::Dictionary(d) => d,
        _ => return None,
    };
    let count = root.get(b"Count").ok()?.as_i64().ok()?;
    u32::try_from(count).ok()
}

/// Parses with lopdf, mapping its errors to ours.
fn load(bytes: &[u8]) -> Result<Document> {
    Document::load_mem(bytes).map_err(|e| {
        let text = e.to_string();
        if text.to_ascii_lowercase().contains("decrypt")
            || text.to_ascii_lowercase().contains("encrypt")
        {
            Error::new(
                ErrorKind::Encrypted,
                format!("the PDF is encrypted and cannot be opened ({text})"),
            )
        } else {
            Error::new(
                ErrorKind::Truncated,
                format!(
                    "the PDF is damaged or truncated: its structure cannot be parsed ({text}); \
                     a partial download? fetch it again"
                ),
            )
        }
    })
}

/// Our pdf-extract output device: the glyphs of one page.
struct Collector {
    page: Option<Page>,
    /// Read from the page tree before pdf-extract starts (it ignores `/Rotate`).
    space: Option<PageSpace>,
    id: lopdf::ObjectId,
    /// Glyphs kept at most ([`Limits::max_page_glyphs`]).
    max_glyphs: u64,
    /// More were drawn: the page was stopped.
    overflowed: bool,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        let space = *self.space.get_or_insert_with(|| {
            PageSpace::new(media_box.llx, media_box.lly, media_box.urx, media_box.ury)
        });
        let (width, height) = space.size();
        self.page = Some(Page {
            number: page_num,
            width,
            height,
            glyphs: Vec::new(),
            rules: Vec::new(),
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        let printed = crate::text::fold(text);
        let text = normalize(text);
        if text.is_empty() {
            return Ok(());
        }
        let printed = (printed != text).then_some(printed);
        // The effective size: the side of the square with the area of the
        // font-size square mapped through the text rendering matrix.
        let vx = font_size * (trm.m11 + trm.m21);
        let vy = font_size * (trm.m12 + trm.m22);
        let size = (vx * vy).abs().sqrt();
        let Some(space) = self.space else {
            return Ok(());
        };
        let width = if width.is_finite() && width > 0.0 {
            width
        } else {
            DEFAULT_ADVANCE
        };
        // Origin, end of the advance and top of the glyph, in display space.
        let (ox, oy) = space.map(trm.m31, trm.m32);
        let (ex, ey) = space.map(
            trm.m31 + width * font_size * trm.m11,
            trm.m32 + width * font_size * trm.m12,
        );
        if !(size.is_finite()
            && ox.is_finite()
            && oy.is_finite()
            && ex.is_finite()
            && ey.is_finite())
            || size <= 0.0
        {
            return Ok(());
        }
        let glyph = if (ex - ox).abs() >= (ey - oy).abs() {
            // Horizontal as displayed (the normal case).
            Glyph {
                text,
                printed,
                x0: ox.min(ex),
                y0: oy - size,
                x1: ox.max(ex),
                y1: oy,
                size,
            }
        } else {
            // Vertical as displayed: a column of glyphs.
            Glyph {
                text,
                printed,
                x0: ox - size / 2.0,
                y0: oy.min(ey),
                x1: ox + size / 2.0,
                y1: oy.max(ey),
                size,
            }
        };
        if let Some(p) = self.page.as_mut() {
            if p.glyphs.len() as u64 >= self.max_glyphs {
                // Ends pdf-extract's walk of the page.
                self.overflowed = true;
                return Err(OutputError::FormatError(std::fmt::Error));
            }
            p.glyphs.push(glyph);
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbled_detection() {
        let page = |t: &str| Page {
            glyphs: t
                .chars()
                .map(|c| Glyph {
                    text: c.to_string(),
                    printed: None,
                    x0: 0.0,
                    y0: 0.0,
                    x1: 1.0,
                    y1: 1.0,
                    size: 1.0,
                })
                .collect(),
            ..Page::default()
        };
        assert!(!TextQuality::of(&[page("部门决算公开 2022")]).is_garbled());
        assert!(TextQuality::of(&[page("abc 2022")]).is_garbled());
        assert!(TextQuality::of(&[page("部门\u{E001}\u{E002}")]).is_garbled());
        assert!(!TextQuality::of(&[page("")]).is_garbled());
    }
}
