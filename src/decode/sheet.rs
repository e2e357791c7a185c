//! Spreadsheets (.xls, .xlsx) through calamine: every sheet's used range
//! becomes a grid (merged regions copied into each slot they cover), and
//! each sheet is a page.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Block, Decoded, Format, Grid, GridCell, TextLine};
use crate::settings::Limits;

use crate::text::normalize;

/// Decodes a workbook.
pub fn decode(bytes: &[u8], name: &str, limits: &Limits) -> Result<Decoded> {
    if bytes.starts_with(b"PK") {
        check_zip(bytes, limits)?;
    }
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

/// Largest number of members an .xlsx may have.
pub const MAX_ZIP_ENTRIES: u64 = 100_000;

/// Decompression-bomb guard for .xlsx (a zip): the uncompressed sizes its
/// central directory declares must add up to at most
/// [`Limits::max_decoded_bytes`], before calamine inflates anything. A ZIP64
/// size (0xFFFFFFFF) counts as over any limit. The declared sizes are what
/// the zip reader checks the inflated members against.
pub fn check_zip(bytes: &[u8], limits: &Limits) -> Result<()> {
    let Some(dir) = zip_sizes(bytes) else {
        // No readable central directory: calamine will say what is wrong.
        return Ok(());
    };
    let too_large = |what: String| {
        Err(Error::new(
            ErrorKind::TooLarge,
            format!("{what} (a zip bomb?); raise --max-decoded-bytes to read it"),
        ))
    };
    if dir.entries > MAX_ZIP_ENTRIES {
        return too_large(format!(
            "the workbook has {} members, over the limit of {MAX_ZIP_ENTRIES}",
            dir.entries
        ));
    }
    if dir.total > limits.max_decoded_bytes {
        return too_large(format!(
            "the workbook uncompresses to {} bytes, over the limit of {}",
            dir.total, limits.max_decoded_bytes
        ));
    }
    Ok(())
}

/// What a zip's central directory declares.
#[derive(Debug, PartialEq)]
pub struct ZipSizes {
    /// Members.
    pub entries: u64,
    /// Sum of their uncompressed sizes (saturating; ZIP64 markers count as `u64::MAX`).
    pub total: u64,
}

/// Reads the central directory of a zip held in memory.
pub fn zip_sizes(bytes: &[u8]) -> Option<ZipSizes> {
    let u16_at = |at: usize| -> Option<u64> {
        bytes
            .get(at..at + 2)
            .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| -> Option<u64> {
        bytes
            .get(at..at + 4)
            .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    // End of central directory: 22 bytes plus a comment of up to 64 KiB.
    let floor = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (floor..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes.get(i..i + 4) == Some(b"PK\x05\x06".as_slice()))?;
    let declared = u16_at(eocd + 10)?;
    let mut at = usize::try_from(u32_at(eocd + 16)?).ok()?;
    let mut entries = 0u64;
    let mut total = 0u64;
    while bytes.get(at..at + 4) == Some(b"PK\x01\x02".as_slice()) {
        let size = u32_at(at + 24)?;
        let size = if size == 0xFFFF_FFFF { u64::MAX } else { size };
        total = total.saturating_add(size);
        entries += 1;
        let skip = 46 + u16_at(at + 28)? + u16_at(at + 30)? + u16_at(at + 32)?;
        at = at.checked_add(usize::try_from(skip).ok()?)?;
    }
    Some(ZipSizes {
        entries: entries.max(declared),
        total,
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
