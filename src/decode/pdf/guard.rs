//! Limits checked on a parsed PDF before pdf-extract walks it: the object
//! count, and the decoded size of its streams (decompression bombs: a few
//! kilobytes of Flate data can inflate to gigabytes, which pdf-extract would
//! hold in memory at once).
//!
//! Every `/FlateDecode` stream is inflated into a counting sink, never kept,
//! and the pass stops as soon as the running total crosses
//! [`Limits::max_decoded_bytes`]. Other filters (LZW, run-length) expand at
//! most a few hundred times and stay bounded by the file size limit.

use std::io::{Read, Write};

use lopdf::{Document, Object};

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
