//! HTML pages: `<table>`s become grids (rowspan/colspan expanded, the text
//! copied into covered slots), headings and paragraphs become text lines.
//! Layout tables (a table holding another table) are walked through, not
//! read as data.

use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node, Selector};

use crate::error::Result;
use crate::model::{Block, Decoded, Format, Grid, GridCell, TextLine};

use super::normal::normalize;

/// Largest colspan/rowspan honoured (guards against `colspan=100000`).
const MAX_SPAN: usize = 200;

/// Decodes an HTML page. The charset comes from `charset` (an HTTP header)
/// when given, else from a `<meta>` declaration, else by sniffing.
pub fn decode(bytes: &[u8], charset: Option<&str>) -> Result<Decoded> {
    let declared = charset.map(str::to_string).or_else(|| meta_charset(bytes));
    let text = super::decode_charset(bytes, declared.as_deref())?;
    let doc = Html::parse_document(&text);
    let mut walker = Walker::default();
    walker.walk(doc.root_element());
    walker.flush_line();
    Ok(Decoded {
        format: Format::Html,
        engine: "scraper".into(),
        pages: 1,
        blocks: walker.blocks,
        warnings: Vec::new(),
    })
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

#[derive(Default)]
struct Walker {
    blocks: Vec<Block>,
    line: String,
}

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
        let text = normalize(&self.line);
        self.line.clear();
        if !text.is_empty() {
            self.blocks.push(Block::Text(TextLine { page: 1, text }));
        }
    }

    fn walk(&mut self, el: ElementRef) {
        for child in el.children() {
            self.walk_node(child);
        }
    }

    fn walk_node(&mut self, node: NodeRef<Node>) {
        match node.value() {
            Node::Text(t) => self.line.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if matches!(name, "script" | "style" | "head" | "noscript" | "template") {
                    return;
                }
                let Some(el) = ElementRef::wrap(node) else {
                    return;
                };
                if name == "table" && !has_nested_table(el) {
                    self.flush_line();
                    if let Some(grid) = table_grid(el) {
                        self.blocks.push(Block::Grid(grid));
                    }
                    return;
                }
                let is_block =
                    BLOCK_TAGS.contains(&name) || name == "table" || name == "td" || name == "th";
                if is_block {
                    self.flush_line();
                }
                self.walk(el);
                if is_block {
                    self.flush_line();
                }
            }
            _ => {}
        }
    }
}

fn has_nested_table(table: ElementRef) -> bool {
    table
        .descendants()
        .skip(1)
        .any(|n| matches!(n.value(), Node::Element(e) if e.name() == "table"))
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

/// Expands a table into a rectangular grid.
fn table_grid(table: ElementRef) -> Option<Grid> {
    let tr = Selector::parse("tr").ok()?;
    let cells = Selector::parse("td, th").ok()?;
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
        return None;
    }
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
    Some(Grid {
        page: 1,
        rows,
        spans_known: spans,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_expanded() {
        let html = "<table><tr><td colspan=2>项目</td><td rowspan=2>金额</td></tr><tr><td>编码</td><td>名称</td></tr></table>";
        let d = decode(html.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
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
        let d = decode(&bytes, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.blocks[0],
            Block::Text(TextLine {
                page: 1,
                text: "收入决算表".into()
            })
        );
    }
}
