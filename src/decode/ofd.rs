//! OFD (GB/T 33190-2016, the national standard for fixed-layout electronic
//! documents): a zip whose `OFD.xml` names the document's root, whose
//! `Document.xml` lists the pages, and whose pages' `Content.xml` place
//! text (`TextObject`/`TextCode`, with per-glyph advances) and paths
//! (`PathObject`) in millimetres on the page. Read into the same positioned
//! glyphs and ruling lines as a PDF page ([`Page`]), so that layout and
//! recognition apply unchanged.
//!
//! What is read: the first document of the package; each page's layers and
//! the page blocks nested in them; a text object's boundary, transform
//! (`CTM`) and size, each text code's origin and `DeltaX`/`DeltaY` (with
//! the `g n v` repeat form); a path's straight segments that run across or
//! down the page, as rules. Not read: page templates (`TemplatePage`,
//! headers, footers and watermarks, like a .docx's), annotations, images
//! (a page of images only is a scan: `no_text_layer`), curves.
//!
//! Bounded: each part read against [`Limits::max_decoded_bytes`] (all parts
//! together, whatever the zip headers declare), elements against
//! [`Limits::max_html_nodes`], pages against [`Limits::max_pages`], glyphs
//! of a page against [`Limits::max_page_glyphs`] and its path operators
//! against [`Limits::max_page_operators`] (a page over either is not read,
//! and says so), advances against the characters they space, block
//! nesting against [`MAX_BLOCK_DEPTH`]. A page part that is missing or
//! broken leaves that page unread, with a warning.

use std::io::Cursor;

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Decoded, Format, Glyph, Page, Rule};
use crate::settings::Limits;

/// The engine name recorded in [`Decoded::engine`].
pub const ENGINE: &str = "ofd";

/// Points per millimetre (OFD's unit is the millimetre).
const PT_PER_MM: f64 = 72.0 / 25.4;

/// Deepest nesting of page blocks accepted.
pub const MAX_BLOCK_DEPTH: usize = 64;

/// Width of a glyph without an advance, relative to the font size, for a
/// character that is not full width.
const HALF_WIDTH: f64 = 0.5;

/// What the warning of a page over a work limit says.
const OVER_LIMIT: &str = "not read (raise --max-page-";

/// What the warning of a page whose part is missing or broken says.
const PAGE_NOT_READ: &str = "not read";

/// How far a segment may lean (in millimetres over its length) and still be
/// a rule across or down the page.
const RULE_SLACK_MM: f64 = 0.3;

/// Decodes an OFD package into blocks.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    let (pages, warnings) = pages(bytes, limits)?;
    if pages.iter().all(|p| p.glyphs.is_empty()) {
        if let Some(over) = warnings.iter().find(|w| w.contains(OVER_LIMIT)) {
            return Err(Error::new(ErrorKind::TooLarge, over.clone()));
        }
        if let Some(unread) = warnings.iter().find(|w| w.contains(PAGE_NOT_READ)) {
            return Err(Error::new(ErrorKind::Truncated, unread.clone()));
        }
        return Err(Error::new(
            ErrorKind::NoTextLayer,
            format!(
                "the OFD document's {} pages place no text (images only: a scan that needs OCR)",
                pages.len()
            ),
        ));
    }
    let blocks = pages.iter().flat_map(crate::layout::page_blocks).collect();
    Ok(Decoded {
        format: Format::Ofd,
        engine: ENGINE.into(),
        pages: pages.len() as u32,
        blocks,
        warnings,
    })
}

fn corrupt(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Truncated,
        format!("an OFD document (zip with OFD.xml) that cannot be read: {why}"),
    )
}

/// The pages of an OFD package as positioned glyphs and rules (in points,
/// from the top left), with warnings.
pub fn pages(bytes: &[u8], limits: &Limits) -> Result<(Vec<Page>, Vec<String>)> {
    let mut package = Package {
        zip: zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?,
        left: limits.max_decoded_bytes,
        elements: limits.max_html_nodes,
        limits,
    };
    let mut warnings = Vec::new();
    let root = package.read("OFD.xml")?;
    let roots = texts_of(&root, "DocRoot", &mut package.elements)?;
    let Some(doc_root) = roots.first() else {
        return Err(corrupt("OFD.xml names no DocRoot"));
    };
    if roots.len() > 1 {
        warnings.push(format!(
            "the OFD package holds {} documents; the first ({doc_root}) was read",
            roots.len()
        ));
    }
    let doc_path = resolve("", doc_root);
    let document = package.read(&doc_path)?;
    let doc_dir = parent(&doc_path);
    let listing = list_pages(&document, &mut package.elements)?;
    if listing.pages.is_empty() {
        return Err(corrupt(format!("{doc_path} lists no pages")));
    }
    let mut pages = Vec::new();
    for (i, base) in listing.pages.iter().enumerate() {
        if i as u32 >= limits.max_pages {
            warnings.push(format!(
                "the OFD document has {} pages; the first {} were read (raise --max-pages to read them all)",
                listing.pages.len(),
                limits.max_pages
            ));
            break;
        }
        let number = i as u32 + 1;
        let path = resolve(&doc_dir, base);
        let xml = match package.read(&path) {
            Ok(xml) => xml,
            Err(e) if e.kind == ErrorKind::Truncated => {
                warnings.push(format!("page {number} {PAGE_NOT_READ}: {}", e.message));
                pages.push(Page {
                    number,
                    ..Page::default()
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut work = Work {
            glyphs_left: limits.max_page_glyphs,
            operators_left: limits.max_page_operators,
            over: None,
        };
        let mut page = read_page(
            &xml,
            number,
            listing.box_mm,
            &mut package.elements,
            &mut work,
        )?;
        if let Some(over) = work.over {
            warnings.push(format!("page {number} {over}"));
            page.glyphs.clear();
            page.rules.clear();
        }
        pages.push(page);
    }
    Ok((pages, warnings))
}

/// The work one page may take: glyphs placed and path operators read.
struct Work {
    glyphs_left: u64,
    operators_left: u64,
    /// Why the page is not read, once a bound is passed.
    over: Option<String>,
}

/// The zip of an OFD package, read within the limits.
struct Package<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Bytes the parts may still unpack to.
    left: u64,
    /// Elements the parts may still hold.
    elements: u64,
    limits: &'a Limits,
}

impl Package<'_> {
    /// A part by its path (a name that differs only in case, or with a
    /// leading `/`, is the same part).
    fn read(&mut self, path: &str) -> Result<Vec<u8>> {
        let wanted = path.trim_start_matches('/');
        let index = self.zip.index_for_name(wanted).or_else(|| {
            self.zip
                .file_names()
                .position(|n| n.is_ok_and(|n| n.eq_ignore_ascii_case(wanted)))
        });
        let Some(index) = index else {
            return Err(corrupt(format!("the part {wanted} is missing")));
        };
        let file = self
            .zip
            .by_index(index)
            .map_err(|e| corrupt(format!("{wanted}: {e}")))?;
        let out = super::read_capped(file, self.left)
            .map_err(|e| corrupt(format!("{wanted}: {e}")))?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "the OFD document's parts unpack to over {} bytes (raise --max-decoded-bytes to read it; a zip bomb otherwise)",
                        self.limits.max_decoded_bytes
                    ),
                )
            })?;
        self.left -= out.len() as u64;
        Ok(out)
    }
}

/// Counts one element against the limit.
fn count(elements: &mut u64) -> Result<()> {
    if *elements == 0 {
        return Err(Error::new(
            ErrorKind::TooLarge,
            "the OFD document has more XML elements than --max-html-nodes allows",
        ));
    }
    *elements -= 1;
    Ok(())
}

/// The text of every element named `local` (namespace prefixes aside).
fn texts_of(xml: &[u8], local: &str, elements: &mut u64) -> Result<Vec<String>> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut inside = false;
    let mut current = String::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) => {
                count(elements)?;
                if e.local_name().into_inner() == local {
                    inside = true;
                    current.clear();
                }
            }
            Event::Empty(_) => count(elements)?,
            Event::Text(t) if inside => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if inside => {
                if let Some(c) = super::xml_reference(&r) {
                    current.push(c);
                }
            }
            Event::End(e) if inside && e.local_name().into_inner() == local => {
                inside = false;
                out.push(current.trim().to_string());
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// What `Document.xml` says of the pages.
struct Listing {
    /// Each page's content part, relative to the document's folder.
    pages: Vec<String>,
    /// The default page box (x, y, width, height in mm).
    box_mm: [f64; 4],
}

fn list_pages(xml: &[u8], elements: &mut u64) -> Result<Listing> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut pages = Vec::new();
    let mut box_mm = [0.0, 0.0, 210.0, 297.0];
    let mut in_area = false;
    let mut in_box = false;
    let mut text = String::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(corrupt)? {
            Event::Start(e) => {
                count(elements)?;
                match e.local_name().into_inner() {
                    "PageArea" => in_area = true,
                    "PhysicalBox" if in_area => {
                        in_box = true;
                        text.clear();
                    }
                    "Page" => pages.extend(attr(&e, "BaseLoc")),
                    _ => {}
                }
            }
            Event::Empty(e) => {
                count(elements)?;
                if e.local_name().into_inner() == "Page" {
                    pages.extend(attr(&e, "BaseLoc"));
                }
            }
            Event::Text(t) if in_box => text.push_str(&t.xml10_content()),
            Event::End(e) => match e.local_name().into_inner() {
                "PageArea" => in_area = false,
                "PhysicalBox" if in_box => {
                    in_box = false;
                    if let Some(b) = four(&text) {
                        box_mm = b;
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(Listing { pages, box_mm })
}

/// An affine transform `[a b c d e f]`: x' = a·x + c·y + e, y' = b·x + d·y + f.
type Ctm = [f64; 6];

const IDENTITY: Ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn apply(m: &Ctm, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// A text or path object being read: where its own coordinates go on the
/// page (its transform, then its boundary's origin).
struct Object {
    origin: (f64, f64),
    ctm: Ctm,
    /// Font size in mm (text).
    size: f64,
    /// The last text code's X and Y, which a code without them takes.
    last: (f64, f64),
    /// Whether a path is drawn (stroked or filled).
    drawn: bool,
}

impl Object {
    /// A point of the object's space on the page, in mm.
    fn place(&self, x: f64, y: f64) -> (f64, f64) {
        let (x, y) = apply(&self.ctm, x, y);
        (self.origin.0 + x, self.origin.1 + y)
    }

    /// How much the transform scales heights.
    fn vertical_scale(&self) -> f64 {
        let s = self.ctm[2].hypot(self.ctm[3]);
        if s > 0.0 {
            s
        } else {
            1.0
        }
    }
}

/// A text code being read.
struct Code {
    x: Option<f64>,
    y: Option<f64>,
    /// `DeltaX` and `DeltaY` as written (expanded for the characters only).
    dx: String,
    dy: String,
    text: String,
}

/// Reads one page's content into glyphs and rules (in points).
fn read_page(
    xml: &[u8],
    number: u32,
    default_box: [f64; 4],
    elements: &mut u64,
    work: &mut Work,
) -> Result<Page> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut glyphs: Vec<Glyph> = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let mut box_mm = default_box;
    let mut in_area = false;
    let mut box_text: Option<String> = None;
    let mut depth = 0usize;
    let mut object: Option<Object> = None;
    let mut code: Option<Code> = None;
    let mut path: Option<String> = None;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(corrupt)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            count(elements)?;
            match e.local_name().into_inner() {
                "Area" => in_area = !empty,
                "PhysicalBox" if in_area && !empty => box_text = Some(String::new()),
                "PageBlock" | "Layer" if !empty => {
                    depth += 1;
                    if depth > MAX_BLOCK_DEPTH {
                        return Err(Error::new(
                            ErrorKind::TooLarge,
                            format!(
                                "page {number} nests page blocks more than {MAX_BLOCK_DEPTH} deep"
                            ),
                        ));
                    }
                }
                "TextObject" | "PathObject" if !empty => {
                    let boundary = attr(&e, "Boundary")
                        .and_then(|b| four(&b))
                        .unwrap_or_default();
                    let ctm = attr(&e, "CTM").and_then(|c| six(&c)).unwrap_or(IDENTITY);
                    let size = attr(&e, "Size")
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .unwrap_or(3.5);
                    let flag = |name: &str, default: bool| {
                        attr(&e, name).map_or(default, |v| v.trim() == "true")
                    };
                    object = Some(Object {
                        origin: (boundary[0], boundary[1]),
                        ctm,
                        size,
                        last: (0.0, 0.0),
                        drawn: flag("Stroke", true) || flag("Fill", false),
                    });
                }
                "TextCode" if !empty && object.is_some() => {
                    code = Some(Code {
                        x: attr(&e, "X").and_then(|v| v.trim().parse().ok()),
                        y: attr(&e, "Y").and_then(|v| v.trim().parse().ok()),
                        dx: attr(&e, "DeltaX").unwrap_or_default(),
                        dy: attr(&e, "DeltaY").unwrap_or_default(),
                        text: String::new(),
                    });
                }
                "AbbreviatedData" if !empty && object.is_some() => path = Some(String::new()),
                _ => {}
            }
            buf.clear();
            continue;
        }
        match event {
            Event::Text(t) => {
                let t = t.xml10_content();
                if let Some(c) = code.as_mut() {
                    c.text.push_str(&t);
                } else if let Some(p) = path.as_mut() {
                    p.push_str(&t);
                } else if let Some(b) = box_text.as_mut() {
                    b.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(c), Some(ch)) = (code.as_mut(), super::xml_reference(&r)) {
                    c.text.push(ch);
                }
            }
            Event::CData(t) => {
                if let Some(c) = code.as_mut() {
                    c.text.push_str(&t.xml10_content());
                }
            }
            Event::End(e) => match e.local_name().into_inner() {
                "Area" => in_area = false,
                "PhysicalBox" => {
                    if let Some(b) = box_text.take().as_deref().and_then(four) {
                        box_mm = b;
                    }
                }
                "PageBlock" | "Layer" => depth = depth.saturating_sub(1),
                "TextCode" => {
                    if let (Some(c), Some(o)) = (code.take(), object.as_mut()) {
                        place_code(&c, o, &mut glyphs, work);
                    }
                }
                "AbbreviatedData" => {
                    if let (Some(p), Some(o)) = (path.take(), object.as_ref()) {
                        if o.drawn {
                            path_rules(&p, o, &mut rules, work);
                        }
                    }
                }
                "TextObject" | "PathObject" => object = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // Coordinates from the page box's corner.
    let (ox, oy) = (box_mm[0] * PT_PER_MM, box_mm[1] * PT_PER_MM);
    if ox != 0.0 || oy != 0.0 {
        for g in &mut glyphs {
            (g.x0, g.x1, g.y0, g.y1) = (g.x0 - ox, g.x1 - ox, g.y0 - oy, g.y1 - oy);
        }
        for r in &mut rules {
            (r.x0, r.x1, r.y0, r.y1) = (r.x0 - ox, r.x1 - ox, r.y0 - oy, r.y1 - oy);
        }
    }
    Ok(Page {
        number,
        width: box_mm[2] * PT_PER_MM,
        height: box_mm[3] * PT_PER_MM,
        glyphs,
        rules,
    })
}

/// The glyphs of one text code: each character at the code's origin plus
/// the advances before it, NFKC-normalized (a character NFKC changes keeps
/// its printed form on its first glyph).
fn place_code(code: &Code, object: &mut Object, glyphs: &mut Vec<Glyph>, work: &mut Work) {
    let chars: Vec<char> = code.text.chars().collect();
    let dx = deltas(&code.dx, chars.len());
    let dy = deltas(&code.dy, chars.len());
    let size = object.size;
    let wide = crate::text::is_wide;
    let mut x = code.x.unwrap_or(object.last.0);
    let mut y = code.y.unwrap_or(object.last.1);
    object.last = (x, y);
    let page_size = size * object.vertical_scale() * PT_PER_MM;
    for (i, &raw) in chars.iter().enumerate() {
        let natural = if wide(raw) { size } else { size * HALF_WIDTH };
        let advance = dx.get(i).copied().unwrap_or(natural);
        // The glyph's own width: its natural one, or less when the advance
        // is less (a condensed run); a larger advance is spacing.
        let width = if dx.get(i).is_some() && advance > 0.0 {
            advance.min(natural)
        } else {
            natural
        };
        if work.over.is_some() {
            return;
        }
        if !raw.is_whitespace() {
            let (x0, base) = object.place(x, y);
            let (x1, _) = object.place(x + width, y);
            let normalized: Vec<char> = crate::text::nfkc_char(raw)
                .filter(|c| !c.is_whitespace())
                .collect();
            let changed = normalized.as_slice() != [raw];
            let n = normalized.len().max(1) as f64;
            let step = (x1 - x0) / n;
            for (k, &c) in normalized.iter().enumerate() {
                let printed = changed.then(|| {
                    if k == 0 {
                        raw.to_string()
                    } else {
                        String::new()
                    }
                });
                let left = x0 + step * k as f64;
                if !sane(&[left, left + step, base, page_size]) {
                    continue;
                }
                if work.glyphs_left == 0 {
                    work.over = Some(format!(
                        "places more glyphs than the limit: {OVER_LIMIT}glyphs to read it)"
                    ));
                    return;
                }
                work.glyphs_left -= 1;
                glyphs.push(Glyph {
                    text: c.to_string(),
                    printed,
                    x0: left * PT_PER_MM,
                    y0: base * PT_PER_MM - page_size,
                    x1: (left + step) * PT_PER_MM,
                    y1: base * PT_PER_MM,
                    size: page_size,
                });
            }
        }
        x += advance;
        y += dy.get(i).copied().unwrap_or(0.0);
    }
}

/// Coordinates a page can have (in mm or pt): finite and within a
/// kilometre, so that layout's arithmetic on them stays finite.
fn sane(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite() && v.abs() < 1e6)
}

/// The straight segments of a path that run across or down the page, as
/// rules (in points).
fn path_rules(data: &str, object: &Object, rules: &mut Vec<Rule>, work: &mut Work) {
    let mut tokens = data.split_whitespace().peekable();
    let mut current: Option<(f64, f64)> = None;
    let mut start: Option<(f64, f64)> = None;
    let numbers = |tokens: &mut std::iter::Peekable<std::str::SplitWhitespace>, n: usize| {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            match tokens.peek().and_then(|t| t.parse::<f64>().ok()) {
                Some(v) if v.is_finite() => {
                    out.push(v);
                    tokens.next();
                }
                _ => return None,
            }
        }
        Some(out)
    };
    while let Some(op) = tokens.next() {
        if work.over.is_some() {
            return;
        }
        if work.operators_left == 0 {
            work.over = Some(format!(
                "draws more path operators than the limit: {OVER_LIMIT}operators to read it)"
            ));
            return;
        }
        work.operators_left -= 1;
        match op {
            "S" | "M" => {
                if let Some(p) = numbers(&mut tokens, 2) {
                    current = Some(object.place(p[0], p[1]));
                    start = current;
                }
            }
            "L" => {
                if let Some(p) = numbers(&mut tokens, 2) {
                    let to = object.place(p[0], p[1]);
                    if let Some(from) = current {
                        push_rule(from, to, rules);
                    }
                    current = Some(to);
                }
            }
            "C" => {
                if let (Some(from), Some(to)) = (current, start) {
                    push_rule(from, to, rules);
                }
                current = start;
            }
            // Curves and arcs end somewhere: only the pen moves.
            "Q" | "B" | "A" => {
                let n = match op {
                    "Q" => 4,
                    "B" => 6,
                    _ => 7,
                };
                if let Some(p) = numbers(&mut tokens, n) {
                    current = Some(object.place(p[n - 2], p[n - 1]));
                }
            }
            _ => {}
        }
    }
}

fn push_rule(from: (f64, f64), to: (f64, f64), rules: &mut Vec<Rule>) {
    if !sane(&[from.0, from.1, to.0, to.1]) {
        return;
    }
    let (dx, dy) = ((to.0 - from.0).abs(), (to.1 - from.1).abs());
    let rule = if dy <= RULE_SLACK_MM && dx > dy {
        let y = (from.1 + to.1) / 2.0;
        Rule {
            x0: from.0.min(to.0),
            y0: y,
            x1: from.0.max(to.0),
            y1: y,
        }
    } else if dx <= RULE_SLACK_MM && dy > dx {
        let x = (from.0 + to.0) / 2.0;
        Rule {
            x0: x,
            y0: from.1.min(to.1),
            x1: x,
            y1: from.1.max(to.1),
        }
    } else {
        return;
    };
    rules.push(Rule {
        x0: rule.x0 * PT_PER_MM,
        y0: rule.y0 * PT_PER_MM,
        x1: rule.x1 * PT_PER_MM,
        y1: rule.y1 * PT_PER_MM,
    });
}

/// An attribute's value by its local name.
fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == name)
        .map(|a| a.value.to_string())
}

/// Numbers separated by spaces.
fn numbers(text: &str) -> Vec<f64> {
    text.split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .collect()
}

fn four(text: &str) -> Option<[f64; 4]> {
    numbers(text).try_into().ok()
}

fn six(text: &str) -> Option<Ctm> {
    numbers(text).try_into().ok()
}

/// A `DeltaX`/`DeltaY` list: numbers, and `g n v` for `n` times `v`; at
/// most `max` of them (the advances after the last character are unused).
fn deltas(text: &str, max: usize) -> Vec<f64> {
    let mut out = Vec::new();
    let mut tokens = text.split_whitespace();
    while let Some(t) = tokens.next() {
        if out.len() >= max {
            break;
        }
        if t == "g" {
            let n = tokens.next().and_then(|n| n.parse::<usize>().ok());
            let v = tokens.next().and_then(|v| v.parse::<f64>().ok());
            if let (Some(n), Some(v)) = (n, v.filter(|v| v.is_finite())) {
                out.extend(std::iter::repeat_n(v, n.min(max - out.len())));
            }
        } else if let Some(v) = t.parse::<f64>().ok().filter(|v| v.is_finite()) {
            out.push(v);
        }
        if out.len() >= max {
            out.truncate(max);
            break;
        }
    }
    out
}

/// A path relative to the folder `base` (`/` at its start: from the
/// package's root), with `.` and `..` resolved (never above the root).
fn resolve(base: &str, path: &str) -> String {
    let path = path.trim().replace('\\', "/");
    let mut parts: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The folder of a part's path.
fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(dir, _)| dir.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_expand_the_repeat_form() {
        assert_eq!(deltas("1 g 3 2.5 4", 10), vec![1.0, 2.5, 2.5, 2.5, 4.0]);
        assert_eq!(deltas("g 99999999999 1", 7).len(), 7);
        assert_eq!(deltas("1 2 3", 2), vec![1.0, 2.0]);
        assert!(deltas("g x", 5).is_empty());
    }

    #[test]
    fn part_paths_resolve_inside_the_package() {
        assert_eq!(
            resolve("Doc_0", "Pages/Page_0/Content.xml"),
            "Doc_0/Pages/Page_0/Content.xml"
        );
        assert_eq!(resolve("Doc_0", "/Doc_0/Pages/P.xml"), "Doc_0/Pages/P.xml");
        assert_eq!(resolve("Doc_0", "../../../x.xml"), "x.xml");
        assert_eq!(resolve("", "./Doc_0/Document.xml"), "Doc_0/Document.xml");
    }

    #[test]
    fn a_text_code_places_each_glyph_by_its_advance() {
        let xml = r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Area><ofd:PhysicalBox>0 0 297 210</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="1"><ofd:TextObject ID="2" Boundary="10 20 100 10" Font="3" Size="5"><ofd:TextCode X="0" Y="4" DeltaX="g 2 5 2.5">合计12&amp;</ofd:TextCode></ofd:TextObject><ofd:PathObject ID="4" Boundary="10 30 100 1"><ofd:AbbreviatedData>M 0 0 L 100 0 M 0 0 L 0 20 B 1 1 2 2 3 3</ofd:AbbreviatedData></ofd:PathObject></ofd:Layer></ofd:Content></ofd:Page>"#;
        let mut elements = 1000;
        let mut work = Work {
            glyphs_left: 100,
            operators_left: 100,
            over: None,
        };
        let page = read_page(
            xml.as_bytes(),
            1,
            [0.0, 0.0, 210.0, 297.0],
            &mut elements,
            &mut work,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let text: String = page.glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(text, "合计12&");
        let mm = |v: f64| v * PT_PER_MM;
        let xs: Vec<f64> = page
            .glyphs
            .iter()
            .map(|g| (g.x0 / PT_PER_MM * 10.0).round() / 10.0)
            .collect();
        assert_eq!(xs, vec![10.0, 15.0, 20.0, 22.5, 25.0]);
        assert!((page.glyphs[0].y1 - mm(24.0)).abs() < 1e-9);
        assert!((page.width - mm(297.0)).abs() < 1e-9);
        assert_eq!(page.rules.len(), 2);
        assert!(page.rules[0].is_horizontal());
        assert!(!page.rules[1].is_horizontal());
    }
}
