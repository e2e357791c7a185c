//! HTML pages: `<table>`s become grids (rowspan/colspan expanded, the text
//! copied into covered slots), headings and paragraphs become text lines.
//! Layout tables (a table holding another table) are walked through, not
//! read as data.

use std::collections::HashSet;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Block, Decoded, Format, Grid, GridCell, TextLine};
use crate::settings::Limits;

use crate::text::normalize;

/// Largest colspan/rowspan honoured (guards against `colspan=100000`).
const MAX_SPAN: usize = 200;

/// Decodes an HTML page. The charset comes from `charset` (an HTTP header)
/// when given, else from a `<meta>` declaration, else by sniffing.
///
/// Bounded before the parser runs: the tags (an upper bound on the nodes)
/// against [`Limits::max_html_nodes`] and the nesting depth against
/// [`MAX_DEPTH`]; and while tables are expanded, their slots against
/// [`Limits::max_cells`] (a slot costs one cell, plus one per
/// [`TEXT_PER_CELL`] bytes of text copied into it).
pub fn decode(bytes: &[u8], charset: Option<&str>, limits: &Limits) -> Result<Decoded> {
    let declared = charset.map(str::to_string).or_else(|| meta_charset(bytes));
    let text = super::decode_charset(bytes, declared.as_deref())?;
    let tags = bytes.iter().filter(|&&b| b == b'<').count() as u64;
    if tags > limits.max_html_nodes {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the page has {tags} tags, over the limit of {} nodes (raise --max-html-nodes to read it)",
                limits.max_html_nodes
            ),
        ));
    }
    let depth = nesting_depth(&text);
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the page nests elements {depth} deep, over the limit of {MAX_DEPTH} \
                 (a hostile or broken page; the HTML parser slows down quadratically)"
            ),
        ));
    }
    let doc = Html::parse_document(&text);
    drop(text);
    let mut walker = Walker {
        blocks: Vec::new(),
        line: String::new(),
        cells_left: limits.max_cells,
        max_cells: limits.max_cells,
    };
    walker.walk(doc.root_element())?;
    walker.flush_line();
    Ok(Decoded {
        format: Format::Html,
        engine: "scraper".into(),
        pages: 1,
        blocks: walker.blocks,
        warnings: Vec::new(),
    })
}

/// Deepest element nesting accepted. html5ever's tree building is quadratic
/// in the depth (200,000 nested `<div>`s take minutes); real pages stay
/// under a few dozen.
pub const MAX_DEPTH: usize = 2048;

/// Elements that never nest (void) or whose end tag is usually implied: not
/// counted by [`nesting_depth`].
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "td", "th", "tr", "option", "dt", "dd", "thead", "tbody", "tfoot",
    "colgroup", "rt", "rp", "optgroup", "html", "head", "body", "font",
];

/// An upper estimate of the element nesting depth from the tags alone
/// (start tags minus end tags, [`FLAT`] elements aside), linear in the text.
pub fn nesting_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(off) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&c| c == b'<'))
    {
        i += off + 1;
        if bytes.get(i..i + 3) == Some(b"!--".as_slice()) {
            // A comment: up to its end.
            match text.get(i..).and_then(|t| t.find("-->")) {
                Some(end) => i += end + 3,
                None => break,
            }
            continue;
        }
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = bytes
            .get(start..)
            .map(|b| b.iter().take_while(|c| c.is_ascii_alphanumeric()).count())
            .unwrap_or(0);
        if len == 0 {
            continue;
        }
        let name = text
            .get(start..start + len)
            .unwrap_or("")
            .to_ascii_lowercase();
        if FLAT.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        let end = bytes
            .get(start..)
            .and_then(|b| b.iter().position(|&c| c == b'>'))
            .map(|e| start + e);
        if end.is_some_and(|e| e > 0 && bytes.get(e - 1) == Some(&b'/')) {
            continue;
        }
        depth += 1;
        max = max.max(depth);
    }
    max
}

/// Finds `<meta charset=...>` or `<meta http-equiv content="...charset=...">`
/// in the first few kilobytes, read as ASCII.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head: String = bytes[..bytes.len().min(4096)]
        .iter()
        .map(|&b| {
            if b.is_ascii() {
                (b as char).to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let at = head.find("charset=")?;
    let rest = &head[at + "charset=".len()..];
    let rest = rest.trim_start_matches(['"', '\'', ' ']);
    let label: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!label.is_empty()).then_some(label)
}

struct Walker {
    blocks: Vec<Block>,
    line: String,
    /// What the page's tables may still expand to ([`Limits::max_cells`]).
    cells_left: u64,
    max_cells: u64,
}

/// Bytes of text copied into a table slot that cost one more cell of
/// [`Limits::max_cells`].
pub const TEXT_PER_CELL: u64 = 64;

const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "br",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "center",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "caption",
    "title",
];

impl Walker {
    fn flush_line(&mut self) {
        let line = TextLine::new(1, &self.line);
        self.line.clear();
        if !line.text.is_empty() {
            self.blocks.push(Block::Text(line));
        }
    }

    /// Walks the tree without recursion (any depth is safe).
    fn walk(&mut self, root: ElementRef) -> Result<()> {
        let nested = tables_with_tables(root);
        // The subtree being skipped (script, style, a table read as a grid).
        let mut skip: Option<NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skip.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(t) => self.line.push_str(t),
                        Node::Element(e) => {
                            let name = e.name();
                            if matches!(name, "script" | "style" | "head" | "noscript" | "template")
                            {
                                skip = Some(node.id());
                                continue;
                            }
                            if name == "table" && !nested.contains(&node.id()) {
                                self.flush_line();
                                if let Some(table) = ElementRef::wrap(node) {
                                    match table_grid(table, &mut self.cells_left) {
                                        Ok(Some(grid)) => self.blocks.push(Block::Grid(grid)),
                                        Ok(None) => {}
                                        Err(()) => {
                                            return Err(Error::new(
                                                ErrorKind::TooLarge,
                                                format!(
                                                    "the page's tables expand to more than {} cells \
                                                     with their row and column spans (raise --max-cells to read it)",
                                                    self.max_cells
                                                ),
                                            ))
                                        }
                                    }
                                }
                                skip = Some(node.id());
                                continue;
                            }
                            if is_block(name) {
                                self.flush_line();
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(s) = skip {
                        if s == node.id() {
                            skip = None;
                        }
                        continue;
                    }
                    if let Node::Element(e) = node.value() {
                        if is_block(e.name()) {
                            self.flush_line();
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn is_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name) || name == "table" || name == "td" || name == "th"
}

/// The tables that hold another table (layout tables), in one pass.
fn tables_with_tables(root: ElementRef) -> HashSet<NodeId> {
    let mut open: Vec<NodeId> = Vec::new();
    let mut out = HashSet::new();
    let is_table =
        |n: &ego_tree::NodeRef<Node>| matches!(n.value(), Node::Element(e) if e.name() == "table");
    for edge in root.traverse() {
        match edge {
            Edge::Open(n) if is_table(&n) => {
                if let Some(&outer) = open.last() {
                    out.insert(outer);
                }
                open.push(n.id());
            }
            Edge::Close(n) if is_table(&n) => {
                open.pop();
            }
            _ => {}
        }
    }
    out
}

/// The text of a cell: block children and `<br>` become spaces, then normalized.
fn cell_text(cell: ElementRef) -> String {
    let mut out = String::new();
    for node in cell.descendants() {
        match node.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if matches!(e.name(), "br" | "p" | "div") => out.push(' '),
            _ => {}
        }
    }
    normalize(&out)
}

fn span(el: ElementRef, attr: &str) -> usize {
    el.value()
        .attr(attr)
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_SPAN)
}

/// Expands a table into a rectangular grid, spending `budget` cells
/// (`Err` when it runs out, before the slots are allocated).
fn table_grid(table: ElementRef, budget: &mut u64) -> std::result::Result<Option<Grid>, ()> {
    let (Ok(tr), Ok(cells)) = (Selector::parse("tr"), Selector::parse("td, th")) else {
        return Ok(None);
    };
    let mut slots: Vec<Vec<Option<GridCell>>> = Vec::new();
    let mut spans = false;
    for (r, row) in table.select(&tr).enumerate() {
        if slots.len() <= r {
            slots.resize(r + 1, Vec::new());
        }
        let mut c = 0;
        for cell in row.select(&cells) {
            // Cells of nested rows are selected by `select`; keep direct ones only.
            if cell.ancestors().find_map(ElementRef::wrap).map(|p| p.id()) != Some(row.id()) {
                continue;
            }
            while slots[r].get(c).is_some_and(Option::is_some) {
                c += 1;
            }
            let (rs, cs) = (span(cell, "rowspan"), span(cell, "colspan"));
            spans |= rs > 1 || cs > 1;
            let text = cell_text(cell);
            // What the rows it covers grow by, and the text copied into them.
            let growth: u64 = (0..rs)
                .map(|dr| (c + cs).saturating_sub(slots.get(r + dr).map_or(0, Vec::len)) as u64)
                .sum();
            let copies = ((rs * cs) as u64).saturating_mul(text.len() as u64 / TEXT_PER_CELL);
            let cost = growth.saturating_add(copies);
            if cost > *budget {
                return Err(());
            }
            *budget -= cost;
            for dr in 0..rs {
                if slots.len() <= r + dr {
                    slots.resize(r + dr + 1, Vec::new());
                }
                for dc in 0..cs {
                    let row_slots = &mut slots[r + dr];
                    if row_slots.len() <= c + dc {
                        row_slots.resize(c + dc + 1, None);
                    }
                    row_slots[c + dc] = Some(GridCell {
                        text: text.clone(),
                        origin: dr == 0 && dc == 0,
                    });
                }
            }
            c += cs;
        }
    }
    let width = slots.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return Ok(None);
    }
    // Short rows are padded to the width: that is spent too.
    let padding: u64 = slots
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| (width - r.len()) as u64)
        .sum();
    if padding > *budget {
        return Err(());
    }
    *budget -= padding;
    let rows = slots
        .into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            let mut row: Vec<GridCell> = r
                .into_iter()
                .map(|c| c.unwrap_or_else(|| GridCell::new("")))
                .collect();
            row.resize(width, GridCell::new(""));
            row
        })
        .collect();
    Ok(Some(Grid {
        page: 1,
        rows,
        spans_known: spans,
        row_pages: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_expanded() {
        let html = "<table><tr><td colspan=2>项目</td><td rowspan=2>金额</td></tr><tr><td>编码</td><td>名称</td></tr></table>";
        let d = decode(html.as_bytes(), None, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        let Block::Grid(g) = &d.blocks[0] else {
            panic!("no grid")
        };
        assert!(g.spans_known);
        assert_eq!(g.rows[0][1].text, "项目");
        assert!(!g.rows[0][1].origin);
        assert_eq!(g.rows[1][2].text, "金额");
        assert_eq!(g.rows[1][0].text, "编码");
    }

    #[test]
    fn gbk_meta_charset() {
        let (bytes, _, _) = encoding_rs::GBK.encode(
            "<html><head><meta charset=\"gbk\"></head><body><p>收入决算表</p></body></html>",
        );
        let d = decode(&bytes, None, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.blocks[0],
            Block::Text(TextLine {
                page: 1,
                text: "收入决算表".into(),
                printed: None,
            })
        );
    }
}
