//! Font checks that pdf-extract gets wrong.
//!
//! pdf-extract 0.12.1 misreads the `c_first c_last w` form of a CID font's
//! `/W` array (it reads the first CID as the last CID and as the width, so
//! the range is empty): those glyphs fall back to the default width (usually
//! 1000, a full em), and every glyph after one of them on the same line is
//! drawn too far right. Half-width digits in SimSun are the common victim:
//! amounts drift across cell borders.
//!
//! [`repair_widths`] rewrites those entries into the `c [w w …]` form that
//! pdf-extract reads correctly, in the parsed document, before extraction.
//! A page whose font could not be repaired ([`has_misread_widths`]) is read
//! with pdftotext instead when it is installed.

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::space::number;

/// Ranges longer than this (CIDs) are left alone by [`repair_widths`].
pub const MAX_REPAIRED_RANGE: i64 = 65_536;

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

/// Rewrites every `c_first c_last w` entry of the CID fonts' `/W` arrays into
/// `c_first [w … w]`; returns the number of fonts changed.
pub fn repair_widths(doc: &mut Document) -> usize {
    let mut fixes: Vec<(ObjectId, Vec<Object>)> = Vec::new();
    for (&id, object) in &doc.objects {
        let Ok(font) = object.as_dict() else { continue };
        let is_cid = matches!(
            font.get(b"Subtype").and_then(|s| s.as_name()).ok(),
            Some(b"CIDFontType0" | b"CIDFontType2")
        );
        if !is_cid {
            continue;
        }
        let Some(w) = font.get(b"W").ok().and_then(|w| resolve(doc, w)) else {
            continue;
        };
        let Ok(w) = w.as_array() else { continue };
        if let Some(expanded) = expand(doc, w) {
            fixes.push((id, expanded));
        }
    }
    let count = fixes.len();
    for (id, expanded) in fixes {
        if let Ok(Object::Dictionary(font)) = doc.get_object_mut(id) {
            font.set("W", Object::Array(expanded));
        }
    }
    count
}

/// The `/W` array with every range entry expanded, or `None` when it has
/// none (or one too long to expand).
fn expand(doc: &Document, w: &[Object]) -> Option<Vec<Object>> {
    let mut out = Vec::with_capacity(w.len());
    let mut changed = false;
    let mut i = 0;
    while i + 1 < w.len() {
        let first = resolve(doc, &w[i])?;
        match resolve(doc, &w[i + 1])? {
            Object::Array(widths) => {
                out.push(first.clone());
                out.push(Object::Array(widths.clone()));
                i += 2;
            }
            last => {
                let (first, last) = (number(first)? as i64, number(last)? as i64);
                let width = resolve(doc, w.get(i + 2)?)?.clone();
                number(&width)?;
                if last < first || last - first >= MAX_REPAIRED_RANGE {
                    return None;
                }
                out.push(Object::Integer(first));
                out.push(Object::Array(vec![width; (last - first + 1) as usize]));
                changed = true;
                i += 3;
            }
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    #[test]
    fn range_entries_are_expanded() {
        let mut doc = Document::with_version("1.5");
        let w = vec![
            Object::Integer(3),
            Object::Array(vec![Object::Integer(500)]),
            Object::Integer(19),
            Object::Integer(21),
            Object::Integer(500),
        ];
        let id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "W" => w,
            "DW" => 1000,
        });
        assert_eq!(repair_widths(&mut doc), 1);
        let font = doc.get_dictionary(id).unwrap();
        let w = font.get(b"W").unwrap().as_array().unwrap();
        assert_eq!(w.len(), 4);
        assert_eq!(w[2].as_i64().unwrap(), 19);
        assert_eq!(w[3].as_array().unwrap().len(), 3);
        // Nothing left to repair.
        assert_eq!(repair_widths(&mut doc), 0);
    }
}
