//! Font checks that pdf-extract gets wrong.
//!
//! pdf-extract 0.12.1 misreads the `c_first c_last w` form of a CID font's
//! `/W` array (it reads the first CID as the last CID and as the width, so
//! the range is empty): those glyphs fall back to the default width (usually
//! 1000, a full em), and every glyph after one of them on the same line is
//! drawn too far right. Half-width digits in SimSun are the common victim:
//! amounts drift across cell borders. A page using such a font is read with
//! pdftotext instead when it is installed.

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::space::number;

/// Default glyph width of CID fonts when `/DW` is absent (PDF 32000 9.7.4.3).
const DEFAULT_CID_WIDTH: f64 = 1000.0;

fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    resolve(doc, o)?.as_dict().ok()
}

/// True when a font of the page has a `/W` range entry whose width differs
/// from the default width (so pdf-extract positions its text wrongly).
pub fn has_misread_widths(doc: &Document, page: ObjectId) -> bool {
    let Ok((inline, ids)) = doc.get_page_resources(page) else {
        return false;
    };
    let mut resources: Vec<&Dictionary> = inline.into_iter().collect();
    resources.extend(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
    resources.iter().any(|r| {
        let Some(fonts) = r.get(b"Font").ok().and_then(|f| dict(doc, f)) else {
            return false;
        };
        fonts
            .iter()
            .any(|(_, f)| dict(doc, f).is_some_and(|f| type0_misread(doc, f)))
    })
}

fn type0_misread(doc: &Document, font: &Dictionary) -> bool {
    if font.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Type0".as_slice()) {
        return false;
    }
    let Some(descendants) = font
        .get(b"DescendantFonts")
        .ok()
        .and_then(|d| resolve(doc, d))
    else {
        return false;
    };
    let Ok(descendants) = descendants.as_array() else {
        return false;
    };
    let Some(cid) = descendants.first().and_then(|d| dict(doc, d)) else {
        return false;
    };
    let default = cid
        .get(b"DW")
        .ok()
        .and_then(|d| resolve(doc, d))
        .and_then(number)
        .unwrap_or(DEFAULT_CID_WIDTH);
    let Some(w) = cid.get(b"W").ok().and_then(|w| resolve(doc, w)) else {
        return false;
    };
    let Ok(w) = w.as_array() else { return false };
    let mut i = 0;
    while i + 1 < w.len() {
        if matches!(resolve(doc, &w[i + 1]), Some(Object::Array(_))) {
            i += 2;
        } else {
            if w.get(i + 2)
                .and_then(|o| resolve(doc, o))
                .and_then(number)
                .is_some_and(|width| width != default)
            {
                return true;
            }
            i += 3;
        }
    }
    false
}
