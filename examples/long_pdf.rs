//! Benchmark helper: writes a PDF of exactly N pages made by repeating the
//! pages of an existing one. The copies are new page objects that share the
//! original content streams and resources (fonts included), as the pages of
//! one long disclosure do. Used by `scripts/bench_pages.sh`.
//!
//!     cargo run --release --example long_pdf -- IN.pdf N OUT.pdf

use lopdf::{Document, Object};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, count, output] = args.as_slice() else {
        eprintln!("usage: long_pdf IN.pdf N OUT.pdf");
        std::process::exit(2);
    };
    if let Err(e) = run(input, count, output) {
        eprintln!("long_pdf: {e}");
        std::process::exit(1);
    }
}

fn run(input: &str, count: &str, output: &str) -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = count.parse()?;
    let mut doc = Document::load(input)?;
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    if pages.is_empty() || count == 0 {
        return Err("no pages to repeat".into());
    }
    let root = doc.catalog()?.get(b"Pages")?.as_reference()?;
    let mut kids = Vec::with_capacity(count);
    for i in 0..count {
        let mut page = doc.get_dictionary(pages[i % pages.len()])?.clone();
        // Inheritable attributes live on the page itself in the copy.
        for key in [&b"Resources"[..], b"MediaBox", b"CropBox", b"Rotate"] {
            if !page.has(key) {
                if let Ok(value) = inherited(&doc, pages[i % pages.len()], key) {
                    page.set(key, value);
                }
            }
        }
        page.set("Parent", Object::Reference(root));
        kids.push(Object::Reference(doc.add_object(page)));
    }
    let tree = doc.get_object_mut(root)?.as_dict_mut()?;
    tree.set("Kids", Object::Array(kids));
    tree.set("Count", Object::Integer(count as i64));
    doc.prune_objects();
    doc.save(output)?;
    Ok(())
}

/// An attribute of a page or of its nearest ancestor in the page tree.
fn inherited(doc: &Document, page: lopdf::ObjectId, key: &[u8]) -> lopdf::Result<Object> {
    let mut dict = doc.get_dictionary(page)?;
    for _ in 0..64 {
        if let Ok(value) = dict.get(key) {
            return Ok(value.clone());
        }
        dict = doc.get_dictionary(dict.get(b"Parent")?.as_reference()?)?;
    }
    Err(lopdf::Error::DictKey(
        String::from_utf8_lossy(key).into_owned(),
    ))
}
