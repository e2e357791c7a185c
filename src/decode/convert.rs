//! Legacy binary office files (.doc, .wps, .et, and .xls files calamine
//! cannot open) through LibreOffice headless: converted to .docx/.xlsx in a
//! temporary directory, then read by the .docx or spreadsheet reader.
//!
//! No pure-Rust reader of Word 97 binaries reads tables (see
//! [formats](../../../docs/formats.md)), so a converter the user installs
//! is the way: `soffice` on the `PATH` by default, another path, or none
//! ([`DecodeOptions::soffice`](crate::settings::DecodeOptions)). When it is
//! absent the record says what to install (`converter_missing`).
//!
//! Each conversion is isolated: a fresh temporary directory holding the
//! input, the output and LibreOffice's own profile (so conversions never
//! share an instance), LibreOffice in its own process group killed as a
//! whole past the time limit, its output read no further than
//! `max_bytes`. Under process isolation it runs inside the decode worker,
//! under the worker's memory limit; its deadline is what is left of the
//! document's time less a margin, so that it is killed (with whatever it
//! started) before the worker is. Its output goes to a log file in the
//! temporary directory, not a pipe that a leftover process could hold.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::decode::child;
use crate::error::{Error, ErrorKind, Result};
use crate::settings::Limits;

#[cfg(test)]
mod tests {
    #[test]
    fn file_urls_are_percent_encoded() {
        let url = super::file_url(std::path::Path::new("/tmp/a b/配置"));
        assert_eq!(url, "file:///tmp/a%20b/%E9%85%8D%E7%BD%AE");
    }
}

/// The engine name recorded before the reader's (`soffice+docx`).
pub const ENGINE: &str = "soffice";

/// How much sooner than the document's time limit a conversion is killed
/// (so that it dies before the decode worker that started it is killed).
const MARGIN: Duration = Duration::from_secs(2);

/// What a legacy file is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A Word (or WPS Writer) binary, to .docx.
    Docx,
    /// An Excel (or WPS Spreadsheets) binary, to .xlsx.
    Xlsx,
}

impl Target {
    fn input_name(self) -> &'static str {
        match self {
            Target::Docx => "input.doc",
            Target::Xlsx => "input.xls",
        }
    }

    fn output_name(self) -> &'static str {
        match self {
            Target::Docx => "input.docx",
            Target::Xlsx => "input.xlsx",
        }
    }

    /// LibreOffice's `--convert-to` argument.
    fn filter(self) -> &'static str {
        match self {
            Target::Docx => "docx:MS Word 2007 XML",
            Target::Xlsx => "xlsx:Calc MS Excel 2007 XML",
        }
    }

    /// The Debian package that brings the converter.
    fn package(self) -> &'static str {
        match self {
            Target::Docx => "libreoffice-writer-nogui",
            Target::Xlsx => "libreoffice-calc-nogui",
        }
    }
}

/// Converts `bytes` with the LibreOffice executable `exe` (`None`: the
/// converter is disabled). `what` names the input for messages (".doc").
pub fn convert(
    bytes: &[u8],
    target: Target,
    what: &str,
    limits: &Limits,
    exe: Option<&Path>,
) -> Result<Vec<u8>> {
    let missing = |why: String| {
        Error::new(
            ErrorKind::ConverterMissing,
            format!(
                "{what}: reading it needs LibreOffice, {why}: install {} (Debian/Ubuntu) or pass --soffice PATH",
                target.package()
            ),
        )
    };
    let Some(exe) = exe else {
        return Err(missing(
            "and the converter is disabled (--no-soffice)".into(),
        ));
    };
    let dir = tempfile::Builder::new()
        .prefix("gongkai-soffice-")
        .tempdir()
        .map_err(|e| {
            io(format!(
                "cannot make a temporary directory for LibreOffice: {e}"
            ))
        })?;
    let input = dir.path().join(target.input_name());
    std::fs::write(&input, bytes)
        .map_err(|e| io(format!("cannot write the file for LibreOffice: {e}")))?;
    let out_dir = dir.path().join("out");
    let profile = file_url(&dir.path().join("profile"));
    let log_path = dir.path().join("log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| io(format!("cannot open LibreOffice's log: {e}")))?;
    let mut command = Command::new(exe);
    command
        .arg("--headless")
        .arg("--norestore")
        .arg("--nologo")
        .arg("--nodefault")
        .arg("--nolockcheck")
        .arg(format!("-env:UserInstallation={profile}"))
        .arg("--convert-to")
        .arg(target.filter())
        .arg("--outdir")
        .arg(&out_dir)
        .arg(&input)
        .env("HOME", dir.path())
        .env("TMPDIR", dir.path())
        .stdin(Stdio::null())
        // To a file, not a pipe: a process LibreOffice leaves behind
        // holding a pipe open would keep the read waiting.
        .stdout(Stdio::from(log.try_clone().map_err(|e| {
            io(format!("cannot open LibreOffice's log: {e}"))
        })?))
        .stderr(Stdio::from(log));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let child = command.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            missing(format!("and {} is not installed", exe.display()))
        } else {
            Error::new(
                ErrorKind::DecoderFailed,
                format!("cannot run {}: {e}", exe.display()),
            )
        }
    })?;
    // What is left of the document's time (a reader that failed first
    // used some), less the margin.
    let timeout = limits
        .timeout
        .saturating_sub(super::decoding_for())
        .saturating_sub(MARGIN)
        .max(Duration::from_secs(1));
    let pid = child.id();
    let run = child::Run {
        input: None,
        hold_stdin: false,
        start: Instant::now(),
        timeout,
        max_output: 1 << 20,
        group: true,
    };
    let finished = child::finish(child, run);
    // Whatever LibreOffice left running in its group goes with it.
    child::kill_group(pid);
    let said = || {
        let mut text = String::new();
        if let Ok(f) = std::fs::File::open(&log_path) {
            let _ = f.take(64 * 1024).read_to_string(&mut text);
        }
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.contains("javaldx"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let done = match finished {
        Ok(done) => done,
        Err(child::Stopped::Timeout) => {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "LibreOffice took longer than {:.1} s converting the {what} (what was left of the time limit of {} s, less {} s kept for the decode worker; raise --timeout to read it)",
                    timeout.as_secs_f64(),
                    limits.timeout.as_secs_f64(),
                    MARGIN.as_secs()
                ),
            ))
        }
        // Its output goes to a file: nothing to overflow.
        Err(child::Stopped::Overflow) => {
            return Err(Error::new(
                ErrorKind::DecoderFailed,
                format!("LibreOffice was stopped converting the {what}"),
            ))
        }
        Err(child::Stopped::Wait(e)) => {
            return Err(Error::new(
                ErrorKind::DecoderFailed,
                format!("waiting for LibreOffice failed: {e}"),
            ))
        }
    };
    let output = out_dir.join(target.output_name());
    let failed = |why: String| {
        Error::new(
            ErrorKind::DecoderFailed,
            format!("LibreOffice could not convert the {what}: {why}"),
        )
    };
    if !done.status.success() {
        return Err(failed(format!("{} ({})", said(), done.status)));
    }
    match std::fs::metadata(&output) {
        Err(_) => {
            // LibreOffice exits 0 when it cannot load the file.
            let why = said();
            Err(failed(if why.is_empty() {
                "it wrote nothing".into()
            } else {
                why
            }))
        }
        Ok(m) if m.len() > limits.max_bytes => Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "the {what} converts to {} bytes, over the limit of {} (raise --max-bytes to read it)",
                m.len(),
                limits.max_bytes
            ),
        )),
        Ok(_) => std::fs::read(&output)
            .map_err(|e| io(format!("cannot read LibreOffice's output: {e}"))),
    }
}

/// The `file://` URL of an absolute path, its bytes percent-encoded
/// outside the unreserved set and `/`.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for &b in path.to_string_lossy().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn io(message: String) -> Error {
    Error::new(ErrorKind::Io, message)
}
