//! First rung: glyphs → lines (grouped by baseline, sorted by x) → text.

use crate::model::Glyph;
use crate::text::is_cjk;
use crate::text::normalize;

/// Glyphs whose baselines differ by at most this share of the font size are
/// on one line.
pub const BASELINE_TOLERANCE: f64 = 0.3;
/// A horizontal gap wider than this share of the font size separates words.
pub const WORD_GAP: f64 = 0.3;
/// A repeated glyph (same text) offset by less than this share of the size is
/// a fake-bold overprint and dropped.
pub const OVERPRINT: f64 = 0.15;

/// A line of glyphs sharing a baseline, left to right.
#[derive(Debug, Clone)]
pub struct Line {
    /// The glyphs, sorted by `x0`.
    pub glyphs: Vec<Glyph>,
    /// Topmost glyph top.
    pub top: f64,
    /// Baseline (lowest glyph bottom).
    pub bottom: f64,
    /// Left edge.
    pub x0: f64,
    /// Right edge.
    pub x1: f64,
    /// Median glyph size.
    pub size: f64,
}

impl Line {
    fn from_glyphs(mut glyphs: Vec<Glyph>) -> Line {
        glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        dedupe_overprint(&mut glyphs);
        let top = glyphs.iter().map(|g| g.y0).fold(f64::MAX, f64::min);
        let bottom = glyphs.iter().map(|g| g.y1).fold(f64::MIN, f64::max);
        let x0 = glyphs.iter().map(|g| g.x0).fold(f64::MAX, f64::min);
        let x1 = glyphs.iter().map(|g| g.x1).fold(f64::MIN, f64::max);
        let mut sizes: Vec<f64> = glyphs.iter().map(|g| g.size).collect();
        sizes.sort_by(f64::total_cmp);
        let size = sizes.get(sizes.len() / 2).copied().unwrap_or(1.0);
        Line {
            glyphs,
            top,
            bottom,
            x0,
            x1,
            size,
        }
    }

    /// The line's text with spaces at word gaps, NFKC-normalized.
    pub fn text(&self) -> String {
        join_glyphs(&self.glyphs, true)
    }

    /// The line as printed (the glyphs' printed text, spaced as [`Line::text`]).
    pub fn printed(&self) -> String {
        crate::text::fold(&join(&self.glyphs, true, Glyph::printed))
    }
}

fn dedupe_overprint(glyphs: &mut Vec<Glyph>) {
    let mut out: Vec<Glyph> = Vec::with_capacity(glyphs.len());
    for g in glyphs.drain(..) {
        let dup = out.iter().rev().take(3).any(|p| {
            p.text == g.text
                && (p.x0 - g.x0).abs() < OVERPRINT * g.size
                && (p.y1 - g.y1).abs() < OVERPRINT * g.size
        });
        if !dup {
            out.push(g);
        }
    }
    *glyphs = out;
}

/// Groups glyphs into lines by baseline, top to bottom.
pub fn group_lines<'a>(glyphs: impl IntoIterator<Item = &'a Glyph>) -> Vec<Line> {
    let mut sorted: Vec<&Glyph> = glyphs.into_iter().collect();
    sorted.sort_by(|a, b| a.y1.total_cmp(&b.y1).then(a.x0.total_cmp(&b.x0)));
    let mut lines = Vec::new();
    let mut current: Vec<Glyph> = Vec::new();
    let mut base = f64::NAN;
    for g in sorted {
        if !current.is_empty() && (g.y1 - base).abs() > BASELINE_TOLERANCE * g.size.max(1.0) {
            lines.push(Line::from_glyphs(std::mem::take(&mut current)));
        }
        if current.is_empty() {
            base = g.y1;
        }
        current.push(g.clone());
    }
    if !current.is_empty() {
        lines.push(Line::from_glyphs(current));
    }
    lines
}

/// Joins glyphs (sorted by x) into text, with a space at each gap wider than
/// [`WORD_GAP`] × size; between two CJK characters only when `cjk_space`.
pub fn join_glyphs(glyphs: &[Glyph], cjk_space: bool) -> String {
    normalize(&join(glyphs, cjk_space, |g| &g.text))
}

fn join<'a>(glyphs: &'a [Glyph], cjk_space: bool, text: impl Fn(&'a Glyph) -> &'a str) -> String {
    let mut s = String::new();
    let mut prev: Option<&Glyph> = None;
    for g in glyphs {
        if let Some(p) = prev {
            let gap = g.x0 - p.x1;
            let both_cjk = last_is_cjk(&p.text) && g.text.chars().next().is_some_and(is_cjk);
            if gap > WORD_GAP * g.size.max(p.size) && (cjk_space || !both_cjk) {
                s.push(' ');
            }
        }
        s.push_str(text(g));
        prev = Some(g);
    }
    s
}

fn last_is_cjk(s: &str) -> bool {
    s.chars().last().is_some_and(is_cjk)
}

/// The text of a cell: its lines top to bottom, joined without a space
/// unless two Latin words meet.
pub fn cell_text<'a>(glyphs: impl IntoIterator<Item = &'a Glyph>) -> String {
    let mut out = String::new();
    for line in group_lines(glyphs) {
        let t = join_glyphs(&line.glyphs, false);
        if t.is_empty() {
            continue;
        }
        let join_space = out.chars().last().is_some_and(|c| c.is_ascii_alphabetic())
            && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if join_space {
            out.push(' ');
        }
        out.push_str(&t);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A glyph of `text` at `x` with baseline `y` and size 10, advance 10 for
    /// CJK and 5 otherwise.
    pub fn g(text: &str, x: f64, y: f64) -> Glyph {
        let w = if text.chars().any(is_cjk) { 10.0 } else { 5.0 };
        Glyph {
            text: text.into(),
            printed: None,
            x0: x,
            y0: y - 10.0,
            x1: x + w,
            y1: y,
            size: 10.0,
        }
    }

    #[test]
    fn lines_by_baseline_and_spaces() {
        let glyphs = vec![
            g("b", 30.0, 100.5),
            g("公", 0.0, 100.0),
            g("开", 10.0, 100.0),
            g("下", 0.0, 120.0),
        ];
        let lines = group_lines(&glyphs);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "公开 b");
        assert_eq!(lines[1].text(), "下");
    }

    #[test]
    fn cell_text_joins_wrapped_lines() {
        let glyphs = vec![
            g("行", 0.0, 100.0),
            g("政", 10.0, 100.0),
            g("运", 0.0, 112.0),
            g("行", 10.0, 112.0),
        ];
        assert_eq!(cell_text(&glyphs), "行政运行");
        let spaced = vec![g("合", 0.0, 100.0), g("计", 30.0, 100.0)];
        assert_eq!(cell_text(&spaced), "合计");
    }

    #[test]
    fn overprint_dropped() {
        let glyphs = vec![
            g("合", 0.0, 100.0),
            g("合", 0.5, 100.0),
            g("计", 10.0, 100.0),
        ];
        assert_eq!(cell_text(&glyphs), "合计");
    }
}
