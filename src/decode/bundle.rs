//! Bundles: a zip of documents (a unit's budget as PDF beside its tables as
//! .xls, a county's disclosures in one attachment), unpacked in memory one
//! member at a time so that each member is read as a document of its own.
//!
//! Unpacking is bounded before and while it runs: the members a directory
//! may list ([`MAX_MEMBERS`]), the size each may declare and unpack to
//! (`max_bytes`), the total the members unpack to (`max_decoded_bytes`, the
//! zip-bomb guard, counted across nested bundles), and nesting
//! ([`MAX_DEPTH`]). A member named outside the bundle (`../x`, `/etc/x`,
//! `C:\x`) refuses the whole bundle: nothing is written to disk, but such a
//! name only comes from a crafted archive. Names are UTF-8 when they decode
//! as UTF-8, else GB18030 (what Chinese Windows archivers write without the
//! UTF-8 flag).
//!
//! Only stored and deflated members are read (the methods portals' archives
//! use); another method, or an encrypted member, is that member's error.

use std::io::{Cursor, Read};

use crate::error::{Error, ErrorKind, Result};
use crate::settings::Limits;

/// Most members a bundle's directory may list.
pub const MAX_MEMBERS: usize = 10_000;

/// Deepest nesting unpacked: a bundle, and bundles inside it.
pub const MAX_DEPTH: u32 = 2;

/// A zip bundle whose directory has been read and found safe to unpack.
pub struct Bundle<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    members: Vec<Member>,
}

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its index in the zip's directory.
    index: usize,
    /// Its name (path inside the bundle), decoded.
    pub name: String,
    /// The size its directory entry declares, in bytes.
    pub declared: u64,
}

/// Opens a bundle: reads its directory and refuses it when a member is
/// named outside it, when it lists more than [`MAX_MEMBERS`] members, or
/// when its members declare more than `max_decoded_bytes` in all.
/// Directories and archiver metadata (`__MACOSX/`, `._*`, `.DS_Store`,
/// `Thumbs.db`) are not members.
pub fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Bundle<'a>> {
    super::contain(
        || open_here(bytes, limits),
        |why| format!("the zip reader failed on the bundle's directory: {why}"),
    )
}

/// The number of entries a zip's end-of-directory record declares (its
/// ZIP64 record's when it has one), read without parsing the directory.
pub fn entry_count(bytes: &[u8]) -> Option<u64> {
    // The end record is 22 bytes plus a comment of at most 65535.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let tail = &bytes[from..];
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))?;
    let record = &tail[at..];
    let count = u64::from(u16::from_le_bytes([record[10], record[11]]));
    if count != 0xFFFF {
        return Some(count);
    }
    // ZIP64: the locator (20 bytes) just before points at the record,
    // whose total entry count is at offset 32.
    let locator_at = (from + at).checked_sub(20)?;
    let locator = bytes.get(locator_at..locator_at + 20)?;
    if !locator.starts_with(b"PK\x06\x07") {
        return Some(count);
    }
    let offset = usize::try_from(u64::from_le_bytes(locator[8..16].try_into().ok()?)).ok()?;
    let record = bytes.get(offset..offset.checked_add(40)?)?;
    if !record.starts_with(b"PK\x06\x06") {
        return Some(count);
    }
    Some(u64::from_le_bytes(record[32..40].try_into().ok()?))
}

fn open_here<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Bundle<'a>> {
    if let Some(n) = entry_count(bytes).filter(|&n| n > MAX_MEMBERS as u64) {
        return Err(Error::new(
            ErrorKind::BundleRefused,
            format!(
                "the zip bundle lists {n} members, over the limit of {MAX_MEMBERS}: not unpacked"
            ),
        ));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Error::new(
            ErrorKind::Truncated,
            format!("a zip bundle whose directory cannot be read: {e}"),
        )
    })?;
    if zip.len() > MAX_MEMBERS {
        return Err(Error::new(
            ErrorKind::BundleRefused,
            format!(
                "the zip bundle lists {} members, over the limit of {MAX_MEMBERS}: not unpacked",
                zip.len()
            ),
        ));
    }
    let mut members = Vec::new();
    let mut declared_total: u64 = 0;
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(|e| {
            Error::new(
                ErrorKind::Truncated,
                format!("member {} of the zip bundle cannot be read: {e}", index + 1),
            )
        })?;
        let name = member_name(entry.name_raw());
        if let Some(why) = outside(&name) {
            return Err(Error::new(
                ErrorKind::BundleRefused,
                format!(
                    "the zip bundle's member «{name}» {why}: the bundle is refused (only a crafted archive names its members so)"
                ),
            ));
        }
        if entry.is_dir() || is_metadata(&name) {
            continue;
        }
        let declared = entry.size();
        declared_total = declared_total.saturating_add(declared);
        members.push(Member {
            index,
            name,
            declared,
        });
    }
    if declared_total > limits.max_decoded_bytes {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the zip bundle's members declare {declared_total} bytes unpacked, over the limit of {} (a zip bomb?): not unpacked",
                limits.max_decoded_bytes
            ),
        ));
    }
    Ok(Bundle { zip, members })
}

impl Bundle<'_> {
    /// Its members, in directory order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Unpacks one member, at most `max_bytes` of it and at most `budget`
    /// bytes (what the bundle may still unpack to), which it lowers by what
    /// it unpacked. A member over either is `too_large` and unpacks no
    /// further than one byte past the bound.
    pub fn read(&mut self, member: &Member, budget: &mut u64, limits: &Limits) -> Result<Vec<u8>> {
        let zip = &mut self.zip;
        super::contain(
            || read_here(zip, member, budget, limits),
            |why| format!("the zip reader failed on «{}»: {why}", member.name),
        )
    }
}

fn read_here(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    member: &Member,
    budget: &mut u64,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let name = &member.name;
    let broken = |e: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::Truncated,
            format!("the bundle's member «{name}» cannot be unpacked: {e}"),
        )
    };
    let bound_by_budget = *budget < limits.max_bytes;
    let bound = limits.max_bytes.min(*budget);
    let over = |got: u64| {
        if bound_by_budget {
            Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the bundle's member «{name}» would take what its members unpack to past the limit of {} bytes in all (a zip bomb?): not read",
                    limits.max_decoded_bytes
                ),
            )
        } else {
            Error::new(
                ErrorKind::TooLarge,
                format!(
                    "the bundle's member «{name}» unpacks to {got} bytes or more, over the limit of {} (raise --max-bytes to read it)",
                    limits.max_bytes
                ),
            )
        }
    };
    if member.declared > bound {
        return Err(over(member.declared));
    }
    let file = match zip.by_index(member.index) {
        Ok(f) => f,
        Err(zip::result::ZipError::UnsupportedArchive(why)) => {
            let kind = if why.to_ascii_lowercase().contains("password") {
                ErrorKind::Encrypted
            } else {
                ErrorKind::UnsupportedFormat
            };
            return Err(Error::new(
                kind,
                format!("the bundle's member «{name}» cannot be unpacked: {why}"),
            ));
        }
        Err(e) => return Err(broken(&e)),
    };
    let mut bytes = Vec::new();
    let read = file.take(bound.saturating_add(1)).read_to_end(&mut bytes);
    *budget = budget.saturating_sub(bytes.len() as u64);
    match read {
        Ok(_) if bytes.len() as u64 > bound => Err(over(bytes.len() as u64)),
        Ok(_) => Ok(bytes),
        Err(e) => Err(broken(&e)),
    }
}

/// A member name: UTF-8 when its bytes are, else GB18030.
fn member_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(raw).0.into_owned(),
    }
}

/// Why a member name points outside its bundle, if it does.
fn outside(name: &str) -> Option<&'static str> {
    let unified = name.replace('\\', "/");
    if unified.starts_with('/') {
        return Some("is an absolute path");
    }
    let bytes = unified.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Some("names a drive");
    }
    if unified.split('/').any(|part| part == "..") {
        return Some("climbs out of the bundle with `..`");
    }
    if name.contains('\0') {
        return Some("has a NUL byte in its name");
    }
    None
}

/// Files archivers add that are not documents.
fn is_metadata(name: &str) -> bool {
    let unified = name.replace('\\', "/");
    let base = unified.rsplit('/').next().unwrap_or("");
    unified.starts_with("__MACOSX/")
        || base.starts_with("._")
        || base.eq_ignore_ascii_case(".DS_Store")
        || base.eq_ignore_ascii_case("Thumbs.db")
        || base.eq_ignore_ascii_case("desktop.ini")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_bundle_are_caught() {
        for bad in [
            "../x.pdf",
            "a/../../x",
            "/etc/passwd",
            "C:\\x.pdf",
            "a\\..\\..\\x",
        ] {
            assert!(outside(bad).is_some(), "{bad}");
        }
        for good in ["a.pdf", "2022/部门决算.pdf", "a..b.pdf", "..a.pdf"] {
            assert!(outside(good).is_none(), "{good}");
        }
    }

    #[test]
    fn gbk_names_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("部门决算.pdf");
        assert_eq!(member_name(&gbk), "部门决算.pdf");
        assert_eq!(member_name("部门预算.pdf".as_bytes()), "部门预算.pdf");
    }

    #[test]
    fn the_entry_count_is_read_from_the_end_record() {
        let mut out = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
            for i in 0..3 {
                let _ =
                    zip.start_file(format!("{i}.txt"), zip::write::SimpleFileOptions::default());
            }
            let _ = zip.finish();
        }
        assert_eq!(entry_count(&out), Some(3));
        assert_eq!(entry_count(b"PK\x05\x06"), None);
        assert_eq!(entry_count(b""), None);
    }

    #[test]
    fn archiver_metadata_is_not_a_member() {
        assert!(is_metadata("__MACOSX/._a.pdf"));
        assert!(is_metadata("dir/._a.pdf"));
        assert!(is_metadata("Thumbs.db"));
        assert!(!is_metadata("a.pdf"));
    }
}
