//! Limits checked on a parsed PDF before pdf-extract walks it: the object
//! count, and the decoded size of its streams (decompression bombs: a few
//! kilobytes of Flate data can inflate to gigabytes, which pdf-extract would
//! hold in memory at once).
//!
//! It also finds pages whose XObjects draw themselves ([`page_forms_problem`]):
//! pdf-extract follows `Do` recursively without a guard and overflows its
//! stack, which aborts the whole process.
//!
//! Every `/FlateDecode` stream is inflated into a counting sink, never kept,
//! and the pass stops as soon as the running total crosses
//! [`Limits::max_decoded_bytes`]. Other filters (LZW, run-length) expand at
//! most a few hundred times and stay bounded by the file size limit.

use std::io::{Read, Write};

use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::error::{Error, ErrorKind, Result};
use crate::settings::Limits;

/// The decoded size of each stream, as [`check`] measured it.
pub type StreamSizes = std::collections::HashMap<ObjectId, u64>;

/// Checks `doc` against the object and decoded-size limits; returns the
/// decoded size of every stream.
pub fn check(doc: &Document, limits: &Limits) -> Result<StreamSizes> {
    let objects = doc.objects.len() as u64;
    if objects > limits.max_objects {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the PDF has {objects} objects, over the limit of {} (raise --max-objects to read it)",
                limits.max_objects
            ),
        ));
    }
    let mut total: u64 = 0;
    let mut sizes = StreamSizes::new();
    for (id, object) in &doc.objects {
        let Object::Stream(stream) = object else {
            continue;
        };
        // Streams lopdf already inflated (object streams) count as they are.
        let filters = stream.filters().unwrap_or_default();
        let flate = filters
            .first()
            .is_some_and(|f| *f == b"FlateDecode".as_slice());
        let size = if flate {
            let budget = limits.max_decoded_bytes.saturating_sub(total);
            inflated_size(&stream.content, budget)
        } else {
            stream.content.len() as u64
        };
        total = total.saturating_add(size);
        sizes.insert(*id, size);
        if total > limits.max_decoded_bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the PDF's streams decode to more than {} bytes (a decompression bomb?); \
                     raise --max-decoded-bytes to read it",
                    limits.max_decoded_bytes
                ),
            ));
        }
    }
    Ok(sizes)
}

/// The decoded size of a page's content streams (0 for streams [`check`]
/// did not measure).
pub fn page_content_size(doc: &Document, page: ObjectId, sizes: &StreamSizes) -> u64 {
    doc.get_page_contents(page)
        .iter()
        .map(|id| sizes.get(id).copied().unwrap_or(0))
        .fold(0u64, u64::saturating_add)
}

/// Counts the operators of a content stream, stopping past `max`: a linear
/// scan for keywords outside strings, names, comments and inline image
/// data, that allocates nothing. Cheaper by far than parsing, which holds
/// every operation with its operands in memory at once.
pub fn count_operators(content: &[u8], max: u64) -> u64 {
    let mut count = 0u64;
    let mut i = 0usize;
    let n = content.len();
    let delimiter = |b: u8| b"()<>[]{}/%".contains(&b) || b.is_ascii_whitespace() || b == 0;
    while i < n && count <= max {
        let b = content[i];
        match b {
            b'%' => {
                while i < n && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                // A literal string: balanced parentheses, backslash escapes.
                let mut depth = 0usize;
                while i < n {
                    match content[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
            b'<' if content.get(i + 1) != Some(&b'<') => {
                while i < n && content[i] != b'>' {
                    i += 1;
                }
                i += 1;
            }
            b'/' => {
                i += 1;
                while i < n && !delimiter(content[i]) {
                    i += 1;
                }
            }
            _ if b.is_ascii_alphabetic() || b == b'\'' || b == b'"' || b == b'*' => {
                let start = i;
                while i < n && !delimiter(content[i]) {
                    i += 1;
                }
                let word = &content[start..i];
                if !matches!(word, b"true" | b"false" | b"null") {
                    count += 1;
                }
                if word == b"ID" {
                    // Inline image data, up to "EI" between white space.
                    i += 1;
                    while i + 2 < n
                        && !(content[i].is_ascii_whitespace()
                            && &content[i + 1..i + 3] == b"EI"
                            && content.get(i + 3).is_none_or(|c| delimiter(*c)))
                    {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    count
}

/// Inflates zlib `data` into a counter, stopping once more than `budget`
/// bytes came out; returns the count (`budget + 1` or more when over). A
/// corrupt stream counts what inflated before the damage.
pub fn inflated_size(data: &[u8], budget: u64) -> u64 {
    let mut counter = Counter(0);
    let decoder = flate2::read::ZlibDecoder::new(data);
    let _ = std::io::copy(&mut decoder.take(budget.saturating_add(1)), &mut counter);
    counter.0
}

struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len() as u64);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Deepest nesting of XObjects drawn by XObjects that pdf-extract is given.
pub const MAX_FORM_DEPTH: usize = 32;
/// Most XObject visits while looking for cycles on one page.
pub const MAX_FORM_VISITS: usize = 100_000;

/// Why pdf-extract must not walk this page: an XObject that draws itself
/// (directly, through others, or through resources it inherits), nesting
/// deeper than [`MAX_FORM_DEPTH`], or more than [`MAX_FORM_VISITS`] draws.
/// pdf-extract treats every XObject named by `Do` as a form and, for one
/// without `/Resources`, reuses the caller's, which is followed here too.
pub fn page_forms_problem(doc: &Document, page: ObjectId) -> Option<String> {
    let (own, inherited) = doc.get_page_resources(page).ok()?;
    let mut roots = xobjects(doc, own);
    for id in inherited {
        roots.extend(xobjects(doc, doc.get_dictionary(id).ok()));
    }
    let mut visits = 0usize;
    for root in &roots {
        // The path from the page: (xobject, what it may draw, next to visit).
        let mut path: Vec<(ObjectId, Vec<ObjectId>, usize)> =
            vec![(*root, children(doc, *root, &roots), 0)];
        while let Some(top) = path.last_mut() {
            let Some(&next) = top.1.get(top.2) else {
                path.pop();
                continue;
            };
            top.2 += 1;
            let node = top.0;
            // Without resources of its own it draws with its caller's.
            let kids = match stream_resources(doc, next) {
                Some(r) => xobjects(doc, Some(r)),
                None => top.1.clone(),
            };
            visits += 1;
            if visits > MAX_FORM_VISITS {
                return Some(format!(
                    "its XObjects draw each other more than {MAX_FORM_VISITS} times"
                ));
            }
            if path.iter().any(|(id, _, _)| *id == next) {
                return Some(format!(
                    "XObject {} {} R draws itself (through {} {} R)",
                    next.0, next.1, node.0, node.1
                ));
            }
            if path.len() >= MAX_FORM_DEPTH {
                return Some(format!("XObjects nest more than {MAX_FORM_DEPTH} deep"));
            }
            path.push((next, kids, 0));
        }
    }
    None
}

/// The XObjects (by reference) of a resource dictionary.
fn xobjects(doc: &Document, resources: Option<&Dictionary>) -> Vec<ObjectId> {
    let Some(res) = resources else {
        return Vec::new();
    };
    let dict = match res.get(b"XObject") {
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    dict.map(|d| {
        d.iter()
            .filter_map(|(_, v)| v.as_reference().ok())
            .filter(|id| matches!(doc.get_object(*id), Ok(Object::Stream(_))))
            .collect()
    })
    .unwrap_or_default()
}

fn stream_resources(doc: &Document, id: ObjectId) -> Option<&Dictionary> {
    let Ok(Object::Stream(s)) = doc.get_object(id) else {
        return None;
    };
    match s.dict.get(b"Resources") {
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    }
}

/// What XObject `id` may draw: its own resources' XObjects, or `fallback`.
fn children(doc: &Document, id: ObjectId, fallback: &[ObjectId]) -> Vec<ObjectId> {
    match stream_resources(doc, id) {
        Some(r) => xobjects(doc, Some(r)),
        None => fallback.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_counted_outside_strings_and_images() {
        let content = b"q 1 0 0 1 0 0 cm BT /F1 12 Tf (a (nested) Tj \\) string) Tj ET \
            % a comment Tj Tj\n <414243> Tj [(x) 2 (y)] TJ BI /W 1 /H 1 ID \x00Tj Tj\x01 EI Q";
        // q cm BT Tf Tj ET Tj TJ BI ID EI Q
        assert_eq!(count_operators(content, 100), 12);
        assert_eq!(count_operators(b"true false null", 100), 0);
        let flood = b"q Q ".repeat(1000);
        assert_eq!(count_operators(&flood, 10_000), 2000);
        // Stops soon after the limit.
        assert_eq!(count_operators(&flood, 10), 11);
    }

    #[test]
    fn inflation_stops_at_the_budget() {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 10_000_000]).unwrap_or_default();
        let bomb = enc.finish().unwrap_or_default();
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        assert_eq!(inflated_size(&bomb, u64::MAX - 1), 10_000_000);
        assert_eq!(inflated_size(&bomb, 1000), 1001);
        assert_eq!(inflated_size(b"not zlib", 1000), 0);
    }
}
