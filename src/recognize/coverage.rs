//! How much of the document's grids recognition read: every grid's amounts
//! (cells shaped like an amount) against what the table it went to
//! captured, page by page; and grids of amounts that no pattern recognized,
//! kept as tables of kind [`super::UNRECOGNIZED`].

use std::collections::{BTreeMap, HashMap};

use crate::model::Grid;
use crate::normalize::{grid_amount_cells, is_amount};
use crate::record::{Column, PageRead, Row, Table, Tally};
use crate::text::squash;

/// One grid of the block stream.
#[derive(Debug, Clone)]
pub struct GridUse {
    /// Its page.
    pub page: u32,
    /// Its amount-shaped cells (squashed text), top to bottom.
    pub amounts: Vec<String>,
    /// The row and column of each amount.
    pub cells: Vec<(usize, usize)>,
    /// The table it went to (an index into the recognized tables).
    pub table: Option<usize>,
    /// Read by the narrative reader (a self-evaluation table): its amounts
    /// count as captured.
    pub elsewhere: bool,
}

impl GridUse {
    /// A grid's amounts, not yet given to a table.
    pub fn of(grid: &Grid) -> GridUse {
        let (cells, amounts) = grid_amount_cells(grid)
            .into_iter()
            .map(|(r, c, t)| ((r, c), t))
            .unzip();
        GridUse {
            page: grid.page,
            amounts,
            cells,
            table: None,
            elsewhere: false,
        }
    }

    /// Header rows (column numbers printed "1.00") and line-number columns
    /// (行次, printed "1.00" in some templates) hold no amounts.
    pub fn drop_cells(&mut self, header_rows: &[usize], line_no_columns: &[usize]) {
        let keep: Vec<bool> = self
            .cells
            .iter()
            .map(|(r, c)| !header_rows.contains(r) && !line_no_columns.contains(c))
            .collect();
        let mut k = keep.iter();
        self.amounts.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        self.cells.retain(|_| *k.next().unwrap_or(&true));
    }
}

/// The table amounts of a document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    /// Printed and captured over the whole document.
    pub table_amounts: Tally,
    /// Per page with amounts in its grids.
    pub pages: Vec<PageRead>,
}

/// What a table captured, as the texts its rows hold: printed values, codes
/// (whole and their class and section prefixes, which templates print in
/// columns of their own) and line numbers.
fn captured(table: &Table) -> HashMap<String, u32> {
    let mut pool: HashMap<String, u32> = HashMap::new();
    let mut add = |t: &str| *pool.entry(squash(t)).or_default() += 1;
    for row in &table.rows {
        for (key, text) in &row.printed {
            if row.values.contains_key(key) {
                add(text);
            }
        }
        if let Some(code) = &row.code {
            add(code);
            for n in [3, 5] {
                if code.len() > n {
                    add(&code[..n]);
                }
            }
        }
        if let Some(n) = &row.line_no {
            add(n);
        }
    }
    pool
}

/// Printed against captured, per page and in all, for the grids of a
/// document once recognition is done. A grid kept as an unrecognized table
/// captured nothing.
pub fn tally(grids: &[GridUse], tables: &[Table]) -> Coverage {
    let mut pools: BTreeMap<usize, HashMap<String, u32>> = BTreeMap::new();
    let mut pages: BTreeMap<u32, PageRead> = BTreeMap::new();
    for g in grids {
        if g.amounts.is_empty() {
            continue;
        }
        let page = pages.entry(g.page).or_insert(PageRead {
            page: g.page,
            printed: 0,
            captured: 0,
        });
        page.printed += g.amounts.len() as u32;
        if g.elsewhere {
            page.captured += g.amounts.len() as u32;
            continue;
        }
        let Some(t) = g.table.filter(|t| {
            tables
                .get(*t)
                .is_some_and(|t| t.kind != super::UNRECOGNIZED)
        }) else {
            continue;
        };
        let pool = pools.entry(t).or_insert_with(|| captured(&tables[t]));
        for a in &g.amounts {
            if let Some(n) = pool.get_mut(a).filter(|n| **n > 0) {
                *n -= 1;
                page.captured += 1;
            } else {
                tracing::debug!(page = g.page, amount = %a, table = %tables[t].kind, "amount not captured");
            }
        }
    }
    let pages: Vec<PageRead> = pages.into_values().collect();
    Coverage {
        table_amounts: Tally {
            printed: pages.iter().map(|p| p.printed).sum(),
            captured: pages.iter().map(|p| p.captured).sum(),
        },
        pages,
    }
}

/// Fewest amounts a grid must print to be kept as an unrecognized table
/// (fewer is a line of figures, not a table).
const UNRECOGNIZED_MIN_AMOUNTS: usize = 2;

/// A grid of amounts no pattern recognized, kept as it was printed: one
/// column per grid column (`c1`, `c2`, … headed by the first row's text),
/// one row per grid row with its cells' text in `printed`, no values (no
/// unit is known). `caption` is the last text line before it.
pub fn unrecognized(grid: &Grid, grid_use: &GridUse, caption: Option<&str>) -> Option<Table> {
    if grid_use.amounts.len() < UNRECOGNIZED_MIN_AMOUNTS || grid.rows.len() < 2 {
        return None;
    }
    let width = grid.width();
    let columns = (0..width)
        .map(|c| Column {
            key: format!("c{}", c + 1),
            header: grid.rows[0]
                .get(c)
                .map(|cell| squash(&cell.text))
                .unwrap_or_default(),
            unit: None,
            not_money: false,
            side: None,
        })
        .collect();
    let rows = grid
        .rows
        .iter()
        .enumerate()
        .map(|(i, cells)| {
            let printed: BTreeMap<String, String> = cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.origin && !c.text.trim().is_empty())
                .map(|(i, c)| (format!("c{}", i + 1), c.text.trim().to_string()))
                .collect();
            Row {
                name: cells
                    .iter()
                    .map(|c| squash(&c.text))
                    .find(|t| !t.is_empty() && !is_amount(t)),
                printed,
                page: Some(grid.row_page(i)),
                ..Default::default()
            }
        })
        .filter(|r| !r.printed.is_empty())
        .collect();
    Some(Table {
        kind: super::UNRECOGNIZED.to_string(),
        label: None,
        title: caption.unwrap_or_default().to_string(),
        unit_name: None,
        year: None,
        amount_unit: None,
        unit_source: None,
        recognized_by: None,
        pages: vec![grid.page],
        empty: false,
        columns,
        rows,
    })
}
