//! Plain text with tab-separated tables (the form the seed is published in):
//! a run of lines containing tabs is one grid (blank lines inside it are
//! skipped); every other non-blank line is a text line.

use crate::error::Result;
use crate::model::{Block, Decoded, Format, Grid, TextLine};

use crate::text::normalize;

/// Decodes a text document.
pub fn decode(bytes: &[u8], charset: Option<&str>) -> Result<Decoded> {
    let text = super::decode_charset(bytes, charset)?;
    Ok(Decoded {
        format: Format::Text,
        engine: "text".into(),
        pages: 1,
        blocks: blocks_from_text(&text),
        warnings: Vec::new(),
    })
}

/// Splits text into lines and tab-separated grids.
pub fn blocks_from_text(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let flush = |rows: &mut Vec<Vec<String>>, blocks: &mut Vec<Block>| {
        if !rows.is_empty() {
            blocks.push(Block::Grid(Grid::from_strings(1, std::mem::take(rows))));
        }
    };
    for raw in text.lines() {
        if raw.contains('\t') {
            rows.push(raw.split('\t').map(normalize).collect());
            continue;
        }
        let line = clean_markup(&normalize(raw));
        if line.is_empty() {
            continue;
        }
        flush(&mut rows, &mut blocks);
        blocks.push(Block::Text(TextLine::from_parts(
            1,
            line,
            clean_markup(&crate::text::fold(raw)),
        )));
    }
    flush(&mut rows, &mut blocks);
    blocks
}

/// Drops light markdown left by converters: list bullets and bold markers.
fn clean_markup(line: &str) -> String {
    let line = line.strip_prefix("- ").unwrap_or(line);
    line.replace("**", "").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_survive_blank_lines() {
        let blocks = blocks_from_text("标题\n\na\tb\n\nc\td\te\n注：x\n");
        assert_eq!(blocks.len(), 3);
        match &blocks[1] {
            Block::Grid(g) => {
                assert_eq!(g.rows.len(), 2);
                assert_eq!(g.width(), 3);
            }
            other => panic!("expected a grid, got {other:?}"),
        }
    }
}
