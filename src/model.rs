//! The intermediate data every decoder produces and every recognizer reads.
//!
//! The ladder is: a PDF page's [`Glyph`]s and [`Rule`]s (positioned text, see
//! `decode::pdf`) are assembled by `layout` into a stream of [`Block`]s; HTML,
//! spreadsheets and plain text produce [`Block`]s directly. Recognition only
//! ever sees blocks, so one set of patterns serves every format.

use serde::{Deserialize, Serialize};

/// One glyph as drawn on a PDF page.
///
/// Coordinates are in PDF points with the origin at the top-left corner of
/// the page and y growing downwards; `(x0, y0)` is the top-left and `(x1, y1)`
/// the bottom-right corner of the glyph box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Glyph {
    /// The text the glyph maps to (usually one character, NFKC-normalized).
    pub text: String,
    /// The text as printed, when NFKC changed it (a full-width comma, a
    /// Kangxi radical): what a search in the document finds.
    #[serde(default)]
    pub printed: Option<String>,
    /// Left edge.
    pub x0: f64,
    /// Top edge.
    pub y0: f64,
    /// Right edge (origin plus advance).
    pub x1: f64,
    /// Bottom edge (the baseline).
    pub y1: f64,
    /// Effective font size in points.
    pub size: f64,
}

/// A drawn ruling segment (a stroked line or a thin filled rectangle), in the
/// same coordinates as [`Glyph`]. Horizontal rules have `y0 == y1`, vertical
/// ones `x0 == x1`; `x0 <= x1` and `y0 <= y1` always hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Left end.
    pub x0: f64,
    /// Top end.
    pub y0: f64,
    /// Right end.
    pub x1: f64,
    /// Bottom end.
    pub y1: f64,
}

impl Rule {
    /// True for a horizontal segment.
    pub fn is_horizontal(&self) -> bool {
        (self.y1 - self.y0).abs() <= (self.x1 - self.x0).abs()
    }
}

/// One decoded PDF page: its glyphs and ruling lines.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    /// Page width in points.
    pub width: f64,
    /// Page height in points.
    pub height: f64,
    /// Every glyph, in content-stream order.
    pub glyphs: Vec<Glyph>,
    /// Every ruling segment.
    pub rules: Vec<Rule>,
}

/// A unit of the reading-order stream that recognition consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// A line (or paragraph) of running text outside any table.
    Text(TextLine),
    /// A table as a grid of cells.
    Grid(Grid),
}

/// A line of text outside tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextLine {
    /// 1-based page the line is on (1 for formats without pages).
    pub page: u32,
    /// The text, NFKC-normalized, with runs of whitespace collapsed to one space.
    pub text: String,
    /// The text as printed (whitespace folded, not NFKC-normalized), when it
    /// differs from `text`: what flags quote, so a search in the document
    /// finds it, and what the text checks read for garbled characters.
    #[serde(default)]
    pub printed: Option<String>,
}

impl TextLine {
    /// A line of `raw` text: normalized, and kept as printed when that differs.
    pub fn new(page: u32, raw: &str) -> TextLine {
        TextLine::from_parts(page, crate::text::normalize(raw), crate::text::fold(raw))
    }

    /// A line from its normalized and printed forms (the printed one kept
    /// only when it differs).
    pub fn from_parts(page: u32, text: String, printed: String) -> TextLine {
        let printed = (printed != text).then_some(printed);
        TextLine {
            page,
            text,
            printed,
        }
    }

    /// The line as printed.
    pub fn printed(&self) -> &str {
        self.printed.as_deref().unwrap_or(&self.text)
    }
}

impl Glyph {
    /// The glyph's text as printed.
    pub fn printed(&self) -> &str {
        self.printed.as_deref().unwrap_or(&self.text)
    }
}

/// A section heading of a document's explanation part, as the narrative
/// reader found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heading {
    /// 1-based page.
    pub page: u32,
    /// Its level (1 outermost).
    pub level: usize,
    /// The heading's text, normalized.
    pub text: String,
    /// Running text follows before the next heading of the same or an
    /// outer level (or a table, or the end of the part).
    pub has_body: bool,
}

/// A table as a rectangular grid: every row has the same number of cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// 1-based page the grid starts on.
    pub page: u32,
    /// Rows top to bottom, cells left to right.
    pub rows: Vec<Vec<GridCell>>,
    /// True when merged cells are known (HTML colspan/rowspan, PDF ruling
    /// lines): a merged cell's text is copied into every slot it covers and
    /// only the top-left slot has `origin` set. False when the source cannot
    /// say (tab-separated text, ruling-free layouts): every slot is an
    /// origin and spanned header cells appear as empty neighbours.
    pub spans_known: bool,
    /// The page of each row, when the grid's rows are on more than one page
    /// (a table a text rendering prints over a page marker); empty when
    /// every row is on `page`.
    #[serde(default)]
    pub row_pages: Vec<u32>,
}

/// One slot of a [`Grid`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GridCell {
    /// The cell's text, wrapped lines joined in reading order, NFKC-normalized.
    pub text: String,
    /// False when this slot is covered by a merged cell whose top-left slot
    /// is elsewhere (its text is then a copy).
    pub origin: bool,
}

impl Grid {
    /// The page row `row` is printed on.
    pub fn row_page(&self, row: usize) -> u32 {
        self.row_pages.get(row).copied().unwrap_or(self.page)
    }
}

impl GridCell {
    /// A cell that is its own origin.
    pub fn new(text: impl Into<String>) -> Self {
        GridCell {
            text: text.into(),
            origin: true,
        }
    }
}

impl Grid {
    /// Builds a grid from rows of strings (all origins, spans unknown),
    /// padding short rows with empty cells.
    pub fn from_strings(page: u32, rows: Vec<Vec<String>>) -> Self {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let rows = rows
            .into_iter()
            .map(|r| {
                let mut cells: Vec<GridCell> = r.into_iter().map(GridCell::new).collect();
                cells.resize(width, GridCell::new(""));
                cells
            })
            .collect();
        Grid {
            page,
            rows,
            spans_known: false,
            row_pages: Vec::new(),
        }
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

/// The input format of a document.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// PDF.
    Pdf,
    /// An HTML page.
    Html,
    /// Plain text with tab-separated tables.
    Text,
    /// An .xls or .xlsx workbook.
    Spreadsheet,
    /// A Word .docx document.
    Docx,
    /// An OFD document (GB/T 33190).
    Ofd,
}

/// What a decoder made of one document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decoded {
    /// The input format.
    pub format: Format,
    /// Which engine produced the text (`pdf-extract`, `pdftotext`, `scraper`, `calamine`, `text`).
    pub engine: String,
    /// Number of pages (sheets for spreadsheets, 1 for HTML and text).
    pub pages: u32,
    /// The reading-order stream.
    pub blocks: Vec<Block>,
    /// Non-fatal problems met while decoding.
    pub warnings: Vec<String>,
}
