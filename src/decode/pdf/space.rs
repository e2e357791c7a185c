//! Page space: PDF user space (origin bottom-left, y up) to the page as
//! displayed (origin top-left, y down), honouring the media box and the
//! page's `/Rotate` (landscape tables are often portrait pages rotated 90°).

use lopdf::{Document, Object, ObjectId};

/// Depth of the page tree searched for inherited attributes.
const MAX_TREE_DEPTH: usize = 32;

/// The media box and rotation of one page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSpace {
    /// Media box left.
    pub llx: f64,
    /// Media box bottom.
    pub lly: f64,
    /// Media box right.
    pub urx: f64,
    /// Media box top.
    pub ury: f64,
    /// Clockwise display rotation: 0, 90, 180 or 270.
    pub rotate: u32,
}

impl PageSpace {
    /// An unrotated page with this media box.
    pub fn new(llx: f64, lly: f64, urx: f64, ury: f64) -> Self {
        PageSpace {
            llx: llx.min(urx),
            lly: lly.min(ury),
            urx: llx.max(urx),
            ury: lly.max(ury),
            rotate: 0,
        }
    }

    /// Reads `/MediaBox` and `/Rotate` of a page (inherited from the page
    /// tree when absent on the page itself).
    pub fn read(doc: &Document, page: ObjectId) -> Option<PageSpace> {
        let media = inherited(doc, page, b"MediaBox")?;
        let v: Vec<f64> = media.as_array().ok()?.iter().filter_map(number).collect();
        if v.len() != 4 {
            return None;
        }
        let mut space = PageSpace::new(v[0], v[1], v[2], v[3]);
        if let Some(r) = inherited(doc, page, b"Rotate").as_ref().and_then(number) {
            space.rotate = ((r as i64).rem_euclid(360) as u32 / 90) * 90;
        }
        Some(space)
    }

    /// Width and height of the page as displayed.
    pub fn size(&self) -> (f64, f64) {
        let (w, h) = (self.urx - self.llx, self.ury - self.lly);
        if self.rotate % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// Maps a point of user space to displayed page space.
    pub fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let (w, h) = (self.urx - self.llx, self.ury - self.lly);
        let (px, py) = (x - self.llx, self.ury - y);
        match self.rotate {
            90 => (h - py, px),
            180 => (w - px, h - py),
            270 => (py, w - px),
            _ => (px, py),
        }
    }
}

/// A number object as f64.
pub fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn inherited(doc: &Document, page: ObjectId, key: &[u8]) -> Option<Object> {
    let mut dict = doc.get_dictionary(page).ok()?;
    for _ in 0..MAX_TREE_DEPTH {
        if let Ok(v) = dict.get(key) {
            return match v {
                Object::Reference(id) => doc.get_object(*id).ok().cloned(),
                other => Some(other.clone()),
            };
        }
        dict = doc
            .get_dictionary(dict.get(b"Parent").ok()?.as_reference().ok()?)
            .ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations() {
        let mut s = PageSpace::new(0.0, 0.0, 100.0, 200.0);
        // user-space top-left corner is displayed top-left
        assert_eq!(s.map(0.0, 200.0), (0.0, 0.0));
        s.rotate = 90;
        assert_eq!(s.size(), (200.0, 100.0));
        // rotated clockwise: the top-left corner goes to the top-right
        assert_eq!(s.map(0.0, 200.0), (200.0, 0.0));
        // and the bottom-left to the top-left
        assert_eq!(s.map(0.0, 0.0), (0.0, 0.0));
        s.rotate = 270;
        assert_eq!(s.map(0.0, 200.0), (0.0, 100.0));
    }
}
