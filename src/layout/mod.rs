//! Layout: positioned glyphs and ruling lines of a page into text lines and
//! table grids, in reading order.
//!
//! The rungs, each a callable step (see [`debug_page`] for them as JSON and
//! [`debug::page_svg`] drawn over the page):
//!
//! 1. [`grid::find_tables`] — ruling lines → snapped, merged segments →
//!    connected clusters → tables with row and column boundaries.
//! 2. [`grid::fill`] — glyphs into the cells of each table (merged cells from
//!    missing rules), one [`Grid`](crate::model::Grid) per table and page.
//! 3. [`words::group_lines`] — the remaining glyphs into lines by baseline.
//! 4. [`align::align`] — runs of lines with aligned columns (tables without
//!    rules) into grids with `spans_known = false`; the rest stay text.
//! 5. [`page_blocks`] — everything interleaved by vertical position.

pub mod align;
pub mod cluster;
pub mod debug;
pub mod grid;
pub mod words;

use crate::model::{Block, Glyph, Page, TextLine};

/// A page's blocks in reading order: text lines and grids, top to bottom.
pub fn page_blocks(page: &Page) -> Vec<Block> {
    let tables = grid::find_tables(&page.rules);
    let mut inside: Vec<Vec<&Glyph>> = vec![Vec::new(); tables.len()];
    let mut outside: Vec<&Glyph> = Vec::new();
    for g in &page.glyphs {
        let (cx, cy) = grid::glyph_centre(g);
        match tables.iter().position(|t| t.contains(cx, cy)) {
            Some(i) => inside[i].push(g),
            None => outside.push(g),
        }
    }
    let mut items: Vec<(f64, Block)> = Vec::new();
    for (t, glyphs) in tables.iter().zip(inside) {
        match grid::fill(t, page.number, glyphs.iter().copied()) {
            Some(grid) => items.push((t.bbox().1, Block::Grid(grid))),
            // A frame around text: its glyphs are ordinary lines.
            None => outside.extend(glyphs),
        }
    }
    for piece in align::align(words::group_lines(outside), page.number) {
        match piece {
            align::Piece::Line(line) => {
                let text = line.text();
                if !text.is_empty() {
                    items.push((
                        line.top,
                        Block::Text(TextLine::from_parts(page.number, text, line.printed())),
                    ));
                }
            }
            align::Piece::Grid(top, grid) => items.push((top, Block::Grid(grid))),
        }
    }
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    items.into_iter().map(|(_, b)| b).collect()
}

/// Every rung of one page as JSON: rules, tables (segments, boundaries),
/// lines outside tables and the resulting blocks.
pub fn debug_page(page: &Page) -> serde_json::Value {
    let tables = grid::find_tables(&page.rules);
    serde_json::json!({
        "number": page.number,
        "width": page.width,
        "height": page.height,
        "glyphs": page.glyphs,
        "rules": page.rules,
        "tables": tables,
        "blocks": page_blocks(page),
    })
}
