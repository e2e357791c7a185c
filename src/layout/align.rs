//! Fallback rung for tables without ruling lines (and for the pdftotext
//! engine, which reports none): an alignment grid.
//!
//! 1. Each line is split into chunks at gaps wider than [`CHUNK_GAP`] × size.
//! 2. A run of consecutive lines with at least two chunks each (single-chunk
//!    lines are bridged when both neighbours belong to the run) is a table
//!    candidate when at least [`MIN_ROWS`] of its lines have three chunks
//!    and at least [`MIN_ROWS`] lines have a numeric chunk (an amount, a
//!    code): stacked headings and letterheads stay text.
//! 3. Column separators are the x ranges that (almost) no line of the run
//!    covers; a run with fewer than three columns stays text.
//! 4. Each glyph goes to the column containing its centre, so a
//!    right-aligned number nearly touching the next cell's text is still
//!    split where the other rows have their gap.

use super::words::{join_glyphs, Line};
use crate::model::{Glyph, Grid};

/// A gap wider than this share of the font size separates two chunks.
pub const CHUNK_GAP: f64 = 1.0;
/// Lines with three or more chunks needed in a run.
pub const MIN_ROWS: usize = 3;
/// Columns needed for an alignment grid.
pub const MIN_COLUMNS: usize = 3;
/// Share of a run's lines that may cross a column separator.
pub const SEPARATOR_NOISE: f64 = 0.1;
/// A separator must be at least this share of the font size wide.
pub const MIN_SEPARATOR: f64 = 0.5;
/// Resolution of the coverage sweep (points).
const STEP: f64 = 0.5;

/// Either a text line or an alignment grid, with its top y.
#[derive(Debug)]
pub enum Piece {
    /// A line outside any table.
    Line(Line),
    /// A grid made of several lines, with its top.
    Grid(f64, Grid),
}

/// True when the glyphs of a line between `x0` and `x1` form a number
/// (digits with `,` `.` `-` `%`).
fn numeric_chunk(line: &Line, (x0, x1): (f64, f64)) -> bool {
    let text: String = line
        .glyphs
        .iter()
        .filter(|g| g.x0 >= x0 && g.x1 <= x1)
        .map(|g| g.text.as_str())
        .collect();
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '%'))
}

fn has_number(line: &Line) -> bool {
    chunks(line).into_iter().any(|c| numeric_chunk(line, c))
}

fn chunks(line: &Line) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut prev_end = f64::MIN;
    for g in &line.glyphs {
        match out.last_mut() {
            Some(last) if g.x0 - prev_end <= CHUNK_GAP * g.size => last.1 = last.1.max(g.x1),
            _ => out.push((g.x0, g.x1)),
        }
        prev_end = prev_end.max(g.x1);
    }
    out
}

/// Turns lines (top to bottom) into text lines and alignment grids.
pub fn align(lines: Vec<Line>, page: u32) -> Vec<Piece> {
    let counts: Vec<usize> = lines.iter().map(|l| chunks(l).len()).collect();
    let n = lines.len();
    let in_run: Vec<bool> = (0..n)
        .map(|i| counts[i] >= 2 || (i > 0 && i + 1 < n && counts[i - 1] >= 2 && counts[i + 1] >= 2))
        .collect();
    let mut pieces = Vec::new();
    let mut lines: Vec<Option<Line>> = lines.into_iter().map(Some).collect();
    let mut i = 0;
    while i < n {
        if !in_run[i] {
            if let Some(l) = lines[i].take() {
                pieces.push(Piece::Line(l));
            }
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && in_run[j] {
            j += 1;
        }
        let run: Vec<Line> = lines[i..j].iter_mut().filter_map(Option::take).collect();
        let wide = counts[i..j].iter().filter(|&&c| c >= 3).count();
        let numeric = run.iter().filter(|l| has_number(l)).count();
        match (wide >= MIN_ROWS && numeric >= MIN_ROWS)
            .then(|| grid_of(&run, page))
            .flatten()
        {
            Some(grid) => pieces.push(Piece::Grid(run.first().map_or(0.0, |l| l.top), grid)),
            None => pieces.extend(run.into_iter().map(Piece::Line)),
        }
        i = j;
    }
    pieces
}

fn grid_of(run: &[Line], page: u32) -> Option<Grid> {
    let x0 = run.iter().map(|l| l.x0).fold(f64::MAX, f64::min);
    let x1 = run.iter().map(|l| l.x1).fold(f64::MIN, f64::max);
    let size = run.iter().map(|l| l.size).sum::<f64>() / run.len() as f64;
    let bins = ((x1 - x0) / STEP).ceil() as usize + 1;
    if bins > 100_000 {
        return None;
    }
    let mut cover = vec![0usize; bins];
    let multi: Vec<&Line> = run.iter().filter(|l| chunks(l).len() >= 2).collect();
    for l in &multi {
        for (a, b) in chunks(l) {
            let (ia, ib) = (
                ((a - x0) / STEP) as usize,
                (((b - x0) / STEP) as usize).min(bins - 1),
            );
            for c in &mut cover[ia..=ib] {
                *c += 1;
            }
        }
    }
    let noise = (multi.len() as f64 * SEPARATOR_NOISE).floor() as usize;
    let mut bounds = vec![f64::MIN];
    let mut start: Option<usize> = None;
    for (k, &c) in cover.iter().enumerate() {
        if c <= noise {
            start.get_or_insert(k);
        } else if let Some(s) = start.take() {
            if s > 0 && (k - s) as f64 * STEP >= MIN_SEPARATOR * size {
                bounds.push(x0 + (s + k) as f64 * STEP / 2.0);
            }
        }
    }
    bounds.push(f64::MAX);
    let cols = bounds.len() - 1;
    if cols < MIN_COLUMNS {
        return None;
    }
    let rows: Vec<Vec<String>> = run
        .iter()
        .map(|l| {
            let mut cells: Vec<Vec<Glyph>> = vec![Vec::new(); cols];
            for g in &l.glyphs {
                let cx = (g.x0 + g.x1) / 2.0;
                let c = bounds[1..].iter().position(|&b| cx < b).unwrap_or(cols - 1);
                cells[c].push(g.clone());
            }
            cells.iter().map(|c| join_glyphs(c, false)).collect()
        })
        .collect();
    Some(Grid::from_strings(page, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::words::group_lines;
    use crate::layout::words::tests::g;

    fn word(s: &str, x: f64, y: f64) -> Vec<Glyph> {
        let mut out = Vec::new();
        let mut at = x;
        for c in s.chars() {
            let gl = g(&c.to_string(), at, y);
            at = gl.x1;
            out.push(gl);
        }
        out
    }

    #[test]
    fn aligned_columns_become_a_grid_and_prose_stays_text() {
        let mut glyphs = word("说明文字一段", 0.0, 10.0);
        for (i, (name, a, b)) in [
            ("合计", "100.00", "20.00"),
            ("工资", "1.00", "2.00"),
            ("其他", "99.00", "18.00"),
        ]
        .iter()
        .enumerate()
        {
            let y = 30.0 + 15.0 * i as f64;
            glyphs.extend(word(name, 0.0, y));
            // right-aligned numbers ending at 150 and 250
            glyphs.extend(word(a, 150.0 - 5.0 * a.len() as f64, y));
            glyphs.extend(word(b, 250.0 - 5.0 * b.len() as f64, y));
        }
        let pieces = align(group_lines(&glyphs), 1);
        assert_eq!(pieces.len(), 2);
        assert!(matches!(&pieces[0], Piece::Line(l) if l.text() == "说明文字一段"));
        let Piece::Grid(_, grid) = &pieces[1] else {
            panic!("no grid")
        };
        let texts: Vec<Vec<&str>> = grid
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(texts[0], vec!["合计", "100.00", "20.00"]);
        assert_eq!(texts[1], vec!["工资", "1.00", "2.00"]);
        assert!(!grid.spans_known);
    }

    #[test]
    fn stacked_headings_stay_text() {
        let mut glyphs = Vec::new();
        for i in 0..4 {
            let y = 20.0 + 15.0 * i as f64;
            glyphs.extend(word("部门:", 0.0, y));
            glyphs.extend(word("江苏省人民检察院", 100.0, y));
            glyphs.extend(word("单位:万元", 300.0, y));
        }
        let pieces = align(group_lines(&glyphs), 1);
        assert_eq!(pieces.len(), 4);
        assert!(pieces.iter().all(|p| matches!(p, Piece::Line(_))));
    }
}
