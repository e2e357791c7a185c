//! Spreadsheets (.xls, .xlsx) through calamine: every sheet's used range
//! becomes a grid (merged regions copied into each slot they cover), and
//! each sheet is a page.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Block, Decoded, Format, Grid, GridCell, TextLine};

use super::normal::normalize;

/// Decodes a workbook.
pub fn decode(bytes: &[u8], name: &str) -> Result<Decoded> {
    let cursor = Cursor::new(bytes.to_vec());
    let mut book = open_workbook_auto_from_rs(cursor).map_err(|e| {
        Error::new(
            ErrorKind::UnsupportedFormat,
            format!("{name}: not a readable .xls/.xlsx workbook ({e})"),
        )
    })?;
    let mut blocks = Vec::new();
    let mut warnings = Vec::new();
    let names = book.sheet_names().to_vec();
    for (index, sheet) in names.iter().enumerate() {
        let page = index as u32 + 1;
        let range = match book.worksheet_range(sheet) {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("sheet {sheet}: {e}"));
                continue;
            }
        };
        let merges = merged_regions(&mut book, sheet);
        let (h, w) = range.get_size();
        if h == 0 || w == 0 {
            continue;
        }
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<GridCell>> = (0..h)
            .map(|r| {
                (0..w)
                    .map(|c| GridCell::new(cell_text(range.get((r, c)))))
                    .collect()
            })
            .collect();
        for (sr, sc, er, ec) in &merges {
            let (sr, sc) = (*sr as usize, *sc as usize);
            let (er, ec) = (*er as usize, *ec as usize);
            let (r0, c0) = (r0 as usize, c0 as usize);
            if sr < r0 || sc < c0 {
                continue;
            }
            let text = rows
                .get(sr - r0)
                .and_then(|r| r.get(sc - c0))
                .map(|c| c.text.clone())
                .unwrap_or_default();
            for r in sr..=er {
                for c in sc..=ec {
                    if (r, c) == (sr, sc) {
                        continue;
                    }
                    if let Some(cell) = rows.get_mut(r - r0).and_then(|row| row.get_mut(c - c0)) {
                        *cell = GridCell {
                            text: text.clone(),
                            origin: false,
                        };
                    }
                }
            }
        }
        // A sheet starts with its title rows; they are text, the rest a grid.
        blocks.push(Block::Text(TextLine {
            page,
            text: normalize(sheet),
        }));
        let mut grid_rows = Vec::new();
        for row in rows {
            let filled: Vec<&GridCell> = row
                .iter()
                .filter(|c| c.origin && !c.text.is_empty())
                .collect();
            if grid_rows.is_empty() && filled.len() <= 1 {
                if let Some(cell) = filled.first() {
                    blocks.push(Block::Text(TextLine {
                        page,
                        text: cell.text.clone(),
                    }));
                }
                continue;
            }
            grid_rows.push(row);
        }
        if !grid_rows.is_empty() {
            blocks.push(Block::Grid(Grid {
                page,
                rows: grid_rows,
                spans_known: !merges.is_empty(),
            }));
        }
    }
    Ok(Decoded {
        format: Format::Spreadsheet,
        engine: "calamine".into(),
        pages: names.len() as u32,
        blocks,
        warnings,
    })
}

fn merged_regions<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    sheet: &str,
) -> Vec<(u32, u32, u32, u32)> {
    match book {
        calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
    .collect()
}

fn cell_text(data: Option<&Data>) -> String {
    match data {
        None | Some(Data::Empty) => String::new(),
        Some(Data::String(s)) => normalize(s),
        Some(Data::Float(f)) => format_float(*f),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Bool(b)) => b.to_string(),
        Some(other) => normalize(&other.to_string()),
    }
}

/// Spreadsheets store amounts as binary floats; print them the way the
/// sheet would (shortest representation that round-trips), so that the
/// decimal parser sees "8638621.12", not "8638621.1199999992".
fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}
