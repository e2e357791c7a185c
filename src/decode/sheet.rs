//! Spreadsheets (.xls, .xlsx) through calamine: every sheet's used cells
//! become a grid (merged regions copied into each slot they cover), and
//! each sheet is a page.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Block, Decoded, Format, Grid, GridCell, TextLine};
use crate::settings::Limits;

use crate::text::normalize;

/// Decodes a workbook.
///
/// A sheet's cells are read sparse, never through a range its dimension
/// or its farthest cell would size: at most [`Limits::max_cells`] non-empty
/// cells, laid out densely when their bounding box holds at most that many
/// slots, else with the empty rows and columns between them left out (a
/// cell addressed far away, `XFD1048576`, costs nothing), and refused as
/// `too_large` when even that is over the limit.
///
/// calamine panics on some damaged workbooks (out-of-range slices in .xls
/// formulas): a panic is this document's `decoder_failed`, here as well as
/// in the decode worker.
pub fn decode(bytes: &[u8], name: &str, limits: &Limits) -> Result<Decoded> {
    super::contain(
        || read_workbook(bytes, name, limits),
        |why| format!("{name}: calamine failed on this workbook ({why}): a damaged file"),
    )
}

fn read_workbook(bytes: &[u8], name: &str, limits: &Limits) -> Result<Decoded> {
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
        let cells = match sheet_cells(&mut book, sheet, limits)? {
            Ok(c) => c,
            Err(e) => {
                warnings.push(format!("sheet {sheet}: {e}"));
                continue;
            }
        };
        let merges = merged_regions(&mut book, sheet);
        let Some(layout) = Layout::of(&cells, limits.max_cells) else {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "sheet {sheet}: its {} cells spread over more than {} rows × columns even \
                     without the empty ones (raise --max-cells to read it)",
                    cells.len(),
                    limits.max_cells
                ),
            ));
        };
        if layout.is_empty() {
            continue;
        }
        if layout.compressed {
            warnings.push(format!(
                "sheet {sheet}: its cells span {} rows × {} columns, over --max-cells; \
                 the empty rows and columns between them were left out",
                layout.span.0, layout.span.1
            ));
        }
        let (h, w) = (layout.rows.len(), layout.cols.len());
        let mut rows: Vec<Vec<GridCell>> = vec![vec![GridCell::new(""); w]; h];
        for ((r, c), text) in cells {
            if let Some(cell) = layout.slot(r, c).and_then(|(r, c)| rows[r].get_mut(c)) {
                cell.text = text;
            }
        }
        // Each covered slot gets a copy: at most --max-cells copies a sheet.
        let mut copies_left = limits.max_cells;
        for &(sr, sc, er, ec) in &merges {
            let Some((r0, c0)) = layout.slot(sr, sc) else {
                continue;
            };
            let text = rows[r0][c0].text.clone();
            let rows_in =
                layout.rows.partition_point(|&r| r < sr)..layout.rows.partition_point(|&r| r <= er);
            let cols_in =
                layout.cols.partition_point(|&c| c < sc)..layout.cols.partition_point(|&c| c <= ec);
            let covered = (rows_in.len() as u64).saturating_mul(cols_in.len() as u64);
            if covered > copies_left {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "sheet {sheet}: its merged cells cover more than {} slots \
                         (raise --max-cells to read it)",
                        limits.max_cells
                    ),
                ));
            }
            copies_left -= covered;
            for gr in rows_in {
                for gc in cols_in.clone() {
                    if (gr, gc) != (r0, c0) {
                        rows[gr][gc] = GridCell {
                            text: text.clone(),
                            origin: false,
                        };
                    }
                }
            }
        }
        // A sheet starts with its title rows; they are text, the rest a grid.
        blocks.push(Block::Text(TextLine::new(page, sheet)));
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
                        printed: None,
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
                row_pages: Vec::new(),
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

/// A sheet's non-empty cells: absolute (row, column) and text.
type Cells = Vec<((u32, u32), String)>;

/// The non-empty cells of `sheet`: the outer error is the limit (the
/// document stops), the inner one a sheet that cannot be read (a warning).
fn sheet_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    sheet: &str,
    limits: &Limits,
) -> Result<std::result::Result<Cells, String>> {
    let mut cells: Cells = Vec::new();
    // Keeps a non-empty cell, at most --max-cells of them.
    let keep = |cells: &mut Cells, at: (u32, u32), text: String| -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        if cells.len() as u64 >= limits.max_cells {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "sheet {sheet} has more than {} cells (raise --max-cells to read it)",
                    limits.max_cells
                ),
            ));
        }
        cells.push((at, text));
        Ok(())
    };
    if let calamine::Sheets::Xlsx(x) = book {
        // Streamed: nothing is sized by the declared dimension.
        let mut reader = match x.worksheet_cells_reader(sheet) {
            Ok(r) => r,
            Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Ok(cells)),
            Err(e) => return Ok(Err(e.to_string())),
        };
        loop {
            match reader.next_cell() {
                Ok(Some(cell)) => {
                    let text = cell_text(Some(&Data::from(cell.get_value().clone())));
                    keep(&mut cells, cell.get_position(), text)?;
                }
                Ok(None) => break,
                Err(e) => return Ok(Err(e.to_string())),
            }
        }
        return Ok(Ok(cells));
    }
    // .xls: calamine has built the sheet's range when it opened the book.
    let range = match book.worksheet_range(sheet) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, data) in range.used_cells() {
        keep(
            &mut cells,
            (r0 + r as u32, c0 + c as u32),
            cell_text(Some(data)),
        )?;
    }
    Ok(Ok(cells))
}

/// Where a sheet's cells go in its grid: the rows and columns kept, in order.
#[derive(Debug, PartialEq)]
struct Layout {
    rows: Vec<u32>,
    cols: Vec<u32>,
    /// Rows × columns of the cells' bounding box.
    span: (u64, u64),
    /// Empty rows or columns were left out.
    compressed: bool,
}

impl Layout {
    /// Every row and column of the cells' bounding box when it holds at
    /// most `max` slots; else only the rows and columns that hold a cell,
    /// if those are at most `max` slots; else `None`.
    fn of(cells: &Cells, max: u64) -> Option<Layout> {
        let Some(((r_min, c_min), (r_max, c_max))) = cells.iter().fold(None, |b, ((r, c), _)| {
            let ((a, b0), (x, y)) = b.unwrap_or(((*r, *c), (*r, *c)));
            Some(((a.min(*r), b0.min(*c)), (x.max(*r), y.max(*c))))
        }) else {
            return Some(Layout {
                rows: Vec::new(),
                cols: Vec::new(),
                span: (0, 0),
                compressed: false,
            });
        };
        let span = (u64::from(r_max - r_min) + 1, u64::from(c_max - c_min) + 1);
        if span.0.saturating_mul(span.1) <= max {
            return Some(Layout {
                rows: (r_min..=r_max).collect(),
                cols: (c_min..=c_max).collect(),
                span,
                compressed: false,
            });
        }
        let mut rows: Vec<u32> = cells.iter().map(|((r, _), _)| *r).collect();
        let mut cols: Vec<u32> = cells.iter().map(|((_, c), _)| *c).collect();
        rows.sort_unstable();
        rows.dedup();
        cols.sort_unstable();
        cols.dedup();
        ((rows.len() as u64).saturating_mul(cols.len() as u64) <= max).then_some(Layout {
            rows,
            cols,
            span,
            compressed: true,
        })
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty() || self.cols.is_empty()
    }

    /// The grid slot of an absolute position, if its row and column are kept.
    fn slot(&self, row: u32, col: u32) -> Option<(usize, usize)> {
        Some((
            self.rows.binary_search(&row).ok()?,
            self.cols.binary_search(&col).ok()?,
        ))
    }
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
    if dir.entries > MAX_ZIP_ENTRIES {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the workbook has {} members, over the limit of {MAX_ZIP_ENTRIES} \
                 (a zip bomb or a damaged file; no setting reads it)",
                dir.entries
            ),
        ));
    }
    if dir.total > limits.max_decoded_bytes {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the workbook uncompresses to {} bytes, over the limit of {} \
                 (a zip bomb?); raise --max-decoded-bytes to read it",
                dir.total, limits.max_decoded_bytes
            ),
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
