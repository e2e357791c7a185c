//! Word .docx (Office Open XML, a zip whose main part holds the body as
//! WordprocessingML) into the block stream HTML and PDF give: each
//! paragraph a text line, each table a grid with its merged cells expanded
//! (`gridSpan` across, `vMerge` down, `gridBefore`/`gridAfter` as empty
//! slots), a table that holds tables read as layout (its cells' paragraphs
//! as lines, the inner tables as grids), and runs of paragraphs laid out
//! with tabs as a grid, as in the text decoder.
//!
//! Pages: where Word recorded its last layout (`lastRenderedPageBreak`),
//! those breaks; otherwise the explicit ones (page breaks, `pageBreakBefore`,
//! section breaks that start a page). Deleted text of tracked changes,
//! field instructions and the fallback copy of alternate content are not
//! read.
//!
//! Bounded: the main part's size against [`Limits::max_decoded_bytes`]
//! (read with a cap, whatever the zip header says), its elements against
//! [`Limits::max_html_nodes`], table nesting against [`MAX_TABLE_DEPTH`],
//! the grids' slots against [`Limits::max_cells`].

use std::io::Cursor;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Block, Decoded, Format, Grid, GridCell, TextLine};
use crate::settings::Limits;
use crate::text::normalize;

/// Deepest nesting of tables accepted (real documents: two or three).
pub const MAX_TABLE_DEPTH: usize = 32;
/// Widest span of one cell.
const MAX_SPAN: usize = 64;

/// WordprocessingML's namespaces (transitional and strict).
const W_NS: &[&str] = &[
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];
/// Markup compatibility (`mc:AlternateContent`).
const MC_NS: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";

/// True when a zip's member names are those of a Word document.
pub fn is_docx(names: &[String]) -> bool {
    names.iter().any(|n| n == "word/document.xml")
        || (names.iter().any(|n| n == "[Content_Types].xml")
            && names.iter().any(|n| n.starts_with("word/")))
}

/// Decodes a .docx.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    let xml = main_part(bytes, limits)?;
    let body = parse(&xml, limits)?;
    drop(xml);
    let rendered = body.rendered;
    let mut walker = Walker {
        blocks: Vec::new(),
        page: 1,
        rendered,
        tab_rows: Vec::new(),
        tab_page: 1,
        cells_left: limits.max_cells,
    };
    walker.items(&body.items)?;
    walker.flush_tabs();
    Ok(Decoded {
        format: Format::Docx,
        engine: "docx".into(),
        pages: walker.page,
        blocks: walker.blocks,
        warnings: Vec::new(),
    })
}

fn corrupt(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Truncated,
        format!("a Word .docx (zip with word/document.xml) that cannot be read: {why}"),
    )
}

/// The main document part's XML: the target of the package's
/// officeDocument relationship, else `word/document.xml`.
fn main_part(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let target = read_member(&mut zip, "_rels/.rels", limits)
        .ok()
        .and_then(|rels| office_document_target(&rels))
        .unwrap_or_else(|| "word/document.xml".to_string());
    read_member(&mut zip, &target, limits)
}

/// One member, read up to the decoded-bytes limit.
fn read_member(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let file = zip
        .by_name(name)
        .map_err(|e| corrupt(format!("{name}: {e}")))?;
    super::read_capped(file, limits.max_decoded_bytes)
        .map_err(|e| corrupt(format!("{name}: {e}")))?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the .docx member {name} unpacks to over {} bytes (raise --max-decoded-bytes to read it; a zip bomb otherwise)",
                    limits.max_decoded_bytes
                ),
            )
        })
}

/// The `Target` of the officeDocument relationship in `_rels/.rels`.
fn office_document_target(rels: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(rels);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == "Relationship" => {
                let attr = |key: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().into_inner() == key)
                        .map(|a| a.value.to_string())
                };
                if attr("Type").is_some_and(|t| t.ends_with("/officeDocument")) {
                    return attr("Target").map(|t| t.trim_start_matches('/').to_string());
                }
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// A piece of a paragraph.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Tab,
    /// A line break within the paragraph.
    Line,
    /// A page break: `true` when Word rendered it there
    /// (`lastRenderedPageBreak`), `false` when it is explicit.
    Page(bool),
}

#[derive(Debug, Default)]
struct Para {
    pieces: Vec<Piece>,
}

#[derive(Debug, Default)]
struct Table {
    rows: Vec<Row>,
}

#[derive(Debug, Default)]
struct Row {
    before: usize,
    after: usize,
    cells: Vec<Cell>,
}

#[derive(Debug, Default)]
struct Cell {
    span: usize,
    /// `vMerge` without `restart`: the cell continues the one above.
    continues: bool,
    items: Vec<Item>,
}

#[derive(Debug)]
enum Item {
    Para(Para),
    Table(Table),
}

/// The body as read.
struct Body {
    items: Vec<Item>,
    /// Word recorded where its pages broke.
    rendered: bool,
}

/// What is being built.
enum Frame {
    Items(Vec<Item>),
    Table(Table),
    Row(Row),
    Cell(Cell),
    Para(Para),
}

fn w(ns: &ResolveResult) -> bool {
    matches!(ns, ResolveResult::Bound(n) if W_NS.contains(&n.into_inner()))
}

fn mc(ns: &ResolveResult) -> bool {
    matches!(ns, ResolveResult::Bound(n) if n.into_inner() == MC_NS)
}

/// A `w:val` (any prefix) attribute.
fn val(e: &BytesStart) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == "val")
        .map(|a| a.value.to_string())
}

fn too_large(why: String) -> Error {
    Error::new(ErrorKind::TooLarge, why)
}

/// Parses the main part into paragraphs and tables.
fn parse(xml: &[u8], limits: &Limits) -> Result<Body> {
    let rendered = xml
        .windows("lastRenderedPageBreak".len())
        .any(|w| w == b"lastRenderedPageBreak");
    let mut reader = NsReader::from_reader(xml);
    let mut buf = Vec::new();
    let mut frames: Vec<Frame> = vec![Frame::Items(Vec::new())];
    let mut elements: u64 = 0;
    let mut tables = 0usize;
    // Depth inside an element whose content is not read (0: reading).
    let mut skip = 0usize;
    let mut in_text = false;
    let mut runs = 0usize;
    let mut section = false;
    loop {
        // Cleared first: the arms below leave the loop body early.
        buf.clear();
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| corrupt(format!("word/document.xml: {e}")))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                elements += 1;
                if elements > limits.max_html_nodes {
                    return Err(too_large(format!(
                        "the .docx has over {} elements (raise --max-html-nodes to read it)",
                        limits.max_html_nodes
                    )));
                }
                if skip > 0 {
                    if !empty {
                        skip += 1;
                    }
                    continue;
                }
                let local = e.local_name();
                let name = local.into_inner();
                if (mc(&ns) && name == "Fallback")
                    || (w(&ns) && matches!(name, "del" | "delText" | "instrText" | "moveFrom"))
                {
                    if !empty {
                        skip = 1;
                    }
                    continue;
                }
                if !w(&ns) {
                    continue;
                }
                match name {
                    "tbl" if !empty => {
                        tables += 1;
                        if tables > MAX_TABLE_DEPTH {
                            return Err(too_large(format!(
                                "the .docx nests tables over {MAX_TABLE_DEPTH} deep (a hostile or broken file)"
                            )));
                        }
                        frames.push(Frame::Table(Table::default()));
                    }
                    "tr" if !empty => frames.push(Frame::Row(Row::default())),
                    "tc" if !empty => frames.push(Frame::Cell(Cell {
                        span: 1,
                        ..Cell::default()
                    })),
                    "p" => {
                        frames.push(Frame::Para(Para::default()));
                        if empty {
                            close_para(&mut frames);
                        }
                    }
                    "gridBefore" | "gridAfter" => {
                        let n = val(e).and_then(|v| v.parse().ok()).unwrap_or(0usize);
                        if let Some(Frame::Row(r)) = frames.last_mut() {
                            if name == "gridBefore" {
                                r.before = n.min(MAX_SPAN);
                            } else {
                                r.after = n.min(MAX_SPAN);
                            }
                        }
                    }
                    "gridSpan" => {
                        if let Some(Frame::Cell(c)) = frames.last_mut() {
                            c.span = val(e)
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(1usize)
                                .clamp(1, MAX_SPAN);
                        }
                    }
                    "vMerge" => {
                        if let Some(Frame::Cell(c)) = frames.last_mut() {
                            c.continues = val(e).as_deref() != Some("restart");
                        }
                    }
                    "r" if !empty => runs += 1,
                    "t" if !empty => in_text = true,
                    "tab" if runs > 0 => push_piece(&mut frames, Piece::Tab),
                    "br" => {
                        let piece = if val_of(e, "type").as_deref() == Some("page") {
                            Piece::Page(false)
                        } else if val_of(e, "type").as_deref() == Some("column") {
                            continue;
                        } else {
                            Piece::Line
                        };
                        push_piece(&mut frames, piece);
                    }
                    "cr" => push_piece(&mut frames, Piece::Line),
                    "noBreakHyphen" => push_piece(&mut frames, Piece::Text("-".into())),
                    "lastRenderedPageBreak" => push_piece(&mut frames, Piece::Page(true)),
                    "pageBreakBefore"
                        if val(e).as_deref() != Some("0") && val(e).as_deref() != Some("false") =>
                    {
                        if let Some(Frame::Para(p)) = frames.last_mut() {
                            p.pieces.insert(0, Piece::Page(false));
                        }
                    }
                    "sectPr" if !empty && matches!(frames.last(), Some(Frame::Para(_))) => {
                        section = true;
                    }
                    "type" if section && val(e).as_deref() == Some("continuous") => {
                        section = false;
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                if !w(&ns) {
                    continue;
                }
                match e.local_name().into_inner() {
                    "t" => in_text = false,
                    "r" => runs = runs.saturating_sub(1),
                    "sectPr" if section => {
                        // A section break that starts a new page: after this
                        // paragraph.
                        section = false;
                        if let Some(Frame::Para(p)) = frames.last_mut() {
                            p.pieces.push(Piece::Page(false));
                        }
                    }
                    "p" => close_para(&mut frames),
                    "tc" => {
                        if let Some(Frame::Cell(c)) =
                            pop_if(&mut frames, |f| matches!(f, Frame::Cell(_)))
                        {
                            if let Some(Frame::Row(r)) = frames.last_mut() {
                                r.cells.push(c);
                            }
                        }
                    }
                    "tr" => {
                        if let Some(Frame::Row(r)) =
                            pop_if(&mut frames, |f| matches!(f, Frame::Row(_)))
                        {
                            if let Some(Frame::Table(t)) = frames.last_mut() {
                                t.rows.push(r);
                            }
                        }
                    }
                    "tbl" => {
                        tables = tables.saturating_sub(1);
                        if let Some(Frame::Table(t)) =
                            pop_if(&mut frames, |f| matches!(f, Frame::Table(_)))
                        {
                            push_item(&mut frames, Item::Table(t));
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_text && skip == 0 => {
                // Entity references come apart, as GeneralRef events.
                push_piece(&mut frames, Piece::Text(t.xml10_content().into_owned()));
            }
            Event::GeneralRef(r) if in_text && skip == 0 => {
                // An entity or character reference inside w:t.
                if let Some(c) = super::xml_reference(&r) {
                    push_piece(&mut frames, Piece::Text(c.to_string()));
                }
            }
            Event::CData(t) if in_text && skip == 0 => {
                push_piece(&mut frames, Piece::Text(t.xml10_content().into_owned()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // Unclosed elements of a truncated part: what was read is kept.
    while frames.len() > 1 {
        match frames.pop() {
            Some(Frame::Para(p)) => push_item(&mut frames, Item::Para(p)),
            Some(Frame::Table(t)) => push_item(&mut frames, Item::Table(t)),
            Some(Frame::Cell(c)) => {
                if let Some(Frame::Row(r)) = frames.last_mut() {
                    r.cells.push(c);
                }
            }
            Some(Frame::Row(r)) => {
                if let Some(Frame::Table(t)) = frames.last_mut() {
                    t.rows.push(r);
                }
            }
            _ => {}
        }
    }
    let items = match frames.pop() {
        Some(Frame::Items(items)) => items,
        _ => Vec::new(),
    };
    Ok(Body { items, rendered })
}

/// Any attribute by local name.
fn val_of(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == key)
        .map(|a| a.value.to_string())
}

/// Pops the top frame when it is the kind asked for.
fn pop_if(frames: &mut Vec<Frame>, is: impl Fn(&Frame) -> bool) -> Option<Frame> {
    if frames.len() > 1 && frames.last().is_some_and(is) {
        frames.pop()
    } else {
        None
    }
}

fn close_para(frames: &mut Vec<Frame>) {
    if let Some(Frame::Para(p)) = pop_if(frames, |f| matches!(f, Frame::Para(_))) {
        push_item(frames, Item::Para(p));
    }
}

/// Adds an item to the nearest container (a cell or the body); a paragraph
/// inside a paragraph (a text box) comes after it.
fn push_item(frames: &mut [Frame], item: Item) {
    for f in frames.iter_mut().rev() {
        match f {
            Frame::Items(items) => return items.push(item),
            Frame::Cell(c) => return c.items.push(item),
            Frame::Table(_) | Frame::Row(_) => return,
            Frame::Para(_) => {}
        }
    }
}

/// Adds a piece to the paragraph being read.
fn push_piece(frames: &mut [Frame], piece: Piece) {
    if let Some(Frame::Para(p)) = frames.last_mut() {
        p.pieces.push(piece);
    }
}

/// Turns the items into blocks.
struct Walker {
    blocks: Vec<Block>,
    page: u32,
    rendered: bool,
    /// Consecutive paragraphs laid out with tabs, as rows.
    tab_rows: Vec<Vec<String>>,
    tab_page: u32,
    cells_left: u64,
}

impl Walker {
    fn counts(&self, rendered: bool) -> bool {
        rendered == self.rendered
    }

    fn items(&mut self, items: &[Item]) -> Result<()> {
        for item in items {
            match item {
                Item::Para(p) => self.para(p),
                Item::Table(t) => {
                    self.flush_tabs();
                    self.table(t)?;
                }
            }
        }
        Ok(())
    }

    /// A paragraph: its lines (split at line and page breaks); a line with
    /// tabs between at least two pieces of text is a row of a tab grid.
    fn para(&mut self, p: &Para) {
        let mut line = String::new();
        for piece in &p.pieces {
            match piece {
                Piece::Text(t) => line.push_str(t),
                Piece::Tab => line.push('\t'),
                Piece::Line => self.line(std::mem::take(&mut line)),
                Piece::Page(rendered) => {
                    self.line(std::mem::take(&mut line));
                    if self.counts(*rendered) {
                        self.flush_tabs();
                        self.page += 1;
                    }
                }
            }
        }
        self.line(line);
    }

    fn line(&mut self, raw: String) {
        let fields: Vec<&str> = raw.split('\t').collect();
        if fields.iter().filter(|f| !f.trim().is_empty()).count() >= 2 {
            if self.tab_rows.is_empty() {
                self.tab_page = self.page;
            }
            self.tab_rows
                .push(fields.iter().map(|f| normalize(f)).collect());
            return;
        }
        let raw = raw.replace('\t', " ");
        let line = TextLine::new(self.page, &raw);
        if line.text.is_empty() {
            return;
        }
        self.flush_tabs();
        self.blocks.push(Block::Text(line));
    }

    fn flush_tabs(&mut self) {
        if !self.tab_rows.is_empty() {
            let rows = std::mem::take(&mut self.tab_rows);
            self.blocks
                .push(Block::Grid(Grid::from_strings(self.tab_page, rows)));
        }
    }

    /// A table: a grid, or layout when it holds tables.
    fn table(&mut self, t: &Table) -> Result<()> {
        let nested = t
            .rows
            .iter()
            .flat_map(|r| &r.cells)
            .any(|c| c.items.iter().any(|i| matches!(i, Item::Table(_))));
        if nested {
            for cell in t.rows.iter().flat_map(|r| &r.cells) {
                self.items(&cell.items)?;
                self.flush_tabs();
            }
            return Ok(());
        }
        let page = self.page;
        let mut slots: Vec<Vec<GridCell>> = Vec::new();
        for row in &t.rows {
            let mut out: Vec<GridCell> = Vec::new();
            let mut spend = |n: usize| -> Result<()> {
                if n as u64 > self.cells_left {
                    return Err(too_large(
                        "the .docx tables have more cells than --max-cells allows".to_string(),
                    ));
                }
                self.cells_left -= n as u64;
                Ok(())
            };
            spend(row.before)?;
            out.extend((0..row.before).map(|_| GridCell::new("")));
            for cell in &row.cells {
                spend(cell.span)?;
                let col = out.len();
                let (text, origin) = if cell.continues {
                    let above = slots
                        .last()
                        .and_then(|r| r.get(col))
                        .map(|c| c.text.clone())
                        .unwrap_or_default();
                    (above, false)
                } else {
                    (cell_text(cell), true)
                };
                for i in 0..cell.span {
                    out.push(GridCell {
                        text: text.clone(),
                        origin: origin && i == 0,
                    });
                }
            }
            spend(row.after)?;
            out.extend((0..row.after).map(|_| GridCell::new("")));
            // Page breaks Word rendered inside the row's cells.
            let breaks = row
                .cells
                .iter()
                .flat_map(|c| &c.items)
                .filter_map(|i| match i {
                    Item::Para(p) => Some(p),
                    Item::Table(_) => None,
                })
                .flat_map(|p| &p.pieces)
                .filter(|piece| matches!(piece, Piece::Page(r) if self.counts(*r)))
                .count();
            self.page += breaks as u32;
            slots.push(out);
        }
        let width = slots.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            return Ok(());
        }
        let padding: u64 = slots.iter().map(|r| (width - r.len()) as u64).sum();
        if padding > self.cells_left {
            return Err(too_large(
                "the .docx tables have more cells than --max-cells allows".to_string(),
            ));
        }
        self.cells_left -= padding;
        for r in &mut slots {
            r.resize(width, GridCell::new(""));
        }
        self.blocks.push(Block::Grid(Grid {
            page,
            rows: slots,
            spans_known: true,
            row_pages: Vec::new(),
        }));
        Ok(())
    }
}

/// A cell's text: its paragraphs joined by a space, normalized.
fn cell_text(cell: &Cell) -> String {
    let mut out = String::new();
    for item in &cell.items {
        if let Item::Para(p) = item {
            if !out.is_empty() {
                out.push(' ');
            }
            for piece in &p.pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Tab | Piece::Line => out.push(' '),
                    Piece::Page(_) => {}
                }
            }
        }
    }
    normalize(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A .docx of `body` (WordprocessingML inside w:body).
    pub(crate) fn docx(body: &str) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut out));
            let opts = zip::write::SimpleFileOptions::default();
            zip.start_file("[Content_Types].xml", opts).unwrap();
            zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#).unwrap();
            zip.start_file("word/document.xml", opts).unwrap();
            write!(
                zip,
                r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
            )
            .unwrap();
            zip.finish().unwrap();
        }
        out
    }

    fn p(text: &str) -> String {
        format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
    }

    fn tc(props: &str, text: &str) -> String {
        format!("<w:tc><w:tcPr>{props}</w:tcPr>{}</w:tc>", p(text))
    }

    fn grids(d: &Decoded) -> Vec<&Grid> {
        d.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Grid(g) => Some(g),
                Block::Text(_) => None,
            })
            .collect()
    }

    fn texts(d: &Decoded) -> Vec<(u32, &str)> {
        d.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text(t) => Some((t.page, t.text.as_str())),
                Block::Grid(_) => None,
            })
            .collect()
    }

    #[test]
    fn merged_cells_are_expanded() {
        let body = format!(
            "{}<w:tbl><w:tr>{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>{}{}</w:tr></w:tbl>",
            p("收入支出决算总表"),
            tc("<w:gridSpan w:val=\"2\"/><w:vMerge w:val=\"restart\"/>", "项目"),
            tc("", "金额"),
            tc("<w:gridSpan w:val=\"2\"/><w:vMerge/>", ""),
            tc("", "1"),
            tc("", "extra"),
            tc("", "a"),
            tc("", "b"),
        );
        let d = decode(&docx(&body), &Limits::default()).unwrap();
        assert_eq!(texts(&d), [(1, "收入支出决算总表")]);
        let g = grids(&d)[0];
        assert!(g.spans_known);
        let text: Vec<Vec<&str>> = g
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            text,
            [
                vec!["项目", "项目", "金额", ""],
                vec!["项目", "项目", "1", "extra"],
                vec!["", "a", "b", ""],
            ]
        );
        assert!(g.rows[0][0].origin && !g.rows[0][1].origin && !g.rows[1][0].origin);
    }

    #[test]
    fn pages_deleted_text_and_fallbacks() {
        let body = format!(
            "{}<w:p><w:r><w:br w:type=\"page\"/><w:t>第二页</w:t><w:delText>删</w:delText></w:r><w:del><w:r><w:t>删除</w:t></w:r></w:del></w:p>\
             <w:p><w:r><w:instrText>PAGE</w:instrText><mc:AlternateContent><mc:Choice><w:t>框</w:t></mc:Choice><mc:Fallback><w:t>框</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>\
             <w:p><w:pPr><w:pageBreakBefore/></w:pPr><w:r><w:t xml:space=\"preserve\">A &amp; B</w:t><w:tab/><w:t>1</w:t><w:tab/><w:t>2</w:t></w:r></w:p>",
            p("第一页")
        );
        let d = decode(&docx(&body), &Limits::default()).unwrap();
        assert_eq!(texts(&d), [(1, "第一页"), (2, "第二页"), (2, "框")]);
        // A paragraph laid out with tabs is a row of a grid, on page 3.
        let g = grids(&d)[0];
        assert_eq!(g.page, 3);
        assert_eq!(
            g.rows[0]
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>(),
            ["A & B", "1", "2"]
        );
        assert_eq!(d.pages, 3);
    }

    #[test]
    fn a_layout_table_gives_its_inner_table() {
        let inner = format!(
            "<w:tbl><w:tr>{}{}</w:tr></w:tbl>",
            tc("", "合计"),
            tc("", "8.00")
        );
        let body = format!(
            "<w:tbl><w:tr><w:tc>{}{inner}</w:tc></w:tr></w:tbl>",
            p("标题")
        );
        let d = decode(&docx(&body), &Limits::default()).unwrap();
        assert_eq!(texts(&d), [(1, "标题")]);
        assert_eq!(grids(&d)[0].rows[0][1].text, "8.00");
    }

    #[test]
    fn hostile_files_are_refused_cleanly() {
        // Nesting beyond the limit.
        let deep = "<w:tbl><w:tr><w:tc>".repeat(MAX_TABLE_DEPTH + 1);
        let e = decode(&docx(&deep), &Limits::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
        // A main part bigger than the decoded-bytes limit.
        let limits = Limits {
            max_decoded_bytes: 1000,
            ..Limits::default()
        };
        let e = decode(&docx(&p(&"长".repeat(2000))), &limits).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
        // Spans past the cell budget.
        let limits = Limits {
            max_cells: 10,
            ..Limits::default()
        };
        let row = tc("<w:gridSpan w:val=\"64\"/>", "x");
        let e = decode(
            &docx(&format!("<w:tbl><w:tr>{row}</w:tr></w:tbl>")),
            &limits,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
        // Broken XML and a zip without the part.
        let e = decode(&docx("<w:p><w:r><w:t>x</w:r></w:p>"), &Limits::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Truncated, "{e}");
        let e = decode(b"PK\x03\x04garbage", &Limits::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Truncated, "{e}");
    }
}
