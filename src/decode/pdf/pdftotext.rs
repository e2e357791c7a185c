//! The fallback engine: poppler's `pdftotext -bbox-layout`, run as a
//! subprocess with a timeout. Its words become glyphs (each word split evenly
//! into one glyph per character); it reports no ruling lines, so tables come
//! out of the alignment grid in [`layout`](crate::layout).
//!
//! The executable is [`DecodeOptions::pdftotext`](crate::settings::DecodeOptions):
//! `pdftotext` on the `PATH` by default, another path, or none (the fallback
//! disabled).

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::decode::child;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Glyph, Page};
use crate::settings::Limits;

/// The engine name recorded in [`Decoded::engine`](crate::model::Decoded::engine).
pub const ENGINE: &str = "pdftotext";
/// Width of a non-CJK character relative to a CJK one when a word box is
/// split into glyphs.
pub const HALF_WIDTH: f64 = 0.5;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Reads `bytes` with the pdftotext executable `exe` (`None`: the fallback
/// is disabled): warnings and pages of glyphs (no rules).
pub fn decode(
    bytes: &[u8],
    limits: &Limits,
    exe: Option<&std::path::Path>,
) -> Result<(Vec<String>, Vec<Page>)> {
    let Some(exe) = exe else {
        return Err(Error::new(
            ErrorKind::DecoderFailed,
            "the pdftotext fallback is disabled",
        ));
    };
    let path = std::env::temp_dir().join(format!(
        "gongkai-{}-{}.pdf",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(bytes));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return Err(Error::new(
            ErrorKind::Io,
            format!("cannot write a temporary file for pdftotext: {e}"),
        ));
    }
    let result = run(exe, &path, limits);
    let _ = std::fs::remove_file(&path);
    let xhtml = result?;
    let pages = parse_bbox_layout(&xhtml);
    Ok((Vec::new(), pages))
}

/// Runs the executable on `path`, returning its standard output.
fn run(exe: &std::path::Path, path: &std::path::Path, limits: &Limits) -> Result<String> {
    let child = Command::new(exe)
        .arg("-bbox-layout")
        .arg("-enc")
        .arg("UTF-8")
        .arg("-l")
        .arg(limits.max_pages.to_string())
        .arg(path)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            Error::new(
                ErrorKind::DecoderFailed,
                format!(
                    "cannot run {}: {e} (is poppler-utils installed?)",
                    exe.display()
                ),
            )
        })?;
    let run = child::Run {
        input: None,
        hold_stdin: false,
        start: Instant::now(),
        timeout: limits.timeout,
        // Its XHTML is a few hundred bytes per word: bounded like a decode.
        max_output: limits.max_decoded_bytes,
        group: false,
    };
    let (status, out) = match child::finish(child, run) {
        Ok(done) => (done.status, done.stdout),
        Err(child::Stopped::Overflow) => {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "pdftotext printed more than {} bytes (raise --max-decoded-bytes to read it)",
                    limits.max_decoded_bytes
                ),
            ))
        }
        Err(child::Stopped::Timeout) => {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "pdftotext took longer than {} s",
                    limits.timeout.as_secs_f64()
                ),
            ))
        }
        Err(child::Stopped::Wait(e)) => {
            return Err(Error::new(
                ErrorKind::DecoderFailed,
                format!("waiting for pdftotext failed: {e}"),
            ))
        }
    };
    if !status.success() {
        return Err(Error::new(
            ErrorKind::DecoderFailed,
            format!("pdftotext failed ({status})"),
        ));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Parses the XHTML of `pdftotext -bbox-layout` into pages of glyphs.
pub fn parse_bbox_layout(xhtml: &str) -> Vec<Page> {
    let mut pages: Vec<Page> = Vec::new();
    let mut rest = xhtml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with("page ") {
            pages.push(Page {
                number: pages.len() as u32 + 1,
                width: attr(tag, "width").unwrap_or(0.0),
                height: attr(tag, "height").unwrap_or(0.0),
                ..Page::default()
            });
        } else if tag.starts_with("word ") {
            let close = rest.find("</word>").unwrap_or(rest.len());
            let text = unescape(&rest[..close]);
            rest = &rest[close..];
            let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
                attr(tag, "xMin"),
                attr(tag, "yMin"),
                attr(tag, "xMax"),
                attr(tag, "yMax"),
            ) else {
                continue;
            };
            if let Some(page) = pages.last_mut() {
                push_word(page, &text, x0, y0, x1, y1);
            }
        }
    }
    pages
}

/// Splits a word box into one glyph per character, CJK characters counting
/// as full width and the others as half width ([`HALF_WIDTH`]).
fn push_word(page: &mut Page, text: &str, x0: f64, y0: f64, x1: f64, y1: f64) {
    // One glyph per character of the normalized text; the first glyph of a
    // printed character NFKC changed keeps it as printed (the others of it
    // print nothing), so a line's printed text joins up exactly.
    let mut chars: Vec<(char, Option<String>)> = Vec::new();
    for raw in text.chars().filter(|c| !c.is_whitespace()) {
        let normalized: Vec<char> = crate::text::nfkc_char(raw)
            .filter(|c| !c.is_whitespace())
            .collect();
        let changed = normalized.as_slice() != [raw];
        for (i, &c) in normalized.iter().enumerate() {
            let printed = changed.then(|| {
                if i == 0 {
                    raw.to_string()
                } else {
                    String::new()
                }
            });
            chars.push((c, printed));
        }
    }
    if chars.is_empty() {
        return;
    }
    let weight = |c: char| {
        if crate::text::is_wide(c) {
            1.0
        } else {
            HALF_WIDTH
        }
    };
    let total: f64 = chars.iter().map(|&(c, _)| weight(c)).sum();
    let size = (y1 - y0).max(0.1);
    let unit = (x1 - x0) / total;
    let mut at = x0;
    for (c, printed) in chars {
        let w = unit * weight(c);
        page.glyphs.push(Glyph {
            text: c.to_string(),
            printed,
            x0: at,
            y0,
            x1: at + w,
            y1,
            size,
        });
        at += w;
    }
}

fn attr(tag: &str, name: &str) -> Option<f64> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    tag[at..at + len].parse().ok()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words() {
        let x = r#"<doc><page width="595.0" height="842.0"><flow><block><line>
<word xMin="10.0" yMin="20.0" xMax="40.0" yMax="30.0">公开０１</word>
<word xMin="50.0" yMin="20.0" xMax="60.0" yMax="30.0">A&amp;B</word></line></block></flow></page>
<page width="595.0" height="842.0"></page></doc>"#;
        let pages = parse_bbox_layout(x);
        assert_eq!(pages.len(), 2);
        let text: String = pages[0].glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(text, "公开01A&B");
        assert_eq!(pages[0].glyphs[0].x0, 10.0);
        // 公 开 0 1: weights 1, 1, .5, .5 over 30 points
        assert_eq!(pages[0].glyphs[1].x1, 30.0);
        assert_eq!(pages[0].glyphs[3].x1, 40.0);
        assert!(pages[1].glyphs.is_empty());
    }
}
