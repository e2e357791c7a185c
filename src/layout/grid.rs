//! Second rung: ruling lines → tables → cells.
//!
//! 1. Split rules into horizontal and vertical segments; snap nearly-equal
//!    positions ([`SNAP_TOLERANCE`]) and merge collinear touching segments.
//! 2. A table is a connected cluster of segments (a horizontal and a
//!    vertical segment touch when they cross within [`JOIN_TOLERANCE`]).
//! 3. Its row bands lie between the distinct horizontal positions, its
//!    columns between the distinct vertical positions (the cluster's bounding
//!    box closes open sides).
//! 4. Two neighbouring slots are one merged cell when the rule between them
//!    is missing (covers less than [`MIN_COVER`] of their common edge).
//! 5. A glyph goes to the slot containing its centre; a merged cell's text
//!    is copied into every slot it covers, `origin` set on its top-left slot.

use serde::Serialize;

use super::cluster::{cluster_1d, snap, UnionFind};
use super::words::cell_text;
use crate::model::{Glyph, Grid, GridCell, Rule};

/// Rule positions closer than this (points) are the same line (double rules,
/// rounding, thin rectangles drawn as two edges).
pub const SNAP_TOLERANCE: f64 = 2.0;
/// Collinear segments with a gap up to this (points) are one line; a
/// horizontal and a vertical segment this close to crossing touch.
pub const JOIN_TOLERANCE: f64 = 3.0;
/// A boundary between two slots exists when rules cover at least this share
/// of their common edge.
pub const MIN_COVER: f64 = 0.5;
/// Row bands or columns narrower than this (points) without text of their
/// own are artefacts (slivers between double rules) and dropped (rows
/// without any text are dropped whatever their height, see [`fill`]).
pub const MAX_SLIVER: f64 = 4.0;
/// Clusters smaller than this (points) in either direction are not tables.
pub const MIN_TABLE_SIDE: f64 = 8.0;
/// A glyph's vertical centre, as a share of its size above the baseline.
pub const CENTRE_ABOVE_BASELINE: f64 = 0.35;

/// An axis-aligned segment: `pos` across the axis, `[start, end]` along it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// y of a horizontal segment, x of a vertical one.
    pub pos: f64,
    /// Lower end along the segment.
    pub start: f64,
    /// Upper end along the segment.
    pub end: f64,
}

/// One ruled table found on a page, with its intermediate rungs.
#[derive(Debug, Clone, Serialize)]
pub struct RuledTable {
    /// Horizontal segments (snapped, merged).
    pub horizontal: Vec<Segment>,
    /// Vertical segments (snapped, merged).
    pub vertical: Vec<Segment>,
    /// Column boundaries, ascending.
    pub xs: Vec<f64>,
    /// Row boundaries, ascending (downwards).
    pub ys: Vec<f64>,
}

impl RuledTable {
    /// Bounding box `(x0, y0, x1, y1)`.
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let first = |v: &[f64]| v.first().copied().unwrap_or(0.0);
        let last = |v: &[f64]| v.last().copied().unwrap_or(0.0);
        (
            first(&self.xs),
            first(&self.ys),
            last(&self.xs),
            last(&self.ys),
        )
    }

    /// True when the point lies inside the table (with a small margin).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let (x0, y0, x1, y1) = self.bbox();
        x >= x0 - 0.5 && x <= x1 + 0.5 && y >= y0 - 0.5 && y <= y1 + 0.5
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.xs.len().saturating_sub(1) * self.ys.len().saturating_sub(1)
    }
}

/// The centre of a glyph used to place it in a cell.
pub fn glyph_centre(g: &Glyph) -> (f64, f64) {
    ((g.x0 + g.x1) / 2.0, g.y1 - CENTRE_ABOVE_BASELINE * g.size)
}

/// Finds the ruled tables among a page's rules, top to bottom.
pub fn find_tables(rules: &[Rule]) -> Vec<RuledTable> {
    let (h_raw, v_raw): (Vec<&Rule>, Vec<&Rule>) = rules.iter().partition(|r| r.is_horizontal());
    let horizontal = merge(h_raw.iter().map(|r| Segment {
        pos: (r.y0 + r.y1) / 2.0,
        start: r.x0,
        end: r.x1,
    }));
    let vertical = merge(v_raw.iter().map(|r| Segment {
        pos: (r.x0 + r.x1) / 2.0,
        start: r.y0,
        end: r.y1,
    }));
    let n = horizontal.len() + vertical.len();
    let mut uf = UnionFind::new(n);
    for (i, h) in horizontal.iter().enumerate() {
        for (j, v) in vertical.iter().enumerate() {
            if v.pos >= h.start - JOIN_TOLERANCE
                && v.pos <= h.end + JOIN_TOLERANCE
                && h.pos >= v.start - JOIN_TOLERANCE
                && h.pos <= v.end + JOIN_TOLERANCE
            {
                uf.union(i, horizontal.len() + j);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, (Vec<Segment>, Vec<Segment>)> =
        Default::default();
    for i in 0..n {
        let root = uf.find(i);
        let entry = groups.entry(root).or_default();
        if i < horizontal.len() {
            entry.0.push(horizontal[i]);
        } else {
            entry.1.push(vertical[i - horizontal.len()]);
        }
    }
    let mut tables: Vec<RuledTable> = groups
        .into_values()
        .filter_map(|(h, v)| build(h, v))
        .collect();
    tables.sort_by(|a, b| a.bbox().1.total_cmp(&b.bbox().1));
    tables
}

/// Snaps positions and merges collinear touching segments.
fn merge(segments: impl Iterator<Item = Segment>) -> Vec<Segment> {
    let segs: Vec<Segment> = segments.collect();
    let centres = cluster_1d(
        &segs.iter().map(|s| s.pos).collect::<Vec<_>>(),
        SNAP_TOLERANCE,
    );
    let mut snapped: Vec<Segment> = segs
        .iter()
        .map(|s| Segment {
            pos: snap(s.pos, &centres),
            ..*s
        })
        .collect();
    snapped.sort_by(|a, b| a.pos.total_cmp(&b.pos).then(a.start.total_cmp(&b.start)));
    let mut out: Vec<Segment> = Vec::new();
    for s in snapped {
        if let Some(last) = out.last_mut() {
            if last.pos == s.pos && s.start <= last.end + JOIN_TOLERANCE {
                last.end = last.end.max(s.end);
                continue;
            }
        }
        out.push(s);
    }
    out
}

fn build(horizontal: Vec<Segment>, vertical: Vec<Segment>) -> Option<RuledTable> {
    if horizontal.is_empty() || vertical.is_empty() {
        return None;
    }
    let x0 = horizontal
        .iter()
        .map(|s| s.start)
        .chain(vertical.iter().map(|s| s.pos))
        .fold(f64::MAX, f64::min);
    let x1 = horizontal
        .iter()
        .map(|s| s.end)
        .chain(vertical.iter().map(|s| s.pos))
        .fold(f64::MIN, f64::max);
    let y0 = vertical
        .iter()
        .map(|s| s.start)
        .chain(horizontal.iter().map(|s| s.pos))
        .fold(f64::MAX, f64::min);
    let y1 = vertical
        .iter()
        .map(|s| s.end)
        .chain(horizontal.iter().map(|s| s.pos))
        .fold(f64::MIN, f64::max);
    if x1 - x0 < MIN_TABLE_SIDE || y1 - y0 < MIN_TABLE_SIDE {
        return None;
    }
    let mut xv: Vec<f64> = vertical.iter().map(|s| s.pos).collect();
    xv.extend([x0, x1]);
    let mut yv: Vec<f64> = horizontal.iter().map(|s| s.pos).collect();
    yv.extend([y0, y1]);
    let xs = cluster_1d(&xv, SNAP_TOLERANCE);
    let ys = cluster_1d(&yv, SNAP_TOLERANCE);
    if xs.len() < 2 || ys.len() < 2 {
        return None;
    }
    Some(RuledTable {
        horizontal,
        vertical,
        xs,
        ys,
    })
}

/// Share of `[a, b]` covered by the segments at `pos`.
fn cover(segments: &[Segment], pos: f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 1.0;
    }
    let covered: f64 = segments
        .iter()
        .filter(|s| (s.pos - pos).abs() <= SNAP_TOLERANCE)
        .map(|s| (s.end.min(b) - s.start.max(a)).max(0.0))
        .sum();
    covered / (b - a)
}

/// Index of the band of `bounds` containing `v` (clamped to the outer bands).
fn band(bounds: &[f64], v: f64) -> usize {
    let n = bounds.len().saturating_sub(1);
    bounds[1..]
        .iter()
        .position(|&b| v < b)
        .unwrap_or(n.saturating_sub(1))
        .min(n.saturating_sub(1))
}

/// Fills a table's cells with the glyphs inside it (glyphs outside are
/// ignored) and returns the grid, or `None` when the table is a single cell
/// (a frame around text, not a table).
pub fn fill<'a>(
    table: &RuledTable,
    page: u32,
    glyphs: impl IntoIterator<Item = &'a Glyph>,
) -> Option<Grid> {
    let (xs, ys) = (&table.xs, &table.ys);
    let (rows, cols) = (ys.len() - 1, xs.len() - 1);
    let id = |r: usize, c: usize| r * cols + c;
    let mut uf = UnionFind::new(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            if c + 1 < cols && cover(&table.vertical, xs[c + 1], ys[r], ys[r + 1]) < MIN_COVER {
                uf.union(id(r, c), id(r, c + 1));
            }
            if r + 1 < rows && cover(&table.horizontal, ys[r + 1], xs[c], xs[c + 1]) < MIN_COVER {
                uf.union(id(r, c), id(r + 1, c));
            }
        }
    }
    let region: Vec<usize> = (0..rows * cols).map(|i| uf.find(i)).collect();
    if region.iter().all(|&r| r == region[0]) {
        return None;
    }
    let mut members: Vec<Vec<&Glyph>> = vec![Vec::new(); rows * cols];
    let mut own_text = vec![false; rows * cols];
    for g in glyphs {
        let (cx, cy) = glyph_centre(g);
        if !table.contains(cx, cy) {
            continue;
        }
        let slot = id(band(ys, cy), band(xs, cx));
        own_text[slot] = true;
        members[region[slot]].push(g);
    }
    let texts: Vec<Option<String>> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (region[i] == i).then(|| cell_text(m.iter().copied())))
        .collect();
    // Slivers: thin bands/columns where no glyph is centred.
    let keep_row: Vec<bool> = (0..rows)
        .map(|r| ys[r + 1] - ys[r] >= MAX_SLIVER || (0..cols).any(|c| own_text[id(r, c)]))
        .collect();
    let keep_col: Vec<bool> = (0..cols)
        .map(|c| xs[c + 1] - xs[c] >= MAX_SLIVER || (0..rows).any(|r| own_text[id(r, c)]))
        .collect();
    let mut seen = vec![false; rows * cols];
    let mut out_rows = Vec::new();
    for r in (0..rows).filter(|&r| keep_row[r]) {
        let mut row = Vec::new();
        for c in (0..cols).filter(|&c| keep_col[c]) {
            let root = region[id(r, c)];
            let text = texts[root].clone().unwrap_or_default();
            row.push(GridCell {
                text,
                origin: !std::mem::replace(&mut seen[root], true),
            });
        }
        // A row without any text carries nothing (an empty band at a page
        // break, a spacer); the seed tables never have one.
        if row.iter().any(|c| !c.text.is_empty()) {
            out_rows.push(row);
        }
    }
    if out_rows.is_empty() {
        return None;
    }
    Some(Grid {
        page,
        rows: out_rows,
        spans_known: true,
        row_pages: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::words::tests::g;

    fn h(y: f64, x0: f64, x1: f64) -> Rule {
        Rule {
            x0,
            y0: y,
            x1,
            y1: y,
        }
    }
    fn v(x: f64, y0: f64, y1: f64) -> Rule {
        Rule {
            x0: x,
            y0,
            x1: x,
            y1,
        }
    }

    #[test]
    fn merged_header_and_cells() {
        // Two columns; the top row is one merged cell (no divider), and a
        // double rule at y=40/41.5 must not make a sliver row.
        let rules = vec![
            h(10.0, 0.0, 100.0),
            h(40.0, 0.0, 100.0),
            h(41.5, 0.0, 100.0),
            h(70.0, 0.0, 100.0),
            v(0.0, 10.0, 70.0),
            v(100.0, 10.0, 70.0),
            v(50.0, 40.0, 70.0),
            // an unrelated underline elsewhere
            h(200.0, 0.0, 30.0),
        ];
        let tables = find_tables(&rules);
        assert_eq!(tables.len(), 1);
        let glyphs = vec![
            g("标", 30.0, 30.0),
            g("题", 40.0, 30.0),
            g("1", 10.0, 60.0),
            g("2", 60.0, 60.0),
        ];
        let grid = fill(&tables[0], 1, &glyphs).unwrap();
        let texts: Vec<Vec<&str>> = grid
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(texts, vec![vec!["标题", "标题"], vec!["1", "2"]]);
        assert!(grid.rows[0][0].origin && !grid.rows[0][1].origin);
        assert!(grid.spans_known);
    }

    #[test]
    fn single_frame_is_not_a_table() {
        let rules = vec![
            h(10.0, 0.0, 100.0),
            h(70.0, 0.0, 100.0),
            v(0.0, 10.0, 70.0),
            v(100.0, 10.0, 70.0),
        ];
        let tables = find_tables(&rules);
        assert_eq!(tables.len(), 1);
        assert!(fill(&tables[0], 1, &[]).is_none());
    }
}
