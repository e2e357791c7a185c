//! Ruling lines straight from a page's content stream (and the form
//! XObjects it draws), read with lopdf.
//!
//! pdf-extract's `OutputDev::stroke`/`fill` only report paths painted with
//! `S`, `f` and `F`; Microsoft Word draws cell borders as `re f*` (even-odd
//! fill), others use `B`, `b` or `s`, and those paths never reach an
//! `OutputDev`. So the rules are collected here: every path painted by any
//! painting operator, transformed by the current matrix; stroked straight
//! segments and thin filled rectangles ([`MAX_RULE_THICKNESS`]) become
//! [`Rule`]s, curves and large fills (backgrounds) are ignored.

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::space::{number as num, PageSpace};
use crate::model::Rule;

/// Filled rectangles thinner than this (points) are ruling lines; thicker
/// ones are backgrounds and ignored.
pub const MAX_RULE_THICKNESS: f64 = 2.0;
/// Shorter segments (points) are not ruling lines (dots, ticks, glyph parts).
pub const MIN_RULE_LENGTH: f64 = 2.0;
/// Segments deviating more than this (points) from horizontal or vertical
/// are ignored (diagonals in header cells).
pub const AXIS_TOLERANCE: f64 = 0.5;
/// Nesting depth of form XObjects followed.
const MAX_FORM_DEPTH: usize = 4;
/// Operators processed per page at most (a guard against pathological streams).
const MAX_OPERATIONS: usize = 2_000_000;

/// An affine matrix `[a b c d e f]` as in PDF.
type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` applied first, then `n`.
fn concat(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// Every ruling segment of one page, in page coordinates (top-left origin).
pub fn page_rules(doc: &Document, page: ObjectId, space: PageSpace) -> Vec<Rule> {
    let mut out = Vec::new();
    let Ok(content) = doc.get_page_content(page) else {
        return out;
    };
    let mut resources: Vec<&Dictionary> = Vec::new();
    if let Ok((dict, ids)) = doc.get_page_resources(page) {
        resources.extend(dict);
        resources.extend(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
    }
    let mut walker = Walker {
        doc,
        space,
        rules: &mut out,
        budget: MAX_OPERATIONS,
    };
    walker.run(&content, &resources, IDENTITY, 0);
    out
}

struct Walker<'a, 'o> {
    doc: &'a Document,
    space: PageSpace,
    rules: &'o mut Vec<Rule>,
    budget: usize,
}

/// One subpath in user space (already transformed by the CTM).
#[derive(Default)]
struct SubPath {
    points: Vec<(f64, f64)>,
    curved: bool,
}

impl<'a> Walker<'a, '_> {
    fn run(&mut self, content: &[u8], resources: &[&'a Dictionary], base: Matrix, depth: usize) {
        let Ok(content) = Content::decode(content) else {
            return;
        };
        let mut ctm = base;
        let mut stack: Vec<(Matrix, bool)> = Vec::new();
        let mut white_fill = false;
        let mut path: Vec<SubPath> = Vec::new();
        for op in &content.operations {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            let n: Vec<f64> = op.operands.iter().filter_map(num).collect();
            match op.operator.as_str() {
                "q" => stack.push((ctm, white_fill)),
                "Q" => {
                    if let Some((m, w)) = stack.pop() {
                        ctm = m;
                        white_fill = w;
                    }
                }
                "cm" if n.len() == 6 => ctm = concat(&[n[0], n[1], n[2], n[3], n[4], n[5]], &ctm),
                "g" if n.len() == 1 => white_fill = n[0] >= 0.95,
                "rg" if n.len() == 3 => white_fill = n.iter().all(|c| *c >= 0.95),
                "k" if n.len() == 4 => white_fill = n.iter().all(|c| *c <= 0.05),
                "sc" | "scn" | "cs" => white_fill = false,
                "m" if n.len() == 2 => path.push(SubPath {
                    points: vec![apply(&ctm, n[0], n[1])],
                    curved: false,
                }),
                "l" if n.len() == 2 => {
                    let p = apply(&ctm, n[0], n[1]);
                    match path.last_mut() {
                        Some(s) => s.points.push(p),
                        None => path.push(SubPath {
                            points: vec![p],
                            curved: false,
                        }),
                    }
                }
                "c" | "v" | "y" => {
                    if let Some(s) = path.last_mut() {
                        s.curved = true;
                        if n.len() >= 2 {
                            s.points.push(apply(&ctm, n[n.len() - 2], n[n.len() - 1]));
                        }
                    }
                }
                "re" if n.len() == 4 => {
                    let (x, y, w, h) = (n[0], n[1], n[2], n[3]);
                    path.push(SubPath {
                        points: vec![
                            apply(&ctm, x, y),
                            apply(&ctm, x + w, y),
                            apply(&ctm, x + w, y + h),
                            apply(&ctm, x, y + h),
                            apply(&ctm, x, y),
                        ],
                        curved: false,
                    });
                    path.push(SubPath::default());
                }
                "h" => {
                    if let Some(s) = path.last_mut() {
                        if let Some(&first) = s.points.first() {
                            s.points.push(first);
                        }
                    }
                }
                "S" | "s" => {
                    self.stroke(&path);
                    path.clear();
                }
                "f" | "F" | "f*" => {
                    if !white_fill {
                        self.fill(&path);
                    }
                    path.clear();
                }
                "B" | "B*" | "b" | "b*" => {
                    if !white_fill {
                        self.fill(&path);
                    }
                    self.stroke(&path);
                    path.clear();
                }
                "n" => path.clear(),
                "Do" if depth < MAX_FORM_DEPTH => {
                    if let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) {
                        self.form(name, resources, ctm, depth);
                    }
                }
                _ => {}
            }
        }
    }

    /// Follows a form XObject drawn with `Do`.
    fn form(&mut self, name: &[u8], resources: &[&'a Dictionary], ctm: Matrix, depth: usize) {
        let Some(stream) = resources.iter().find_map(|r| self.xobject(r, name)) else {
            return;
        };
        if stream.dict.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Form".as_slice()) {
            return;
        }
        let matrix: Matrix = match stream.dict.get(b"Matrix").and_then(|m| m.as_array()) {
            Ok(a) if a.len() == 6 => {
                let v: Vec<f64> = a.iter().filter_map(num).collect();
                if v.len() == 6 {
                    [v[0], v[1], v[2], v[3], v[4], v[5]]
                } else {
                    IDENTITY
                }
            }
            _ => IDENTITY,
        };
        let content = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let mut inner: Vec<&'a Dictionary> = Vec::new();
        match stream.dict.get(b"Resources") {
            Ok(Object::Dictionary(d)) => inner.push(d),
            Ok(Object::Reference(id)) => inner.extend(self.doc.get_dictionary(*id).ok()),
            _ => {}
        }
        inner.extend_from_slice(resources);
        self.run(&content, &inner, concat(&matrix, &ctm), depth + 1);
    }

    fn xobject(&self, resources: &'a Dictionary, name: &[u8]) -> Option<&'a Stream> {
        let xobjects = match resources.get(b"XObject").ok()? {
            Object::Dictionary(d) => d,
            Object::Reference(id) => self.doc.get_dictionary(*id).ok()?,
            _ => return None,
        };
        match xobjects.get(name).ok()? {
            Object::Reference(id) => self.doc.get_object(*id).ok()?.as_stream().ok(),
            Object::Stream(s) => Some(s),
            _ => None,
        }
    }

    fn stroke(&mut self, path: &[SubPath]) {
        for s in path.iter().filter(|s| !s.curved) {
            for w in s.points.windows(2) {
                self.segment(w[0], w[1]);
            }
        }
    }

    fn fill(&mut self, path: &[SubPath]) {
        for s in path.iter().filter(|s| !s.curved && s.points.len() >= 3) {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for &(x, y) in &s.points {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
            let (w, h) = (x1 - x0, y1 - y0);
            if h <= MAX_RULE_THICKNESS && w >= MIN_RULE_LENGTH {
                let ym = (y0 + y1) / 2.0;
                self.segment((x0, ym), (x1, ym));
            } else if w <= MAX_RULE_THICKNESS && h >= MIN_RULE_LENGTH {
                let xm = (x0 + x1) / 2.0;
                self.segment((xm, y0), (xm, y1));
            }
        }
    }

    /// Records an axis-aligned segment given in user space.
    fn segment(&mut self, a: (f64, f64), b: (f64, f64)) {
        let (x0, y0) = self.space.map(a.0, a.1);
        let (x1, y1) = self.space.map(b.0, b.1);
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return;
        }
        let (dx, dy) = ((x1 - x0).abs(), (y1 - y0).abs());
        let rule = if dy <= AXIS_TOLERANCE && dx >= MIN_RULE_LENGTH {
            let y = (y0 + y1) / 2.0;
            Rule {
                x0: x0.min(x1),
                y0: y,
                x1: x0.max(x1),
                y1: y,
            }
        } else if dx <= AXIS_TOLERANCE && dy >= MIN_RULE_LENGTH {
            let x = (x0 + x1) / 2.0;
            Rule {
                x0: x,
                y0: y0.min(y1),
                x1: x,
                y1: y0.max(y1),
            }
        } else {
            return;
        };
        self.rules.push(rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_like_pdf() {
        // translate then scale: cm operands apply to the current matrix.
        let ctm = concat(
            &[2.0, 0.0, 0.0, 2.0, 0.0, 0.0],
            &[1.0, 0.0, 0.0, 1.0, 10.0, 20.0],
        );
        assert_eq!(apply(&ctm, 1.0, 1.0), (12.0, 22.0));
    }

    #[test]
    fn even_odd_filled_thin_rects_are_rules() {
        let mut rules = Vec::new();
        let doc = Document::with_version("1.5");
        let mut w = Walker {
            doc: &doc,
            space: PageSpace::new(0.0, 0.0, 100.0, 100.0),
            rules: &mut rules,
            budget: 1000,
        };
        let content = b"q 0 g 10 50 80 0.5 re f* 10 10 0.5 80 re f 0 0 100 100 re f 1 g 5 5 90 1 re f Q 0 0 m 0 30 l S";
        w.run(content, &[], IDENTITY, 0);
        assert_eq!(rules.len(), 3, "{rules:?}");
        assert!(rules[0].is_horizontal() && (rules[0].y0 - 49.75).abs() < 1e-9);
        assert!(!rules[1].is_horizontal() && (rules[1].x0 - 10.25).abs() < 1e-9);
        assert_eq!((rules[2].x0, rules[2].y0, rules[2].y1), (0.0, 70.0, 100.0));
    }
}
