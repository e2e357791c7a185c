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

/// Checks `doc` against the object and decoded-size limits.
pub fn check(doc: &Document, limits: &Limits) -> Result<()> {
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
    for object in doc.objects.values() {
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
    Ok(())
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
