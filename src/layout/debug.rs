//! Visual debugging of the layout rungs of one page, as pdfplumber's
//! `debug_tablefinder` does: an SVG of the page with every rung drawn over
//! it, so that a wrong table can be traced to the rung that failed.
//!
//! - grey: the ruling lines as drawn ([`Page::rules`]);
//! - blue: each ruled table's cell boundaries ([`grid::find_tables`]), its
//!   outline thick;
//! - light red boxes: every glyph, its text at its baseline;
//! - green: the text lines outside ruled tables ([`words::group_lines`]),
//!   dashed where [`align::align`] took the line into an aligned grid;
//! - a legend in the top margin: the page's blocks (`n` grids, `n` lines) and
//!   any notes the caller adds (e.g. the tables recognized on the page).

use std::fmt::Write as _;

use super::{align, grid, words};
use crate::model::{Glyph, Page};
use crate::text::escape_markup as escape;

/// A box drawn over a page in orange, thick (what a report marks: the cell
/// a flag points at), with an id and a title.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Left, top, right, bottom, in points from the top left.
    pub bbox: (f64, f64, f64, f64),
    /// The SVG element's id (for links and tests).
    pub id: String,
    /// Shown on hover.
    pub title: String,
}

/// The page as an SVG document (units: PDF points, y downwards), with
/// `notes` written into the legend.
pub fn page_svg(page: &Page, notes: &[String]) -> String {
    page_svg_marked(page, notes, &[])
}

/// Where `text` (whitespace ignored) is printed on the page: the box of each
/// run of consecutive glyphs that spells it, in content-stream order.
pub fn find_text(page: &Page, text: &str) -> Vec<(f64, f64, f64, f64)> {
    let want: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if want.is_empty() {
        return Vec::new();
    }
    // The page's characters, each with the glyph it came from.
    let chars: Vec<(char, usize)> = page
        .glyphs
        .iter()
        .enumerate()
        .flat_map(|(i, g)| {
            g.text
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(move |c| (c, i))
        })
        .collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at + want.len() <= chars.len() {
        if chars[at..at + want.len()]
            .iter()
            .map(|(c, _)| *c)
            .eq(want.iter().copied())
        {
            let glyphs = &page.glyphs;
            let (first, last) = (chars[at].1, chars[at + want.len() - 1].1);
            let run = &glyphs[first..=last];
            let same_line = run
                .iter()
                .all(|g| (g.y1 - glyphs[first].y1).abs() <= glyphs[first].size.max(1.0) * 0.5);
            if same_line {
                found.push(run.iter().fold(
                    (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
                    |(a, b, c, d), g| (a.min(g.x0), b.min(g.y0), c.max(g.x1), d.max(g.y1)),
                ));
            }
            at += want.len();
        } else {
            at += 1;
        }
    }
    found
}

/// [`page_svg`] with `marks` boxed over it.
pub fn page_svg_marked(page: &Page, notes: &[String], marks: &[Mark]) -> String {
    let margin = 12.0 * (notes.len() as f64 + 2.0);
    let (w, h) = (page.width.max(1.0), page.height.max(1.0));
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{:.0}" viewBox="0 {} {w:.2} {:.2}" font-family="sans-serif">"#,
        h + margin,
        -margin,
        h + margin
    );
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{w:.2}" height="{h:.2}" fill="#fff" stroke="#999" stroke-width="0.5"/>"##
    );
    svg.push_str(r##"<g stroke="#888" stroke-width="0.6">"##);
    for r in &page.rules {
        let _ = write!(
            svg,
            r#"<line x1="{:.2}" y1="{:.2}" x2="{:.2}" y2="{:.2}"/>"#,
            r.x0, r.y0, r.x1, r.y1
        );
    }
    svg.push_str("</g>\n");
    let tables = grid::find_tables(&page.rules);
    svg.push_str(r##"<g stroke="#1f5fd6" fill="none">"##);
    for t in &tables {
        let (x0, y0, x1, y1) = t.bbox();
        for x in &t.xs {
            let _ = write!(
                svg,
                r#"<line x1="{x:.2}" y1="{y0:.2}" x2="{x:.2}" y2="{y1:.2}" stroke-width="0.4"/>"#
            );
        }
        for y in &t.ys {
            let _ = write!(
                svg,
                r#"<line x1="{x0:.2}" y1="{y:.2}" x2="{x1:.2}" y2="{y:.2}" stroke-width="0.4"/>"#
            );
        }
        let _ = write!(
            svg,
            r#"<rect x="{x0:.2}" y="{y0:.2}" width="{:.2}" height="{:.2}" stroke-width="1.5"/>"#,
            x1 - x0,
            y1 - y0
        );
    }
    svg.push_str("</g>\n");
    svg.push_str(r##"<g stroke="#e06666" stroke-width="0.2" fill="none">"##);
    for g in &page.glyphs {
        let _ = write!(
            svg,
            r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}"/>"#,
            g.x0,
            g.y0,
            (g.x1 - g.x0).max(0.1),
            (g.y1 - g.y0).max(0.1)
        );
    }
    svg.push_str("</g>\n<g fill=\"#333\">");
    for g in &page.glyphs {
        let _ = write!(
            svg,
            r#"<text x="{:.2}" y="{:.2}" font-size="{:.2}">{}</text>"#,
            g.x0,
            g.y1,
            (g.size * 0.8).max(1.0),
            escape(&g.text)
        );
    }
    svg.push_str("</g>\n");
    let outside: Vec<&Glyph> = page
        .glyphs
        .iter()
        .filter(|g| {
            let (cx, cy) = grid::glyph_centre(g);
            !tables.iter().any(|t| t.contains(cx, cy))
        })
        .collect();
    let lines = words::group_lines(outside);
    let boxes: Vec<(f64, f64, f64, f64)> = lines
        .iter()
        .map(|l| (l.x0, l.top, l.x1, l.bottom))
        .collect();
    let pieces = align::align(lines, page.number);
    let (mut text_lines, mut aligned) = (0usize, 0usize);
    for p in &pieces {
        match p {
            align::Piece::Line(_) => text_lines += 1,
            align::Piece::Grid(..) => aligned += 1,
        }
    }
    let kept: Vec<(f64, f64)> = pieces
        .iter()
        .filter_map(|p| match p {
            align::Piece::Line(l) => Some((l.top, l.bottom)),
            align::Piece::Grid(..) => None,
        })
        .collect();
    svg.push_str(r##"<g stroke="#2e8b57" stroke-width="0.5" fill="none">"##);
    for (x0, top, x1, bottom) in boxes {
        let in_grid = !kept
            .iter()
            .any(|(t, b)| (t - top).abs() < 0.01 && (b - bottom).abs() < 0.01);
        let dash = if in_grid {
            r#" stroke-dasharray="2,1""#
        } else {
            ""
        };
        let _ = write!(
            svg,
            r#"<rect x="{x0:.2}" y="{top:.2}" width="{:.2}" height="{:.2}"{dash}/>"#,
            (x1 - x0).max(0.1),
            (bottom - top).max(0.1)
        );
    }
    svg.push_str("</g>\n");
    let mut legend = vec![format!(
        "page {}: {} glyphs, {} rules, {} ruled tables, {} aligned grids, {} text lines",
        page.number,
        page.glyphs.len(),
        page.rules.len(),
        tables.len(),
        aligned,
        text_lines
    )];
    legend.extend(notes.iter().cloned());
    for m in marks {
        let (x0, y0, x1, y1) = m.bbox;
        let _ = writeln!(
            svg,
            r##"<rect class="mark" id="{}" x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="#ff8c00" fill-opacity="0.25" stroke="#ff8c00" stroke-width="2"><title>{}</title></rect>"##,
            escape(&m.id),
            x0 - 2.0,
            y0 - 2.0,
            (x1 - x0).max(0.1) + 4.0,
            (y1 - y0).max(0.1) + 4.0,
            escape(&m.title)
        );
    }
    for (i, line) in legend.iter().enumerate() {
        let _ = writeln!(
            svg,
            r##"<text x="2" y="{:.2}" font-size="9" fill="#000">{}</text>"##,
            -margin + 10.0 + 12.0 * i as f64,
            escape(line)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Rule;

    #[test]
    fn a_page_is_drawn_with_every_rung() {
        let rule = |x0, y0, x1, y1| Rule { x0, y0, x1, y1 };
        let page = Page {
            number: 3,
            width: 200.0,
            height: 100.0,
            glyphs: vec![
                words::tests::g("合", 12.0, 20.0),
                words::tests::g("<", 60.0, 20.0),
            ],
            rules: vec![
                rule(10.0, 10.0, 110.0, 10.0),
                rule(10.0, 30.0, 110.0, 30.0),
                rule(10.0, 10.0, 10.0, 30.0),
                rule(50.0, 10.0, 50.0, 30.0),
                rule(110.0, 10.0, 110.0, 30.0),
            ],
        };
        let svg = page_svg(&page, &["公开01表 income_expenditure_summary".to_string()]);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains("page 3: 2 glyphs, 5 rules, 1 ruled tables"),
            "{svg}"
        );
        assert!(svg.contains("公开01表 income_expenditure_summary"));
        assert!(svg.contains("&lt;"), "glyph text is escaped");
        assert!(!svg.contains(">< <"));
        assert_eq!(
            svg.matches("<line").count(),
            5 + 3 + 2,
            "rules + column and row boundaries"
        );
    }
}
